/**
 * Header decoding for news and mail: RFC 2047 encoded words (`=?charset?B?…?=`
 * and `=?charset?Q?…?=`), RFC 5322 unfolding, and raw 8-bit header bytes.
 *
 * The decoder is lenient and never throws: an encoded word that is malformed
 * or names a charset this runtime cannot decode is kept as it was sent, and
 * text that only looks like an encoded word (`=?an encoded word?=`) is left
 * alone. It is meant to be called for every subject of a large group, so the
 * common case (no `=?`, no line break) returns its input untouched.
 *
 * @module
 */

import { concatBytes } from "./_bytes.ts";

/**
 * An encoded word: charset (with an optional RFC 2231 `*language` suffix),
 * `B` or `Q`, and encoded text without `?` or whitespace.
 */
const ENCODED_WORD_REGEXP = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

/** Charset names that browsers' TextDecoder does not know under that name. */
const CHARSET_ALIASES: Readonly<Record<string, string>> = {
  "utf8": "utf-8",
  "latin-1": "iso-8859-1",
  "cp932": "shift_jis",
  "ms932": "shift_jis",
  "cp936": "gbk",
  "ms936": "gbk",
  "cp949": "euc-kr",
  "cp950": "big5",
  "x-euc-jp": "euc-jp",
  "ascii": "us-ascii",
  "ansi_x3.4-1968": "us-ascii",
};

/** A charset label as written in a word, resolved. */
interface Charset {
  /** Lowercased, without language suffix, aliases applied. */
  name: string;
  decoder: TextDecoder;
}

/** Resolved labels, keyed as written (`null`: unknown charset). */
const charsets = new Map<string, Charset | null>();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });
const windows1252 = new TextDecoder("windows-1252");

/**
 * Unfolds a header value (RFC 5322 §2.2.3): a line break (CRLF, LF or a lone
 * CR) followed by a space or a tab is removed, keeping the whitespace. Any
 * other line break, which a well-formed header never has, becomes one space,
 * and a trailing one is dropped, so the result is always a single line.
 *
 * @param value A raw header value, possibly spanning several lines.
 * @returns The value on one line.
 *
 * @example Usage
 * ```ts
 * import { unfoldHeader } from "./mime_header.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(unfoldHeader("a long\r\n\tsubject\r\n"), "a long\tsubject");
 * ```
 */
export function unfoldHeader(value: string): string {
  if (value.indexOf("\n") === -1 && value.indexOf("\r") === -1) return value;
  let out = "";
  let start = 0;
  const length = value.length;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c !== 13 && c !== 10) continue;
    out += value.slice(start, i);
    if (c === 13 && value.charCodeAt(i + 1) === 10) i++;
    const next = value.charCodeAt(i + 1);
    if (next !== 32 && next !== 9 && i + 1 < length) out += " ";
    start = i + 1;
  }
  return out + value.slice(start);
}

/**
 * Decodes a header value for display: unfolds it, decodes raw 8-bit bytes
 * (UTF-8 when valid, else windows-1252) and RFC 2047 encoded words.
 *
 * - `B` (base64, padding optional) and `Q` (`_` is a space, `=XX` a byte)
 *   encodings, case-insensitive;
 * - any charset `TextDecoder` knows (UTF-8, ISO-8859-1…16, windows-125x,
 *   KOI8-R, Shift_JIS, EUC-JP, ISO-2022-JP, GBK, Big5…), names
 *   case-insensitive, an RFC 2231 language suffix (`utf-8*en`) ignored;
 * - whitespace between two adjacent encoded words is dropped, and the bytes of
 *   adjacent words in one charset are decoded together, so a character split
 *   across two words survives;
 * - a UTF-8 word whose bytes are not valid UTF-8 is read as windows-1252;
 * - a malformed word (bad base64) or one in an unknown charset is kept raw,
 *   and the function never throws.
 *
 * A string argument is taken as already-decoded text (as NNTP lines are);
 * only bytes go through the UTF-8 / windows-1252 guess. The decoded text is
 * not escaped: escape it for the place it goes (HTML, terminal) afterwards.
 *
 * @param value The raw header value, as text or bytes.
 * @returns The decoded text.
 *
 * @example Usage
 * ```ts
 * import { decodeHeader } from "./mime_header.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(decodeHeader("=?ISO-8859-1?Q?Caf=E9_cr=E8me?="), "Café crème");
 * assertEquals(decodeHeader("Re: =?UTF-8?B?R3LDvMOfZQ==?="), "Re: Grüße");
 * assertEquals(decodeHeader("=?x-unknown?Q?a?="), "=?x-unknown?Q?a?=");
 * ```
 */
