#!/usr/bin/env -S deno run --allow-net --allow-read
// deno-lint-ignore-file no-console
/**
 * `file_server.ts`: the SimpleHTTPServer of Deno. Serves a directory over
 * HTTP with listings, `index.html`, HEAD, single byte ranges, ETag and
 * Last-Modified validation, and one Common Log Format line per request.
 *
 * ```sh
 * deno run --allow-net --allow-read scripts/file_server.ts [dir] [--port 8000] [--hostname 127.0.0.1] [--quiet]
 * deno run --allow-net=127.0.0.1:8000 --allow-read=./public https://…/scripts/file_server.ts ./public
 * ```
 *
 * Paths never leave the root: `..` segments (also percent-encoded), encoded
 * slashes or backslashes inside a segment, NUL bytes, and symbolic links that
 * resolve outside the root all get 404. Dotfiles are served like any other
 * file; keep secrets out of the served tree.
 *
 * Permissions: `--allow-net` (narrow it to the listening address) and
 * `--allow-read` (narrow it to the served directory).
 *
 * @module
 */

import { formatAccessLog } from "./_access_log.ts";
import { parseCli, runMain, UsageError } from "./_cli.ts";
import { contentTypeFor } from "./_content_type.ts";
import { renderDirectory } from "./_file_server_listing.ts";

