/**
 * Parser for Unix `ls -l` style LIST lines, as written by vsftpd, pure-ftpd,
 * ProFTPD, FileZilla Server, IIS in Unix mode and many others:
 *
 * ```text
 * drwxr-xr-x    2 ftp      ftp          4096 Jan 15 10:30 pub
 * -rw-r--r--    1 1000             5 Jan 15  2023 no group column
 * lrwxrwxrwx    1 root     root            7 Jan 15 10:30 link -> target
 * crw-r--r--    1 root     root       1,   3 Jan 15 10:30 null
 * -rw-r--r--    1 ann      staff        12 2024-01-15 10:30 iso date
 * ```
 *
 * The name starts one blank after the date, so leading and inner spaces are
 * kept. Dates without a year get the year that puts them no more than about
 * six months after `now`. Month names are read in English and in the common
 * `ls` locales.
 *
 * @module
 */

import type { FtpEntry, FtpEntryType, FtpTimePrecision } from "./_ftp_entry.ts";
import { dateWithoutYear, monthFromName, utcDate } from "./_ftp_time.ts";

/** File type letter, nine mode letters, an optional ACL/xattr/SELinux mark. */
const PERMISSIONS_REGEXP = /^[-dlbcpsDn?][-rwxsStTlL]{9}[+@.]?$/;
const DIGITS_REGEXP = /^\d+$/;
const DEVICE_MAJOR_REGEXP = /^\d+,$/;
const DEVICE_REGEXP = /^\d+,\d+$/;
const DAY_REGEXP = /^(\d{1,2})[.日일]?$/;
const YEAR_REGEXP = /^(\d{4})[年년]?$/;
const TIME_REGEXP = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/;
const ISO_DATE_REGEXP = /^(\d{4})-(\d{2})-(\d{2})$/;
const SHORT_ISO_DATE_REGEXP = /^(\d{2})-(\d{2})$/;
const ISO_TIME_REGEXP = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?$/;
const ZONE_REGEXP = /^([+-])(\d{2}):?(\d{2})$/;
/** Tokens looked at before the name; the rest of the line is the name. */
const MAX_TOKENS = 24;
/**
 * How many tokens may sit between mode and size: links, owner and group, and
 * one more for an owner or group name with a space in it.
 */
const MAX_MIDDLE_TOKENS = 4;
const ARROW = " -> ";
const ENCODER = new TextEncoder();

interface Token {
  text: string;
  start: number;
  end: number;
}

interface ParsedDate {
  date: Date;
  precision: FtpTimePrecision;
  /** Index in the line where the name starts. */
  nameStart: number;
}

/** Context the listing gives every line. */
export interface UnixParseContext {
  /** The current time, to date year-less entries. */
  now: Date;
}

/**
 * Tells whether a line looks like an `ls -l` line: a mode string such as
 * `drwxr-xr-x` first (after an optional inode and block count).
 *
 * @param line One listing line without its line ending.
 * @returns Whether the Unix parser should be tried.
 */
export function testLine(line: string): boolean {
  return findPermissions(tokenize(line, 3)) >= 0;
}

/**
 * Parses one `ls -l` line.
 *
 * @param line One listing line without its line ending.
 * @param context The current time for year-less dates.
 * @returns The entry, or `undefined` if the line does not parse.
 */
export function parseLine(
  line: string,
  context: UnixParseContext,
): FtpEntry | undefined {
  const tokens = tokenize(line, MAX_TOKENS);
  const modeIndex = findPermissions(tokens);
  if (modeIndex < 0) return undefined;
  const last = Math.min(tokens.length - 1, modeIndex + MAX_MIDDLE_TOKENS + 3);
  for (let index = modeIndex + 2; index <= last; index++) {
    const size = readSize(tokens, index - 1, modeIndex);
    if (size === undefined) continue;
    if (size.start - modeIndex - 1 > MAX_MIDDLE_TOKENS) break;
    const parsed = readDate(line, tokens, index, context.now);
    if (parsed === undefined) continue;
    return buildEntry(line, tokens, modeIndex, size, parsed);
  }
  return undefined;
}

