/**
 * Byte strings: text with one character per byte (ISO-8859-1), the way
 * protocol heads and lines are kept so that bytes outside ASCII (obs-text,
 * a server's native file names) pass through unchanged. Both directions take
 * a fast path for ASCII, where UTF-8 and ISO-8859-1 agree.
 *
 * @module
 */

const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();
/** Bytes per `String.fromCharCode` call, well inside engine argument limits. */
const DECODE_SLICE = 8192;

/**
 * Decodes bytes one character per byte.
 *
 * @param bytes The bytes.
 * @returns A string whose character codes are the bytes.
 *
 * @example Usage
 * ```ts
 * import { decodeByteString } from "./_byte_string.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(decodeByteString(new Uint8Array([0x63, 0x61, 0x66, 0xe9])), "caf\u00e9");
 * ```
 */
export function decodeByteString(bytes: Uint8Array): string {
  const ascii = utf8Decoder.decode(bytes);
  // Only ASCII decodes to one character per byte and no U+FFFD.
  if (ascii.length === bytes.length && !ascii.includes("\uFFFD")) return ascii;
  let text = "";
  for (let i = 0; i < bytes.length; i += DECODE_SLICE) {
    const part = bytes.subarray(i, i + DECODE_SLICE);
    text += String.fromCharCode.apply(null, part as unknown as number[]);
  }
  return text;
}

/**
 * Writes `text` one byte per character into `out` at `offset`.
 *
 * @param text The text; each character must be at most U+00FF.
 * @param out The destination, with room for `text.length` bytes.
 * @param offset Where to start.
 * @returns The number of bytes written (`text.length`).
 * @throws {TypeError} When a character is past U+00FF.
 *
 * @example Usage
 * ```ts
 * import { writeByteString } from "./_byte_string.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const out = new Uint8Array(4);
 * assertEquals(writeByteString("caf\u00e9", out, 0), 4);
 * assertEquals([...out], [0x63, 0x61, 0x66, 0xe9]);
 * ```
 */
export function writeByteString(
  text: string,
  out: Uint8Array,
  offset: number,
): number {
  // Only ASCII text encodes to as many UTF-8 bytes as it has characters, so
  // no scan is needed to know (the window keeps a longer UTF-8 encoding from
  // writing past the text's own bytes).
  const window = out.subarray(offset, offset + text.length);
  const { read } = utf8Encoder.encodeInto(text, window);
  if (read === text.length && window.length === text.length) {
    return text.length;
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) {
      throw new TypeError(
        `Text holds a character past U+00FF: ${
          JSON.stringify(text.slice(Math.max(0, i - 20), i + 20))
        }`,
      );
    }
    out[offset + i] = c;
  }
  return text.length;
}
