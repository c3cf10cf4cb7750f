#!/usr/bin/env -S deno run --allow-net
// deno-lint-ignore-file no-console
/**
 * `redirector.ts`: the seed's HTTP redirector as a real reverse proxy. It
 * makes a remote server appear local: every method is forwarded to the one
 * configured upstream, bodies stream both ways in constant memory, upstream
 * connections are kept alive, and each request is logged in Common Log Format.
 *
 * ```sh
 * deno run --allow-net scripts/redirector.ts http://127.0.0.1:8091/ --port 8000
 * # Redirecting HTTP requests to http://127.0.0.1:8091/
 * # Serving HTTP on http://127.0.0.1:8000/
 * # 127.0.0.1 - - [13/Jan/1999:22:08:31 +0000] "GET /pics/x.gif HTTP/1.1" 200 2326 1.2ms
 * ```
 *
 * - Hop-by-hop fields (Connection and the fields it names, Keep-Alive,
 *   Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade) are removed
 *   before X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Host and Via are
 *   added; inbound X-Forwarded-* are replaced unless `--trust-forwarded`.
 * - Host is the upstream's unless `--preserve-host`; the upstream URL's path
 *   prefix is joined to each request path; Location and Content-Location that
 *   point at the upstream are rewritten to the proxy.
 * - WebSocket upgrades are passed through as a byte tunnel once the
 *   upstream answers 101.
 * - It runs on inetkit's own HTTP/1.1 server ({@linkcode serveHttp}), which
 *   refuses, with 400 and before anything reaches the upstream, requests two
 *   parsers could read differently: a bare LF or CR as a line ending,
 *   obs-fold, Content-Length with Transfer-Encoding, conflicting
 *   Content-Lengths, a missing or repeated Host. The request target goes
 *   upstream byte for byte (dot segments resolved first, so `/../` cannot
 *   leave the path prefix), and the upstream's reason phrase, header case
 *   and order come back as sent.
 * - Upstream refused or reset: 502 with a short reason; silent past
 *   `--timeout` seconds: 504. The proxy keeps serving.
 * - It is not an open proxy: an absolute-form request target naming another
 *   host is still sent to the configured upstream only; CONNECT gets 405.
 *
 * With `--cert FILE --key FILE` the front speaks HTTPS (X-Forwarded-Proto and
 * rewritten locations then say `https`).
 *
 * Permissions: `--allow-net` (narrowest: `--allow-net=127.0.0.1:8000,<upstream host:port>`;
 * `--allow-read=FILE,...` for `--ca`, `--cert` and `--key`).
 *
 * @module
 */

import { closeQuietly } from "../protocols/_close.ts";
import { formatAccessLog, lineBuffer } from "./_access_log.ts";
import { parseCli, runMain, UsageError } from "./_cli.ts";
import {
  forwardPath,
  forwardRequestHeaders,
  forwardResponseHeaders,
} from "./_redirector_headers.ts";
import { HttpClient, type HttpResponse } from "../protocols/http.ts";
import {
  type HttpServer,
  serveHttp,
  type ServerRequest,
  type ServerResponse,
} from "../protocols/http_server.ts";
import { TimeoutError } from "../protocols/errors.ts";
import { writeAll } from "../protocols/write_all.ts";

/** Request bodies with a Content-Length up to this size are read whole first. */
const BUFFERED_BODY = 64 * 1024;
/** Idle upstream connections kept: about the concurrency the proxy sees. */
const MAX_IDLE = 256;
/** Pieces of a WebSocket (or other upgraded) connection's bytes. */
const TUNNEL_CHUNK = 64 * 1024;

/** Options for {@linkcode createRedirector}. */
export interface RedirectorOptions {
  /** The upstream base URL (`http:` or `https:`), possibly with a path prefix. */
  upstream: string | URL;
  /**
   * Milliseconds the upstream may stay silent before the client gets 504.
   *
   * @default {60000}
   */
  timeout?: number;
  /** Keep inbound X-Forwarded-* fields and append to them. */
  trustForwarded?: boolean;
  /** Send the client's Host to the upstream instead of the upstream's own. */
  preserveHost?: boolean;
  /** Extra CA certificates (PEM) for an `https:` upstream. */
  caCerts?: string[];
  /** The client used for the upstream (a new one by default). */
  client?: HttpClient;
  /**
   * The scheme clients reach the proxy with: X-Forwarded-Proto, and the
   * origin Location and Content-Location are rewritten to.
   *
   * @default {"http"}
   */
  frontProto?: "http" | "https";
}

