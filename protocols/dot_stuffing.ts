/**
 * The dot-stuffing encoder of dot-terminated multi-line blocks (RFC 3977
 * §3.1.1, RFC 5321 §4.5.2): every line that begins with `.` gets another `.`
 * in front, line endings become CRLF, and the block ends with `.` on a line of
 * its own.
 *
 * The decoding side reads lines from the connection and lives in
 * `text_proto.ts`.
 *
 * @module
 */

const CR = 13;
const LF = 10;
const DOT = 46;

/**
 * Incremental dot-stuffing encoder: feed chunks with {@linkcode DotStuffer.push},
 * then call {@linkcode DotStuffer.end} for the terminator. Bare LF and bare CR
 * become CRLF; a CRLF split across chunks is handled.
 *
 * @example Usage
 * ```ts
 * import { DotStuffer } from "./dot_stuffing.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const enc = new DotStuffer();
 * const text = new TextDecoder();
 * const out = text.decode(enc.push(new TextEncoder().encode(".hidden\nline"))) +
 *   text.decode(enc.end());
 * assertEquals(out, "..hidden\r\nline\r\n.\r\n");
 * ```
 */
export class DotStuffer {
  #atLineStart = true;
  #pendingCr = false;

  /**
   * Encodes one chunk.
   *
   * @param chunk Raw bytes of the block.
   * @returns The encoded bytes (possibly empty).
   */
  push(chunk: Uint8Array): Uint8Array {
    // Worst case every byte doubles (a line of lone dots or bare LFs).
    const out = new Uint8Array(chunk.length * 2 + 2);
    let o = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.#pendingCr) {
        this.#pendingCr = false;
        out[o++] = CR;
        out[o++] = LF;
        this.#atLineStart = true;
        if (b === LF) continue;
      }
      if (b === CR) {
        this.#pendingCr = true;
        continue;
      }
      if (b === LF) {
        out[o++] = CR;
        out[o++] = LF;
        this.#atLineStart = true;
        continue;
      }
      if (this.#atLineStart && b === DOT) out[o++] = DOT;
      this.#atLineStart = false;
      out[o++] = b;
    }
    return out.subarray(0, o);
  }

  /**
   * Finishes the block: ends an unterminated last line and appends the
   * terminating `.` line.
   *
   * @returns The final bytes.
   */
  end(): Uint8Array {
    let tail = "";
    if (this.#pendingCr) {
      this.#pendingCr = false;
      tail += "\r\n";
      this.#atLineStart = true;
    }
    if (!this.#atLineStart) tail += "\r\n";
    this.#atLineStart = true;
    return new TextEncoder().encode(tail + ".\r\n");
  }
}

/**
 * Dot-stuffs a whole block at once.
 *
 * @param body The block's content; line endings may be LF or CRLF.
 * @returns The encoded block including the terminating `.` line.
 *
 * @example Usage
 * ```ts
 * import { dotStuff } from "./dot_stuffing.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(new TextDecoder().decode(dotStuff("a\n.\n..b")), "a\r\n..\r\n...b\r\n.\r\n");
 * ```
 */
export function dotStuff(body: string | Uint8Array): Uint8Array {
  const enc = new DotStuffer();
  const bytes = typeof body === "string"
    ? new TextEncoder().encode(body)
    : body;
  const head = enc.push(bytes);
  const tail = enc.end();
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}
