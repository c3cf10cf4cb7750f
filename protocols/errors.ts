/**
 * Typed errors shared by every inetkit protocol client.
 *
 * Callers branch on the class: {@linkcode ReplyError} when a server answered
 * with an unexpected reply code, {@linkcode ProtocolError} when the peer
 * broke the protocol (garbage, over-long lines, TLS misuse),
 * {@linkcode ConnectionClosedError} when the connection ended too early,
 * {@linkcode TimeoutError} when a peer stayed silent, and
 * {@linkcode CommandInjectionError} when an argument would have smuggled a
 * second command onto the wire.
 *
 * @module
 */

/**
 * A server answered with a reply code other than the one expected.
 *
 * `code` is the numeric reply code, `text` the reply's message (multi-line
 * replies joined with `\n`), and `lines` the raw reply lines as received.
 *
 * @example Usage
 * ```ts
 * import { ReplyError } from "./errors.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const err = new ReplyError({ code: 550, text: "No such file", lines: ["550 No such file"] });
 * assertEquals(err.transient, false);
 * assertEquals(err.message, 'Server replied 550: "No such file"');
 * ```
 */
export class ReplyError extends Error {
  /** The numeric reply code. */
  readonly code: number;
  /** The reply text without the code, lines joined with `\n`. */
  readonly text: string;
  /** The reply lines exactly as received (without line endings). */
  readonly lines: readonly string[];

  /**
   * Creates a reply error.
   *
   * @param reply The reply that did not match.
   * @param context What was being done, prefixed to the message.
   */
  constructor(reply: ReplyLike, context?: string) {
    const what = `Server replied ${reply.code}: ${JSON.stringify(reply.text)}`;
    super(context ? `${context}: ${what}` : what);
    this.name = this.constructor.name;
    this.code = reply.code;
    this.text = reply.text;
    this.lines = reply.lines;
  }

  /**
   * True for 4xx replies, which RFC 959 and RFC 3977 call transient: the same
   * command may succeed later.
   *
   * @returns Whether the reply code is in the 400 range.
   */
  get transient(): boolean {
    return this.code >= 400 && this.code < 500;
  }
}

/** The shape of a numeric reply, as carried by {@linkcode ReplyError}. */
export interface ReplyLike {
  /** The numeric reply code. */
  readonly code: number;
  /** The reply text without the code. */
  readonly text: string;
  /** The raw lines. */
  readonly lines: readonly string[];
}

/**
 * The peer broke the protocol: a malformed reply, a line over the limit, data
 * pipelined before a TLS handshake, or a body framed wrongly. The connection is
 * out of step afterwards and is closed.
 *
 * @example Usage
 * ```ts
 * import { ProtocolError } from "./errors.ts";
 * import { assert } from "../tests/_assert.ts";
 *
 * const err = new ProtocolError('Malformed reply line: "hello"');
 * assert(err instanceof Error);
 * ```
 */
export class ProtocolError extends Error {
  /**
   * Creates a protocol error.
   *
   * @param message What went wrong.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = this.constructor.name;
  }
}

/**
 * A line from the peer exceeded the configured maximum length. Raised instead
 * of buffering an endless line without bound.
 *
 * @example Usage
 * ```ts
 * import { LineTooLongError, ProtocolError } from "./errors.ts";
 * import { assert } from "../tests/_assert.ts";
 *
 * const err = new LineTooLongError(65536);
 * assert(err instanceof ProtocolError);
 * ```
 */
export class LineTooLongError extends ProtocolError {
  /** The limit in bytes that was exceeded. */
  readonly limit: number;

