import { HttpClient } from "../protocols/http.ts";
import { BufferedReader } from "../protocols/buffered_reader.ts";
import { HttpProtocolError } from "../protocols/_http_message.ts";
import { readResponseHead } from "../protocols/_http_message.ts";
import {
  HttpRequestError,
  parseRequestHead,
  scanRequestHead,
} from "../protocols/_http_request_head.ts";
import { serveHttp } from "../protocols/http_server.ts";
import { ConnectionClosedError, ProtocolError } from "../protocols/errors.ts";
import { assert, assertEquals } from "./_assert.ts";
import { startMockServer } from "./_mock_server.ts";

/** A small deterministic generator (xorshift32), so a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

/** Bytes an attacker likes in a head. */
const SPICE = [0, 9, 10, 13, 32, 34, 44, 58, 59, 127, 0x80, 0xc3, 0xff];

/** `base` with a few random edits: a byte changed, inserted, removed or a run doubled. */
function mutate(base: Uint8Array, next: () => number): Uint8Array {
  let bytes = Array.from(base);
  const edits = 1 + Math.floor(next() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(next() * (bytes.length + 1));
    const pick = next() < 0.6
      ? SPICE[Math.floor(next() * SPICE.length)]!
      : Math.floor(next() * 256);
    switch (Math.floor(next() * 4)) {
      case 0:
        bytes[Math.min(at, bytes.length - 1)] = pick;
        break;
      case 1:
        bytes.splice(at, 0, pick);
        break;
      case 2:
        bytes.splice(at, 1);
        break;
      default: {
        const end = Math.min(bytes.length, at + 1 + Math.floor(next() * 12));
        bytes = [
          ...bytes.slice(0, end),
          ...bytes.slice(at, end),
          ...bytes.slice(end),
        ];
      }
    }
  }
  return Uint8Array.from(bytes);
}

const encoder = new TextEncoder();
const REQUESTS = [
  "GET /a?b=c HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n",
  "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
  "PUT /u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
  "GET / HTTP/1.0\r\nConnection: keep-alive\r\nX-A: 1\r\n\r\n",
].map((r) => encoder.encode(r));
const RESPONSES = [
  "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello",
  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
  "HTTP/1.1 204 No Content\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n",
  "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nclose-delimited",
].map((r) => encoder.encode(r));
const LIMITS = {
  maxHeaderBytes: 4096,
  maxHeaderCount: 20,
  maxRequestLine: 1024,
};

Deno.test(
  "request heads: any mutation parses or fails with HttpRequestError, never anything else",
  {
    permissions: "none",
  },
  () => {
    const next = random(0x5eed);
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      const bytes = mutate(REQUESTS[i % REQUESTS.length]!, next);
      try {
        const found = scanRequestHead(bytes, 0, LIMITS);
        if (!("end" in found)) continue;
        const head = parseRequestHead(bytes.subarray(0, found.end), LIMITS);
        // Whatever is accepted is unambiguous.
        assert(!(head.chunked && head.contentLength !== null), "CL with TE");
        assert(!/[\s\0]/.test(head.method), "method with space or NUL");
        // deno-lint-ignore no-control-regex
        assert(!/[\x00-\x20\x7f]/.test(head.target), "target with a control");
        for (const [name, value] of head.fields) {
          assert(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name), name);
          assert(!/[\r\n\0]/.test(value), JSON.stringify(value));
        }
      } catch (err) {
        if (!(err instanceof HttpRequestError)) {
          throw new Error(
            `Input ${
              JSON.stringify(String.fromCharCode(...bytes))
            } threw ${err}`,
          );
        }
        assert(err.status >= 400 && err.status < 600);
        refused++;
      }
    }
    assert(refused > 1000, `only ${refused} of the mutations were refused`);
  },
);

/** A reader over fixed bytes, handed out in pieces of random size. */
function pieces(bytes: Uint8Array, next: () => number): BufferedReader {
  let off = 0;
  return new BufferedReader({
    read(p: Uint8Array): Promise<number | null> {
      if (off >= bytes.length) return Promise.resolve(null);
      const n = Math.min(
        p.length,
        bytes.length - off,
        1 + Math.floor(next() * 40),
      );
      p.set(bytes.subarray(off, off + n));
      off += n;
      return Promise.resolve(n);
    },
  }, { maxLineBytes: 8192 });
}

