/**
 * A pull-only buffered reader over any byte source (a `Deno.Conn` fits).
 *
 * It never reads in the background and never locks `conn.readable`, so the
 * same connection can later be upgraded in place with `Deno.startTls`, and a
 * protocol can switch between line-oriented replies and byte-counted bodies
 * without losing a byte. Lines have a maximum length: a peer that sends an
 * endless line gets a {@linkcode LineTooLongError}, not unbounded memory.
 *
 * @module
 */

import { concatBytes } from "./_bytes.ts";
import {
  ConnectionClosedError,
  LineTooLongError,
  ProtocolError,
} from "./errors.ts";

/** Anything with a `read(p)` like `Deno.Conn`: returns bytes read, or `null` at EOF. */
export interface ByteSource {
  /**
   * Reads up to `p.byteLength` bytes into `p`.
   *
   * @param p The destination buffer.
   * @returns The number of bytes read, or `null` at end of stream.
   */
  read(p: Uint8Array): Promise<number | null>;
}

/** Options for {@linkcode BufferedReader}. */
export interface BufferedReaderOptions {
  /**
   * Initial size of the internal buffer in bytes. It grows, up to the line
   * limit, only to hold one long line.
   *
   * @default {65536}
   */
  bufferSize?: number;
  /**
   * Longest line accepted, in bytes, not counting the line ending.
   *
   * @default {65536}
   */
  maxLineBytes?: number;
}

const LF = 10;
const CR = 13;
const DEFAULT_BUFFER_SIZE = 64 * 1024;
const DEFAULT_MAX_LINE = 64 * 1024;
/** `fill()` moves buffered bytes rather than read into a smaller tail. */
const MIN_FILL = 2048;

/**
 * Buffered, pull-only reads of lines and byte counts from a {@linkcode ByteSource}.
 *
 * Lines end with CRLF; a bare LF from a sloppy peer is accepted too. The line
 * ending is never part of the returned line. End of stream in the middle of a
 * line raises {@linkcode ConnectionClosedError}.
 *
 * @example Usage
 * ```ts
 * import { BufferedReader } from "./buffered_reader.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const bytes = new TextEncoder().encode("220 ready\r\nbare lf\nrest");
 * let done = false;
 * const source = {
 *   read(p: Uint8Array): Promise<number | null> {
 *     if (done) return Promise.resolve(null);
 *     done = true;
 *     p.set(bytes);
 *     return Promise.resolve(bytes.length);
 *   },
 * };
 * const reader = new BufferedReader(source);
 * assertEquals(await reader.readLine(), "220 ready");
 * assertEquals(await reader.readLine(), "bare lf");
 * assertEquals(new TextDecoder().decode(await reader.readExactly(4)), "rest");
 * assertEquals(await reader.readLine(), null);
 * ```
 */
export class BufferedReader {
  #source: ByteSource;
  #buf: Uint8Array<ArrayBuffer>;
  #r = 0;
  #w = 0;
  #eof = false;
  #maxLine: number;
  #decoder = new TextDecoder();
  #bareLf = false;

  /**
   * Creates a reader.
   *
   * @param source Where bytes come from.
   * @param options Buffer size and line limit.
   */
  constructor(source: ByteSource, options: BufferedReaderOptions = {}) {
    const maxLine = options.maxLineBytes ?? DEFAULT_MAX_LINE;
    if (!Number.isInteger(maxLine) || maxLine < 1) {
      throw new RangeError(`Invalid maxLineBytes: ${maxLine}`);
    }
    this.#source = source;
    this.#maxLine = maxLine;
    const size = Math.min(
      options.bufferSize ?? DEFAULT_BUFFER_SIZE,
      maxLine + 2,
    );
    this.#buf = new Uint8Array(Math.max(size, 16));
  }

  /**
   * The number of bytes read from the source but not yet consumed.
   *
   * @returns The count of buffered bytes.
   */
  get buffered(): number {
    return this.#w - this.#r;
  }

  /**
   * Whether the last line read ended with a bare LF rather than CRLF, for
   * protocols that must refuse it (HTTP request framing).
   *
   * @returns True when the last line had no CR before its LF.
   */
  get lastLineBareLf(): boolean {
    return this.#bareLf;
  }

  /**
   * The longest line accepted, in bytes.
   *
   * @returns The limit.
   */
  get maxLineBytes(): number {
    return this.#maxLine;
  }

  /**
   * Replaces the byte source, for example after a TLS upgrade. Buffered bytes
   * would belong to the old source, so the buffer must be empty.
   *
   * @param source The new source.
   * @throws {TypeError} When bytes are still buffered.
   */
  setSource(source: ByteSource): void {
    if (this.buffered > 0) {
      throw new TypeError(
        "Cannot switch the source while bytes are still buffered",
      );
    }
    this.#source = source;
    this.#eof = false;
  }

