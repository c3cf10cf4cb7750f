/**
 * Parser for RFC 3659 machine listings: MLSD lines (`facts SP name`) and the
 * entry line of an MLST reply.
 *
 * @module
 */

import type { FtpEntry, FtpEntryType } from "./_ftp_entry.ts";
import { parseFtpTime } from "./_ftp_time.ts";

/**
 * A listing line that starts with a fact such as `type=file;` (after one
 * space, as some servers copy the MLST layout into MLSD).
 */
const FACT_LINE_REGEXP = /^ ?[A-Za-z0-9][\w.-]*=[^;]*;/;
const FACT_NAME_REGEXP = /^[A-Za-z0-9][\w.-]*$/;
const DIGITS_REGEXP = /^\d+$/;
const MLST_END_REGEXP = /^\d{3}[ -]/;

/**
 * Tells whether a listing line looks like an MLSD line, that is, starts with
 * a `name=value;` fact.
 *
 * @param line One listing line without its line ending.
 * @returns Whether {@linkcode parseMlsdLine} should be tried.
 */
export function testLine(line: string): boolean {
  return FACT_LINE_REGEXP.test(line);
}

/**
 * Parses one MLSD line, or the entry line of an MLST reply without its
 * leading space.
 *
 * The facts end at the first `"; "`, so a name may contain spaces and `;`
 * and keeps leading and trailing spaces. A line starting with a space has no
 * facts (RFC 3659), unless facts follow that space, as on the MLST entry
 * line. Fact names are lowercased into
 * {@linkcode FtpEntry.facts}; `type` (`file`, `dir`, `cdir`, `pdir`,
 * `OS.unix=slink:target`...), `size` or `sizd`, `modify`, `perm`, `unique`
 * and the `UNIX.` owner and group facts fill the typed fields. A fact that
 * cannot be read (a `modify` that is not a time) is kept in `facts` only.
 *
 * @param line The MLSD line without its line ending.
 * @returns The entry.
 * @throws {SyntaxError} If the line has no facts part or no name.
 *
 * @example Usage
 * ```ts
 * import { parseMlsdLine } from "./ftp_list.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const entry = parseMlsdLine("type=file;size=42;modify=20240115103000; a; b.txt");
 * assertEquals(entry.name, "a; b.txt");
 * assertEquals(entry.size, 42);
 * assertEquals(entry.modified?.toISOString(), "2024-01-15T10:30:00.000Z");
 * ```
 */
export function parseMlsdLine(line: string): FtpEntry {
  const split = splitFacts(line);
  if (split === undefined) {
    throw new SyntaxError(
      `Cannot parse MLSD line ${quote(line)}: no facts before the name`,
    );
  }
  if (split.name === "") {
    throw new SyntaxError(`Cannot parse MLSD line ${quote(line)}: no name`);
  }
  return entryFromFacts(split.name, split.facts, line);
}

/** Same as {@linkcode parseMlsdLine}, for the parser table. */
export function parseLine(line: string): FtpEntry | undefined {
  return parseMlsdLine(line);
}

/**
 * Parses the reply to MLST: the entry is the line starting with a space,
 * between the `250-` and `250 ` lines.
 *
 * @param reply The reply lines (as in `ReplyError.lines`), or the whole reply
 * text with CRLF or LF line endings.
 * @returns The entry. Its name is usually the full path that MLST was given.
 * @throws {SyntaxError} If the reply holds no entry line or the entry cannot
 * be parsed.
 *
 * @example Usage
 * ```ts
 * import { parseMlstReply } from "./ftp_list.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const entry = parseMlstReply([
 *   "250-Listing /pub/a.txt",
 *   " type=file;size=5;modify=20240115103000; /pub/a.txt",
 *   "250 End",
 * ]);
 * assertEquals(entry.name, "/pub/a.txt");
 * assertEquals(entry.type, "file");
 * ```
 */
export function parseMlstReply(reply: readonly string[] | string): FtpEntry {
  const lines = typeof reply === "string"
    ? reply.split("\n").map(stripCarriageReturn)
    : reply.map(stripCarriageReturn);
  for (const line of lines) {
    if (line.startsWith(" ") && line.trim() !== "") {
      return parseMlsdLine(line.slice(1));
    }
  }
  // Some servers forget the leading space: take a facts line that is not a
  // reply code line.
  for (const line of lines) {
    if (!MLST_END_REGEXP.test(line) && testLine(line)) {
      return parseMlsdLine(line);
    }
  }
  throw new SyntaxError(
    `Cannot parse MLST reply ${quote(lines.join("\n"))}: no entry line`,
  );
}

