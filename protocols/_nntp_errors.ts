/**
 * Typed NNTP reply errors: {@linkcode NntpReplyError} extends the shared
 * `ReplyError` with a `kind` named after the RFC 3977, 4642 and 4643 reply
 * codes, so that callers branch on meaning rather than on numbers.
 *
 * @module
 */

import { ReplyError, type ReplyLike } from "./errors.ts";

/**
 * What an NNTP error reply means.
 *
 * | kind | codes |
 * | --- | --- |
 * | `"service-discontinued"` | 400 |
 * | `"no-such-group"` | 411 |
 * | `"no-group-selected"` | 412 |
 * | `"no-current-article"` | 420 |
 * | `"no-next-article"` | 421 |
 * | `"no-previous-article"` | 422 |
 * | `"no-such-article"` | 423, 430 |
 * | `"posting-not-permitted"` | 440 |
 * | `"posting-failed"` | 441 |
 * | `"auth-required"` | 480 |
 * | `"auth-rejected"` | 481 |
 * | `"auth-out-of-sequence"` | 482 |
 * | `"encryption-required"` | 483 |
 * | `"unknown-command"` | 500 |
 * | `"syntax-error"` | 501 |
 * | `"service-unavailable"` | 502 (service unavailable or permission denied) |
 * | `"feature-unsupported"` | 503 |
 * | `"tls-failed"` | 580 |
 * | `"other"` | anything else |
 */
export type NntpErrorKind =
  | "service-discontinued"
  | "no-such-group"
  | "no-group-selected"
  | "no-current-article"
  | "no-next-article"
  | "no-previous-article"
  | "no-such-article"
  | "posting-not-permitted"
  | "posting-failed"
  | "auth-required"
  | "auth-rejected"
  | "auth-out-of-sequence"
  | "encryption-required"
  | "unknown-command"
  | "syntax-error"
  | "service-unavailable"
  | "feature-unsupported"
  | "tls-failed"
  | "other";

const KINDS: Readonly<Record<number, NntpErrorKind>> = {
  400: "service-discontinued",
  411: "no-such-group",
  412: "no-group-selected",
  420: "no-current-article",
  421: "no-next-article",
  422: "no-previous-article",
  423: "no-such-article",
  430: "no-such-article",
  440: "posting-not-permitted",
  441: "posting-failed",
  480: "auth-required",
  481: "auth-rejected",
  482: "auth-out-of-sequence",
  483: "encryption-required",
  500: "unknown-command",
  501: "syntax-error",
  502: "service-unavailable",
  503: "feature-unsupported",
  580: "tls-failed",
};

/**
 * Returns the {@linkcode NntpErrorKind} of an NNTP reply code.
 *
 * @param code The three-digit reply code.
 * @returns Its kind, `"other"` for codes without a specific meaning.
 *
 * @example Usage
 * ```ts
 * import { nntpErrorKind } from "./_nntp_errors.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(nntpErrorKind(411), "no-such-group");
 * assertEquals(nntpErrorKind(430), "no-such-article");
 * ```
 */
export function nntpErrorKind(code: number): NntpErrorKind {
  return KINDS[code] ?? "other";
}

/**
 * An NNTP server answered with an unexpected reply. `kind` names the
 * condition (see {@linkcode NntpErrorKind}); `code`, `text` and `lines` carry
 * the reply itself.
 *
 * @example Usage
 * ```ts
 * import { NntpReplyError } from "./_nntp_errors.ts";
 * import { ReplyError } from "./errors.ts";
 * import { assert, assertEquals } from "../tests/_assert.ts";
 *
 * const err = new NntpReplyError(
 *   { code: 411, text: "No such group x.y", lines: ["411 No such group x.y"] },
 *   'Cannot select group "x.y"',
 * );
 * assert(err instanceof ReplyError);
 * assertEquals(err.kind, "no-such-group");
 * ```
 */
export class NntpReplyError extends ReplyError {
  /** What the reply means. */
  readonly kind: NntpErrorKind;

  /**
   * Creates the error.
   *
   * @param reply The reply that did not match.
   * @param context What was being done, prefixed to the message.
   */
  constructor(reply: ReplyLike, context?: string) {
    super(reply, context);
    this.kind = nntpErrorKind(reply.code);
  }
}
