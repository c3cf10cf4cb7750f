/**
 * `TextProtoConn`: the shared line-protocol connection under the FTP and NNTP
 * clients and the HTTP client's framing, in the spirit of Go's
 * `net/textproto`.
 *
 * - Pull-only buffered reads (no read loop, `readable` never locked), so the
 *   same connection can be upgraded in place with {@linkcode TextProtoConn.startTls}.
 * - Lines end with CRLF (bare LF tolerated) and have a maximum length.
 * - Numeric replies, single-line and RFC 959 multi-line, with a size cap.
 * - Dot-terminated blocks read as a stream with dot-unstuffing, and written
 *   with dot-stuffing.
 * - Commands whose arguments contain CR, LF or NUL are refused.
 * - Every wait on the peer has a timeout; an `AbortSignal` closes the
 *   connection; `close()` is idempotent.
 * - A body (a dot block or any body a protocol registers) is valid only until
 *   the next operation, which drains it first so the connection never gets out
 *   of step.
 *
 * @module
 */

import { closeQuietly } from "./_close.ts";
import { BufferedReader, type ByteSource } from "./buffered_reader.ts";
import { DotBlock } from "./dot_block.ts";
import { DotStuffer } from "./dot_stuffing.ts";
import {
  CommandInjectionError,
  ConnectionClosedError,
  isPeerGone,
  ProtocolError,
  ReplyError,
  TimeoutError,
} from "./errors.ts";
import { startTimer } from "./_timer.ts";
import {
  codeMatches,
  continuationText,
  type ExpectedCode,
  isFinalLine,
  parseReplyLine,
  type Reply,
} from "./reply.ts";

/** Direction of a line given to a {@linkcode DebugSink}. */
export type DebugDirection = "send" | "recv";

/** Receives every command sent and reply line received, passwords masked. */
export type DebugSink = (direction: DebugDirection, line: string) => void;

/** Options for {@linkcode TextProtoConn}. */
export interface TextProtoOptions {
  /**
   * Milliseconds to wait for the peer on any single read or write before the
   * connection is closed with a {@linkcode TimeoutError}. `0` disables it.
   *
   * @default {30000}
   */
  timeout?: number;
  /** Aborting closes the connection; pending operations reject with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Longest line accepted from the peer, in bytes.
   *
   * @default {65536}
   */
  maxLineBytes?: number;
  /**
   * Largest multi-line numeric reply accepted, in bytes.
   *
   * @default {65536}
   */
  maxReplyBytes?: number;
  /** Traffic log, for debugging; passwords are masked. */
  debug?: DebugSink;
}

/** Options for {@linkcode TextProtoConn.writeCommand}. */
export interface WriteCommandOptions {
  /** The arguments are secret (a password): the debug sink sees `***`. */
  secret?: boolean;
}

/** Options for {@linkcode TextProtoConn.dotBody}. */
export interface DotBodyOptions {
  /**
   * Line ending written after each line of the decoded body.
   *
   * @default {"\r\n"}
   */
  newline?: "\r\n" | "\n";
}

/** A body that must be consumed or drained before the connection is used again. */
export interface OpenBody {
  /** Reads and discards the rest of the body. */
  drain(): Promise<void>;
  /** True once the body has been read to its end. */
  readonly done: boolean;
}

/** What the connection is and why it can no longer be used. */
type State = { kind: "open" } | { kind: "failed"; error: Error } | {
  kind: "closed";
};

const FORBIDDEN_REGEXP = /[\r\n\0]/;
const encoder = new TextEncoder();

/**
 * Throws {@linkcode CommandInjectionError} when `value` contains CR, LF or NUL.
 *
 * @param value A string about to become part of a protocol command.
 * @returns The value, unchanged.
 * @throws {CommandInjectionError} When the value holds CR, LF or NUL.
 *
 * @example Usage
 * ```ts
 * import { checkCommandArgument } from "./text_proto.ts";
 * import { assertThrows } from "../tests/_assert.ts";
 *
 * checkCommandArgument("file name.txt");
 * assertThrows(() => checkCommandArgument("a\r\nDELE b"));
 * ```
 */
export function checkCommandArgument(value: string): string {
  if (FORBIDDEN_REGEXP.test(value)) throw new CommandInjectionError(value);
  return value;
}

/**
 * A line-protocol connection over a `Deno.Conn`.
 *
 * @example Usage
 * ```ts ignore
 * import { dial } from "./dial.ts";
 * import { TextProtoConn } from "./text_proto.ts";
 *
 * const conn = new TextProtoConn(await dial({ hostname: "127.0.0.1", port: 119 }));
 * const greeting = await conn.readCodeLine(2);
 * await conn.writeCommand("GROUP", "local.test");
 * const group = await conn.readCodeLine(211);
 * conn.close();
 * ```
 */
