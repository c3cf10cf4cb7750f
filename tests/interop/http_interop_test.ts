/**
 * The HTTP client and the redirector against real nginx from Debian (started
 * by `bash tests/interop/peers.sh start`), and curl as a client through the
 * redirector: the 100 MiB body must arrive with the sha256 of the file on
 * nginx's disk.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { HttpClient } from "../../protocols/http.ts";
import { startRedirectorProcess } from "../_redirector_process.ts";
import { type Peers, peerTest } from "./_peers.ts";
import { assert, assertEquals, assertMatch } from "../_assert.ts";

async function sha256Of(
  body: ReadableStream<Uint8Array>,
): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of body) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { bytes, sha256: hash.digest("hex") };
}

function header(lines: [string, string][], name: string): string[] {
  return lines.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
}

/** curl through `url`, streaming its output into a sha256. */
async function curlSha256(
  url: string,
  extra: string[] = [],
): Promise<{ code: number; bytes: number; sha256: string; meta: string }> {
  const child = new Deno.Command("curl", {
    args: [
      "-sS",
      "--no-progress-meter",
      "-o",
      "-",
      "-w",
      "%{stderr}%{http_code} %{size_download}",
      ...extra,
      url,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const [digest, meta, status] = await Promise.all([
    sha256Of(child.stdout),
    new Response(child.stderr).text(),
    child.status,
  ]);
  return { code: status.code, ...digest, meta: meta.trim() };
}

peerTest(
  "HttpClient reads nginx: status, reason, header lines, bodies byte for byte",
  "nginx",
  async (t, peers: Peers) => {
    const { files } = peers.www;
    const client = new HttpClient();
    try {
      await t.step("1 KiB, 64 KiB and 100 MiB with their sha256", async () => {
        for (const key of ["1k", "64k", "100m"] as const) {
          const file = files[key];
          const res = await client.request(`${peers.nginx.url}${file.path}`);
          assertEquals(res.status, 200);
          assertEquals(res.reason, "OK");
          assertEquals(res.version, "HTTP/1.1");
          assertEquals(header(res.headerLines, "content-length"), [
            String(file.size),
          ]);
          assertMatch(res.headers.get("server") ?? "", /^nginx/);
          assertEquals(await sha256Of(res.body!), {
            bytes: file.size,
            sha256: file.sha256,
          });
        }
      });
      await t.step("HEAD has the length and no body", async () => {
        const res = await client.request(
          `${peers.nginx.url}${files["64k"].path}`,
          { method: "HEAD" },
        );
        assertEquals(res.status, 200);
        assertEquals(res.headers.get("content-length"), "65536");
        assertEquals(res.body, null);
      });
      await t.step(
        "a missing file is 404 Not Found with nginx's page",
        async () => {
          const res = await client.request(`${peers.nginx.url}/no-such-file`);
          assertEquals(res.status, 404);
          assertEquals(res.reason, "Not Found");
          const text = await new Response(res.body).text();
          assertMatch(text, /404 Not Found/);
        },
      );
      await t.step("a byte range is 206 with exactly those bytes", async () => {
        const whole = await client.request(
          `${peers.nginx.url}${files["1k"].path}`,
        );
        const all = new Uint8Array(
          await new Response(whole.body).arrayBuffer(),
        );
        const res = await client.request(
          `${peers.nginx.url}${files["1k"].path}`,
          {
            headers: { range: "bytes=100-199" },
          },
        );
        assertEquals(res.status, 206);
        assertEquals(res.headers.get("content-range"), "bytes 100-199/1024");
        const part = new Uint8Array(await new Response(res.body).arrayBuffer());
        assertEquals(part, all.subarray(100, 200));
      });
      await t.step(
        "many requests in a row on kept-alive connections",
        async () => {
          for (let i = 0; i < 200; i++) {
            const res = await client.request(
              `${peers.nginx.url}${files["1k"].path}`,
            );
            assertEquals(
              (await new Response(res.body).arrayBuffer()).byteLength,
              1024,
            );
          }
        },
      );
    } finally {
      client.close();
    }
  },
);

peerTest(
  "redirector in front of nginx: curl and HttpClient get every byte, each request logged",
  "nginx",
  async (t, peers: Peers) => {
    const { files } = peers.www;
    const proxy = await startRedirectorProcess(`${peers.nginx.url}/`);
    const client = new HttpClient();
    let expectedLines = 0;
    try {
      await t.step(
        "curl: 100 MiB with the sha256 of nginx's file",
        async () => {
          const got = await curlSha256(`${proxy.url}${files["100m"].path}`);
          assertEquals(got.code, 0, got.meta);
          assertEquals(got.meta, `200 ${files["100m"].size}`);
          assertEquals(got.bytes, files["100m"].size);
          assertEquals(got.sha256, files["100m"].sha256);
          expectedLines++;
        },
      );
      await t.step(
        "curl: 1 KiB and 64 KiB over one kept-alive connection",
        async () => {
          const child = await new Deno.Command("curl", {
            args: [
              "-sS",
              "-o",
              "/dev/null",
              "-o",
              "/dev/null",
              "-w",
              "%{http_code} %{size_download} %{num_connects}\n",
              `${proxy.url}${files["1k"].path}`,
              `${proxy.url}${files["64k"].path}`,
            ],
            stdout: "piped",
            stderr: "piped",
          }).output();
          assertEquals(child.code, 0, new TextDecoder().decode(child.stderr));
          assertEquals(
            new TextDecoder().decode(child.stdout),
            "200 1024 1\n200 65536 0\n",
          );
          expectedLines += 2;
        },
      );
      await t.step(
        "HttpClient: status, reason and nginx's fields pass through",
        async () => {
          const res = await client.request(`${proxy.url}${files["64k"].path}`);
          assertEquals(res.status, 200);
          assertMatch(res.headers.get("server") ?? "", /^nginx/);
          assertEquals(header(res.headerLines, "via"), ["1.1 inetkit"]);
          assertEquals(await sha256Of(res.body!), {
            bytes: files["64k"].size,
            sha256: files["64k"].sha256,
          });
          const head = await client.request(
            `${proxy.url}${files["64k"].path}`,
            {
              method: "HEAD",
            },
          );
          assertEquals(head.headers.get("content-length"), "65536");
          assertEquals(head.body, null);
          const missing = await client.request(`${proxy.url}/no-such-file`);
          assertEquals(missing.status, 404);
          await new Response(missing.body).arrayBuffer();
          expectedLines += 3;
        },
      );
      await t.step(
        "a POST to a static file gets nginx's own answer",
        async () => {
          const res = await client.request(`${proxy.url}${files["1k"].path}`, {
            method: "POST",
            body: "x".repeat(10_000),
          });
          assertEquals(res.status, 405);
          await new Response(res.body).arrayBuffer();
          expectedLines++;
        },
      );
      await t.step("one Common Log Format line per request", async () => {
        await proxy.waitForLines(expectedLines);
        assertEquals(proxy.lines.length, expectedLines);
        assertMatch(
          proxy.lines[0]!,
          new RegExp(
            `^127\\.0\\.0\\.1 - - \\[[^\\]]+\\] "GET ${
              files["100m"].path.replace(".", "\\.")
            } HTTP/1\\.1" 200 ${files["100m"].size} [\\d.]+ms$`,
          ),
        );
        assert(
          proxy.lines.some((l) =>
            /"HEAD \/64k\.bin HTTP\/1\.1" 200 - /.test(l)
          ),
          proxy.lines.join("\n"),
        );
        assert(
          proxy.lines.some((l) =>
            /"GET \/no-such-file HTTP\/1\.1" 404 /.test(l)
          ),
          proxy.lines.join("\n"),
        );
      });
    } finally {
      client.close();
      await proxy.stop();
    }
  },
);
