#!/usr/bin/env -S deno run --allow-net --allow-read=. --allow-write=.
// deno-lint-ignore-file no-console
/**
 * Mirrors a remote FTP directory to a local one, fetching only new or changed
 * files, over several connections at once.
 *
 * ```sh
 * deno run --allow-net --allow-read=DIR --allow-write=DIR \
 *   https://example.com/inetkit/scripts/ftp_mirror.ts ftp://host/pub DIR \
 *   [--parallel N] [--delete [--max-delete N]] [--include GLOB]... \
 *   [--exclude GLOB]... [--dry-run] [--no-recursion] [--verbose | --quiet]
 * ```
 *
 * - A file is fetched when it is missing locally or its size or modification
 *   time differs (times from MLSD, else MDTM); local times are set to the
 *   remote ones, so a second run over an unchanged tree transfers nothing.
 * - Each file is written under a temporary name (`.NAME.ftp-mirror-part`)
 *   and renamed only once complete and of the listed size; an interrupted run
 *   never leaves a truncated file under its final name, and the next run
 *   resumes the partial file with REST.
 * - Transient failures (4xx replies, resets, timeouts) are retried with
 *   backoff; the exit code is 1 when anything could not be mirrored, with a
 *   list of what, and 2 for a usage error.
 * - A live progress line on a terminal, plain log lines otherwise.
 * - Hostile servers: listed names with `/`, `\`, NUL or control characters,
 *   or equal to `.`, `..` or empty, are skipped with a warning; every local
 *   path is checked with realpath to stay under DIR, so a symbolic link among
 *   the local parents that leads elsewhere is refused; remote symbolic links
 *   are never created locally; remote names are never read as options or
 *   URLs.
 * - `--delete` runs only after a complete listing without errors or
 *   unreadable lines, and deletes nothing when more than `--max-delete`
 *   entries would go. Excluded paths are never deleted.
 *
 * Only DIR needs read and write permission (`--allow-read=DIR
 * --allow-write=DIR`); with `--ca-file`, also read permission for that file.
 *
 * @example Usage
 * ```ts ignore
 * import { mirror } from "./ftp_mirror.ts";
 *
 * const summary = await mirror({
 *   url: "ftp://127.0.0.1:2121/pub",
 *   dir: "./pub",
 *   parallel: 8,
 * });
 * console.log(`${summary.files} files, ${summary.bytes} bytes`);
 * ```
 *
 * @module
 */

import { type MirrorEvent, MirrorRun } from "./_mirror_run.ts";
import type { MirrorOptions, MirrorSummary } from "./_mirror_run.ts";
import { type CliSpec, parseCli, runMain, UsageError } from "./_cli.ts";
import {
  formatBytes,
  type MirrorProgress,
  progressLine,
} from "./_mirror_progress.ts";

export type {
  MirrorEvent,
  MirrorFailure,
  MirrorOptions,
  MirrorSummary,
} from "./_mirror_run.ts";
export type { MirrorProgress } from "./_mirror_progress.ts";

/**
 * Mirrors a remote directory into a local one.
 *
 * @param options The remote URL, the local directory and how to mirror.
 * @returns What was done; `failures` lists what could not be mirrored.
 * @throws {TypeError} When the URL is not an `ftp:` or `ftps:` URL.
 * @throws {RangeError} When `parallel` is not a positive integer.
 *
 * @example Usage
 * ```ts ignore
 * import { mirror } from "./ftp_mirror.ts";
 *
 * const summary = await mirror({
 *   url: "ftp://127.0.0.1:2121/pub",
 *   dir: "./pub",
 *   delete: true,
 *   maxDelete: 100,
 *   exclude: ["*.tmp"],
 * });
 * if (summary.failures.length > 0) Deno.exitCode = 1;
 * ```
 */
export function mirror(options: MirrorOptions): Promise<MirrorSummary> {
  return new MirrorRun(options).run();
}

const USAGE = `Usage: ftp_mirror.ts <ftp-url> <dir> [options]

Mirror a remote FTP directory into a local directory.

Options:
  --parallel N      FTP connections to use (default 4)
  --delete          remove local files that are gone from the remote
  --max-delete N    with --delete, delete nothing if more than N would go
  --include GLOB    mirror only files matching GLOB (repeatable)
  --exclude GLOB    leave out files and directories matching GLOB (repeatable)
  --dry-run         show what would be fetched and deleted, write nothing
  --no-recursion    mirror the top directory only
  --secure          explicit FTPS (AUTH TLS); ftps:// URLs use implicit TLS
  --ca-file PATH    trust the CA certificate in PATH (PEM) for FTPS
  --active          active-mode data connections (EPRT/PORT)
  --timeout MS      wait at most MS milliseconds for the server (default 30000)
  --retries N       retries of a transient failure (default 3)
  -v, --verbose     also report unchanged and skipped files and retries
  -q, --quiet       print only errors
  -h, --help        show this help

A GLOB without "/" matches names at any depth; with "/", the path from the
mirror root. "*" and "?" stay within a name, "**" crosses directories.

Exit status: 0 when everything was mirrored, 1 when something could not be,
2 for a usage error.

Permissions: --allow-net --allow-read=DIR --allow-write=DIR
  (narrowest: --allow-net=HOST:21 plus the passive data ports; --allow-read
  and --allow-write for --ca-file's file too)`;