export class TextProtoConn {
  #conn: Deno.Conn;
  #reader: BufferedReader;
  #timeout: number;
  #maxReplyBytes: number;
  #debug: DebugSink | undefined;
  #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;
  #state: State = { kind: "open" };
  #timedOut: string | undefined;
  #body: OpenBody | undefined;

  /**
   * Wraps a connection.
   *
   * @param conn A connected `Deno.Conn` (TCP or TLS).
   * @param options Timeouts, limits, abort signal and debug sink.
   */
  constructor(conn: Deno.Conn, options: TextProtoOptions = {}) {
    this.#conn = conn;
    this.#timeout = options.timeout ?? 30_000;
    if (!(this.#timeout >= 0)) {
      throw new RangeError(`Invalid timeout: ${this.#timeout}`);
    }
    this.#maxReplyBytes = options.maxReplyBytes ?? 64 * 1024;
    this.#debug = options.debug;
    this.#reader = new BufferedReader(this.#source(), {
      maxLineBytes: options.maxLineBytes ?? 64 * 1024,
    });
    const signal = options.signal;
    if (signal) {
      this.#signal = signal;
      if (signal.aborted) {
        this.#fail(this.#abortReason());
      } else {
        this.#onAbort = () => this.#fail(this.#abortReason());
        signal.addEventListener("abort", this.#onAbort, { once: true });
      }
    }
  }

  /**
   * The underlying connection (TCP, or TLS after {@linkcode TextProtoConn.startTls}).
   *
   * @returns The current `Deno.Conn`.
   */
  get conn(): Deno.Conn {
    return this.#conn;
  }

  /**
   * The buffered reader, for protocols that read framed bodies themselves
   * (HTTP chunks, FTP replies after a transfer). Reads through it are subject
   * to the same timeout and abort handling.
   *
   * @returns The reader.
   */
  get reader(): BufferedReader {
    return this.#reader;
  }

  /**
   * True until the connection is closed or has failed.
   *
   * @returns Whether the connection can still be used.
   */
  get isOpen(): boolean {
    return this.#state.kind === "open";
  }

  /**
   * The per-operation timeout in milliseconds (`0` means none).
   *
   * @returns The timeout.
   */
  get timeout(): number {
    return this.#timeout;
  }

  /**
   * Changes the per-operation timeout.
   *
   * @param ms Milliseconds, `0` for none.
   */
  set timeout(ms: number) {
    if (!(ms >= 0)) throw new RangeError(`Invalid timeout: ${ms}`);
    this.#timeout = ms;
  }

  /**
   * Sends one line followed by CRLF.
   *
   * @param line The line; it must not contain CR, LF or NUL.
   * @param options Whether the line is secret (masked in debug output).
   * @throws {CommandInjectionError} When the line contains CR, LF or NUL.
   */
  async writeLine(
    line: string,
    options: WriteCommandOptions = {},
  ): Promise<void> {
    checkCommandArgument(line);
    await this.settle();
    if (this.#debug) {
      const shown = options.secret ? line.replace(/ .*$/, " ***") : line;
      this.#debug("send", shown);
    }
    await this.writeAll(encoder.encode(line + "\r\n"));
  }

  /**
   * Sends a command: the verb and its arguments joined by single spaces.
   * Every part is checked for CR, LF and NUL before anything is sent.
   *
   * @param verb The command verb, such as `"RETR"`.
   * @param args The arguments.
   * @throws {CommandInjectionError} When a part contains CR, LF or NUL.
   */
  async writeCommand(verb: string, ...args: string[]): Promise<void> {
    for (const part of [verb, ...args]) checkCommandArgument(part);
    await this.writeLine(args.length ? `${verb} ${args.join(" ")}` : verb);
  }

  /**
   * Sends a command whose arguments are secret, such as `PASS` or
   * `AUTHINFO PASS`: the debug sink shows only the verb.
   *
   * @param verb The verb.
   * @param args The secret arguments.
   * @throws {CommandInjectionError} When a part contains CR, LF or NUL.
   */
  async writeSecretCommand(verb: string, ...args: string[]): Promise<void> {
    for (const part of [verb, ...args]) checkCommandArgument(part);
    await this.settle();
    this.#debug?.("send", `${verb} ***`);
    await this.writeAll(encoder.encode(`${verb} ${args.join(" ")}\r\n`));
  }

