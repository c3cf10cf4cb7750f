// deno-lint-ignore-file no-console
/**
 * Run by tests/http_server_test.ts with `--v8-flags=--expose-gc`: opens 200
 * keep-alive connections to a server, gets a 60 KiB inline body, a chunked
 * stream and a 1 MiB source body on each, keeps them open and idle, and
 * prints how many KiB of array buffers the process holds more than before.
 *
 * @module
 */

import { serveHttp } from "../../protocols/http_server.ts";

const CONNECTIONS = 200;
const inline = new Uint8Array(60 * 1024).fill(97);
const server = serveHttp({ port: 0, hostname: "127.0.0.1" }, (req) => {
  if (req.target === "/inline") return { status: 200, body: inline };
  if (req.target === "/source") {
    let left = 1 << 20;
    return {
      status: 200,
      contentLength: left,
      body: {
        readInto(p: Uint8Array): Promise<number | null> {
          if (left === 0) return Promise.resolve(null);
          const n = Math.min(left, p.length);
          left -= n;
          p.fill(98, 0, n);
          return Promise.resolve(n);
        },
        cancel(): void {},
      },
    };
  }
  let left = 1 << 20;
  return {
    status: 200,
    body: new ReadableStream<Uint8Array>({
      pull(controller) {
        if (left === 0) return controller.close();
        const n = Math.min(left, 64 * 1024);
        left -= n;
        controller.enqueue(new Uint8Array(n));
      },
    }),
  };
});

const scratch = new Uint8Array(256 * 1024);
const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** Sends one GET and reads its whole response (Content-Length or chunked). */
async function get(conn: Deno.Conn, path: string): Promise<void> {
  await conn.write(encoder.encode(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`));
  let head = "";
  let left = -1; // body bytes still to come; Infinity for chunked
  let tail = "";
  while (true) {
    const n = await conn.read(scratch);
    if (n === null) throw new Error("server closed");
    let body = latin1.decode(scratch.subarray(0, n));
    if (left < 0) {
      head += body;
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) continue;
      const length = /content-length: (\d+)/i.exec(head.slice(0, end));
      left = length ? Number(length[1]) : Infinity;
      body = head.slice(end + 4);
    }
    if (left === Infinity) {
      tail = (tail + body).slice(-5);
      if (tail === "0\r\n\r\n") return;
    } else {
      left -= body.length;
      if (left <= 0) return;
    }
  }
}

const gc = (globalThis as unknown as { gc: () => void }).gc;
const conns: Deno.Conn[] = [];
const open = async () => {
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: server.addr.port,
  });
  conns.push(conn);
  for (const path of ["/inline", "/stream", "/source"]) await get(conn, path);
};
await open();
gc();
gc();
const before = Deno.memoryUsage().external;
for (let i = 0; i < CONNECTIONS; i++) await open();
gc();
gc();
const after = Deno.memoryUsage().external;
for (const conn of conns) conn.close();
await server.shutdown();
console.log(Math.round((after - before) / 1024));
