/**
 * Helpers the built-in plugins share: a body stream that runs a cleanup when
 * it ends or is cancelled, a stream with a prefix, and the error response of
 * a refused operation.
 *
 * @module
 */

import { ReplyError } from "../protocols/errors.ts";

/**
 * Wraps a stream so that `done` runs exactly once, when the stream ends,
 * fails or is cancelled (closing the connection behind it). The wrapper
 * pulls only when its reader asks, so a slow consumer slows the transfer.
 *
 * @param stream The body.
 * @param done The cleanup.
 * @returns The wrapped body.
 *
 * @example Usage
 * ```ts
 * import { closingBody } from "./_response.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * let closed = 0;
 * const body = closingBody(new Response("abc").body!, () => {
 *   closed++;
 * });
 * assertEquals(await new Response(body).text(), "abc");
 * assertEquals(closed, 1);
 * ```
 */
export function closingBody(
  stream: ReadableStream<Uint8Array>,
  done: () => Promise<void> | void,
): ReadableStream<Uint8Array> {
  let finished = false;
  async function finish(): Promise<void> {
    if (finished) return;
    finished = true;
    try {
      await done();
    } catch { /* cleanup is best effort */ }
  }
  const reader = stream.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done: end } = await reader.read();
        if (end) {
          await finish();
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (err) {
        await finish();
        controller.error(err);
      }
    },
    async cancel(reason) {
      try {
        await reader.cancel(reason);
      } catch { /* already failed */ }
      await finish();
    },
  }, { highWaterMark: 0 });
}

/**
 * A stream of `prefix` followed by the chunks of `stream`, pulled one at a
 * time; cancelling it cancels `stream`.
 *
 * @param prefix The first bytes.
 * @param stream The rest.
 * @returns The joined stream.
 *
 * @example Usage
 * ```ts
 * import { prefixedBody } from "./_response.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const body = prefixedBody(new TextEncoder().encode("head\n"), new Response("body").body!);
 * assertEquals(await new Response(body).text(), "head\nbody");
 * ```
 */
export function prefixedBody(
  prefix: Uint8Array,
  stream: ReadableStream<Uint8Array>,
): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!reader) {
        reader = stream.getReader();
        if (prefix.byteLength) {
          controller.enqueue(prefix);
          return;
        }
      }
      const { value, done } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel(reason) {
      await (reader ?? stream).cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/**
 * A plain-text error response for an operation the server refused; the
 * server's reply goes into an `x-inetkit-reply` header (first line, at most
 * 200 characters, controls replaced).
 *
 * @param status The HTTP-like status.
 * @param err The error.
 * @returns The response.
 *
 * @example Usage
 * ```ts
 * import { errorResponse } from "./_response.ts";
 * import { ReplyError } from "../protocols/errors.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const res = errorResponse(404, new ReplyError({ code: 550, text: "No such file", lines: ["550 No such file"] }));
 * assertEquals(res.headers.get("x-inetkit-reply"), "550 No such file");
 * ```
 */
export function errorResponse(status: number, err: unknown): Response {
  const message = err instanceof Error ? err.message : String(err);
  const headers = new Headers({ "content-type": "text/plain; charset=utf-8" });
  if (err instanceof ReplyError) {
    const first = err.text.split("\n", 1)[0] ?? "";
    headers.set(
      "x-inetkit-reply",
      `${err.code} ${first}`.slice(0, 200).replace(/[^\x20-\x7e]/g, "?"),
    );
  }
  return new Response(message + "\n", { status, headers });
}
