/**
 * An HTTP/1.1 client on `Deno.connect` / `Deno.connectTls`: the httplib
 * experience done right. The response gives the version, the status, the
 * reason phrase exactly as sent, every header line in order (repeated fields
 * such as Set-Cookie kept apart) and the body as a stream. Nothing is
 * rewritten or decoded, which is what a proxy needs.
 *
 * - Content-Length, chunked (both ways) and close-delimited bodies; HEAD,
 *   204, 304 and 1xx without a body; 1xx interim responses skipped; trailers
 *   tolerated. A `101 Switching Protocols` is returned with the raw connection.
 * - A keep-alive pool per origin: a connection is reused only after its body
 *   was read to the end; a stale pooled connection is retried once for
 *   idempotent methods when nothing of the response arrived.
 * - Limits and typed errors: header section size and count, malformed status
 *   lines, invalid or conflicting Content-Length, Content-Length together with
 *   Transfer-Encoding, CR/LF/NUL in anything we are asked to send.
 *
 * @example Usage
 * ```ts ignore
 * import { request } from "./http.ts";
 *
 * const res = await request("http://127.0.0.1:8000/index.html", {
 *   headers: [["Accept", "text/html"], ["Accept", "text/plain"]],
 * });
 * console.log(res.status, res.reason);
 * for (const [name, value] of res.headerLines) console.log(name, "=", value);
 * console.log((await new Response(res.body).bytes()).length);
 * ```
 *
 * @module
 */

import { dial } from "./dial.ts";
import { ConnectionClosedError } from "./errors.ts";
import {
  BodyReader,
  BORROW_MAX,
  encodeChunk,
  LAST_CHUNK,
} from "./_http_body.ts";
import { HttpConn } from "./_http_conn.ts";
import {
  checkHeader,
  checkMethod,
  HttpProtocolError,
  keepAlive,
  readResponseHead,
  responseFraming,
  type ResponseHead,
} from "./_http_message.ts";
import { ClientResponse } from "./_http_response.ts";

export { HttpProtocolError } from "./_http_message.ts";

/** A request body: a string, bytes, or a stream (sent chunked unless a Content-Length is given). */
export type HttpBody = string | Uint8Array | ReadableStream<Uint8Array>;

/** Options for one request. */
export interface HttpRequestInit {
  /**
   * The method.
   *
   * @default {"GET"}
   */
  method?: string;
  /** Header fields, in order; repeated names are sent as given. */
  headers?: HeadersInit | readonly (readonly [string, string])[];
  /** The body. */
  body?: HttpBody | null;
  /**
   * Milliseconds to wait for the server on any single read or write.
   *
   * @default {30000}
   */
  timeout?: number;
  /** Aborts the request (and closes its connection). */
  signal?: AbortSignal;
  /** Extra CA certificates (PEM) for `https:`. */
  caCerts?: string[];
  /**
   * The request target to send instead of the URL's path and query, byte
   * for byte: a proxy forwarding its client's target uses it so that no URL
   * parser re-encodes it. It must start with `/` and hold only visible ASCII.
   */
  target?: string;
}