Deno.test(
  "response heads: any mutation, in any split, parses or fails with a typed error",
  {
    permissions: "none",
  },
  async () => {
    const next = random(0xfeed);
    for (let i = 0; i < 10_000; i++) {
      const bytes = mutate(RESPONSES[i % RESPONSES.length]!, next);
      try {
        const head = await readResponseHead(
          pieces(bytes, next),
          { maxBytes: 4096, maxCount: 20 },
          { statusLine: false },
        );
        if (head === null) continue;
        assert(head.status >= 100 && head.status <= 999);
        for (const [, value] of head.fields) {
          assert(!/[\r\n\0]/.test(value), JSON.stringify(value));
        }
      } catch (err) {
        if (
          !(err instanceof ProtocolError) &&
          !(err instanceof ConnectionClosedError)
        ) {
          throw new Error(
            `Input ${
              JSON.stringify(String.fromCharCode(...bytes))
            } threw ${err}`,
          );
        }
      }
    }
  },
);

Deno.test("the server answers mutated requests over sockets and keeps serving", async () => {
  const next = random(0xbeef);
  let handled = 0;
  const server = serveHttp({ port: 0, onError() {} }, async (req) => {
    handled++;
    const body = await req.bytes(1 << 16).catch(() => null);
    return {
      status: body === null ? 400 : 200,
      body: body === null ? "bad body\n" : `${body.length}\n`,
    };
  });
  try {
    for (let i = 0; i < 300; i++) {
      const bytes = mutate(REQUESTS[i % REQUESTS.length]!, next);
      const conn = await Deno.connect({
        hostname: "127.0.0.1",
        port: server.addr.port,
      });
      await conn.write(bytes).catch(() => {});
      await conn.closeWrite().catch(() => {});
      const reply = new Uint8Array(
        await new Response(conn.readable).arrayBuffer().catch(() =>
          new ArrayBuffer(0)
        ),
      );
      const text = String.fromCharCode(...reply.subarray(0, 12));
      // Either a status line, or nothing at all (a head cut short by EOF).
      assert(
        reply.length === 0 || /^HTTP\/1\.1 \d{3}/.test(text),
        JSON.stringify(text),
      );
    }
    const res = await fetch(`http://127.0.0.1:${server.addr.port}/ok`);
    assertEquals([res.status, await res.text()], [200, "0\n"]);
    assert(handled > 0);
  } finally {
    await server.shutdown();
  }
});

Deno.test("the client meets mutated responses with a typed error or a response, and its pool survives", async () => {
  const next = random(0xc0de);
  const replies: Uint8Array[] = [];
  const upstream = startMockServer(async (peer) => {
    const line = await peer.readLine();
    if (line === null) return;
    while ((await peer.readLine()) !== "") { /* the rest of the head */ }
    await peer.write(replies.shift() ?? RESPONSES[0]!);
  });
  const client = new HttpClient();
  try {
    for (let i = 0; i < 200; i++) {
      replies.push(mutate(RESPONSES[i % RESPONSES.length]!, next));
      try {
        const res = await client.request(
          `http://127.0.0.1:${upstream.port}/${i}`,
          { headers: [["Connection", "close"]], timeout: 2000 },
        );
        await res.bytes(1 << 16).catch((err) => {
          assert(
            err instanceof ProtocolError ||
              err instanceof ConnectionClosedError,
            String(err),
          );
        });
      } catch (err) {
        assert(
          err instanceof HttpProtocolError || err instanceof ProtocolError ||
            err instanceof ConnectionClosedError,
          String(err),
        );
      }
    }
    replies.length = 0;
    const res = await client.request(`http://127.0.0.1:${upstream.port}/last`);
    assertEquals(new TextDecoder().decode(await res.bytes()), "hello");
  } finally {
    client.close();
    await upstream.close();
  }
});
