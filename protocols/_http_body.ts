/**
 * HTTP/1.1 body framing for the client: reading Content-Length, chunked and
 * close-delimited bodies from the connection's buffered reader, and writing
 * chunked request bodies.
 *
 * Bytes already buffered are handed out first; after that, reads go straight
 * from the connection into the caller's array ({@linkcode BodyReader.readInto})
 * or into one new array per piece ({@linkcode BodyReader.next}), with no
 * intermediate copy.
 *
 * @module
 */

import type { BufferedReader } from "./buffered_reader.ts";
import { concatBytes } from "./_bytes.ts";
import { ConnectionClosedError, ProtocolError } from "./errors.ts";
import { HttpProtocolError } from "./_http_message.ts";
import type { Framing } from "./_http_message.ts";

/**
 * Largest body {@linkcode BodyReader.borrow} gathers in the connection's
 * buffer; the client lets that buffer grow this much past the header limit.
 */
export const BORROW_MAX = 64 * 1024;
/** Largest piece {@linkcode BodyReader.next} returns by default. */
export const BODY_CHUNK = 256 * 1024;
const HEX_REGEXP = /^[0-9a-fA-F]{1,15}$/;
const MAX_SIZE_LINE = 4096;
const MAX_TRAILER_LINE = 8192;
const MAX_TRAILERS = 100;
const encoder = new TextEncoder();

/** Where a chunked body stands between two pieces of data. */
type ChunkState = "size" | "data" | "trailers";

/** Reads one body; pieces come from `readInto()` or `next()`, `null` at the end. */
export class BodyReader {
  #reader: BufferedReader;
  #kind: Framing["kind"];
  /** Bytes left: of the body (length framing) or of the current chunk. */
  #left: number;
  #chunk: ChunkState = "size";
  #trailers = 0;
  #done: boolean;
  /**
   * Where `next()` reads. A small piece is copied out at its size and the
   * array reused; a big one (at least half of it) is handed over as it is.
   */
  #scratch: Uint8Array<ArrayBuffer> | undefined;
  #strict: boolean;
  #failed: unknown = undefined;

  /**
   * Starts reading a body.
   *
   * @param reader The connection's reader.
   * @param framing How the body is delimited.
   * @param strict Refuse a bare LF ending a chunk line (a server reading a
   * request does; a client is lenient with what servers send).
   */
  constructor(reader: BufferedReader, framing: Framing, strict = false) {
    this.#strict = strict;
    this.#reader = reader;
    this.#kind = framing.kind;
    this.#left = framing.kind === "length" ? framing.length : 0;
    this.#done = framing.kind === "none";
  }

  /**
   * True once the whole body has been read (for chunked bodies: up to the
   * end of the trailers).
   *
   * @returns Whether the body is complete.
   */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Reads the next piece of the body into `view`: buffered bytes first,
   * otherwise straight from the connection.
   *
   * @param view Where the bytes go (at most its length is read).
   * @returns The number of bytes, or `null` at the end of the body.
   * @throws {ConnectionClosedError} When the connection ends before the body.
   * @throws {HttpProtocolError} For bad chunk framing.
   */
  readInto(view: Uint8Array): Promise<number | null> {
    if (view.length === 0) throw new RangeError("Cannot read into 0 bytes");
    const fast = this.readBuffered(view);
    if (fast !== undefined) return Promise.resolve(fast);
    return this.#readInto(view);
  }

