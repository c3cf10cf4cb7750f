/**
 * The article argument of `NntpClient.post`: raw text, bytes or a stream, or
 * header fields and a body assembled here with checks against header
 * injection.
 *
 * @module
 */

/** What {@linkcode buildArticle} accepts. */
export type NntpPostArticle =
  | string
  | Uint8Array
  | ReadableStream<Uint8Array>
  | {
    /** Header fields, in order; a record or name/value pairs. */
    headers: Record<string, string> | readonly (readonly [string, string])[];
    /** The body text; line endings become CRLF on the wire. */
    body: string;
  };

const FIELD_NAME_REGEXP = /^[!-9;-~]+$/;
const FORBIDDEN_VALUE_REGEXP = /[\r\n\0]/;

/**
 * Turns the argument of `post` into the content to dot-stuff.
 *
 * @param article The article.
 * @returns Text, bytes or a stream.
 * @throws {TypeError} When a header name is not a valid field name or a value
 * contains CR, LF or NUL, or when there are no headers.
 *
 * @example Usage
 * ```ts
 * import { buildArticle } from "./_nntp_post.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(
 *   buildArticle({ headers: { Subject: "Hi" }, body: "text\n" }),
 *   "Subject: Hi\r\n\r\ntext\n",
 * );
 * ```
 */
export function buildArticle(
  article: NntpPostArticle,
): string | Uint8Array | ReadableStream<Uint8Array> {
  if (
    typeof article === "string" || article instanceof Uint8Array ||
    article instanceof ReadableStream
  ) {
    return article;
  }
  const pairs = Array.isArray(article.headers)
    ? article.headers as readonly (readonly [string, string])[]
    : Object.entries(article.headers);
  if (pairs.length === 0) {
    throw new TypeError("Cannot post an article without headers");
  }
  let head = "";
  for (const [name, value] of pairs) {
    if (!FIELD_NAME_REGEXP.test(name)) {
      throw new TypeError(`Invalid header name: ${JSON.stringify(name)}`);
    }
    if (FORBIDDEN_VALUE_REGEXP.test(value)) {
      throw new TypeError(
        `Header "${name}" contains CR, LF or NUL: ${JSON.stringify(value)}`,
      );
    }
    head += `${name}: ${value}\r\n`;
  }
  return `${head}\r\n${article.body}`;
}