function tokenize(line: string, max: number): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (tokens.length < max) {
    while (index < line.length && isBlank(line[index])) index++;
    if (index >= line.length) break;
    const start = index;
    while (index < line.length && !isBlank(line[index])) index++;
    tokens.push({ text: line.slice(start, index), start, end: index });
  }
  return tokens;
}

function isBlank(char: string | undefined): boolean {
  return char === " " || char === "\t";
}

function findPermissions(tokens: Token[]): number {
  // `ls -i` and `ls -s` put an inode number and a block count first.
  for (let index = 0; index < 3 && index < tokens.length; index++) {
    const text = tokens[index]!.text;
    if (PERMISSIONS_REGEXP.test(text)) return index;
    if (!DIGITS_REGEXP.test(text)) return -1;
  }
  return -1;
}

interface SizeField {
  /** Bytes, absent for devices. */
  size?: number;
  /** Index of the first token of the size field. */
  start: number;
}

function readSize(
  tokens: Token[],
  index: number,
  modeIndex: number,
): SizeField | undefined {
  const text = tokens[index]!.text;
  if (DEVICE_REGEXP.test(text)) return { start: index };
  if (!DIGITS_REGEXP.test(text)) return undefined;
  const before = tokens[index - 1];
  if (
    index - 1 > modeIndex && before !== undefined &&
    DEVICE_MAJOR_REGEXP.test(before.text)
  ) {
    return { start: index - 1 };
  }
  const size = Number(text);
  return Number.isSafeInteger(size) ? { size, start: index } : { start: index };
}

function readDate(
  line: string,
  tokens: Token[],
  index: number,
  now: Date,
): ParsedDate | undefined {
  const first = tokens[index];
  const second = tokens[index + 1];
  if (first === undefined || second === undefined) return undefined;
  const iso = ISO_DATE_REGEXP.exec(first.text);
  if (iso !== null) return readIsoDate(line, tokens, index, iso);
  const shortIso = SHORT_ISO_DATE_REGEXP.exec(first.text);
  if (shortIso !== null) {
    const time = ISO_TIME_REGEXP.exec(second.text);
    if (time === null || time[3] !== undefined) return undefined;
    const date = dateWithoutYear(
      now,
      Number(shortIso[1]),
      Number(shortIso[2]),
      Number(time[1]),
      Number(time[2]),
    );
    return withName(line, date, "minute", second.end);
  }
  // "Jan 15 10:30", "15 Jan 10:30", "15. Jan 2023", "1月 15日 10:30".
  let month = monthFromName(first.text);
  let day = DAY_REGEXP.exec(second.text);
  if (month === undefined || day === null) {
    day = DAY_REGEXP.exec(first.text);
    month = monthFromName(second.text);
    if (month === undefined || day === null) return undefined;
  }
  const third = tokens[index + 2];
  if (third === undefined) return undefined;
  const dayNumber = Number(day[1]);
  const year = YEAR_REGEXP.exec(third.text);
  if (year !== null) {
    const date = utcDate(Number(year[1]), month, dayNumber);
    return withName(line, date, "day", third.end);
  }
  const time = TIME_REGEXP.exec(third.text);
  if (time === null) return undefined;
  const hour = Number(time[1]);
  const minute = Number(time[2]);
  const fourth = tokens[index + 3];
  if (time[3] !== undefined) {
    const second = Number(time[3]);
    // BSD `ls -lT`: "Jan 15 10:30:45 2024".
    const fullYear = fourth === undefined
      ? null
      : YEAR_REGEXP.exec(fourth.text);
    if (fullYear !== null && fourth !== undefined) {
      const date = utcDate(
        Number(fullYear[1]),
        month,
        dayNumber,
        hour,
        minute,
        second,
      );
      return withName(line, date, "second", fourth.end);
    }
    const date = dateWithoutYear(now, month, dayNumber, hour, minute, second);
    return withName(line, date, "second", third.end);
  }
  const date = dateWithoutYear(now, month, dayNumber, hour, minute);
  return withName(line, date, "minute", third.end);
}

