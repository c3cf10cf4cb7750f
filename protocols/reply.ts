/**
 * Numeric replies of line protocols (FTP, NNTP, SMTP): parsing of the
 * `ddd text` and `ddd-text` lines of RFC 959 §4.2, and Go-style matching of
 * an expected code given as a class (`2`), a sub-class (`25`) or an exact
 * code (`250`).
 *
 * @module
 */

import { ProtocolError } from "./errors.ts";

/** A complete numeric reply, single-line or multi-line. */
export interface Reply {
  /** The three-digit reply code. */
  code: number;
  /**
   * The message without the code prefixes; lines of a multi-line reply are
   * joined with `\n`.
   */
  text: string;
  /** Every line exactly as received, without line endings. */
  lines: string[];
}

/** One parsed reply line. */
export interface ReplyLine {
  /** The three-digit code. */
  code: number;
  /** `" "` for a final line, `"-"` for the first line of a multi-line reply. */
  separator: " " | "-";
  /** The text after the code and separator. */
  text: string;
}

const ZERO = 48;

function digit(line: string, i: number): number {
  const c = line.charCodeAt(i) - ZERO;
  return c >= 0 && c <= 9 ? c : -1;
}

/**
 * Parses the first line of a numeric reply.
 *
 * A line of exactly three digits counts as a final line with empty text.
 *
 * @param line The line without its ending.
 * @returns The code, separator and text.
 * @throws {ProtocolError} When the line does not start with a three-digit
 * code followed by a space, a hyphen or the end of the line.
 *
 * @example Usage
 * ```ts
 * import { parseReplyLine } from "./reply.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(parseReplyLine("230-Welcome"), { code: 230, separator: "-", text: "Welcome" });
 * assertEquals(parseReplyLine("200"), { code: 200, separator: " ", text: "" });
 * ```
 */
export function parseReplyLine(line: string): ReplyLine {
  const a = digit(line, 0), b = digit(line, 1), c = digit(line, 2);
  const sep = line.length === 3 ? " " : line[3];
  if (a < 1 || b < 0 || c < 0 || (sep !== " " && sep !== "-")) {
    throw new ProtocolError(
      `Malformed reply line: ${JSON.stringify(line.slice(0, 80))}`,
    );
  }
  return { code: a * 100 + b * 10 + c, separator: sep, text: line.slice(4) };
}

/** An expected reply: a class (`2`), a sub-class (`25`), an exact code (`250`), or a list of them. */
export type ExpectedCode = number | readonly number[];

/**
 * Tells whether `code` matches an expectation given Go-style as a prefix:
 * `2` matches 2xx, `25` matches 25x and `250` only 250. `0` matches anything.
 *
 * @param code The reply code.
 * @param expect One expectation or a list of them.
 * @returns Whether any expectation matches.
 *
 * @example Usage
 * ```ts
 * import { codeMatches } from "./reply.ts";
 * import { assert } from "../tests/_assert.ts";
 *
 * assert(codeMatches(226, 2));
 * assert(codeMatches(226, [150, 22]));
 * assert(!codeMatches(550, 2));
 * ```
 */
export function codeMatches(code: number, expect: ExpectedCode): boolean {
  if (typeof expect !== "number") {
    return expect.some((e) => codeMatches(code, e));
  }
  if (expect === 0) return true;
  if (expect < 10) return Math.floor(code / 100) === expect;
  if (expect < 100) return Math.floor(code / 10) === expect;
  return code === expect;
}

/**
 * The text of a multi-line reply's intermediate line: the `ddd-` prefix is
 * removed when present, other lines are kept as sent (RFC 959 allows both).
 *
 * @param code The reply's code.
 * @param line The raw line.
 * @returns The line's text.
 *
 * @example Usage
 * ```ts
 * import { continuationText } from "./reply.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(continuationText(211, "211-EPSV"), "EPSV");
 * assertEquals(continuationText(211, " MLST type*;"), " MLST type*;");
 * ```
 */
export function continuationText(code: number, line: string): string {
  return line.length >= 4 && line[3] === "-" && line.startsWith(String(code))
    ? line.slice(4)
    : line;
}

/**
 * Tells whether `line` ends a multi-line reply with code `code`: it starts with
 * the same code followed by a space, or is exactly the code.
 *
 * @param code The reply's code.
 * @param line The raw line.
 * @returns Whether the reply is complete.
 *
 * @example Usage
 * ```ts
 * import { isFinalLine } from "./reply.ts";
 * import { assert } from "../tests/_assert.ts";
 *
 * assert(isFinalLine(211, "211 End"));
 * assert(!isFinalLine(211, "211-more"));
 * ```
 */
export function isFinalLine(code: number, line: string): boolean {
  if (line.length < 3 || (line.length > 3 && line[3] !== " ")) return false;
  return digit(line, 0) * 100 + digit(line, 1) * 10 + digit(line, 2) === code &&
    digit(line, 0) > 0 && digit(line, 1) >= 0 && digit(line, 2) >= 0;
}
