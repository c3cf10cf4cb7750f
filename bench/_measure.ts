/**
 * Process measurement for the benchmark runner: wall time, peak RSS (through
 * GNU time's `%M`, or `VmHWM` for long-running servers), waiting for ports and
 * CPU steal from `/proc/stat`.
 *
 * @module
 */

/** The outcome of one command run by {@linkcode runMeasured}. */
export interface CommandResult {
  /** Exit code (`-1` when it was killed for running too long). */
  code: number;
  /** Standard output, decoded as UTF-8. */
  stdout: string;
  /** Standard error, decoded as UTF-8 (GNU time's own line removed). */
  stderr: string;
  /** Wall-clock milliseconds from spawn to exit. */
  wallMs: number;
  /** Peak resident set size of the command in KiB, `null` when unknown. */
  peakRssKiB: number | null;
}

/** Options for {@linkcode runMeasured}. */
export interface RunOptions {
  /** Working directory. */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /**
   * Kill the command after this many milliseconds.
   *
   * @default {600000}
   */
  timeoutMs?: number;
}

const TIME_BIN = "/usr/bin/time";
const RSS_MARK = "inetkit-bench-maxrss-kib=";

/**
 * Runs a command to completion under `/usr/bin/time`, capturing its output,
 * wall time and peak RSS.
 *
 * @param argv Program and arguments.
 * @param options Working directory, environment and time limit.
 * @returns What the command printed and how it ran.
 *
 * @example Usage
 * ```ts ignore
 * import { runMeasured } from "./_measure.ts";
 *
 * const result = await runMeasured(["curl", "-sS", "-o", "/dev/null", "http://127.0.0.1:8091/1k.bin"]);
 * console.log(result.wallMs, result.peakRssKiB);
 * ```
 */
