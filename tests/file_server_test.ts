import { main, serveDir, startFileServer } from "../scripts/file_server.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "./_assert.ts";

async function makeRoot(): Promise<{ base: string; root: string }> {
  const base = await Deno.makeTempDir({ prefix: "inetkit-fs-" });
  const root = `${base}/root`;
  await Deno.mkdir(`${root}/sub/deeper`, { recursive: true });
  await Deno.mkdir(`${root}/site`);
  await Deno.writeTextFile(`${root}/hello.txt`, "hello world\n");
  await Deno.writeTextFile(`${root}/site/index.html`, "<h1>home</h1>");
  await Deno.writeTextFile(`${root}/sub/deeper/a.ts`, "export const a = 1;\n");
  await Deno.writeTextFile(`${root}/<script>alert(1)<\\script>.txt`, "x");
  await Deno.writeTextFile(`${root}/a"b&c.txt`, "x");
  await Deno.writeTextFile(`${base}/secret.txt`, "secret");
  await Deno.symlink(`${base}/secret.txt`, `${root}/outside-link`);
  await Deno.symlink(`${base}`, `${root}/outside-dir`);
  await Deno.symlink(`${root}/hello.txt`, `${root}/inside-link`);
  return { base, root };
}

function get(
  root: string,
  path: string,
  headers: HeadersInit = {},
  method = "GET",
) {
  return serveDir(new Request(`http://127.0.0.1${path}`, { method, headers }), {
    root,
  });
}

async function body(res: Response): Promise<string> {
  return res.body ? await res.text() : "";
}

