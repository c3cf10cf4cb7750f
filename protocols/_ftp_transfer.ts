/**
 * One FTP transfer after its preliminary (1xx) reply: it completes only when
 * both the data connection has ended and the final reply (226 or 250) has
 * arrived, in either order. While data flows the control connection is idle,
 * so its read timeout is suspended and re-armed once the data side is done;
 * optional NOOP keep-alives are sent meanwhile and their replies skipped.
 *
 * Also builds the download stream (a byte stream, so a BYOB reader gets the
 * data read straight into its own buffer) and writes upload bodies.
 *
 * @module
 */

import type { DataConnection } from "./_ftp_data.ts";
import { ftpReplyError, FtpSessionReuseError } from "./_ftp_errors.ts";
import { ConnectionClosedError, TimeoutError } from "./errors.ts";
import { startInterval, startTimer } from "./_timer.ts";
import type { Reply } from "./reply.ts";
import type { TextProtoConn } from "./text_proto.ts";
import { writeAll } from "./write_all.ts";

/** Progress of one transfer, given to `onProgress` callbacks. */
export interface FtpProgress {
  /** Bytes moved by this transfer so far. */
  transferred: number;
  /** The file offset the transfer started at (REST), `0` for a whole file. */
  offset: number;
  /** The size of the whole file, when known (SIZE, the 150 reply, or the upload body). */
  total: number | undefined;
}

/** Settings of a {@linkcode Transfer}. */
export interface TransferOptions {
  /** The command verb, for errors (`"RETR"`). */
  verb: string;
  /** Control timeout in ms, re-armed once the data side is done. */
  timeout: number;
  /** Milliseconds between NOOP keep-alives while data flows, `0` for none. */
  keepAliveInterval: number;
  /** Whether the data connection uses TLS (for session-reuse detection). */
  tls: boolean;
}

/** A running transfer. */
export class Transfer {
  #control: TextProtoConn;
  #data: DataConnection;
  #options: TransferOptions;
  #final: Promise<Reply>;
  #savedTimeout: number;
  #noopsSent = 0;
  #noopsAnswered = 0;
  #stopKeepAlive: (() => void) | undefined;
  #done = false;
  #ending: Promise<Reply> | undefined;
  #received = 0;
  #abandoned: Error | undefined;

  /**
   * Starts watching for the final reply.
   *
   * @param control The control connection.
   * @param data The open data connection.
   * @param first The reply to the transfer command (1xx, or already final).
   * @param options Verb, timeouts and keep-alive.
   */
  constructor(
    control: TextProtoConn,
    data: DataConnection,
    first: Reply,
    options: TransferOptions,
  ) {
    this.#control = control;
    this.#data = data;
    this.#options = options;
    this.#savedTimeout = control.timeout;
    if (first.code < 200) {
      control.timeout = 0;
      this.#final = this.#readFinal();
      if (options.keepAliveInterval > 0) {
        this.#stopKeepAlive = startInterval(options.keepAliveInterval, () => {
          this.#noopsSent++;
          control.writeCommand("NOOP").catch(() => {});
        });
      }
    } else {
      this.#final = Promise.resolve(first);
    }
    // A control connection that fails (abort, protocol error) ends the data
    // side too; one the server closed leaves the data side to finish, so the
    // bytes already sent still arrive (and a resume can start after them).
    this.#final.catch((err: Error) => {
      if (!(err instanceof ConnectionClosedError)) data.close(err);
    });
  }

  /**
   * The data connection.
   *
   * @returns The connection.
   */
  get data(): DataConnection {
    return this.#data;
  }

  /**
   * True once the final reply has been consumed.
   *
   * @returns Whether the transfer is over.
   */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Counts bytes moved, for session-reuse detection.
   *
   * @param n Bytes.
   */
  count(n: number): void {
    this.#received += n;
  }

  /**
   * Ends a transfer whose data side completed: closes the data connection and
   * waits for the final reply.
   *
   * @returns The final reply.
   * @throws {FtpReplyError} When the final reply is not 2xx.
   */
  async finish(): Promise<Reply> {
    this.#data.close();
    const reply = await this.#end();
    if (reply.code >= 300) throw this.#error(reply);
    return reply;
  }

  /**
   * Ends a transfer whose data side failed: closes the data connection, waits
   * for the final reply and throws the most telling error: the server's
   * 4xx/5xx when there is one, else `err`.
   *
   * @param err What went wrong on the data side.
   * @returns Never.
   */
  async fail(err: unknown): Promise<never> {
    this.#data.close();
    if (this.#abandoned) {
      await this.#end().catch(() => {});
      throw this.#abandoned;
    }
    let reply: Reply;
    try {
      reply = await this.#end();
    } catch {
      throw err;
    }
    if (reply.code >= 300) throw this.#error(reply, err);
    if (err instanceof TimeoutError || err instanceof ConnectionClosedError) {
      throw err;
    }
    throw new ConnectionClosedError(
      `Data connection failed although the server replied ${reply.code}`,
      { cause: err },
    );
  }

  /**
   * Abandons the transfer: closes the data connection and waits for the final
   * reply (426 or 226). Never throws; a control connection that stays silent
   * is closed.
   *
   * @param reason Why, given to pending and later data reads.
   */
  async abort(reason?: Error): Promise<void> {
    this.#abandoned ??= reason;
    this.#data.close(reason);
    try {
      await this.#end();
    } catch {
      // The control connection has been marked failed.
    }
  }

  #end(): Promise<Reply> {
    this.#ending ??= this.#awaitFinal();
    return this.#ending;
  }

  async #readFinal(): Promise<Reply> {
    while (true) {
      const reply = await this.#control.readReply();
      if (reply.code < 200) continue;
      if (reply.code === 200 && this.#noopsAnswered < this.#noopsSent) {
        this.#noopsAnswered++;
        continue;
      }
      return reply;
    }
  }

  async #awaitFinal(): Promise<Reply> {
    this.#stopKeepAlive?.();
    this.#stopKeepAlive = undefined;
    const ms = this.#savedTimeout;
    const cancelTimer = ms > 0
      ? startTimer(ms, () => {
        this.#control.fail(
          new TimeoutError("read the reply that ends the transfer", ms),
        );
      })
      : undefined;
    try {
      const reply = await this.#final;
      this.#control.timeout = ms;
      while (this.#noopsAnswered < this.#noopsSent) {
        await this.#control.readReply();
        this.#noopsAnswered++;
      }
      return reply;
    } finally {
      cancelTimer?.();
      if (this.#control.isOpen) this.#control.timeout = ms;
      this.#done = true;
    }
  }

  #error(reply: Reply, cause?: unknown): Error {
    const verb = this.#options.verb;
    const failedEarly = this.#options.tls && this.#received === 0;
    if (failedEarly && cause !== undefined && reply.code >= 400) {
      return new FtpSessionReuseError(reply, verb);
    }
    const err = ftpReplyError(reply, verb);
    if (cause !== undefined) {
      Object.defineProperty(err, "cause", { value: cause, configurable: true });
    }
    return err;
  }
}