  /**
   * Reads one line and returns a view of its bytes, without the line ending.
   * The view is only valid until the next call on this reader.
   *
   * @param maxBytes Longest line accepted (at most the reader's limit).
   * @returns The line's bytes, or `null` at a clean end of stream.
   * @throws {LineTooLongError} When the line exceeds the limit.
   * @throws {ConnectionClosedError} When the stream ends mid-line.
   */
  async readLineView(
    maxBytes: number = this.#maxLine,
  ): Promise<Uint8Array | null> {
    const max = Math.min(maxBytes, this.#maxLine);
    let scanned = this.#r;
    while (true) {
      const line = this.#lineFrom(scanned, max);
      if (line !== undefined) return line;
      if (this.#eof) {
        if (this.#w > this.#r) {
          this.#r = this.#w;
          throw new ConnectionClosedError(
            "Connection closed by peer in the middle of a line",
          );
        }
        return null;
      }
      const pending = this.#w - this.#r;
      this.#makeRoom();
      scanned = this.#r + pending;
      await this.#fill();
    }
  }

  /**
   * Returns the next line only if it is already complete in the buffer,
   * without waiting for the source: a view of its bytes without the line
   * ending (valid until the next call on this reader), or `undefined` when
   * the buffer holds no complete line yet (nothing is consumed then).
   *
   * @param maxBytes Longest line accepted (at most the reader's limit).
   * @returns The line's bytes, or `undefined` when more bytes are needed.
   * @throws {LineTooLongError} When the line exceeds the limit.
   *
   * @example Usage
   * ```ts
   * import { BufferedReader } from "./buffered_reader.ts";
   * import { assertEquals } from "../tests/_assert.ts";
   *
   * const bytes = new TextEncoder().encode("a\r\nb");
   * const reader = new BufferedReader({
   *   read: (p) => Promise.resolve((p.set(bytes), bytes.length)),
   * });
   * assertEquals(reader.tryReadLineView(), undefined, "nothing buffered yet");
   * await reader.fill();
   * assertEquals(reader.tryReadLineView()?.length, 1);
   * assertEquals(reader.tryReadLineView(), undefined, "\"b\" has no ending yet");
   * ```
   */
  tryReadLineView(maxBytes: number = this.#maxLine): Uint8Array | undefined {
    return this.#lineFrom(this.#r, Math.min(maxBytes, this.#maxLine));
  }

  /**
   * A view of the bytes read from the source but not consumed yet, for
   * parsers that scan a whole section (an HTTP head) at once. The view is
   * only valid until the next call on this reader.
   *
   * @returns The buffered bytes.
   */
  peek(): Uint8Array<ArrayBuffer> {
    return this.#buf.subarray(this.#r, this.#w);
  }

  /**
   * Consumes `n` buffered bytes, as seen through {@linkcode BufferedReader.peek}.
   *
   * @param n How many bytes.
   * @throws {RangeError} When fewer than `n` bytes are buffered.
   */
  consume(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.#w - this.#r) {
      throw new RangeError(`Cannot consume ${n} of ${this.buffered} bytes`);
    }
    this.#r += n;
  }

