#!/usr/bin/env -S deno run --allow-net --allow-write
// deno-lint-ignore-file no-console
/**
 * `news_viewer`: finds the articles of a newsgroup whose subject contains a
 * word and writes one self-contained HTML page listing them, grouped into
 * threads, newest first, each linked with a `news:` URL (the SimpleNewsViewer
 * of the seed, made safe and fast).
 *
 * ```sh
 * deno run --allow-net --allow-write scripts/news_viewer.ts <group> <word> \
 *   [--server host[:port]] [--out FILE] [--limit N] [--regex] [--tls] \
 *   [--user U --pass P] [--score FILE] [--serve] [--open] [--quiet]
 * ```
 *
 * - The server defaults to `$NNTPSERVER` (the convention of tin and slrn),
 *   read only when `--allow-env=NNTPSERVER` is granted, then `localhost`.
 *   The port defaults to 119, or 563 with `--tls`.
 * - The word is matched case-insensitively in the decoded subjects (RFC 2047
 *   encoded words, raw 8-bit text); `--regex` takes a regular expression
 *   instead. `--limit N` scans only the newest N articles.
 * - The scan is streamed: memory stays flat whatever the group's size.
 * - The page goes to `<group>.html` (or `--out`), written whole or not at all.
 * - `--score FILE` applies a score file (field, pattern, score) to mark
 *   articles hot or hide them; it needs `--allow-read`.
 * - `--serve` starts a local HTTP server that shows article bodies, and links
 *   the page to it; the port is printed. Stop it with Ctrl-C.
 * - `--open` opens the page in the default browser (`xdg-open`, `open` or
 *   `start`); it needs `--allow-run`.
 *
 * Permissions: `--allow-net` (the news server, and 127.0.0.1 with `--serve`),
 * `--allow-write` (the page); optional `--allow-env=NNTPSERVER`,
 * `--allow-read` (`--score`, and an atomic rename of the page),
 * `--allow-run=xdg-open` (`--open`).
 *
 * @example Usage
 * ```ts ignore
 * import { run } from "./news_viewer.ts";
 *
 * const result = await run({ group: "local.test", word: "deno", server: "127.0.0.1:119" });
 * console.log(result.file, result.matches);
 * ```
 *
 * @module
 */

import { NntpClient, NntpReplyError } from "../protocols/nntp.ts";
import {
  ConnectError,
  ConnectionClosedError,
  TimeoutError,
} from "../protocols/errors.ts";
import { scanGroup, type ScanStrategy } from "./_news_viewer_scan.ts";
import {
  openInBrowser,
  ProgressReporter,
  writeFileAtomic,
} from "./_news_viewer_output.ts";
import {
  articlePath,
  type ArticleServer,
  startArticleServer,
} from "./_news_viewer_serve.ts";
import { buildNewsPage, loadScoreRules } from "./_news_viewer_page.ts";
import type { ScoreRule } from "./_score.ts";
import { parseNewsViewerArgs, USAGE } from "./_news_viewer_args.ts";
import { envIfPermitted, runMain } from "./_cli.ts";

export { type ScanStrategy } from "./_news_viewer_scan.ts";
export { type ArticleServer } from "./_news_viewer_serve.ts";

