/**
 * HTTP/1.1 message syntax (RFC 9110, RFC 9112) for the client: validating
 * what we send, parsing the status line and header section we receive, and
 * deciding how the body is framed. Framing errors are the smuggling vectors,
 * so every ambiguity is refused rather than guessed.
 *
 * @module
 */

import { CommandInjectionError, ProtocolError } from "./errors.ts";
import type { BufferedReader } from "./buffered_reader.ts";

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
const BAD_VALUE_REGEXP = /[\r\n\0]/;
const STATUS_REGEXP = /^HTTP\/(\d)\.(\d) (\d{3})(?: (.*))?$/;

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

/**
 * Reads header lines up to the empty line.
 *
 * @param reader Where the lines come from.
 * @param limits Size and count limits.
 * @param used Bytes of the section already read (the status line).
 * @returns The fields in order, names and values as sent (values trimmed).
 * @throws {HttpProtocolError} On obs-fold, a malformed line or a limit.
 */
export async function readHeaderLines(
  reader: BufferedReader,
  limits: HeaderLimits,
  used = 0,
): Promise<[string, string][]> {
  const fields: [string, string][] = [];
  const decoder = new TextDecoder("latin1");
  let size = used;
  while (true) {
    const view = await reader.readLineView(limits.maxBytes);
    if (view === null) {
      throw new HttpProtocolError("Connection closed in the header section");
    }
    size += view.length + 2;
    if (size > limits.maxBytes) {
      throw new HttpProtocolError(
        `Header section exceeds the limit of ${limits.maxBytes} bytes`,
      );
    }
    if (view.length === 0) return fields;
    const line = decoder.decode(view);
    if (line[0] === " " || line[0] === "\t") {
      throw new HttpProtocolError(
        "Obsolete line folding in a header section is refused",
      );
    }
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    if (!TOKEN_REGEXP.test(name)) {
      throw new HttpProtocolError(
        `Malformed header line: ${JSON.stringify(line.slice(0, 100))}`,
      );
    }
    if (fields.length >= limits.maxCount) {
      throw new HttpProtocolError(`More than ${limits.maxCount} header lines`);
    }
    fields.push([name, line.slice(colon + 1).trim()]);
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
 * @param status The response status.
 * @param fields The response header fields.
 * @returns The framing.
 * @throws {HttpProtocolError} For Content-Length with Transfer-Encoding,
 * invalid or conflicting Content-Length values.
 */
export function responseFraming(
  method: string,
  status: number,
  fields: readonly [string, string][],
): Framing {
  if (method === "HEAD" || status < 200 || status === 204 || status === 304) {
    return { kind: "none" };
  }
  let te: string[] | undefined;
  let length: number | undefined;
  for (const [name, value] of fields) {
    const lower = name.toLowerCase();
    if (lower === "transfer-encoding") {
      (te ??= []).push(
        ...value.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean),
      );
    } else if (lower === "content-length") {
      for (const part of value.split(",")) {
        const v = part.trim();
        if (!/^\d{1,15}$/.test(v)) {
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
  }
  if (te) {
    if (length !== undefined) {
      throw new HttpProtocolError(
        "Response has both Content-Length and Transfer-Encoding",
      );
    }
    return te.at(-1) === "chunked" ? { kind: "chunked" } : { kind: "close" };
  }
  if (length !== undefined) {
    return length === 0 ? { kind: "none" } : { kind: "length", length };
  }
  return { kind: "close" };
}

/** Tells whether the connection may be reused after this response. */
export function keepAlive(
  version: string,
  fields: readonly [string, string][],
): boolean {
  const tokens = fields.filter(([n]) => n.toLowerCase() === "connection")
    .flatMap(([, v]) => v.toLowerCase().split(",").map((s) => s.trim()));
  if (tokens.includes("close")) return false;
  return version === "HTTP/1.1" || tokens.includes("keep-alive");
}
