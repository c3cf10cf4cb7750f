/**
 * Turns the raw body of a single-part news article into text for display:
 * undoes a quoted-printable or base64 Content-Transfer-Encoding and decodes
 * with the charset of Content-Type (UTF-8, falling back to windows-1252 for
 * bytes that are not valid UTF-8 when no charset is declared).
 *
 * @module
 */

const utf8Strict = new TextDecoder("utf-8", { fatal: true });

/** The header look-up this module needs. */
export interface HeaderSource {
  /**
   * The first value of a header field.
   *
   * @param name The field name.
   * @returns The raw value, or `undefined`.
   */
  get(name: string): string | undefined;
}

function charsetOf(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? "");
  return match?.[1];
}

function decodeQuotedPrintable(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let o = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b !== 61) {
      out[o++] = b;
      continue;
    }
    // Soft line break: "=" at the end of a line.
    if (bytes[i + 1] === 10) {
      i += 1;
      continue;
    }
    if (bytes[i + 1] === 13 && bytes[i + 2] === 10) {
      i += 2;
      continue;
    }
    const hex = String.fromCharCode(bytes[i + 1] ?? 0, bytes[i + 2] ?? 0);
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      out[o++] = parseInt(hex, 16);
      i += 2;
    } else {
      out[o++] = b;
    }
  }
  return out.subarray(0, o);
}

function decodeBase64(bytes: Uint8Array): Uint8Array | null {
  const text = new TextDecoder("latin1").decode(bytes).replace(
    /[^A-Za-z0-9+/]/g,
    "",
  );
  try {
    const padded = text + "=".repeat((4 - text.length % 4) % 4);
    const binary = atob(padded);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

function decodeText(bytes: Uint8Array, charset: string | undefined): string {
  if (charset) {
    try {
      return new TextDecoder(charset).decode(bytes);
    } catch {
      // Unknown label: fall through to the guess.
    }
  }
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return new TextDecoder("windows-1252").decode(bytes);
  }
}

/**
 * Decodes an article body for display.
 *
 * @param bytes The body as received (dot-stuffing undone, `\n` line ends).
 * @param headers The article's headers.
 * @returns The text.
 *
 * @example Usage
 * ```ts
 * import { decodeArticleBody } from "./_news_viewer_body.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const headers = new Map([
 *   ["content-type", "text/plain; charset=ISO-8859-1"],
 *   ["content-transfer-encoding", "quoted-printable"],
 * ]);
 * const body = new TextEncoder().encode("Caf=E9 cr=\n=E8me\n");
 * assertEquals(
 *   decodeArticleBody(body, { get: (n) => headers.get(n.toLowerCase()) }),
 *   "Café crème\n",
 * );
 * ```
 */
export function decodeArticleBody(
  bytes: Uint8Array,
  headers: HeaderSource,
): string {
  const encoding = (headers.get("Content-Transfer-Encoding") ?? "").trim()
    .toLowerCase();
  const charset = charsetOf(headers.get("Content-Type"));
  let raw = bytes;
  if (encoding === "quoted-printable") raw = decodeQuotedPrintable(bytes);
  else if (encoding === "base64") raw = decodeBase64(bytes) ?? bytes;
  return decodeText(raw, charset);
}
