/**
 * One server connection: reads request heads, runs the handler, writes each
 * response with the framing the server chose, and keeps the connection for
 * the next request while both sides allow it. Requests are answered in
 * order, one at a time (pipelined ones wait in the buffer). Every read and
 * write has a deadline that the server's sweeper enforces by closing the
 * socket, so no peer can hold a connection by going silent.
 *
 * @module
 */

import { closeQuietly } from "./_close.ts";
import { BufferedReader } from "./buffered_reader.ts";
import { BodyReader } from "./_http_body.ts";
import {
  HttpRequestError,
  parseRequestHead,
  type RequestHead,
  type RequestHeadLimits,
  scanRequestHead,
} from "./_http_request_head.ts";
import { ServerRequest } from "./_http_server_request.ts";
import {
  type BodySource,
  isBodySource,
  planResponse,
  type ResponsePlan,
  type ServerResponse,
} from "./_http_server_response.ts";
import { ConnectionClosedError, isPeerGone, TimeoutError } from "./errors.ts";
import { writeByteString } from "./_byte_string.ts";
import { writeAll } from "./write_all.ts";
import { reasonPhrase } from "./http_status.ts";
import type { BufferPool } from "./_buffer_pool.ts";

/** One request as the server logs it (the fields of a Common Log Format line). */
export interface ServerLogEntry {
  /** The client's address. */
  host: string;
  /** When the request arrived. */
  time: Date;
  /** The method (`-` for a request that could not be parsed). */
  method: string;
  /** The request target (`-` for a request that could not be parsed). */
  target: string;
  /** The protocol version of the request. */
  protocol: string;
  /** The status sent. */
  status: number;
  /** Body bytes sent. */
  bytes: number;
  /** Milliseconds from the complete request head to the end of the response. */
  durationMs: number;
}

/** What a connection needs from its server. */
export interface ServerContext {
  /** Answers one request. */
  handler: (req: ServerRequest) => ServerResponse | Promise<ServerResponse>;
  /** Head limits. */
  limits: RequestHeadLimits;
  /** Milliseconds for a complete head once its first byte arrived. */
  headersTimeout: number;
  /** Milliseconds an idle keep-alive connection waits for the next request. */
  keepAliveTimeout: number;
  /** Milliseconds the client may be silent while a body is read. */
  bodyTimeout: number;
  /** Milliseconds one write may take. */
  sendTimeout: number;
  /** The sweeper's count of ticks, and milliseconds per tick. */
  clock: { tick: number; ms: number };
  /** True once the server stops taking new requests. */
  readonly stopping: boolean;
  /** Receives one entry per response, if set. */
  log: ((entry: ServerLogEntry) => void) | undefined;
  /** Receives handler errors. */
  onError: (error: unknown) => void;
  /** Called once the connection is done with (closed or upgraded). */
  forget(conn: ServerConn): void;
  /**
   * Big buffers lent to a connection while it writes: `out` for a head with
   * an inline body, `pump` for pieces of a streamed body.
   */
  buffers: { out: BufferPool; pump: BufferPool };
}

/** Request body left unread that is read and dropped to keep the connection. */
const DRAIN_MAX = 256 * 1024;
/** The longest a refused client is read from before its socket closes. */
const LINGER_MS = 2000;
/** Pieces a stream or source body is pumped in. */
const PUMP_SIZE = 256 * 1024;
/** Bodies up to this size go out in the same write as the head. */
const INLINE_BODY = 64 * 1024;
/** Room before pump data for a chunk-size line. */
const CHUNK_ROOM = 16;
/** The largest output buffer a connection keeps between responses. */
const KEPT_OUT = 16 * 1024;
/** The size of the pooled output buffers: an inline body and its head. */
export const OUT_BUFFER = INLINE_BODY + 16 * 1024;
/** The size of the pooled pump buffers. */
export const PUMP_BUFFER = CHUNK_ROOM + PUMP_SIZE + 2;
const CONTINUE = new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n");
const LAST_CHUNK = new TextEncoder().encode("0\r\n\r\n");
const CRLF = new TextEncoder().encode("\r\n");
const encoder = new TextEncoder();

