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
 * - WebSocket upgrades are passed through.
 * - Requests with both Content-Length and Transfer-Encoding, or conflicting
 *   Content-Lengths, are refused with 400 before anything reaches the upstream
 *   (`Deno.serve` itself answers 400 to obs-fold and to duplicated
 *   Content-Lengths). `Deno.serve` accepts a bare LF as a line ending, as
 *   RFC 9112 §2.2 lets a recipient do, and gives the handler no way to see
 *   it; every request is re-framed with CRLF before it goes upstream (no raw
 *   bytes are ever forwarded), so the upstream cannot read a bare-LF request
 *   differently from us.
 * - Upstream refused or reset: 502 with a short reason; silent past
 *   `--timeout` seconds: 504. The proxy keeps serving.
 * - It is not an open proxy: an absolute-form request target naming another
 *   host is still sent to the configured upstream only.
 *
 * Permissions: `--allow-net` (narrowest: `--allow-net=127.0.0.1:8000,<upstream host:port>`).
 *
 * @module
 */

import { lineBuffer, withAccessLog, withBodySize } from "./_access_log.ts";
import { parseCli, runMain, UsageError } from "./_cli.ts";
import { readAhead } from "./_read_ahead.ts";
import {
  forwardRequestHeaders,
  forwardResponseHeaders,
  upstreamUrl,
} from "./_redirector_headers.ts";
import { HttpClient, type HttpResponse } from "../protocols/http.ts";
import { TimeoutError } from "../protocols/errors.ts";

/**
 * Bodies with a Content-Length up to this size are read whole before the
 * response starts (as nginx buffers them): `Deno.serve` then sends them from
 * one array, and an upstream failing mid-body still gets a clean 502.
 */
const BUFFERED_BODY = 64 * 1024;
/** Idle upstream connections kept: about the concurrency the proxy sees. */
const MAX_IDLE = 256;

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
  /** Receives one access-log line per request; none when omitted. */
  log?: (line: string) => void;
  /** The client used for the upstream (a new one by default). */
  client?: HttpClient;
}

/** A `Deno.serve` handler. */
export type RedirectorHandler = (
  req: Request,
  info: Deno.ServeHandlerInfo,
) => Promise<Response>;

