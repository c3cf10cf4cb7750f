/**
 * Pure parsers for the FTP control replies the client reads: FEAT, PWD and
 * MKD quoted paths, PASV and EPSV addresses, SIZE, the byte count some
 * servers put in the 150 reply, and the PORT and EPRT arguments.
 *
 * @module
 */

import { ProtocolError } from "./errors.ts";
import type { Reply } from "./reply.ts";
import { decodeByteString } from "./_byte_string.ts";

/**
 * Reads a FEAT reply into a map of upper-case feature names to their
 * parameters (`"MLST" → "type*;size*;modify*;"`, `"UTF8" → ""`).
 *
 * @param reply The 211 reply.
 * @returns The features.
 */
export function parseFeatures(reply: Reply): Map<string, string> {
  const features = new Map<string, string>();
  const lines = reply.lines.slice(1, -1);
  for (const raw of lines) {
    const line = raw.trim();
    if (line === "") continue;
    const space = line.indexOf(" ");
    const name = (space < 0 ? line : line.slice(0, space)).toUpperCase();
    const value = space < 0 ? "" : line.slice(space + 1).trim();
    // Several AUTH lines (AUTH TLS, AUTH SSL) are joined.
    const previous = features.get(name);
    features.set(name, previous ? `${previous} ${value}` : value);
  }
  return features;
}

/**
 * Reads the quoted path of a 257 reply (PWD, MKD): `257 "/a ""b""" created`
 * gives `/a "b"` (RFC 959 doubles a quote inside the name).
 *
 * @param text The reply text.
 * @returns The path, or `undefined` when the reply has no quoted path.
 */
export function parseQuotedPath(text: string): string | undefined {
  const start = text.indexOf('"');
  if (start < 0) return undefined;
  let path = "";
  for (let i = start + 1; i < text.length; i++) {
    const char = text[i]!;
    if (char === '"') {
      if (text[i + 1] === '"') {
        path += '"';
        i++;
        continue;
      }
      return path;
    }
    path += char;
  }
  return undefined;
}

/** A host and port named by a PASV reply. */
export interface PassiveAddress {
  /** The IPv4 address the server named (only logged: data goes to the control peer). */
  hostname: string;
  /** The port. */
  port: number;
}

const PASV_REGEXP =
  /(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})/;

/**
 * Reads the address of a 227 reply: `227 Entering Passive Mode
 * (127,0,0,1,195,80)`. The parentheses are optional, as some servers omit
 * them.
 *
 * @param text The reply text.
 * @returns The host and port.
 * @throws {ProtocolError} When no valid address is found.
 */
export function parsePasvReply(text: string): PassiveAddress {
  const match = PASV_REGEXP.exec(text);
  const parts = match?.slice(1).map(Number);
  if (!parts || parts.some((n) => n > 255)) {
    throw new ProtocolError(
      `Malformed PASV reply: ${JSON.stringify(text.slice(0, 80))}`,
    );
  }
  const port = parts[4]! * 256 + parts[5]!;
  if (port === 0) {
    throw new ProtocolError(`PASV reply names port 0`);
  }
  return { hostname: parts.slice(0, 4).join("."), port };
}

/**
 * Reads the port of a 229 reply: `229 Entering Extended Passive Mode
 * (|||6446|)` (RFC 2428; the delimiter may be any printable character).
 *
 * @param text The reply text.
 * @returns The port.
 * @throws {ProtocolError} When no valid port is found.
 */
export function parseEpsvReply(text: string): number {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  const inner = open >= 0 && close > open ? text.slice(open + 1, close) : "";
  const delimiter = inner[0];
  const fields = delimiter ? inner.split(delimiter) : [];
  const port = fields.length === 5 && /^\d{1,5}$/.test(fields[3]!)
    ? Number(fields[3])
    : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new ProtocolError(
      `Malformed EPSV reply: ${JSON.stringify(text.slice(0, 80))}`,
    );
  }
  return port;
}

const SIZE_IN_REPLY_REGEXP = /\((\d+) bytes?\)/i;

/**
 * Reads the transfer size some servers put in the 150 reply:
 * `150 Opening BINARY mode data connection for a.bin (1234 bytes).`
 *
 * @param text The reply text.
 * @returns The size, or `undefined`.
 */
export function parseSizeInReply(text: string): number | undefined {
  const match = SIZE_IN_REPLY_REGEXP.exec(text);
  if (!match) return undefined;
  const size = Number(match[1]);
  return Number.isSafeInteger(size) ? size : undefined;
}

/**
 * Reads the number of a 213 SIZE reply.
 *
 * @param text The reply text.
 * @returns The size in bytes.
 * @throws {ProtocolError} When the text is not a number.
 */
export function parseSizeReply(text: string): number {
  const value = text.trim();
  const size = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(size)) {
    throw new ProtocolError(
      `Malformed SIZE reply: ${JSON.stringify(value.slice(0, 80))}`,
    );
  }
  return size;
}

/**
 * Formats the argument of PORT (IPv4) or EPRT (RFC 2428) for a listener.
 *
 * @param hostname The local address the server should connect to.
 * @param port The listening port.
 * @returns The command verb and its argument.
 */
export function activeModeCommand(
  hostname: string,
  port: number,
): { verb: "PORT" | "EPRT"; argument: string } {
  if (hostname.includes(":")) {
    return { verb: "EPRT", argument: `|2|${hostname}|${port}|` };
  }
  return {
    verb: "PORT",
    argument: `${hostname.split(".").join(",")},${port >> 8},${port & 255}`,
  };
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes listing bytes line by line: a line that is valid UTF-8 is read as
 * UTF-8, any other line as ISO-8859-1 (each byte one code point), so a name
 * in a legacy encoding is kept recognizable instead of turning into U+FFFD.
 *
 * @param bytes The listing as received.
 * @returns The text.
 */
export function decodeListing(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    // Some line is not UTF-8: decode line by line.
  }
  let text = "";
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(10, start);
    end = end < 0 ? bytes.length : end + 1;
    const line = bytes.subarray(start, end);
    try {
      text += strictUtf8.decode(line);
    } catch {
      text += decodeByteString(line);
    }
    start = end;
  }
  return text;
}
