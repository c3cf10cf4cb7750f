/**
 * Writing a whole array to something whose `write()` may take only part of
 * it (a `Deno.Conn`, a `Deno.FsFile`, `Deno.stdout`).
 *
 * @module
 */

/** Anything with a `write(p)` like `Deno.Conn`: returns the bytes it took. */
export interface ByteSink {
  /**
   * Writes some of `p`.
   *
   * @param p The bytes.
   * @returns How many were written.
   */
  write(p: Uint8Array): Promise<number>;
}

/**
 * Writes all of `bytes`, calling `write()` again for what a short write left.
 *
 * @param sink Where the bytes go.
 * @param bytes The bytes.
 *
 * @example Usage
 * ```ts
 * import { writeAll } from "./write_all.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const got: number[] = [];
 * // A sink that takes at most two bytes per call.
 * const sink = {
 *   write(p: Uint8Array): Promise<number> {
 *     got.push(...p.subarray(0, 2));
 *     return Promise.resolve(Math.min(2, p.length));
 *   },
 * };
 * await writeAll(sink, new Uint8Array([1, 2, 3, 4, 5]));
 * assertEquals(got, [1, 2, 3, 4, 5]);
 * ```
 */
export function writeAll(
  sink: ByteSink,
  bytes: Uint8Array,
): Promise<void> {
  // Not an async function: the usual whole write costs one promise, not three.
  if (bytes.length === 0) return Promise.resolve();
  let written: Promise<number>;
  try {
    written = sink.write(bytes);
  } catch (err) {
    return Promise.reject(err);
  }
  return written.then((n) =>
    n >= bytes.length ? undefined : writeAll(sink, bytes.subarray(n))
  );
}
