import {
  main,
  serveDir,
  type ServeDirOptions,
  startFileServer,
} from "../scripts/file_server.ts";
import { contentTypeFor } from "../scripts/_content_type.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "./_assert.ts";
import { UsageError } from "../scripts/_cli.ts";

const SCRIPT = new URL("../scripts/file_server.ts", import.meta.url).pathname;
const decoder = new TextDecoder();

/**
 * A temp tree: `base/secret.txt` sits outside the served `base/root`, which
 * holds plain files, an index site, hostile names, a dotfile and links
 * pointing inside and outside.
 */
async function makeRoot(): Promise<{ base: string; root: string }> {
  const base = await Deno.makeTempDir({ prefix: "inetkit-fs-" });
  const root = `${base}/root`;
  await Deno.mkdir(`${root}/sub/deeper`, { recursive: true });
  await Deno.mkdir(`${root}/site`);
  await Deno.mkdir(`${root}/evil-index`);
  await Deno.writeTextFile(`${root}/hello.txt`, "hello world\n");
  await Deno.writeTextFile(`${root}/empty.bin`, "");
  await Deno.writeTextFile(`${root}/site/index.html`, "<h1>home</h1>");
  await Deno.writeTextFile(`${root}/sub/deeper/a.ts`, "export const a = 1;\n");
  await Deno.writeTextFile(`${root}/sub/big.bin`, "x".repeat(3000));
  await Deno.writeTextFile(`${root}/<script>.txt`, "x");
  await Deno.writeTextFile(`${root}/a"b.txt`, "x");
  await Deno.writeTextFile(`${root}/&.txt`, "x");
  await Deno.writeTextFile(`${root}/.env`, "TOKEN=dot");
  await Deno.writeTextFile(`${base}/secret.txt`, "secret");
  await Deno.symlink(`${base}/secret.txt`, `${root}/outside-link`);
  await Deno.symlink(base, `${root}/outside-dir`);
  await Deno.symlink(`${base}/secret.txt`, `${root}/evil-index/index.html`);
  await Deno.symlink(`${root}/hello.txt`, `${root}/inside-link.txt`);
  await Deno.symlink(`${root}/sub`, `${root}/inside-dir`);
  await Deno.symlink(`${base}/missing`, `${root}/dangling`);
  return { base, root };
}

function get(
  root: string,
  path: string,
  init: RequestInit = {},
  options: Partial<ServeDirOptions> = {},
): Promise<Response> {
  return serveDir(new Request(`http://127.0.0.1${path}`, init), {
    root,
    ...options,
  });
}

/** Reads the body (if any) so no file handle stays open. */
async function text(res: Response): Promise<string> {
  return res.body ? await res.text() : "";
}