function stripCarriageReturn(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

interface SplitLine {
  facts: Record<string, string>;
  name: string;
}

function splitFacts(line: string): SplitLine | undefined {
  // RFC 3659: entry = [ facts ] SP pathname, facts = 1*( fact ";" ). A
  // leading space means no facts, unless facts follow it: some servers
  // indent MLSD lines like the MLST entry line.
  if (line.startsWith(" ")) {
    const indented = line.startsWith("  ")
      ? undefined
      : splitFacts(line.slice(1));
    return indented ?? { facts: {}, name: line.slice(1) };
  }
  const end = line.indexOf("; ");
  if (end >= 0) {
    const facts = readFacts(line.slice(0, end));
    if (facts !== undefined) return { facts, name: line.slice(end + 2) };
  }
  // Servers that drop the final ";": the facts end at the first space.
  const space = line.indexOf(" ");
  if (space < 0) return undefined;
  const facts = readFacts(line.slice(0, space));
  return facts === undefined
    ? undefined
    : { facts, name: line.slice(space + 1) };
}

function readFacts(text: string): Record<string, string> | undefined {
  const facts: Record<string, string> = {};
  let count = 0;
  for (const part of text.split(";")) {
    if (part === "") continue;
    const equals = part.indexOf("=");
    if (equals <= 0) return undefined;
    const key = part.slice(0, equals);
    if (!FACT_NAME_REGEXP.test(key)) return undefined;
    facts[key.toLowerCase()] = part.slice(equals + 1);
    count++;
  }
  return count === 0 ? undefined : facts;
}

function entryFromFacts(
  name: string,
  facts: Record<string, string>,
  raw: string,
): FtpEntry {
  const entry: FtpEntry = { name, type: "other", facts, raw };
  const typeFact = facts["type"];
  if (typeFact !== undefined) {
    const kind = typeFromFact(typeFact);
    entry.type = kind.type;
    if (kind.target !== undefined) entry.target = kind.target;
  }
  const size = readSize(facts["size"]) ?? readSize(facts["sizd"]);
  if (size !== undefined) entry.size = size;
  const modify = facts["modify"];
  if (modify !== undefined) {
    try {
      entry.modified = parseFtpTime(modify);
      entry.modifiedPrecision = "second";
    } catch {
      // Kept in facts only: never guessed.
    }
  }
  const perm = facts["perm"];
  if (perm !== undefined) entry.permissions = perm;
  const unique = facts["unique"];
  if (unique !== undefined) entry.unique = unique;
  const owner = facts["unix.ownername"] ?? facts["unix.owner"] ??
    facts["unix.uid"];
  if (owner !== undefined) entry.owner = owner;
  const group = facts["unix.groupname"] ?? facts["unix.group"] ??
    facts["unix.gid"];
  if (group !== undefined) entry.group = group;
  return entry;
}

interface EntryKind {
  type: FtpEntryType;
  target?: string;
}

function typeFromFact(value: string): EntryKind {
  const lower = value.toLowerCase();
  switch (lower) {
    case "file":
      return { type: "file" };
    case "dir":
    case "cdir":
    case "pdir":
      return { type: "dir" };
  }
  // OS-specific types such as OS.unix=slink:/target, OS.unix=symlink,
  // OS.unix=chr-1/3, OS.unix=blk-8/0, OS.unix=fifo, OS.unix=socket.
  const equals = lower.indexOf("=");
  const osType = equals >= 0 ? lower.slice(equals + 1) : lower;
  if (osType.startsWith("slink") || osType.startsWith("symlink")) {
    const colon = value.indexOf(":", equals + 1);
    return colon >= 0 && colon < value.length - 1
      ? { type: "link", target: value.slice(colon + 1) }
      : { type: "link" };
  }
  if (osType === "link") return { type: "link" };
  return { type: "other" };
}

function readSize(value: string | undefined): number | undefined {
  if (value === undefined || !DIGITS_REGEXP.test(value)) return undefined;
  const size = Number(value);
  return Number.isSafeInteger(size) ? size : undefined;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 200 ? text.slice(0, 200) + "…" : text);
}