export function decodeHeader(value: string | Uint8Array): string {
  const text = typeof value === "string" ? value : bytesToText(value);
  if (text.indexOf("=?") === -1) return unfoldHeader(text);
  return decodeEncodedWords(unfoldHeader(text));
}

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

function bytesToText(bytes: Uint8Array): string {
  if (isAscii(bytes)) return windows1252.decode(bytes);
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return windows1252.decode(bytes);
  }
}

/** Words waiting to be decoded together: adjacent, same charset. */
interface Pending {
  charset: Charset;
  chunks: Uint8Array[];
}

function decodeEncodedWords(text: string): string {
  const re = ENCODED_WORD_REGEXP;
  re.lastIndex = 0;
  let out = "";
  let last = 0;
  let pending: Pending | undefined;
  for (let m; (m = re.exec(text)) !== null;) {
    const resolved = resolveCharset(m[1]!);
    const bytes = resolved === null
      ? undefined
      : m[2] === "B" || m[2] === "b"
      ? decodeBase64(m[3]!)
      : decodeQ(m[3]!);
    if (resolved === null || bytes === undefined) {
      // Kept raw: it stays in the text between decoded words.
      continue;
    }
    const between = text.slice(last, m.index);
    if (pending !== undefined && isWhitespace(between)) {
      if (pending.charset.name === resolved.name) {
        pending.chunks.push(bytes);
      } else {
        out += flush(pending);
        pending = { charset: resolved, chunks: [bytes] };
      }
    } else {
      if (pending !== undefined) out += flush(pending);
      out += between;
      pending = { charset: resolved, chunks: [bytes] };
    }
    last = m.index + m[0].length;
  }
  if (pending === undefined) return text;
  return out + flush(pending) + text.slice(last);
}

function flush(pending: Pending): string {
  const { chunks } = pending;
  const bytes = concatBytes(chunks);
  if (bytes.length <= 256 && isAscii(bytes)) {
    // ASCII reads the same in every charset this accepts but UTF-16 and
    // the ISO-2022 family, whose escapes and pairs need the decoder.
    const c = pending.charset.name;
    if (!c.startsWith("utf-16") && !c.startsWith("iso-2022")) {
      return String.fromCharCode.apply(null, bytes as unknown as number[]);
    }
  }
  if (pending.charset.name === "utf-8") {
    try {
      return utf8Strict.decode(bytes);
    } catch {
      return windows1252.decode(bytes);
    }
  }
  if (pending.charset.name === "utf-16") return decodeUtf16(bytes);
  return pending.charset.decoder.decode(bytes);
}

const utf16le = new TextDecoder("utf-16le");
const utf16be = new TextDecoder("utf-16be");

/**
 * The MIME label `UTF-16` (RFC 2781 §4.3): a byte-order mark says the order
 * and is dropped; without one the text is big-endian. (The WHATWG label
 * `utf-16`, which `TextDecoder` follows, means little-endian.)
 */
function decodeUtf16(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return utf16le.decode(bytes);
  return utf16be.decode(bytes);
}

function isWhitespace(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10) return false;
  }
  return true;
}

function resolveCharset(raw: string): Charset | null {
  let resolved = charsets.get(raw);
  if (resolved === undefined) {
    const star = raw.indexOf("*");
    const lower = (star === -1 ? raw : raw.slice(0, star)).toLowerCase();
    const name = CHARSET_ALIASES[lower] ?? lower;
    const decoder = makeDecoder(name) ?? makeDecoder(name.replace(/_/g, "-"));
    resolved = decoder === null ? null : { name, decoder };
    // Bounded: a hostile group could name many charsets.
    if (charsets.size < 256) charsets.set(raw, resolved);
  }
  return resolved;
}

function makeDecoder(label: string): TextDecoder | null {
  try {
    return new TextDecoder(label);
  } catch {
    return null;
  }
}

function decodeBase64(text: string): Uint8Array | undefined {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61) end--;
  if (end % 4 === 1) return undefined;
  let binary: string;
  try {
    binary = atob(end === text.length ? text : text.slice(0, end));
  } catch {
    return undefined;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function decodeQ(text: string): Uint8Array | undefined {
  const bytes = new Uint8Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 95) {
      bytes[n++] = 32;
    } else if (c === 61) {
      const hi = hexValue(text.charCodeAt(i + 1));
      const lo = hexValue(text.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        bytes[n++] = hi * 16 + lo;
        i += 2;
      } else {
        bytes[n++] = 61; // a stray "=" is kept, as most readers do
      }
    } else if (c < 0x80) {
      bytes[n++] = c;
    } else {
      return undefined;
    }
  }
  return bytes.subarray(0, n);
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}
