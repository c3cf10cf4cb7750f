/**
 * HTTP/1.1 message syntax (RFC 9110, RFC 9112) for the client: validating
 * what we send, parsing the status line and header section we receive, and
 * deciding how the body is framed. Framing errors are the smuggling vectors,
 * so every ambiguity is refused rather than guessed.
 *
 * @module
 */

import {
  CommandInjectionError,
  ConnectionClosedError,
  ProtocolError,
} from "./errors.ts";
import type { BufferedReader } from "./buffered_reader.ts";
import { decodeByteString } from "./_byte_string.ts";

/**
 * The server broke HTTP/1.1 framing or syntax: a malformed status line, an
 * oversized header section, an invalid or conflicting Content-Length, both
 * Content-Length and Transfer-Encoding, a bad chunk. The connection is closed.
 *
 * @example Usage
 * ```ts
 * import { HttpProtocolError } from "./_http_message.ts";
 * import { ProtocolError } from "./errors.ts";
 * import { assert } from "../tests/_assert.ts";
 *
 * assert(new HttpProtocolError("Malformed status line") instanceof ProtocolError);
 * ```
 */
export class HttpProtocolError extends ProtocolError {}

const TOKEN_REGEXP = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A field name and its colon, at `lastIndex` (sticky). */
const NAME_COLON_REGEXP = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+:/y;
const BAD_VALUE_REGEXP = /[\r\n\0]/;
const STATUS_REGEXP = /^HTTP\/(\d)\.(\d) (\d{3})(?: (.*))?$/;
const DIGITS_REGEXP = /^\d{1,15}$/;
/** A NUL, or a CR not followed by LF (searched from `lastIndex`). */
const NUL_OR_BARE_CR_REGEXP = /\0|\r(?!\n)/g;

/**
 * Checks a header name and value we are asked to send.
 *
 * @param name The field name.
 * @param value The field value.
 * @throws {CommandInjectionError} When the value holds CR, LF or NUL.
 * @throws {TypeError} When the name is not a token.
 */
export function checkHeader(name: string, value: string): void {
  if (!TOKEN_REGEXP.test(name)) {
    if (BAD_VALUE_REGEXP.test(name)) throw new CommandInjectionError(name);
    throw new TypeError(`Invalid header name: ${JSON.stringify(name)}`);
  }
  if (BAD_VALUE_REGEXP.test(value)) throw new CommandInjectionError(value);
}

/**
 * Checks a method we are asked to send.
 *
 * @param method The method.
 * @returns The method.
 * @throws {TypeError} When it is not a token.
 */
export function checkMethod(method: string): string {
  if (!TOKEN_REGEXP.test(method)) {
    if (BAD_VALUE_REGEXP.test(method)) throw new CommandInjectionError(method);
    throw new TypeError(`Invalid method: ${JSON.stringify(method)}`);
  }
  return method;
}

/** A parsed status line. */
export interface StatusLine {
  /** `"HTTP/1.1"` or `"HTTP/1.0"`. */
  version: string;
  /** The status code. */
  status: number;
  /** The reason phrase exactly as sent (may be empty). */
  reason: string;
}

/**
 * Parses a status line.
 *
 * @param line The line without CRLF.
 * @returns Version, status and reason.
 * @throws {HttpProtocolError} When it is not an HTTP/1.x status line.
 */
export function parseStatusLine(line: string): StatusLine {
  const m = STATUS_REGEXP.exec(line);
  if (!m || m[1] !== "1") {
    throw new HttpProtocolError(
      `Malformed status line: ${JSON.stringify(line.slice(0, 100))}`,
    );
  }
  const status = Number(m[3]);
  if (status < 100) {
    throw new HttpProtocolError(`Invalid status code: ${status}`);
  }
  return { version: `HTTP/1.${m[2]}`, status, reason: m[4] ?? "" };
}

/** Limits on a header section. */
export interface HeaderLimits {
  /** Largest header section in bytes. */
  maxBytes: number;
  /** Most header lines. */
  maxCount: number;
}