/** A response. */
export interface HttpResponse {
  /** `"HTTP/1.1"` or `"HTTP/1.0"`. */
  version: string;
  /** The status code. */
  status: number;
  /** The reason phrase exactly as sent. */
  reason: string;
  /** Every header line in order, names as sent. */
  headerLines: [string, string][];
  /** Case-insensitive lookup (repeated fields joined by the `Headers` rules), built on first use. */
  headers: Headers;
  /**
   * The body as a byte stream, made on first use, or `null` when the
   * response has none. Read it to the end or cancel it to free the
   * connection. A BYOB reader (`getReader({ mode: "byob" })`) gets the bytes
   * straight into its own buffer.
   */
  body: ReadableStream<Uint8Array> | null;
  /**
   * The length of the body that follows: from Content-Length, `0` when
   * there is none, `null` for chunked and close-delimited bodies.
   */
  contentLength: number | null;
  /**
   * Reads the whole body into one array instead of streaming it (then
   * `body` is `null`); the connection is freed at once.
   *
   * @param maxBytes The largest body accepted.
   * @returns The body.
   * @throws {TypeError} When the body was already taken.
   * @throws {ProtocolError} When the body is larger than `maxBytes`.
   */
  bytes(maxBytes?: number): Promise<Uint8Array<ArrayBuffer>>;
  /**
   * Reads the whole body and passes it to `use` (then `body` is `null`). A
   * Content-Length body of up to 64 KiB comes as a view into the
   * connection's buffer that is valid only during the call, with no copy:
   * `use` must copy what it keeps (`new Response(view)` does).
   *
   * @typeParam T What `use` returns.
   * @param use Receives the body.
   * @param maxBytes The largest body accepted.
   * @returns What `use` returned.
   * @throws {TypeError} When the body was already taken.
   * @throws {ProtocolError} When the body is larger than `maxBytes`.
   */
  withBytes<T>(
    use: (bytes: Uint8Array<ArrayBuffer>) => T,
    maxBytes?: number,
  ): Promise<T>;
  /**
   * Reads the next bytes of the body straight into `p`, without a stream
   * (httplib's `readinto`); afterwards `body` is `null`. Read until it
   * returns `null` (the connection then goes back to the pool) or call
   * {@linkcode HttpResponse.cancel}.
   *
   * @param p Where the bytes go; at most `p.length` are read.
   * @returns The number of bytes read, or `null` at the end of the body.
   * @throws {TypeError} When the body was taken as a stream or with `bytes()`.
   * @throws {ConnectionClosedError} When the connection ends before the body.
   */
  readInto(p: Uint8Array): Promise<number | null>;
  /**
   * Copies the next bytes of a Content-Length body into `p` if they are
   * already buffered, without waiting; mixes with `readInto()`.
   *
   * @param p Where the bytes go.
   * @returns Bytes copied, `null` at the end of the body, or `undefined`
   * when `readInto()` must wait for more.
   * @throws {TypeError} When the body was taken as a stream or with `bytes()`.
   */
  readBuffered(p: Uint8Array): number | null | undefined;
  /**
   * Gives up the rest of the body: the connection is closed, not pooled.
   * Safe to call more than once, and after the body was read.
   */
  cancel(): void;
  /** For `101 Switching Protocols`: the raw connection, now the caller's. */
  upgraded?: { conn: Deno.Conn; buffered: Uint8Array };
}

/** Options for {@linkcode HttpClient}. */
export interface HttpClientOptions {
  /**
   * Idle connections kept per origin.
   *
   * @default {16}
   */
  maxIdlePerOrigin?: number;
  /**
   * Largest response header section in bytes.
   *
   * @default {65536}
   */
  maxHeaderBytes?: number;
  /**
   * Most response header lines.
   *
   * @default {100}
   */
  maxHeaderCount?: number;
}

/** The most 1xx responses accepted before the final one (Go allows 5). */
const MAX_INTERIM = 16;
const IDEMPOTENT = new Set([
  "GET",
  "HEAD",
  "OPTIONS",
  "PUT",
  "DELETE",
  "TRACE",
]);
const TARGET_REGEXP = /[\s\0]/;
const ORIGIN_FORM_REGEXP = /^\/[\x21-\x7e]*$/;
const encoder = new TextEncoder();

function headerPairs(
  headers: HttpRequestInit["headers"],
): readonly (readonly [string, string])[] {
  if (!headers) return [];
  if (Array.isArray(headers)) return headers as readonly [string, string][];
  const out: [string, string][] = [];
  new Headers(headers as HeadersInit).forEach((v, n) => out.push([n, v]));
  return out;
}

/**
 * Whether a request body is a stream. Strings and arrays are told apart
 * first: in Deno 2.9 the first touch of the `ReadableStream` global loads the
 * whole streams implementation (several milliseconds), which a request with
 * no stream body need not pay.
 */
function isStream(body: HttpBody | null | undefined): boolean {
  return body !== null && body !== undefined &&
    typeof body !== "string" &&
    !(body instanceof Uint8Array) && body instanceof ReadableStream;
}

/** A serialized request head and how its body goes out. */
interface RequestHead {
  /** The head as text: one byte per character, or UTF-8 when wider. */
  text: string;
  body: Uint8Array | ReadableStream<Uint8Array> | undefined;
  chunked: boolean;
}

/** Marks an error that happened before any byte of the response arrived. */
class StaleConnection extends Error {}

/**
 * An HTTP/1.1 client with a keep-alive pool per origin.
 *
 * @example Usage
 * ```ts ignore
 * import { HttpClient } from "./http.ts";
 *
 * const client = new HttpClient();
 * const res = await client.request("http://127.0.0.1:8000/");
 * await res.body?.cancel();
 * client.close();
 * ```
 */
export class HttpClient {
  #idle = new Map<string, HttpConn[]>();
  #maxIdle: number;
  #limits: { maxBytes: number; maxCount: number };
  #closed = false;

