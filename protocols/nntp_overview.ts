/**
 * NNTP overview lines (RFC 3977 §8.3 OVER, RFC 2980 XOVER) and the format
 * that describes them (LIST OVERVIEW.FMT, RFC 3977 §8.4).
 *
 * Values are kept raw (not RFC 2047 decoded): decoding is the caller's
 * choice, see `decodeHeader()` in `mime_header.ts`.
 *
 * @module
 */

/** One field of an overview line, as listed by LIST OVERVIEW.FMT. */
export interface OverviewField {
  /** The name as listed, without colons or the `full` suffix (`"Subject"`, `"bytes"`). */
  name: string;
  /**
   * The lowercased name (`"subject"`, `"message-id"`, `"bytes"`, `"xref"`);
   * `Bytes:` and `:bytes` both give `"bytes"`, `Lines:` and `:lines` both
   * give `"lines"`.
   */
  key: string;
  /** Whether the values carry the `Name: ` prefix (the `full` suffix). */
  full: boolean;
  /** Whether this is a metadata item (`:bytes`, `:lines`) rather than a header. */
  metadata: boolean;
}

/** The fields of an overview line after the article number, in order. */
export type OverviewFormat = readonly OverviewField[];

/** One parsed overview line. Strings are raw, as the server sent them. */
export interface OverviewEntry {
  /** The article number (0 when the server gives the overview by message-id outside a group). */
  number: number;
  /** The Subject header, raw. */
  subject: string;
  /** The From header, raw. */
  from: string;
  /** The Date header, raw. */
  date: string;
  /** The Message-ID, with its angle brackets. */
  messageId: string;
  /** The References, split on whitespace; empty when there are none. */
  references: string[];
  /** The article size in octets, when the server gave a number. */
  bytes?: number;
  /** The article's line count, when the server gave a number. */
  lines?: number;
  /**
   * The other fields, keyed by lowercased header name (`xref`), without
   * the `Name: ` prefix of `full` fields. Empty fields are left out.
   */
  extra: Record<string, string>;
}

function field(
  name: string,
  key: string,
  metadata: boolean,
  full = false,
): OverviewField {
  return { name, key, full, metadata };
}

/**
 * The overview format of RFC 3977 §8.4, used when a server does not answer
 * LIST OVERVIEW.FMT: Subject, From, Date, Message-ID, References, `:bytes`,
 * `:lines`.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_OVERVIEW_FORMAT } from "./nntp_overview.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(DEFAULT_OVERVIEW_FORMAT.map((f) => f.key), [
 *   "subject", "from", "date", "message-id", "references", "bytes", "lines",
 * ]);
 * ```
 */
export const DEFAULT_OVERVIEW_FORMAT: OverviewFormat = Object.freeze([
  field("Subject", "subject", false),
  field("From", "from", false),
  field("Date", "date", false),
  field("Message-ID", "message-id", false),
  field("References", "references", false),
  field("bytes", "bytes", true),
  field("lines", "lines", true),
]);

/**
 * Parses the lines of a LIST OVERVIEW.FMT reply. Both the RFC 3977 spelling
 * (`:bytes`, `:lines`) and the older one (`Bytes:`, `Lines:`) are accepted;
 * a `full` suffix (`Xref:full`, any case) marks fields whose values start
 * with `Name: `. Blank lines are skipped.
 *
 * @param lines The lines of the reply, without the terminating dot.
 * @returns The format.
 *
 * @example Usage
 * ```ts
 * import { parseOverviewFormat } from "./nntp_overview.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const format = parseOverviewFormat([
 *   "Subject:", "From:", "Date:", "Message-ID:", "References:",
 *   "Bytes:", "Lines:", "Xref:full",
 * ]);
 * assertEquals(format[7], { name: "Xref", key: "xref", full: true, metadata: false });
 * ```
 */
