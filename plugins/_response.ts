/**
 * Helpers the built-in plugins share: a body stream that runs a cleanup when
 * it ends or is cancelled, and the mapping of protocol errors to statuses.
 *
 * @module
 */

import { ReplyError } from "../protocols/errors.ts";

/**
 * Wraps a stream so that `done` runs exactly once, when the stream ends,
 * fails or is cancelled (closing the connection behind it).
 *
 * @param stream The body.
 * @param done The cleanup.
 * @returns The wrapped body.
 */
export function closingBody(
  stream: ReadableStream<Uint8Array>,
  done: () => Promise<void> | void,
): ReadableStream<Uint8Array> {
  let finished = false;
  const finish = async () => {
    if (finished) return;
    finished = true;
    try {
      await done();
    } catch { /* cleanup is best effort */ }
  };
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
 * A plain-text error response for a failed protocol operation. Reply errors
 * keep the server's reply in an `x-inetkit-reply` header.
 *
 * @param status The HTTP-like status.
 * @param err The error.
 * @returns The response.
 */
export function errorResponse(status: number, err: unknown): Response {
  const message = err instanceof Error ? err.message : String(err);
  const headers = new Headers({ "content-type": "text/plain; charset=utf-8" });
  if (err instanceof ReplyError) {
    headers.set(
      "x-inetkit-reply",
      `${err.code} ${err.text.split("\n")[0]}`.slice(0, 200),
    );
  }
  return new Response(message + "\n", { status, headers });
}
