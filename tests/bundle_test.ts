import {
  findDenort,
  NO_DENORT_MESSAGE,
  SCRIPT_PERMISSIONS,
} from "../scripts/_build.ts";
import { startFileServer } from "../scripts/file_server.ts";
import { assert, assertEquals, assertStringIncludes } from "./_assert.ts";
import { startMockServer } from "./_mock_server.ts";

const repo = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const decoder = new TextDecoder();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Run> {
  const out = await new Deno.Command(command, {
    args,
    env: { NO_COLOR: "1", ...env },
    cwd: repo,
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

Deno.test("deno task bundle writes self-contained, executable scripts with their permissions", async (t) => {
  const built = await run(Deno.execPath(), ["task", "bundle"]);
  assertEquals(built.code, 0, built.stderr);
  for (const [name, flags] of Object.entries(SCRIPT_PERMISSIONS)) {
    await t.step(
      `dist/${name}.js: shebang, no relative imports, --help`,
      async () => {
        const file = `${repo}/dist/${name}.js`;
        const code = await Deno.readTextFile(file);
        assertEquals(
          code.split("\n", 1)[0],
          `#!/usr/bin/env -S deno run ${flags.join(" ")}`,
        );
        assert(((await Deno.stat(file)).mode ?? 0) & 0o100, "executable");
        assert(
          !/^\s*(?:import|export)\b[^\n]*\bfrom\s*["']\.{1,2}\//m.test(code) &&
            !/^[^*\n]*\bimport\s*\(\s*["']\.{1,2}\//m.test(code),
          "no relative imports left",
        );
        // Run through the shebang, as a user would.
        const help = await run(file, ["--help"]);
        assertEquals(help.code, 0, help.stderr);
        for (const flag of flags) {
          assertStringIncludes(help.stdout, flag.split("=")[0]!);
        }
      },
    );
  }
  await t.step(
    "dist/get.js fetches over loopback and loads a --plugin module",
    async () => {
      const root = await Deno.makeTempDir({ prefix: "inetkit-bundle-" });
      await Deno.writeTextFile(`${root}/x.txt`, "bundled fetch\n");
      const server = startFileServer({ root, port: 0 });
      const finger = startMockServer(async (peer) => {
        await peer.write(`Login: ${await peer.readLine()}\r\n`);
      });
      try {
        const r = await run(`${repo}/dist/get.js`, [
          `http://127.0.0.1:${server.addr.port}/x.txt`,
          "-v",
        ]);
        assertEquals(r.code, 0, r.stderr);
        assertEquals(r.stdout, "bundled fetch\n");
        assert(r.stderr.startsWith("200 OK\n"), r.stderr);
        const plugin = await run(`${repo}/dist/get.js`, [
          "--plugin",
          `${repo}/plugins/examples/finger.ts`,
          `finger://127.0.0.1:${finger.port}/alice`,
        ]);
        assertEquals(plugin.code, 0, plugin.stderr);
        assertEquals(plugin.stdout, "Login: alice\n");
      } finally {
        await server.shutdown();
        await finger.close();
        await Deno.remove(root, { recursive: true });
      }
    },
  );
});

Deno.test("deno task compile builds executables, or says in one line that it needs DENORT_BIN", async () => {
  const denort = await findDenort();
  if (!denort) {
    // deno-lint-ignore no-console
    console.log(
      "compile skipped: no denort runtime (DENORT_BIN unset and none cached); checking the one-line refusal instead",
    );
    const r = await run(Deno.execPath(), ["task", "compile"], {
      DENORT_BIN: "",
    });
    assertEquals(r.code, 1);
    assertEquals(
      r.stderr.trim().split("\n").filter((l) => !l.startsWith("Task ")),
      [NO_DENORT_MESSAGE],
    );
    return;
  }
  const built = await run(Deno.execPath(), ["task", "compile"]);
  assertEquals(built.code, 0, built.stderr);
  const root = await Deno.makeTempDir({ prefix: "inetkit-compile-" });
  await Deno.writeTextFile(`${root}/x.txt`, "compiled fetch\n");
  const server = startFileServer({ root, port: 0 });
  try {
    for (const name of Object.keys(SCRIPT_PERMISSIONS)) {
      const help = await run(`${repo}/dist/bin/${name}`, ["--help"]);
      assertEquals(help.code, 0, `${name}: ${help.stderr}`);
    }
    const r = await run(`${repo}/dist/bin/get`, [
      `http://127.0.0.1:${server.addr.port}/x.txt`,
    ]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "compiled fetch\n");
  } finally {
    await server.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});