/** A server connection. */
export class ServerConn {
  /** The socket. */
  readonly conn: Deno.Conn;
  /** The client's address. */
  readonly remoteAddr: Deno.NetAddr;
  /** Tick when the pending operation started, and its limit (0: none). */
  opStart = 0;
  /** The pending operation's limit in milliseconds (0: none). */
  opLimit = 0;
  /** Between requests, with nothing buffered: safe to close at shutdown. */
  idle = false;
  #ctx: ServerContext;
  #reader: BufferedReader;
  #readLimit = 0;
  #expired = false;
  #closed = false;
  #continue: "no" | "pending" | "sent" = "no";
  /** The output buffer kept (up to 16 KiB), made on the first response. */
  #out = new Uint8Array(0);
  /** A pooled buffer lent for the write in progress. */
  #lent: Uint8Array | undefined;

  /**
   * Wraps an accepted connection.
   *
   * @param conn The socket.
   * @param ctx The server.
   */
  constructor(conn: Deno.Conn, ctx: ServerContext) {
    this.conn = conn;
    this.remoteAddr = conn.remoteAddr as Deno.NetAddr;
    this.#ctx = ctx;
    this.#reader = new BufferedReader(this, {
      bufferSize: 8 * 1024,
      maxLineBytes: ctx.limits.maxHeaderBytes + 8 * 1024,
    });
  }

  /**
   * Reads from the socket, with the body deadline while a handler reads.
   *
   * @param p Where the bytes go.
   * @returns Bytes read, or `null` at end of stream.
   */
  read(p: Uint8Array): Promise<number | null> {
    const limit = this.#readLimit;
    if (limit) this.#arm(limit);
    // Not an async function: one promise per read instead of three.
    return this.conn.read(p).then(
      limit ? this.#readDone : undefined,
      this.#readFailed,
    );
  }

  #readDone = (n: number | null): number | null => {
    this.opLimit = 0;
    return n;
  };

  #readFailed = (err: unknown): never => {
    const error = this.#translate(err, "read from the client");
    if (this.#readLimit) this.opLimit = 0;
    throw error;
  };

  /** Closes the socket because its deadline passed (the sweeper calls this). */
  expire(): void {
    this.#expired = true;
    this.close();
  }

  /** Closes the socket. Safe to call more than once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeQuietly(this.conn);
  }

  /**
   * Sends `100 Continue` before the first body read, when the client asked.
   */
  async continueOnce(): Promise<void> {
    if (this.#continue !== "pending") return;
    this.#continue = "sent";
    await this.#write(CONTINUE);
  }

  /** Serves requests until the connection closes. */
  async run(): Promise<void> {
    try {
      while (!this.#closed) {
        const head = await this.#nextHead();
        if (head === null) break;
        if (!await this.#serve(head)) break;
      }
    } catch (err) {
      if (!this.#quiet(err)) this.#ctx.onError(err);
    } finally {
      this.close();
      this.#ctx.forget(this);
    }
  }

  /** The next request head, or `null` when the connection should end. */
  async #nextHead(): Promise<RequestHead | null> {
    const reader = this.#reader;
    const ctx = this.#ctx;
    this.#arm(ctx.keepAliveTimeout);
    let started = false;
    let resume = 0;
    try {
      while (true) {
        let view = reader.peek();
        // RFC 9112 §2.2: empty lines before a request line are ignored
        // (a CR whose LF has not come yet waits for it).
        while (
          !started && view.length >= 2 && view[0] === 13 && view[1] === 10
        ) {
          reader.consume(2);
          view = reader.peek();
        }
        const loneCr = !started && view.length === 1 && view[0] === 13;
        if (view.length > 0 && !loneCr) {
          if (!started) {
            started = true;
            this.idle = false;
            this.#arm(ctx.headersTimeout);
          }
          const found = scanRequestHead(view, resume, ctx.limits);
          if ("end" in found) {
            const head = parseRequestHead(
              view.subarray(0, found.end),
              ctx.limits,
            );
            reader.consume(found.end);
            return head;
          }
          resume = found.resume;
        } else {
          if (ctx.stopping) return null;
          this.idle = true;
        }
        if (!await reader.fill()) return null;
      }
    } catch (err) {
      if (err instanceof HttpRequestError) {
        await this.#refuse(err);
        return null;
      }
      if (this.#quiet(err)) return null;
      throw err;
    } finally {
      this.idle = false;
      this.opLimit = 0;
    }
  }

  /** Answers an unparsable request and lets the connection end. */
  async #refuse(err: HttpRequestError): Promise<void> {
    const start = performance.now();
    const text = `${err.message}\n`;
    const body = encoder.encode(text);
    const reason = reasonPhrase(err.status);
    const head = `HTTP/1.1 ${err.status} ${reason}\r\n` +
      "Content-Type: text/plain; charset=utf-8\r\n" +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    try {
      await this.#write(this.#gather(head, body));
    } catch { /* the client is gone */ }
    this.#log(
      { method: "-", target: "-", version: "-" },
      err.status,
      body.length,
      start,
    );
    await this.#linger();
  }

  /**
   * Half-closes and reads what the client still sends, within a bound, before
   * the socket is closed: closing with unread bytes would reset the
   * connection and could destroy the error response before the client reads
   * it (what nginx calls a lingering close).
   */
  async #linger(): Promise<void> {
    try {
      await this.conn.closeWrite();
    } catch {
      return;
    }
    this.#arm(Math.min(LINGER_MS, this.#ctx.headersTimeout));
    try {
      await discard((p) => this.conn.read(p));
    } catch {
      /* reset, closed or timed out: done either way */
    } finally {
      this.opLimit = 0;
    }
  }

  /** Serves one request; true when the connection may carry another. */
  async #serve(head: RequestHead): Promise<boolean> {
    const ctx = this.#ctx;
    const start = ctx.log ? performance.now() : 0;
    const hasBody = head.chunked || (head.contentLength ?? 0) > 0;
    const body = hasBody
      ? new BodyReader(
        this.#reader,
        head.chunked
          ? { kind: "chunked" }
          : { kind: "length", length: head.contentLength! },
        true,
      )
      : null;
    this.#continue = hasBody && head.expectContinue ? "pending" : "no";
    const req = new ServerRequest(head, this, body);
    this.#readLimit = ctx.bodyTimeout;
    let res: ServerResponse;
    try {
      res = await ctx.handler(req);
    } catch (err) {
      if (this.#closed) return false;
      ctx.onError(err);
      res = internalError();
    } finally {
      this.#readLimit = 0;
    }
    let keepAlive = head.keepAlive && !ctx.stopping;
    const facts = { method: head.method, version: head.version, keepAlive };
    if (body !== null && !body.done) {
      // A failed body has no known end: the connection cannot go on.
      keepAlive = keepAlive && !body.failed &&
        this.#continue !== "pending" && await this.#drain(body);
      facts.keepAlive = keepAlive;
    }
    let plan: ResponsePlan;
    try {
      plan = planResponse(res, facts);
    } catch (err) {
      cancelBody(res);
      ctx.onError(err);
      plan = planResponse(internalError(), facts);
      res = internalError();
    }
    let sent = 0;
    let ok = false;
    try {
      sent = await this.#send(plan);
      ok = true;
    } catch (err) {
      if (plan.source) cancelSource(plan.source);
      if (err instanceof InlineBodyError && res.onBodyError) {
        res = res.onBodyError(err.cause);
        plan = planResponse(res, facts);
        try {
          sent = await this.#send(plan);
          ok = true;
        } catch { /* the client is gone */ }
      } else if (!this.#quiet(err)) {
        ctx.onError(err);
      }
    }
    this.#log(head, res.status, sent, start);
    if (ok && res.upgrade && res.status === 101) {
      this.#handOver(res.upgrade);
      return false;
    }
    return ok && plan.keepAlive;
  }

  /** Reads and drops what is left of a request body, within a bound. */
  async #drain(body: BodyReader): Promise<boolean> {
    this.#readLimit = this.#ctx.bodyTimeout;
    try {
      return await discard((p) => body.readInto(p)) || body.done;
    } catch {
      return false;
    } finally {
      this.#readLimit = 0;
    }
  }

  /** Writes the head and the body; returns the body bytes sent. */
  async #send(plan: ResponsePlan): Promise<number> {
    const bytes = plan.bytes;
    if (bytes && bytes.length <= INLINE_BODY) {
      await this.#write(this.#gather(plan.head, bytes));
      return bytes.length;
    }
    if (bytes) {
      await this.#write(this.#gather(plan.head, undefined));
      await this.#write(bytes);
      return bytes.length;
    }
    const source = plan.source;
    if (!source) {
      await this.#write(this.#gather(plan.head, undefined));
      return 0;
    }
    if (plan.framing === "none") {
      await this.#write(this.#gather(plan.head, undefined));
      cancelSource(source);
      return 0;
    }
    if (
      plan.framing === "length" && plan.length <= INLINE_BODY &&
      isBodySource(source)
    ) {
      return await this.#sendInline(plan, source);
    }
    await this.#write(this.#gather(plan.head, undefined));
    const sent = isBodySource(source)
      ? await this.#pumpSource(source, plan)
      : await this.#pumpStream(source, plan);
    if (plan.framing === "length" && sent !== plan.length) {
      throw new ConnectionClosedError(
        `Response body ended after ${sent} of ${plan.length} bytes`,
      );
    }
    if (plan.framing === "close") this.close();
    return sent;
  }

  /** Reads a small source body whole after the head, then writes both at once. */
  async #sendInline(plan: ResponsePlan, source: BodySource): Promise<number> {
    const length = plan.length;
    const out = this.#buffer(plan.head.length + length);
    const start = writeByteString(plan.head, out, 0);
    const end = start + length;
    let n = start;
    try {
      while (n < end) {
        const into = out.subarray(n, end);
        const got = source.readBuffered?.(into) ?? await source.readInto(into);
        if (got === null) {
          throw new ConnectionClosedError(
            `Response body ended after ${n - start} of ${length} bytes`,
          );
        }
        n += got;
      }
    } catch (err) {
      this.#giveBack();
      throw new InlineBodyError(err);
    }
    await this.#write(out.subarray(0, end));
    return length;
  }

  async #pumpSource(source: BodySource, plan: ResponsePlan): Promise<number> {
    const pool = this.#ctx.buffers.pump;
    const pump = pool.take();
    try {
      return await this.#pumpInto(pump, source, plan);
    } finally {
      // Every write is done: the buffer goes back for another connection.
      pool.give(pump);
    }
  }

  async #pumpInto(
    pump: Uint8Array,
    source: BodySource,
    plan: ResponsePlan,
  ): Promise<number> {
    const chunked = plan.framing === "chunked";
    let sent = 0;
    while (true) {
      let room = PUMP_SIZE;
      if (plan.framing === "length") {
        room = Math.min(room, plan.length - sent);
        if (room === 0) break;
      }
      const n = await source.readInto(
        pump.subarray(CHUNK_ROOM, CHUNK_ROOM + room),
      );
      if (n === null) break;
      if (n === 0) continue;
      sent += n;
      if (chunked) {
        const size = `${n.toString(16)}\r\n`;
        const at = CHUNK_ROOM - size.length;
        encoder.encodeInto(size, pump.subarray(at));
        pump[CHUNK_ROOM + n] = 13;
        pump[CHUNK_ROOM + n + 1] = 10;
        await this.#write(pump.subarray(at, CHUNK_ROOM + n + 2));
      } else {
        await this.#write(pump.subarray(CHUNK_ROOM, CHUNK_ROOM + n));
      }
    }
    if (chunked) await this.#write(LAST_CHUNK);
    return sent;
  }

  async #pumpStream(
    stream: ReadableStream<Uint8Array>,
    plan: ResponsePlan,
  ): Promise<number> {
    const chunked = plan.framing === "chunked";
    const reader = stream.getReader();
    let sent = 0;
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        if (value.length === 0) continue;
        let piece = value;
        if (plan.framing === "length") {
          const room = plan.length - sent;
          if (value.length > room) piece = value.subarray(0, room);
        }
        sent += piece.length;
        if (chunked && piece.length > INLINE_BODY) {
          // A big piece goes as it is, not copied into the output buffer.
          await this.#write(encoder.encode(`${piece.length.toString(16)}\r\n`));
          await this.#write(piece);
          await this.#write(CRLF);
        } else if (chunked) {
          await this.#write(
            this.#gather(`${piece.length.toString(16)}\r\n`, piece, true),
          );
        } else {
          await this.#write(piece);
        }
        if (plan.framing === "length" && sent === plan.length) break;
      }
      if (chunked) await this.#write(LAST_CHUNK);
    } catch (err) {
      reader.cancel(err).catch(() => {});
      throw err;
    } finally {
      reader.releaseLock();
    }
    return sent;
  }

  /** The head, then `body`, then (for a chunk) CRLF, in the output buffer. */
  #gather(
    head: string,
    body: Uint8Array | undefined,
    chunk = false,
  ): Uint8Array {
    const out = this.#buffer(
      head.length + (body?.length ?? 0) + (chunk ? 2 : 0),
    );
    let n = writeByteString(head, out, 0);
    if (body) {
      out.set(body, n);
      n += body.length;
    }
    if (chunk) {
      out[n++] = 13;
      out[n++] = 10;
    }
    return out.subarray(0, n);
  }

  #write(bytes: Uint8Array): Promise<void> {
    this.#arm(this.#ctx.sendTimeout);
    const lent = this.#lent;
    // Not an async function: one promise per write instead of three.
    if (lent === undefined) {
      return writeAll(this.conn, bytes).then(this.#wrote, this.#writeFailed);
    }
    // A lent buffer goes back once this very write is done with it.
    this.#lent = undefined;
    const pool = this.#ctx.buffers.out;
    return writeAll(this.conn, bytes).then(() => {
      pool.give(lent);
      this.#wrote();
    }, (err) => {
      pool.give(lent);
      return this.#writeFailed(err);
    });
  }

  #wrote = (): void => {
    this.opLimit = 0;
  };

  #writeFailed = (err: unknown): never => {
    const error = this.#translate(err, "write to the client");
    this.opLimit = 0;
    throw error;
  };

  /**
   * A buffer of at least `size` bytes for the next write: the one the
   * connection keeps (up to 16 KiB), else one lent from the server's pool
   * until that write is done, else a new one for this write only.
   */
  #buffer(size: number): Uint8Array {
    if (size <= KEPT_OUT) {
      if (this.#out.length < size) {
        this.#out = new Uint8Array(
          Math.min(KEPT_OUT, Math.max(size, this.#out.length * 2, 4096)),
        );
      }
      return this.#out;
    }
    const pool = this.#ctx.buffers.out;
    if (size > pool.size) return new Uint8Array(size);
    return this.#lent = pool.take();
  }

  #giveBack(): void {
    const lent = this.#lent;
    if (lent === undefined) return;
    this.#lent = undefined;
    this.#ctx.buffers.out.give(lent);
  }

  #handOver(
    upgrade: (conn: Deno.Conn, buffered: Uint8Array) => void | Promise<void>,
  ): void {
    const buffered = this.#reader.takeBuffered();
    // The connection is the callback's now: run() must not close it.
    this.#closed = true;
    try {
      Promise.resolve(upgrade(this.conn, buffered)).catch((err) =>
        this.#ctx.onError(err)
      );
    } catch (err) {
      this.#ctx.onError(err);
    }
  }

  #arm(limit: number): void {
    this.opStart = this.#ctx.clock.tick;
    this.opLimit = limit;
  }

  #log(
    head: Pick<RequestHead, "method" | "target" | "version">,
    status: number,
    bytes: number,
    start: number,
  ): void {
    const log = this.#ctx.log;
    if (!log) return;
    const now = performance.now();
    log({
      host: this.remoteAddr.hostname ?? "-",
      time: new Date(Date.now() - (now - start)),
      method: head.method,
      target: head.target,
      protocol: head.version,
      status,
      bytes,
      durationMs: now - start,
    });
  }

  /** Errors that only mean the client went away or was too slow. */
  #quiet(err: unknown): boolean {
    return this.#closed || err instanceof ConnectionClosedError ||
      err instanceof TimeoutError || isPeerGone(err) ||
      err instanceof Deno.errors.BadResource ||
      err instanceof Deno.errors.Interrupted;
  }

  #translate(err: unknown, operation: string): unknown {
    if (this.#expired) {
      return new TimeoutError(operation, this.opLimit || this.#ctx.sendTimeout);
    }
    if (
      isPeerGone(err) ||
      // Closed here (shutdown, a deadline) while the operation waited.
      err instanceof Deno.errors.BadResource ||
      err instanceof Deno.errors.Interrupted ||
      // A TLS front: a client that is no TLS client, or fails its handshake.
      err instanceof Deno.errors.InvalidData
    ) {
      return new ConnectionClosedError(
        `Client connection closed while trying to ${operation}`,
        { cause: err },
      );
    }
    return err;
  }
}

/** A small body failed before anything was written: a fallback may still go out. */
class InlineBodyError extends Error {
  constructor(cause: unknown) {
    super("Response body failed before it was sent", { cause });
  }
}

/**
 * Reads and drops up to {@linkcode DRAIN_MAX} bytes; true when `read` came
 * to its end within them.
 */
async function discard(
  read: (p: Uint8Array) => Promise<number | null>,
): Promise<boolean> {
  const scratch = new Uint8Array(16 * 1024);
  for (let left = DRAIN_MAX; left > 0;) {
    const n = await read(scratch);
    if (n === null) return true;
    left -= n;
  }
  return false;
}

function internalError(): ServerResponse {
  return {
    status: 500,
    headers: [["Content-Type", "text/plain; charset=utf-8"]],
    body: "Internal Server Error\n",
  };
}

function cancelSource(source: ReadableStream<Uint8Array> | BodySource): void {
  try {
    if (isBodySource(source)) source.cancel();
    else source.cancel().catch(() => {});
  } catch { /* already done */ }
}

function cancelBody(res: ServerResponse): void {
  const body = res.body;
  if (body && typeof body === "object" && !(body instanceof Uint8Array)) {
    cancelSource(body);
  }
}
