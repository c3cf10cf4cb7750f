/**
 * A few big buffers shared by a server's connections, so that a connection
 * holds one only while it writes: a thousand idle keep-alive connections
 * that each once sent a big response keep no buffer each.
 *
 * @module
 */

/**
 * Buffers of one size, lent out and given back; at most `keep` wait free.
 *
 * @example Usage
 * ```ts
 * import { BufferPool } from "./_buffer_pool.ts";
 * import { assert, assertEquals } from "../tests/_assert.ts";
 *
 * const pool = new BufferPool(1024, 2);
 * const a = pool.take();
 * assertEquals(a.length, 1024);
 * pool.give(a);
 * assert(pool.take() === a, "a given-back buffer is lent again");
 * ```
 */
export class BufferPool {
  /** The length of every buffer. */
  readonly size: number;
  #keep: number;
  #free: Uint8Array[] = [];

  /**
   * Creates an empty pool.
   *
   * @param size The length of every buffer.
   * @param keep How many free buffers are kept at most.
   */
  constructor(size: number, keep: number) {
    this.size = size;
    this.#keep = keep;
  }

  /**
   * Lends a buffer: a free one, or a new one.
   *
   * @returns A buffer of {@linkcode BufferPool.size} bytes.
   */
  take(): Uint8Array {
    return this.#free.pop() ?? new Uint8Array(this.size);
  }

  /**
   * Gives a lent buffer back (a buffer of another size is dropped).
   *
   * @param buffer The buffer, no longer used by its borrower.
   */
  give(buffer: Uint8Array): void {
    if (buffer.length === this.size && this.#free.length < this.#keep) {
      this.#free.push(buffer);
    }
  }
}