  /**
   * Reads once more from the source into the buffer, keeping what is
   * buffered. Buffered bytes stay where they are while there is room after
   * them (so a section can be gathered without moving it); otherwise they are
   * moved to the front, and the buffer grows, up to the line limit plus two
   * bytes, when it is full.
   *
   * @returns `false` at end of stream, otherwise `true`.
   * @throws {LineTooLongError} When the buffer is full at its limit.
   */
  async fill(): Promise<boolean> {
    if (this.#eof) return false;
    if (this.#r === this.#w) {
      this.#r = this.#w = 0;
    } else if (this.#buf.length - this.#w < MIN_FILL) {
      this.#makeRoom();
    }
    // The read is inlined rather than awaited through #fill(): this is the
    // hot path of every HTTP head, and each async layer costs a promise.
    const n = await this.#source.read(this.#buf.subarray(this.#w));
    if (n === null) {
      this.#eof = true;
      return false;
    }
    this.#w += n;
    return true;
  }

  /**
   * Reads one line decoded as UTF-8 (invalid bytes become U+FFFD).
   *
   * @param maxBytes Longest line accepted (at most the reader's limit).
   * @returns The line without its ending, or `null` at a clean end of stream.
   * @throws {LineTooLongError} When the line exceeds the limit.
   * @throws {ConnectionClosedError} When the stream ends mid-line.
   */
  async readLine(maxBytes?: number): Promise<string | null> {
    const view = await this.readLineView(maxBytes);
    return view === null ? null : this.#decoder.decode(view);
  }

  /**
   * Reads up to `p.byteLength` bytes: buffered bytes first, otherwise straight
   * from the source into `p` with no extra copy.
   *
   * @param p The destination.
   * @returns Bytes read, or `null` at end of stream.
   */
  async read(p: Uint8Array): Promise<number | null> {
    if (p.byteLength === 0) return 0;
    if (this.#w > this.#r) return this.readBuffered(p);
    if (this.#eof) return null;
    const n = await this.#source.read(p);
    if (n === null) this.#eof = true;
    return n;
  }

  /**
   * Copies buffered bytes into `p` without reading from the source.
   *
   * @param p The destination.
   * @returns The number of bytes copied (0 when nothing is buffered).
   *
   * @example Usage
   * ```ts
   * import { BufferedReader } from "./buffered_reader.ts";
   * import { assertEquals } from "../tests/_assert.ts";
   *
   * const bytes = new TextEncoder().encode("abc");
   * const reader = new BufferedReader({
   *   read: (p) => Promise.resolve((p.set(bytes), bytes.length)),
   * });
   * assertEquals(reader.readBuffered(new Uint8Array(2)), 0);
   * await reader.fill();
   * assertEquals(reader.readBuffered(new Uint8Array(2)), 2);
   * ```
   */
  readBuffered(p: Uint8Array): number {
    const n = Math.min(p.byteLength, this.#w - this.#r);
    if (n <= 0) return 0;
    p.set(this.#buf.subarray(this.#r, this.#r + n));
    this.#r += n;
    return n;
  }

  /**
   * Fills `p` completely.
   *
   * @param p The destination.
   * @throws {ConnectionClosedError} When the stream ends first.
   */
  async readFull(p: Uint8Array): Promise<void> {
    let off = 0;
    while (off < p.byteLength) {
      const n = await this.read(p.subarray(off));
      if (n === null) {
        throw new ConnectionClosedError(
          `Connection closed by peer after ${off} of ${p.byteLength} expected bytes`,
        );
      }
      off += n;
    }
  }

  /**
   * Reads exactly `n` bytes into a new array.
   *
   * @param n How many bytes.
   * @returns The bytes.
   * @throws {ConnectionClosedError} When the stream ends first.
   */
  async readExactly(n: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`Invalid byte count: ${n}`);
    }
    const out = new Uint8Array(n);
    await this.readFull(out);
    return out;
  }

  /**
   * Reads everything until the peer closes the stream (Gopher, Finger,
   * close-delimited HTTP bodies), refusing to hold more than `maxBytes`.
   *
   * @param maxBytes Largest total accepted.
   * @returns All remaining bytes.
   * @throws {ProtocolError} When the stream holds more than `maxBytes`.
   */
  async readToEnd(maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw new RangeError(`Invalid byte limit: ${maxBytes}`);
    }
    const parts: Uint8Array<ArrayBuffer>[] = [];
    let total = 0;
    const chunk = new Uint8Array(64 * 1024);
    while (true) {
      const n = await this.read(chunk);
      if (n === null) break;
      total += n;
      if (total > maxBytes) {
        throw new ProtocolError(
          `Peer sent more than the limit of ${maxBytes} bytes`,
        );
      }
      parts.push(chunk.slice(0, n));
    }
    return concatBytes(parts);
  }

  /**
   * Removes and returns every buffered byte, leaving the buffer empty.
   *
   * @returns A copy of the buffered bytes.
   */
  takeBuffered(): Uint8Array {
    const out = this.#buf.slice(this.#r, this.#w);
    this.#r = this.#w = 0;
    return out;
  }

  /** The line whose LF lies at or after `scanned`, if buffered; consumes it. */
  #lineFrom(scanned: number, max: number): Uint8Array | undefined {
    const found = this.#buf.subarray(scanned, this.#w).indexOf(LF);
    if (found >= 0) {
      const start = this.#r;
      const lf = scanned + found;
      let end = lf;
      if (end > start && this.#buf[end - 1] === CR) end--;
      this.#bareLf = end === lf;
      this.#r = lf + 1;
      if (end - start > max) throw new LineTooLongError(max);
      return this.#buf.subarray(start, end);
    }
    // +1 leaves room for a CR that may precede the LF still to come.
    if (this.#w - this.#r > max + 1) throw new LineTooLongError(max);
    return undefined;
  }

  #makeRoom(): void {
    if (this.#r > 0) {
      this.#buf.copyWithin(0, this.#r, this.#w);
      this.#w -= this.#r;
      this.#r = 0;
    }
    if (this.#w === this.#buf.length) {
      const limit = this.#maxLine + 2;
      const next = Math.min(this.#buf.length * 2, limit);
      if (next <= this.#buf.length) throw new LineTooLongError(this.#maxLine);
      const grown = new Uint8Array(next);
      grown.set(this.#buf.subarray(0, this.#w));
      this.#buf = grown;
    }
  }

  async #fill(): Promise<void> {
    const n = await this.#source.read(this.#buf.subarray(this.#w));
    if (n === null) this.#eof = true;
    else this.#w += n;
  }
}
