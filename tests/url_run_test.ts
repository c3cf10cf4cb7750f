import { startFileServer } from "../scripts/file_server.ts";
import { assertEquals, assertStringIncludes } from "./_assert.ts";

const repo = new URL("..", import.meta.url).pathname;

Deno.test("scripts run from a URL: deno run http://…/scripts/get.ts served by file_server.ts", async () => {
  const server = startFileServer({ root: repo, port: 0 });
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--reload",
        "--allow-net",
        `${base}/scripts/get.ts`,
        `${base}/deno.json`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    assertStringIncludes(stdout, '"name": "@inetkit/inetkit"');
    const help = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", `${base}/scripts/ftp_mirror.ts`, "--help"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(help.code, 0, new TextDecoder().decode(help.stderr));
    assertStringIncludes(new TextDecoder().decode(help.stdout), "--allow-net");
  } finally {
    await server.shutdown();
  }
});
