/**
 * An HTTP/1.1 server on `Deno.listen`, for handlers that must see and send
 * the exact bytes: every header line in order with its case, the reason
 * phrase as given, bodies pumped from a {@linkcode BodySource} without a
 * stream, raw connections after `101 Switching Protocols`. Requests that
 * two parsers could read differently are refused with 400 before the
 * handler runs (bare LF, obs-fold, Content-Length with Transfer-Encoding,
 * conflicting lengths; see {@linkcode HttpRequestError}). Each connection
 * has deadlines for its head, its idle time, body reads and writes, so a
 * slow or silent client costs one socket for a bounded time, and the
 * header section has size and count limits, so it costs bounded memory.
 * An idle keep-alive connection holds its 8 KiB reader and at most a 16 KiB
 * output buffer: bigger buffers (a head with an inline body of up to 64
 * KiB, the pieces of a pumped body) are lent from a pool the server shares
 * for one write at a time.
 *
 * @example A small server
 * ```ts ignore
 * import { serveHttp } from "./http_server.ts";
 *
 * const server = serveHttp({ port: 8000 }, (req) => ({
 *   status: 200,
 *   headers: [["Content-Type", "text/plain"]],
 *   body: `You asked for ${req.target}\n`,
 * }));
 * await server.finished;
 * ```
 *
 * @module
 */

import { closeQuietly } from "./_close.ts";
import {
  OUT_BUFFER,
  PUMP_BUFFER,
  ServerConn,
  type ServerContext,
  type ServerLogEntry,
} from "./_http_server_conn.ts";
import { BufferPool } from "./_buffer_pool.ts";
import type { ServerRequest } from "./_http_server_request.ts";
import type { ServerResponse } from "./_http_server_response.ts";
import { startInterval } from "./_timer.ts";

export { HttpRequestError } from "./_http_request_head.ts";
export { ServerRequest } from "./_http_server_request.ts";
export type {
  BodySource,
  ServerBody,
  ServerResponse,
} from "./_http_server_response.ts";
export type { ServerLogEntry } from "./_http_server_conn.ts";

/** Answers one request. */
export type ServerHandler = (
  req: ServerRequest,
) => ServerResponse | Promise<ServerResponse>;

/** Options for {@linkcode serveHttp}. */
export interface HttpServerOptions {
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
  /** A listener to serve instead (for example from `Deno.listenTls`). */
  listener?: Deno.Listener;
  /**
   * Largest request head (request line and fields) in bytes; larger gets 431.
   *
   * @default {65536}
   */
  maxHeaderBytes?: number;
  /**
   * Most request header lines; more gets 431.
   *
   * @default {100}
   */
  maxHeaderCount?: number;
  /**
   * Longest request line in bytes; longer gets 414.
   *
   * @default {16384}
   */
  maxRequestLine?: number;
  /**
   * Milliseconds for a whole request head once its first byte came.
   *
   * @default {30000}
   */
  headersTimeout?: number;
  /**
   * Milliseconds an idle keep-alive connection waits for the next request.
   *
   * @default {60000}
   */
  keepAliveTimeout?: number;
  /**
   * Milliseconds the client may be silent while the handler reads the body.
   *
   * @default {60000}
   */
  bodyTimeout?: number;
  /**
   * Milliseconds one write to the client may take.
   *
   * @default {60000}
   */
  sendTimeout?: number;
  /** Called once listening. */
  onListen?: (addr: Deno.NetAddr) => void;
  /** Receives one entry per response (for an access log). */
  log?: (entry: ServerLogEntry) => void;
  /**
   * Receives errors of the handler (the client got 500) and of the server.
   * By default they go to `console.error`.
   */
  onError?: (error: unknown) => void;
}

/** A running server. */
export interface HttpServer {
  /** The address it listens on. */
  readonly addr: Deno.NetAddr;
  /** Settles once the server stopped and every connection is done. */
  readonly finished: Promise<void>;
  /**
   * Stops taking connections and requests: idle connections close at once,
   * busy ones after their current response (which says `Connection:
   * close`). Upgraded connections are left to their owners.
   *
   * @returns Settles when every HTTP connection is closed.
   */
  shutdown(): Promise<void>;
  /** Stops at once: every connection is closed, in flight or not. */
  close(): void;
}