export async function runMeasured(
  argv: string[],
  options: RunOptions = {},
): Promise<CommandResult> {
  const timed = await exists(TIME_BIN);
  const args = timed ? ["-f", `${RSS_MARK}%M`, "--", ...argv] : argv.slice(1);
  const controller = new AbortController();
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    controller.abort();
  }, options.timeoutMs ?? 600_000);
  const started = performance.now();
  try {
    const output = await new Deno.Command(timed ? TIME_BIN : argv[0]!, {
      args,
      cwd: options.cwd,
      env: { NO_COLOR: "1", ...options.env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: controller.signal,
    }).output();
    const wallMs = performance.now() - started;
    const decoder = new TextDecoder();
    let stderr = decoder.decode(output.stderr);
    let peakRssKiB: number | null = null;
    const mark = stderr.lastIndexOf(RSS_MARK);
    if (mark >= 0) {
      peakRssKiB = Number.parseInt(stderr.slice(mark + RSS_MARK.length), 10);
      stderr = stderr.slice(0, mark).replace(
        /Command exited with non-zero status \d+\n$/,
        "",
      );
    }
    return {
      code: killed ? -1 : output.code,
      stdout: decoder.decode(output.stdout),
      stderr,
      wallMs,
      peakRssKiB: Number.isFinite(peakRssKiB) ? peakRssKiB : null,
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs a command like {@linkcode runMeasured} and fails unless it exits 0.
 *
 * @param argv The command and its arguments.
 * @param options Working directory and time limit.
 * @returns What was measured.
 * @throws {Error} Naming the exit code and the last lines the command printed.
 *
 * @example Usage
 * ```ts ignore
 * import { runChecked } from "./_measure.ts";
 *
 * const { wallMs } = await runChecked(["lftp", "-c", "mirror ..."]);
 * ```
 */
export async function runChecked(
  argv: string[],
  options: RunOptions = {},
): Promise<CommandResult> {
  const result = await runMeasured(argv, options);
  if (result.code !== 0) {
    const said = (result.stderr.trim() || result.stdout.trim()).split("\n");
    throw new Error(`exit ${result.code}: ${said.slice(-2).join(" ")}`);
  }
  return result;
}

/**
 * Tells whether a path exists.
 *
 * @param path File or directory.
 * @returns `true` when `Deno.stat` succeeds.
 *
 * @example Usage
 * ```ts ignore
 * import { exists } from "./_measure.ts";
 *
 * console.log(await exists("/usr/bin/wrk"));
 * ```
 */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Tells whether something accepts TCP connections on 127.0.0.1:`port`.
 *
 * @param port TCP port.
 * @returns `true` when a connect succeeds.
 *
 * @example Usage
 * ```ts ignore
 * import { portOpen } from "./_measure.ts";
 *
 * console.log(await portOpen(8091));
 * ```
 */
export async function portOpen(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Waits until 127.0.0.1:`port` accepts connections, or the time is up.
 *
 * @param port TCP port.
 * @param timeoutMs Longest wait.
 * @returns `true` once the port is open, `false` on timeout.
 *
 * @example Usage
 * ```ts ignore
 * import { waitForPort } from "./_measure.ts";
 *
 * if (!await waitForPort(8094, 30_000)) throw new Error("Not listening");
 * ```
 */
export async function waitForPort(
  port: number,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await portOpen(port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/**
 * Reads a process's peak resident set size (`VmHWM`) from `/proc`.
 *
 * @param pid Process id.
 * @returns KiB, or `null` when the process is gone.
 *
 * @example Usage
 * ```ts ignore
 * import { peakRssOf } from "./_measure.ts";
 *
 * console.log(await peakRssOf(Deno.pid));
 * ```
 */
export async function peakRssOf(pid: number): Promise<number | null> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Lists the direct children of a process (nginx's workers, for example).
 *
 * @param pid Parent process id.
 * @returns Child pids, empty when there are none or the process is gone.
 *
 * @example Usage
 * ```ts ignore
 * import { childrenOf } from "./_measure.ts";
 *
 * console.log(await childrenOf(1));
 * ```
 */
export async function childrenOf(pid: number): Promise<number[]> {
  try {
    const text = await Deno.readTextFile(
      `/proc/${pid}/task/${pid}/children`,
    );
    return text.trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Jiffies spent busy, idle and stolen by the hypervisor, over all CPUs. */
export interface CpuSnapshot {
  /** User, nice, system, irq and softirq time. */
  busy: number;
  /** Idle and I/O wait time. */
  idle: number;
  /** Time the hypervisor gave to someone else. */
  steal: number;
}

/**
 * Reads the machine-wide CPU counters from `/proc/stat`.
 *
 * @returns The counters, all zero when unavailable.
 *
 * @example Usage
 * ```ts ignore
 * import { cpuSnapshot, stealPercent } from "./_measure.ts";
 *
 * const before = await cpuSnapshot();
 * console.log(stealPercent(before, await cpuSnapshot()));
 * ```
 */
export async function cpuSnapshot(): Promise<CpuSnapshot> {
  try {
    const line = (await Deno.readTextFile("/proc/stat")).split("\n")[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const at = (i: number) => f[i] ?? 0;
    return {
      busy: at(0) + at(1) + at(2) + at(5) + at(6),
      idle: at(3) + at(4),
      steal: at(7),
    };
  } catch {
    return { busy: 0, idle: 0, steal: 0 };
  }
}

/**
 * Share of CPU time stolen by the hypervisor between two snapshots.
 *
 * @param before Earlier snapshot.
 * @param after Later snapshot.
 * @returns Percent, 0 when nothing elapsed.
 *
 * @example Usage
 * ```ts ignore
 * import { cpuSnapshot, stealPercent } from "./_measure.ts";
 *
 * console.log(stealPercent(await cpuSnapshot(), await cpuSnapshot()));
 * ```
 */
export function stealPercent(before: CpuSnapshot, after: CpuSnapshot): number {
  const busy = after.busy - before.busy;
  const idle = after.idle - before.idle;
  const steal = after.steal - before.steal;
  const total = busy + idle + steal;
  return total > 0 ? (100 * steal) / total : 0;
}

/**
 * Median of a list of numbers.
 *
 * @param values Samples (not modified).
 * @returns The median, `NaN` for an empty list.
 *
 * @example Usage
 * ```ts ignore
 * import { median } from "./_measure.ts";
 *
 * console.log(median([3, 1, 2])); // 2
 * ```
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Reads the file through the page cache, so that no timed run waits for the
 * disk: on the bench machines idle pages of the 1 GiB file are dropped within
 * a minute, and whichever run came first used to pay for reading them back.
 * Quietly does nothing when the file cannot be read.
 *
 * @param path The file.
 *
 * @example Usage
 * ```ts ignore
 * import { warmPageCache } from "./_measure.ts";
 *
 * await warmPageCache("/tmp/inetkit-peers/www/100m.bin");
 * ```
 */
export async function warmPageCache(path: string): Promise<void> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch {
    return;
  }
  try {
    const buffer = new Uint8Array(1024 * 1024);
    while (await file.read(buffer) !== null) {
      // Only the page cache is wanted.
    }
  } catch {
    // Best effort.
  } finally {
    file.close();
  }
}