/** Options for {@linkcode run}. */
export interface NewsViewerOptions {
  /** The newsgroup to scan. */
  group: string;
  /** The word (or, with `regex`, the pattern) to look for in subjects. */
  word: string;
  /**
   * `host`, `host:port` or `[v6addr]:port`.
   *
   * @default {$NNTPSERVER, then "localhost"}
   */
  server?: string;
  /**
   * The page to write.
   *
   * @default {"<group>.html"}
   */
  out?: string;
  /**
   * Open the page in the default browser afterwards.
   *
   * @default {false}
   */
  open?: boolean;
  /** Scan only the newest `limit` articles. */
  limit?: number;
  /**
   * TLS from the first byte (port 563 by default).
   *
   * @default {false}
   */
  tls?: boolean;
  /** Extra CA certificates (PEM) trusted for TLS. */
  caCerts?: string[];
  /** User name for AUTHINFO. */
  user?: string;
  /** Password for AUTHINFO. */
  password?: string;
  /**
   * Treat `word` as a regular expression (matched case-insensitively).
   *
   * @default {false}
   */
  regex?: boolean;
  /**
   * Serve article bodies over HTTP on 127.0.0.1 and link the page to them.
   *
   * @default {false}
   */
  serve?: boolean;
  /**
   * Port for `serve`; `0` picks a free one.
   *
   * @default {0}
   */
  servePort?: number;
  /** A score file to apply. */
  score?: string;
  /**
   * Print nothing but errors.
   *
   * @default {false}
   */
  quiet?: boolean;
  /**
   * How to scan (see `_news_viewer_scan.ts`).
   *
   * @default {"auto"}
   */
  strategy?: ScanStrategy;
  /**
   * Milliseconds to wait for the server on each read or write.
   *
   * @default {30000}
   */
  timeout?: number;
  /** Receives the informational lines (stdout by default). */
  log?: (line: string) => void;
  /** Receives progress reports (stderr by default). */
  progress?: (text: string, final: boolean) => void;
}

/** What {@linkcode run} did. */
export interface NewsViewerResult {
  /** The page written. */
  file: string;
  /** Articles shown on the page. */
  matches: number;
  /** Matching articles hidden by the score file. */
  hidden: number;
  /** Articles marked hot by the score file. */
  hot: number;
  /** Articles checked. */
  scanned: number;
  /** The server, as `host:port`. */
  server: string;
  /** The scan actually used. */
  strategy: "over" | "hdr";
  /** With `serve`: the running article server (close it when done). */
  serving?: ArticleServer;
}

/**
 * A failure to report to the user: a clear message, the cause attached.
 *
 * @example Usage
 * ```ts
 * import { NewsViewerError } from "./news_viewer.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(new NewsViewerError("No such newsgroup: x").message, "No such newsgroup: x");
 * ```
 */
