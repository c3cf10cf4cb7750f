/**
 * The HTTP client's connection: a `Deno.Conn` with a buffered reader, a
 * timeout on every read and write, and a failed state that later operations
 * report. It does what `TextProtoConn` does for the line protocols, minus the
 * command layer. The timeouts are an {@linkcode OperationDeadline} (no
 * `setTimeout`: its first call costs a fresh process milliseconds), which
 * costs a read almost nothing; its timer is armed for at most
 * {@linkcode SLICE_MS} at a time, so a connection left idle keeps the process
 * alive for at most one slice, and not at all once
 * {@linkcode HttpConn.idle} was called (the pool does).
 *
 * @module
 */

import { closeQuietly } from "./_close.ts";
import { BufferedReader } from "./buffered_reader.ts";
import { ConnectionClosedError, isPeerGone, TimeoutError } from "./errors.ts";
import { OperationDeadline } from "./_timer.ts";
import { writeByteString } from "./_byte_string.ts";

type State = { kind: "open" } | { kind: "failed"; error: Error } | {
  kind: "closed";
};

/** Options for {@linkcode HttpConn}. */
export interface HttpConnOptions {
  /**
   * The most the reader may buffer (its line limit): room for a header
   * section, or for a small body gathered in place. Every HTTP read passes
   * its own, smaller, limit.
   */
  bufferLimit: number;
}

const READ = "read from the peer";
/** The longest the connection's timer is armed for at once. */
const SLICE_MS = 1000;
const WRITE = "write";
/** The largest write buffer a connection keeps between requests. */
const KEPT_OUT = 8 * 1024;
const encoder = new TextEncoder();

