/**
 * `DotBlock`: reading one dot-terminated multi-line block (NNTP articles and
 * lists, RFC 3977 §3.1.1) from a {@linkcode BufferedReader}, undoing
 * dot-stuffing, as line views, decoded lines, batches of decoded lines or a
 * byte stream.
 *
 * A block is the connection's open body: the next command drains whatever was
 * not read, and end of stream before the final `.` line is an error, never a
 * truncated success.
 *
 * @module
 */

import type { BufferedReader } from "./buffered_reader.ts";
import { ConnectionClosedError, LineTooLongError } from "./errors.ts";

const DOT = 46;
const LF = 10;
const CR = 13;
const BOM = "\uFEFF";
const CRLF = new Uint8Array([13, 10]);
const CHUNK_TARGET = 32 * 1024;
const utf8Strict = new TextDecoder("utf-8", { fatal: true });
const windows1252 = new TextDecoder("windows-1252");

/**
 * Decodes one line's bytes: UTF-8 when valid, otherwise windows-1252 (the
 * superset of Latin-1 that old 8-bit clients wrote), so no byte is lost to
 * U+FFFD.
 *
 * @param bytes The line.
 * @returns The text.
 *
 * @example Usage
 * ```ts
 * import { decodeLineBytes } from "./dot_block.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(decodeLineBytes(new Uint8Array([0x63, 0x61, 0x66, 0xc3, 0xa9])), "café");
 * assertEquals(decodeLineBytes(new Uint8Array([0x63, 0x61, 0x66, 0xe9])), "café");
 * ```
 */
export function decodeLineBytes(bytes: Uint8Array): string {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) {
      try {
        return utf8Strict.decode(bytes);
      } catch {
        return windows1252.decode(bytes);
      }
    }
  }
  return windows1252.decode(bytes);
}

/**
 * One dot-terminated block being read. Obtain it from
 * `TextProtoConn.openDotBlock()` right after the status line that announced
 * the block.
 *
 * @example Usage
 * ```ts ignore
 * const block = await conn.openDotBlock();
 * let line: string | null;
 * while ((line = await block.text()) !== null && line !== "") {
 *   // header line
 * }
 * const body = block.stream("\n"); // the rest of the article
 * ```
 */
export class DotBlock {
  #reader: BufferedReader;
  #onError: (err: Error) => void;
  #done = false;
  #error: Error | undefined;
  #stale = false;
  #busy: Promise<unknown> = Promise.resolve();

  /**
   * Creates a block reader; prefer `TextProtoConn.openDotBlock()`, which also
   * registers it as the open body.
   *
   * @param reader Where the block's lines come from.
   * @param onError Called when the block breaks (the connection should fail).
   */
  constructor(reader: BufferedReader, onError: (err: Error) => void) {
    this.#reader = reader;
    this.#onError = onError;
  }

  /**
   * True once the final `.` line has been read.
   *
   * @returns Whether the block is complete.
   */
  get done(): boolean {
    return this.#done;
  }

  /**
   * The next line's bytes with dot-stuffing undone, as a view valid only until
   * the next read on the connection.
   *
   * @returns The line, or `null` after the final `.` line.
   * @throws {ConnectionClosedError} When the connection ends first.
   */
  line(): Promise<Uint8Array | null> {
    return this.#serial(() => this.#line());
  }

  /**
   * The next line as text (see {@linkcode decodeLineBytes}).
   *
   * @returns The line, or `null` after the final `.` line.
   */
  async text(): Promise<string | null> {
    const view = await this.line();
    return view === null ? null : decodeLineBytes(view);
  }

  /**
   * The lines that have arrived, at least one, each decoded as
   * {@linkcode decodeLineBytes} does, dot-stuffing undone. A big block read
   * this way costs one wait per network read instead of one per line; bytes
   * after the final `.` line (a pipelined reply) stay on the connection.
   * The lines of one batch may be cut from one string: a caller that keeps a
   * few lines (or parts) from each of many batches should copy them.
   *
   * @returns The lines, or `null` after the final `.` line.
   * @throws {ConnectionClosedError} When the connection ends first.
   * @throws {LineTooLongError} When a line exceeds the reader's limit.
   */
  lines(): Promise<string[] | null> {
    return this.#serial(() => this.#lines());
  }

  /**
   * Reads and discards the rest of the block.
   *
   * @returns When the final line has been read.
   */
  drain(): Promise<void> {
    this.#stale = true;
    return this.#serial(async () => {
      while ((await this.#line()) !== null) { /* discard */ }
    });
  }

