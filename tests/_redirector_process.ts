/**
 * Runs `scripts/redirector.ts` as its own process, the way a user does, for
 * tests that need a real process: signals, peak memory, curl as the client.
 *
 * @module
 */

const SCRIPT = new URL("../scripts/redirector.ts", import.meta.url).pathname;

/** A running redirector process. */
export interface RedirectorProcess {
  /** The front URL, `http://127.0.0.1:PORT`. */
  url: string;
  /** Its process id. */
  pid: number;
  /** Access-log lines (stdout after the start-up lines) seen so far. */
  lines: string[];
  /** Waits until `count` access-log lines have been printed. */
  waitForLines(count: number): Promise<void>;
  /** Sends a signal. */
  kill(signal: Deno.Signal): void;
  /** Waits for the exit and returns the code and what it wrote to stderr. */
  exited(): Promise<{ code: number; stderr: string }>;
  /** Kills it (if still running) and waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Starts the redirector on a free loopback port in front of `upstream`.
 *
 * @param upstream The upstream URL.
 * @param extra More command-line options.
 * @returns The running process, once it listens.
 */
export async function startRedirectorProcess(
  upstream: string,
  extra: string[] = [],
): Promise<RedirectorProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      SCRIPT,
      upstream,
      "--port",
      "0",
      ...extra,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderrText = new Response(child.stderr).text();
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let resolveUrl!: (url: string) => void;
  let rejectUrl!: (error: Error) => void;
  const listening = new Promise<string>((resolve, reject) => {
    resolveUrl = resolve;
    rejectUrl = reject;
  });
  let started = false;
  const pump = (async () => {
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let pending = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      pending += value;
      let nl;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const serving = /^Serving HTTP on (http:\/\/[^/]+)\//.exec(line);
        if (!started && serving) {
          started = true;
          resolveUrl(serving[1]!);
        } else if (started) {
          lines.push(line);
          for (const wake of waiters.splice(0)) wake();
        }
      }
    }
    if (!started) {
      rejectUrl(new Error("The redirector exited before listening"));
    }
    for (const wake of waiters.splice(0)) wake();
  })();
  const status = child.status;
  let url: string;
  try {
    url = await listening;
  } catch (error) {
    await pump;
    await status;
    throw new Error(`${(error as Error).message}: ${await stderrText}`);
  }
  let exitedOnce: Promise<{ code: number; stderr: string }> | undefined;
  const exited = () =>
    exitedOnce ??= (async () => {
      const { code } = await status;
      await pump;
      return { code, stderr: await stderrText };
    })();
  return {
    url,
    pid: child.pid,
    lines,
    async waitForLines(count: number): Promise<void> {
      while (lines.length < count) {
        const done = await Promise.race([
          new Promise<boolean>((resolve) => waiters.push(() => resolve(false))),
          status.then(() => true),
        ]);
        if (done) {
          await pump;
          if (lines.length < count) {
            throw new Error(
              `The redirector exited after ${lines.length} of ${count} log lines`,
            );
          }
        }
      }
    },
    kill(signal: Deno.Signal): void {
      child.kill(signal);
    },
    exited,
    async stop(): Promise<void> {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await exited();
    },
  };
}

/**
 * Reads a process's memory figures from `/proc` (Linux only).
 *
 * @param pid The process.
 * @returns Current (`VmRSS`) and peak (`VmHWM`) resident set in KiB.
 */
export async function memoryOf(
  pid: number,
): Promise<{ rssKiB: number; peakKiB: number }> {
  // Deno wants --allow-all to read /proc itself; cat needs only --allow-run.
  const out = await new Deno.Command("cat", {
    args: [`/proc/${pid}/status`],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!out.success) throw new Error(`Cannot read /proc/${pid}/status`);
  const status = new TextDecoder().decode(out.stdout);
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status);
    if (!match) throw new Error(`No ${name} in /proc/${pid}/status`);
    return Number(match[1]);
  };
  return { rssKiB: field("VmRSS"), peakKiB: field("VmHWM") };
}
