/**
 * Checks and formats the arguments of NNTP commands: message-ids, article
 * numbers and ranges, wildmats, newsgroup names, header field names and the
 * date/time of NEWGROUPS and NEWNEWS (RFC 3977 §6, §7).
 *
 * @module
 */

/** A range of article numbers; `end` omitted means "to the last article". */
export interface NntpRange {
  /** First article number (inclusive). */
  start: number;
  /** Last article number (inclusive); omitted for an open range. */
  end?: number;
}

const MAX_MESSAGE_ID = 250;

/**
 * Checks a message-id before it goes into a command: `<`, at least one
 * printable ASCII character other than `>` (no space, tab, CR, LF or NUL),
 * `>`, at most 250 characters (RFC 3977 §3.6).
 *
 * @param id The message-id, angle brackets included.
 * @returns The same message-id.
 * @throws {TypeError} When it is not a valid message-id.
 *
 * @example Usage
 * ```ts
 * import { checkMessageId } from "./_nntp_args.ts";
 * import { assertEquals, assertThrows } from "../tests/_assert.ts";
 *
 * assertEquals(checkMessageId("<a.1@example.com>"), "<a.1@example.com>");
 * assertThrows(() => checkMessageId("<a b@example.com>"), TypeError);
 * ```
 */
export function checkMessageId(id: string): string {
  let ok = id.length >= 3 && id.length <= MAX_MESSAGE_ID &&
    id.charCodeAt(0) === 60 && id.charCodeAt(id.length - 1) === 62;
  for (let i = 1; ok && i < id.length - 1; i++) {
    const c = id.charCodeAt(i);
    if (c < 0x21 || c > 0x7e || c === 62) ok = false;
  }
  if (!ok) {
    throw new TypeError(
      `Invalid message-id: ${JSON.stringify(id.slice(0, 300))}`,
    );
  }
  return id;
}

/**
 * Tells whether a string is a valid message-id (see {@linkcode checkMessageId}).
 *
 * @param id The candidate.
 * @returns Whether it may be sent in a command.
 */
export function isMessageId(id: string): boolean {
  try {
    checkMessageId(id);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks an article number.
 *
 * @param n The number.
 * @returns The number as a command argument.
 * @throws {RangeError} When it is not a non-negative safe integer.
 */
export function formatArticleNumber(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`Invalid article number: ${n}`);
  }
  return String(n);
}

/**
 * Formats a range as `start-end` or `start-`.
 *
 * @param range The range.
 * @returns The command argument.
 * @throws {RangeError} When a bound is not a non-negative safe integer.
 */
export function formatRange(range: NntpRange): string {
  const start = formatArticleNumber(range.start);
  return range.end === undefined
    ? `${start}-`
    : `${start}-${formatArticleNumber(range.end)}`;
}

/**
 * Formats an article specifier: a number, a range or a message-id.
 *
 * @param target The article or articles.
 * @returns The command argument.
 * @throws {TypeError} When a string is not a valid message-id.
 * @throws {RangeError} When a number is invalid.
 */
export function formatTarget(target: number | NntpRange | string): string {
  if (typeof target === "string") return checkMessageId(target);
  if (typeof target === "number") return formatArticleNumber(target);
  return formatRange(target);
}

/**
 * Checks a single command token (a newsgroup name, a wildmat, a header field
 * name): non-empty, printable, no whitespace.
 *
 * @param value The token.
 * @param what What it is, for the error message.
 * @returns The token.
 * @throws {TypeError} When it is empty or contains whitespace or control characters.
 */
export function checkToken(value: string, what: string): string {
  // deno-lint-ignore no-control-regex
  if (value.length === 0 || /[\x00-\x20\x7f]/.test(value)) {
    throw new TypeError(
      `Invalid ${what}: ${JSON.stringify(value.slice(0, 300))}`,
    );
  }
  return value;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/**
 * Formats a time as the `yyyymmdd hhmmss GMT` arguments of NEWGROUPS and
 * NEWNEWS.
 *
 * @param date The time.
 * @returns The three arguments.
 * @throws {RangeError} When the date is invalid.
 */
export function formatNntpDate(date: Date): [string, string, string] {
  const t = date.getTime();
  if (Number.isNaN(t)) throw new RangeError("Invalid date");
  return [
    pad(date.getUTCFullYear(), 4) + pad(date.getUTCMonth() + 1, 2) +
    pad(date.getUTCDate(), 2),
    pad(date.getUTCHours(), 2) + pad(date.getUTCMinutes(), 2) +
    pad(date.getUTCSeconds(), 2),
    "GMT",
  ];
}
