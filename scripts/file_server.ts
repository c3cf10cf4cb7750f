#!/usr/bin/env -S deno run --allow-net --allow-read
// deno-lint-ignore-file no-console
/**
 * `file_server.ts`: the SimpleHTTPServer of Deno. Serves a directory over
 * HTTP with listings, `index.html`, GET and HEAD, single byte ranges, ETag and
 * Last-Modified validation (304), content types that let `deno run` execute
 * TypeScript straight from it, and one Common Log Format line per request.
 *
 * ```sh
 * # Run it (the directory defaults to ".")
 * deno run --allow-net --allow-read scripts/file_server.ts [dir] [--port 8000] [--hostname 127.0.0.1] [--quiet]
 *
 * # Narrowest permissions, straight from a URL
 * deno run --allow-net=127.0.0.1:8000 --allow-read=./public https://example.com/inetkit/scripts/file_server.ts ./public
 *
 * # Install it as a command
 * deno install --global --allow-net --allow-read -n file_server https://example.com/inetkit/scripts/file_server.ts
 *
 * # Then run a script from it: other hosts' imports would need --allow-import
 * deno run --allow-net http://127.0.0.1:8000/scripts/get.ts http://example.com/
 * ```
 *
 * Paths never leave the root: `..` segments (also percent-encoded), encoded
 * slashes or backslashes inside a segment, NUL bytes, and symbolic links
 * (also an `index.html` link) that resolve outside the root all get 404, and
 * listings leave such links out. Links that stay inside the root are served.
 * Dotfiles (`.env`, `.git/`) are served and listed like any other file, as
 * Python's http.server does; pass `--no-dotfiles` to answer 404 for any path
 * with a segment starting with a dot and to hide them from listings.
 *
 * Stop it with Ctrl-C or SIGTERM: it stops accepting, lets running
 * responses finish and exits 0 (a second signal exits at once with 130).
 *
 * Permissions: `--allow-net` (narrow it to the listening address) and
 * `--allow-read` (narrow it to the served directory).
 *
 * @module
 */

import { withAccessLog } from "./_access_log.ts";
import {
  type CliSpec,
  formatUsage,
  parseCli,
  runMain,
  UsageError,
} from "./_cli.ts";
import { contentTypeFor } from "./_content_type.ts";
import { renderDirectory } from "./_file_server_listing.ts";

/** Options for {@linkcode serveDir}. */
export interface ServeDirOptions {
  /** The directory served. */
  root: string;
  /**
   * Serve and list names starting with a dot. When `false`, any path with
   * such a segment gets 404 and listings hide them.
   *
   * @default {true}
   */
  dotfiles?: boolean;
}

const SEPARATOR = Deno.build.os === "windows" ? "\\" : "/";

/** Whether `real` (a resolved path) is `root` or lies below it. */
function isInside(real: string, root: string): boolean {
  if (real === root) return true;
  return real.startsWith(root.endsWith(SEPARATOR) ? root : root + SEPARATOR);
}

const ALLOW = "GET, HEAD";
const READ_CHUNK = 256 * 1024;

