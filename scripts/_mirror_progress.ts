/**
 * Output helpers of `ftp_mirror.ts`: byte and duration formatting, and the
 * live progress line drawn on a terminal (files, bytes, rate, ETA), redrawn
 * at most a few times a second.
 *
 * @module
 */

/**
 * Formats a byte count with binary units: `512 B`, `1.5 KiB`, `3.2 GiB`.
 *
 * @param bytes The count.
 * @returns The text.
 *
 * @example Usage
 * ```ts
 * import { formatBytes } from "./_mirror_progress.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(formatBytes(1536), "1.5 KiB");
 * ```
 */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * Formats seconds as `m:ss` or `h:mm:ss`.
 *
 * @param seconds The duration.
 * @returns The text.
 *
 * @example Usage
 * ```ts
 * import { formatDuration } from "./_mirror_progress.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(formatDuration(125), "2:05");
 * ```
 */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

/** A snapshot of the mirror's progress. */
export interface MirrorProgress {
  /** Files downloaded so far. */
  filesDone: number;
  /** Files known to need a download (grows while listing). */
  filesToGet: number;
  /** Files checked (downloaded, unchanged or failed). */
  filesChecked: number;
  /** Files listed so far. */
  filesListed: number;
  /** Bytes received so far. */
  bytesDone: number;
  /** Bytes of the files that need a download, as far as known. */
  bytesToGet: number;
  /** Whether every directory has been listed (so the totals are final). */
  listingDone: boolean;
  /** Seconds since the start. */
  elapsed: number;
}

/**
 * Renders the one-line progress display.
 *
 * @param progress The snapshot.
 * @param columns Terminal width.
 * @returns The line, at most `columns - 1` characters.
 */
export function progressLine(
  progress: MirrorProgress,
  columns: number,
): string {
  const rate = progress.elapsed > 0 ? progress.bytesDone / progress.elapsed : 0;
  const parts = [
    `checked ${progress.filesChecked}/${progress.filesListed}${
      progress.listingDone ? "" : "+"
    }`,
    `got ${progress.filesDone}/${progress.filesToGet}`,
    `${formatBytes(progress.bytesDone)}/${formatBytes(progress.bytesToGet)}`,
    `${formatBytes(rate)}/s`,
  ];
  if (progress.listingDone && rate > 0) {
    const left = Math.max(0, progress.bytesToGet - progress.bytesDone);
    parts.push(`ETA ${formatDuration(left / rate)}`);
  }
  return parts.join("  ").slice(0, Math.max(10, columns - 1));
}
