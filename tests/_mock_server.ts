/**
 * A scripted loopback server for tests: listens on 127.0.0.1 port 0, runs a
 * handler per connection, records every line it reads, and closes everything
 * it opened on `close()` so the resource sanitizer stays quiet.
 *
 * @module
 */

import { concatBytes } from "../protocols/_bytes.ts";
import { BufferedReader } from "../protocols/buffered_reader.ts";

const encoder = new TextEncoder();

/** One accepted connection, as the handler sees it. */
export class MockPeer {
  /** The raw connection. */
  readonly conn: Deno.Conn;
  /** Buffered reads on it. */
  readonly reader: BufferedReader;
  #log: string[];
  #closed = false;

  constructor(conn: Deno.Conn, log: string[]) {
    this.conn = conn;
    this.reader = new BufferedReader(conn, { maxLineBytes: 1 << 20 });
    this.#log = log;
  }

  /** Reads a line (recorded in the server's `received`), or null at EOF / error. */
  async readLine(): Promise<string | null> {
    try {
      const line = await this.reader.readLine();
      if (line !== null) this.#log.push(line);
      return line;
    } catch {
      return null;
    }
  }

  /** Writes a string or bytes; errors (peer gone) are ignored. */
  async write(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    try {
      let off = 0;
      while (off < bytes.length) {
        off += await this.conn.write(bytes.subarray(off));
      }
    } catch {
      // The client went away: tests check the client side.
    }
  }

  /** Reads and discards until EOF. */
  async drain(): Promise<void> {
    const buf = new Uint8Array(16384);
    try {
      while ((await this.reader.read(buf)) !== null) { /* discard */ }
    } catch { /* closed */ }
  }

  /** Closes the connection (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }
}

/** A running mock server. */
export interface MockServer {
  /** Always "127.0.0.1". */
  hostname: string;
  /** The port it listens on. */
  port: number;
  /** Every line read by any handler through `peer.readLine()`, in order. */
  received: string[];
  /** Number of connections accepted so far. */
  readonly accepted: number;
  /** Stops listening, closes every connection and waits for the handlers. */
  close(): Promise<void>;
}

/**
 * Starts a mock server; `handler` runs once per connection. The connection is
 * closed when the handler returns.
 */
export function startMockServer(
  handler: (peer: MockPeer, index: number) => Promise<void>,
): MockServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const received: string[] = [];
  const peers = new Set<MockPeer>();
  const tasks: Promise<void>[] = [];
  let accepted = 0;
  const loop = (async () => {
    while (true) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      const peer = new MockPeer(conn, received);
      peers.add(peer);
      const index = accepted++;
      tasks.push(
        (async () => {
          try {
            await handler(peer, index);
          } catch {
            // Handler failures show up as client-side assertion failures.
          } finally {
            peer.close();
            peers.delete(peer);
          }
        })(),
      );
    }
  })();
  return {
    hostname: "127.0.0.1",
    port: (listener.addr as Deno.NetAddr).port,
    received,
    get accepted() {
      return accepted;
    },
    async close() {
      try {
        listener.close();
      } catch { /* closed */ }
      await loop;
      for (const p of peers) p.close();
      await Promise.all(tasks);
    },
  };
}

/** Collects a byte stream into a string. */
export async function streamText(
  stream: ReadableStream<Uint8Array>,
): Promise<string> {
  return new TextDecoder().decode(await streamBytes(stream));
}

/** Collects a byte stream into one array. */
export async function streamBytes(
  stream: ReadableStream<Uint8Array>,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of stream) {
    parts.push(chunk);
    n += chunk.length;
  }
  return concatBytes(parts);
}

/** A ByteSource over fixed chunks, for reader tests without sockets. */
export function chunkSource(...chunks: (string | Uint8Array)[]): {
  read(p: Uint8Array): Promise<number | null>;
} {
  const queue = chunks.map((c) =>
    typeof c === "string" ? encoder.encode(c) : c
  );
  return {
    read(p: Uint8Array): Promise<number | null> {
      const next = queue[0];
      if (!next) return Promise.resolve(null);
      const n = Math.min(p.length, next.length);
      p.set(next.subarray(0, n));
      if (n === next.length) queue.shift();
      else queue[0] = next.subarray(n);
      return Promise.resolve(n);
    },
  };
}