  /**
   * Creates the error.
   *
   * @param limit The limit in bytes.
   */
  constructor(limit: number) {
    super(`Line from peer exceeds the limit of ${limit} bytes`);
    this.limit = limit;
  }
}

/**
 * The connection ended (closed by the peer, reset, or closed locally) before
 * the operation completed, for example in the middle of a multi-line reply.
 *
 * @example Usage
 * ```ts
 * import { ConnectionClosedError } from "./errors.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const err = new ConnectionClosedError("Connection closed by peer in the middle of a reply");
 * assertEquals(err.name, "ConnectionClosedError");
 * ```
 */
export class ConnectionClosedError extends Error {
  /**
   * Creates the error.
   *
   * @param message What was interrupted.
   * @param options Standard error options (`cause`).
   */
  constructor(message = "Connection is closed", options?: ErrorOptions) {
    super(message, options);
    this.name = this.constructor.name;
  }
}

/**
 * The peer stayed silent (or did not accept data) for longer than the
 * operation's timeout. The connection is closed when this is raised.
 *
 * @example Usage
 * ```ts
 * import { TimeoutError } from "./errors.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const err = new TimeoutError("read", 5000);
 * assertEquals(err.timeout, 5000);
 * ```
 */
export class TimeoutError extends Error {
  /** The timeout in milliseconds. */
  readonly timeout: number;
  /** The operation that timed out. */
  readonly operation: string;

  /**
   * Creates the error.
   *
   * @param operation The operation that timed out, such as `"read"`.
   * @param timeout The timeout in milliseconds.
   */
  constructor(operation: string, timeout: number) {
    super(`Timed out after ${timeout} ms waiting to ${operation}`);
    this.name = this.constructor.name;
    this.operation = operation;
    this.timeout = timeout;
  }
}

/**
 * An argument destined for a protocol command contains CR, LF or NUL, which
 * would end the command early and inject another one.
 *
 * @example Usage
 * ```ts
 * import { CommandInjectionError } from "./errors.ts";
 * import { assert } from "../tests/_assert.ts";
 *
 * const err = new CommandInjectionError("a.txt\r\nDELE b.txt");
 * assert(err instanceof TypeError);
 * ```
 */
export class CommandInjectionError extends TypeError {
  /** The offending argument. */
  readonly argument: string;

  /**
   * Creates the error.
   *
   * @param argument The offending argument.
   */
  constructor(argument: string) {
    super(
      `Cannot send an argument containing CR, LF or NUL: ${
        JSON.stringify(argument)
      }`,
    );
    this.name = this.constructor.name;
    this.argument = argument;
  }
}

/**
 * Opening a connection failed: the name did not resolve, the peer refused, or
 * the TLS handshake failed. The underlying error is the `cause`.
 *
 * @example Usage
 * ```ts
 * import { ConnectError } from "./errors.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const err = new ConnectError("127.0.0.1", 9, { cause: new Error("refused") });
 * assertEquals(err.message, 'Cannot connect to "127.0.0.1:9": refused');
 * ```
 */
export class ConnectError extends Error {
  /** The host that was dialled. */
  readonly hostname: string;
  /** The port that was dialled. */
  readonly port: number;

  /**
   * Creates the error.
   *
   * @param hostname The host that was dialled.
   * @param port The port that was dialled.
   * @param options Standard error options; `cause` is the underlying error.
   */
  constructor(hostname: string, port: number, options?: ErrorOptions) {
    const reason = options?.cause instanceof Error
      ? `: ${options.cause.message}`
      : "";
    super(`Cannot connect to "${hostname}:${port}"${reason}`, options);
    this.name = this.constructor.name;
    this.hostname = hostname;
    this.port = port;
  }
}

/**
 * Whether a socket error means the peer went away: a reset, a broken pipe,
 * an aborted connection, or an end of stream in the middle of a TLS record.
 * Protocol code turns these into a {@linkcode ConnectionClosedError}.
 *
 * @param err What a read or write threw.
 * @returns True for the errors of a connection the peer dropped.
 *
 * @example Usage
 * ```ts
 * import { isPeerGone } from "./errors.ts";
 * import { assert } from "../tests/_assert.ts";
 *
 * assert(isPeerGone(new Deno.errors.ConnectionReset("reset")));
 * assert(!isPeerGone(new TypeError("bad argument")));
 * ```
 */
export function isPeerGone(err: unknown): boolean {
  return err instanceof Deno.errors.ConnectionReset ||
    err instanceof Deno.errors.BrokenPipe ||
    err instanceof Deno.errors.ConnectionAborted ||
    err instanceof Deno.errors.UnexpectedEof;
}
