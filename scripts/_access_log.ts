/**
 * Access-log lines in Common Log Format, as the seed's servers print them
 * (`localhost - - [13/Jan/1999:22:08:31 +0100] "GET /pics/x.gif HTTP/1.1" 200 -`),
 * with the request's duration appended (` 12.3ms`), and
 * {@linkcode withAccessLog}, which wraps a `Deno.serve` handler to log one
 * line per request once its body has been sent and to answer 500 when the
 * handler throws. Fields that come from the client are escaped so that a
 * hostile request cannot forge extra log lines.
 *
 * @module
 */

const MONTHS = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
];

/** One request as logged. */
export interface AccessLogEntry {
  /** Client address. */
  host: string;
  /** Authenticated user, if any. */
  user?: string;
  /** When the request arrived. */
  time: Date;
  /** Method, such as `GET`. */
  method: string;
  /** Request target (path and query). */
  target: string;
  /** Protocol version, such as `HTTP/1.1`. */
  protocol?: string;
  /** Response status. */
  status: number;
  /** Response body bytes; `undefined` or 0 prints `-`. */
  bytes?: number;
  /** Milliseconds from request to the end of the response. */
  durationMs?: number;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/**
 * Escapes control characters, quotes, backslashes and non-ASCII as `\xHH`.
 *
 * @param value A client-supplied field.
 * @returns A value safe to put in one log line.
 *
 * @example Usage
 * ```ts
 * import { escapeLogField } from "./_access_log.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(escapeLogField('/a"b\n'), "/a\\x22b\\x0a");
 * ```
 */
export function escapeLogField(value: string): string {
  // deno-lint-ignore no-control-regex
  return value.replace(/[\x00-\x1f\x7f"\\]|[^\x00-\x7f]/g, (c) => {
    const bytes = new TextEncoder().encode(c);
    return Array.from(bytes, (b) => `\\x${b.toString(16).padStart(2, "0")}`)
      .join("");
  });
}

/** Options for {@linkcode formatClfTime} and {@linkcode formatAccessLog}. */
export interface ClfTimeOptions {
  /**
   * Print UTC (`+0000`) instead of the local time and its offset.
   *
   * @default {false}
   */
  utc?: boolean;
}

/**
 * Formats a date as CLF does: `10/Oct/2000:13:55:36 -0700`, in local time
 * with its UTC offset unless `utc` is set.
 *
 * @param date The time.
 * @param options Local time or UTC.
 * @returns The formatted time, without brackets.
 *
 * @example Usage
 * ```ts
 * import { formatClfTime } from "./_access_log.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const time = new Date(Date.UTC(1999, 0, 13, 22, 8, 31));
 * assertEquals(formatClfTime(time, { utc: true }), "13/Jan/1999:22:08:31 +0000");
 * ```
 */
export function formatClfTime(
  date: Date,
  options: ClfTimeOptions = {},
): string {
  const offsetMinutes = options.utc ? 0 : -date.getTimezoneOffset();
  const local = new Date(date.getTime() + offsetMinutes * 60_000);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${pad(local.getUTCDate())}/${
    MONTHS[local.getUTCMonth()]
  }/${local.getUTCFullYear()}:${pad(local.getUTCHours())}:${
    pad(local.getUTCMinutes())
  }:${pad(local.getUTCSeconds())} ${sign}${pad(Math.floor(abs / 60))}${
    pad(abs % 60)
  }`;
}

/**
 * Builds one access-log line: `host - user [time] "request" status bytes`,
 * plus ` <duration>ms` when known. Bytes print as `-` when unknown or 0.
 *
 * @param entry The request.
 * @param options Local time or UTC.
 * @returns The line, without a newline.
 *
 * @example Usage
 * ```ts
 * import { formatAccessLog } from "./_access_log.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const line = formatAccessLog({
 *   host: "127.0.0.1",
 *   time: new Date(Date.UTC(1999, 0, 13, 22, 8, 31)),
 *   method: "GET",
 *   target: "/pics/x.gif",
 *   status: 200,
 *   durationMs: 1.5,
 * }, { utc: true });
 * assertEquals(line, '127.0.0.1 - - [13/Jan/1999:22:08:31 +0000] "GET /pics/x.gif HTTP/1.1" 200 - 1.5ms');
 * ```
 */
export function formatAccessLog(
  entry: AccessLogEntry,
  options: ClfTimeOptions = {},
): string {
  const user = entry.user ? escapeLogField(entry.user) : "-";
  const request = `${escapeLogField(entry.method)} ${
    escapeLogField(entry.target)
  } ${escapeLogField(entry.protocol ?? "HTTP/1.1")}`;
  const bytes = entry.bytes ? String(entry.bytes) : "-";
  const duration = entry.durationMs === undefined
    ? ""
    : ` ${entry.durationMs.toFixed(1)}ms`;
  return `${escapeLogField(entry.host)} - ${user} [${
    formatClfTime(entry.time, options)
  }] "${request}" ${entry.status} ${bytes}${duration}`;
}

/** A `Deno.serve` handler. */
export type ServeHandler = (
  req: Request,
  info: Deno.ServeHandlerInfo,
) => Response | Promise<Response>;

/** Options for {@linkcode withAccessLog}. */
export interface AccessLogOptions extends ClfTimeOptions {
  /** Receives each access-log line; when omitted nothing is logged. */
  log?: (line: string) => void;
  /**
   * Receives what the handler threw (the client gets a plain 500) or what
   * failed while the body was being sent.
   */
  onError?: (error: unknown, req: Request) => void;
}

function remoteHost(info: Deno.ServeHandlerInfo): string {
  const addr: Deno.Addr = info.remoteAddr;
  return "hostname" in addr ? addr.hostname : "-";
}

/** Passes a body through, reporting each chunk's size and, once, its end. */
function countedBody(
  body: ReadableStream<Uint8Array>,
  onChunk: (bytes: number) => void,
  onEnd: (error?: unknown) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await reader.read();
        if (done) {
          controller.close();
          onEnd();
          return;
        }
        onChunk(value.byteLength);
        controller.enqueue(value);
      } catch (err) {
        controller.error(err);
        onEnd(err);
      }
    },
    async cancel(reason) {
      onEnd();
      await reader.cancel(reason);
    },
  });
}

/**
 * Wraps a `Deno.serve` handler so that each request gets one access-log line
 * (written when the response body has been sent, cancelled or failed, or
 * when `info.completed` settles, with the bytes actually sent and the total
 * duration), and so that a throwing
 * handler answers `500 Internal Server Error` instead of dropping the
 * connection. Responses without a body and `101 Switching Protocols` (a
 * WebSocket upgrade) pass through untouched and are logged at once.
 *
 * @param handler The handler.
 * @param options Where lines and errors go.
 * @returns The wrapped handler.
 *
 * @example Usage
 * ```ts ignore
 * import { withAccessLog } from "./_access_log.ts";
 *
 * Deno.serve(withAccessLog(() => new Response("hi"), { log: console.log }));
 * ```
 */
export function withAccessLog(
  handler: ServeHandler,
  options: AccessLogOptions = {},
): (req: Request, info: Deno.ServeHandlerInfo) => Promise<Response> {
  const { log, onError } = options;
  return async (req, info) => {
    const time = new Date();
    const started = performance.now();
    // Read now: Deno refuses `remoteAddr` once the request has closed.
    const host = remoteHost(info);
    let res: Response;
    try {
      res = await handler(req, info);
    } catch (err) {
      onError?.(err, req);
      res = new Response("Internal Server Error\n", {
        status: 500,
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    }
    if (!log) return res;
    const url = new URL(req.url);
    const write = (bytes: number) =>
      log(formatAccessLog({
        host,
        time,
        method: req.method,
        target: url.pathname + url.search,
        status: res.status,
        bytes,
        durationMs: performance.now() - started,
      }, options));
    if (res.body === null || res.status === 101 || req.method === "HEAD") {
      write(0);
      return res;
    }
    let sent = 0;
    let logged = false;
    const finish = (error?: unknown) => {
      if (logged) return;
      logged = true;
      if (error !== undefined) onError?.(error, req);
      write(sent);
    };
    const body = countedBody(res.body, (n) => sent += n, finish);
    // The server may stop pulling once Content-Length bytes are out; its
    // completion (or the client going away) ends the entry too.
    info.completed?.then(() => finish(), () => finish());
    return new Response(body, {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
  };
}

/** Where {@linkcode lineBuffer} writes: `Deno.stdout` fits. */
export interface LineSink {
  /**
   * Writes some of `p`.
   *
   * @param p The bytes.
   * @returns How many were written.
   */
  writeSync(p: Uint8Array): number;
}

/** Options for {@linkcode lineBuffer}. */
export interface LineBufferOptions {
  /**
   * Longest a line waits before it is written, in milliseconds.
   *
   * @default {20}
   */
  delayMs?: number;
  /**
   * Buffered bytes that get written at once.
   *
   * @default {16384}
   */
  maxBytes?: number;
}

/** Log lines collected and written in batches. */
export interface LineBuffer {
  /** Adds one line (a newline is appended). */
  log(line: string): void;
  /** Writes every buffered line now. */
  flush(): void;
}

const lineEncoder = new TextEncoder();

/**
 * Collects log lines and writes them in batches, at most `delayMs` late:
 * under load one write carries hundreds of lines instead of one
 * `console.log` per request. Call `flush()` before exiting. Lines that cannot
 * be written (a closed pipe) are dropped.
 *
 * @param sink Where the lines go.
 * @param options How long and how much to buffer.
 * @returns The buffer.
 *
 * @example Usage
 * ```ts
 * import { lineBuffer } from "./_access_log.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const written: string[] = [];
 * const sink = {
 *   writeSync(p: Uint8Array): number {
 *     written.push(new TextDecoder().decode(p));
 *     return p.length;
 *   },
 * };
 * const logs = lineBuffer(sink);
 * logs.log("one");
 * logs.log("two");
 * assertEquals(written, []);
 * logs.flush();
 * assertEquals(written, ["one\ntwo\n"]);
 * ```
 */
export function lineBuffer(
  sink: LineSink,
  options: LineBufferOptions = {},
): LineBuffer {
  const delay = options.delayMs ?? 20;
  const maxBytes = options.maxBytes ?? 16 * 1024;
  let pending = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (!pending) return;
    const bytes = lineEncoder.encode(pending);
    pending = "";
    try {
      let off = 0;
      while (off < bytes.length) off += sink.writeSync(bytes.subarray(off));
    } catch {
      // Nowhere to write to any more.
    }
  };
  return {
    log(line: string): void {
      pending += line + "\n";
      if (pending.length >= maxBytes) flush();
      else timer ??= setTimeout(flush, delay);
    },
    flush,
  };
}
