/**
 * The command line of `news_viewer.ts`: usage text and argument parsing into
 * `run()` options.
 *
 * @module
 */

import type { NewsViewerOptions } from "./news_viewer.ts";
import type { ScanStrategy } from "./_news_viewer_scan.ts";
import { type CliSpec, parseCli, UsageError } from "./_cli.ts";

/** The usage text printed by `--help`. */
export const USAGE: string =
  `Usage: deno run --allow-net --allow-write scripts/news_viewer.ts <group> <word> [options]

Finds the articles of <group> whose subject contains <word> (case-insensitive,
after decoding) and writes an HTML page of them, grouped into threads.

Options:
  --server HOST[:PORT]  news server (default: $NNTPSERVER, then localhost;
                        port 119, or 563 with --tls)
  --out FILE            page to write (default: <group>.html)
  --limit N             scan only the newest N articles
  --regex               <word> is a regular expression
  --tls                 connect with TLS (NNTPS)
  --ca-file FILE        trust this CA certificate (PEM) too (needs --allow-read)
  --user USER           log in with AUTHINFO USER/PASS
  --pass PASSWORD       password for --user
  --score FILE          apply a score file (needs --allow-read)
  --serve               serve article bodies on 127.0.0.1 and link the page to them
  --serve-port N        port for --serve (default: a free one)
  --open                open the page in the browser (needs --allow-run)
  --scan auto|over|hdr  how to scan (default: auto)
  -o, --out FILE        (same as --out)
  -q, --quiet           print nothing but errors
  -h, --help            show this help

Optional permissions: --allow-env=NNTPSERVER, --allow-read (--score,
--ca-file), --allow-run=xdg-open (--open).`;

/** The outcome of {@linkcode parseNewsViewerArgs}. */
export type ParsedArgs =
  | { kind: "help" }
  | { kind: "run"; options: NewsViewerOptions; caFile?: string };

const SPEC = {
  server: { kind: "string" },
  out: { kind: "string", short: "o" },
  limit: { kind: "number", integer: true, min: 1 },
  regex: { kind: "boolean" },
  tls: { kind: "boolean" },
  "ca-file": { kind: "string" },
  user: { kind: "string" },
  pass: { kind: "string" },
  score: { kind: "string" },
  serve: { kind: "boolean" },
  "serve-port": { kind: "number", integer: true, min: 0, max: 65535 },
  open: { kind: "boolean" },
  scan: { kind: "string" },
  quiet: { kind: "boolean", short: "q" },
  help: { kind: "boolean", short: "h" },
} as const satisfies CliSpec;

/**
 * Parses the arguments of `news_viewer.ts`.
 *
 * @param args The arguments, without the script name.
 * @returns Help, or the options to run with (and the CA file to read).
 * @throws {UsageError} For unknown flags, bad values or a wrong argument count.
 *
 * @example Usage
 * ```ts
 * import { parseNewsViewerArgs } from "./_news_viewer_args.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const parsed = parseNewsViewerArgs(["local.test", "deno", "--limit=50", "--quiet"]);
 * assertEquals(parsed.kind === "run" && parsed.options.limit, 50);
 * ```
 */
export function parseNewsViewerArgs(args: readonly string[]): ParsedArgs {
  const { flags, positional } = parseCli(args, SPEC);
  if (flags.help) return { kind: "help" };
  if (positional.length !== 2) {
    throw new UsageError(
      positional.length < 2
        ? "Expected a group and a word"
        : `Unexpected argument: ${JSON.stringify(positional[2])}`,
    );
  }
  const [group, word] = positional as [string, string];
  if (word === "") throw new UsageError("The word is empty");
  if (flags.pass !== undefined && flags.user === undefined) {
    throw new UsageError('Flag "--pass" needs "--user"');
  }
  const scan = flags.scan;
  if (
    scan !== undefined && scan !== "auto" && scan !== "over" && scan !== "hdr"
  ) {
    throw new UsageError(
      `Flag "--scan" must be auto, over or hdr, got ${JSON.stringify(scan)}`,
    );
  }
  const options: NewsViewerOptions = { group, word };
  if (flags.open) options.open = true;
  if (flags.tls) options.tls = true;
  if (flags.regex) options.regex = true;
  if (flags.serve) options.serve = true;
  if (flags.quiet) options.quiet = true;
  if (flags.server !== undefined) options.server = flags.server;
  if (flags.out !== undefined) options.out = flags.out;
  if (flags.user !== undefined) options.user = flags.user;
  if (flags.pass !== undefined) options.password = flags.pass;
  if (flags.score !== undefined) options.score = flags.score;
  if (flags.limit !== undefined) options.limit = flags.limit;
  if (flags["serve-port"] !== undefined) {
    options.servePort = flags["serve-port"];
  }
  if (scan !== undefined) options.strategy = scan satisfies ScanStrategy;
  const caFile = flags["ca-file"];
  return caFile === undefined
    ? { kind: "run", options }
    : { kind: "run", options, caFile };
}
