/**
 * FTP time values: the RFC 3659 `time-val` of MDTM, MFMT and the MLSD
 * `modify` fact, plus the calendar helpers the LIST parsers share (month
 * names, two-digit years, year-less Unix dates).
 *
 * @module
 */

const TIME_VAL_REGEXP =
  /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d+))?$/;
/** Old servers printed `"19" + (year - 1900)`, giving `19100…` for 2000. */
const Y2K_TIME_VAL_REGEXP =
  /^19(1\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d+))?$/;
const CJK_MONTH_REGEXP = /^(\d{1,2})[月월]$/;
const DAY_MS = 86_400_000;
const ENCODER = new TextEncoder();
/** How far in the future a year-less LIST date may lie (about 6 months). */
const FUTURE_LIMIT_MS = 183 * DAY_MS;

/**
 * Month abbreviations (and some full names) as `ls` prints them in common
 * locales, lowercased and without a final dot.
 */
const MONTH_NAMES: ReadonlyMap<string, number> = buildMonthNames([
  // English
  "jan feb mar apr may jun jul aug sep oct nov dec",
  "january february march april may june july august september october november december",
  "- - - - - - - - sept - - -",
  // German
  "jan feb mär apr mai jun jul aug sep okt nov dez",
  "januar februar märz - - juni juli - - oktober - dezember",
  "jän - mrz - - - - - - - - -",
  // French
  "janv févr mars avr mai juin juil août sept oct nov déc",
  "janvier février - avril - - juillet - septembre octobre novembre décembre",
  "- fevr - - - - - aout - - - -",
  // Spanish, Italian, Portuguese
  "ene feb mar abr may jun jul ago sep oct nov dic",
  "gen feb mar apr mag giu lug ago set ott nov dic",
  "jan fev mar abr mai jun jul ago set out nov dez",
  // Dutch, Scandinavian
  "jan feb mrt apr mei jun jul aug sep okt nov dec",
  "jan feb mar apr maj jun jul aug sep okt nov des",
  // Polish, Czech, Finnish
  "sty lut mar kwi maj cze lip sie wrz paź lis gru",
  "led úno bře dub kvě čen čec srp zář říj lis pro",
  "tammi helmi maalis huhti touko kesä heinä elo syys loka marras joulu",
  // Hungarian, Turkish, Greek
  "jan febr márc ápr máj jún júl aug szept okt nov dec",
  "oca şub mar nis may haz tem ağu eyl eki kas ara",
  "ιαν φεβ μαρ απρ μαΐ ιουν ιουλ αυγ σεπ οκτ νοε δεκ",
  "- - - - μαϊ - - - - - - -",
  // Russian, Ukrainian
  "янв фев мар апр май июн июл авг сен окт ноя дек",
  "- - - - мая - - - сент - - -",
  "січ лют бер кві тра чер лип сер вер жов лис гру",
]);

/**
 * Builds the month table. Each non-ASCII name is also entered as it looks
 * after the wrong decoding (UTF-8 read as Latin-1, or a legacy one-byte
 * charset read as UTF-8 with replacement characters); a spelling that
 * would stand for two months is left out.
 */
function buildMonthNames(rows: string[]): Map<string, number> {
  const map = new Map<string, number>();
  const conflicts = new Set<string>();
  function add(name: string, month: number): void {
    const known = map.get(name);
    if (known !== undefined && known !== month) conflicts.add(name);
    map.set(name, month);
  }
  for (const row of rows) {
    row.split(" ").forEach((name, index) => {
      if (name === "-") return;
      add(name, index + 1);
      if (/^[a-z]*$/.test(name)) return;
      const utf8AsLatin1 = String.fromCharCode(...ENCODER.encode(name));
      add(utf8AsLatin1.toLowerCase(), index + 1);
      add(name.replace(/[^a-z]/g, "\ufffd"), index + 1);
    });
  }
  for (const name of conflicts) map.delete(name);
  return map;
}

/**
 * Parses an RFC 3659 `time-val` (`YYYYMMDDHHMMSS[.sss]`, always UTC), as
 * sent in MDTM replies and the MLSD `modify`, `create` facts.
 *
 * Surrounding whitespace is ignored. A fraction of any length is read to the
 * millisecond. A second of `60` (a leap second) becomes the next second. The
 * `19100…` years written by some pre-2000 servers are read as 2000 onwards.
 *
 * @param value The time value, for example `"20240115103000"`.
 * @returns The instant, in UTC.
 * @throws {SyntaxError} If `value` is not a valid time value.
 *
 * @example Usage
 * ```ts
 * import { parseFtpTime } from "./ftp_list.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const date = parseFtpTime("20240115103000.5");
 * assertEquals(date.toISOString(), "2024-01-15T10:30:00.500Z");
 * ```
 */