  /**
   * Creates a client.
   *
   * @param options Pool size and header limits.
   */
  constructor(options: HttpClientOptions = {}) {
    this.#maxIdle = options.maxIdlePerOrigin ?? 16;
    this.#limits = {
      maxBytes: options.maxHeaderBytes ?? 64 * 1024,
      maxCount: options.maxHeaderCount ?? 100,
    };
  }

  /**
   * Sends a request and reads the response head; the body is streamed.
   *
   * @param url An `http:` or `https:` URL.
   * @param init Method, headers, body, timeout, signal.
   * @returns The response.
   * @throws {HttpProtocolError} When the server breaks HTTP/1.1 framing.
   * @throws {CommandInjectionError} When a header or the method holds CR, LF or NUL.
   * @throws {ConnectError} When the server cannot be reached.
   * @throws {TimeoutError} When the server is silent too long.
   */
  async request(
    url: string | URL,
    init: HttpRequestInit = {},
  ): Promise<HttpResponse> {
    if (this.#closed) throw new ConnectionClosedError("HTTP client is closed");
    const target = typeof url === "string" ? new URL(url) : url;
    const protocol = target.protocol;
    if (protocol !== "http:" && protocol !== "https:") {
      throw new TypeError(`Cannot request "${protocol}" URLs over HTTP`);
    }
    const method = checkMethod((init.method ?? "GET").toUpperCase());
    const head = this.#head(method, target, init);
    const replayable = IDEMPOTENT.has(method) &&
      !isStream(init.body);
    const origin = `${protocol}//${target.host}`;
    const pooled = this.#takeIdle(origin);
    if (pooled) {
      try {
        return await this.#exchange(pooled, method, head, init, origin);
      } catch (err) {
        if (!(err instanceof StaleConnection) || !replayable) throw unwrap(err);
      }
    }
    const conn = await this.#connect(target, init);
    try {
      return await this.#exchange(conn, method, head, init, origin);
    } catch (err) {
      throw unwrap(err);
    }
  }

  /** Closes every idle connection; later requests fail. Safe to call twice. */
  close(): void {
    this.#closed = true;
    for (const list of this.#idle.values()) for (const c of list) c.close();
    this.#idle.clear();
  }

  async #connect(target: URL, init: HttpRequestInit): Promise<HttpConn> {
    const tls = target.protocol === "https:";
    const conn = await dial({
      hostname: target.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: Number(target.port || (tls ? 443 : 80)),
      tls,
      ...(init.caCerts ? { caCerts: init.caCerts } : {}),
      ...(init.timeout !== undefined ? { timeout: init.timeout } : {}),
      ...(init.signal ? { signal: init.signal } : {}),
    });
    return new HttpConn(conn, {
      bufferLimit: this.#limits.maxBytes + BORROW_MAX,
    });
  }

  #takeIdle(origin: string): HttpConn | undefined {
    const list = this.#idle.get(origin);
    while (list?.length) {
      const conn = list.pop()!;
      if (conn.isOpen) return conn;
    }
    return undefined;
  }

  #release(origin: string, conn: HttpConn): void {
    let list = this.#idle.get(origin);
    if (this.#closed || !conn.isOpen || (list?.length ?? 0) >= this.#maxIdle) {
      conn.close();
      return;
    }
    if (!list) this.#idle.set(origin, list = []);
    conn.idle();
    list.push(conn);
  }

  #head(method: string, target: URL, init: HttpRequestInit): RequestHead {
    let hasHost = false, hasLength = false, hasTe = false;
    let fields = "";
    for (const [rawName, rawValue] of headerPairs(init.headers)) {
      const name = String(rawName), value = String(rawValue);
      checkHeader(name, value);
      switch (name.length) {
        case 4:
          if (name.toLowerCase() === "host") hasHost = true;
          break;
        case 14:
          if (name.toLowerCase() === "content-length") hasLength = true;
          break;
        case 17:
          if (name.toLowerCase() === "transfer-encoding") hasTe = true;
          break;
      }
      fields += `${name}: ${value}\r\n`;
    }
    if (hasLength && hasTe) {
      throw new TypeError(
        "Cannot send both Content-Length and Transfer-Encoding",
      );
    }
    const path = init.target ?? `${target.pathname || "/"}${target.search}`;
    if (
      TARGET_REGEXP.test(path) ||
      (init.target !== undefined && !ORIGIN_FORM_REGEXP.test(path))
    ) {
      throw new TypeError(`Invalid request target: ${JSON.stringify(path)}`);
    }
    let body: Uint8Array | ReadableStream<Uint8Array> | undefined;
    if (typeof init.body === "string") body = encoder.encode(init.body);
    else if (init.body) body = init.body;
    let text = `${method} ${path} HTTP/1.1\r\n`;
    if (!hasHost) text += `Host: ${target.host}\r\n`;
    text += fields;
    let chunked = false;
    if (body instanceof Uint8Array) {
      if (!hasLength) text += `Content-Length: ${body.length}\r\n`;
    } else if (body) {
      if (!hasLength) {
        chunked = true;
        if (!hasTe) text += "Transfer-Encoding: chunked\r\n";
      }
    } else if (
      !hasLength &&
      (method === "POST" || method === "PUT" || method === "PATCH")
    ) {
      text += "Content-Length: 0\r\n";
    }
    text += "\r\n";
    return { text, body, chunked };
  }

  async #exchange(
    conn: HttpConn,
    method: string,
    request: RequestHead,
    init: HttpRequestInit,
    origin: string,
  ): Promise<HttpResponse> {
    conn.timeout = init.timeout ?? 30_000;
    const signal = init.signal;
    let onAbort: (() => void) | undefined;
    if (signal) {
      onAbort = () =>
        conn.fail(signal.reason ?? new DOMException("Aborted", "AbortError"));
      if (signal.aborted) onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
    }
    const detach = () => {
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    };
    try {
      if (request.body === undefined) await conn.writeHead(request.text);
      else await this.#send(conn, request);
      const head = await this.#readHead(conn);
      if (head.status === 101) {
        detach();
        const buffered = conn.reader.takeBuffered();
        return new ClientResponse(head, null, null, noop, {
          conn: conn.detach(),
          buffered,
        });
      }
      const framing = responseFraming(method, head);
      const reusable = keepAlive(head) && framing.kind !== "close";
      let finished = false;
      const finish = (ok: boolean) => {
        if (finished) return;
        finished = true;
        detach();
        if (ok && reusable) this.#release(origin, conn);
        else conn.close();
      };
      if (framing.kind === "none") {
        finish(true);
        return new ClientResponse(head, null, 0, noop);
      }
      const length = framing.kind === "length" ? framing.length : null;
      const body = new BodyReader(conn.reader, framing);
      return new ClientResponse(head, body, length, finish);
    } catch (err) {
      detach();
      conn.close();
      throw err;
    }
  }

  /** Reads the final response head, skipping 1xx interim responses. */
  async #readHead(conn: HttpConn): Promise<ResponseHead> {
    const progress = { statusLine: false };
    for (let interim = 0;; interim++) {
      if (interim > MAX_INTERIM) {
        throw new HttpProtocolError(
          `More than ${MAX_INTERIM} interim (1xx) responses`,
        );
      }
      let head: ResponseHead | null;
      try {
        head = await readResponseHead(conn.reader, this.#limits, progress);
      } catch (err) {
        if (!progress.statusLine && err instanceof ConnectionClosedError) {
          throw new StaleConnection("", { cause: err });
        }
        throw err;
      }
      if (head === null) {
        const closed = new ConnectionClosedError(
          "Connection closed before the response",
        );
        if (!progress.statusLine) {
          throw new StaleConnection("", { cause: closed });
        }
        throw closed;
      }
      if (head.status >= 200 || head.status === 101) return head;
    }
  }

  async #send(
    conn: HttpConn,
    head: RequestHead,
  ): Promise<void> {
    const { body, chunked } = head;
    if (body instanceof Uint8Array && body.length <= 64 * 1024) {
      await conn.writeHead(head.text, body);
      return;
    }
    await conn.writeHead(head.text);
    if (body instanceof Uint8Array) {
      await conn.writeAll(body);
    } else if (body) {
      for await (const chunk of body) {
        if (chunk.length === 0) continue;
        await conn.writeAll(chunked ? encodeChunk(chunk) : chunk);
      }
      if (chunked) await conn.writeAll(LAST_CHUNK);
    }
  }
}

function noop(): void {}

function unwrap(err: unknown): unknown {
  return err instanceof StaleConnection ? err.cause : err;
}

let shared: HttpClient | undefined;

/**
 * Sends a request with a shared default {@linkcode HttpClient}.
 *
 * @param url An `http:` or `https:` URL.
 * @param init Method, headers, body, timeout, signal.
 * @returns The response; read or cancel its body to free the connection.
 *
 * @example Usage
 * ```ts ignore
 * import { request } from "./http.ts";
 *
 * const res = await request("http://127.0.0.1:8000/");
 * console.log(res.status, res.reason, await new Response(res.body).text());
 * ```
 */
export function request(
  url: string | URL,
  init: HttpRequestInit = {},
): Promise<HttpResponse> {
  shared ??= new HttpClient();
  return shared.request(url, init);
}
