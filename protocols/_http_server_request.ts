/**
 * The request a {@linkcode ServerRequest} handler receives: the head exactly
 * as parsed (method, target, version, every header line in order) and the
 * body, read on demand from the connection in the caller's buffer, as a
 * stream, or whole.
 *
 * @module
 */

import { type BodyReader, bodyStream, readWholeBody } from "./_http_body.ts";
import type { RequestHead } from "./_http_request_head.ts";

/** What a request needs from its connection. */
export interface RequestChannel {
  /** The client's address. */
  readonly remoteAddr: Deno.NetAddr;
  /** Sends `100 Continue` (once) before the first body read. */
  continueOnce(): Promise<void>;
}

/**
 * One request to the server.
 *
 * @example Usage
 * ```ts ignore
 * import { serveHttp } from "./http_server.ts";
 *
 * serveHttp({ port: 8000 }, async (req) => {
 *   const body = await req.bytes(1024 * 1024);
 *   return { status: 200, body: `${req.method} ${req.target}: ${body.length} bytes\n` };
 * });
 * ```
 */
export class ServerRequest {
  /** The method as sent. */
  readonly method: string;
  /** The request target as sent (bytes outside ASCII percent-encoded). */
  readonly target: string;
  /** `"HTTP/1.1"` or `"HTTP/1.0"`. */
  readonly version: string;
  /** Every header line in order, names as sent. */
  readonly headerLines: readonly [string, string][];
  /** The body length from Content-Length, `null` for a chunked body, 0 for none. */
  readonly contentLength: number | null;
  /** The Upgrade value when Connection names `upgrade`. */
  readonly upgrade: string | undefined;
  #channel: RequestChannel;
  #body: BodyReader | null;
  #headers: Headers | undefined;
  #stream: ReadableStream<Uint8Array> | null | undefined;
  #taken = false;

  /**
   * Wraps a parsed head (the server makes these).
   *
   * @param head The parsed head.
   * @param channel The connection it came on.
   * @param body Its body, or `null` when it has none.
   */
  constructor(
    head: RequestHead,
    channel: RequestChannel,
    body: BodyReader | null,
  ) {
    this.method = head.method;
    this.target = head.target;
    this.version = head.version;
    this.headerLines = head.fields;
    this.contentLength = head.chunked ? null : head.contentLength ?? 0;
    this.upgrade = head.upgrade;
    this.#channel = channel;
    this.#body = body;
  }

  /**
   * The client's address.
   *
   * @returns Hostname and port.
   */
  get remoteAddr(): Deno.NetAddr {
    return this.#channel.remoteAddr;
  }

  /**
   * Case-insensitive lookup of the fields, built on first use. A value the
   * `Headers` class refuses is left out (`headerLines` has every line).
   *
   * @returns The fields.
   */
  get headers(): Headers {
    if (this.#headers) return this.#headers;
    const headers = new Headers();
    for (const [name, value] of this.headerLines) {
      try {
        headers.append(name, value);
      } catch { /* left out, still in headerLines */ }
    }
    return this.#headers = headers;
  }

  /**
   * Whether the request has a body still to read.
   *
   * @returns True for a body not read to its end.
   */
  get hasBody(): boolean {
    return this.#body !== null && !this.#body.done;
  }

  /**
   * Reads the next bytes of the body into `p`.
   *
   * @param p Where the bytes go.
   * @returns The number of bytes, or `null` at the end of the body.
   * @throws {TimeoutError} When the client is silent too long.
   * @throws {ConnectionClosedError} When the client goes away mid-body.
   * @throws {HttpProtocolError} For bad chunked framing.
   */
  async readInto(p: Uint8Array): Promise<number | null> {
    const body = this.#body;
    if (body === null || body.done) return null;
    await this.#channel.continueOnce();
    return await body.readInto(p);
  }

  /**
   * The body as a byte stream (made on first use), or `null` when there is
   * none.
   *
   * @returns The stream.
   */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.#stream !== undefined) return this.#stream;
    if (this.#body === null || this.#taken) return this.#stream = null;
    this.#taken = true;
    return this.#stream = bodyStream(
      this.#body,
      () => {},
      () => this.#channel.continueOnce(),
    );
  }

  /**
   * Reads the whole body into one array.
   *
   * @param maxBytes The largest body accepted.
   * @returns The body (empty when there is none).
   * @throws {ProtocolError} When the body is larger than `maxBytes`.
   */
  async bytes(maxBytes: number = 16 * 1024 * 1024): Promise<Uint8Array> {
    if (this.#taken) throw new TypeError("The body was already taken");
    this.#taken = true;
    const body = this.#body;
    if (body === null || body.done) return new Uint8Array(0);
    await this.#channel.continueOnce();
    return await readWholeBody(body, this.contentLength, maxBytes);
  }
}