Deno.test("serveDir() serves files, listings, index.html and HEAD", async (t) => {
  const { base, root } = await makeRoot();
  try {
    await t.step(
      "a file with type, length, ETag and Last-Modified",
      async () => {
        const res = await get(root, "/hello.txt");
        assertEquals(res.status, 200);
        assertEquals(await res.text(), "hello world\n");
        assertEquals(
          res.headers.get("content-type"),
          "text/plain; charset=utf-8",
        );
        assertEquals(res.headers.get("content-length"), "12");
        assert(res.headers.get("etag"));
        assert(res.headers.get("last-modified"));
      },
    );
    await t.step("TypeScript is served as application/typescript", async () => {
      const res = await get(root, "/sub/deeper/a.ts");
      assertMatch(res.headers.get("content-type")!, /^application\/typescript/);
      await body(res);
    });
    await t.step("HEAD has headers and no body", async () => {
      const res = await get(root, "/hello.txt", {}, "HEAD");
      assertEquals(res.headers.get("content-length"), "12");
      assertEquals(res.body, null);
    });
    await t.step("other methods get 405 with Allow", async () => {
      const res = await get(root, "/hello.txt", {}, "POST");
      assertEquals(res.status, 405);
      assertEquals(res.headers.get("allow"), "GET, HEAD");
      await body(res);
    });
    await t.step(
      "a directory without slash redirects, with index.html serves it",
      async () => {
        const redirect = await get(root, "/site");
        assertEquals(redirect.status, 301);
        assertEquals(redirect.headers.get("location"), "/site/");
        const index = await get(root, "/site/");
        assertEquals(await index.text(), "<h1>home</h1>");
      },
    );
    await t.step("a listing escapes hostile names", async () => {
      const res = await get(root, "/");
      const html = await res.text();
      assertStringIncludes(
        html,
        "&lt;script&gt;alert(1)&lt;\\script&gt;.txt",
      );
      assertStringIncludes(html, 'href="a%22b%26c.txt"');
      assertStringIncludes(html, "a&quot;b&amp;c.txt");
      assert(!html.includes("<script>"), "no raw script tag");
    });
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("serveDir() never leaves the root", async () => {
  const { base, root } = await makeRoot();
  try {
    for (
      const path of [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/..%2fsecret.txt",
        "/sub/..%2f..%2fsecret.txt",
        "/sub/%2e%2e/%2e%2e/secret.txt",
        "/..%5csecret.txt",
        "/hello.txt%00",
        "/outside-link",
        "/outside-dir/secret.txt",
        "/%E0%A4%A",
      ]
    ) {
      const res = await get(root, path);
      assertEquals(res.status, 404, path);
      assert(!(await body(res)).includes("secret"), path);
    }
    const inside = await get(root, "/inside-link");
    assertEquals(await inside.text(), "hello world\n");
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("serveDir() answers ranges and conditional requests", async (t) => {
  const { base, root } = await makeRoot();
  try {
    await t.step("single ranges give 206 with Content-Range", async () => {
      for (
        const [range, expected, cr] of [
          ["bytes=0-4", "hello", "bytes 0-4/12"],
          ["bytes=6-", "world\n", "bytes 6-11/12"],
          ["bytes=-6", "world\n", "bytes 6-11/12"],
          ["bytes=6-100", "world\n", "bytes 6-11/12"],
        ]
      ) {
        const res = await get(root, "/hello.txt", { range: range! });
        assertEquals(res.status, 206, range);
        assertEquals(res.headers.get("content-range"), cr);
        assertEquals(await res.text(), expected);
      }
    });
    await t.step("an unsatisfiable range gives 416", async () => {
      const res = await get(root, "/hello.txt", { range: "bytes=50-60" });
      assertEquals(res.status, 416);
      assertEquals(res.headers.get("content-range"), "bytes */12");
      await body(res);
    });
    await t.step("multiple ranges get the whole file", async () => {
      const res = await get(root, "/hello.txt", { range: "bytes=0-1,3-4" });
      assertEquals(res.status, 200);
      assertEquals(await res.text(), "hello world\n");
    });
    await t.step("If-None-Match and If-Modified-Since give 304", async () => {
      const first = await get(root, "/hello.txt");
      await first.text();
      const etag = first.headers.get("etag")!;
      const inm = await get(root, "/hello.txt", {
        "if-none-match": `W/${etag}, "other"`,
      });
      assertEquals(inm.status, 304);
      const ims = await get(root, "/hello.txt", {
        "if-modified-since": first.headers.get("last-modified")!,
      });
      assertEquals(ims.status, 304);
      const stale = await get(root, "/hello.txt", {
        "if-none-match": '"nope"',
      });
      assertEquals(stale.status, 200);
      await stale.text();
    });
    await t.step(
      "If-Range with a stale validator serves the whole file",
      async () => {
        const res = await get(root, "/hello.txt", {
          range: "bytes=0-4",
          "if-range": '"old"',
        });
        assertEquals(res.status, 200);
        await res.text();
      },
    );
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("startFileServer() serves over a real socket and logs each request", async () => {
  const { base, root } = await makeRoot();
  const lines: string[] = [];
  const server = startFileServer({ root, port: 0, log: (l) => lines.push(l) });
  try {
    const res = await fetch(`http://127.0.0.1:${server.addr.port}/hello.txt`);
    assertEquals(await res.text(), "hello world\n");
    assertEquals(lines.length, 1);
    assertMatch(
      lines[0]!,
      /^127\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/hello\.txt HTTP\/1\.1" 200 12 [\d.]+ms$/,
    );
  } finally {
    await server.shutdown();
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("file_server.ts --help lists permissions, bad flags exit 2, deno run from it works", async (t) => {
  const script = new URL("../scripts/file_server.ts", import.meta.url).pathname;
  await t.step("--help", async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-net", "--allow-read", script, "--help"],
      stdout: "piped",
    }).output();
    assertEquals(out.code, 0);
    assertStringIncludes(
      new TextDecoder().decode(out.stdout),
      "--allow-net --allow-read",
    );
  });
  await t.step("bad flag", async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-net", "--allow-read", script, "--bogus"],
      stderr: "piped",
    }).output();
    assertEquals(out.code, 2);
    assertStringIncludes(new TextDecoder().decode(out.stderr), "Unknown flag");
  });
  await t.step(
    "deno run http://…/main.ts imports relative modules from the server",
    async () => {
      const { base, root } = await makeRoot();
      await Deno.writeTextFile(
        `${root}/main.ts`,
        'import { a } from "./sub/deeper/a.ts";\nconsole.log("a =", a);\n',
      );
      const server = startFileServer({ root, port: 0 });
      try {
        const out = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "--no-config",
            "--reload",
            `http://127.0.0.1:${server.addr.port}/main.ts`,
          ],
          stdout: "piped",
          stderr: "piped",
        }).output();
        assertEquals(new TextDecoder().decode(out.stdout).trim(), "a = 1");
        assertEquals(out.code, 0);
      } finally {
        await server.shutdown();
        await Deno.remove(base, { recursive: true });
      }
    },
  );
  await main(["--help"]).then((code) => assertEquals(code, 0));
});