const SPEC = {
  parallel: { kind: "number", integer: true, min: 1, max: 64 },
  delete: { kind: "boolean" },
  "max-delete": { kind: "number", integer: true, min: 0 },
  include: { kind: "list" },
  exclude: { kind: "list" },
  "dry-run": { kind: "boolean" },
  "no-recursion": { kind: "boolean" },
  secure: { kind: "boolean" },
  "ca-file": { kind: "string" },
  active: { kind: "boolean" },
  timeout: { kind: "number", integer: true, min: 0 },
  retries: { kind: "number", integer: true, min: 0, max: 100 },
  verbose: { kind: "boolean", short: "v" },
  quiet: { kind: "boolean", short: "q" },
  help: { kind: "boolean", short: "h" },
} as const satisfies CliSpec;

interface CliOptions {
  url: string;
  dir: string;
  parallel: number;
  delete: boolean;
  maxDelete: number;
  include: string[];
  exclude: string[];
  dryRun: boolean;
  recursive: boolean;
  secure: boolean;
  caFile: string | undefined;
  active: boolean;
  timeout: number;
  retries: number;
  verbose: boolean;
  quiet: boolean;
}

function readCli(args: string[]): CliOptions | "help" {
  const { flags, positional } = parseCli(args, SPEC);
  if (flags.help) return "help";
  if (positional.length !== 2) {
    throw new UsageError("Expected an ftp:// URL and a local directory");
  }
  const [url, dir] = positional as [string, string];
  if (!/^ftps?:\/\//i.test(url)) {
    throw new UsageError(`Expected an ftp:// or ftps:// URL, got "${url}"`);
  }
  if (flags.verbose && flags.quiet) {
    throw new UsageError('Flags "--verbose" and "--quiet" exclude each other');
  }
  if (flags["max-delete"] !== undefined && !flags.delete) {
    throw new UsageError('Flag "--max-delete" needs "--delete"');
  }
  return {
    url,
    dir,
    parallel: flags.parallel ?? 4,
    delete: flags.delete,
    maxDelete: flags["max-delete"] ?? Infinity,
    include: flags.include,
    exclude: flags.exclude,
    dryRun: flags["dry-run"],
    recursive: !flags["no-recursion"],
    secure: flags.secure,
    caFile: flags["ca-file"],
    active: flags.active,
    timeout: flags.timeout ?? 30_000,
    retries: flags.retries ?? 3,
    verbose: flags.verbose,
    quiet: flags.quiet,
  };
}

// deno-lint-ignore no-control-regex
const CONTROL_REGEXP = /[\x00-\x1f\x7f-\x9f]/g;

