import { startFtpFixture } from "../scripts/_ftp_fixture_server.ts";
import { startFileServer } from "../scripts/file_server.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "./_assert.ts";

const script = new URL("../scripts/get.ts", import.meta.url).pathname;
const decoder = new TextDecoder();

async function get(args: string[], cwd?: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      script,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    ...(cwd ? { cwd } : {}),
  }).output();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

Deno.test("get.ts fetches http: URLs and prints headers as the seed does", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "inetkit-get-" });
  await Deno.writeTextFile(`${root}/page.txt`, "hello from http\n");
  const server = startFileServer({ root, port: 0 });
  const url = `http://127.0.0.1:${server.addr.port}`;
  try {
    await t.step("the body goes to stdout", async () => {
      const r = await get([`${url}/page.txt`]);
      assertEquals(r.code, 0);
      assertEquals(r.stdout, "hello from http\n");
    });
    await t.step(
      "-v prints the status line, key = value headers and the byte count",
      async () => {
        const r = await get([`${url}/page.txt`, "-v"]);
        assertEquals(r.stdout, "hello from http\n");
        const lines = r.stderr.trim().split("\n");
        assertEquals(lines[0], "200 OK");
        assert(lines.includes("content-length = 16"), r.stderr);
        assertMatch(lines.find((l) => l.startsWith("etag = "))!, /^etag = "/);
        assertEquals(lines.at(-1), "16 bytes");
      },
    );
    await t.step("-I prints status and headers only", async () => {
      const r = await get([`${url}/page.txt`, "-I"]);
      assertEquals(r.code, 0);
      assertStringIncludes(r.stdout, "200 OK\n");
      assertStringIncludes(
        r.stdout,
        "content-type = text/plain; charset=utf-8",
      );
      assert(!r.stdout.includes("hello"));
    });
    await t.step(
      "-o writes the file; a 404 writes nothing and exits 1",
      async () => {
        const out = `${root}/copy.txt`;
        assertEquals((await get([`${url}/page.txt`, "-o", out])).code, 0);
        assertEquals(await Deno.readTextFile(out), "hello from http\n");
        const missing = await get([`${url}/nope`, "-o", `${root}/nope.txt`]);
        assertEquals(missing.code, 1);
        assertStringIncludes(missing.stderr, "404");
        assertEquals(
          [...Deno.readDirSync(root)].map((e) => e.name).sort(),
          ["copy.txt", "page.txt"],
          "no temporary or partial file is left",
        );
      },
    );
    await t.step("usage errors exit 2, unknown schemes exit 1", async () => {
      assertEquals((await get([])).code, 2);
      const unknown = await get(["gopher://127.0.0.1:1/"]);
      assertEquals(unknown.code, 1);
      assertStringIncludes(unknown.stderr, '"gopher"');
    });
    await t.step("--plugin loads a plugin module", async () => {
      const plugin =
        new URL("../plugins/examples/gopher.ts", import.meta.url).href;
      const r = await get([
        "--plugin",
        plugin,
        "gopher://127.0.0.1:1/0/a%0d%0ab",
      ]);
      assertEquals(r.code, 1, r.stderr);
      assertStringIncludes(r.stderr, "400");
    });
  } finally {
    await server.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("get.ts fetches ftp: URLs to a file through a temporary name", async () => {
  const server = startFtpFixture({
    files: { "/data.bin": new Uint8Array(200_000).fill(3) },
  });
  const dir = await Deno.makeTempDir({ prefix: "inetkit-get-" });
  try {
    const r = await get([
      `${server.url.replace(/\/$/, "")}/data.bin`,
      "-o",
      `${dir}/data.bin`,
      "-v",
    ]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals((await Deno.stat(`${dir}/data.bin`)).size, 200_000);
    assertStringIncludes(r.stderr, "200000 bytes");
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
