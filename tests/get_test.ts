import { startFtpFixture } from "../scripts/_ftp_fixture_server.ts";
import {
  sampleGroups,
  startNntpFixtureServer,
} from "../scripts/_nntp_fixture_server.ts";
import { startFileServer } from "../scripts/file_server.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "./_assert.ts";
import { startMockServer } from "./_mock_server.ts";

const script = new URL("../scripts/get.ts", import.meta.url).pathname;
const decoder = new TextDecoder();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function get(
  args: string[],
  permissions = ["--allow-net", "--allow-read", "--allow-write"],
): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, script, ...args],
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

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

Deno.test("get.ts fetches http: URLs and prints headers as the seed does", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "inetkit-get-" });
  await Deno.writeTextFile(`${root}/page.txt`, "hello from http\n");
  const server = startFileServer({ root, port: 0 });
  const url = `http://127.0.0.1:${server.addr.port}`;
  try {
    await t.step("the body goes to stdout", async () => {
      const r = await get([`${url}/page.txt`]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout, "hello from http\n");
      assertEquals(r.stderr, "");
    });
    await t.step(
      "-v prints the status line, key = value headers and the byte count on stderr",
      async () => {
        const r = await get([`${url}/page.txt`, "-v"]);
        assertEquals(r.stdout, "hello from http\n");
        const lines = r.stderr.trimEnd().split("\n");
        assertEquals(lines[0], "200 OK");
        for (const line of lines.slice(1, -1)) {
          assertMatch(line, /^[a-z0-9-]+ = /);
        }
        assert(lines.includes("content-length = 16"), r.stderr);
        assertMatch(lines.find((l) => l.startsWith("etag = "))!, /^etag = "/);
        assertEquals(lines.at(-1), "16 bytes");
      },
    );
    await t.step("-I prints status and headers only, on stdout", async () => {
      const r = await get([`${url}/page.txt`, "-I"]);
      assertEquals(r.code, 0);
      assert(r.stdout.startsWith("200 OK\n"), r.stdout);
      assertStringIncludes(r.stdout, "content-length = 16\n");
      assert(!r.stdout.includes("hello"));
    });
    await t.step("-o - is stdout", async () => {
      assertEquals(
        (await get([`${url}/page.txt`, "-o", "-"])).stdout,
        "hello from http\n",
      );
    });
    await t.step(
      "-o writes the file; a 404 writes nothing, keeps an old file and exits 1",
      async () => {
        const out = `${root}/copy.txt`;
        assertEquals((await get([`${url}/page.txt`, "-o", out])).code, 0);
        assertEquals(await Deno.readTextFile(out), "hello from http\n");
        const missing = await get([`${url}/nope`, "-o", out, "-v"]);
        assertEquals(missing.code, 1);
        assertStringIncludes(missing.stderr, "404 Not Found\n");
        assertStringIncludes(missing.stderr, "error: 404");
        assertEquals(await Deno.readTextFile(out), "hello from http\n");
        assertEquals(names(root), ["copy.txt", "page.txt"]);
      },
    );
    await t.step("a 404 without -o prints the body and exits 1", async () => {
      const r = await get([`${url}/nope`]);
      assertEquals(r.code, 1);
      assert(r.stdout.length > 0);
    });
    await t.step(
      "-o without read and write access fails before fetching",
      async () => {
        const r = await get([`${url}/page.txt`, "-o", `${root}/x.txt`], [
          "--allow-net",
          `--allow-write=${root}`,
        ]);
        assertEquals(r.code, 1);
        assertStringIncludes(
          r.stderr,
          "-o needs --allow-read and --allow-write",
        );
        assertEquals(names(root), ["copy.txt", "page.txt"]);
      },
    );
    await t.step("usage errors exit 2, unknown schemes exit 1", async () => {
      const none = await get([]);
      assertEquals(none.code, 2);
      assertStringIncludes(none.stderr, "--help");
      assertEquals((await get(["a", "b"])).code, 2);
      assertEquals((await get([url, "--timeout", "-1"])).code, 2);
      const unknown = await get(["gopher://127.0.0.1:1/"]);
      assertEquals(unknown.code, 1);
      assertStringIncludes(
        unknown.stderr,
        'No plugin registered for scheme "gopher"',
      );
    });
    await t.step("--help lists the options and the permissions", async () => {
      const r = await get(["--help"], []);
      assertEquals(r.code, 0);
      for (
        const word of [
          "-o, --output",
          "-I, --head",
          "-v, --verbose",
          "--plugin",
          "Permissions: --allow-net",
          "--allow-import",
        ]
      ) {
        assertStringIncludes(r.stdout, word);
      }
    });
  } finally {
    await server.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("get.ts -o leaves no file when the body breaks off or Ctrl-C stops it", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "inetkit-get-" });
  const server = startMockServer(async (peer) => {
    const target = (await peer.readLine())?.split(" ")[1];
    for (let l; (l = await peer.readLine()) !== null && l !== "";) {
      /* the request's header fields */
    }
    if (target === "/cut") {
      await peer.write("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
      await peer.write("x".repeat(1000));
      return;
    }
    await peer.write(
      "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n",
    );
    const chunk = new Uint8Array(1024);
    try {
      while (true) await peer.conn.write(chunk);
    } catch { /* the client went away */ }
  });
  const base = `http://127.0.0.1:${server.port}`;
  try {
    await t.step("a body cut short", async () => {
      const r = await get([`${base}/cut`, "-o", `${dir}/cut.bin`]);
      assertEquals(r.code, 1);
      assertStringIncludes(r.stderr, "error: ");
      assertEquals(names(dir), []);
    });
    await t.step("Ctrl-C", async () => {
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-net",
          "--allow-read",
          "--allow-write",
          script,
          `${base}/endless`,
          "-o",
          `${dir}/endless.bin`,
        ],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      while (!names(dir).some((n) => n.includes(".part-"))) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      child.kill("SIGINT");
      const status = await child.status;
      assertEquals(status.code, 130);
      assertEquals(names(dir), []);
    });
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("get.ts fetches ftp: and nntp: URLs", async (t) => {
  const ftp = startFtpFixture({
    files: { "/data.bin": new Uint8Array(200_000).fill(3) },
  });
  const nntp = startNntpFixtureServer({ groups: sampleGroups() });
  const dir = await Deno.makeTempDir({ prefix: "inetkit-get-" });
  try {
    await t.step("an FTP file through a temporary name", async () => {
      const r = await get([
        `${ftp.url}/data.bin`,
        "-o",
        `${dir}/data.bin`,
        "-v",
      ]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals((await Deno.stat(`${dir}/data.bin`)).size, 200_000);
      assertStringIncludes(r.stderr, "200 OK\n");
      assertStringIncludes(r.stderr, "content-length = 200000\n");
      assertStringIncludes(r.stderr, "200000 bytes");
      assertEquals(names(dir), ["data.bin"]);
    });
    await t.step("an FTP 550 is a 404 and exit 1", async () => {
      const r = await get([`${ftp.url}/nope.bin`, "-I"]);
      assertEquals(r.code, 1);
      assertStringIncludes(r.stdout, "404");
      assertStringIncludes(r.stdout, "x-inetkit-reply = 550 ");
    });
    await t.step("a news article", async () => {
      const r = await get([
        `news://127.0.0.1:${nntp.port}/news.1@fixture.invalid`,
      ]);
      assertEquals(r.code, 0, r.stderr);
      assertStringIncludes(r.stdout, "Message-ID: <news.1@fixture.invalid>");
    });
  } finally {
    await ftp.close();
    await nntp.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("get.ts --plugin loads a plugin module and refuses modules without one", async () => {
  const server = startMockServer(async (peer) => {
    const query = await peer.readLine();
    await peer.write(`Login: ${query}\r\nPlan: none\r\n`);
  });
  try {
    const plugin =
      new URL("../plugins/examples/finger.ts", import.meta.url).href;
    const r = await get([
      "--plugin",
      plugin,
      `finger://127.0.0.1:${server.port}/alice`,
      "-v",
    ]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "Login: alice\nPlan: none\n");
    assert(r.stderr.startsWith("200 OK\n"), r.stderr);
    const hostile = await get([
      "--plugin",
      plugin,
      `finger://127.0.0.1:${server.port}/a%0d%0ab`,
    ]);
    assertEquals(hostile.code, 1);
    assertStringIncludes(hostile.stderr, "CR, LF or NUL");
    const notPlugin = new URL("./_assert.ts", import.meta.url).href;
    const bad = await get(["--plugin", notPlugin, "finger://127.0.0.1/"]);
    assertEquals(bad.code, 1);
    assertStringIncludes(bad.stderr, "exports no plugin");
    assertEquals(server.accepted, 1);
  } finally {
    await server.close();
  }
});
