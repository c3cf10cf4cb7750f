/**
 * Runs `wrk` against a loopback URL and parses its report.
 *
 * @module
 */

import { runMeasured } from "./_measure.ts";

/** Options for {@linkcode runWrk}. */
export interface WrkOptions {
  /**
   * Client threads (`-t`).
   *
   * @default {2}
   */
  threads?: number;
  /**
   * Open connections (`-c`).
   *
   * @default {50}
   */
  connections?: number;
  /**
   * Seconds to run (`-d`), capped at 60.
   *
   * @default {10}
   */
  seconds?: number;
}

/** What one wrk run measured. */
export interface WrkResult {
  /** Requests per second over the run. */
  requestsPerSecond: number;
  /** Median latency in milliseconds. */
  p50Ms: number;
  /** 99th percentile latency in milliseconds. */
  p99Ms: number;
  /** Completed requests. */
  requests: number;
  /** Socket errors plus non-2xx/3xx responses. */
  errors: number;
  /** wrk's own report. */
  report: string;
}

function milliseconds(text: string | undefined): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text ?? "");
  if (!match) return Number.NaN;
  const scale = match[2] === "us" ? 1e-3 : match[2] === "ms" ? 1 : 1000;
  return Number(match[1]) * scale;
}

/**
 * Runs `wrk --latency` against `url` and parses requests/s, p50, p99 and errors.
 *
 * @param url Target on 127.0.0.1.
 * @param options Threads, connections and duration.
 * @returns The parsed figures.
 * @throws {Error} When wrk fails or prints no request rate.
 *
 * @example Usage
 * ```ts ignore
 * import { runWrk } from "./_wrk.ts";
 *
 * const result = await runWrk("http://127.0.0.1:8091/1k.bin", { seconds: 2 });
 * console.log(result.requestsPerSecond, result.p99Ms);
 * ```
 */
export async function runWrk(
  url: string,
  options: WrkOptions = {},
): Promise<WrkResult> {
  const seconds = Math.min(options.seconds ?? 10, 60);
  const result = await runMeasured([
    "wrk",
    `-t${options.threads ?? 2}`,
    `-c${options.connections ?? 50}`,
    `-d${seconds}s`,
    "--timeout",
    "5s",
    "--latency",
    url,
  ], { timeoutMs: (seconds + 30) * 1000 });
  const report = result.stdout;
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(report);
  if (result.code !== 0 || !rate) {
    throw new Error(
      `wrk failed (exit ${result.code}): ${
        (result.stderr || report).trim().slice(0, 300)
      }`,
    );
  }
  const percentile = (p: string) =>
    milliseconds(new RegExp(`^\\s+${p}%\\s+(\\S+)`, "m").exec(report)?.[1]);
  const socket =
    /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/
      .exec(report);
  const socketErrors = socket
    ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0)
    : 0;
  const non2xx = Number(
    /Non-2xx or 3xx responses: (\d+)/.exec(report)?.[1] ?? 0,
  );
  return {
    requestsPerSecond: Number(rate[1]),
    p50Ms: percentile("50"),
    p99Ms: percentile("99"),
    requests: Number(/(\d+) requests in/.exec(report)?.[1] ?? 0),
    errors: socketErrors + non2xx,
    report,
  };
}