/** A response head: the status line and the header fields. */
export interface ResponseHead extends StatusLine {
  /** The fields in order, names and values as sent (values trimmed). */
  fields: [string, string][];
  /** Values of the Content-Length fields, in order. */
  contentLength: string[] | undefined;
  /** Values of the Transfer-Encoding fields, in order. */
  transferEncoding: string[] | undefined;
  /** Values of the Connection fields, in order. */
  connection: string[] | undefined;
}

/** Set once the status line is complete: from then on a close is no stale connection. */
export interface HeadProgress {
  /** True once a whole status line has arrived. */
  statusLine: boolean;
}

const LF = 10;
const CR = 13;
const utf8 = new TextDecoder();

/** The index just past the blank line ending a head that starts at 0, or -1. */
function headEnd(view: Uint8Array, from: number): number {
  let lf = view.indexOf(LF, from);
  while (lf >= 0) {
    const next = view[lf + 1];
    if (next === LF) return lf + 2;
    if (next === CR) {
      if (view[lf + 2] === LF) return lf + 3;
      if (lf + 2 >= view.length) return -1;
    } else if (next === undefined) {
      return -1;
    }
    lf = view.indexOf(LF, lf + 1);
  }
  return -1;
}

/**
 * Reads one response head (status line and header section). The whole head
 * is decoded at once when its end is in the buffer, which it usually is
 * after the first read.
 *
 * @param reader Where the head comes from.
 * @param limits Size and count limits.
 * @param progress Set when the status line is complete.
 * @returns The head, or `null` when the peer closed before sending a byte.
 * @throws {HttpProtocolError} On a malformed status line, obs-fold, a
 * malformed header line, a limit, or a close inside the header section.
 * @throws {ConnectionClosedError} When the peer closes inside the status line.
 */
export async function readResponseHead(
  reader: BufferedReader,
  limits: HeaderLimits,
  progress: HeadProgress,
): Promise<ResponseHead | null> {
  let status: StatusLine | undefined;
  let scanned = 0;
  while (true) {
    const view = reader.peek();
    if (status === undefined) {
      const whole = wholeAsciiHead(view, limits, progress);
      if (whole !== undefined) {
        reader.consume(whole.end);
        return whole.head;
      }
      const lf = view.indexOf(LF);
      if (lf >= 0) {
        status = statusFrom(view.subarray(0, lf));
        progress.statusLine = true;
        scanned = lf;
      }
    }
    if (status !== undefined) {
      const end = headEnd(view, scanned);
      if (end > 0) {
        if (end > limits.maxBytes) throw tooLarge(limits);
        const head = fieldsFrom(
          // One character per byte, so obs-text passes a proxy unchanged.
          decodeByteString(view.subarray(0, end)),
          status,
        );
        reader.consume(end);
        if (head.fields.length > limits.maxCount) {
          throw new HttpProtocolError(
            `More than ${limits.maxCount} header lines`,
          );
        }
        return head;
      }
      scanned = Math.max(scanned, view.length - 3);
    }
    if (view.length > limits.maxBytes) throw tooLarge(limits);
    const buffered = view.length;
    if (!await reader.fill()) {
      if (status !== undefined) {
        throw new HttpProtocolError("Connection closed in the header section");
      }
      if (buffered === 0) return null;
      throw new ConnectionClosedError(
        "Connection closed by peer in the middle of a line",
      );
    }
  }
}

/**
 * The usual case in one decode: the whole head is buffered and is ASCII.
 * Anything else (`undefined`) takes the general path.
 */
