import { SCRIPT_PERMISSIONS } from "../scripts/_build.ts";
import { startFileServer } from "../scripts/file_server.ts";
import { assertEquals, assertStringIncludes } from "./_assert.ts";
import { startMockServer } from "./_mock_server.ts";

const repo = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const decoder = new TextDecoder();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs deno as a user would: from an empty directory (no deno.json found)
 * with a cold module cache of its own.
 */
async function deno(
  args: string[],
  dirs: { cwd: string; cache: string },
): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: dirs.cwd,
    env: { DENO_DIR: dirs.cache, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

Deno.test("scripts run from a URL served by file_server.ts with permission flags only", async (t) => {
  const server = startFileServer({ root: repo, port: 0 });
  const host = `127.0.0.1:${server.addr.port}`;
  const base = `http://${host}`;
  const cwd = await Deno.makeTempDir({ prefix: "inetkit-url-run-" });
  const dirs = { cwd, cache: `${cwd}/.deno` };
  const finger = startMockServer(async (peer) => {
    await peer.write(`Login: ${await peer.readLine()}\r\n`);
  });
  try {
    await t.step(
      "deno run --allow-net=HOST http://…/scripts/get.ts http://…/README.md",
      async () => {
        const r = await deno([
          "run",
          `--allow-net=${host}`,
          `${base}/scripts/get.ts`,
          `${base}/README.md`,
        ], dirs);
        assertEquals(r.code, 0, r.stderr);
        assertEquals(r.stdout, await Deno.readTextFile(`${repo}/README.md`));
      },
    );
    for (const name of Object.keys(SCRIPT_PERMISSIONS)) {
      await t.step(
        `scripts/${name}.ts --help needs no flag at all`,
        async () => {
          const r = await deno(
            ["run", `${base}/scripts/${name}.ts`, "--help"],
            dirs,
          );
          assertEquals(r.code, 0, r.stderr);
          assertStringIncludes(r.stdout, "--allow-net");
        },
      );
    }
    await t.step(
      "a --plugin from the host get.ts came from needs no --allow-import",
      async () => {
        const r = await deno([
          "run",
          "--allow-net=127.0.0.1",
          `${base}/scripts/get.ts`,
          "--plugin",
          `${base}/plugins/examples/finger.ts`,
          `finger://127.0.0.1:${finger.port}/alice`,
        ], dirs);
        assertEquals(r.code, 0, r.stderr);
        assertEquals(r.stdout, "Login: alice\n");
      },
    );
    await t.step(
      "a remote --plugin for a local get.ts needs --allow-import=HOST",
      async () => {
        const args = [
          `${repo}/scripts/get.ts`,
          "--plugin",
          `${base}/plugins/examples/finger.ts`,
          `finger://127.0.0.1:${finger.port}/bob`,
        ];
        const denied = await deno(
          ["run", "--allow-net=127.0.0.1", "--allow-read", ...args],
          dirs,
        );
        assertEquals(denied.code, 1);
        assertStringIncludes(denied.stderr, "--allow-import");
        const allowed = await deno([
          "run",
          "--allow-net=127.0.0.1",
          "--allow-read",
          `--allow-import=${host}`,
          ...args,
        ], dirs);
        assertEquals(allowed.code, 0, allowed.stderr);
        assertEquals(allowed.stdout, "Login: bob\n");
      },
    );
  } finally {
    await finger.close();
    await server.shutdown();
    await Deno.remove(cwd, { recursive: true });
  }
});
