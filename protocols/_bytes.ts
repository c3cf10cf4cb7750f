/**
 * Joining pieces of bytes into one array.
 *
 * @module
 */

/**
 * Copies `parts` one after another into a new array (or returns the only
 * part as it is).
 *
 * @param parts The pieces, in order.
 * @returns All their bytes in one array.
 *
 * @example Usage
 * ```ts
 * import { concatBytes } from "./_bytes.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const joined = concatBytes([new Uint8Array([1, 2]), new Uint8Array([3])]);
 * assertEquals([...joined], [1, 2, 3]);
 * ```
 */
export function concatBytes<T extends ArrayBufferLike>(
  parts: readonly Uint8Array<T>[],
): Uint8Array<T | ArrayBuffer> {
  if (parts.length === 1) return parts[0]!;
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
