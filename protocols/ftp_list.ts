/**
 * Pure parsers for FTP directory listings: MLSD and MLST facts (RFC 3659),
 * Unix `ls -l` style and DOS/IIS style LIST output, plus the RFC 3659 time
 * format of MDTM and MFMT.
 *
 * {@linkcode parseListing} reads each line with the first parser that
 * accepts it (MLSD, then Unix, then DOS). A line no parser accepts is
 * reported in {@linkcode ListingResult.unparsed}, never guessed at.
 *
 * Names are returned exactly as listed, however hostile: check them with
 * {@linkcode isSafeEntryName} before turning them into local paths.
 *
 * @example Usage
 * ```ts
 * import { parseListing } from "./ftp_list.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const listing = [
 *   "total 8",
 *   "drwxr-xr-x    2 ftp      ftp          4096 Jan 15  2023 pub",
 *   "-rw-r--r--    1 ftp      ftp            42 Mar  3 10:30 read me.txt",
 *   "garbage",
 * ].join("\r\n");
 * const { entries, unparsed } = parseListing(listing, {
 *   now: new Date("2024-06-01T00:00:00Z"),
 * });
 * assertEquals(entries.map((entry) => entry.name), ["pub", "read me.txt"]);
 * assertEquals(entries[1]?.modified?.toISOString(), "2024-03-03T10:30:00.000Z");
 * assertEquals(unparsed, ["garbage"]);
 * ```
 *
 * @module
 */

import type { FtpEntry } from "./_ftp_entry.ts";
import * as dos from "./_ftp_list_dos.ts";
import * as mlsd from "./_ftp_list_mlsd.ts";
import * as unix from "./_ftp_list_unix.ts";

export type { FtpEntry, FtpEntryType, FtpTimePrecision } from "./_ftp_entry.ts";
export { parseMlsdLine, parseMlstReply } from "./_ftp_list_mlsd.ts";
export { formatFtpTime, parseFtpTime } from "./_ftp_time.ts";

/**
 * The default for {@linkcode ParseListingOptions.maxEntries}.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_MAX_LISTING_ENTRIES, parseListing } from "./ftp_list.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const { entries } = parseListing("type=file; a", {
 *   maxEntries: DEFAULT_MAX_LISTING_ENTRIES,
 * });
 * assertEquals(entries.length, 1);
 * ```
 */
export const DEFAULT_MAX_LISTING_ENTRIES: number = 1_000_000;

/**
 * The `total 1234` line of `ls -l`, in English and the common locales.
 */
const TOTAL_LINE_REGEXP =
  /^[ \t]*(?:total|insgesamt|totale|totaal|totalt|razem|celkem|yhteensä|итого|合計|合计|总用量|總計|합계):?[ \t]+\d[\d.,]*[ \t]*[KMGTkmgt]?[ \t]*$/i;

/** Options for {@linkcode parseListing}. */
export interface ParseListingOptions {
  /**
   * The current time, used to give a year to Unix dates printed without
   * one (`Jan 15 10:30`): the latest year that puts the date no more than
   * about six months after `now`.
   *
   * @default {new Date()}
   */
  now?: Date;
  /**
   * The most entries to accept; a listing with more is refused with a
   * `RangeError`, so a hostile server cannot exhaust memory.
   *
   * @default {1000000}
   */
  maxEntries?: number;
}

/** The outcome of {@linkcode parseListing}. */
export interface ListingResult {
  /** Every parsed entry, in listing order, `.` and `..` included. */
  entries: FtpEntry[];
  /**
   * The non-blank lines that no parser could read, without line endings.
   * `total` lines of `ls -l` are skipped silently instead.
   */
  unparsed: string[];
}