/** Escapes control characters, so nothing a server sends can drive the terminal. */
function clean(text: string): string {
  return text.replace(
    CONTROL_REGEXP,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

/** Prints events: log lines, or a progress line on a terminal. */
class Reporter {
  #cli: CliOptions;
  #tty: boolean;
  #drawn = false;
  #encoder = new TextEncoder();

  constructor(cli: CliOptions, tty: boolean) {
    this.#cli = cli;
    this.#tty = tty;
  }

  event(event: MirrorEvent): void {
    const { quiet, verbose } = this.#cli;
    switch (event.kind) {
      case "progress":
        if (this.#tty && !quiet) this.#draw(event.progress);
        return;
      case "get":
        if (quiet || (this.#tty && !verbose)) return;
        this.#out(
          `${event.planned ? "would get" : "got"} ${event.path} (${
            formatBytes(event.bytes)
          }${event.offset > 0 ? `, resumed at ${event.offset}` : ""})`,
        );
        return;
      case "delete":
        if (!quiet) {
          this.#out(
            `${event.planned ? "would delete" : "deleted"} ${event.path}`,
          );
        }
        return;
      case "unchanged":
        if (verbose) this.#out(`unchanged ${event.path}`);
        return;
      case "skip":
        if (verbose) this.#out(`skipped ${event.path} (${event.reason})`);
        return;
      case "retry":
        if (verbose) {
          this.#err(
            `retry ${event.attempt} of ${
              event.path || "/"
            } in ${event.delay} ms: ${event.error.message}`,
          );
        }
        return;
      case "warning":
        if (!quiet) this.#err(`warning: ${event.message}`);
        return;
      case "failure":
        this.#err(`error: ${event.path || "/"}: ${event.error.message}`);
        return;
    }
  }

  finish(summary: MirrorSummary): void {
    this.#clearLine();
    if (!this.#cli.quiet) {
      const rate = summary.seconds > 0 ? summary.bytes / summary.seconds : 0;
      this.#out(
        `${
          summary.dryRun ? "Would mirror" : "Mirrored"
        } ${summary.files} files (${formatBytes(summary.bytes)}) in ${
          summary.seconds.toFixed(1)
        } s (${
          formatBytes(rate)
        }/s); ${summary.unchanged} unchanged, ${summary.deleted} deleted, ${summary.skipped} skipped, ${summary.failures.length} failed${
          summary.aborted ? "; interrupted" : ""
        }`,
      );
    }
    if (summary.failures.length > 0) {
      this.#err(`${summary.failures.length} paths could not be mirrored:`);
      for (const failure of summary.failures.slice(0, 50)) {
        this.#err(`  ${failure.path || "/"}: ${failure.error.message}`);
      }
      if (summary.failures.length > 50) {
        this.#err(`  ... and ${summary.failures.length - 50} more`);
      }
    }
  }

  #draw(progress: MirrorProgress): void {
    let columns = 80;
    try {
      columns = Deno.consoleSize().columns || 80;
    } catch {
      // Not a console after all.
    }
    const line = progressLine(progress, columns);
    Deno.stdout.writeSync(this.#encoder.encode(`\r\x1b[2K${line}`));
    this.#drawn = true;
  }

  #clearLine(): void {
    if (!this.#drawn) return;
    Deno.stdout.writeSync(this.#encoder.encode("\r\x1b[2K"));
    this.#drawn = false;
  }

  #out(line: string): void {
    this.#clearLine();
    console.log(clean(line));
  }

  #err(line: string): void {
    this.#clearLine();
    console.error(clean(line));
  }
}

/**
 * Runs the command line: parses `args`, mirrors, prints progress and a
 * summary.
 *
 * @param args The arguments, without the script name.
 * @returns The exit code: 0 on success, 1 when something could not be
 * mirrored, 130 when interrupted.
 * @throws {UsageError} For a usage mistake (`runMain` turns it into exit
 * code 2).
 *
 * @example Usage
 * ```ts ignore
 * import { main } from "./ftp_mirror.ts";
 *
 * Deno.exitCode = await main(["ftp://127.0.0.1:2121/pub", "./pub", "--parallel", "8"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const cli = readCli(args);
  if (cli === "help") {
    console.log(USAGE);
    return 0;
  }
  let caCerts: string[] | undefined;
  if (cli.caFile !== undefined) {
    try {
      caCerts = [await Deno.readTextFile(cli.caFile)];
    } catch (err) {
      throw new UsageError(
        `Cannot read the CA file "${cli.caFile}": ${
          err instanceof Error ? err.message : String(err)
        }`,
      );
    }
  }
  const reporter = new Reporter(cli, Deno.stdout.isTerminal());
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error("Interrupted"));
  let listening = false;
  try {
    Deno.addSignalListener("SIGINT", onSignal);
    listening = true;
  } catch {
    // Signals are not available here (Windows without a console).
  }
  try {
    const summary = await mirror({
      url: cli.url,
      dir: cli.dir,
      parallel: cli.parallel,
      delete: cli.delete,
      maxDelete: cli.maxDelete,
      include: cli.include,
      exclude: cli.exclude,
      dryRun: cli.dryRun,
      recursive: cli.recursive,
      retries: cli.retries,
      signal: controller.signal,
      client: {
        timeout: cli.timeout,
        ...(cli.secure ? { secure: true } : {}),
        ...(caCerts ? { caCerts } : {}),
        ...(cli.active ? { passive: false } : {}),
      },
      onEvent: (event) => reporter.event(event),
    });
    reporter.finish(summary);
    if (summary.aborted) return 130;
    return summary.failures.length > 0 ? 1 : 0;
  } catch (err) {
    console.error(
      `error: ${clean(err instanceof Error ? err.message : String(err))}`,
    );
    return 1;
  } finally {
    if (listening) Deno.removeSignalListener("SIGINT", onSignal);
  }
}

if (import.meta.main) Deno.exit(await runMain(main, Deno.args));
