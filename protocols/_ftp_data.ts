/**
 * FTP data connections: a connection with an idle timeout (a watchdog timer
 * that is re-armed lazily, so a fast transfer costs about one timer per
 * timeout period instead of one per read), and the helpers that open one in
 * passive or active mode, with or without TLS.
 *
 * @module
 */

import { closeQuietly } from "./_close.ts";
import { ConnectError, ConnectionClosedError, TimeoutError } from "./errors.ts";
import { OperationDeadline, startTimer } from "./_timer.ts";

/** How a data connection gets its TLS layer. */
export interface DataTlsOptions {
  /** Host name the server certificate must match (the control connection's). */
  hostname: string;
  /** Extra CA certificates (PEM). */
  caCerts?: string[];
}

/**
 * One data connection. Reads and writes fail with {@linkcode TimeoutError}
 * when the peer stays silent for `timeout` ms, and with
 * {@linkcode ConnectionClosedError} when it was closed locally.
 */
export class DataConnection {
  #conn: Deno.Conn;
  #timeout: number;
  #deadline = new OperationDeadline((operation, ms) => {
    this.#timedOut = new TimeoutError(operation, ms);
    this.close(this.#timedOut);
  });
  #closed = false;
  #timedOut: TimeoutError | undefined;
  #closeReason: Error | undefined;

  /**
   * Wraps a connected socket.
   *
   * @param conn The data socket (TCP or TLS).
   * @param timeout Idle timeout in ms, `0` for none.
   */
  constructor(conn: Deno.Conn, timeout: number) {
    this.#conn = conn;
    this.#timeout = timeout;
  }

  /**
   * The socket.
   *
   * @returns The connection.
   */
  get conn(): Deno.Conn {
    return this.#conn;
  }

  /**
   * True once closed (locally or by a timeout).
   *
   * @returns Whether the connection is closed.
   */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Replaces the socket, after a TLS upgrade.
   *
   * @param conn The new socket.
   */
  setConn(conn: Deno.Conn): void {
    this.#conn = conn;
  }

  /**
   * Reads into `p`.
   *
   * @param p The destination.
   * @returns Bytes read, or `null` at end of stream.
   */
  read(p: Uint8Array): Promise<number | null> {
    return this.#guard(
      "read from the data connection",
      () => this.#conn.read(p),
    );
  }

  /**
   * Writes every byte of `bytes`.
   *
   * @param bytes The data.
   */
  async writeAll(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) {
      off += await this.#guard(
        "write to the data connection",
        () => this.#conn.write(bytes.subarray(off)),
      );
    }
  }

  /**
   * Runs `fn` (a TLS handshake, say) under the idle timeout.
   *
   * @param operation What is being waited for, for the error message.
   * @param fn The work.
   * @returns Its result.
   */
  guard<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return this.#guard(operation, fn);
  }

  /**
   * Closes the connection; pending reads and writes fail with `reason` when
   * given. Safe to call more than once.
   *
   * @param reason Why it was closed.
   */
  close(reason?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeReason = reason;
    this.#deadline.end();
    this.#deadline.stop();
    closeQuietly(this.#conn);
  }

  async #guard<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw this.#closedError();
    this.#deadline.begin(operation, this.#timeout);
    try {
      return await fn();
    } catch (err) {
      if (this.#closed) throw this.#closedError(err);
      throw err;
    } finally {
      this.#deadline.end();
    }
  }

  #closedError(cause?: unknown): Error {
    if (this.#timedOut) return this.#timedOut;
    if (this.#closeReason) return this.#closeReason;
    return new ConnectionClosedError("Data connection was closed locally", {
      cause,
    });
  }
}

/**
 * Connects to a passive-mode data port, always on the control connection's
 * peer address, within `timeout` ms.
 *
 * @param hostname The control connection's peer address.
 * @param port The port from the EPSV or PASV reply.
 * @param timeout Milliseconds allowed, `0` for none.
 * @param signal Aborts the attempt.
 * @returns The socket.
 */
export async function connectData(
  hostname: string,
  port: number,
  timeout: number,
  signal?: AbortSignal,
): Promise<Deno.TcpConn> {
  const controller = new AbortController();
  let timedOut = false;
  const cancelTimer = timeout > 0
    ? startTimer(timeout, () => {
      timedOut = true;
      controller.abort();
    })
    : undefined;
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const conn = await Deno.connect({
      hostname,
      port,
      signal: controller.signal,
    });
    return conn;
  } catch (err) {
    if (timedOut) {
      throw new TimeoutError(
        `open the data connection to port ${port}`,
        timeout,
      );
    }
    if (signal?.aborted) throw signal.reason;
    throw new ConnectError(hostname, port, { cause: err });
  } finally {
    cancelTimer?.();
    signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * Starts TLS on a data socket as the client (RFC 4217 makes the FTP client
 * the TLS client in both passive and active mode). The handshake completes on
 * the first read or write, or with `handshake()`.
 *
 * @param conn The TCP socket.
 * @param tls Host name to verify and CA certificates.
 * @returns The TLS connection.
 */
export function startDataTls(
  conn: Deno.TcpConn,
  tls: DataTlsOptions,
): Promise<Deno.TlsConn> {
  return Deno.startTls(conn, {
    hostname: tls.hostname,
    ...(tls.caCerts ? { caCerts: tls.caCerts } : {}),
  });
}

/** A listener for one active-mode data connection. */
export class ActiveListener {
  #listener: Deno.TcpListener;
  #closed = false;

  /**
   * Listens on `hostname` (the control connection's local address), port 0.
   *
   * @param hostname The local address.
   */
  constructor(hostname: string) {
    this.#listener = Deno.listen({ hostname, port: 0 });
  }

  /**
   * The address the server must connect to.
   *
   * @returns The listening address.
   */
  get addr(): Deno.NetAddr {
    return this.#listener.addr;
  }

  /**
   * Accepts the server's connection within `timeout` ms. Connections from any
   * address other than `peer` (the control connection's peer) are closed and
   * ignored.
   *
   * @param peer The address the server connects from.
   * @param timeout Milliseconds allowed, `0` for none.
   * @returns The socket.
   */
  async accept(peer: string, timeout: number): Promise<Deno.TcpConn> {
    let timedOut = false;
    const cancelTimer = timeout > 0
      ? startTimer(timeout, () => {
        timedOut = true;
        this.close();
      })
      : undefined;
    try {
      while (true) {
        let conn: Deno.TcpConn;
        try {
          conn = await this.#listener.accept();
        } catch (err) {
          if (timedOut) {
            throw new TimeoutError("accept the data connection", timeout);
          }
          throw new ConnectionClosedError(
            "Active-mode listener closed before the server connected",
            { cause: err },
          );
        }
        if (sameAddress(conn.remoteAddr.hostname, peer)) {
          conn.setNoDelay(false);
          return conn;
        }
        conn.close();
      }
    } finally {
      cancelTimer?.();
      this.close();
    }
  }

  /** Stops listening. Safe to call more than once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeQuietly(this.#listener);
  }
}

function sameAddress(a: string, b: string): boolean {
  const strip = (s: string) => s.replace(/^::ffff:/i, "").toLowerCase();
  return strip(a) === strip(b);
}