  /**
   * Writes raw bytes, all of them, within the timeout.
   *
   * @param bytes The bytes.
   */
  async writeAll(bytes: Uint8Array): Promise<void> {
    this.#ensureOpen();
    let off = 0;
    while (off < bytes.length) {
      off += await this.#guard(
        "write",
        () => this.#conn.write(bytes.subarray(off)),
      );
    }
  }

  /**
   * Reads one line (without its ending).
   *
   * @returns The line, decoded as UTF-8.
   * @throws {ConnectionClosedError} When the peer closed the connection.
   * @throws {LineTooLongError} When the line exceeds the limit.
   */
  async readLine(): Promise<string> {
    await this.settle();
    const line = await this.#readLineRaw();
    this.#debug?.("recv", line);
    return line;
  }

  /**
   * Reads a single-line numeric reply (NNTP, or one FTP line).
   *
   * @param expect Expected code: a class (`2`), sub-class (`25`) or exact code; omitted or `0` accepts any.
   * @returns The reply.
   * @throws {ReplyError} When the code does not match `expect`.
   * @throws {ProtocolError} When the line is not a numeric reply.
   */
  async readCodeLine(expect: ExpectedCode = 0): Promise<Reply> {
    const line = await this.readLine();
    const parsed = this.#parse(line);
    const reply = { code: parsed.code, text: parsed.text, lines: [line] };
    return this.#check(reply, expect);
  }

  /**
   * Reads a numeric reply that may span several lines (RFC 959 §4.2):
   * `ddd-first` … `ddd last`. Lines in between are kept as sent.
   *
   * @param expect Expected code, as for {@linkcode TextProtoConn.readCodeLine}.
   * @returns The reply, text lines joined with `\n`.
   * @throws {ReplyError} When the code does not match `expect`.
   * @throws {ProtocolError} When the reply is malformed or exceeds the size limit.
   */
  async readReply(expect: ExpectedCode = 0): Promise<Reply> {
    const first = await this.readLine();
    const parsed = this.#parse(first);
    const lines = [first];
    const texts = [parsed.text];
    if (parsed.separator === "-") {
      let size = first.length;
      while (true) {
        const line = await this.#readLineRaw();
        this.#debug?.("recv", line);
        size += line.length + 2;
        if (size > this.#maxReplyBytes) {
          const err = new ProtocolError(
            `Reply exceeds the limit of ${this.#maxReplyBytes} bytes`,
          );
          this.#fail(err);
          throw err;
        }
        lines.push(line);
        if (isFinalLine(parsed.code, line)) {
          texts.push(line.slice(4));
          break;
        }
        texts.push(continuationText(parsed.code, line));
      }
    }
    return this.#check(
      { code: parsed.code, text: texts.join("\n"), lines },
      expect,
    );
  }

  /**
   * Reads a dot-terminated block line by line, undoing dot-stuffing. The
   * iterator is valid until the next operation on the connection, which drains
   * whatever was not read.
   *
   * @returns The lines of the block, decoded as UTF-8, without endings.
   * @throws {ConnectionClosedError} When the connection ends before the final `.` line.
   */
  async *dotLines(): AsyncGenerator<string, void, undefined> {
    const block = await this.openDotBlock();
    while (true) {
      const line = await block.text();
      if (line === null) return;
      yield line;
    }
  }

  /**
   * Reads a dot-terminated block as a byte stream, undoing dot-stuffing; each
   * line is followed by `newline`. The stream is valid until the next
   * operation on the connection, which drains whatever was not read; reads
   * after that fail.
   *
   * @param options The line ending to emit.
   * @returns The decoded body.
   */
  async dotBody(
    options: DotBodyOptions = {},
  ): Promise<ReadableStream<Uint8Array>> {
    const block = await this.openDotBlock();
    return block.stream(options.newline);
  }

  /**
   * Starts reading a dot-terminated block whose status line was just read, and
   * registers it as the open body. A {@linkcode DotBlock} gives line views,
   * decoded lines and a stream of the rest, so a caller can parse an article's
   * head line by line and hand its body on as a stream.
   *
   * @returns The block reader.
   */
  async openDotBlock(): Promise<DotBlock> {
    await this.settle();
    const block = new DotBlock(this.#reader, (err) => this.#fail(err));
    this.#body = block;
    return block;
  }

  /**
   * Writes a block with dot-stuffing, CRLF line endings and the final `.` line.
   *
   * @param body The content: a string, bytes or a byte stream.
   */
  async writeDotBody(
    body: string | Uint8Array | ReadableStream<Uint8Array>,
  ): Promise<void> {
    await this.settle();
    const enc = new DotStuffer();
    if (body instanceof ReadableStream) {
      for await (const chunk of body) {
        const out = enc.push(chunk);
        if (out.length) await this.writeAll(out);
      }
    } else {
      await this.writeAll(
        enc.push(typeof body === "string" ? encoder.encode(body) : body),
      );
    }
    await this.writeAll(enc.end());
  }

  /**
   * Registers a body another module reads from {@linkcode TextProtoConn.reader}
   * (an HTTP chunked body, say): the next operation drains it first.
   *
   * @param body The open body.
   */
  setOpenBody(body: OpenBody): void {
    this.#body = body;
  }

  /**
   * Drains an open body, if any, so that the connection is in step for the
   * next command. Every operation calls this first.
   */
  async settle(): Promise<void> {
    this.#ensureOpen();
    const body = this.#body;
    if (body) {
      this.#body = undefined;
      if (!body.done) await body.drain();
    }
  }

  /**
   * Upgrades the connection to TLS in place (FTP `AUTH TLS`, NNTP `STARTTLS`).
   * Refused when the peer already sent bytes that are still unread: data
   * pipelined before the handshake would otherwise be trusted as if it had
   * come over TLS.
   *
   * @param options Host name to verify and extra CA certificates.
   * @throws {ProtocolError} When bytes are buffered before the handshake.
   */
  async startTls(options: Deno.StartTlsOptions = {}): Promise<void> {
    await this.settle();
    if (this.#reader.buffered > 0) {
      const err = new ProtocolError(
        `Peer sent ${this.#reader.buffered} bytes before the TLS handshake`,
      );
      this.#fail(err);
      throw err;
    }
    const tcp = this.#conn as Deno.TcpConn;
    const tls = await this.#guard(
      "start TLS",
      () => Deno.startTls(tcp, options),
    );
    this.#conn = tls;
    await this.#guard("complete the TLS handshake", () => tls.handshake());
  }

  /** Closes the connection. Safe to call more than once. */
  close(): void {
    if (this.#state.kind === "open") this.#state = { kind: "closed" };
    this.#release();
  }

  /** Closes the connection (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Marks the connection failed with `error` and closes it. Later operations
   * reject with a {@linkcode ConnectionClosedError} naming that error.
   *
   * @param error Why the connection cannot be used any more.
   */
  fail(error: Error): void {
    this.#fail(error);
  }

  #fail(error: Error): void {
    if (this.#state.kind === "open") this.#state = { kind: "failed", error };
    this.#release();
  }

  #release(): void {
    if (this.#onAbort) {
      this.#signal?.removeEventListener("abort", this.#onAbort);
      this.#onAbort = undefined;
    }
    closeQuietly(this.#conn);
  }

  #abortReason(): Error {
    const reason = this.#signal?.reason;
    return reason instanceof Error
      ? reason
      : new DOMException("Aborted", "AbortError");
  }

  #ensureOpen(): void {
    const state = this.#state;
    if (state.kind === "closed") {
      throw new ConnectionClosedError("Connection is closed");
    }
    if (state.kind === "failed") {
      if (state.error instanceof ConnectionClosedError) throw state.error;
      throw new ConnectionClosedError(
        `Connection is closed because: ${state.error.message}`,
        { cause: state.error },
      );
    }
  }

  #source(): ByteSource {
    return {
      read: (p) => this.#guard("read from the peer", () => this.#conn.read(p)),
    };
  }

  async #guard<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    this.#ensureOpen();
    const ms = this.#timeout;
    const cancelTimer = ms > 0
      ? startTimer(ms, () => {
        this.#timedOut = operation;
        this.#fail(new TimeoutError(operation, ms));
      })
      : undefined;
    try {
      return await fn();
    } catch (err) {
      throw this.#translate(err, operation);
    } finally {
      cancelTimer?.();
    }
  }

  #translate(err: unknown, operation: string): unknown {
    const state = this.#state;
    if (this.#timedOut === operation && state.kind === "failed") {
      return state.error;
    }
    if (state.kind === "failed") return state.error;
    if (state.kind === "closed") {
      return new ConnectionClosedError("Connection was closed locally", {
        cause: err,
      });
    }
    if (isPeerGone(err)) {
      const closed = new ConnectionClosedError(
        `Connection reset by peer while trying to ${operation}`,
        { cause: err },
      );
      this.#fail(closed);
      return closed;
    }
    return err;
  }

  async #readLineRaw(): Promise<string> {
    try {
      const line = await this.#reader.readLine();
      if (line === null) {
        throw new ConnectionClosedError("Connection closed by peer");
      }
      return line;
    } catch (err) {
      if (
        err instanceof ProtocolError || err instanceof ConnectionClosedError
      ) {
        this.#fail(err);
      }
      throw err;
    }
  }

  #parse(line: string): ReturnType<typeof parseReplyLine> {
    try {
      return parseReplyLine(line);
    } catch (err) {
      this.#fail(err as Error);
      throw err;
    }
  }

  #check(reply: Reply, expect: ExpectedCode): Reply {
    if (!codeMatches(reply.code, expect)) throw new ReplyError(reply);
    return reply;
  }
}