function positive(value: number | undefined, fallback: number, name: string) {
  const v = value ?? fallback;
  if (!(v > 0) || !Number.isFinite(v)) {
    throw new RangeError(`Invalid ${name}: ${value}`);
  }
  return v;
}

function defaultOnError(error: unknown): void {
  // deno-lint-ignore no-console
  console.error("http server:", error);
}

/**
 * Serves HTTP/1.1 on a TCP (or given) listener.
 *
 * @param options Where to listen, limits and timeouts, the log.
 * @param handler Answers each request.
 * @returns The running server.
 * @throws {Deno.errors.AddrInUse} When the port is taken.
 *
 * @example Usage
 * ```ts ignore
 * import { serveHttp } from "./http_server.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const server = serveHttp({ port: 0 }, (req) => ({
 *   status: 200,
 *   reason: "Fine",
 *   body: `${req.method} ${req.target}`,
 * }));
 * const res = await fetch(`http://127.0.0.1:${server.addr.port}/a?b`);
 * assertEquals([res.statusText, await res.text()], ["Fine", "GET /a?b"]);
 * await server.shutdown();
 * ```
 */
export function serveHttp(
  options: HttpServerOptions,
  handler: ServerHandler,
): HttpServer {
  const headersTimeout = positive(options.headersTimeout, 30_000, "timeout");
  const keepAliveTimeout = positive(
    options.keepAliveTimeout,
    60_000,
    "timeout",
  );
  const bodyTimeout = positive(options.bodyTimeout, 60_000, "timeout");
  const sendTimeout = positive(options.sendTimeout, 60_000, "timeout");
  const listener = options.listener ?? Deno.listen({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 8000,
  });
  const smallest = Math.min(
    headersTimeout,
    keepAliveTimeout,
    bodyTimeout,
    sendTimeout,
  );
  const clock = {
    tick: 0,
    ms: Math.max(10, Math.min(1000, Math.floor(smallest / 4))),
  };
  const conns = new Set<ServerConn>();
  let stopping = false;
  let acceptDone!: () => void;
  const accepted = new Promise<void>((r) => acceptDone = r);
  const waiting: (() => void)[] = [];
  const ctx: ServerContext = {
    handler,
    limits: {
      maxHeaderBytes: positive(options.maxHeaderBytes, 64 * 1024, "limit"),
      maxHeaderCount: positive(options.maxHeaderCount, 100, "limit"),
      maxRequestLine: positive(options.maxRequestLine, 16 * 1024, "limit"),
    },
    headersTimeout,
    keepAliveTimeout,
    bodyTimeout,
    sendTimeout,
    clock,
    get stopping() {
      return stopping;
    },
    log: options.log,
    onError: options.onError ?? defaultOnError,
    forget(conn) {
      conns.delete(conn);
      if (conns.size === 0) {
        for (const wake of waiting.splice(0)) wake();
      }
    },
    buffers: {
      out: new BufferPool(OUT_BUFFER, 64),
      pump: new BufferPool(PUMP_BUFFER, 16),
    },
  };
  const stopSweep = startInterval(clock.ms, () => {
    const tick = ++clock.tick;
    for (const conn of conns) {
      if (
        conn.opLimit > 0 && (tick - conn.opStart - 1) * clock.ms >= conn.opLimit
      ) {
        conn.expire();
      }
    }
  });
  (async () => {
    try {
      for await (const conn of listener) {
        if (stopping) {
          conn.close();
          continue;
        }
        const c = new ServerConn(conn, ctx);
        conns.add(c);
        c.run();
      }
    } catch (err) {
      if (!stopping) ctx.onError(err);
    } finally {
      acceptDone();
    }
  })();
  const drained = async (): Promise<void> => {
    if (conns.size > 0) await new Promise<void>((r) => waiting.push(r));
  };
  let shut: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    if (shut) return shut;
    stopping = true;
    closeQuietly(listener);
    for (const conn of conns) if (conn.idle) conn.close();
    return shut = (async () => {
      await accepted;
      await drained();
      stopSweep();
    })();
  };
  const finished = (async () => {
    await accepted;
    await drained();
    await shut;
    stopSweep();
  })();
  options.onListen?.(listener.addr as Deno.NetAddr);
  return {
    addr: listener.addr as Deno.NetAddr,
    finished,
    shutdown,
    close(): void {
      void shutdown();
      for (const conn of conns) conn.close();
    },
  };
}
