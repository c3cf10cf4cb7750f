/**
 * Opening TCP and TLS connections with a timeout and an `AbortSignal`.
 *
 * @module
 */

import { closeQuietly } from "./_close.ts";
import { ConnectError, TimeoutError } from "./errors.ts";
import { startTimer } from "./_timer.ts";

/** Options for {@linkcode dial}. */
export interface DialOptions {
  /** Host name or IP address. */
  hostname: string;
  /** TCP port. */
  port: number;
  /**
   * Connect with TLS from the first byte (HTTPS, FTPS implicit, NNTPS).
   *
   * @default {false}
   */
  tls?: boolean;
  /** Extra CA certificates (PEM) trusted for TLS. */
  caCerts?: string[];
  /** Host name checked against the certificate when it differs from `hostname`. */
  serverName?: string;
  /** ALPN protocols to offer over TLS. */
  alpnProtocols?: string[];
  /**
   * Milliseconds allowed for connecting (and the TLS handshake). `0` disables it.
   *
   * @default {30000}
   */
  timeout?: number;
  /** Aborts the attempt. */
  signal?: AbortSignal;
}

/**
 * Opens a TCP connection, or a TLS one when `tls` is set, within a timeout.
 * Disables Nagle's algorithm: the protocols here write whole commands.
 *
 * @param options Where to connect and how.
 * @returns The connection, with the TLS handshake completed.
 * @throws {ConnectError} When the connection or the handshake fails.
 * @throws {TimeoutError} When it takes longer than `timeout`.
 *
 * @example Usage
 * ```ts ignore
 * import { dial } from "./dial.ts";
 *
 * const conn = await dial({ hostname: "127.0.0.1", port: 21, timeout: 5000 });
 * conn.close();
 * ```
 */
export async function dial(
  options: DialOptions,
): Promise<Deno.TcpConn | Deno.TlsConn> {
  const { hostname, port } = options;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`Invalid port: ${port}`);
  }
  const ms = options.timeout ?? 30_000;
  const controller = new AbortController();
  let timedOut = false;
  const cancelTimer = ms > 0
    ? startTimer(ms, () => {
      timedOut = true;
      controller.abort();
    })
    : undefined;
  const outer = options.signal;
  const onAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) onAbort();
  outer?.addEventListener("abort", onAbort, { once: true });
  let conn: Deno.TcpConn | Deno.TlsConn | undefined;
  try {
    const tcp = await Deno.connect({
      hostname,
      port,
      signal: controller.signal,
    });
    conn = tcp;
    tcp.setNoDelay(true);
    if (options.tls) {
      const tls = await Deno.startTls(tcp, {
        hostname: options.serverName ?? hostname,
        ...(options.caCerts ? { caCerts: options.caCerts } : {}),
        ...(options.alpnProtocols
          ? { alpnProtocols: options.alpnProtocols }
          : {}),
      });
      conn = tls;
      const handshake = tls.handshake();
      const aborted = new Promise<never>((_, reject) => {
        if (controller.signal.aborted) reject(controller.signal.reason);
        controller.signal.addEventListener(
          "abort",
          () => reject(controller.signal.reason),
          { once: true },
        );
      });
      await Promise.race([handshake, aborted]);
    }
    return conn;
  } catch (err) {
    closeQuietly(conn);
    if (timedOut) {
      throw new TimeoutError(`connect to "${hostname}:${port}"`, ms);
    }
    if (outer?.aborted) throw outer.reason;
    throw new ConnectError(hostname, port, { cause: err });
  } finally {
    cancelTimer?.();
    outer?.removeEventListener("abort", onAbort);
  }
}