  /**
   * Copies the next bytes of a Content-Length body into `view` if they are
   * buffered already, without waiting: a proxy relaying a small response
   * takes it this way with no promise at all.
   *
   * @param view Where the bytes go (at most its length is copied).
   * @returns The number of bytes, `null` at the end of the body, or
   * `undefined` when a read must wait (nothing buffered, or not a
   * Content-Length body).
   */
  readBuffered(view: Uint8Array): number | null | undefined {
    if (this.#kind !== "length" || this.#failed !== undefined) return undefined;
    if (this.#done) return null;
    const left = this.#left;
    const n = this.#reader.readBuffered(
      view.length > left ? view.subarray(0, left) : view,
    );
    if (n === 0) return undefined;
    this.#left = left - n;
    if (this.#left === 0) this.#done = true;
    return n;
  }

  /**
   * True once a read failed (bad framing, a close mid-body, a timeout): the
   * body's end is unknown, so every later read rejects with the same error
   * and the connection must not carry another message.
   *
   * @returns Whether the body failed.
   */
  get failed(): boolean {
    return this.#failed !== undefined;
  }

  async #readInto(view: Uint8Array): Promise<number | null> {
    if (this.#failed !== undefined) throw this.#failed;
    try {
      const allowed = await this.#allowance();
      if (allowed === 0) return null;
      const target = view.length > allowed ? view.subarray(0, allowed) : view;
      const n = await this.#reader.read(target);
      if (n === null) return this.#ended();
      await this.#consumed(n);
      return n;
    } catch (err) {
      this.#failed ??= err;
      throw err;
    }
  }

  /**
   * Reads the next piece of the body into a new array of its own.
   *
   * @param max The largest piece wanted.
   * @returns The bytes, or `null` at the end of the body.
   * @throws {ConnectionClosedError} When the connection ends before the body.
   * @throws {HttpProtocolError} For bad chunk framing.
   */
  async next(
    max: number = BODY_CHUNK,
  ): Promise<Uint8Array<ArrayBuffer> | null> {
    if (this.#failed !== undefined) throw this.#failed;
    try {
      return await this.#next(max);
    } catch (err) {
      this.#failed ??= err;
      throw err;
    }
  }

  async #next(max: number): Promise<Uint8Array<ArrayBuffer> | null> {
    const allowed = await this.#allowance();
    if (allowed === 0) return null;
    const want = Math.min(allowed, max);
    const buffered = this.#reader.buffered;
    let out: Uint8Array<ArrayBuffer>;
    if (buffered > 0) {
      const n = Math.min(buffered, want);
      out = this.#reader.peek().slice(0, n);
      this.#reader.consume(n);
    } else {
      const scratch = this.#scratch ??= new Uint8Array(
        Math.min(max, BODY_CHUNK),
      );
      const n = await this.#reader.read(
        want < scratch.length ? scratch.subarray(0, want) : scratch,
      );
      if (n === null) return this.#ended();
      if (n >= scratch.length / 2) {
        // A big piece keeps the array (no copy); the next read gets a new one.
        out = scratch.subarray(0, n);
        this.#scratch = undefined;
      } else {
        out = scratch.slice(0, n);
      }
    }
    await this.#consumed(out.length);
    return out;
  }

