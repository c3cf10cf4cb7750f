/**
 * The scan behind `news_viewer.ts`: find the articles of a group whose
 * decoded Subject matches, keeping only the matches in memory.
 *
 * Two ways, both streamed and flat in memory whatever the group's size:
 *
 * - `"hdr"`: `HDR Subject` over the range (a fifth of the bytes of OVER) in
 *   pipelined chunks, with the overview entries of the hits asked for on the
 *   same pipeline as soon as they are found (`NntpClient.overWhere`);
 * - `"over"`: the overview of the whole range, in pipelined chunks.
 *
 * `"auto"` takes `"hdr"` unless the server's capabilities are known and do
 * not list HDR, and falls back to `"over"` when HDR and XHDR both fail.
 *
 * @module
 */

import {
  type NntpClient,
  type NntpGroup,
  type NntpRange,
  NntpReplyError,
} from "../protocols/nntp.ts";
import type { OverviewEntry } from "../protocols/nntp_overview.ts";
import { decodeHeader } from "../protocols/mime_header.ts";

/** How the group is scanned. */
export type ScanStrategy = "auto" | "over" | "hdr";

/** Progress of a scan, as reported to {@linkcode ScanOptions.onProgress}. */
export interface ScanProgress {
  /** Articles whose subject has been checked. */
  scanned: number;
  /** Articles in the scanned range (an estimate from GROUP). */
  total: number;
  /** Matches so far. */
  matches: number;
}

/** Options for {@linkcode scanGroup}. */
export interface ScanOptions {
  /** Tells whether a decoded subject matches. */
  match: (subject: string) => boolean;
  /** Only the newest `limit` articles. */
  limit?: number;
  /**
   * How to scan.
   *
   * @default {"auto"}
   */
  strategy?: ScanStrategy;
  /**
   * Articles per command.
   *
   * @default {10000}
   */
  chunkSize?: number;
  /** Called every few thousand articles. */
  onProgress?: (progress: ScanProgress) => void;
  /**
   * The scan is the connection's last use: with `"hdr"`, QUIT is pipelined
   * behind the last command and the connection is closed when it ends.
   *
   * @default {false}
   */
  quit?: boolean;
}

/** What {@linkcode scanGroup} found. */
export interface ScanResult {
  /** Overview entries of the matching articles, in article order. */
  entries: OverviewEntry[];
  /** Articles checked. */
  scanned: number;
  /** The way actually used. */
  strategy: "over" | "hdr";
}

const PROGRESS_EVERY = 5000;

/**
 * Decodes a raw Subject, skipping the decoder when there is no encoded word.
 *
 * @param raw The raw header value.
 * @returns The decoded text.
 */
export function decodeSubject(raw: string): string {
  return raw.includes("=?") ? decodeHeader(raw) : raw;
}

/**
 * The range to scan: the whole group or its newest `limit` articles;
 * `null` for an empty group.
 *
 * @param group The selected group.
 * @param limit The newest articles only.
 * @returns The range, or `null`.
 */
export function scanRange(group: NntpGroup, limit?: number): NntpRange | null {
  if (group.count === 0 || group.high < group.low) return null;
  const start = limit === undefined
    ? group.low
    : Math.max(group.low, group.high - limit + 1);
  return { start, end: group.high };
}

/**
 * Scans the selected group for matching subjects.
 *
 * @param client A connected client.
 * @param group The group, as `client.group()` returned it.
 * @param options The matcher, the range limit, the strategy and a progress callback.
 * @returns The matching overview entries.
 *
 * @example Usage
 * ```ts ignore
 * const group = await client.group("local.big");
 * const { entries } = await scanGroup(client, group, {
 *   match: (s) => s.toLowerCase().includes("deno"),
 * });
 * ```
 */
export async function scanGroup(
  client: NntpClient,
  group: NntpGroup,
  options: ScanOptions,
): Promise<ScanResult> {
  const range = scanRange(group, options.limit);
  const strategy = options.strategy ?? "auto";
  if (range === null) {
    return { entries: [], scanned: 0, strategy: "over" };
  }
  const caps = client.capabilities;
  const useHdr = strategy === "hdr" ||
    (strategy === "auto" && (caps.size === 0 || caps.has("HDR")));
  if (useHdr) {
    try {
      return await scanWithHdr(client, range, options);
    } catch (err) {
      const unsupported = err instanceof NntpReplyError &&
        (err.kind === "unknown-command" ||
          err.kind === "feature-unsupported" ||
          err.kind === "syntax-error");
      if (strategy === "hdr" || !unsupported) throw err;
    }
  }
  return await scanWithOver(client, range, options);
}

async function scanWithHdr(
  client: NntpClient,
  range: NntpRange,
  options: ScanOptions,
): Promise<ScanResult> {
  const total = range.end! - range.start + 1;
  const entries: OverviewEntry[] = [];
  let scanned = 0;
  let reported = 0;
  const match = options.match;
  const hits = client.overWhere(
    "Subject",
    (raw) => match(decodeSubject(raw)),
    range,
    {
      ...(options.chunkSize === undefined
        ? {}
        : { chunkSize: options.chunkSize }),
      ...(options.quit ? { quit: true } : {}),
      onProgress: (tested) => {
        scanned = tested;
        if (scanned - reported >= PROGRESS_EVERY) {
          reported = scanned;
          options.onProgress?.({ scanned, total, matches: entries.length });
        }
      },
    },
  );
  for await (const entry of hits) entries.push(entry);
  options.onProgress?.({ scanned, total, matches: entries.length });
  return { entries, scanned, strategy: "hdr" };
}

async function scanWithOver(
  client: NntpClient,
  range: NntpRange,
  options: ScanOptions,
): Promise<ScanResult> {
  const total = range.end! - range.start + 1;
  const entries: OverviewEntry[] = [];
  let scanned = 0;
  const match = options.match;
  const chunk = options.chunkSize === undefined
    ? {}
    : { chunkSize: options.chunkSize };
  for await (const entry of client.over(range, chunk)) {
    scanned++;
    if (match(decodeSubject(entry.subject))) entries.push(ownEntry(entry));
    if (scanned % PROGRESS_EVERY === 0) {
      options.onProgress?.({ scanned, total, matches: entries.length });
    }
  }
  options.onProgress?.({ scanned, total, matches: entries.length });
  return { entries, scanned, strategy: "over" };
}

/**
 * A copy of a string that holds its own characters. The lines of a big
 * overview reply are cut from one string per network read (V8 keeps such
 * substrings as slices of it), so keeping a few entries from each of many
 * reads would keep every read alive: memory would grow with the group.
 */
function own(text: string): string {
  return (" " + text).slice(1);
}

function ownEntry(entry: OverviewEntry): OverviewEntry {
  const extra: Record<string, string> = {};
  for (const [key, value] of Object.entries(entry.extra)) {
    extra[key] = own(value);
  }
  return {
    ...entry,
    subject: own(entry.subject),
    from: own(entry.from),
    date: own(entry.date),
    messageId: own(entry.messageId),
    references: entry.references.map(own),
    extra,
  };
}