export class NewsViewerError extends Error {
  /**
   * Creates the error.
   *
   * @param message What went wrong, for the user.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = this.constructor.name;
  }
}

/** A host and port, as {@linkcode parseServer} returns them. */
export interface ServerAddress {
  /** Host name or address (IPv6 without brackets). */
  hostname: string;
  /** TCP port. */
  port: number;
}

/**
 * Parses `host`, `host:port` or `[v6addr]:port`.
 *
 * @param server The text.
 * @param defaultPort The port when none is given.
 * @returns Host and port.
 * @throws {NewsViewerError} When the port is not a number from 1 to 65535.
 *
 * @example Usage
 * ```ts
 * import { parseServer } from "./news_viewer.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(parseServer("[::1]:1119", 119), { hostname: "::1", port: 1119 });
 * ```
 */
export function parseServer(
  server: string,
  defaultPort: number,
): ServerAddress {
  const text = server.trim();
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  let hostname: string;
  let port: string | undefined;
  if (bracket) {
    hostname = bracket[1]!;
    port = bracket[2];
  } else if ((text.match(/:/g) ?? []).length === 1) {
    [hostname, port] = text.split(":") as [string, string];
  } else {
    hostname = text;
  }
  const n = port === undefined ? defaultPort : Number(port);
  if (!hostname || !Number.isInteger(n) || n < 1 || n > 65535) {
    throw new NewsViewerError(`Invalid server: "${server}"`);
  }
  return { hostname, port: n };
}

function defaultServer(): string {
  return envIfPermitted("NNTPSERVER")?.trim() || "localhost";
}

/**
 * Builds the subject matcher: a case-insensitive substring test, or a
 * case-insensitive regular expression.
 *
 * @param word The word or pattern.
 * @param regex Whether `word` is a regular expression.
 * @returns The matcher.
 * @throws {NewsViewerError} When the pattern is not a valid regular expression.
 *
 * @example Usage
 * ```ts
 * import { subjectMatcher } from "./news_viewer.ts";
 * import { assert } from "../tests/_assert.ts";
 *
 * assert(subjectMatcher("deno")("Why I like DENO"));
 * ```
 */
export function subjectMatcher(
  word: string,
  regex = false,
): (subject: string) => boolean {
  if (regex) {
    let re: RegExp;
    try {
      re = new RegExp(word, "iu");
    } catch (err) {
      throw new NewsViewerError(`Invalid regular expression: "${word}"`, {
        cause: err,
      });
    }
    return (subject) => re.test(subject);
  }
  const needle = word.toLowerCase();
  return (subject) => subject.toLowerCase().includes(needle);
}

function explain(
  err: unknown,
  where: string,
  group: string,
  user: string | undefined,
): Error {
  if (err instanceof NewsViewerError) return err;
  if (err instanceof NntpReplyError) {
    switch (err.kind) {
      case "no-such-group":
        return new NewsViewerError(`No such newsgroup: ${group}`, {
          cause: err,
        });
      case "auth-rejected":
      case "auth-out-of-sequence":
        return new NewsViewerError(
          `Login refused by ${where}${user ? ` for user "${user}"` : ""}: ${
            err.text || err.code
          }`,
          { cause: err },
        );
      case "auth-required":
        return new NewsViewerError(
          `News server ${where} requires a login: use --user and --pass`,
          { cause: err },
        );
      case "service-discontinued":
      case "service-unavailable":
        return new NewsViewerError(
          `News server ${where} refused service: ${err.text || err.code}`,
          { cause: err },
        );
      default:
        return new NewsViewerError(`News server ${where}: ${err.message}`, {
          cause: err,
        });
    }
  }
  if (err instanceof ConnectError) {
    const reason = err.cause instanceof Error ? `: ${err.cause.message}` : "";
    return new NewsViewerError(
      `Cannot reach news server ${where}${reason}`,
      { cause: err },
    );
  }
  if (err instanceof TimeoutError) {
    return new NewsViewerError(
      `News server ${where} did not answer within ${err.timeout} ms`,
      { cause: err },
    );
  }
  if (err instanceof ConnectionClosedError) {
    return new NewsViewerError(
      `Connection to ${where} was lost: ${err.message}`,
      { cause: err },
    );
  }
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Scans a group and writes the page. Nothing is written when anything fails
 * before the page is complete.
 *
 * @param options What to scan, where, and what to do with the page.
 * @returns The page's path and counts, and with `serve` the running server.
 * @throws {NewsViewerError} With a message for the user: unknown group,
 * unreachable server, refused login, lost connection.
 *
 * @example Usage
 * ```ts ignore
 * import { run } from "./news_viewer.ts";
 *
 * const { file, matches } = await run({
 *   group: "comp.lang.python",
 *   word: "python",
 *   server: "news.example.com",
 *   limit: 5000,
 * });
 * ```
 */
export async function run(
  options: NewsViewerOptions,
): Promise<NewsViewerResult> {
  const quiet = options.quiet ?? false;
  const log = quiet ? () => {} : options.log ?? ((line) => console.log(line));
  const writeProgress = quiet ? () => {} : options.progress ?? stderrProgress();
  if (options.limit !== undefined) {
    if (!Number.isSafeInteger(options.limit) || options.limit < 1) {
      throw new NewsViewerError(`Invalid limit: ${options.limit}`);
    }
  }
  const match = subjectMatcher(options.word, options.regex);
  const scoreRules = options.score === undefined
    ? undefined
    : await readScoreFile(options.score);
  const address = parseServer(
    options.server ?? defaultServer(),
    options.tls ? 563 : 119,
  );
  const where = `${
    address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname
  }:${address.port}`;
  const out = options.out ?? `${options.group}.html`;
  const clientOptions = {
    hostname: address.hostname,
    port: address.port,
    // Nothing here needs CAPABILITIES (HDR and OVER fall back by trying),
    // and INN sends its list so that reading it waits on a delayed ACK.
    readCapabilities: false,
    ...(options.tls ? { tls: true } : {}),
    ...(options.caCerts ? { caCerts: options.caCerts } : {}),
    ...(options.user !== undefined ? { user: options.user } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
  };

  log(`Connecting to ${where}…`);
  let client: NntpClient | undefined;
  let serving: ArticleServer | undefined;
  try {
    client = await NntpClient.connect(clientOptions);
    log("Fetching group information");
    const group = await client.group(options.group);
    log("Getting article information…");
    const progress = new ProgressReporter({ write: writeProgress });
    const scan = await scanGroup(client, group, {
      match,
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
      ...(options.strategy ? { strategy: options.strategy } : {}),
      onProgress: (p) => progress.update(p.scanned, p.total, p.matches),
      quit: true,
    });
    const total = options.limit === undefined
      ? group.count
      : Math.min(group.count, options.limit);
    progress.finish(scan.scanned, total, scan.entries.length);
    await client.quit();
    client = undefined;

    let html = "";
    let articleUrl: ((id: string) => string) | undefined;
    if (options.serve) {
      serving = startArticleServer({
        connect: () => NntpClient.connect(clientOptions),
        page: () => html,
      }, options.servePort ?? 0);
      const base = serving.url.replace(/\/$/, "");
      articleUrl = (id) => base + articlePath(id);
    }
    const page = buildNewsPage({
      group: options.group,
      word: options.word,
      server: where,
      entries: scan.entries,
      scanned: scan.scanned,
      ...(articleUrl ? { articleUrl } : {}),
      ...(scoreRules ? { scoreRules } : {}),
    });
    html = page.html;
    await writeFileAtomic(out, html);
    log(`Done - wrote ${out} (${page.shown} matches)`);
    if (serving) log(`Serving articles on ${serving.url} (Ctrl-C to stop)`);
    if (options.open) {
      const problem = await openInBrowser(serving ? serving.url : out);
      if (problem) console.error(problem);
    }
    return {
      file: out,
      matches: page.shown,
      hidden: page.hidden,
      hot: page.hot,
      scanned: scan.scanned,
      server: where,
      strategy: scan.strategy,
      ...(serving ? { serving } : {}),
    };
  } catch (err) {
    client?.close();
    await serving?.close();
    throw explain(err, where, options.group, options.user);
  }
}

async function readScoreFile(path: string): Promise<ScoreRule[]> {
  try {
    return await loadScoreRules(path);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new NewsViewerError(`Cannot use score file "${path}": ${reason}`, {
      cause: err,
    });
  }
}

async function readCaFile(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    throw new NewsViewerError(
      `Cannot read CA file "${path}": ${
        err instanceof Error ? err.message : err
      }`,
      { cause: err },
    );
  }
}

function stderrProgress(): (text: string, final: boolean) => void {
  const encoder = new TextEncoder();
  const tty = Deno.stderr.isTerminal();
  return (text, final) => {
    const line = tty ? `\r${text}${final ? "\n" : ""}` : `${text}\n`;
    Deno.stderr.writeSync(encoder.encode(line));
  };
}

/**
 * The command line: parses `args`, runs, and with `--serve` keeps serving
 * until interrupted. Errors are thrown for `runMain` to report.
 *
 * @param args The arguments (without the script name).
 * @returns The exit code, 0.
 * @throws {UsageError} For a bad command line (exit code 2 under `runMain`).
 * @throws {NewsViewerError} For a failure to report (exit code 1).
 *
 * @example Usage
 * ```ts ignore
 * import { main } from "./news_viewer.ts";
 * import { runMain } from "./_cli.ts";
 *
 * Deno.exit(await runMain(main, ["local.test", "deno", "--server", "127.0.0.1:1119"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const parsed = parseNewsViewerArgs(args);
  if (parsed.kind === "help") {
    console.log(USAGE);
    return 0;
  }
  const options = parsed.options;
  if (parsed.caFile !== undefined) {
    options.caCerts = [await readCaFile(parsed.caFile)];
  }
  const result = await run(options);
  if (result.serving) {
    const serving = result.serving;
    await new Promise<void>((resolve) => {
      const stop = () => {
        Deno.removeSignalListener("SIGINT", stop);
        resolve();
      };
      Deno.addSignalListener("SIGINT", stop);
    });
    await serving.close();
  }
  return 0;
}

if (import.meta.main) Deno.exit(await runMain(main, Deno.args));
