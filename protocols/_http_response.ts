/**
 * The HTTP client's response object. The `Headers` view and the body stream
 * are only built when asked for: a proxy that copies `headerLines` and reads
 * a small body with `bytes()` never pays for either.
 *
 * The body stream is a byte stream: a BYOB reader gets the bytes read from
 * the connection straight into its own buffer (constant memory, no copy);
 * a default reader gets one new array per piece.
 *
 * @module
 */

import type { HttpResponse } from "./http.ts";
import { type BodyReader, bodyStream, readWholeBody } from "./_http_body.ts";
import type { ResponseHead } from "./_http_message.ts";

/** Ends a response's use of its connection: `true` when the body was read to its end. */
export type FinishBody = (ok: boolean) => void;

function toHeaders(lines: readonly [string, string][]): Headers {
  const headers = new Headers();
  for (const [name, value] of lines) {
    try {
      headers.append(name, value);
    } catch {
      /* a value the Headers class refuses; it stays in headerLines */
    }
  }
  return headers;
}

/** A response whose header view and body stream are made on first use. */
export class ClientResponse implements HttpResponse {
  /** `"HTTP/1.1"` or `"HTTP/1.0"`. */
  readonly version: string;
  /** The status code. */
  readonly status: number;
  /** The reason phrase exactly as sent. */
  readonly reason: string;
  /** Every header line in order, names as sent. */
  readonly headerLines: [string, string][];
  /**
   * The length of the body that follows: from Content-Length, `0` when
   * there is none (HEAD, 204, 304), `null` for chunked and close-delimited
   * bodies.
   */
  readonly contentLength: number | null;
  /** For `101 Switching Protocols`: the raw connection, now the caller's. */
  readonly upgraded?: { conn: Deno.Conn; buffered: Uint8Array };
  #headers: Headers | undefined;
  #reader: BodyReader | null;
  #finish: FinishBody;
  #body: ReadableStream<Uint8Array> | null | undefined;
  #read = false;
  #pulling = false;

  /**
   * Wraps a parsed head and its body.
   *
   * @param head The status line and fields.
   * @param reader The body, or `null` when there is none.
   * @param length The Content-Length, when the body is framed by one.
   * @param finish Called once the body is done with.
   * @param upgraded The connection after `101 Switching Protocols`.
   */
  constructor(
    head: ResponseHead,
    reader: BodyReader | null,
    length: number | null,
    finish: FinishBody,
    upgraded?: { conn: Deno.Conn; buffered: Uint8Array },
  ) {
    this.version = head.version;
    this.status = head.status;
    this.reason = head.reason;
    this.headerLines = head.fields;
    this.contentLength = reader ? length : 0;
    this.#reader = reader;
    this.#finish = finish;
    if (upgraded) this.upgraded = upgraded;
  }

  /**
   * Case-insensitive lookup, built on first use.
   *
   * @returns The fields as `Headers`.
   */
  get headers(): Headers {
    return this.#headers ??= toHeaders(this.headerLines);
  }

