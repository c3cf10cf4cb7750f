/**
 * Connecting for `NntpClient`: {@linkcode dial} with the connect timeout
 * armed only once the connection attempt is under way.
 *
 * The first timer of a Deno process loads part of the runtime (the Node
 * compatibility timers, about 5 to 10 ms). Armed before `Deno.connect`, as
 * `dial` does, that time is spent before anything is sent; armed right
 * after, it overlaps the TCP handshake and the server's greeting (INN forks
 * a reader process per connection, about 7 ms).
 *
 * @module
 */

import { dial, type DialOptions } from "./dial.ts";
import { TimeoutError } from "./errors.ts";
import { startTimer } from "./_timer.ts";

/**
 * Dials like {@linkcode dial}, failing with the same `TimeoutError` when
 * `timeout` passes first.
 *
 * @param options Where and how to connect; `timeout` defaults to 30,000 ms.
 * @returns The connection.
 * @throws {TimeoutError} When the connection (and TLS handshake) took longer than `timeout`.
 * @throws {ConnectError} When the server cannot be reached.
 *
 * @example Usage
 * ```ts ignore
 * import { dialServer } from "./_nntp_dial.ts";
 *
 * const conn = await dialServer({ hostname: "127.0.0.1", port: 119, timeout: 5000 });
 * conn.close();
 * ```
 */
export async function dialServer(
  options: DialOptions,
): Promise<Deno.TcpConn | Deno.TlsConn> {
  const { hostname, port } = options;
  const ms = options.timeout ?? 30_000;
  const deadline = new AbortController();
  const signal = options.signal
    ? AbortSignal.any([options.signal, deadline.signal])
    : deadline.signal;
  const connecting = dial({ ...options, timeout: 0, signal });
  const cancelTimer = ms > 0
    ? startTimer(ms, () => {
      deadline.abort(new TimeoutError(`connect to "${hostname}:${port}"`, ms));
    })
    : undefined;
  try {
    return await connecting;
  } finally {
    cancelTimer?.();
  }
}
