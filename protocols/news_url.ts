/**
 * `news:` and `nntp:` URLs (RFC 5538): building the link of an article from
 * its message-id, and reading the article, group or server a URL names.
 *
 * @module
 */

/** A range of article numbers; `end` omitted means "to the last article". */
export interface NewsUrlRange {
  /** First article number (inclusive). */
  start: number;
  /** Last article number (inclusive); omitted for an open range. */
  end?: number;
}

/** A URL that names one article by its message-id. */
export interface NewsArticleUrl {
  /** The kind of URL. */
  kind: "article";
  /** The message-id, percent-decoded, with angle brackets (`<id@host>`). */
  messageId: string;
  /** The server, when the URL names one (`news://server/id@host`); IPv6 without brackets. */
  server?: string;
  /** The port, when the URL names one. */
  port?: number;
  /** Set for `snews:` and `nntps:` URLs (TLS from the first byte). */
  tls?: boolean;
}

/** A URL that names a group (or, with `*`, every group). */
export interface NewsGroupUrl {
  /** The kind of URL. */
  kind: "group";
  /** The group name, percent-decoded; `*` for all groups. */
  group: string;
  /** The server, when the URL names one; IPv6 without brackets. */
  server?: string;
  /** The port, when the URL names one. */
  port?: number;
  /** Set for `snews:` and `nntps:` URLs (TLS from the first byte). */
  tls?: boolean;
  /** The article number or range of an `nntp://server/group/123` URL. */
  range?: NewsUrlRange;
}

/** What {@linkcode parseNewsUrl} found. */
export type ParsedNewsUrl = NewsArticleUrl | NewsGroupUrl;

const HEX = "0123456789ABCDEF";
/** Controls: never in a message-id, and CR/LF/NUL could inject a command. */
// deno-lint-ignore no-control-regex
const CONTROL_REGEXP = /[\x00-\x1f\x7f]/;
// deno-lint-ignore no-control-regex
const GROUP_INVALID_REGEXP = /[\s\x00-\x1f\x7f<>]/;
const encoder = new TextEncoder();

/** Unreserved characters, sub-delims, ":" and "@" (RFC 3986 pchar). */
function isUrlSafe(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) ||
    (c >= 48 && c <= 57) ||
    c === 45 || c === 46 || c === 95 || c === 126 || // - . _ ~
    c === 33 || c === 36 || c === 38 || c === 39 || // ! $ & '
    c === 40 || c === 41 || c === 42 || c === 43 || // ( ) * +
    c === 44 || c === 59 || c === 61 || // , ; =
    c === 58 || c === 64; // : @
}

/**
 * Builds the `news:` URL of an article (RFC 5538 §2.2): `news:` followed by
 * the message-id without its angle brackets. Every character outside the
 * RFC 3986 path characters is percent-encoded, non-ASCII as UTF-8: among
 * them `%`, `<`, `>`, `"`, space, `#`, `?`, `/`, `[`, `]` and controls.
 *
 * The result contains no HTML-special character except `&` and `'`, which
 * are valid in a URL; escape it like any text when writing it into HTML.
 *
 * @param messageId The message-id, with or without angle brackets.
 * @returns The URL.
 *
 * @example Usage
 * ```ts
 * import { newsUrl } from "./news_url.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(newsUrl("<test.3@lab.test>"), "news:test.3@lab.test");
 * assertEquals(newsUrl("<a%b c#d@x>"), "news:a%25b%20c%23d@x");
 * ```
 */
export function newsUrl(messageId: string): string {
  let id = messageId.trim();
  if (id.length >= 2 && id.startsWith("<") && id.endsWith(">")) {
    id = id.slice(1, -1);
  }
  let out = "news:";
  let start = 0;
  for (let i = 0; i < id.length; i++) {
    if (isUrlSafe(id.charCodeAt(i))) continue;
    out += id.slice(start, i);
    const cp = id.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    for (const byte of encoder.encode(ch)) {
      out += "%" + HEX[byte >> 4] + HEX[byte & 15];
    }
    i += ch.length - 1;
    start = i + 1;
  }
  return out + id.slice(start);
}

/**
 * Parses a `news:`, `snews:`, `nntp:` or `nntps:` URL (RFC 5538):
 *
 * - `news:id@host` and `news:<id@host>`: an article;
 * - `news:group` and `news:*`: a group, or all groups;
 * - `news://server[:port]/group` or `news://server/id@host`: the same on a
 *   given server (`news://server/` means all groups);
 * - `nntp://server[:port]/group[/number]`: a group, or one article (or a
 *   `first-last` range) in it.
 *
 * Percent-encoded characters are decoded. A fragment is ignored.
 *
 * @param url The URL.
 * @returns What the URL names.
 * @throws {SyntaxError} When the text is not such a URL (other scheme, empty
 * name, bad port or number, `nntp:` without a server, bad percent-encoding,
 * a control character such as an encoded CR or LF in a message-id or group).
 *
 * @example Usage
 * ```ts
 * import { parseNewsUrl } from "./news_url.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(parseNewsUrl("news:test.3@lab.test"), {
 *   kind: "article",
 *   messageId: "<test.3@lab.test>",
 * });
 * assertEquals(parseNewsUrl("nntp://localhost:1119/local.test/3"), {
 *   kind: "group",
 *   group: "local.test",
 *   server: "localhost",
 *   port: 1119,
 *   range: { start: 3, end: 3 },
 * });
 * ```
 */