export function parseOverviewFormat(lines: readonly string[]): OverviewFormat {
  const fields: OverviewField[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line === "") continue;
    if (line.charCodeAt(0) === 58) {
      // ":bytes", ":lines" (RFC 3977 metadata items)
      const name = line.slice(1);
      fields.push(field(name, name.toLowerCase(), true));
      continue;
    }
    const colon = line.indexOf(":");
    const name = (colon === -1 ? line : line.slice(0, colon)).trim();
    const suffix = colon === -1 ? "" : line.slice(colon + 1).trim();
    const key = name.toLowerCase();
    const full = suffix.toLowerCase() === "full";
    fields.push(
      field(name, key, !full && (key === "bytes" || key === "lines"), full),
    );
  }
  return fields;
}

/** Fields of the format that must be present, counted from the start. */
const REQUIRED_FIELDS = 5;

/**
 * Parses one overview line against a format. Fields are TAB-separated and
 * may be empty; the first is the article number. Fields missing at the end
 * of the line are treated as empty, but a line with fewer fields than the
 * first five of the format (Subject to References) is garbage, as is one
 * whose article number is not a decimal number: both give `null`.
 *
 * @param line The line, without its line ending.
 * @param format The server's format (from {@linkcode parseOverviewFormat}) or
 * {@linkcode DEFAULT_OVERVIEW_FORMAT}.
 * @returns The entry, or `null` for a garbage line.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_OVERVIEW_FORMAT, parseOverviewLine } from "./nntp_overview.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const entry = parseOverviewLine(
 *   "3\tRe: hi\tBob <b@x.invalid>\tMon, 1 Jan 2024 00:00:00 +0000\t<3@x>\t<1@x> <2@x>\t920\t12",
 *   DEFAULT_OVERVIEW_FORMAT,
 * );
 * assertEquals(entry?.references, ["<1@x>", "<2@x>"]);
 * assertEquals(entry?.bytes, 920);
 * assertEquals(parseOverviewLine("not an overview line", DEFAULT_OVERVIEW_FORMAT), null);
 * ```
 */
export function parseOverviewLine(
  line: string,
  format: OverviewFormat,
): OverviewEntry | null {
  const parts = line.split("\t");
  const number = parseNumber(parts[0]!);
  if (number === undefined) return null;
  const required = format.length < REQUIRED_FIELDS
    ? format.length
    : REQUIRED_FIELDS;
  if (parts.length < required + 1) return null;
  const entry: OverviewEntry = {
    number,
    subject: "",
    from: "",
    date: "",
    messageId: "",
    references: [],
    extra: {},
  };
  const count = Math.min(parts.length - 1, format.length);
  for (let i = 0; i < count; i++) {
    const f = format[i]!;
    let value = parts[i + 1]!;
    if (value === "") continue;
    if (f.full) value = stripName(value, f.key);
    switch (f.key) {
      case "subject":
        entry.subject = value;
        break;
      case "from":
        entry.from = value;
        break;
      case "date":
        entry.date = value;
        break;
      case "message-id":
        entry.messageId = value.trim();
        break;
      case "references":
        entry.references = splitReferences(value);
        break;
      case "bytes":
      case "lines": {
        const n = parseNumber(value.trim());
        if (n !== undefined) entry[f.key] = n;
        break;
      }
      default:
        entry.extra[f.key] = value;
    }
  }
  return entry;
}

/** Parses a decimal number of at most 16 digits. */
function parseNumber(s: string): number | undefined {
  const length = s.length;
  if (length === 0 || length > 16) return undefined;
  let n = 0;
  for (let i = 0; i < length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return n <= Number.MAX_SAFE_INTEGER ? n : undefined;
}

/** Removes a `Name:` prefix (any case) and the whitespace after it. */
function stripName(value: string, key: string): string {
  const n = key.length;
  if (
    value.length > n && value.charCodeAt(n) === 58 &&
    value.slice(0, n).toLowerCase() === key
  ) {
    let i = n + 1;
    while (value.charCodeAt(i) === 32 || value.charCodeAt(i) === 9) i++;
    return value.slice(i);
  }
  return value;
}

function splitReferences(value: string): string[] {
  const refs: string[] = [];
  let start = -1;
  for (let i = 0; i <= value.length; i++) {
    const c = i < value.length ? value.charCodeAt(i) : 32;
    if (c === 32 || c === 9 || c === 13 || c === 10) {
      if (start !== -1) {
        refs.push(value.slice(start, i));
        start = -1;
      }
    } else if (start === -1) {
      start = i;
    }
  }
  return refs;
}
