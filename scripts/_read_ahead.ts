/**
 * Read-ahead for request bodies that `Deno.serve` decodes from chunked
 * transfer coding.
 *
 * Deno 2.9's HTTP/1 server (the Deno-owned `http_h1` path) slows down
 * superlinearly on a chunked request body whose reader is slower than the
 * client: each read takes up to a read's worth from the socket but hands out
 * at most one HTTP chunk, the rest stays in a per-connection buffer, and each
 * read shifts that whole buffer. A proxy that awaits an upstream write between
 * reads hits it at once: 256 MiB from curl took 12 s and 177 MB of RSS, 1 GiB
 * 166 s and 284 MB. Content-Length bodies are not affected.
 *
 * {@linkcode readAhead} keeps exactly one small read pending on the body at
 * all times, independent of the consumer, copies what arrives into large
 * blocks (so small chunks leave as big writes) and stops reading once
 * `maxBuffered` bytes wait for the consumer, so memory stays bounded and the
 * client is slowed by TCP as it should be. Data already read is always
 * reachable by the consumer, even while the next read is pending, so a client
 * that sends a little and then waits for the answer is never stuck.
 *
 * @module
 */

/** Options for {@linkcode readAhead}. */
export interface ReadAheadOptions {
  /**
   * Bytes read but not yet taken by the consumer at which reading pauses.
   *
   * @default {4194304}
   */
  maxBuffered?: number;
  /**
   * Size of each read from the source (BYOB reads; a smaller read keeps
   * Deno's own buffer small).
   *
   * @default {16384}
   */
  readSize?: number;
  /**
   * Size of the blocks small reads are merged into.
   *
   * @default {1048576}
   */
  blockSize?: number;
}

/**
 * Wraps a body so that it is read ahead of its consumer, in bounded memory.
 *
 * @param source The body to read (a byte stream is read with BYOB reads into
 *   one reused buffer; any other stream with a default reader).
 * @param options Limits.
 * @returns A stream with the same bytes, in blocks of up to `blockSize`.
 *
 * @example Usage
 * ```ts
 * import { readAhead } from "./_read_ahead.ts";
 *
 * const body = readAhead(new Blob(["hello"]).stream());
 * console.log(await new Response(body).text()); // "hello"
 * ```
 */
export function readAhead(
  source: ReadableStream<Uint8Array>,
  options: ReadAheadOptions = {},
): ReadableStream<Uint8Array> {
  const maxBuffered = options.maxBuffered ?? 4 * 1024 * 1024;
  const readSize = options.readSize ?? 16 * 1024;
  const blockSize = Math.max(options.blockSize ?? 1024 * 1024, readSize);
  let byob: ReadableStreamBYOBReader | undefined;
  let plain: ReadableStreamDefaultReader<Uint8Array> | undefined;
  try {
    byob = source.getReader({ mode: "byob" });
  } catch {
    plain = source.getReader();
  }

  const ready: Uint8Array[] = [];
  let block = new Uint8Array(blockSize);
  let used = 0;
  let waiting = 0; // bytes in `ready` plus `used`
  let done = false;
  let cancelled = false;
  let failure: { error: unknown } | undefined;
  let wakeConsumer: (() => void) | undefined;
  let wakePump: (() => void) | undefined;

  const notifyConsumer = () => {
    const wake = wakeConsumer;
    wakeConsumer = undefined;
    wake?.();
  };
  const notifyPump = () => {
    const wake = wakePump;
    wakePump = undefined;
    wake?.();
  };

  const append = (bytes: Uint8Array) => {
    if (bytes.length > blockSize - used) {
      if (used > 0) ready.push(block.subarray(0, used));
      block = new Uint8Array(blockSize);
      used = 0;
    }
    if (bytes.length > blockSize) {
      // Only a default reader hands out more than a block; it is ours to keep.
      ready.push(bytes);
    } else {
      block.set(bytes, used);
      used += bytes.length;
    }
    waiting += bytes.length;
  };

  const pump = async () => {
    let scratch = new Uint8Array(readSize);
    try {
      while (!cancelled) {
        if (waiting >= maxBuffered) {
          await new Promise<void>((resolve) => wakePump = resolve);
          continue;
        }
        let result: ReadableStreamReadResult<Uint8Array>;
        if (byob) {
          result = await byob.read(scratch);
          // The read transferred the buffer; take it back for the next one.
          if (result.value) {
            scratch = new Uint8Array(result.value.buffer as ArrayBuffer);
          }
        } else {
          result = await plain!.read();
        }
        if (result.done) break;
        if (result.value.length) append(result.value);
        notifyConsumer();
      }
    } catch (error) {
      failure = { error };
    }
    done = true;
    notifyConsumer();
  };

  /** Takes what waits, largest pieces first; null when nothing does. */
  const take = (): Uint8Array | null => {
    let out: Uint8Array;
    if (ready.length) {
      out = ready.shift()!;
    } else if (used > 0) {
      if (used >= blockSize / 4) {
        out = block.subarray(0, used);
        block = new Uint8Array(blockSize);
      } else {
        // Small pieces are copied so the block can be reused.
        out = block.slice(0, used);
      }
      used = 0;
    } else {
      return null;
    }
    waiting -= out.length;
    if (waiting < maxBuffered) notifyPump();
    return out;
  };

  return new ReadableStream<Uint8Array>({
    start() {
      // Reading starts at once: the point is to drain the server's buffer.
      pump();
    },
    async pull(controller) {
      for (;;) {
        if (failure) {
          controller.error(failure.error);
          return;
        }
        const chunk = take();
        if (chunk) {
          controller.enqueue(chunk);
          return;
        }
        if (done) {
          controller.close();
          return;
        }
        await new Promise<void>((resolve) => wakeConsumer = resolve);
      }
    },
    async cancel(reason) {
      cancelled = true;
      notifyPump();
      await (byob ?? plain)!.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