/**
 * Parses the body of an MLSD or LIST transfer.
 *
 * Lines end with CRLF or LF (a CR elsewhere stays in the name). A leading
 * byte order mark, blank lines and `total N` lines are skipped. Each other line goes to the MLSD parser
 * if it starts with a fact (`type=file;`), else to the Unix parser if it
 * starts with a mode string (`-rw-r--r--`), else to the DOS parser if it
 * starts with a date (`01-15-24`); a line none of them reads ends up in
 * `unparsed`. No line makes this function throw.
 *
 * @param text The listing, decoded to a string.
 * @param options The current time and the entry limit.
 * @returns The entries and the unparsed lines.
 * @throws {RangeError} If the listing holds more than `maxEntries` entries,
 * or if `now` is an invalid date or `maxEntries` is not a non-negative
 * number.
 * @throws {TypeError} If `text` is not a string.
 *
 * @example Usage
 * ```ts
 * import { parseListing } from "./ftp_list.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const { entries } = parseListing(
 *   "type=dir;modify=20240115103000; docs\r\n" +
 *     "01-15-24  10:30PM                 1234 notes.txt\r\n",
 * );
 * assertEquals(entries[0]?.type, "dir");
 * assertEquals(entries[1]?.size, 1234);
 * assertEquals(entries[1]?.modified?.toISOString(), "2024-01-15T22:30:00.000Z");
 * ```
 */
export function parseListing(
  text: string,
  options: ParseListingOptions = {},
): ListingResult {
  if (typeof text !== "string") {
    throw new TypeError(
      `Cannot parse listing: expected a string, got ${typeof text}`,
    );
  }
  const now = options.now ?? new Date();
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new RangeError(
      'Cannot parse listing: option "now" is not a valid date',
    );
  }
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_LISTING_ENTRIES;
  if (typeof maxEntries !== "number" || !(maxEntries >= 0)) {
    throw new RangeError(
      `Cannot parse listing: option "maxEntries" must be a non-negative number, got "${
        String(maxEntries)
      }"`,
    );
  }
  const entries: FtpEntry[] = [];
  const unparsed: string[] = [];
  const context = { now };
  // A byte order mark some Windows servers put before the first line.
  let start = text.startsWith("\ufeff") ? 1 : 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line.trim() === "" || TOTAL_LINE_REGEXP.test(line)) continue;
    const entry = parseListingLine(line, context);
    if (entry === undefined) {
      unparsed.push(line);
      continue;
    }
    if (entries.length >= maxEntries) {
      throw new RangeError(
        `Cannot parse listing: it has more than ${maxEntries} entries`,
      );
    }
    entries.push(entry);
  }
  return { entries, unparsed };
}

function parseListingLine(
  line: string,
  context: unix.UnixParseContext,
): FtpEntry | undefined {
  try {
    if (mlsd.testLine(line)) return mlsd.parseLine(line);
    if (unix.testLine(line)) return unix.parseLine(line, context);
    if (dos.testLine(line)) return dos.parseLine(line);
  } catch {
    // A line that breaks a parser is reported, never guessed at.
  }
  return undefined;
}

/**
 * Tells whether a listed name is safe to use as one local path component.
 *
 * Returns `false` for the empty name, `.` and `..`, and for names holding
 * `/`, `\`, NUL or any other control character (C0, DEL or C1), which a
 * hostile server could use to escape the target directory or to forge
 * terminal output. Other names, however odd, are `true`.
 *
 * @param name The entry name as listed.
 * @returns Whether the name is safe.
 *
 * @example Usage
 * ```ts
 * import { isSafeEntryName } from "./ftp_list.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(isSafeEntryName("report 2024.pdf"), true);
 * assertEquals(isSafeEntryName("../etc/passwd"), false);
 * assertEquals(isSafeEntryName("evil\r\nname"), false);
 * ```
 */
export function isSafeEntryName(name: string): boolean {
  if (typeof name !== "string") return false;
  if (name === "" || name === "." || name === "..") return false;
  if (name.includes("/") || name.includes("\\")) return false;
  for (let index = 0; index < name.length; index++) {
    const code = name.charCodeAt(index);
    // C0 controls (NUL included), DEL and C1 controls.
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return false;
  }
  return true;
}