/** One client connection to an HTTP server. */
export class HttpConn {
  #conn: Deno.Conn;
  #reader: BufferedReader;
  #state: State = { kind: "open" };
  #timeout = 30_000;
  /** Where heads are written, made on first use and reused. */
  #out = new Uint8Array(0);
  #deadline = new OperationDeadline((op, ms) => {
    if (this.#state.kind === "open") this.fail(new TimeoutError(op, ms));
  }, SLICE_MS);

  /**
   * Wraps a connection.
   *
   * @param conn A connected `Deno.Conn` (TCP or TLS).
   * @param options How much the reader may buffer.
   */
  constructor(conn: Deno.Conn, options: HttpConnOptions) {
    this.#conn = conn;
    this.#reader = new BufferedReader(this, {
      maxLineBytes: options.bufferLimit,
    });
  }

  /**
   * The underlying connection.
   *
   * @returns The `Deno.Conn`.
   */
  get conn(): Deno.Conn {
    return this.#conn;
  }

  /**
   * Buffered reads through {@linkcode HttpConn.read}, with its timeout.
   *
   * @returns The reader.
   */
  get reader(): BufferedReader {
    return this.#reader;
  }

  /**
   * True until the connection is closed or has failed.
   *
   * @returns Whether the connection can still be used.
   */
  get isOpen(): boolean {
    return this.#state.kind === "open";
  }

  /**
   * The timeout of each read or write in milliseconds (`0` means none).
   *
   * @returns The timeout.
   */
  get timeout(): number {
    return this.#timeout;
  }

  /**
   * Changes the timeout of later reads and writes.
   *
   * @param ms Milliseconds, `0` for none.
   */
  set timeout(ms: number) {
    if (!(ms >= 0)) throw new RangeError(`Invalid timeout: ${ms}`);
    this.#timeout = ms;
  }

  /**
   * Reads up to `p.byteLength` bytes straight from the connection (the
   * reader's source; body reads normally go through the reader).
   *
   * @param p The destination.
   * @returns Bytes read, or `null` at end of stream.
   * @throws {TimeoutError} When the peer is silent longer than the timeout.
   * @throws {ConnectionClosedError} When the connection was reset or closed.
   */
  read(p: Uint8Array): Promise<number | null> {
    try {
      this.#begin(READ);
    } catch (err) {
      return Promise.reject(err);
    }
    // Not an async function: one promise per read instead of three.
    return this.#conn.read(p).then(this.#readDone, this.#readFailed);
  }

  #readDone = (n: number | null): number | null => {
    this.#deadline.end();
    return n;
  };

  #readFailed = (err: unknown): never => {
    this.#deadline.end();
    throw this.#translate(err, READ);
  };

  /**
   * Writes all of `bytes`, each write within the timeout.
   *
   * @param bytes The bytes.
   * @throws {TimeoutError} When the peer does not take them in time.
   * @throws {ConnectionClosedError} When the connection was reset or closed.
   */
  async writeAll(bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) return;
    this.#begin(WRITE);
    let off = 0;
    try {
      while (true) {
        off += await this.#conn.write(bytes.subarray(off));
        if (off >= bytes.length) break;
        this.#begin(WRITE);
      }
    } catch (err) {
      throw this.#translate(err, WRITE);
    } finally {
      this.#deadline.end();
    }
  }

  /**
   * Writes a message head and, optionally, a small body after it in one
   * write, through a buffer the connection keeps (up to 8 KiB): no new array
   * per request.
   * The head goes one byte per character (so obs-text a proxy received as
   * ISO-8859-1 goes on unchanged), or as UTF-8 when it holds a wider
   * character.
   *
   * @param text The head.
   * @param body Bytes to send right after it.
   * @throws {TimeoutError} When the peer does not take them in time.
   * @throws {ConnectionClosedError} When the connection was reset or closed.
   */
  writeHead(text: string, body?: Uint8Array): Promise<void> {
    const bodyLength = body?.length ?? 0;
    let out = this.#room(text.length + bodyLength);
    let headLength = text.length;
    try {
      writeByteString(text, out, 0);
    } catch (err) {
      if (!(err instanceof TypeError)) throw err;
      // A character past U+00FF: the whole head goes as UTF-8.
      const utf8 = encoder.encode(text);
      headLength = utf8.length;
      out = this.#room(headLength + bodyLength);
      out.set(utf8);
    }
    if (body) out.set(body, headLength);
    return this.writeAll(out.subarray(0, headLength + bodyLength));
  }

  /**
   * A buffer of at least `size` bytes: the one kept, grown up to 8 KiB;
   * anything bigger is an array of its own that goes with the request.
   */
  #room(size: number): Uint8Array {
    if (this.#out.length >= size) return this.#out;
    const out = new Uint8Array(Math.max(size, 2 * this.#out.length, 1024));
    if (out.length <= KEPT_OUT) this.#out = out;
    return out;
  }

  /**
   * Marks the connection failed with `error` and closes it; later operations
   * reject with a {@linkcode ConnectionClosedError} naming that error.
   *
   * @param error Why the connection cannot be used any more.
   */
  fail(error: Error): void {
    if (this.#state.kind === "open") this.#state = { kind: "failed", error };
    this.#release(true);
  }

  /**
   * Says the connection is idle (back in a pool): its timer is stopped at
   * once instead of lapsing, so it keeps nothing alive.
   */
  idle(): void {
    if (!this.#deadline.pending) this.#deadline.stop();
  }

  /** Closes the connection. Safe to call more than once. */
  close(): void {
    if (this.#state.kind === "open") this.#state = { kind: "closed" };
    this.#release(true);
  }

  /**
   * Gives the raw connection away (after `101 Switching Protocols`): this
   * object is closed, the connection itself stays open.
   *
   * @returns The connection, now the caller's.
   */
  detach(): Deno.Conn {
    if (this.#state.kind === "open") this.#state = { kind: "closed" };
    this.#release(false);
    return this.#conn;
  }

  #begin(op: string): void {
    const state = this.#state;
    if (state.kind !== "open") throw this.#closedError(state);
    this.#deadline.begin(op, this.#timeout);
  }

  #release(closeConn: boolean): void {
    this.#deadline.end();
    this.#deadline.stop();
    if (!closeConn) return;
    closeQuietly(this.#conn);
  }

  #closedError(state: State): Error {
    if (state.kind === "failed") {
      if (state.error instanceof ConnectionClosedError) return state.error;
      return new ConnectionClosedError(
        `Connection is closed because: ${state.error.message}`,
        { cause: state.error },
      );
    }
    return new ConnectionClosedError("Connection is closed");
  }

  #translate(err: unknown, operation: string): unknown {
    const state = this.#state;
    if (state.kind === "failed") return state.error;
    if (state.kind === "closed") {
      if (err instanceof ConnectionClosedError) return err;
      return new ConnectionClosedError("Connection was closed locally", {
        cause: err,
      });
    }
    if (isPeerGone(err)) {
      const closed = new ConnectionClosedError(
        `Connection reset by peer while trying to ${operation}`,
        { cause: err },
      );
      this.fail(closed);
      return closed;
    }
    return err;
  }
}
