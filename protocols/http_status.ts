/**
 * The standard reason phrases of HTTP status codes (RFC 9110 §15), for
 * responses that carry none of their own.
 *
 * @module
 */

const PHRASES: Record<number, string> = {
  100: "Continue",
  101: "Switching Protocols",
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  206: "Partial Content",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  304: "Not Modified",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  411: "Length Required",
  413: "Content Too Large",
  414: "URI Too Long",
  416: "Range Not Satisfiable",
  417: "Expectation Failed",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
};

/**
 * The standard reason phrase of a status code.
 *
 * @param status The status code.
 * @returns The phrase, or `""` for a code without a standard one.
 *
 * @example Usage
 * ```ts
 * import { reasonPhrase } from "./http_status.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(reasonPhrase(504), "Gateway Timeout");
 * assertEquals(reasonPhrase(299), "");
 * ```
 */
export function reasonPhrase(status: number): string {
  return PHRASES[status] ?? "";
}