/** Options for {@linkcode downloadStream}. */
export interface DownloadStreamOptions {
  /** Bytes per read for default readers (BYOB readers bring their own buffer). */
  chunkSize: number;
  /** The REST offset. */
  offset: number;
  /** The whole file's size, when known. */
  total: number | undefined;
  /** Progress callback. */
  onProgress: ((progress: FtpProgress) => void) | undefined;
  /** Aborts the transfer. */
  signal: AbortSignal | undefined;
}

/**
 * Builds the readable side of a download. The stream closes only after the
 * data connection ended and the 2xx final reply arrived; a 4xx/5xx, a
 * timeout or a reset errors it. Cancelling it abandons the transfer.
 *
 * @param transfer The transfer.
 * @param options Chunk size, progress and abort signal.
 * @returns A byte stream (BYOB readers supported).
 */
export function downloadStream(
  transfer: Transfer,
  options: DownloadStreamOptions,
): ReadableStream<Uint8Array> {
  let transferred = 0;
  const { signal, onProgress } = options;
  let onAbort: (() => void) | undefined;
  const cleanup = () => {
    if (onAbort) signal?.removeEventListener("abort", onAbort);
    onAbort = undefined;
  };
  return new ReadableStream({
    type: "bytes",
    autoAllocateChunkSize: options.chunkSize,
    start(controller) {
      if (!signal) return;
      onAbort = () => {
        cleanup();
        controller.error(signal.reason);
        transfer.abort();
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    },
    async pull(controller) {
      const request = controller.byobRequest!;
      const view = request.view!;
      const target = new Uint8Array(
        view.buffer,
        view.byteOffset,
        view.byteLength,
      );
      let n: number | null;
      try {
        n = await transfer.data.read(target);
      } catch (err) {
        cleanup();
        await transfer.fail(err).catch((e) => controller.error(e));
        return;
      }
      if (n === null) {
        try {
          await transfer.finish();
        } catch (err) {
          cleanup();
          controller.error(err);
          return;
        }
        cleanup();
        controller.close();
        request.respond(0);
        return;
      }
      transferred += n;
      transfer.count(n);
      request.respond(n);
      onProgress?.({
        transferred,
        offset: options.offset,
        total: options.total,
      });
    },
    async cancel() {
      cleanup();
      await transfer.abort();
    },
  });
}

/** Options for {@linkcode uploadBody}. */
export interface UploadBodyOptions {
  /** The REST offset or the current size when appending. */
  offset: number;
  /** The whole file's size, when known. */
  total: number | undefined;
  /** Progress callback. */
  onProgress: ((progress: FtpProgress) => void) | undefined;
  /** Aborts the transfer. */
  signal: AbortSignal | undefined;
}

const encoder = new TextEncoder();

/**
 * Writes an upload body to the data connection, closes it to signal the end,
 * and waits for the final reply.
 *
 * @param transfer The transfer.
 * @param body The bytes to send.
 * @param options Progress and abort signal.
 * @returns Bytes sent.
 */
export async function uploadBody(
  transfer: Transfer,
  body: ReadableStream<Uint8Array> | Uint8Array | string,
  options: UploadBodyOptions,
): Promise<number> {
  const { signal, onProgress } = options;
  let transferred = 0;
  const onAbort = () => transfer.data.close(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  let dataFailed = false;
  const send = async (chunk: Uint8Array) => {
    if (chunk.byteLength === 0) return;
    try {
      await transfer.data.writeAll(chunk);
    } catch (err) {
      dataFailed = true;
      throw err;
    }
    transferred += chunk.byteLength;
    transfer.count(chunk.byteLength);
    onProgress?.({ transferred, offset: options.offset, total: options.total });
  };
  try {
    signal?.throwIfAborted();
    if (body instanceof ReadableStream) {
      for await (const chunk of body) await send(chunk);
    } else {
      const bytes = typeof body === "string" ? encoder.encode(body) : body;
      const step = 1 << 20;
      for (let off = 0; off < bytes.byteLength; off += step) {
        await send(bytes.subarray(off, off + step));
      }
    }
    const conn = transfer.data.conn;
    if ("handshake" in conn) {
      try {
        await transfer.data.guard(
          "close the TLS data connection",
          () => conn.closeWrite(),
        );
      } catch (err) {
        dataFailed = true;
        throw err;
      }
    }
  } catch (err) {
    signal?.removeEventListener("abort", onAbort);
    if (signal?.aborted) {
      await transfer.abort();
      throw signal.reason;
    }
    if (dataFailed) await transfer.fail(err);
    // The body failed: end the transfer (the server may keep what it got,
    // which a later upload can resume) and report the body's error.
    await transfer.abort();
    throw err;
  }
  signal?.removeEventListener("abort", onAbort);
  await transfer.finish();
  return transferred;
}

/** Something with a `write` like `Deno.FsFile`. */
export interface TransferWriter {
  /**
   * Writes some of `p`.
   *
   * @param p The bytes.
   * @returns How many were written.
   */
  write(p: Uint8Array): Promise<number>;
}

/**
 * Copies a download straight from the data connection into a writer, with no
 * stream in between, then waits for the final reply. The buffer is used as
 * two halves: while one half is being written (an `FsFile` write is a
 * round trip to a worker thread), the next read fills the other, so the
 * disk and the network overlap. Writes stay in order, one at a time.
 *
 * @param transfer The transfer.
 * @param writer Where the bytes go.
 * @param buffer The buffer to read into (split in two halves).
 * @param options Progress, size and abort signal.
 * @returns Bytes transferred.
 */
export async function downloadToWriter(
  transfer: Transfer,
  writer: TransferWriter,
  buffer: Uint8Array,
  options: DownloadStreamOptions,
): Promise<number> {
  const { signal, onProgress } = options;
  const half = buffer.length >> 1;
  // A buffer too small to halve is used whole, each write awaited first.
  const halves = half > 0
    ? [buffer.subarray(0, half), buffer.subarray(half)]
    : [buffer, buffer];
  let transferred = 0;
  let writing: Promise<void> = Promise.resolve();
  let failed: { error: unknown } | undefined;
  const onAbort = () => transfer.data.close(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    signal?.throwIfAborted();
    for (let turn = 0;; turn ^= 1) {
      const target = halves[turn]!;
      if (target === halves[turn ^ 1]) await writing;
      let n: number | null;
      try {
        n = await transfer.data.read(target);
      } catch (err) {
        await writing;
        if (signal?.aborted) throw err;
        if (failed) throw failed.error;
        return await transfer.fail(err);
      }
      await writing;
      if (failed) throw failed.error;
      if (n === null) break;
      transfer.count(n);
      transferred += n;
      onProgress?.({
        transferred,
        offset: options.offset,
        total: options.total,
      });
      writing = writeAll(writer, target.subarray(0, n)).catch((error) => {
        failed = { error };
      });
    }
  } catch (err) {
    await writing;
    await transfer.abort();
    throw signal?.aborted ? signal.reason : err;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  await transfer.finish();
  return transferred;
}
