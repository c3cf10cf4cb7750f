/**
 * Access-log lines in Common Log Format, as the seed's servers print them
 * (`localhost - - [13/Jan/1999:22:08:31 +0000] "GET /pics/x.gif HTTP/1.1" 200 -`),
 * with the request's duration appended. Fields that come from the client are
 * escaped so that a hostile request cannot forge extra log lines.
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

/**
 * Formats a date as CLF does: `10/Oct/2000:13:55:36 +0000` (UTC).
 *
 * @param date The time.
 * @returns The formatted time, without brackets.
 *
 * @example Usage
 * ```ts
 * import { formatClfTime } from "./_access_log.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(formatClfTime(new Date(Date.UTC(1999, 0, 13, 22, 8, 31))), "13/Jan/1999:22:08:31 +0000");
 * ```
 */
export function formatClfTime(date: Date): string {
  return `${pad(date.getUTCDate())}/${
    MONTHS[date.getUTCMonth()]
  }/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${
    pad(date.getUTCMinutes())
  }:${pad(date.getUTCSeconds())} +0000`;
}

/**
 * Builds one access-log line.
 *
 * @param entry The request.
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
 * });
 * assertEquals(line, '127.0.0.1 - - [13/Jan/1999:22:08:31 +0000] "GET /pics/x.gif HTTP/1.1" 200 - 1.5ms');
 * ```
 */
export function formatAccessLog(entry: AccessLogEntry): string {
  const user = entry.user ? escapeLogField(entry.user) : "-";
  const request = `${escapeLogField(entry.method)} ${
    escapeLogField(entry.target)
  } ${escapeLogField(entry.protocol ?? "HTTP/1.1")}`;
  const bytes = entry.bytes ? String(entry.bytes) : "-";
  const duration = entry.durationMs === undefined
    ? ""
    : ` ${entry.durationMs.toFixed(1)}ms`;
  return `${escapeLogField(entry.host)} - ${user} [${
    formatClfTime(entry.time)
  }] "${request}" ${entry.status} ${bytes}${duration}`;
}
