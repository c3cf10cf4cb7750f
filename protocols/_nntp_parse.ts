/**
 * Parsers for the text of NNTP status lines and of the lines of simple
 * multi-line replies (CAPABILITIES, LIST ACTIVE, LIST NEWSGROUPS, HDR).
 *
 * @module
 */

import { ProtocolError } from "./errors.ts";

/** A newsgroup as GROUP or LISTGROUP reports it (211). */
export interface NntpGroup {
  /** The group's name. */
  name: string;
  /** Estimated number of articles. */
  count: number;
  /** Lowest article number (may exceed `high` when the group is empty). */
  low: number;
  /** Highest article number. */
  high: number;
}

/** An article as STAT, LAST, NEXT, HEAD, BODY and ARTICLE report it. */
export interface NntpArticlePointer {
  /** Article number in the current group, `0` when selected by message-id outside a group. */
  number: number;
  /** The message-id, angle brackets included. */
  messageId: string;
}

/** One line of LIST ACTIVE or NEWGROUPS. */
export interface NntpActiveGroup {
  /** The group's name. */
  name: string;
  /** Highest article number. */
  high: number;
  /** Lowest article number. */
  low: number;
  /** Posting status: `y` (allowed), `n` (not allowed), `m` (moderated), or another server flag. */
  status: string;
}

/** One line of LIST NEWSGROUPS. */
export interface NntpGroupDescription {
  /** The group's name. */
  name: string;
  /** Its description (raw; may contain RFC 2047 words or 8-bit text). */
  description: string;
}

/** One line of HDR or XHDR. */
export interface NntpHeaderValue {
  /** Article number, `0` when the article was requested by message-id. */
  number: number;
  /** The raw header value (empty when the article lacks the field). */
  value: string;
}

/** Parsed CAPABILITIES: upper-case labels mapped to their arguments. */
export type NntpCapabilities = ReadonlyMap<string, readonly string[]>;

const SPACES_REGEXP = /[ \t]+/;

function toNumber(text: string | undefined): number {
  if (text === undefined || !/^\d+$/.test(text)) return NaN;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : NaN;
}

function malformed(what: string, text: string): ProtocolError {
  return new ProtocolError(
    `Malformed ${what}: ${JSON.stringify(text.slice(0, 120))}`,
  );
}

/**
 * Parses the text of a 211 reply: `count low high name`.
 *
 * @param text The reply text after the code.
 * @param fallbackName Name to use when the server leaves it out.
 * @returns The group.
 * @throws {ProtocolError} When the numbers are missing or invalid.
 */
export function parseGroupReply(text: string, fallbackName = ""): NntpGroup {
  const parts = text.trim().split(SPACES_REGEXP);
  const count = toNumber(parts[0]);
  const low = toNumber(parts[1]);
  const high = toNumber(parts[2]);
  if (Number.isNaN(count) || Number.isNaN(low) || Number.isNaN(high)) {
    throw malformed("group reply", text);
  }
  return { name: parts[3] ?? fallbackName, count, low, high };
}

/**
 * Parses the text of a 220–223 reply: `number <message-id> ...`.
 *
 * @param text The reply text after the code.
 * @returns The article pointer.
 * @throws {ProtocolError} When the number or message-id is missing.
 */
export function parseArticleReply(text: string): NntpArticlePointer {
  const parts = text.trim().split(SPACES_REGEXP);
  const number = toNumber(parts[0]);
  const messageId = parts[1] ?? "";
  if (
    Number.isNaN(number) || !messageId.startsWith("<") ||
    !messageId.endsWith(">")
  ) {
    throw malformed("article reply", text);
  }
  return { number, messageId };
}

/**
 * Parses the lines of a CAPABILITIES reply.
 *
 * @param lines The lines after the 101 status line.
 * @returns Labels (upper case) mapped to their arguments.
 */
export function parseCapabilities(lines: Iterable<string>): NntpCapabilities {
  const map = new Map<string, string[]>();
  for (const line of lines) {
    const parts = line.trim().split(SPACES_REGEXP).filter((p) => p !== "");
    const label = parts.shift();
    if (label) map.set(label.toUpperCase(), parts);
  }
  return map;
}

/**
 * Parses one LIST ACTIVE or NEWGROUPS line: `name high low status`.
 *
 * @param line The line.
 * @returns The group, or `null` when the line is malformed.
 */
export function parseActiveLine(line: string): NntpActiveGroup | null {
  const parts = line.trim().split(SPACES_REGEXP);
  const high = toNumber(parts[1]);
  const low = toNumber(parts[2]);
  const name = parts[0];
  if (!name || Number.isNaN(high) || Number.isNaN(low)) return null;
  return { name, high, low, status: parts[3] ?? "" };
}

/**
 * Parses one LIST NEWSGROUPS line: the name, whitespace, the description.
 *
 * @param line The line.
 * @returns The description, or `null` for an empty line.
 */
export function parseNewsgroupsLine(
  line: string,
): NntpGroupDescription | null {
  const match = /^(\S+)(?:[ \t]+(.*))?$/.exec(line);
  if (!match) return null;
  return { name: match[1]!, description: (match[2] ?? "").trim() };
}

/**
 * Parses one HDR or XHDR line: `number value`.
 *
 * @param line The line.
 * @returns The number and value, or `null` when the number is missing.
 */
export function parseHeaderLine(line: string): NntpHeaderValue | null {
  let end = line.indexOf(" ");
  const tab = line.indexOf("\t");
  if (end < 0 || (tab >= 0 && tab < end)) end = tab;
  const number = toNumber(end < 0 ? line : line.slice(0, end));
  if (Number.isNaN(number)) return null;
  return { number, value: end < 0 ? "" : line.slice(end + 1) };
}

/**
 * Parses the text of a DATE reply (111): `yyyymmddhhmmss`, UTC.
 *
 * @param text The reply text after the code.
 * @returns The server's time.
 * @throws {ProtocolError} When the text is not a valid timestamp.
 */
export function parseDateReply(text: string): Date {
  const match = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)\b/.exec(text.trim());
  if (!match) throw malformed("DATE reply", text);
  const [y, mo, d, h, mi, s] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) {
    throw malformed("DATE reply", text);
  }
  return date;
}