export function parseNewsUrl(url: string): ParsedNewsUrl {
  const text = url.trim();
  const colon = text.indexOf(":");
  const scheme = colon === -1 ? "" : text.slice(0, colon).toLowerCase();
  if (
    scheme !== "news" && scheme !== "snews" && scheme !== "nntp" &&
    scheme !== "nntps"
  ) {
    throw new SyntaxError(`Cannot parse "${url}": not a news or nntp URL`);
  }
  let rest = text.slice(colon + 1);
  const hash = rest.indexOf("#");
  if (hash !== -1) rest = rest.slice(0, hash);
  const tls = scheme === "snews" || scheme === "nntps";
  const where: { server?: string; port?: number; tls?: boolean } = {};
  if (rest.startsWith("//")) {
    const slash = rest.indexOf("/", 2);
    const authority = rest.slice(2, slash === -1 ? undefined : slash);
    Object.assign(where, parseAuthority(authority, url));
    rest = slash === -1 ? "" : rest.slice(slash + 1);
  } else if (scheme === "nntp" || scheme === "nntps") {
    throw new SyntaxError(`Cannot parse "${url}": an nntp URL needs a server`);
  }
  if (tls) where.tls = true;
  if (scheme === "nntp" || scheme === "nntps") {
    const [group, number, ...more] = rest.split("/");
    if (more.length > 0 || group === undefined || group === "") {
      throw new SyntaxError(`Cannot parse "${url}": expected /group[/number]`);
    }
    const result: NewsGroupUrl = {
      kind: "group",
      group: checkGroup(decode(group, url), url),
      ...where,
    };
    if (number !== undefined && number !== "") {
      result.range = parseRange(number, url);
    }
    return result;
  }
  const query = rest.indexOf("?");
  if (query !== -1) rest = rest.slice(0, query);
  if (rest === "" && where.server !== undefined) {
    return { kind: "group", group: "*", ...where };
  }
  const spec = decode(rest, url);
  if (spec.includes("@")) {
    const id = spec.startsWith("<") && spec.endsWith(">")
      ? spec.slice(1, -1)
      : spec;
    if (
      id === "" || id.startsWith("@") || id.endsWith("@") ||
      CONTROL_REGEXP.test(id)
    ) {
      throw new SyntaxError(`Cannot parse "${url}": invalid message-id`);
    }
    return { kind: "article", messageId: `<${id}>`, ...where };
  }
  return { kind: "group", group: checkGroup(spec, url), ...where };
}

function parseAuthority(
  authority: string,
  url: string,
): { server?: string; port?: number } {
  // Userinfo (RFC 3986 allows it) is not used.
  const at = authority.lastIndexOf("@");
  const hostPort = at === -1 ? authority : authority.slice(at + 1);
  let host: string;
  let port: string | undefined;
  if (hostPort.startsWith("[")) {
    const close = hostPort.indexOf("]");
    if (close === -1) {
      throw new SyntaxError(`Cannot parse "${url}": unclosed IPv6 address`);
    }
    host = hostPort.slice(1, close);
    const after = hostPort.slice(close + 1);
    if (after !== "" && !after.startsWith(":")) {
      throw new SyntaxError(`Cannot parse "${url}": invalid server`);
    }
    port = after === "" ? undefined : after.slice(1);
  } else {
    const c = hostPort.lastIndexOf(":");
    host = c === -1 ? hostPort : hostPort.slice(0, c);
    port = c === -1 ? undefined : hostPort.slice(c + 1);
  }
  const result: { server?: string; port?: number } = {};
  if (host !== "") result.server = decode(host, url);
  if (port !== undefined && port !== "") {
    const n = /^\d{1,5}$/.test(port) ? Number(port) : 0;
    if (n < 1 || n > 65535) {
      throw new SyntaxError(`Cannot parse "${url}": invalid port "${port}"`);
    }
    result.port = n;
  }
  return result;
}

function parseRange(text: string, url: string): NewsUrlRange {
  const dash = text.indexOf("-");
  const first = dash === -1 ? text : text.slice(0, dash);
  const last = dash === -1 ? first : text.slice(dash + 1);
  const start = articleNumber(first, url);
  if (last === "") return { start };
  const end = articleNumber(last, url);
  if (end < start) {
    throw new SyntaxError(`Cannot parse "${url}": empty range "${text}"`);
  }
  return { start, end };
}

function articleNumber(text: string, url: string): number {
  if (!/^\d{1,15}$/.test(text)) {
    throw new SyntaxError(
      `Cannot parse "${url}": invalid article number "${text}"`,
    );
  }
  return Number(text);
}

function checkGroup(group: string, url: string): string {
  if (group === "" || GROUP_INVALID_REGEXP.test(group)) {
    throw new SyntaxError(`Cannot parse "${url}": invalid group name`);
  }
  return group;
}

function decode(text: string, url: string): string {
  if (!text.includes("%")) return text;
  try {
    return decodeURIComponent(text);
  } catch (cause) {
    throw new SyntaxError(`Cannot parse "${url}": bad percent-encoding`, {
      cause,
    });
  }
}