function plain(status: number, text: string): Response {
  return new Response(`${text}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

function clientIp(info: Deno.ServeHandlerInfo): string {
  const addr = info.remoteAddr as Deno.NetAddr;
  return addr.hostname ?? "unknown";
}

function ambiguousFraming(req: Request): string | undefined {
  const cl = req.headers.get("content-length");
  if (cl !== null && req.headers.has("transfer-encoding")) {
    return "Request has both Content-Length and Transfer-Encoding";
  }
  if (cl !== null && !/^\d+$/.test(cl.trim())) {
    return "Invalid or conflicting Content-Length";
  }
  return undefined;
}

/**
 * The request body to forward. A chunked one is read ahead of the upstream
 * writes, in bounded memory: Deno 2.9's server slows down superlinearly when
 * a chunked body is read more slowly than the client sends it.
 */
function requestBody(req: Request): ReadableStream<Uint8Array> | null {
  const body = req.body;
  if (body === null || req.headers.has("content-length")) return body;
  return readAhead(body);
}

function respond(
  body: BodyInit | null,
  res: HttpResponse,
  fields: [string, string][],
): Response {
  const init = { status: res.status, statusText: res.reason };
  try {
    return new Response(body, { ...init, headers: fields });
  } catch {
    // A field the Headers class refuses: build them one by one, without it.
    const out = new Headers();
    for (const [name, value] of fields) {
      try {
        out.append(name, value);
      } catch { /* dropped */ }
    }
    return new Response(body, { ...init, headers: out });
  }
}

async function proxyWebSocket(
  req: Request,
  target: URL,
  timeout: number,
): Promise<Response> {
  const wsUrl = new URL(target);
  wsUrl.protocol = target.protocol === "https:" ? "wss:" : "ws:";
  const offered = (req.headers.get("sec-websocket-protocol") ?? "").split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const back = new WebSocket(wsUrl, offered);
  back.binaryType = "arraybuffer";
  const opened = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeout);
    back.onopen = () => {
      clearTimeout(timer);
      resolve(true);
    };
    back.onerror = () => {
      clearTimeout(timer);
      resolve(false);
    };
  });
  if (!opened) {
    try {
      back.close();
    } catch { /* never opened */ }
    return plain(
      502,
      "Bad Gateway: the upstream refused the WebSocket upgrade",
    );
  }
  const { socket, response } = Deno.upgradeWebSocket(
    req,
    back.protocol ? { protocol: back.protocol } : {},
  );
  socket.binaryType = "arraybuffer";
  const pending: (string | ArrayBuffer)[] = [];
  socket.onmessage = (e) => back.send(e.data);
  back.onmessage = (e) => {
    if (socket.readyState === WebSocket.OPEN) socket.send(e.data);
    else pending.push(e.data);
  };
  socket.onopen = () => {
    for (const m of pending.splice(0)) socket.send(m);
  };
  const closeBoth = (code?: number, reason?: string) => {
    for (const ws of [socket, back]) {
      if (
        ws.readyState === WebSocket.OPEN ||
        ws.readyState === WebSocket.CONNECTING
      ) {
        try {
          ws.close(code && code >= 3000 || code === 1000 ? code : 1000, reason);
        } catch { /* already closing */ }
      }
    }
  };
  socket.onclose = (e) => closeBoth(e.code, e.reason);
  back.onclose = (e) => closeBoth(e.code, e.reason);
  socket.onerror = () => closeBoth();
  back.onerror = () => closeBoth();
  return response;
}

/**
 * Creates the redirector's request handler.
 *
 * @param options The upstream and the header rules.
 * @returns A handler for `Deno.serve`.
 *
 * @example Usage
 * ```ts ignore
 * import { createRedirector } from "./redirector.ts";
 *
 * Deno.serve({ port: 8000 }, createRedirector({
 *   upstream: "http://127.0.0.1:8091/",
 *   log: (line) => console.log(line),
 * }));
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
  const timeout = options.timeout ?? 60_000;
  const client = options.client ??
    new HttpClient({ maxIdlePerOrigin: MAX_IDLE });
  const trustForwarded = options.trustForwarded ?? false;
  const upstreamHost = options.preserveHost ? undefined : upstream.host;
  const logged = options.log !== undefined;
  const failed = (err: unknown): Response => {
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
  const handler = async (
    req: Request,
    info: Deno.ServeHandlerInfo,
  ): Promise<Response> => {
    const refused = ambiguousFraming(req);
    if (refused) return plain(400, `Bad Request: ${refused}`);
    const url = new URL(req.url);
    const target = upstreamUrl(upstream, url.pathname + url.search);
    if ((req.headers.get("upgrade") ?? "").toLowerCase() === "websocket") {
      return await proxyWebSocket(req, target, timeout);
    }
    const frontHost = req.headers.get("host") ?? url.host;
    const headers = forwardRequestHeaders(req.headers, {
      clientIp: clientIp(info),
      host: frontHost,
      proto: url.protocol.slice(0, -1),
      trustForwarded,
      ...(upstreamHost === undefined ? {} : { upstreamHost }),
    });
    const front = `${url.protocol}//${frontHost}`;
    try {
      const res = await client.request(target, {
        method: req.method,
        headers,
        body: requestBody(req),
        timeout,
        ...(options.caCerts ? { caCerts: options.caCerts } : {}),
      });
      const fields = forwardResponseHeaders(res.headerLines, upstream, front);
      const length = res.contentLength;
      if (res.status === 204 || res.status === 304 || req.method === "HEAD") {
        await res.body?.cancel();
        return respond(null, res, fields);
      }
      if (length === null || length > BUFFERED_BODY) {
        return respond(res.body, res, fields);
      }
      // The view is only valid during the call; Response copies it.
      const response = await res.withBytes((view) =>
        respond(view, res, fields)
      );
      return logged ? withBodySize(response, length) : response;
    } catch (err) {
      return failed(err);
    }
  };
  return options.log
    ? withAccessLog(handler, { log: options.log, utc: true })
    : handler;
}

const SPEC = {
  port: { kind: "number", integer: true, min: 0, max: 65535 },
  hostname: { kind: "string" },
  timeout: { kind: "number", min: 0.001 },
  "trust-forwarded": { kind: "boolean" },
  "preserve-host": { kind: "boolean" },
  ca: { kind: "list" },
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
  -q, --quiet          no access log
  -h, --help           this help

Permissions: --allow-net
  (narrowest: --allow-net=127.0.0.1:8000,<upstream host:port>)`;

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
  const client = new HttpClient({ maxIdlePerOrigin: MAX_IDLE });
  // One write per batch of lines, not one console.log per request.
  const logs = flags.quiet ? undefined : lineBuffer(Deno.stdout);
  const handler = createRedirector({
    upstream,
    timeout: (flags.timeout ?? 60) * 1000,
    trustForwarded: flags["trust-forwarded"],
    preserveHost: flags["preserve-host"],
    client,
    ...(caCerts.length ? { caCerts } : {}),
    ...(logs ? { log: logs.log } : {}),
  });
  console.log(`Redirecting HTTP requests to ${upstream.href}`);
  const server = Deno.serve({
    port: flags.port ?? 8000,
    hostname: flags.hostname ?? "127.0.0.1",
    onListen: (addr) => {
      const host = addr.hostname.includes(":")
        ? `[${addr.hostname}]`
        : addr.hostname;
      console.log(`Serving HTTP on http://${host}:${addr.port}/`);
    },
  }, handler);
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
    server.shutdown().finally(() => clearTimeout(timer));
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await server.finished;
  client.close();
  logs?.flush();
  return 0;
}

if (import.meta.main) Deno.exit(await runMain(main, Deno.args));