function text(
  status: number,
  body: string,
  headers: HeadersInit = {},
): Response {
  return new Response(`${body}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  });
}

/**
 * Splits a URL path and decodes each segment once; `null` when a segment is
 * `.` or `..`, holds a slash, backslash or NUL after decoding (which would
 * create a new segment or end the name), or is not valid UTF-8.
 */
function safeSegments(pathname: string, dotfiles: boolean): string[] | null {
  const out: string[] = [];
  for (const raw of pathname.split("/")) {
    if (raw === "") continue;
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (seg === "." || seg === ".." || /[\/\\\0]/.test(seg)) return null;
    if (!dotfiles && seg.startsWith(".")) return null;
    out.push(seg);
  }
  return out;
}

/** Seconds since the epoch, as HTTP dates carry them; `NaN` when unknown. */
function seconds(time: Date | null | number): number {
  const ms = time instanceof Date ? time.getTime() : time ?? NaN;
  return Math.floor(ms / 1000);
}

function etagFor(info: Deno.FileInfo): string {
  const mtime = info.mtime?.getTime() ?? 0;
  return `"${info.size.toString(16)}-${mtime.toString(16)}"`;
}

function etagMatches(header: string, etag: string): boolean {
  if (header.trim() === "*") return true;
  const bare = etag.replace(/^W\//, "");
  return header.split(",").some((t) => t.trim().replace(/^W\//, "") === bare);
}

/** Parses one `bytes=` range against a size; `"all"` when the header should be ignored. */
function parseRange(
  header: string,
  size: number,
): [number, number] | "all" | "unsatisfiable" {
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return "all"; // multiple or malformed ranges: serve the whole file
  const [, a, b] = m;
  if (a === "" && b === "") return "all";
  let start: number, end: number;
  if (a === "") {
    const n = Number(b);
    if (n === 0) return "unsatisfiable";
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
    if (b !== "" && Number(b) < start) return "all";
  }
  if (start >= size || size === 0) return "unsatisfiable";
  return [start, end];
}

function fileStream(
  file: Deno.FsFile,
  start: number,
  length: number,
): ReadableStream<Uint8Array> {
  let remaining = length;
  let positioned = start === 0;
  return new ReadableStream<Uint8Array>({
    type: "bytes",
    async pull(controller) {
      try {
        if (!positioned) {
          await file.seek(start, Deno.SeekMode.Start);
          positioned = true;
        }
        const buf = new Uint8Array(Math.min(READ_CHUNK, remaining));
        const n = remaining > 0 ? await file.read(buf) : null;
        if (n === null || n === 0) {
          file.close();
          controller.close();
          return;
        }
        remaining -= n;
        controller.enqueue(buf.subarray(0, n));
        if (remaining === 0) {
          file.close();
          controller.close();
        }
      } catch (err) {
        try {
          file.close();
        } catch { /* closed */ }
        controller.error(err);
      }
    },
    cancel() {
      try {
        file.close();
      } catch { /* closed */ }
    },
  });
}

/** Serves the file at `path` (resolved), typed by the name the client asked for. */
async function serveFile(
  req: Request,
  path: string,
  info: Deno.FileInfo,
  name: string,
): Promise<Response> {
  const etag = etagFor(info);
  const headers = new Headers({
    "content-type": contentTypeFor(name),
    "accept-ranges": "bytes",
    etag,
  });
  if (info.mtime) headers.set("last-modified", info.mtime.toUTCString());
  const inm = req.headers.get("if-none-match");
  const ims = req.headers.get("if-modified-since");
  // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
  const notModified = inm !== null
    ? etagMatches(inm, etag)
    : ims !== null && seconds(info.mtime) <= seconds(Date.parse(ims));
  if (notModified) return new Response(null, { status: 304, headers });

  let start = 0;
  let end = info.size - 1;
  let status = 200;
  // Ranges apply to GET only; If-Range needs a strong ETag match or the exact date.
  const range = req.method === "GET" ? req.headers.get("range") : null;
  const ifRange = req.headers.get("if-range")?.trim() ?? null;
  const rangeApplies = range !== null && (ifRange === null ||
    (ifRange.startsWith('"')
      ? ifRange === etag
      : seconds(info.mtime) === seconds(Date.parse(ifRange))));
  if (rangeApplies) {
    const r = parseRange(range!, info.size);
    if (r === "unsatisfiable") {
      headers.set("content-range", `bytes */${info.size}`);
      return new Response(null, { status: 416, headers });
    }
    if (r !== "all") {
      [start, end] = r;
      status = 206;
      headers.set("content-range", `bytes ${start}-${end}/${info.size}`);
    }
  }
  const length = info.size === 0 ? 0 : end - start + 1;
  headers.set("content-length", String(length));
  if (req.method === "HEAD" || length === 0) {
    return new Response(null, { status, headers });
  }
  const file = await Deno.open(path, { read: true });
  return new Response(fileStream(file, start, length), { status, headers });
}

/** Resolves links and checks containment: `null` when missing or outside. */
async function resolveInside(
  path: string,
  rootReal: string,
): Promise<[string, Deno.FileInfo] | null> {
  let real: string;
  try {
    real = await Deno.realPath(path);
  } catch {
    return null;
  }
  if (!isInside(real, rootReal)) return null;
  try {
    return [real, await Deno.stat(real)];
  } catch {
    return null;
  }
}

/**
 * Serves one request from a directory: the pure handler behind the script,
 * usable with `Deno.serve` or called directly with a `Request`. GET and HEAD
 * only (405 with `Allow` otherwise); paths outside the root get 404.
 *
 * @param req The request.
 * @param options The root directory and dotfile policy.
 * @returns The response; file bodies are streamed from disk.
 * @throws When the root cannot be resolved or a file vanishes while being
 * opened (`startFileServer` answers 500 and reports it).
 *
 * @example Usage
 * ```ts ignore
 * import { serveDir } from "./file_server.ts";
 *
 * Deno.serve({ port: 8000 }, (req) => serveDir(req, { root: "./public" }));
 * ```
 */
export async function serveDir(
  req: Request,
  options: ServeDirOptions,
): Promise<Response> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    return text(405, "Method Not Allowed", { allow: ALLOW });
  }
  const url = new URL(req.url);
  const dotfiles = options.dotfiles ?? true;
  const segments = safeSegments(url.pathname, dotfiles);
  if (segments === null) return text(404, "Not Found");
  // Throws (a 500 under startFileServer) when the root itself is gone.
  const rootReal = await Deno.realPath(options.root);
  const found = await resolveInside(
    [rootReal, ...segments].join(SEPARATOR),
    rootReal,
  );
  if (found === null) return text(404, "Not Found");
  const [real, info] = found;
  if (info.isDirectory) {
    if (!url.pathname.endsWith("/")) {
      // One leading slash only: "//host/dir" must not become a
      // protocol-relative redirect to another site.
      const path = url.pathname.replace(/^\/+/, "/");
      return new Response(null, {
        status: 301,
        headers: { location: `${path}/${url.search}` },
      });
    }
    const index = await resolveInside(
      `${real}${SEPARATOR}index.html`,
      rootReal,
    );
    if (index?.[1].isFile) {
      return await serveFile(req, index[0], index[1], "index.html");
    }
    const html = await renderDirectory(real, url.pathname, {
      root: rootReal,
      dotfiles,
    });
    return new Response(req.method === "HEAD" ? null : html, {
      headers: {
        "content-type": "text/html; charset=utf-8",
        "content-length": String(new TextEncoder().encode(html).length),
      },
    });
  }
  if (!info.isFile) return text(404, "Not Found");
  return await serveFile(req, real, info, segments.at(-1) ?? "");
}

const SPEC = {
  port: {
    kind: "number",
    integer: true,
    min: 0,
    max: 65535,
    default: 8000,
    description: "port to listen on, 0 picks a free one",
  },
  hostname: {
    kind: "string",
    default: "127.0.0.1",
    valueName: "HOST",
    description: "address to listen on (0.0.0.0 for every interface)",
  },
  dotfiles: {
    kind: "boolean",
    negatable: true,
    default: true,
    description: "serve and list names starting with a dot",
  },
  quiet: { kind: "boolean", short: "q", description: "no access log" },
  help: { kind: "boolean", short: "h", description: "show this help" },
} as const satisfies CliSpec;

const USAGE = formatUsage(SPEC, {
  name: "file_server.ts",
  permissions: "--allow-net --allow-read",
  synopsis: "[dir] [options]",
  description:
    `Serves dir (default ".") over HTTP: listings, index.html, HEAD, byte ranges,
ETag/Last-Modified, one access-log line per request (Common Log Format).`,
  notes: `Narrowest: --allow-net=127.0.0.1:8000 --allow-read=<dir>
Exit codes: 0 after Ctrl-C or SIGTERM, 1 on failure, 2 for a usage error.`,
});

/** A running file server. */
export interface FileServer {
  /** The address it listens on. */
  addr: Deno.NetAddr;
  /** Stops accepting and waits for in-flight requests. */
  shutdown(): Promise<void>;
  /** Resolves when the server has stopped. */
  finished: Promise<void>;
}

/** Options for {@linkcode startFileServer}. */
export interface FileServerOptions extends ServeDirOptions {
  /**
   * Port to listen on; 0 picks a free one.
   *
   * @default {8000}
   */
  port?: number;
  /**
   * Address to listen on.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /** Receives each access-log line; none when omitted. */
  log?: (line: string) => void;
  /**
   * Receives errors from a request (the client gets 500) or from sending a
   * body; the server keeps running.
   */
  onError?: (error: unknown, req: Request) => void;
  /** Called once listening. */
  onListen?: (addr: Deno.NetAddr) => void;
  /** Stops the server when aborted, like `shutdown()`. */
  signal?: AbortSignal;
}

/**
 * Starts the file server: {@linkcode serveDir} behind `Deno.serve`, with one
 * access-log line per request and a 500 (never a crash) when a request fails.
 *
 * @param options Root, address, access-log and error sinks.
 * @returns The running server.
 *
 * @example Usage
 * ```ts ignore
 * import { startFileServer } from "./file_server.ts";
 *
 * const server = startFileServer({ root: ".", port: 0, log: console.log });
 * console.log(`http://127.0.0.1:${server.addr.port}/`);
 * await server.shutdown();
 * ```
 */
export function startFileServer(options: FileServerOptions): FileServer {
  const serveOptions: ServeDirOptions = {
    root: options.root,
    ...(options.dotfiles === undefined ? {} : { dotfiles: options.dotfiles }),
  };
  const server = Deno.serve(
    {
      port: options.port ?? 8000,
      hostname: options.hostname ?? "127.0.0.1",
      onListen: (addr) => options.onListen?.(addr as Deno.NetAddr),
      ...(options.signal ? { signal: options.signal } : {}),
    },
    withAccessLog((req) => serveDir(req, serveOptions), {
      ...(options.log ? { log: options.log } : {}),
      ...(options.onError ? { onError: options.onError } : {}),
    }),
  );
  return {
    addr: server.addr as Deno.NetAddr,
    shutdown: () => server.shutdown(),
    finished: server.finished,
  };
}

/**
 * The command-line entry point: parses the arguments, serves until SIGINT or
 * SIGTERM, then shuts down gracefully.
 *
 * @param args Command-line arguments.
 * @returns The exit code: 0 after a signal or `--help`.
 * @throws {UsageError} For a bad command line.
 * @throws {Error} When the directory does not exist or the port is taken.
 *
 * @example Usage
 * ```ts ignore
 * import { main } from "./file_server.ts";
 *
 * Deno.exit(await main(["./public", "--port", "8080"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const { flags, positional } = parseCli(args, SPEC);
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  if (positional.length > 1) {
    throw new UsageError(
      `Expected at most one directory, got ${positional.length}`,
    );
  }
  const root = positional[0] ?? ".";
  const info = await Deno.stat(root).catch(() => null);
  if (!info?.isDirectory) throw new Error(`Not a directory: "${root}"`);
  const server = startFileServer({
    root,
    port: flags.port,
    hostname: flags.hostname,
    dotfiles: flags.dotfiles,
    ...(flags.quiet ? {} : { log: (line: string) => console.log(line) }),
    onError: (err, req) =>
      console.error(
        `error: ${req.method} ${new URL(req.url).pathname}: ${
          err instanceof Error ? err.message : String(err)
        }`,
      ),
    onListen: (addr) => {
      const host = addr.hostname.includes(":")
        ? `[${addr.hostname}]`
        : addr.hostname;
      console.log(`Serving ${root} on http://${host}:${addr.port}/`);
    },
  });
  let stopping = false;
  const stop = () => {
    if (stopping) Deno.exit(130);
    stopping = true;
    server.shutdown();
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM"];
  for (const sig of signals) Deno.addSignalListener(sig, stop);
  try {
    await server.finished;
  } finally {
    for (const sig of signals) Deno.removeSignalListener(sig, stop);
  }
  return 0;
}

if (import.meta.main) Deno.exit(await runMain(main, Deno.args));