  /**
   * The body as a byte stream, or `null` when there is none (or it was read
   * with {@linkcode ClientResponse.bytes}).
   *
   * @returns The stream.
   */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.#body === undefined) {
      const reader = this.#reader;
      this.#body = reader ? bodyStream(reader, this.#finish) : null;
    }
    return this.#body;
  }

  /**
   * Reads the whole body and passes it to `use`; afterwards `body` is
   * `null`. A Content-Length body of up to 64 KiB is handed over as a view
   * into the connection's buffer, valid only during the call (no array is
   * allocated, nothing is copied), so `use` must copy what it keeps, as
   * `new Response(view)` does. Larger or chunked bodies come as their own
   * array, as from {@linkcode ClientResponse.bytes}.
   *
   * @typeParam T What `use` returns.
   * @param use Receives the body.
   * @param maxBytes The largest body accepted.
   * @returns What `use` returned.
   * @throws {TypeError} When the body was already taken.
   * @throws {ProtocolError} When the body is larger than `maxBytes`.
   */
  async withBytes<T>(
    use: (bytes: Uint8Array<ArrayBuffer>) => T,
    maxBytes: number = Infinity,
  ): Promise<T> {
    const reader = this.#reader;
    const length = this.contentLength;
    if (
      reader && !this.#read && !this.#body && length !== null &&
      length <= maxBytes
    ) {
      this.#read = true;
      this.#body = null;
      this.#reader = null;
      let boxed: { value: T } | undefined;
      try {
        boxed = await reader.borrow(use);
      } catch (err) {
        this.#finish(false);
        throw err;
      }
      if (boxed) {
        this.#finish(true);
        return boxed.value;
      }
      this.#read = false;
      this.#reader = reader;
      this.#body = undefined;
    }
    return use(await this.bytes(maxBytes));
  }

  /**
   * Reads the next bytes of the body straight into `p`, without a stream
   * (httplib's `readinto`): the fastest way to consume a large body.
   * Afterwards `body` is `null`. Read until `null` (which frees the
   * connection for reuse) or call {@linkcode ClientResponse.cancel}.
   *
   * @example Count the bytes of a body in one reused buffer
   * ```ts ignore
   * const res = await request("http://127.0.0.1:8000/big.bin");
   * const buf = new Uint8Array(256 * 1024);
   * let total = 0;
   * for (let n; (n = await res.readInto(buf)) !== null;) total += n;
   * ```
   *
   * @param p Where the bytes go; at most `p.length` are read.
   * @returns The number of bytes read, or `null` at the end of the body.
   * @throws {TypeError} When the body was taken as a stream or with `bytes()`.
   * @throws {ConnectionClosedError} When the connection ends before the body.
   */
  async readInto(p: Uint8Array): Promise<number | null> {
    const reader = this.#pull();
    if (!reader) return null;
    if (p.length === 0) return 0;
    try {
      const n = await reader.readInto(p);
      if (n === null || reader.done) this.#end(true);
      return n;
    } catch (err) {
      this.#end(false);
      throw err;
    }
  }

  /**
   * Copies the next bytes of a Content-Length body into `p` if they are
   * already buffered, without waiting (then `body` is `null`, as with
   * {@linkcode ClientResponse.readInto}, which it can be mixed with).
   *
   * @example Take what is buffered, then wait for the rest
   * ```ts ignore
   * const n = res.readBuffered(buf) ?? await res.readInto(buf);
   * ```
   *
   * @param p Where the bytes go.
   * @returns Bytes copied, `null` at the end of the body, or `undefined`
   * when {@linkcode ClientResponse.readInto} must wait for more.
   * @throws {TypeError} When the body was taken as a stream or with `bytes()`.
   */
  readBuffered(p: Uint8Array): number | null | undefined {
    const reader = this.#pull();
    if (!reader) return null;
    if (p.length === 0) return 0;
    const n = reader.readBuffered(p);
    if (n === null || reader.done) this.#end(true);
    return n;
  }

  /**
   * Gives up the rest of the body: the connection is closed rather than
   * pooled. Safe to call more than once, and after the body was read. A body
   * taken as a stream is cancelled with `body.cancel()` instead.
   */
  cancel(): void {
    if (this.#body) {
      this.#body.cancel().catch(() => {});
      return;
    }
    this.#read = true;
    this.#pulling = false;
    this.#body = null;
    this.#end(false);
  }

  /**
   * Starts (or goes on) pulling the body without a stream: the reader, or
   * `null` when the body is over (the connection is then released).
   */
  #pull(): BodyReader | null {
    if (this.#body || (this.#read && !this.#pulling)) {
      throw new TypeError("Body has already been taken");
    }
    const reader = this.#reader;
    if (!this.#pulling) {
      this.#read = true;
      this.#pulling = true;
      this.#body = null;
    }
    if (!reader || reader.done) {
      this.#end(true);
      return null;
    }
    return reader;
  }

  #end(ok: boolean): void {
    if (!this.#reader) return;
    this.#reader = null;
    this.#finish(ok);
  }

  /**
   * Reads the whole body into one array, without a stream; afterwards
   * `body` is `null`. Calling it twice, or after taking `body`, throws.
   *
   * @param maxBytes The largest body accepted.
   * @returns The body.
   * @throws {TypeError} When the body stream was already taken.
   * @throws {ProtocolError} When the body is larger than `maxBytes`.
   */
  async bytes(maxBytes: number = Infinity): Promise<Uint8Array<ArrayBuffer>> {
    if (this.#read || this.#body) {
      throw new TypeError("Body has already been taken");
    }
    this.#read = true;
    const reader = this.#reader;
    this.#body = null;
    this.#reader = null;
    if (!reader) return new Uint8Array(0);
    const whole = this.contentLength !== null && this.contentLength <= maxBytes
      ? reader.takeBuffered()
      : undefined;
    if (whole) {
      this.#finish(true);
      return whole;
    }
    try {
      const out = await readWholeBody(reader, this.contentLength, maxBytes);
      this.#finish(true);
      return out;
    } catch (err) {
      this.#finish(false);
      throw err;
    }
  }
}
