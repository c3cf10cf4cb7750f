/**
 * The samples of one side of a download row (MB/s, peak RSS and process wall
 * time of each run), gathered round by round while the two sides take turns,
 * and turned into a {@linkcode Side} at the end. A side whose run failed is
 * not run again and shows the failure.
 *
 * @module
 */

import { type CommandResult, median } from "./_measure.ts";
import { emptySide, failureNote, type Side, sideOf } from "./_row.ts";

/** The samples of one side, filled run by run. */
export interface Samples {
  /** Tool name for the side. */
  tool: string;
  /** MB/s of each run. */
  mbps: number[];
  /** Peak RSS of each run in KiB, `null` when unknown. */
  rss: (number | null)[];
  /** Process wall time of each run in seconds. */
  walls: number[];
  /** Set when a run failed; that side is not run again. */
  failure: string;
}

/**
 * Starts an empty set of samples.
 *
 * @param tool Tool name for the side.
 * @returns No samples yet.
 *
 * @example Usage
 * ```ts ignore
 * import { samplesOf } from "./_samples.ts";
 *
 * const curl = samplesOf("curl");
 * ```
 */
export function samplesOf(tool: string): Samples {
  return { tool, mbps: [], rss: [], walls: [], failure: "" };
}

/**
 * Runs one sample unless the side already failed; a failure is recorded, not
 * thrown.
 *
 * @param into The side.
 * @param task Takes the sample (and pushes it into `into`).
 *
 * @example Usage
 * ```ts ignore
 * import { sampleInto } from "./_samples.ts";
 *
 * await sampleInto(curl, () => curlSample(url, size, curl, 120_000));
 * ```
 */
export async function sampleInto(
  into: Samples,
  task: () => Promise<unknown>,
): Promise<void> {
  if (into.failure) return;
  try {
    await task();
  } catch (error) {
    into.failure = failureNote(error);
  }
}

/**
 * Turns samples into the side of a row: the median MB/s and the largest RSS,
 * with the median process wall time after `detail`.
 *
 * @param samples The side's samples.
 * @param detail Figures to show first, ending with `, ` when not empty.
 * @returns The side, or an empty one carrying the failure.
 *
 * @example Usage
 * ```ts ignore
 * import { sideFrom } from "./_samples.ts";
 *
 * const side = sideFrom(curl, "");
 * ```
 */
export function sideFrom(samples: Samples, detail: string): Side {
  if (samples.failure) return emptySide(samples.tool, samples.failure);
  return sideOf(
    samples.tool,
    samples.mbps,
    samples.rss,
    `${detail}process wall ${fmtSeconds(samples.walls)}`,
  );
}

/**
 * Formats the median of some seconds, for the detail column.
 *
 * @param seconds Samples in seconds.
 * @returns For example `1.23 s`.
 *
 * @example Usage
 * ```ts ignore
 * import { fmtSeconds } from "./_samples.ts";
 *
 * fmtSeconds([1.2, 1.3, 1.25]); // "1.25 s"
 * ```
 */
export function fmtSeconds(seconds: number[]): string {
  const sorted = [...seconds].sort((a, b) => a - b);
  const mid = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  return `${mid.toFixed(2)} s`;
}

/**
 * A figure of another side for the detail column: its median MB/s, or its
 * failure, or nothing when it never ran.
 *
 * @param label What the figure is, for example `body stream`.
 * @param samples That side's samples.
 * @returns For example `body stream 921 MB/s, `.
 *
 * @example Usage
 * ```ts ignore
 * import { mbpsNote } from "./_samples.ts";
 *
 * const note = mbpsNote("byte stream", stream);
 * ```
 */
export function mbpsNote(label: string, samples: Samples): string {
  if (samples.failure) return `${label} ${samples.failure}, `;
  if (samples.mbps.length === 0) return "";
  const mbps = Math.round(median(samples.mbps)).toLocaleString("en-US");
  return `${label} ${mbps} MB/s, `;
}

/**
 * Records one timed run: its MB/s, and the peak RSS and wall time of its
 * process.
 *
 * @param into The side.
 * @param bytes Bytes moved.
 * @param seconds Seconds the tool itself timed.
 * @param run The measured process.
 *
 * @example Usage
 * ```ts ignore
 * import { recordRun } from "./_samples.ts";
 *
 * recordRun(curl, 104857600, 0.04, result);
 * ```
 */
export function recordRun(
  into: Samples,
  bytes: number,
  seconds: number,
  run: CommandResult,
): void {
  into.mbps.push(bytes / seconds / 1e6);
  into.rss.push(run.peakRssKiB);
  into.walls.push(run.wallMs / 1000);
}