  /**
   * The rest of the block as a byte stream, each line followed by `newline`,
   * in chunks of up to about 32 KiB. Valid until the next command, which
   * drains it; reads after that fail with a `TypeError`.
   *
   * @param newline The line ending to emit.
   * @returns The stream.
   */
  stream(newline: "\r\n" | "\n" = "\r\n"): ReadableStream<Uint8Array> {
    const ending = newline === "\n" ? CRLF.subarray(1) : CRLF;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (this.#stale) {
          controller.error(
            new TypeError("Body was drained by a later command"),
          );
          return;
        }
        try {
          const chunk = await this.#serial(() => this.#chunk(ending));
          if (chunk === null) controller.close();
          else controller.enqueue(chunk);
        } catch (err) {
          controller.error(err);
        }
      },
    }, { highWaterMark: 0 });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#busy.then(fn);
    this.#busy = result.catch(() => {});
    return result;
  }

  async #chunk(ending: Uint8Array): Promise<Uint8Array | null> {
    let out: Uint8Array | undefined;
    let used = 0;
    do {
      const line = await this.#line();
      if (line === null) break;
      const need = used + line.length + ending.length;
      if (!out || need > out.length) {
        const grown = new Uint8Array(Math.max(need, CHUNK_TARGET + 1024));
        if (out) grown.set(out.subarray(0, used));
        out = grown;
      }
      out.set(line, used);
      out.set(ending, used + line.length);
      used = need;
    } while (used < CHUNK_TARGET && this.#reader.buffered > 0);
    return out ? out.subarray(0, used) : null;
  }

  #broken(cause?: unknown): Error {
    this.#done = true;
    if (this.#error) return this.#error;
    const err = cause !== undefined && !(cause instanceof ConnectionClosedError)
      ? cause instanceof Error ? cause : new Error(String(cause))
      : new ConnectionClosedError(
        "Connection closed by peer in the middle of a multi-line response",
        cause === undefined ? undefined : { cause },
      );
    this.#error = err;
    this.#onError(err);
    return err;
  }

  async #lines(): Promise<string[] | null> {
    const first = await this.#line();
    if (first === null) return null;
    const out = [decodeLineBytes(first)];
    // The rest of what has arrived, split in place: only this block's bytes
    // are consumed, so a pipelined reply behind it stays in the reader.
    const bytes = this.#reader.peek();
    if (bytes.length === 0) return out;
    let used: number;
    try {
      used = this.#split(bytes, out);
    } catch (err) {
      throw this.#broken(err);
    }
    this.#reader.consume(used);
    return out;
  }

  /**
   * Appends the complete lines at the start of `bytes` to `out` and returns
   * how many bytes they took (through the final `.` line, if it is there).
   * The lines are decoded in one call when the bytes are valid UTF-8.
   */
  #split(bytes: Uint8Array, out: string[]): number {
    const max = this.#reader.maxLineBytes;
    // Per line: where its text starts (after a stuffed dot) and ends (before CR LF).
    const bounds: number[] = [];
    let start = 0;
    let lf: number;
    while ((lf = bytes.indexOf(LF, start)) >= 0) {
      const end = lf > start && bytes[lf - 1] === CR ? lf - 1 : lf;
      if (end - start > max) throw new LineTooLongError(max);
      if (bytes[start] === DOT && end - start === 1) {
        this.#done = true;
        break;
      }
      bounds.push(bytes[start] === DOT ? start + 1 : start, end);
      start = lf + 1;
    }
    if (bounds.length > 0) decodeLines(bytes, start, bounds, out);
    if (this.#done) return lf + 1;
    if (bytes.length - start > max + 1) throw new LineTooLongError(max);
    return start;
  }

  async #line(): Promise<Uint8Array | null> {
    // A broken block keeps failing: it never looks like a short success.
    if (this.#error) throw this.#error;
    if (this.#done) return null;
    let view: Uint8Array | null;
    try {
      view = await this.#reader.readLineView();
    } catch (err) {
      throw this.#broken(err);
    }
    if (view === null) throw this.#broken();
    if (view.length > 0 && view[0] === DOT) {
      if (view.length === 1) {
        this.#done = true;
        return null;
      }
      return view.subarray(1);
    }
    return view;
  }
}

/**
 * Decodes the lines of `bytes[0, size)` whose text spans are in `bounds`
 * (start, end pairs) with one decoder call when that gives what
 * {@linkcode decodeLineBytes} gives line by line: the bytes are valid UTF-8
 * and hold no byte-order mark that a per-line call would strip.
 */
function decodeLines(
  bytes: Uint8Array,
  size: number,
  bounds: readonly number[],
  out: string[],
): void {
  let text: string | undefined;
  try {
    text = utf8Strict.decode(bytes.subarray(0, size));
  } catch {
    // Not UTF-8 somewhere: line by line, each falling back on its own.
  }
  if (text !== undefined && text.length === size) {
    // ASCII: string offsets are byte offsets.
    for (let i = 0; i < bounds.length; i += 2) {
      out.push(text.slice(bounds[i], bounds[i + 1]));
    }
    return;
  }
  if (text !== undefined && !text.includes(BOM)) {
    // Multi-byte UTF-8: the same lines, found by their LFs in the text. A
    // text start right after a dot is a stuffed line (a line starts after LF).
    let at = 0;
    for (let i = 0; i < bounds.length; i += 2) {
      const lf = text.indexOf("\n", at);
      const skip = bytes[bounds[i]! - 1] === DOT ? 1 : 0;
      const cut = bytes[bounds[i + 1]!] === CR ? 1 : 0;
      out.push(text.slice(at + skip, lf - cut));
      at = lf + 1;
    }
    return;
  }
  for (let i = 0; i < bounds.length; i += 2) {
    out.push(decodeLineBytes(bytes.subarray(bounds[i], bounds[i + 1])));
  }
}