function wholeAsciiHead(
  view: Uint8Array,
  limits: HeaderLimits,
  progress: HeadProgress,
): { head: ResponseHead; end: number } | undefined {
  const end = headEnd(view, 0);
  if (end <= 0 || end > limits.maxBytes) return undefined;
  const text = utf8.decode(view.subarray(0, end));
  // Only ASCII decodes to one character per byte (anything else to fewer,
  // or to U+FFFD replacements, which the general path handles as well).
  if (text.length !== end || text.includes("\uFFFD")) return undefined;
  const lf = text.indexOf("\n");
  const status = parseStatusLine(
    text.slice(0, lf > 0 && text.charCodeAt(lf - 1) === CR ? lf - 1 : lf),
  );
  progress.statusLine = true;
  const head = fieldsFrom(text, status);
  if (head.fields.length > limits.maxCount) {
    throw new HttpProtocolError(`More than ${limits.maxCount} header lines`);
  }
  return { head, end };
}

function tooLarge(limits: HeaderLimits): HttpProtocolError {
  return new HttpProtocolError(
    `Header section exceeds the limit of ${limits.maxBytes} bytes`,
  );
}

function statusFrom(bytes: Uint8Array): StatusLine {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === CR) end--;
  // The reason phrase is read as UTF-8 (invalid bytes become U+FFFD).
  return parseStatusLine(utf8.decode(bytes.subarray(0, end)));
}

/** Parses the header lines of a decoded head (status line first). */
function fieldsFrom(text: string, status: StatusLine): ResponseHead {
  const head: ResponseHead = {
    version: status.version,
    status: status.status,
    reason: status.reason,
    fields: [],
    contentLength: undefined,
    transferEncoding: undefined,
    connection: undefined,
  };
  let pos = text.indexOf("\n") + 1;
  // RFC 9110 §5.5: a field value with NUL, or a CR that ends no line, is
  // invalid and dangerous; a recipient must reject it (or blank it out).
  NUL_OR_BARE_CR_REGEXP.lastIndex = pos;
  if (NUL_OR_BARE_CR_REGEXP.test(text)) {
    throw new HttpProtocolError(
      "Header section holds a NUL or a bare CR, which is refused",
    );
  }
  while (true) {
    const lf = text.indexOf("\n", pos);
    let end = lf;
    if (end > pos && text.charCodeAt(end - 1) === CR) end--;
    if (end === pos) return head;
    const field = fieldLine(text, pos, end);
    if (typeof field === "string") throw new HttpProtocolError(field);
    const [name, value] = field;
    head.fields.push(field);
    noteFraming(head, name, value);
    pos = lf + 1;
  }
}

/**
 * Parses one field line of a decoded head, `text[pos, end)` without its line
 * ending: a token, a colon, and the value without the whitespace around it.
 * Obs-fold (a line that starts with SP or HTAB) and anything but a token
 * before the colon are refused.
 *
 * @param text The decoded head.
 * @param pos Where the line starts.
 * @param end Where it ends, before CRLF.
 * @returns The name (as sent) and value, or why the line is refused.
 *
 * @example Usage
 * ```ts
 * import { fieldLine } from "./_http_message.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(fieldLine("Host:  a \r\n", 0, 9), ["Host", "a"]);
 * assertEquals(typeof fieldLine("Host : a\r\n", 0, 8), "string");
 * ```
 */
export function fieldLine(
  text: string,
  pos: number,
  end: number,
): [string, string] | string {
  const first = text.charCodeAt(pos);
  if (first === 32 || first === 9) {
    return "Obsolete line folding in a header section is refused";
  }
  // A token and a colon, matched in place: no slice for the test.
  NAME_COLON_REGEXP.lastIndex = pos;
  if (!NAME_COLON_REGEXP.test(text) || NAME_COLON_REGEXP.lastIndex > end) {
    return `Malformed header line: ${
      JSON.stringify(text.slice(pos, Math.min(end, pos + 100)))
    }`;
  }
  const colon = NAME_COLON_REGEXP.lastIndex - 1;
  return [text.slice(pos, colon), trimOws(text, colon + 1, end)];
}

/**
 * The lowercased, trimmed, non-empty items of comma-separated field values
 * (Connection options, transfer codings, Content-Length lists).
 *
 * @param values The field values.
 * @returns The items, in order.
 *
 * @example Usage
 * ```ts
 * import { listItems } from "./_http_message.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(listItems(["Keep-Alive, ", " Upgrade"]), ["keep-alive", "upgrade"]);
 * ```
 */
