/**
 * Parser for DOS and IIS style LIST lines, and the Windows `dir` lines some
 * servers pass through:
 *
 * ```text
 * 01-15-24  10:30AM       <DIR>          name with spaces
 * 01-15-2024  22:30                 1234 file.txt
 * 15.01.2024  22:30    <DIR>          Ordner
 * 01/15/2024  10:30 AM    <JUNCTION>     Docs [C:\Users\Docs]
 * ```
 *
 * Dates are month first unless the first number cannot be a month, the
 * separator is a dot (day first) or the year comes first. Two-digit years
 * of 69 and below are 20xx. Times are 12-hour with AM/PM or 24-hour, and
 * read as UTC. The blanks between the size column and the name are dropped.
 *
 * @module
 */

import type { FtpEntry, FtpEntryType } from "./_ftp_entry.ts";
import { fullYear, utcDate } from "./_ftp_time.ts";

const DOS_LINE_REGEXP =
  /^[ \t]*(\d{1,4})([-/.])(\d{1,2})\2(\d{2,4})[ \t]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[ \t]*([AaPp])\.?(?:[Mm]\.?)?)?[ \t]+(<[A-Za-z]+>|\d[\d,.']*)[ \t]+([^ \t].*)$/;
const DOS_START_REGEXP = /^[ \t]*\d{1,4}[-/.]\d{1,2}[-/.]\d{2,4}[ \t]/;
const PLAIN_SIZE_REGEXP = /^\d+$/;
const GROUPED_SIZE_REGEXP = /^\d{1,3}([,.'])\d{3}(?:\1\d{3})*$/;
const LINK_TARGET_REGEXP = /^(.*\S) \[([^\]]*)\]$/;

/**
 * Tells whether a line looks like a DOS listing line (starts with a date).
 *
 * @param line One listing line without its line ending.
 * @returns Whether the DOS parser should be tried.
 */
export function testLine(line: string): boolean {
  return DOS_START_REGEXP.test(line);
}

/**
 * Parses one DOS or IIS listing line.
 *
 * @param line One listing line without its line ending.
 * @returns The entry, or `undefined` if the line does not parse.
 */
export function parseLine(line: string): FtpEntry | undefined {
  const match = DOS_LINE_REGEXP.exec(line);
  if (match === null) return undefined;
  const [, a, separator, b, c, hourText, minuteText, secondText, half] = match;
  const sizeText = match[9]!;
  const rest = match[10]!;
  const date = readDate(a!, separator!, b!, c!);
  if (date === undefined) return undefined;
  let hour = Number(hourText);
  if (half !== undefined) {
    if (hour < 1 || hour > 12) return undefined;
    hour = (hour % 12) + (half.toLowerCase() === "p" ? 12 : 0);
  }
  const modified = utcDate(
    date.year,
    date.month,
    date.day,
    hour,
    Number(minuteText),
    secondText === undefined ? 0 : Number(secondText),
  );
  if (modified === undefined) return undefined;
  const entry: FtpEntry = { name: rest, type: "file", facts: {}, raw: line };
  if (sizeText.startsWith("<")) {
    entry.type = typeFromTag(sizeText);
    if (entry.type === "link") {
      const link = LINK_TARGET_REGEXP.exec(rest);
      if (link !== null) {
        entry.name = link[1]!;
        entry.target = link[2]!;
      }
    }
  } else {
    const size = readSize(sizeText);
    if (size === undefined) return undefined;
    entry.size = size;
  }
  entry.modified = modified;
  entry.modifiedPrecision = secondText === undefined ? "minute" : "second";
  return entry;
}

interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

function readDate(
  a: string,
  separator: string,
  b: string,
  c: string,
): CalendarDate | undefined {
  if (a.length === 4) {
    // 2024-01-15
    if (c.length > 2) return undefined;
    return { year: Number(a), month: Number(b), day: Number(c) };
  }
  if (a.length > 2 || c.length === 3) return undefined;
  const year = fullYear(Number(c), c.length);
  const first = Number(a);
  const second = Number(b);
  // 15.01.2024 and 15-01-24 are day first; 01-15-24 is month first.
  if (separator === "." || first > 12) {
    return { year, month: second, day: first };
  }
  return { year, month: first, day: second };
}

function typeFromTag(tag: string): FtpEntryType {
  switch (tag.toUpperCase()) {
    case "<DIR>":
      return "dir";
    case "<JUNCTION>":
    case "<SYMLINK>":
    case "<SYMLINKD>":
      return "link";
    default:
      return "other";
  }
}

function readSize(text: string): number | undefined {
  let digits: string;
  if (PLAIN_SIZE_REGEXP.test(text)) {
    digits = text;
  } else if (GROUPED_SIZE_REGEXP.test(text)) {
    digits = text.replace(/[,.']/g, "");
  } else {
    return undefined;
  }
  const size = Number(digits);
  return Number.isSafeInteger(size) ? size : undefined;
}
