// deno-lint-ignore-file no-console
/**
 * Benchmark reference, not a product: the least a reverse proxy on
 * `Deno.serve` can do. It forwards `GET` only, over a pool of raw
 * `Deno.connect` keep-alive connections, reads Content-Length responses
 * only, and copies no header but Content-Type: no hop-by-hop rules, no
 * X-Forwarded-*, no streaming, no timeouts, no logging. Its requests/s is the
 * ceiling of any `Deno.serve` proxy on the machine, so the bench shows how
 * close the redirector comes to it.
 *
 * ```sh
 * deno run --allow-net bench/bare_proxy.ts http://127.0.0.1:8091 --port 8099
 * ```
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder("latin1");
const HEAD_END = /\r\n\r\n/;
const LENGTH = /\r\ncontent-length:\s*(\d+)/i;
const TYPE = /\r\ncontent-type:\s*([^\r]*)/i;

function main(): void {
  const upstream = new URL(Deno.args[0] ?? "");
  const portAt = Deno.args.indexOf("--port");
  const port = portAt >= 0 ? Number(Deno.args[portAt + 1]) : 8099;
  const hostname = upstream.hostname;
  const upstreamPort = Number(upstream.port || 80);
  const idle: Deno.TcpConn[] = [];

  async function forward(path: string): Promise<Response> {
    const conn = idle.pop() ??
      await Deno.connect({ hostname, port: upstreamPort });
    await conn.write(
      encoder.encode(`GET ${path} HTTP/1.1\r\nHost: ${upstream.host}\r\n\r\n`),
    );
    let buffer = new Uint8Array(128 * 1024);
    let filled = 0;
    let bodyAt = -1, length = 0, type = "";
    while (true) {
      if (filled === buffer.length) {
        const bigger = new Uint8Array(buffer.length * 2);
        bigger.set(buffer);
        buffer = bigger;
      }
      const n = await conn.read(buffer.subarray(filled));
      if (n === null) {
        conn.close();
        return new Response("upstream closed", { status: 502 });
      }
      filled += n;
      if (bodyAt < 0) {
        const text = decoder.decode(buffer.subarray(0, Math.min(filled, 8192)));
        const end = HEAD_END.exec(text);
        if (!end) continue;
        bodyAt = end.index + 4;
        const head = text.slice(0, end.index);
        length = Number(LENGTH.exec(head)?.[1] ?? 0);
        type = TYPE.exec(head)?.[1] ?? "application/octet-stream";
        if (bodyAt + length > buffer.length) {
          const bigger = new Uint8Array(bodyAt + length);
          bigger.set(buffer.subarray(0, filled));
          buffer = bigger;
        }
      }
      if (filled >= bodyAt + length) break;
    }
    idle.push(conn);
    return new Response(buffer.subarray(bodyAt, bodyAt + length), {
      headers: { "content-type": type },
    });
  }

  Deno.serve({
    hostname: "127.0.0.1",
    port,
    onListen: ({ port }) => console.log(`Serving HTTP on 127.0.0.1:${port}`),
  }, (request) => {
    const url = request.url;
    return forward(url.slice(url.indexOf("/", url.indexOf("//") + 2)));
  });
}

if (import.meta.main) main();
