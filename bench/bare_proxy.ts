// deno-lint-ignore-file no-console
/**
 * Benchmark reference, not a product: the least a reverse proxy on
 * `Deno.listen` can do. Per request it makes the same four socket calls as
 * the redirector (read the request, write it upstream over a pooled
 * keep-alive connection, read the response, write it back), and nothing
 * else: `GET` only, Content-Length responses only, heads scanned for their
 * end and length but not parsed, no header rules, no X-Forwarded-*, no
 * streaming, no timeouts, no logging. Its requests/s is what the runtime
 * allows a JavaScript proxy on the machine, so the bench shows how much of
 * that the redirector's HTTP handling costs.
 *
 * ```sh
 * deno run --allow-net bench/bare_proxy.ts http://127.0.0.1:8091 --port 8099
 * ```
 *
 * @module
 */

const encoder = new TextEncoder();
const ascii = new TextDecoder();
const LENGTH_REGEXP = /\r\ncontent-length:\s*(\d+)/i;

/** The index just past `\r\n\r\n` in `buf[0, to)`, or -1. */
function headEnd(buf: Uint8Array, to: number): number {
  for (let i = buf.indexOf(10); i >= 0 && i < to; i = buf.indexOf(10, i + 1)) {
    if (buf[i - 1] === 13 && buf[i - 2] === 10 && buf[i - 3] === 13) {
      return i + 1;
    }
  }
  return -1;
}

function main(): void {
  const upstream = new URL(Deno.args[0] ?? "");
  const portAt = Deno.args.indexOf("--port");
  const port = portAt >= 0 ? Number(Deno.args[portAt + 1]) : 8099;
  const target = { hostname: upstream.hostname, port: Number(upstream.port) };
  const hostLine = `Host: ${upstream.host}\r\n\r\n`;
  const idle: Deno.TcpConn[] = [];

  async function relay(conn: Deno.TcpConn): Promise<void> {
    const request = new Uint8Array(16 * 1024);
    let response = new Uint8Array(128 * 1024);
    let filled = 0;
    try {
      while (true) {
        let end = headEnd(request, filled);
        while (end < 0) {
          const n = await conn.read(request.subarray(filled));
          if (n === null) return;
          filled += n;
          end = headEnd(request, filled);
        }
        const head = ascii.decode(request.subarray(0, end));
        const target0 = head.slice(head.indexOf(" ") + 1, head.indexOf(" H"));
        request.copyWithin(0, end, filled);
        filled -= end;
        const up = idle.pop() ?? await Deno.connect(target);
        await up.write(
          encoder.encode(`GET ${target0} HTTP/1.1\r\n${hostLine}`),
        );
        let got = 0, total = -1;
        while (total < 0 || got < total) {
          if (got === response.length) {
            const bigger = new Uint8Array(response.length * 2);
            bigger.set(response);
            response = bigger;
          }
          const n = await up.read(response.subarray(got));
          if (n === null) throw new Error("upstream closed");
          got += n;
          if (total < 0) {
            const at = headEnd(response, got);
            if (at < 0) continue;
            const length = LENGTH_REGEXP.exec(
              ascii.decode(response.subarray(0, at)),
            );
            total = at + Number(length?.[1] ?? 0);
            if (total > response.length) {
              const bigger = new Uint8Array(total);
              bigger.set(response.subarray(0, got));
              response = bigger;
            }
          }
        }
        idle.push(up);
        for (let off = 0; off < total;) {
          off += await conn.write(response.subarray(off, total));
        }
      }
    } catch {
      // A client or upstream went away: drop the connection.
    } finally {
      conn.close();
    }
  }

  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  console.log(`Serving HTTP on 127.0.0.1:${port}`);
  (async () => {
    for await (const conn of listener) relay(conn);
  })();
}

if (import.meta.main) main();
