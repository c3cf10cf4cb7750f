/**
 * Closing a socket, listener or file that may be closed already.
 *
 * @module
 */

/**
 * Closes `resource`, ignoring the error of one that is closed already.
 *
 * @param resource A connection, listener or file, or nothing.
 *
 * @example Usage
 * ```ts
 * import { closeQuietly } from "./_close.ts";
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * closeQuietly(listener);
 * closeQuietly(listener); // no BadResource
 * ```
 */
export function closeQuietly(resource: { close(): void } | undefined): void {
  try {
    resource?.close();
  } catch {
    // Already closed.
  }
}
