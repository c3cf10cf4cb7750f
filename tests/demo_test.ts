/**
 * `deno task demo` end to end, as the README runs it: the same permission
 * flags, real sockets on 127.0.0.1 only, exit code 0 and the outputs on disk.
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "./_assert.ts";

const ROOT = new URL("../", import.meta.url).pathname;

Deno.test("deno task demo runs every job over loopback and exits 0", async () => {
  const out = await Deno.makeTempDir({ prefix: "inetkit-demo-test-" });
  try {
    // The flags of the `demo` task in deno.json, plus --out so the test can clean up.
    const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`))
      .tasks as Record<string, string>;
    const flags = tasks.demo!.split(" ").filter((w) => w.startsWith("--allow"));
    assertEquals(flags, [
      "--allow-net=127.0.0.1",
      "--allow-read",
      "--allow-write",
    ]);
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...flags, "scripts/demo.ts", "--out", out],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stdout = new TextDecoder().decode(run.stdout);
    const stderr = new TextDecoder().decode(run.stderr);
    assertEquals(run.code, 0, `${stdout}\n${stderr}`);
    assertMatch(stdout, /sha256 matches the upstream file/);
    assertMatch(stdout, /\[ftp\] second run: 0 files, 0 bytes transferred/);
    assertMatch(stdout, /"GET \/big\.bin HTTP\/1\.1" 200 4194304 /);
    assertMatch(stdout, /All jobs done; servers stopped\./);
    const names: string[] = [];
    for await (const entry of Deno.readDir(out)) names.push(entry.name);
    assert(names.includes("mirror"), names.join(", "));
    const page = await Deno.readTextFile(`${out}/fixture.news.html`);
    assertMatch(page, /<meta charset="utf-8">/i);
    assert(page.includes("news:"), "the page links articles with news: URLs");
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