/** The redirector's request handler, for {@linkcode serveHttp}. */
export type RedirectorHandler = (req: ServerRequest) => Promise<ServerResponse>;

function plain(status: number, text: string): ServerResponse {
  return {
    status,
    headers: [["Content-Type", "text/plain; charset=utf-8"]],
    body: `${text}\n`,
  };
}

function hostOf(req: ServerRequest): string | undefined {
  for (const [name, value] of req.headerLines) {
    if (name.length === 4 && name.toLowerCase() === "host") return value;
  }
  return undefined;
}

/** Whether an Upgrade value asks for WebSocket (the only protocol passed through). */
function isWebSocket(upgrade: string | undefined): boolean {
  return upgrade !== undefined &&
    upgrade.split(",").some((p) => p.trim().toLowerCase() === "websocket");
}

/** Copies `from` to `to` (after `first`) until `from` ends, then half-closes `to`. */
async function splice(
  from: Deno.Conn,
  first: Uint8Array,
  to: Deno.Conn,
): Promise<void> {
  try {
    if (first.length) await writeAll(to, first);
    const buffer = new Uint8Array(TUNNEL_CHUNK);
    while (true) {
      const n = await from.read(buffer);
      if (n === null) break;
      await writeAll(to, buffer.subarray(0, n));
    }
    await to.closeWrite();
  } catch { /* either side went away */ }
}

/** Joins two upgraded connections until both directions end. */
function tunnel(
  client: Deno.Conn,
  clientBytes: Uint8Array,
  upstream: { conn: Deno.Conn; buffered: Uint8Array },
): Promise<void> {
  const done = Promise.all([
    splice(client, clientBytes, upstream.conn),
    splice(upstream.conn, upstream.buffered, client),
  ]);
  return done.then(() => {
    closeQuietly(client);
    closeQuietly(upstream.conn);
  });
}

/**
 * Creates the redirector's request handler.
 *
 * @param options The upstream and the header rules.
 * @returns A handler for {@linkcode serveHttp}.
 *
 * @example Usage
 * ```ts ignore
 * import { createRedirector } from "./redirector.ts";
 * import { serveHttp } from "../protocols/http_server.ts";
 *
 * serveHttp({ port: 8000 }, createRedirector({ upstream: "http://127.0.0.1:8091/" }));
 * ```
 */
export function createRedirector(
  options: RedirectorOptions,
): RedirectorHandler {
  const upstream = new URL(options.upstream);
  if (upstream.protocol !== "http:" && upstream.protocol !== "https:") {
    throw new TypeError(
      `Upstream must be an http: or https: URL, got "${upstream.href}"`,
    );
  }
  if (upstream.username || upstream.password) {
    throw new TypeError("Upstream URL must not hold a user name or password");
  }
  const timeout = options.timeout ?? 60_000;
  const client = options.client ??
    new HttpClient({ maxIdlePerOrigin: MAX_IDLE });
  const trustForwarded = options.trustForwarded ?? false;
  const upstreamHost = options.preserveHost ? undefined : upstream.host;
  const prefix = upstream.pathname.replace(/\/$/, "");
  const origin = new URL(`${upstream.protocol}//${upstream.host}/`);
  const caCerts = options.caCerts;
  const frontProto = options.frontProto ?? "http";
  const failed = (err: unknown): ServerResponse => {
    if (err instanceof TimeoutError) {
      return plain(
        504,
        `Gateway Timeout: the upstream did not answer within ${
          timeout / 1000
        } s`,
      );
    }
    const reason = err instanceof Error ? err.message : String(err);
    return plain(502, `Bad Gateway: ${reason}`);
  };
  return async (req: ServerRequest): Promise<ServerResponse> => {
    if (req.method === "CONNECT") {
      return plain(405, "Method Not Allowed: this is not a forward proxy");
    }
    const path = forwardPath(req.target);
    if (path === undefined) {
      return plain(400, "Bad Request: the request target is not forwarded");
    }
    const frontHost = hostOf(req) ?? upstream.host;
    const websocket = isWebSocket(req.upgrade);
    const headers = forwardRequestHeaders(req.headerLines, {
      clientIp: req.remoteAddr.hostname ?? "unknown",
      host: frontHost,
      proto: frontProto,
      trustForwarded,
      upstreamHost,
    });
    if (websocket) {
      headers.push(["Connection", "upgrade"], ["Upgrade", req.upgrade!]);
    }
    const front = `${frontProto}://${frontHost}`;
    let res: HttpResponse;
    try {
      const length = req.contentLength;
      const body = length === 0
        ? null
        : length !== null && length <= BUFFERED_BODY
        ? await req.bytes(BUFFERED_BODY)
        : req.body;
      res = await client.request(origin, {
        method: req.method,
        target: prefix + path,
        headers,
        body,
        timeout,
        caCerts,
      });
    } catch (err) {
      return failed(err);
    }
    const fields = forwardResponseHeaders(res.headerLines, upstream, front);
    const reply = { status: res.status, reason: res.reason, headers: fields };
    const upgraded = res.upgraded;
    if (upgraded) {
      if (!websocket) {
        upgraded.conn.close();
        return plain(
          502,
          "Bad Gateway: the upstream switched protocols unasked",
        );
      }
      fields.push(["Connection", "Upgrade"], ["Upgrade", req.upgrade!]);
      return {
        ...reply,
        upgrade: (conn, buffered) => tunnel(conn, buffered, upgraded),
      };
    }
    const length = res.contentLength;
    if (length === 0) return reply;
    // A body of up to 64 KiB is read whole before the head goes out, so an
    // upstream failing inside it still gets a clean 502 (onBodyError).
    return { ...reply, body: res, contentLength: length, onBodyError: failed };
  };
}