function readIsoDate(
  line: string,
  tokens: Token[],
  index: number,
  iso: RegExpExecArray,
): ParsedDate | undefined {
  const year = Number(iso[1]);
  const month = Number(iso[2]);
  const day = Number(iso[3]);
  const timeToken = tokens[index + 1]!;
  const time = ISO_TIME_REGEXP.exec(timeToken.text);
  if (time === null) {
    // `ls --time-style=iso` prints old dates as "2023-01-15 " plus the
    // separator, so the name follows two blanks.
    const end = tokens[index]!.end;
    const twoBlanks = isBlank(line[end]) && isBlank(line[end + 1]) &&
      !isBlank(line[end + 2]);
    const date = utcDate(year, month, day);
    return withName(line, date, "day", twoBlanks ? end + 1 : end);
  }
  const hasSeconds = time[3] !== undefined;
  let date = utcDate(
    year,
    month,
    day,
    Number(time[1]),
    Number(time[2]),
    hasSeconds ? Number(time[3]) : 0,
    time[4] === undefined ? 0 : Number((time[4] + "00").slice(0, 3)),
  );
  let end = timeToken.end;
  // `ls --full-time` adds the zone: "2024-01-15 10:30:00.000000000 +0100".
  const zoneToken = tokens[index + 2];
  const zone = zoneToken === undefined || !hasSeconds
    ? null
    : ZONE_REGEXP.exec(zoneToken.text);
  if (zone !== null && zoneToken !== undefined && date !== undefined) {
    const offset = (Number(zone[2]) * 60 + Number(zone[3])) * 60_000;
    date = new Date(date.getTime() - (zone[1] === "-" ? -offset : offset));
    end = zoneToken.end;
  }
  return withName(line, date, hasSeconds ? "second" : "minute", end);
}

function withName(
  line: string,
  date: Date | undefined,
  precision: FtpTimePrecision,
  end: number,
): ParsedDate | undefined {
  // Exactly one blank separates the date from the name.
  if (date === undefined || !isBlank(line[end]) || end + 1 >= line.length) {
    return undefined;
  }
  return { date, precision, nameStart: end + 1 };
}

function buildEntry(
  line: string,
  tokens: Token[],
  modeIndex: number,
  size: SizeField,
  parsed: ParsedDate,
): FtpEntry {
  const mode = tokens[modeIndex]!.text;
  const type = typeFromMode(mode);
  const entry: FtpEntry = {
    name: line.slice(parsed.nameStart),
    type,
    facts: {},
    raw: line,
  };
  if (size.size !== undefined) entry.size = size.size;
  entry.modified = parsed.date;
  entry.modifiedPrecision = parsed.precision;
  entry.permissions = mode;
  // Between the mode and the size: [links] [owner] [group].
  let first = modeIndex + 1;
  const stop = size.start;
  if (first < stop && DIGITS_REGEXP.test(tokens[first]!.text)) first++;
  if (first < stop) {
    entry.owner = tokens[first]!.text;
    if (first + 1 < stop) {
      entry.group = line.slice(tokens[first + 1]!.start, tokens[stop - 1]!.end);
    }
  }
  if (type === "link") splitLink(entry, size.size);
  return entry;
}

function typeFromMode(mode: string): FtpEntryType {
  switch (mode[0]) {
    case "-":
      return "file";
    case "d":
      return "dir";
    case "l":
      return "link";
    default:
      return "other";
  }
}

/**
 * Splits `name -> target`. The first arrow is the split, unless the link's
 * size (the length of its target, for `ls`) points at a later arrow.
 */
function splitLink(entry: FtpEntry, size: number | undefined): void {
  const text = entry.name;
  const arrows: number[] = [];
  for (
    let at = text.indexOf(ARROW);
    at >= 0 && arrows.length < 64;
    at = text.indexOf(ARROW, at + 1)
  ) {
    arrows.push(at);
  }
  if (arrows.length === 0) return;
  let split = arrows[0]!;
  if (size !== undefined && !targetHasSize(text, split, size)) {
    const matching = arrows.filter((at) => targetHasSize(text, at, size));
    if (matching.length === 1) split = matching[0]!;
  }
  const name = text.slice(0, split);
  if (name === "") return;
  entry.name = name;
  entry.target = text.slice(split + ARROW.length);
}

function targetHasSize(text: string, arrow: number, size: number): boolean {
  const target = text.slice(arrow + ARROW.length);
  // UTF-8 takes one to three bytes per UTF-16 code unit.
  if (target.length > size || target.length * 3 < size) return false;
  return target.length === size || ENCODER.encode(target).length === size;
}
