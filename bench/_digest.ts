/**
 * The sha256 of a benchmark job's data, only when asked for: `node:crypto`
 * is loaded then and not otherwise, so timed runs pay only what a fresh
 * process using our client pays.
 *
 * @module
 */

/** The part of `node:crypto`'s `Hash` the jobs use. */
export interface Digest {
  /** Adds bytes. */
  update(data: Uint8Array): unknown;
  /** The hex digest of all bytes added. */
  digest(encoding: "hex"): string;
}

/**
 * A sha256 digest when `wanted`, else `null`.
 *
 * @param wanted Whether the job was asked for `--sha256`.
 * @returns The digest, or `null`.
 *
 * @example Usage
 * ```ts ignore
 * import { sha256When } from "./_digest.ts";
 *
 * const hash = await sha256When(Deno.args.includes("--sha256"));
 * hash?.update(bytes);
 * ```
 */
export async function sha256When(wanted: boolean): Promise<Digest | null> {
  if (!wanted) return null;
  const { createHash } = await import("node:crypto");
  return createHash("sha256");
}