/** Options for {@linkcode serveRedirector}. */
export interface ServeRedirectorOptions extends RedirectorOptions {
  /**
   * The address to listen on.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * The port (0 picks a free one).
   *
   * @default {8000}
   */
  port?: number;
  /** Receives one Common Log Format line per request; none when omitted. */
  log?: (line: string) => void;
  /** Called once listening. */
  onListen?: (addr: Deno.NetAddr) => void;
  /**
   * A certificate chain (PEM) to serve HTTPS with, with `key`; the front
   * then says `https` in X-Forwarded-Proto and rewritten locations.
   */
  cert?: string;
  /** The private key (PEM) of `cert`. */
  key?: string;
}

/**
 * Starts the redirector: {@linkcode createRedirector} behind
 * {@linkcode serveHttp}, with an access log in Common Log Format.
 *
 * @param options The upstream, the header rules, where to listen, the log.
 * @returns The running server.
 *
 * @example Usage
 * ```ts ignore
 * import { serveRedirector } from "./redirector.ts";
 *
 * const server = serveRedirector({
 *   upstream: "http://127.0.0.1:8091/",
 *   port: 8000,
 *   log: (line) => console.log(line),
 * });
 * await server.finished;
 * ```
 */
export function serveRedirector(options: ServeRedirectorOptions): HttpServer {
  const tls = options.cert !== undefined || options.key !== undefined;
  if (tls && (options.cert === undefined || options.key === undefined)) {
    throw new TypeError("HTTPS needs both a certificate and its key");
  }
  // A client made here is closed with the server; a given one is the caller's.
  const own = options.client
    ? undefined
    : new HttpClient({ maxIdlePerOrigin: MAX_IDLE });
  const handler = createRedirector({
    ...options,
    ...(own ? { client: own } : {}),
    frontProto: tls ? "https" : "http",
  });
  const log = options.log;
  const hostname = options.hostname ?? "127.0.0.1";
  const port = options.port ?? 8000;
  const server = serveHttp({
    ...(tls
      ? {
        listener: Deno.listenTls({
          hostname,
          port,
          cert: options.cert!,
          key: options.key!,
        }),
      }
      : { hostname, port }),
    ...(options.onListen ? { onListen: options.onListen } : {}),
    ...(log
      ? { log: (entry) => log(formatAccessLog(entry, { utc: true })) }
      : {}),
  }, handler);
  if (!own) return server;
  const finished = server.finished.finally(() => own.close());
  return {
    addr: server.addr,
    finished,
    async shutdown(): Promise<void> {
      await server.shutdown();
      own.close();
    },
    close(): void {
      server.close();
      own.close();
    },
  };
}