export function listItems(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    for (const part of value.split(",")) {
      const item = part.trim().toLowerCase();
      if (item) out.push(item);
    }
  }
  return out;
}

/**
 * The text between `start` and `end` without the optional whitespace (SP and
 * HTAB only, RFC 9110 §5.6.3) around it: `trim()` would also take an obs-text
 * U+00A0 off the edge of a value.
 */
function trimOws(text: string, start: number, end: number): string {
  while (start < end) {
    const c = text.charCodeAt(start);
    if (c !== 32 && c !== 9) break;
    start++;
  }
  while (end > start) {
    const c = text.charCodeAt(end - 1);
    if (c !== 32 && c !== 9) break;
    end--;
  }
  return text.slice(start, end);
}

/** Keeps the values of the fields that decide framing and reuse. */
function noteFraming(head: ResponseHead, name: string, value: string): void {
  switch (name.length) {
    case 10:
      if (name.toLowerCase() === "connection") {
        (head.connection ??= []).push(value);
      }
      break;
    case 14:
      if (name.toLowerCase() === "content-length") {
        (head.contentLength ??= []).push(value);
      }
      break;
    case 17:
      if (name.toLowerCase() === "transfer-encoding") {
        (head.transferEncoding ??= []).push(value);
      }
      break;
  }
}

/** How a response body is delimited. */
export type Framing =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" }
  | { kind: "close" };

/**
 * Decides the framing of a response body (RFC 9112 §6.3).
 *
 * @param method The request method.
 * @param head The response head.
 * @returns The framing.
 * @throws {HttpProtocolError} For Content-Length with Transfer-Encoding,
 * invalid or conflicting Content-Length values, and a Transfer-Encoding
 * other than a single `chunked`.
 */
export function responseFraming(method: string, head: ResponseHead): Framing {
  const status = head.status;
  if (method === "HEAD" || status < 200 || status === 204 || status === 304) {
    return { kind: "none" };
  }
  let length: number | undefined;
  for (const value of head.contentLength ?? []) {
    for (const part of value.split(",")) {
      const v = part.trim();
      if (!DIGITS_REGEXP.test(v)) {
        throw new HttpProtocolError(
          `Invalid Content-Length: ${JSON.stringify(value)}`,
        );
      }
      const n = Number(v);
      if (length !== undefined && length !== n) {
        throw new HttpProtocolError("Conflicting Content-Length values");
      }
      length = n;
    }
  }
  if (head.transferEncoding) {
    if (length !== undefined) {
      throw new HttpProtocolError(
        "Response has both Content-Length and Transfer-Encoding",
      );
    }
    const codings = listItems(head.transferEncoding);
    // Only chunked is decoded: a body under another coding (gzip, chunked)
    // would reach the caller, or a proxy's client, still coded and with
    // nothing left to say so. Go's client refuses these too.
    if (codings.length !== 1 || codings[0] !== "chunked") {
      throw new HttpProtocolError(
        `Unsupported Transfer-Encoding: ${
          JSON.stringify(head.transferEncoding.join(", ").slice(0, 80))
        }`,
      );
    }
    return { kind: "chunked" };
  }
  if (length !== undefined) {
    return length === 0 ? { kind: "none" } : { kind: "length", length };
  }
  return { kind: "close" };
}

/**
 * Tells whether the connection may be reused after this response.
 *
 * @param head The response head.
 * @returns True unless the server asked to close (or spoke HTTP/1.0 without keep-alive).
 */
export function keepAlive(head: ResponseHead): boolean {
  const values = head.connection;
  if (values === undefined) return head.version === "HTTP/1.1";
  if (values.length === 1) {
    const only = values[0]!.toLowerCase();
    if (only === "keep-alive") return true;
    if (only === "close") return false;
  }
  const tokens = listItems(values);
  if (tokens.includes("close")) return false;
  return head.version === "HTTP/1.1" || tokens.includes("keep-alive");
}
