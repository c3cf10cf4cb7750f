/**
 * Typed FTP reply errors, all subclasses of the shared `ReplyError`: callers
 * branch on the class (or on `code` and `transient`), and every error carries
 * the server's reply.
 *
 * @module
 */

import { ReplyError, type ReplyLike } from "./errors.ts";

/**
 * The FTP server answered a command with an unexpected reply. `transient`
 * (from {@linkcode ReplyError}) is true for 4xx replies, which may succeed
 * when retried; 5xx replies are permanent.
 *
 * @example Usage
 * ```ts
 * import { FtpReplyError } from "./_ftp_errors.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const err = new FtpReplyError(
 *   { code: 451, text: "Local error", lines: ["451 Local error"] },
 *   "RETR",
 * );
 * assertEquals(err.transient, true);
 * assertEquals(err.command, "RETR");
 * ```
 */
export class FtpReplyError extends ReplyError {
  /** The verb of the command that got the reply, such as `"RETR"` (never its arguments). */
  readonly command: string;

  /**
   * Creates the error.
   *
   * @param reply The server's reply.
   * @param command The command verb that was answered.
   * @param context What was being done, prefixed to the message.
   */
  constructor(reply: ReplyLike, command: string, context?: string) {
    super(reply, context);
    this.command = command;
  }
}

/**
 * Login failed or the session is not logged in (530, or 332 for a server
 * that wants an account).
 *
 * @example Usage
 * ```ts
 * import { FtpAuthError, FtpReplyError } from "./_ftp_errors.ts";
 * import { assert } from "../tests/_assert.ts";
 *
 * const err = new FtpAuthError(
 *   { code: 530, text: "Login incorrect.", lines: ["530 Login incorrect."] },
 *   "PASS",
 * );
 * assert(err instanceof FtpReplyError);
 * ```
 */
export class FtpAuthError extends FtpReplyError {}

/**
 * The file or directory is unavailable: it does not exist or may not be
 * accessed (550).
 *
 * @example Usage
 * ```ts
 * import { FtpNotFoundError } from "./_ftp_errors.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const err = new FtpNotFoundError(
 *   { code: 550, text: "No such file", lines: ["550 No such file"] },
 *   "RETR",
 * );
 * assertEquals(err.transient, false);
 * ```
 */
export class FtpNotFoundError extends FtpReplyError {}

/**
 * The server refused a data connection because it was not a resumption of the
 * control connection's TLS session. Deno 2.9 cannot resume TLS sessions, so
 * servers that demand it (vsftpd with its default `require_ssl_reuse=YES`)
 * cannot be used for transfers over FTPS until that setting is turned off.
 *
 * @example Usage
 * ```ts
 * import { FtpSessionReuseError } from "./_ftp_errors.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const err = new FtpSessionReuseError(
 *   {
 *     code: 522,
 *     text: "SSL connection failed: session reuse required",
 *     lines: ["522 SSL connection failed: session reuse required"],
 *   },
 *   "LIST",
 * );
 * assertEquals(err.setting, "require_ssl_reuse");
 * ```
 */
export class FtpSessionReuseError extends FtpReplyError {
  /** The server setting that causes the refusal (vsftpd's name for it). */
  readonly setting: "require_ssl_reuse" = "require_ssl_reuse";

  /**
   * Creates the error.
   *
   * @param reply The server's reply that refused the data connection.
   * @param command The command verb of the transfer.
   */
  constructor(reply: ReplyLike, command: string) {
    super(
      reply,
      command,
      "Server requires TLS session reuse on data connections, which Deno " +
        'cannot do; set "require_ssl_reuse=NO" on the server (vsftpd)',
    );
  }
}

const SESSION_REUSE_REGEXP = /session reuse|reuse required/i;

/**
 * Tells whether a reply is a refusal because the TLS session was not reused.
 *
 * @param reply The reply.
 * @returns Whether the reply says session reuse is required.
 */
export function isSessionReuseReply(reply: ReplyLike): boolean {
  return SESSION_REUSE_REGEXP.test(reply.text);
}

/**
 * Builds the typed error for a reply: {@linkcode FtpAuthError} for 530 and
 * 332, {@linkcode FtpNotFoundError} for 550, {@linkcode FtpSessionReuseError}
 * for a session-reuse refusal, else {@linkcode FtpReplyError}.
 *
 * @param reply The reply.
 * @param command The verb that was answered.
 * @param context What was being done.
 * @returns The error, to be thrown.
 */
export function ftpReplyError(
  reply: ReplyLike,
  command: string,
  context?: string,
): FtpReplyError {
  if (reply.code === 530 || reply.code === 332) {
    return new FtpAuthError(reply, command, context);
  }
  if (reply.code === 550) return new FtpNotFoundError(reply, command, context);
  if (reply.code >= 400 && isSessionReuseReply(reply)) {
    return new FtpSessionReuseError(reply, command);
  }
  return new FtpReplyError(reply, command, context);
}