const SPEC = {
  port: { kind: "number", integer: true, min: 0, max: 65535 },
  hostname: { kind: "string" },
  timeout: { kind: "number", min: 0.001 },
  "trust-forwarded": { kind: "boolean" },
  "preserve-host": { kind: "boolean" },
  ca: { kind: "list" },
  cert: { kind: "string" },
  key: { kind: "string" },
  quiet: { kind: "boolean", short: "q" },
  help: { kind: "boolean", short: "h" },
} as const;

const USAGE =
  `Usage: redirector.ts <upstream-url> [--port 8000] [--hostname 127.0.0.1] [options]

Makes the upstream appear local: forwards every request to it, streams bodies
both ways, and logs each request in Common Log Format.

Options:
  --port N             port to listen on (default 8000; 0 picks a free one)
  --hostname HOST      address to listen on (default 127.0.0.1)
  --timeout SECONDS    504 when the upstream is silent this long (default 60)
  --trust-forwarded    keep inbound X-Forwarded-* and append to them
  --preserve-host      send the client's Host header to the upstream
  --ca FILE            trust this CA (PEM) for an https upstream (needs --allow-read)
  --cert FILE          serve HTTPS with this certificate chain (PEM), with --key
  --key FILE           the certificate's private key (PEM) (both need --allow-read)
  -q, --quiet          no access log
  -h, --help           this help

Permissions: --allow-net
  (narrowest: --allow-net=127.0.0.1:8000,<upstream host:port>;
  --allow-read=FILE,... for --ca, --cert and --key)`;

/**
 * The command-line entry point.
 *
 * @param args Command-line arguments.
 * @returns The exit code.
 *
 * @example Usage
 * ```ts ignore
 * import { main } from "./redirector.ts";
 *
 * Deno.exit(await main(["http://127.0.0.1:8091/", "--port", "8000"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const { flags, positional } = parseCli(args, SPEC);
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  if (positional.length !== 1) {
    throw new UsageError("Expected exactly one upstream URL");
  }
  let upstream: URL;
  try {
    upstream = new URL(positional[0]!);
  } catch {
    throw new UsageError(
      `Invalid upstream URL: ${JSON.stringify(positional[0])}`,
    );
  }
  const caCerts = await Promise.all(flags.ca.map((f) => Deno.readTextFile(f)));
  if ((flags.cert === undefined) !== (flags.key === undefined)) {
    throw new UsageError("--cert and --key go together");
  }
  const cert = flags.cert === undefined
    ? undefined
    : await Deno.readTextFile(flags.cert);
  const key = flags.key === undefined
    ? undefined
    : await Deno.readTextFile(flags.key);
  const scheme = cert === undefined ? "http" : "https";
  const client = new HttpClient({ maxIdlePerOrigin: MAX_IDLE });
  // One write per batch of lines, not one console.log per request.
  const logs = flags.quiet ? undefined : lineBuffer(Deno.stdout);
  console.log(`Redirecting HTTP requests to ${upstream.href}`);
  const server = serveRedirector({
    upstream,
    timeout: (flags.timeout ?? 60) * 1000,
    trustForwarded: flags["trust-forwarded"],
    preserveHost: flags["preserve-host"],
    client,
    ...(caCerts.length ? { caCerts } : {}),
    ...(logs ? { log: logs.log } : {}),
    port: flags.port ?? 8000,
    hostname: flags.hostname ?? "127.0.0.1",
    ...(cert === undefined ? {} : { cert, key: key! }),
    onListen: (addr) => {
      const host = addr.hostname.includes(":")
        ? `[${addr.hostname}]`
        : addr.hostname;
      console.log(
        `Serving ${scheme.toUpperCase()} on ${scheme}://${host}:${addr.port}/`,
      );
    },
  });
  let stopping = false;
  const exit = (code: number) => {
    logs?.flush();
    Deno.exit(code);
  };
  const stop = () => {
    if (stopping) exit(130);
    stopping = true;
    // In-flight requests get up to 10 seconds to finish.
    const timer = setTimeout(() => exit(0), 10_000);
    server.shutdown().finally(() => {
      clearTimeout(timer);
      exit(0);
    });
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await server.finished;
  client.close();
  logs?.flush();
  return 0;
}

if (import.meta.main) Deno.exit(await runMain(main, Deno.args));