export function parseFtpTime(value: string): Date {
  if (typeof value !== "string") {
    throw new TypeError(
      `Cannot parse FTP time: expected a string, got ${typeof value}`,
    );
  }
  const text = value.trim();
  let match = TIME_VAL_REGEXP.exec(text);
  let yearOffset = 0;
  if (match === null) {
    match = Y2K_TIME_VAL_REGEXP.exec(text);
    yearOffset = 1900;
  }
  const date = match === null ? undefined : utcDate(
    Number(match[1]) + yearOffset,
    Number(match[2]),
    Number(match[3]),
    Number(match[4]),
    Number(match[5]),
    Number(match[6]),
    fractionToMilliseconds(match[7]),
  );
  if (date === undefined) {
    throw new SyntaxError(
      `Cannot parse FTP time ${JSON.stringify(value.slice(0, 64))}`,
    );
  }
  return date;
}

/**
 * Formats a date as an RFC 3659 `time-val` in UTC (`YYYYMMDDHHMMSS`), the
 * form MFMT and MDTM take. Milliseconds are dropped, since many servers
 * refuse a fraction.
 *
 * @param date The instant to format.
 * @returns The fourteen-digit time value.
 * @throws {TypeError} If `date` is not a `Date`.
 * @throws {RangeError} If `date` is invalid or outside the years 0 to 9999.
 *
 * @example Usage
 * ```ts
 * import { formatFtpTime } from "./ftp_list.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const text = formatFtpTime(new Date("2024-01-15T10:30:00.999Z"));
 * assertEquals(text, "20240115103000");
 * ```
 */
export function formatFtpTime(date: Date): string {
  if (!(date instanceof Date)) {
    throw new TypeError("Cannot format FTP time: expected a Date");
  }
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 0 || year > 9999) {
    throw new RangeError(
      `Cannot format FTP time: date "${String(date)}" is out of range`,
    );
  }
  return pad(year, 4) + pad(date.getUTCMonth() + 1, 2) +
    pad(date.getUTCDate(), 2) + pad(date.getUTCHours(), 2) +
    pad(date.getUTCMinutes(), 2) + pad(date.getUTCSeconds(), 2);
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}

function fractionToMilliseconds(fraction: string | undefined): number {
  if (fraction === undefined) return 0;
  return Number((fraction + "00").slice(0, 3));
}

/**
 * Builds a UTC date from calendar fields (month 1-12), or `undefined` when a
 * field is out of range (February 30, 24:00 and so on). Second 60 is allowed.
 */
export function utcDate(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  millisecond = 0,
): Date | undefined {
  if (
    !Number.isInteger(year) || year < 0 || year > 9999 ||
    month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) ||
    hour > 23 || minute > 59 || second > 60
  ) {
    return undefined;
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millisecond);
  return date;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return leap ? 29 : 28;
  }
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Reads a month name or abbreviation as `ls` prints it (English and common
 * locales, any case, with or without a final dot, or CJK `1月`).
 *
 * @returns The month 1-12, or `undefined` if `token` is not a month.
 */
export function monthFromName(token: string): number | undefined {
  const cjk = CJK_MONTH_REGEXP.exec(token);
  if (cjk !== null) {
    const month = Number(cjk[1]);
    return month >= 1 && month <= 12 ? month : undefined;
  }
  let name = token.normalize("NFC").toLowerCase();
  if (name.endsWith(".")) name = name.slice(0, -1);
  return MONTH_NAMES.get(name);
}

/**
 * Completes a two-digit year the POSIX way: 69 and below are 20xx, 70 and
 * above are 19xx. Longer years are returned unchanged.
 */
export function fullYear(year: number, digits: number): number {
  if (digits > 2) return year;
  return year < 70 ? 2000 + year : 1900 + year;
}

/**
 * Dates a year-less Unix listing time (`Jan 15 10:30`): the latest year in
 * which that date is no more than about six months after `now`, which is
 * the window in which `ls` and FTP servers print a time instead of a year.
 *
 * @returns The date, or `undefined` if the day never exists (February 30).
 */
export function dateWithoutYear(
  now: Date,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second = 0,
): Date | undefined {
  const limit = now.getTime() + FUTURE_LIMIT_MS;
  const start = now.getUTCFullYear() + 1;
  // Eight years always include a leap year, for February 29.
  for (let year = start; year > start - 9; year--) {
    const date = utcDate(year, month, day, hour, minute, second);
    if (date !== undefined && date.getTime() <= limit) return date;
  }
  return undefined;
}
