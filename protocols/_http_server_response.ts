/**
 * What a server handler answers, and how the server frames it: the status
 * line and fields serialized as ISO-8859-1 (one byte per character, so
 * obs-text a proxy received goes out unchanged), Content-Length, chunked or
 * close-delimited framing chosen by the server, never by the handler, and a
 * Date field when the handler gave none.
 *
 * @module
 */

import { checkHeader } from "./_http_message.ts";
import { reasonPhrase } from "./http_status.ts";

/**
 * A body that fills the caller's buffer, as {@linkcode HttpResponse} does:
 * a proxy hands an upstream response over without a stream in between.
 */
export interface BodySource {
  /**
   * Reads the next bytes into `p`.
   *
   * @param p Where they go.
   * @returns How many, or `null` at the end.
   */
  readInto(p: Uint8Array): Promise<number | null>;
  /**
   * Optionally, copies bytes that are at hand into `p` without waiting.
   *
   * @param p Where they go.
   * @returns How many, `null` at the end, `undefined` when `readInto()` must wait.
   */
  readBuffered?(p: Uint8Array): number | null | undefined;
  /** Gives up the rest of the body. */
  cancel(): void;
}

/** A response body. */
export type ServerBody =
  | string
  | Uint8Array
  | ReadableStream<Uint8Array>
  | BodySource
  | null;

/** What a handler answers. */
export interface ServerResponse {
  /** The status code. */
  status: number;
  /** The reason phrase; the standard one (or none) when omitted. */
  reason?: string;
  /**
   * Header fields in order. The server writes the framing fields itself:
   * Content-Length, Transfer-Encoding, Connection and Keep-Alive given here
   * are dropped (a Content-Length is kept on a response that has no body,
   * such as the answer to HEAD). `Connection: close` closes the connection
   * after the response.
   */
  headers?: readonly (readonly [string, string])[];
  /** The body; none for HEAD, 1xx, 204 and 304 whatever is given. */
  body?: ServerBody;
  /** The length of a stream or source body, when known (sent as Content-Length). */
  contentLength?: number | null;
  /**
   * For `101 Switching Protocols`: receives the raw connection, and bytes
   * the client sent after the request, once the head is written. The
   * connection is then the callback's to close; the headers go out as given.
   */
  upgrade?: (conn: Deno.Conn, buffered: Uint8Array) => void | Promise<void>;
  /**
   * The response to send instead when a {@linkcode BodySource} of at most
   * 64 KiB with a known length fails before any byte went out (such a body
   * is read whole and sent in one write with the head): a gateway answers
   * 502 rather than a truncated 200. Without it the connection is closed.
   */
  onBodyError?: (error: unknown) => ServerResponse;
}

/** How the body follows the head. */
export type ResponseFraming = "none" | "length" | "chunked" | "close";

/** A serialized head and how its body goes out. */
export interface ResponsePlan {
  /** The head as text, one character per byte. */
  head: string;
  /** How the body is framed. */
  framing: ResponseFraming;
  /** The body as bytes, when it is bytes. */
  bytes: Uint8Array | undefined;
  /** The body to pump, when it is a stream or a source. */
  source: ReadableStream<Uint8Array> | BodySource | undefined;
  /** The body's length (for `length` framing). */
  length: number;
  /** The connection stays open after this response. */
  keepAlive: boolean;
}

const encoder = new TextEncoder();
const NOT_BYTE_STRING_REGEXP = /[\u0100-\uffff]/;
const REASON_BAD_REGEXP = /[\r\n\0]/;
const CLOSE_REGEXP = /(?:^|,)\s*close\s*(?:,|$)/i;

let dateSecond = -1;
let dateValue = "";

/** The current HTTP-date, computed once per second. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateValue = new Date(now).toUTCString();
  }
  return dateValue;
}

/** The reason as bytes-in-a-string: UTF-8 when it is not a byte string. */
function reasonText(reason: string): string {
  if (REASON_BAD_REGEXP.test(reason)) {
    throw new TypeError(`Invalid reason phrase: ${JSON.stringify(reason)}`);
  }
  if (!NOT_BYTE_STRING_REGEXP.test(reason)) return reason;
  return String.fromCharCode(...encoder.encode(reason));
}

