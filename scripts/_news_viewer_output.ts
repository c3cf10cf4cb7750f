/**
 * Output helpers of `news_viewer.ts`: writing the page without ever leaving
 * a half-written file, opening it in the default browser, and reporting scan
 * progress on stderr.
 *
 * @module
 */

import { formatCount } from "./_news_format.ts";

/**
 * Writes `text` to `path` so that no half-written file is left behind: into a
 * temporary file in the same directory, then renamed over `path`. Renaming
 * needs read permission; with write permission only, the complete text is
 * written straight to `path`, and the file is removed if the write fails.
 *
 * @param path The destination.
 * @param text The content.
 * @returns When the file is complete.
 *
 * @example Usage
 * ```ts ignore
 * await writeFileAtomic("local.test.html", "<!DOCTYPE html>...");
 * ```
 */
export async function writeFileAtomic(
  path: string,
  text: string,
): Promise<void> {
  const slash = path.lastIndexOf("/");
  const dir = slash < 0 ? "." : path.slice(0, slash) || "/";
  const base = path.slice(slash + 1);
  const bytes = new TextEncoder().encode(text);
  const canRename =
    Deno.permissions.querySync({ name: "read", path: dir }).state ===
      "granted";
  const target = canRename
    ? `${dir}/.${base}.${crypto.randomUUID().slice(0, 8)}.tmp`
    : path;
  try {
    await Deno.writeFile(target, bytes, canRename ? { createNew: true } : {});
    if (canRename) await Deno.rename(target, path);
  } catch (err) {
    await Deno.remove(target).catch(() => {});
    throw err;
  }
}

/** The command that opens a file or URL with the desktop's default program. */
export interface OpenCommand {
  /** The program. */
  command: string;
  /** Its arguments, the target last. */
  args: string[];
}

/**
 * The opener of the platform: `open` on macOS, `cmd /c start` on Windows,
 * `xdg-open` elsewhere.
 *
 * @param target A file path or URL.
 * @param os The platform, `Deno.build.os` by default.
 * @returns The command to run.
 *
 * @example Usage
 * ```ts
 * import { openCommand } from "./_news_viewer_output.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(openCommand("a.html", "linux"), { command: "xdg-open", args: ["a.html"] });
 * ```
 */
export function openCommand(
  target: string,
  os: typeof Deno.build.os = Deno.build.os,
): OpenCommand {
  if (os === "darwin") return { command: "open", args: [target] };
  if (os === "windows") {
    return { command: "cmd", args: ["/c", "start", '""', target] };
  }
  return { command: "xdg-open", args: [target] };
}

/**
 * Opens a file or URL in the default browser. Needs `--allow-run` for the
 * opener; without it, returns a message instead of prompting.
 *
 * @param target A file path or URL.
 * @returns `null` when the opener started, otherwise why not.
 */
export async function openInBrowser(target: string): Promise<string | null> {
  const { command, args } = openCommand(target);
  const state = Deno.permissions.querySync({ name: "run", command }).state;
  if (state !== "granted") {
    return `Cannot open the page without --allow-run=${command}`;
  }
  try {
    const child = new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const status = await child.status;
    return status.success
      ? null
      : `"${command}" exited with code ${status.code}`;
  } catch (err) {
    return `Cannot run "${command}": ${
      err instanceof Error ? err.message : err
    }`;
  }
}

/** Options for {@linkcode ProgressReporter}. */
export interface ProgressReporterOptions {
  /** Receives each progress text (without line ending) and whether it is the last. */
  write: (text: string, final: boolean) => void;
  /**
   * Milliseconds between two reports; nothing is shown for scans shorter than this.
   *
   * @default {1000}
   */
  interval?: number;
  /** The clock, for tests. */
  now?: () => number;
}

/** Rate-limited progress reports for a long scan: count, rate and matches. */
export class ProgressReporter {
  #write: (text: string, final: boolean) => void;
  #interval: number;
  #now: () => number;
  #start: number;
  #last: number;
  #shown = false;

  /**
   * Starts the clock.
   *
   * @param options Where to write and how often.
   */
  constructor(options: ProgressReporterOptions) {
    this.#write = options.write;
    this.#interval = options.interval ?? 1000;
    this.#now = options.now ?? (() => performance.now());
    this.#start = this.#last = this.#now();
  }

  /**
   * Reports progress if the interval has passed since the last report.
   *
   * @param scanned Articles checked.
   * @param total Articles in the range.
   * @param matches Matches so far.
   */
  update(scanned: number, total: number, matches: number): void {
    const now = this.#now();
    if (now - this.#last < this.#interval) return;
    this.#last = now;
    this.#shown = true;
    this.#write(this.#text(scanned, total, matches, now), false);
  }

  /**
   * Writes the final line, only if progress was shown before.
   *
   * @param scanned Articles checked.
   * @param total Articles in the range.
   * @param matches Matches found.
   */
  finish(scanned: number, total: number, matches: number): void {
    if (!this.#shown) return;
    this.#write(this.#text(scanned, total, matches, this.#now()), true);
  }

  #text(scanned: number, total: number, matches: number, now: number): string {
    const seconds = Math.max((now - this.#start) / 1000, 0.001);
    const rate = Math.round(scanned / seconds);
    return `Scanned ${formatCount(scanned)} of ${
      formatCount(total)
    } articles (${formatCount(rate)}/s), ${formatCount(matches)} matches`;
  }
}
