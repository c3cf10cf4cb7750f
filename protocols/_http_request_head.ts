/**
 * HTTP/1.1 request heads for the server (RFC 9112 §2–§3, §6): finding the
 * end of a head, and parsing it strictly. A request that two parsers could
 * read differently is refused here, before any handler sees it: a bare LF or
 * a bare CR as a line ending, obs-fold, whitespace before a colon, a control
 * character in a field, a missing or repeated Host, Content-Length together
 * with Transfer-Encoding, conflicting Content-Lengths, a transfer coding
 * other than a single `chunked`.
 *
 * @module
 */

import { fieldLine, HttpProtocolError, listItems } from "./_http_message.ts";
import { decodeByteString } from "./_byte_string.ts";

/**
 * A request the server refuses, with the status to answer: 400 for bad
 * syntax or ambiguous framing, 414 for a long request line, 431 for a large
 * header section, 417 for an unknown expectation, 501 for an unknown
 * transfer coding,  505 for an HTTP major version other than 1 (HTTP/1.2 and up are read as
 * 1.1, as RFC 9110 §2.5 asks).
 *
 * @example Usage
 * ```ts
 * import { HttpRequestError } from "./_http_request_head.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(new HttpRequestError(431, "Header section too large").status, 431);
 * ```
 */
export class HttpRequestError extends HttpProtocolError {
  /** The status the server answers with. */
  readonly status: number;

