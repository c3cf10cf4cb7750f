/**
 * Result rows of the benchmark table, the shared context the cases receive,
 * and helpers to build rows.
 *
 * @module
 */

import type { Peers } from "../tests/interop/_peers.ts";
import { median } from "./_measure.ts";

/** What the cases need to know about this run. */
export interface BenchContext {
  /** Repository root, with a trailing slash. */
  root: string;
  /** Facts written by `tests/interop/peers.sh start`. */
  peers: Peers;
  /** Timed repetitions of the short cases (medians are reported). */
  runs: number;
  /** Seconds per wrk run. */
  seconds: number;
  /** The `deno` executable running this runner. */
  deno: string;
  /** Scratch directory on tmpfs for mirrors and output files. */
  scratch: string;
  /** Prints a progress line on stderr. */
  progress(message: string): void;
}

/** One side (ours or theirs) of a row. */
export interface Side {
  /** Tool name, for example `curl` or `scripts/redirector.ts`. */
  tool: string;
  /** The compared figure (median of the samples), `null` when not measured. */
  value: number | null;
  /** Each timed sample. */
  samples: number[];
  /** Peak resident set size in KiB, `null` when unknown. */
  peakRssKiB: number | null;
  /** Extra absolute figures, for example `p99 1.2 ms`. */
  detail: string;
  /** Why there is no value (a missing module, a failure), or a correctness warning. */
  note: string;
}

/** One line of the table. */
export interface BenchRow {
  /** Stable identifier, for comparing JSON files between runs. */
  id: string;
  /** Human description. */
  title: string;
  /** Unit of `value`: `req/s`, `MB/s` or `s`. */
  unit: string;
  /** Whether a bigger value is better (throughput) or a smaller one (time). */
  higherIsBetter: boolean;
  /** The target for ours/theirs, for example `>= 0.7`. */
  target: { op: ">=" | "<="; ratio: number } | null;
  /** Our implementation. */
  ours: Side;
  /** The peer tool. */
  theirs: Side;
  /** ours.value / theirs.value, `null` when either is missing. */
  ratio: number | null;
  /** Whether the ratio meets the target, `null` when there is no ratio or no target. */
  meetsTarget: boolean | null;
}

/**
 * Makes an empty side (nothing measured yet).
 *
 * @param tool Tool name.
 * @param note Why there is no value.
 * @returns The side.
 *
 * @example Usage
 * ```ts ignore
 * import { emptySide } from "./_row.ts";
 *
 * emptySide("curl", "n/a (curl missing)");
 * ```
 */
export function emptySide(tool: string, note = ""): Side {
  return { tool, value: null, samples: [], peakRssKiB: null, detail: "", note };
}

/**
 * Makes a side from samples: the value is their median and the RSS the largest.
 *
 * @param tool Tool name.
 * @param samples Timed samples.
 * @param rss Peak RSS of each run in KiB (`null` entries ignored).
 * @param detail Extra absolute figures.
 * @returns The side.
 *
 * @example Usage
 * ```ts ignore
 * import { sideOf } from "./_row.ts";
 *
 * sideOf("curl", [950, 1010, 990], [9000, 9100, 9050], "");
 * ```
 */
export function sideOf(
  tool: string,
  samples: number[],
  rss: (number | null)[],
  detail: string,
): Side {
  const known = rss.filter((value): value is number => value !== null);
  return {
    tool,
    value: samples.length ? median(samples) : null,
    samples,
    peakRssKiB: known.length ? Math.max(...known) : null,
    detail,
    note: "",
  };
}

/**
 * Completes a row: computes the ratio and whether it meets the target.
 *
 * @param row The row without its ratio.
 * @returns The same row with `ratio` and `meetsTarget` set.
 *
 * @example Usage
 * ```ts ignore
 * import { emptySide, finishRow } from "./_row.ts";
 *
 * finishRow({
 *   id: "x", title: "x", unit: "s", higherIsBetter: false, target: null,
 *   ours: emptySide("a"), theirs: emptySide("b"),
 * });
 * ```
 */
export function finishRow(
  row: Omit<BenchRow, "ratio" | "meetsTarget">,
): BenchRow {
  const { ours, theirs, target } = row;
  const ratio = ours.value !== null && theirs.value !== null && theirs.value > 0
    ? ours.value / theirs.value
    : null;
  const meetsTarget = ratio === null || target === null
    ? null
    : target.op === ">="
    ? ratio >= target.ratio
    : ratio <= target.ratio;
  return { ...row, ratio, meetsTarget };
}

/**
 * Runs `task` and turns a thrown error into a note, so one failing case does
 * not stop the others.
 *
 * @param tool Tool name for the side.
 * @param task Measures the side.
 * @returns The measured side, or an empty one carrying the error.
 *
 * @example Usage
 * ```ts ignore
 * import { guarded, sideOf } from "./_row.ts";
 *
 * const side = await guarded("curl", async () => sideOf("curl", [1], [null], ""));
 * ```
 */
export async function guarded(
  tool: string,
  task: () => Promise<Side>,
): Promise<Side> {
  try {
    return await task();
  } catch (error) {
    return emptySide(tool, failureNote(error));
  }
}

/**
 * The note a failed measurement shows: the first line of its error, cut short.
 *
 * @param error What was thrown.
 * @returns For example `failed: curl exit 7: ...`.
 *
 * @example Usage
 * ```ts ignore
 * import { failureNote } from "./_row.ts";
 *
 * failureNote(new Error("connection refused")); // "failed: connection refused"
 * ```
 */
export function failureNote(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `failed: ${message.split("\n")[0]!.slice(0, 160)}`;
}

/**
 * Checks that the files a case needs exist, relative to the repository root.
 *
 * @param root Repository root with a trailing slash.
 * @param paths Paths relative to the root.
 * @returns `""` when all exist, else `n/a (PATH missing)` for the first missing one.
 *
 * @example Usage
 * ```ts ignore
 * import { missingNote } from "./_row.ts";
 *
 * console.log(await missingNote("/work/main/", ["scripts/redirector.ts"]));
 * ```
 */
export async function missingNote(
  root: string,
  paths: string[],
): Promise<string> {
  for (const path of paths) {
    try {
      await Deno.stat(root + path);
    } catch {
      return `n/a (${path} missing)`;
    }
  }
  return "";
}