/** Options for {@linkcode serveDir}. */
export interface ServeDirOptions {
  /** The directory served. */
  root: string;
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

/** Splits and decodes a URL path; `null` when a segment would escape or is invalid. */
function safeSegments(pathname: string): string[] | null {
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
    out.push(seg);
  }
  return out;
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

async function serveFile(
  req: Request,
  path: string,
  info: Deno.FileInfo,
): Promise<Response> {
  const etag = etagFor(info);
  const headers = new Headers({
    "content-type": contentTypeFor(path),
    "accept-ranges": "bytes",
    etag,
  });
  if (info.mtime) headers.set("last-modified", info.mtime.toUTCString());
  const inm = req.headers.get("if-none-match");
  const ims = req.headers.get("if-modified-since");
  const notModified = inm !== null
    ? etagMatches(inm, etag)
    : ims !== null && info.mtime !== null &&
      Math.floor(info.mtime.getTime() / 1000) <=
        Math.floor(Date.parse(ims) / 1000);
  if (notModified) return new Response(null, { status: 304, headers });

  let start = 0;
  let end = info.size - 1;
  let status = 200;
  const range = req.headers.get("range");
  const ifRange = req.headers.get("if-range");
  const rangeApplies = range !== null && (ifRange === null ||
    (ifRange.startsWith('"') ? ifRange === etag : info.mtime !== null &&
      Math.floor(info.mtime.getTime() / 1000) <=
        Math.floor(Date.parse(ifRange) / 1000)));
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

/**
 * Serves one request from a directory: the pure handler behind the script,
 * usable with `Deno.serve` or called directly with a `Request`.
 *
 * @param req The request.
 * @param options The root directory.
 * @returns The response.
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
  const segments = safeSegments(url.pathname);
  if (segments === null) return text(404, "Not Found");
  let rootReal: string;
  try {
    rootReal = await Deno.realPath(options.root);
  } catch {
    return text(500, "Internal Server Error");
  }
  const joined = [rootReal, ...segments].join("/");
  let real: string;
  let info: Deno.FileInfo;
  try {
    real = await Deno.realPath(joined);
    info = await Deno.stat(real);
  } catch {
    return text(404, "Not Found");
  }
  if (
    real !== rootReal &&
    !real.startsWith(rootReal.endsWith("/") ? rootReal : rootReal + "/")
  ) {
    return text(404, "Not Found");
  }
  if (info.isDirectory) {
    if (!url.pathname.endsWith("/")) {
      return new Response(null, {
        status: 301,
        headers: { location: `${url.pathname}/${url.search}` },
      });
    }
    try {
      const index = await Deno.stat(`${real}/index.html`);
      if (index.isFile) {
        return await serveFile(req, `${real}/index.html`, index);
      }
    } catch {
      // No index: list the directory.
    }
    const html = await renderDirectory(real, url.pathname);
    return new Response(req.method === "HEAD" ? null : html, {
      headers: {
        "content-type": "text/html; charset=utf-8",
        "content-length": String(new TextEncoder().encode(html).length),
      },
    });
  }
  if (!info.isFile) return text(404, "Not Found");
  return await serveFile(req, real, info);
}

const SPEC = {
  port: { kind: "number", integer: true, min: 0, max: 65535 },
  hostname: { kind: "string" },
  quiet: { kind: "boolean", short: "q" },
  help: { kind: "boolean", short: "h" },
} as const;

const USAGE =
  `Usage: file_server.ts [dir] [--port 8000] [--hostname 127.0.0.1] [--quiet]

Serves dir (default ".") over HTTP: listings, index.html, HEAD, byte ranges,
ETag/Last-Modified, one access-log line per request (Common Log Format).

Options:
  --port N          port to listen on (default 8000; 0 picks a free one)
  --hostname HOST   address to listen on (default 127.0.0.1)
  -q, --quiet       no access log
  -h, --help        this help

Permissions: --allow-net --allow-read
  (narrowest: --allow-net=127.0.0.1:8000 --allow-read=<dir>)`;

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
  /** @default {8000} */
  port?: number;
  /** @default {"127.0.0.1"} */
  hostname?: string;
  /** Receives each access-log line; none when omitted. */
  log?: (line: string) => void;
  /** Called once listening. */
  onListen?: (addr: Deno.NetAddr) => void;
}

/**
 * Starts the file server.
 *
 * @param options Root, address and access-log sink.
 * @returns The running server.
 *
 * @example Usage
 * ```ts ignore
 * import { startFileServer } from "./file_server.ts";
 *
 * const server = startFileServer({ root: ".", port: 0 });
 * await server.shutdown();
 * ```
 */
export function startFileServer(options: FileServerOptions): FileServer {
  const log = options.log;
  const server = Deno.serve({
    port: options.port ?? 8000,
    hostname: options.hostname ?? "127.0.0.1",
    onListen: (addr) => options.onListen?.(addr as Deno.NetAddr),
  }, async (req, info) => {
    const started = performance.now();
    let res: Response;
    try {
      res = await serveDir(req, options);
    } catch (err) {
      res = text(500, "Internal Server Error");
      if (log) {
        log(`error: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (log) {
      const url = new URL(req.url);
      log(formatAccessLog({
        host: (info.remoteAddr as Deno.NetAddr).hostname,
        time: new Date(),
        method: req.method,
        target: url.pathname + url.search,
        status: res.status,
        bytes: Number(res.headers.get("content-length") ?? 0),
        durationMs: performance.now() - started,
      }));
    }
    return res;
  });
  return {
    addr: server.addr as Deno.NetAddr,
    shutdown: () => server.shutdown(),
    finished: server.finished,
  };
}

/**
 * The command-line entry point.
 *
 * @param args Command-line arguments.
 * @returns The exit code.
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
    throw new UsageError("Expected at most one directory");
  }
  const root = positional[0] ?? ".";
  const info = await Deno.stat(root).catch(() => null);
  if (!info?.isDirectory) throw new Error(`Not a directory: "${root}"`);
  const server = startFileServer({
    root,
    port: flags.port ?? 8000,
    hostname: flags.hostname ?? "127.0.0.1",
    ...(flags.quiet ? {} : { log: (line: string) => console.log(line) }),
    onListen: (addr) => {
      const host = addr.hostname.includes(":")
        ? `[${addr.hostname}]`
        : addr.hostname;
      console.log(`Serving ${root} on http://${host}:${addr.port}/`);
    },
  });
  const stop = () => {
    server.shutdown();
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await server.finished;
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  return 0;
}

if (import.meta.main) Deno.exit(await runMain(main, Deno.args));