  /**
   * Creates the error.
   *
   * @param status The status to answer with.
   * @param message What is wrong.
   */
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** A parsed request head. */
export interface RequestHead {
  /** The method, as sent (case-sensitive). */
  method: string;
  /**
   * The request target as sent; bytes outside ASCII are percent-encoded,
   * so it is always ASCII.
   */
  target: string;
  /** `"HTTP/1.1"` or `"HTTP/1.0"`. */
  version: string;
  /** The fields in order, names as sent, values without surrounding whitespace. */
  fields: [string, string][];
  /** The body length from Content-Length, or `null` (chunked, or no field). */
  contentLength: number | null;
  /** The body is chunked. */
  chunked: boolean;
  /** The client wants the connection kept open after the response. */
  keepAlive: boolean;
  /** The client sent `Expect: 100-continue`. */
  expectContinue: boolean;
  /** The Upgrade value when Connection names `upgrade`, otherwise `undefined`. */
  upgrade: string | undefined;
}

/** Limits on a request head. */
export interface RequestHeadLimits {
  /** Largest head (request line and fields) in bytes. */
  maxHeaderBytes: number;
  /** Most header lines. */
  maxHeaderCount: number;
  /** Longest request line in bytes. */
  maxRequestLine: number;
}

const LF = 10;
const CR = 13;
const TOKEN_REGEXP = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const DIGITS_REGEXP = /^\d{1,15}$/;
const VERSION_REGEXP = /^HTTP\/(\d)\.(\d)$/;
/** Controls other than HTAB, and a CR not before an LF, anywhere in a head. */
// deno-lint-ignore no-control-regex
const BAD_CHAR_REGEXP = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)/;
/** Characters a request target may not hold. */
// deno-lint-ignore no-control-regex
const BAD_TARGET_REGEXP = /[\x00-\x20\x7f"<>\\^`{|}]/;
const NON_ASCII_REGEXP = /[\u0080-\uffff]/;

/**
 * Finds the end of a request head in `view`, scanning from `from` (the
 * start of a line not yet complete). Every line must end with CRLF.
 *
 * @param view The buffered bytes, the head starting at 0.
 * @param from Where the scan resumes: 0, or what the last call returned
 * as `resume`.
 * @param limits The size limits, checked as bytes arrive.
 * @returns `end` (the index just past the blank line) once the head is
 * complete, otherwise `resume`.
 * @throws {HttpRequestError} On a bare LF, or a head past the limits.
 *
 * @example Usage
 * ```ts
 * import { scanRequestHead } from "./_http_request_head.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const limits = { maxHeaderBytes: 1024, maxHeaderCount: 10, maxRequestLine: 512 };
 * const bytes = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
 * assertEquals(scanRequestHead(bytes.subarray(0, 20), 0, limits), { resume: 16 });
 * assertEquals(scanRequestHead(bytes, 16, limits), { end: bytes.length });
 * ```
 */
export function scanRequestHead(
  view: Uint8Array,
  from: number,
  limits: RequestHeadLimits,
): { end: number } | { resume: number } {
  let start = from;
  while (true) {
    const lf = view.indexOf(LF, start);
    if (lf < 0) break;
    if (lf === 0 || view[lf - 1] !== CR) {
      throw new HttpRequestError(
        400,
        "A line ends with a bare LF, which is refused",
      );
    }
    if (start === 0 && lf + 1 > limits.maxRequestLine) {
      throw new HttpRequestError(414, "Request line too long");
    }
    if (lf - 1 === start && start > 0) {
      if (lf + 1 > limits.maxHeaderBytes) {
        throw new HttpRequestError(431, "Request header section too large");
      }
      return { end: lf + 1 };
    }
    start = lf + 1;
  }
  if (start === 0 && view.length > limits.maxRequestLine) {
    throw new HttpRequestError(414, "Request line too long");
  }
  if (view.length > limits.maxHeaderBytes) {
    throw new HttpRequestError(431, "Request header section too large");
  }
  return { resume: start };
}

/** Percent-encodes each byte of `target` outside ASCII. */
function asciiTarget(target: string): string {
  if (!NON_ASCII_REGEXP.test(target)) return target;
  let out = "";
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    out += c < 0x80
      ? target[i]
      : `%${c.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

function bad(message: string): HttpRequestError {
  return new HttpRequestError(400, message);
}

function parseRequestLine(
  line: string,
): Pick<RequestHead, "method" | "target" | "version"> {
  const sp1 = line.indexOf(" ");
  const sp2 = sp1 < 0 ? -1 : line.indexOf(" ", sp1 + 1);
  if (sp2 < 0 || line.indexOf(" ", sp2 + 1) >= 0) {
    throw bad(`Malformed request line: ${JSON.stringify(line.slice(0, 100))}`);
  }
  const method = line.slice(0, sp1);
  const target = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  if (!TOKEN_REGEXP.test(method)) {
    throw bad(`Invalid method: ${JSON.stringify(method.slice(0, 40))}`);
  }
  if (target === "" || BAD_TARGET_REGEXP.test(target)) {
    throw bad(
      `Invalid request target: ${JSON.stringify(target.slice(0, 100))}`,
    );
  }
  if (version !== "HTTP/1.1" && version !== "HTTP/1.0") {
    const m = VERSION_REGEXP.exec(version);
    if (!m) throw bad(`Invalid HTTP version: ${JSON.stringify(version)}`);
    // RFC 9110 §2.5: a higher minor version is processed as our highest.
    if (m[1] !== "1") {
      throw new HttpRequestError(505, `HTTP version ${version} not supported`);
    }
    return { method, target: asciiTarget(target), version: "HTTP/1.1" };
  }
  return { method, target: asciiTarget(target), version };
}

function framingOf(
  head: RequestHead,
  lengths: string[] | undefined,
  codings: string[] | undefined,
): void {
  if (lengths) {
    let length: number | undefined;
    for (const v of listItems(lengths)) {
      if (!DIGITS_REGEXP.test(v)) {
        throw bad(`Invalid Content-Length: ${JSON.stringify(v.slice(0, 40))}`);
      }
      if (length !== undefined && Number(v) !== length) {
        throw bad("Conflicting Content-Length values");
      }
      length = Number(v);
    }
    if (length === undefined) throw bad("Empty Content-Length");
    head.contentLength = length;
  }
  if (codings) {
    if (lengths) {
      throw bad("Request has both Content-Length and Transfer-Encoding");
    }
    if (head.version === "HTTP/1.0") {
      throw bad("Transfer-Encoding in an HTTP/1.0 request");
    }
    const list = listItems(codings);
    if (list[list.length - 1] !== "chunked") {
      throw bad("Transfer-Encoding does not end with chunked");
    }
    if (list.indexOf("chunked") !== list.length - 1) {
      // RFC 9112 §7: chunked is applied once; twice is bad framing.
      throw bad("Transfer-Encoding names chunked more than once");
    }
    if (list.length !== 1) {
      throw new HttpRequestError(
        501,
        `Transfer coding not implemented: ${
          JSON.stringify(codings.join(", ").slice(0, 80))
        }`,
      );
    }
    head.chunked = true;
  }
}

/**
 * Parses a complete request head, as found by {@linkcode scanRequestHead}.
 *
 * @param bytes The head, up to and including the blank line.
 * @param limits The count limit.
 * @returns The head.
 * @throws {HttpRequestError} When the request is malformed or ambiguous.
 *
 * @example Usage
 * ```ts
 * import { parseRequestHead } from "./_http_request_head.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const head = parseRequestHead(
 *   new TextEncoder().encode("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n"),
 *   { maxHeaderBytes: 1024, maxHeaderCount: 10, maxRequestLine: 512 },
 * );
 * assertEquals([head.method, head.target, head.contentLength, head.keepAlive], ["POST", "/a", 3, true]);
 * ```
 */
export function parseRequestHead(
  bytes: Uint8Array,
  limits: RequestHeadLimits,
): RequestHead {
  // One character per byte, so obs-text reaches the upstream as the same bytes.
  const text = decodeByteString(bytes);
  if (BAD_CHAR_REGEXP.test(text)) {
    throw bad("Request head holds a control character, which is refused");
  }
  const lineEnd = text.indexOf("\r\n");
  const head: RequestHead = {
    ...parseRequestLine(text.slice(0, lineEnd)),
    fields: [],
    contentLength: null,
    chunked: false,
    keepAlive: true,
    expectContinue: false,
    upgrade: undefined,
  };
  let lengths: string[] | undefined;
  let codings: string[] | undefined;
  let connection: string[] | undefined;
  let upgrade: string | undefined;
  let expect: string | undefined;
  let hosts = 0;
  let pos = lineEnd + 2;
  while (true) {
    const end = text.indexOf("\r\n", pos);
    if (end === pos) break;
    const field = fieldLine(text, pos, end);
    if (typeof field === "string") throw bad(field);
    if (head.fields.length === limits.maxHeaderCount) {
      throw new HttpRequestError(
        431,
        `More than ${limits.maxHeaderCount} header lines`,
      );
    }
    const [name, value] = field;
    head.fields.push(field);
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === "host") hosts++;
        break;
      case 6:
        if (name.toLowerCase() === "expect") expect = value;
        break;
      case 7:
        if (name.toLowerCase() === "upgrade") upgrade = value;
        break;
      case 10:
        if (name.toLowerCase() === "connection") {
          (connection ??= []).push(value);
        }
        break;
      case 14:
        if (name.toLowerCase() === "content-length") {
          (lengths ??= []).push(value);
        }
        break;
      case 17:
        if (name.toLowerCase() === "transfer-encoding") {
          (codings ??= []).push(value);
        }
        break;
    }
    pos = end + 2;
  }
  if (hosts > 1) throw bad("More than one Host field");
  if (hosts === 0 && head.version === "HTTP/1.1") {
    throw bad("HTTP/1.1 request without a Host field");
  }
  framingOf(head, lengths, codings);
  const options = connection ? listItems(connection) : [];
  head.keepAlive = head.version === "HTTP/1.1"
    ? !options.includes("close")
    : options.includes("keep-alive") && !options.includes("close");
  if (upgrade !== undefined && options.includes("upgrade")) {
    head.upgrade = upgrade;
  }
  if (expect !== undefined) {
    if (expect.toLowerCase() !== "100-continue") {
      throw new HttpRequestError(
        417,
        `Unsupported expectation: ${JSON.stringify(expect.slice(0, 40))}`,
      );
    }
    head.expectContinue = head.version === "HTTP/1.1";
  }
  return head;
}
