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
import { TextProtoConn } from "./text_proto.ts";
import { BodyReader, encodeChunk, LAST_CHUNK } from "./_http_body.ts";
import {
  checkHeader,
  checkMethod,
  keepAlive,
  parseStatusLine,
  readHeaderLines,
  responseFraming,
} from "./_http_message.ts";

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
  /** Case-insensitive lookup (repeated fields joined by the `Headers` rules). */
  headers: Headers;
  /** The body, or `null` when the response has none. */
  body: ReadableStream<Uint8Array> | null;
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

const IDEMPOTENT = new Set([
  "GET",
  "HEAD",
  "OPTIONS",
  "PUT",
  "DELETE",
  "TRACE",
]);
const encoder = new TextEncoder();

function headerPairs(headers: HttpRequestInit["headers"]): [string, string][] {
  if (!headers) return [];
  if (Array.isArray(headers)) {
    return headers.map(([n, v]) => [String(n), String(v)]);
  }
  const out: [string, string][] = [];
  new Headers(headers as HeadersInit).forEach((v, n) => out.push([n, v]));
  return out;
}

/** A serialized request head and how its body goes out. */
interface RequestHead {
  bytes: Uint8Array;
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
  #idle = new Map<string, TextProtoConn[]>();
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
    if (target.protocol !== "http:" && target.protocol !== "https:") {
      throw new TypeError(`Cannot request "${target.protocol}" URLs over HTTP`);
    }
    const method = checkMethod((init.method ?? "GET").toUpperCase());
    const head = this.#head(method, target, init);
    const replayable = IDEMPOTENT.has(method) &&
      !(init.body instanceof ReadableStream);
    const origin = `${target.protocol}//${target.host}`;
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

  async #connect(target: URL, init: HttpRequestInit): Promise<TextProtoConn> {
    const tls = target.protocol === "https:";
    const conn = await dial({
      hostname: target.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: Number(target.port || (tls ? 443 : 80)),
      tls,
      ...(init.caCerts ? { caCerts: init.caCerts } : {}),
      ...(init.timeout !== undefined ? { timeout: init.timeout } : {}),
      ...(init.signal ? { signal: init.signal } : {}),
    });
    return new TextProtoConn(conn, { maxLineBytes: this.#limits.maxBytes });
  }

  #takeIdle(origin: string): TextProtoConn | undefined {
    const list = this.#idle.get(origin);
    while (list?.length) {
      const conn = list.pop()!;
      if (conn.isOpen) return conn;
    }
    return undefined;
  }

  #release(origin: string, conn: TextProtoConn): void {
    const list = this.#idle.get(origin) ?? [];
    if (this.#closed || !conn.isOpen || list.length >= this.#maxIdle) {
      conn.close();
      return;
    }
    list.push(conn);
    this.#idle.set(origin, list);
  }

  #head(method: string, target: URL, init: HttpRequestInit): RequestHead {
    const pairs = headerPairs(init.headers);
    let hasHost = false, hasLength = false, hasTe = false;
    for (const [name, value] of pairs) {
      checkHeader(name, value);
      const lower = name.toLowerCase();
      if (lower === "host") hasHost = true;
      if (lower === "content-length") hasLength = true;
      if (lower === "transfer-encoding") hasTe = true;
    }
    if (hasLength && hasTe) {
      throw new TypeError(
        "Cannot send both Content-Length and Transfer-Encoding",
      );
    }
    const path = `${target.pathname || "/"}${target.search}`;
    if (/[\s\0]/.test(path)) {
      throw new TypeError(`Invalid request target: ${JSON.stringify(path)}`);
    }
    let body: Uint8Array | ReadableStream<Uint8Array> | undefined;
    if (typeof init.body === "string") body = encoder.encode(init.body);
    else if (init.body) body = init.body;
    let text = `${method} ${path} HTTP/1.1\r\n`;
    if (!hasHost) text += `Host: ${target.host}\r\n`;
    for (const [name, value] of pairs) text += `${name}: ${value}\r\n`;
    let chunked = false;
    if (body instanceof Uint8Array) {
      if (!hasLength) text += `Content-Length: ${body.length}\r\n`;
    } else if (body) {
      if (!hasLength) {
        chunked = true;
        if (!hasTe) text += "Transfer-Encoding: chunked\r\n";
      }
    } else if (!hasLength && ["POST", "PUT", "PATCH"].includes(method)) {
      text += "Content-Length: 0\r\n";
    }
    text += "\r\n";
    return { bytes: encoder.encode(text), body, chunked };
  }

  async #exchange(
    conn: TextProtoConn,
    method: string,
    head: RequestHead,
    init: HttpRequestInit,
    origin: string,
  ): Promise<HttpResponse> {
    conn.timeout = init.timeout ?? 30_000;
    const signal = init.signal;
    const onAbort = () =>
      conn.fail(signal?.reason ?? new DOMException("Aborted", "AbortError"));
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const detach = () => signal?.removeEventListener("abort", onAbort);
    let received = false;
    try {
      await this.#send(conn, head);
      const reader = conn.reader;
      let status;
      let fields: [string, string][];
      while (true) {
        let line: string | null;
        try {
          line = await reader.readLine(this.#limits.maxBytes);
        } catch (err) {
          if (!received && err instanceof ConnectionClosedError) {
            throw new StaleConnection("", { cause: err });
          }
          throw err;
        }
        if (line === null) {
          if (!received) {
            throw new StaleConnection("", {
              cause: new ConnectionClosedError(
                "Connection closed before the response",
              ),
            });
          }
          throw new ConnectionClosedError(
            "Connection closed before the response",
          );
        }
        received = true;
        status = parseStatusLine(line);
        fields = await readHeaderLines(reader, this.#limits, line.length + 2);
        if (status.status >= 200 || status.status === 101) break;
      }
      const headers = new Headers();
      for (const [n, v] of fields) {
        try {
          headers.append(n, v);
        } catch {
          /* a value the Headers class refuses; it stays in headerLines */
        }
      }
      const base = {
        version: status.version,
        status: status.status,
        reason: status.reason,
      };
      if (status.status === 101) {
        detach();
        return {
          ...base,
          headerLines: fields,
          headers,
          body: null,
          upgraded: { conn: conn.conn, buffered: reader.takeBuffered() },
        };
      }
      const framing = responseFraming(method, status.status, fields);
      const reusable = keepAlive(status.version, fields) &&
        framing.kind !== "close";
      const bodyReader = new BodyReader(reader, framing);
      const finish = (ok: boolean) => {
        detach();
        if (ok && reusable) this.#release(origin, conn);
        else conn.close();
      };
      if (bodyReader.done) {
        finish(true);
        return { ...base, headerLines: fields, headers, body: null };
      }
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            const chunk = await bodyReader.next();
            if (chunk === null) {
              finish(true);
              controller.close();
              return;
            }
            controller.enqueue(chunk);
            if (bodyReader.done) {
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
      return { ...base, headerLines: fields, headers, body };
    } catch (err) {
      detach();
      conn.close();
      throw err;
    }
  }

  async #send(
    conn: TextProtoConn,
    head: RequestHead,
  ): Promise<void> {
    const { body, chunked } = head;
    if (body instanceof Uint8Array && body.length <= 64 * 1024) {
      const all = new Uint8Array(head.bytes.length + body.length);
      all.set(head.bytes);
      all.set(body, head.bytes.length);
      await conn.writeAll(all);
      return;
    }
    await conn.writeAll(head.bytes);
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