/**
 * Serializes a response head and decides its framing.
 *
 * @param res What the handler answered.
 * @param request The request's method and version, and whether it allows keep-alive.
 * @returns The head and how the body follows.
 * @throws {TypeError} For a field, status or reason that cannot be sent.
 *
 * @example Usage
 * ```ts
 * import { planResponse } from "./_http_server_response.ts";
 * import { assertEquals, assertMatch } from "../tests/_assert.ts";
 *
 * const plan = planResponse({ status: 200, body: "hi" }, {
 *   method: "GET", version: "HTTP/1.1", keepAlive: true,
 * });
 * assertEquals(plan.framing, "length");
 * assertMatch(plan.head, /^HTTP\/1\.1 200 OK\r\nDate: .*\r\nContent-Length: 2\r\n\r\n$/);
 * ```
 */
export function planResponse(
  res: ServerResponse,
  request: { method: string; version: string; keepAlive: boolean },
): ResponsePlan {
  const status = res.status;
  if (!Number.isInteger(status) || status < 100 || status > 999) {
    throw new TypeError(`Invalid status: ${status}`);
  }
  const upgrade = status === 101 && res.upgrade !== undefined;
  if (status < 200 && !upgrade) {
    throw new TypeError(`A handler cannot answer ${status}`);
  }
  const reason = res.reason ?? reasonPhrase(status);
  const statusLine = `HTTP/1.1 ${status} ${reasonText(reason)}\r\n`;
  let head = "";
  const noBody = request.method === "HEAD" || status < 200 ||
    status === 204 || status === 304;
  const body = res.body ?? null;
  let keepAlive = request.keepAlive;
  let hasDate = false;
  let givenLength: string | undefined;
  for (const [name, value] of res.headers ?? []) {
    checkHeader(name, value);
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === "date") hasDate = true;
        break;
      case 10:
        if (!upgrade) {
          const lower = name.toLowerCase();
          if (lower === "connection") {
            if (CLOSE_REGEXP.test(value)) keepAlive = false;
            continue;
          }
          if (lower === "keep-alive") continue;
        }
        break;
      case 14:
        if (name.toLowerCase() === "content-length") {
          givenLength = value;
          continue;
        }
        break;
      case 17:
        if (name.toLowerCase() === "transfer-encoding") continue;
        break;
    }
    head += `${name}: ${value}\r\n`;
  }
  head = statusLine + head;
  if (!hasDate) head += `Date: ${httpDate()}\r\n`;
  let framing: ResponseFraming = "none";
  let bytes: Uint8Array | undefined;
  let source: ReadableStream<Uint8Array> | BodySource | undefined;
  let length = 0;
  if (upgrade) {
    return { head: head + "\r\n", framing, bytes, source, length, keepAlive };
  }
  if (noBody) {
    if (givenLength !== undefined && status !== 204 && status >= 200) {
      head += `Content-Length: ${givenLength}\r\n`;
    }
    // A stream or source given anyway is cancelled once the head is out.
    if (
      body !== null && typeof body === "object" && !(body instanceof Uint8Array)
    ) {
      source = body;
    }
  } else if (typeof body === "string" || body instanceof Uint8Array) {
    bytes = typeof body === "string" ? encoder.encode(body) : body;
    length = bytes.length;
    framing = "length";
    head += `Content-Length: ${length}\r\n`;
  } else if (body === null) {
    framing = "length";
    head += "Content-Length: 0\r\n";
  } else {
    source = body;
    const known = res.contentLength;
    if (known !== undefined && known !== null) {
      if (!Number.isSafeInteger(known) || known < 0) {
        throw new TypeError(`Invalid contentLength: ${known}`);
      }
      framing = "length";
      length = known;
      head += `Content-Length: ${known}\r\n`;
    } else if (request.version === "HTTP/1.1") {
      framing = "chunked";
      head += "Transfer-Encoding: chunked\r\n";
    } else {
      framing = "close";
      keepAlive = false;
    }
  }
  if (!keepAlive) head += "Connection: close\r\n";
  else if (request.version === "HTTP/1.0") head += "Connection: keep-alive\r\n";
  return { head: head + "\r\n", framing, bytes, source, length, keepAlive };
}

/**
 * Whether a body is a {@linkcode BodySource} rather than a stream.
 *
 * @param body A stream or a source.
 * @returns True for a source.
 */
export function isBodySource(
  body: ReadableStream<Uint8Array> | BodySource,
): body is BodySource {
  return typeof (body as BodySource).readInto === "function";
}