  /**
   * The rest of a Content-Length body if it is all buffered already (a
   * small response usually is), without waiting.
   *
   * @returns The bytes, or `undefined` when more must be read first.
   */
  takeBuffered(): Uint8Array<ArrayBuffer> | undefined {
    if (this.#kind !== "length" || this.#done) return undefined;
    const n = this.#left;
    if (this.#reader.buffered < n) return undefined;
    const out = this.#reader.peek().slice(0, n);
    this.#reader.consume(n);
    this.#left = 0;
    this.#done = true;
    return out;
  }

  /**
   * Gathers the rest of a Content-Length body of at most
   * {@linkcode BORROW_MAX} bytes in the connection's buffer and passes it to
   * `use` as a view into that buffer, valid only during the call: no array
   * is allocated and nothing is copied. The body counts as read once `use`
   * returns.
   *
   * @param use Receives the view; it must copy what it keeps.
   * @returns What `use` returned, boxed; `undefined` when the body is not
   * framed by Content-Length or is too large (nothing is read then).
   * @throws {ConnectionClosedError} When the connection ends before the body.
   */
  async borrow<T>(
    use: (view: Uint8Array<ArrayBuffer>) => T,
  ): Promise<{ value: T } | undefined> {
    if (this.#kind !== "length" || this.#done) return undefined;
    const n = this.#left;
    const reader = this.#reader;
    if (n > BORROW_MAX || n > reader.maxLineBytes) return undefined;
    while (reader.buffered < n) {
      if (!await reader.fill()) {
        throw new ConnectionClosedError(
          `Connection closed with ${
            n - reader.buffered
          } bytes of the body missing`,
        );
      }
    }
    const value = use(reader.peek().subarray(0, n));
    reader.consume(n);
    this.#left = 0;
    this.#done = true;
    return { value };
  }

  /** How many bytes may be read now; 0 at the end of the body. */
  async #allowance(): Promise<number> {
    if (this.#done) return 0;
    switch (this.#kind) {
      case "length":
        return this.#left;
      case "close":
        return Infinity;
      default:
        if (this.#chunk !== "data") await this.#chunkHead(false);
        return this.#done ? 0 : this.#left;
    }
  }

  #ended(): null {
    if (this.#kind === "close") {
      this.#done = true;
      return null;
    }
    if (this.#kind === "length") {
      throw new ConnectionClosedError(
        `Connection closed with ${this.#left} bytes of the body missing`,
      );
    }
    throw new ConnectionClosedError("Connection closed inside a chunk");
  }

  async #consumed(n: number): Promise<void> {
    this.#left -= n;
    if (this.#left > 0) return;
    if (this.#kind === "length") {
      this.#done = true;
    } else if (this.#kind === "chunked") {
      const end = this.#reader.tryReadLineView(2) ??
        await this.#reader.readLineView(2);
      if (
        end === null || end.length !== 0 ||
        (this.#strict && this.#reader.lastLineBareLf)
      ) {
        throw new HttpProtocolError("Chunk data not followed by CRLF");
      }
      this.#chunk = "size";
      // Read ahead only what is already here, so that a final empty chunk
      // ends the body with its last data and the connection is free at once.
      await this.#chunkHead(true);
    }
  }

  /**
   * Reads a chunk-size line and, after the last chunk, the trailers. With
   * `onlyBuffered`, stops as soon as a line is not complete in the buffer.
   */
  async #chunkHead(onlyBuffered: boolean): Promise<void> {
    if (this.#chunk === "size") {
      const line = await this.#line(MAX_SIZE_LINE, onlyBuffered);
      if (line === undefined) return;
      if (line === null) {
        throw new ConnectionClosedError(
          "Connection closed inside a chunked body",
        );
      }
      const text = String.fromCharCode(...line);
      const size = text.split(";", 1)[0]!.trim();
      if (!HEX_REGEXP.test(size)) {
        throw new HttpProtocolError(
          `Invalid chunk size line: ${JSON.stringify(text.slice(0, 40))}`,
        );
      }
      this.#left = parseInt(size, 16);
      this.#chunk = this.#left === 0 ? "trailers" : "data";
    }
    // Trailers are tolerated and dropped, with a cap.
    while (this.#chunk === "trailers") {
      const trailer = await this.#line(MAX_TRAILER_LINE, onlyBuffered);
      if (trailer === undefined) return;
      if (trailer === null) {
        throw new ConnectionClosedError("Connection closed in trailers");
      }
      if (trailer.length === 0) {
        this.#done = true;
        return;
      }
      if (++this.#trailers > MAX_TRAILERS + 1) {
        throw new HttpProtocolError("Too many trailer lines");
      }
    }
  }

  /** A line: `undefined` when `onlyBuffered` and it is not all here yet. */
  async #line(
    max: number,
    onlyBuffered: boolean,
  ): Promise<Uint8Array | null | undefined> {
    let line: Uint8Array | null | undefined = this.#reader.tryReadLineView(
      max,
    );
    if (line === undefined && !onlyBuffered) {
      line = await this.#reader.readLineView(max);
    }
    if (line && this.#strict && this.#reader.lastLineBareLf) {
      throw new HttpProtocolError(
        "A chunk line ends with a bare LF, which is refused",
      );
    }
    return line;
  }
}

/**
 * A body as a byte stream: a BYOB reader gets the bytes straight into its
 * own buffer, a default reader gets pieces from {@linkcode BodyReader.next}.
 *
 * @param body The body.
 * @param finish Called once: `true` when the body was read to its end,
 * `false` when it failed or the stream was cancelled.
 * @param start Awaited before the first read (a server sends `100
 * Continue` there).
 * @returns The stream.
 *
 * @example Usage
 * ```ts ignore
 * const stream = bodyStream(reader, (ok) => ok ? pool.release(conn) : conn.close());
 * ```
 */
export function bodyStream(
  body: BodyReader,
  finish: (ok: boolean) => void,
  start?: () => Promise<void>,
): ReadableStream<Uint8Array> {
  let started = start === undefined;
  return new ReadableStream({
    type: "bytes",
    async pull(controller) {
      try {
        if (!started) {
          started = true;
          await start!();
        }
        const request = controller.byobRequest;
        const view = request?.view;
        if (request && view) {
          const n = await body.readInto(
            new Uint8Array(view.buffer, view.byteOffset, view.byteLength),
          );
          if (n === null) {
            finish(true);
            controller.close();
            request.respond(0);
            return;
          }
          request.respond(n);
        } else {
          const chunk = await body.next();
          if (chunk === null) {
            finish(true);
            controller.close();
            return;
          }
          controller.enqueue(chunk);
        }
        if (body.done) {
          finish(true);
          controller.close();
        }
      } catch (err) {
        finish(false);
        controller.error(err);
      }
    },
    cancel() {
      finish(false);
    },
  }, { highWaterMark: 0 });
}

/**
 * Reads a whole body into one array: of `length` bytes when it is known
 * (one allocation), otherwise piece by piece.
 *
 * @param reader The body.
 * @param length Its length, or `null` for chunked and close-delimited bodies.
 * @param maxBytes The largest body accepted.
 * @returns The body.
 * @throws {ProtocolError} When the body is larger than `maxBytes`.
 * @throws {ConnectionClosedError} When the connection ends before the body.
 */
export async function readWholeBody(
  reader: BodyReader,
  length: number | null,
  maxBytes: number,
): Promise<Uint8Array<ArrayBuffer>> {
  if (length !== null) {
    if (length > maxBytes) throw tooBig(maxBytes);
    const out = new Uint8Array(length);
    let off = 0;
    while (off < length) {
      const n = await reader.readInto(out.subarray(off));
      if (n === null) break;
      off += n;
    }
    return out;
  }
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let total = 0;
  while (true) {
    const part = await reader.next();
    if (part === null) break;
    total += part.length;
    if (total > maxBytes) throw tooBig(maxBytes);
    parts.push(part);
  }
  return concatBytes(parts);
}

function tooBig(maxBytes: number): ProtocolError {
  return new ProtocolError(`Body exceeds the limit of ${maxBytes} bytes`);
}

/**
 * Encodes one chunk of a chunked request body.
 *
 * @param data The chunk's bytes (non-empty).
 * @returns Size line, data and CRLF in one array.
 */
export function encodeChunk(data: Uint8Array): Uint8Array {
  const head = encoder.encode(`${data.length.toString(16)}\r\n`);
  const out = new Uint8Array(head.length + data.length + 2);
  out.set(head);
  out.set(data, head.length);
  out[out.length - 2] = 13;
  out[out.length - 1] = 10;
  return out;
}

/** The last chunk of a chunked body, with no trailers. */
export const LAST_CHUNK: Uint8Array = encoder.encode("0\r\n\r\n");