Deno.test("serveDir() serves files with type, length and validators", async (t) => {
  const { base, root } = await makeRoot();
  try {
    await t.step("a file", async () => {
      const res = await get(root, "/hello.txt");
      assertEquals(res.status, 200);
      assertEquals(await res.text(), "hello world\n");
      assertEquals(
        res.headers.get("content-type"),
        "text/plain; charset=utf-8",
      );
      assertEquals(res.headers.get("content-length"), "12");
      assertEquals(res.headers.get("accept-ranges"), "bytes");
      assertMatch(res.headers.get("etag")!, /^"[0-9a-f]+-[0-9a-f]+"$/);
      const mtime = (await Deno.stat(`${root}/hello.txt`)).mtime!;
      assertEquals(res.headers.get("last-modified"), mtime.toUTCString());
    });
    await t.step("an empty file", async () => {
      const res = await get(root, "/empty.bin");
      assertEquals(res.status, 200);
      assertEquals(res.headers.get("content-length"), "0");
      assertEquals(await text(res), "");
    });
    await t.step("a larger file streams whole", async () => {
      const res = await get(root, "/sub/big.bin");
      assertEquals((await res.text()).length, 3000);
    });
    await t.step("the ETag changes with the file", async () => {
      const first = await get(root, "/sub/deeper/a.ts");
      await text(first);
      await Deno.writeTextFile(
        `${root}/sub/deeper/a.ts`,
        "export const a = 22;\n",
      );
      const second = await get(root, "/sub/deeper/a.ts");
      await text(second);
      assert(first.headers.get("etag") !== second.headers.get("etag"));
    });
    await t.step("HEAD has the headers and no body", async () => {
      const res = await get(root, "/hello.txt", { method: "HEAD" });
      assertEquals(res.status, 200);
      assertEquals(res.headers.get("content-length"), "12");
      assertEquals(res.body, null);
      const listing = await get(root, "/sub/", { method: "HEAD" });
      assertEquals(listing.body, null);
      assert(Number(listing.headers.get("content-length")) > 0);
    });
    await t.step("other methods get 405 with Allow", async () => {
      for (const method of ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"]) {
        const res = await get(root, "/hello.txt", { method });
        assertEquals(res.status, 405, method);
        assertEquals(res.headers.get("allow"), "GET, HEAD");
        await text(res);
      }
    });
    await t.step("a missing file is 404", async () => {
      const res = await get(root, "/nope.txt");
      assertEquals(res.status, 404);
      await text(res);
    });
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("contentTypeFor() covers the common types", () => {
  const cases: [string, string][] = [
    ["index.html", "text/html; charset=utf-8"],
    ["style.css", "text/css; charset=utf-8"],
    ["app.js", "text/javascript; charset=utf-8"],
    ["app.mjs", "text/javascript; charset=utf-8"],
    ["get.ts", "application/typescript; charset=utf-8"],
    ["lib.mts", "application/typescript; charset=utf-8"],
    ["view.tsx", "text/tsx; charset=utf-8"],
    ["view.jsx", "text/jsx; charset=utf-8"],
    ["data.json", "application/json; charset=utf-8"],
    ["mod.wasm", "application/wasm"],
    ["a.png", "image/png"],
    ["a.JPG", "image/jpeg"],
    ["a.gif", "image/gif"],
    ["a.svg", "image/svg+xml"],
    ["favicon.ico", "image/vnd.microsoft.icon"],
    ["notes.txt", "text/plain; charset=utf-8"],
    ["README.md", "text/markdown; charset=utf-8"],
    ["doc.pdf", "application/pdf"],
    ["a.zip", "application/zip"],
    ["a.tar.gz", "application/gzip"],
    ["clip.mp4", "video/mp4"],
    ["blob", "application/octet-stream"],
    ["a.unknownext", "application/octet-stream"],
    [".bashrc", "application/octet-stream"],
  ];
  for (const [name, type] of cases) {
    assertEquals(contentTypeFor(name), type, name);
  }
});

Deno.test("serveDir() serves directories: redirect, index.html, listing", async (t) => {
  const { base, root } = await makeRoot();
  try {
    await t.step("a directory without a slash redirects with 301", async () => {
      const res = await get(root, "/site?x=1");
      assertEquals(res.status, 301);
      assertEquals(res.headers.get("location"), "/site/?x=1");
      const twice = await get(root, "//site");
      assertEquals(twice.headers.get("location"), "/site/", "not //site/");
    });
    await t.step("index.html is served for the directory", async () => {
      const res = await get(root, "/site/");
      assertEquals(res.status, 200);
      assertEquals(res.headers.get("content-type"), "text/html; charset=utf-8");
      assertEquals(await res.text(), "<h1>home</h1>");
    });
    await t.step(
      "an index.html linking outside the root is ignored",
      async () => {
        const res = await get(root, "/evil-index/");
        const html = await res.text();
        assert(!html.includes("secret"), "no secret served");
        assert(!html.includes("index.html"), "the link is not listed");
      },
    );
    await t.step("the listing escapes hostile names", async () => {
      const html = await (await get(root, "/")).text();
      assertStringIncludes(
        html,
        'href="%3Cscript%3E.txt">&lt;script&gt;.txt<',
      );
      assertStringIncludes(html, 'href="a%22b.txt">a&quot;b.txt<');
      assertStringIncludes(html, 'href="%26.txt">&amp;.txt<');
      assert(!html.includes("<script>"), "no raw script tag");
    });
    await t.step(
      "the listing sorts directories first, with sizes and dates",
      async () => {
        const html = await (await get(root, "/sub/")).text();
        assertStringIncludes(html, "<title>Index of /sub/</title>");
        assertStringIncludes(html, '<a href="../">../</a>');
        const deeper = html.indexOf('href="deeper/"');
        const big = html.indexOf('href="big.bin"');
        assert(deeper > 0 && big > deeper, "deeper/ before big.bin");
        assertStringIncludes(html, "2.9 KiB");
        assertMatch(html, /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
        const top = await (await get(root, "/")).text();
        assert(!top.includes('href="../"'), "no parent link at the root");
      },
    );
    await t.step(
      "the listing leaves out links that point outside",
      async () => {
        const html = await (await get(root, "/")).text();
        assert(!html.includes("outside-link"), "outside file link hidden");
        assert(!html.includes("outside-dir"), "outside directory link hidden");
        assertStringIncludes(html, 'href="inside-link.txt"');
        assertStringIncludes(html, 'href="inside-dir/"');
        assertStringIncludes(html, 'href="dangling"');
      },
    );
    await t.step("dotfiles are served unless dotfiles is false", async () => {
      assertEquals(await text(await get(root, "/.env")), "TOKEN=dot");
      assertStringIncludes(await text(await get(root, "/")), 'href=".env"');
      const hidden = { dotfiles: false };
      const res = await get(root, "/.env", {}, hidden);
      assertEquals(res.status, 404);
      await text(res);
      assert(!(await text(await get(root, "/", {}, hidden))).includes(".env"));
    });
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("serveDir() never leaves the root", async (t) => {
  const { base, root } = await makeRoot();
  try {
    await t.step(
      "dot segments, encoded separators, NUL, bad UTF-8",
      async () => {
        for (
          const path of [
            "/../secret.txt",
            "/../../secret.txt",
            "/%2e%2e/secret.txt",
            "/%2E%2E/secret.txt",
            "/%2E%2E%2Fsecret.txt",
            "/..%2fsecret.txt",
            "/..%2f..%2fetc/passwd",
            "/sub/..%2f..%2fsecret.txt",
            "/sub/%2e%2e/%2e%2e/secret.txt",
            "/sub/%2f/",
            "/sub/%2F..%2Fhello.txt",
            "/..%5csecret.txt",
            "/..\\secret.txt",
            "/sub\\..\\..\\secret.txt",
            "/hello.txt%00",
            "/hello.txt%00.png",
            "/%00",
            "/%E0%A4%A",
            "/%ff",
          ]
        ) {
          const res = await get(root, path);
          assertEquals(res.status, 404, path);
          assert(!(await text(res)).includes("secret"), path);
        }
      },
    );
    await t.step("links pointing outside are 404", async () => {
      for (
        const path of [
          "/outside-link",
          "/outside-dir/",
          "/outside-dir/secret.txt",
        ]
      ) {
        const res = await get(root, path);
        assertEquals(res.status, 404, path);
        await text(res);
      }
    });
    await t.step("links staying inside are served", async () => {
      const file = await get(root, "/inside-link.txt");
      assertEquals(await file.text(), "hello world\n");
      const dir = await get(root, "/inside-dir/deeper/a.ts");
      assertEquals(await dir.text(), "export const a = 1;\n");
      const dangling = await get(root, "/dangling");
      assertEquals(dangling.status, 404);
      await text(dangling);
    });
    await t.step("a root given through a link works", async () => {
      await Deno.symlink(root, `${base}/root-link`);
      const res = await serveDir(new Request("http://127.0.0.1/hello.txt"), {
        root: `${base}/root-link`,
      });
      assertEquals(await res.text(), "hello world\n");
    });
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("serveDir() answers byte ranges", async (t) => {
  const { base, root } = await makeRoot();
  try {
    await t.step("single ranges give 206 with Content-Range", async () => {
      for (
        const [range, expected, contentRange] of [
          ["bytes=0-4", "hello", "bytes 0-4/12"],
          ["bytes=6-", "world\n", "bytes 6-11/12"],
          ["bytes=-6", "world\n", "bytes 6-11/12"],
          ["bytes=6-100", "world\n", "bytes 6-11/12"],
          ["bytes=-100", "hello world\n", "bytes 0-11/12"],
          ["bytes=11-11", "\n", "bytes 11-11/12"],
          ["Bytes = 0 - 0", "h", "bytes 0-0/12"],
        ]
      ) {
        const res = await get(root, "/hello.txt", {
          headers: { range: range! },
        });
        assertEquals(res.status, 206, range);
        assertEquals(res.headers.get("content-range"), contentRange, range);
        assertEquals(
          res.headers.get("content-length"),
          String(expected!.length),
          range,
        );
        assertEquals(await res.text(), expected, range);
      }
    });
    await t.step(
      "unsatisfiable ranges give 416 with bytes */size",
      async () => {
        for (const range of ["bytes=12-", "bytes=50-60", "bytes=-0"]) {
          const res = await get(root, "/hello.txt", { headers: { range } });
          assertEquals(res.status, 416, range);
          assertEquals(res.headers.get("content-range"), "bytes */12", range);
          await text(res);
        }
        const empty = await get(root, "/empty.bin", {
          headers: { range: "bytes=0-" },
        });
        assertEquals(empty.status, 416);
        assertEquals(empty.headers.get("content-range"), "bytes */0");
        await text(empty);
      },
    );
    await t.step(
      "multiple or malformed ranges get the whole file",
      async () => {
        for (
          const range of [
            "bytes=0-1,3-4",
            "bytes=x",
            "items=0-1",
            "bytes=5-3",
            "bytes=-",
          ]
        ) {
          const res = await get(root, "/hello.txt", { headers: { range } });
          assertEquals(res.status, 200, range);
          assertEquals(res.headers.get("content-range"), null, range);
          assertEquals(await res.text(), "hello world\n", range);
        }
      },
    );
    await t.step("HEAD ignores Range", async () => {
      const res = await get(root, "/hello.txt", {
        method: "HEAD",
        headers: { range: "bytes=0-4" },
      });
      assertEquals(res.status, 200);
      assertEquals(res.headers.get("content-length"), "12");
      assertEquals(res.body, null);
    });
    await t.step(
      "If-Range with the current validator keeps the range",
      async () => {
        const first = await get(root, "/hello.txt", { method: "HEAD" });
        const etag = first.headers.get("etag")!;
        const date = first.headers.get("last-modified")!;
        for (const ifRange of [etag, date]) {
          const res = await get(root, "/hello.txt", {
            headers: { range: "bytes=0-4", "if-range": ifRange },
          });
          assertEquals(res.status, 206, ifRange);
          assertEquals(await res.text(), "hello");
        }
        for (
          const ifRange of [
            '"old"',
            `W/${etag}`,
            new Date(Date.parse(date) - 5000).toUTCString(),
            "garbage",
          ]
        ) {
          const res = await get(root, "/hello.txt", {
            headers: { range: "bytes=0-4", "if-range": ifRange },
          });
          assertEquals(res.status, 200, ifRange);
          assertEquals(await res.text(), "hello world\n");
        }
      },
    );
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("serveDir() answers conditional requests with 304", async () => {
  const { base, root } = await makeRoot();
  try {
    const first = await get(root, "/hello.txt", { method: "HEAD" });
    const etag = first.headers.get("etag")!;
    const date = first.headers.get("last-modified")!;
    const earlier = new Date(Date.parse(date) - 5000).toUTCString();
    const later = new Date(Date.parse(date) + 5000).toUTCString();
    const cases: [HeadersInit, number][] = [
      [{ "if-none-match": etag }, 304],
      [{ "if-none-match": `"other", W/${etag}` }, 304],
      [{ "if-none-match": "*" }, 304],
      [{ "if-none-match": '"other"' }, 200],
      [{ "if-modified-since": date }, 304],
      [{ "if-modified-since": later }, 304],
      [{ "if-modified-since": earlier }, 200],
      [{ "if-modified-since": "not a date" }, 200],
      // If-None-Match wins over If-Modified-Since, both ways.
      [{ "if-none-match": '"other"', "if-modified-since": later }, 200],
      [{ "if-none-match": etag, "if-modified-since": earlier }, 304],
    ];
    for (const [headers, status] of cases) {
      for (const method of ["GET", "HEAD"]) {
        const res = await get(root, "/hello.txt", { method, headers });
        assertEquals(
          res.status,
          status,
          `${method} ${JSON.stringify(headers)}`,
        );
        if (status === 304) {
          assertEquals(res.body, null);
          assertEquals(res.headers.get("etag"), etag);
        }
        await text(res);
      }
    }
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

/** Sends one raw request and returns the status line and body. */
async function rawRequest(port: number, target: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      new TextEncoder().encode(
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      ),
    );
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(4096);
    for (let n; (n = await conn.read(buf)) !== null;) {
      chunks.push(buf.slice(0, n));
    }
    return decoder.decode(new Uint8Array(chunks.flatMap((c) => [...c])));
  } finally {
    conn.close();
  }
}

Deno.test("startFileServer() serves a real socket, logs each request and survives errors", async (t) => {
  const { base, root } = await makeRoot();
  const lines: string[] = [];
  const errors: unknown[] = [];
  let waiter: (() => void) | null = null;
  const server = startFileServer({
    root,
    port: 0,
    log: (line) => {
      lines.push(line);
      waiter?.();
    },
    onError: (err) => errors.push(err),
  });
  /**
   * Runs `fn` and waits for its access-log line, unless `reachedHandler`
   * says the request never got to the handler (a 400 from Deno itself).
   */
  async function logged<T>(
    fn: () => Promise<T>,
    reachedHandler: (result: T) => boolean = () => true,
  ): Promise<[T, string]> {
    const before = lines.length;
    const { promise, resolve } = Promise.withResolvers<void>();
    waiter = () => lines.length > before && resolve();
    const result = await fn();
    if (lines.length > before) resolve();
    if (reachedHandler(result)) await promise;
    waiter = null;
    return [result, lines[before] ?? ""];
  }
  const origin = `http://127.0.0.1:${server.addr.port}`;
  try {
    await t.step("GET a file", async () => {
      const [body, line] = await logged(async () =>
        await (await fetch(`${origin}/hello.txt?v=1`)).text()
      );
      assertEquals(body, "hello world\n");
      assertMatch(
        line,
        /^127\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET \/hello\.txt\?v=1 HTTP\/1\.1" 200 12 \d+\.\dms$/,
      );
    });
    await t.step("HEAD and 404 lines", async () => {
      const [, head] = await logged(async () =>
        await (await fetch(`${origin}/hello.txt`, { method: "HEAD" })).text()
      );
      assertMatch(head, /"HEAD \/hello\.txt HTTP\/1\.1" 200 - /);
      const [, missing] = await logged(async () =>
        await (await fetch(`${origin}/nope`)).text()
      );
      assertMatch(missing, /"GET \/nope HTTP\/1\.1" 404 10 /);
    });
    await t.step("raw traversal requests never reach outside", async () => {
      for (
        const target of [
          "/../secret.txt",
          "/../../../../etc/passwd",
          "/%2e%2e/secret.txt",
          "/..%2fsecret.txt",
          "/..%2f..%2fetc/passwd",
          "/..\\secret.txt",
          "/%5c..%5csecret.txt",
          "//../secret.txt",
          "/outside-link",
        ]
      ) {
        const [response] = await logged(
          () => rawRequest(server.addr.port, target),
          (response) => !response.startsWith("HTTP/1.1 400 "),
        );
        assertMatch(response, /^HTTP\/1\.1 (400|404) /, target);
        assert(!response.includes("secret"), target);
        assert(!response.includes("root:"), target);
      }
    });
    await t.step(
      "a failing request is a 500 and the server goes on",
      async () => {
        await Deno.rename(root, `${base}/moved`);
        const [status, line] = await logged(async () => {
          const res = await fetch(`${origin}/hello.txt`);
          await res.text();
          return res.status;
        });
        assertEquals(status, 500);
        assertMatch(line, /" 500 22 /);
        assert(
          errors.length === 1 && errors[0] instanceof Deno.errors.NotFound,
        );
        await Deno.rename(`${base}/moved`, root);
        const [body] = await logged(async () =>
          await (await fetch(`${origin}/hello.txt`)).text()
        );
        assertEquals(body, "hello world\n");
      },
    );
  } finally {
    await server.shutdown();
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("file_server.ts runs as a script: --help, usage errors, serving until SIGTERM", async (t) => {
  await t.step("--help exits 0 and names the permission flags", async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-net", "--allow-read", SCRIPT, "--help"],
      stdout: "piped",
    }).output();
    assertEquals(out.code, 0);
    const help = decoder.decode(out.stdout);
    assertStringIncludes(
      help,
      "deno run --allow-net --allow-read file_server.ts",
    );
    assertStringIncludes(help, "--port N");
    assertStringIncludes(help, "--[no-]dotfiles");
  });
  await t.step("usage errors exit 2, failures exit 1", async () => {
    for (
      const [args, code, message] of [
        [["--bogus"], 2, 'error: Unknown flag: "--bogus"\nRun with --help'],
        [["--port", "http"], 2, 'Flag "--port" needs a whole number'],
        [["--port"], 2, 'Flag "--port" needs a value'],
        [["a", "b"], 2, "Expected at most one directory, got 2"],
        [["/no/such/dir"], 1, 'error: Not a directory: "/no/such/dir"'],
      ] as const
    ) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-net", "--allow-read", SCRIPT, ...args],
        stderr: "piped",
      }).output();
      assertEquals(out.code, code, args.join(" "));
      assertStringIncludes(decoder.decode(out.stderr), message);
    }
  });
  await t.step("serves, logs, and exits 0 on SIGTERM", async () => {
    const { base, root } = await makeRoot();
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        `--allow-net=127.0.0.1`,
        `--allow-read=${root}`,
        SCRIPT,
        root,
        "--port",
        "0",
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stdout = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    const stderr = new Response(child.stderr).text();
    try {
      let out = "";
      while (!out.includes("\n")) {
        const { value, done } = await stdout.read();
        if (done) break;
        out += value;
      }
      const match = /^Serving (.+) on http:\/\/127\.0\.0\.1:(\d+)\/\n/.exec(
        out,
      );
      assert(match, `banner: ${out}`);
      assertEquals(match[1], root);
      const res = await fetch(`http://127.0.0.1:${match[2]}/sub/deeper/a.ts`);
      assertEquals(await res.text(), "export const a = 1;\n");
      child.kill("SIGTERM");
      for (let r; !(r = await stdout.read()).done;) out += r.value;
      assertEquals((await child.status).code, 0);
      assertMatch(out, /"GET \/sub\/deeper\/a\.ts HTTP\/1\.1" 200 20 /);
      assertEquals(await stderr, "");
    } finally {
      stdout.releaseLock();
      await Deno.remove(base, { recursive: true });
    }
  });
  await t.step("main() rejects usage mistakes with UsageError", async () => {
    await assertRejects(() => main(["--port=-1"]), UsageError);
    await assertRejects(() => main(["-x"]), UsageError);
  });
});

Deno.test("deno run http://127.0.0.1:PORT/main.ts runs TypeScript served by it, with no flags", async () => {
  const { base, root } = await makeRoot();
  await Deno.writeTextFile(`${root}/lib.mts`, "export const m = 2;\n");
  await Deno.writeTextFile(
    `${root}/view.tsx`,
    "export const t: number = 3;\n",
  );
  await Deno.writeTextFile(`${root}/view.jsx`, "export const j = 4;\n");
  await Deno.writeTextFile(`${root}/plain.js`, "export const p = 5;\n");
  await Deno.writeTextFile(`${root}/esm.mjs`, "export const e = 6;\n");
  await Deno.writeTextFile(`${root}/data.json`, '{ "d": 7 }\n');
  await Deno.writeTextFile(
    `${root}/main.ts`,
    [
      'import { a } from "./sub/deeper/a.ts";',
      'import { m } from "./lib.mts";',
      'import { t } from "./view.tsx";',
      'import { j } from "./view.jsx";',
      'import { p } from "./plain.js";',
      'import { e } from "./esm.mjs";',
      'import data from "./data.json" with { type: "json" };',
      'const { x } = await import("./dynamic.ts");',
      "const n: number = a + m + t + j + p + e + data.d + x;",
      'console.log("sum", n);',
    ].join("\n"),
  );
  await Deno.writeTextFile(`${root}/dynamic.ts`, "export const x = 8;\n");
  const server = startFileServer({ root, port: 0 });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--reload",
        "--check",
        `http://127.0.0.1:${server.addr.port}/main.ts`,
      ],
      cwd: base,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = decoder.decode(out.stderr);
    assertEquals(decoder.decode(out.stdout), "sum 36\n", stderr);
    assertEquals(out.code, 0);
  } finally {
    await server.shutdown();
    await Deno.remove(base, { recursive: true });
  }
});
