/**
 * Runs a snippet in a fresh `deno eval` process and waits for it to end on
 * its own: one that hangs is killed after 30 s, which shows as a signal.
 *
 * @module
 */

/** How a snippet's process ended. */
export interface EvalResult {
  /** Exit code. */
  code: number;
  /** The signal that killed it, `null` when it ended on its own. */
  signal: Deno.Signal | null;
  /** Its standard output, trimmed. */
  stdout: string;
}

/**
 * Runs `code` with `deno eval` and waits for the process to end.
 *
 * @example Check that a program exits by itself
 * ```ts ignore
 * const { signal } = await evalAlone("console.log(1)");
 * assertEquals(signal, null);
 * ```
 *
 * @param code The program.
 * @returns Exit code, killing signal and output.
 */
export async function evalAlone(code: string): Promise<EvalResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const guard = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    const { code: exit, signal, stdout } = await child.output();
    return {
      code: exit,
      signal,
      stdout: new TextDecoder().decode(stdout).trim(),
    };
  } finally {
    clearTimeout(guard);
  }
}
