/**
 * Timeouts without `setTimeout`. In Deno 2.9 `setTimeout` returns Node's
 * `Timeout` object, and its first call in a process loads Node's timers and
 * process modules: about 8 ms before the first byte of every short command
 * line job (a `get.ts`, a 100 MiB download that takes 40 ms). This module
 * keeps one `AbortSignal.timeout()` armed for the earliest deadline of all
 * pending timers and runs them from it. Such a signal keeps the process
 * alive only while it has an `abort` listener, so the listener is removed
 * whenever no timer is pending: a finished program exits at once, and a
 * cancelled timer costs no new signal.
 *
 * @module
 */

/** One pending timer. */
interface Entry {
  /** When it is due, on the `performance.now()` clock. */
  at: number;
  /** What runs then. */
  fire: () => void;
}

const entries = new Set<Entry>();
let armed: AbortSignal | undefined;
let armedAt = Infinity;
let listening = false;

function onAbort(): void {
  armed = undefined;
  armedAt = Infinity;
  listening = false;
  runDue();
}

function arm(at: number, now: number): void {
  if (armed && listening) armed.removeEventListener("abort", onAbort);
  armed = AbortSignal.timeout(Math.max(0, Math.ceil(at - now)));
  armedAt = at;
  armed.addEventListener("abort", onAbort, { once: true });
  listening = true;
}

function runDue(): void {
  const now = performance.now();
  const due: Entry[] = [];
  let next = Infinity;
  for (const entry of entries) {
    // The signal counts whole milliseconds: up to one early is due.
    if (entry.at <= now + 1) due.push(entry);
    else if (entry.at < next) next = entry.at;
  }
  for (const entry of due) entries.delete(entry);
  if (next !== Infinity) arm(next, now);
  for (const entry of due) {
    try {
      entry.fire();
    } catch (err) {
      reportError(err);
    }
  }
}

/**
 * Runs `fire` once after `ms` milliseconds unless cancelled first. While it
 * is pending it keeps the process alive, as `setTimeout` does.
 *
 * @example Time out a read
 * ```ts ignore
 * const cancel = startTimer(5000, () => conn.close());
 * try {
 *   await conn.read(buffer);
 * } finally {
 *   cancel();
 * }
 * ```
 *
 * @param ms Milliseconds from now (at least 0).
 * @param fire What runs when the time is up; an error it throws is reported, not thrown.
 * @returns Cancels the timer; safe to call more than once, and after it fired.
 */
export function startTimer(ms: number, fire: () => void): () => void {
  const now = performance.now();
  const entry: Entry = { at: now + Math.max(0, ms), fire };
  entries.add(entry);
  if (!armed || armed.aborted || entry.at < armedAt) {
    arm(entry.at, now);
  } else if (!listening) {
    armed.addEventListener("abort", onAbort, { once: true });
    listening = true;
  }
  return () => {
    if (!entries.delete(entry) || entries.size > 0) return;
    if (armed && listening) {
      armed.removeEventListener("abort", onAbort);
      listening = false;
    }
  };
}

/**
 * Runs `fire` every `ms` milliseconds until cancelled.
 *
 * @example Keep a control connection alive
 * ```ts ignore
 * const stop = startInterval(60_000, () => void sendNoop());
 * // ... later
 * stop();
 * ```
 *
 * @param ms The period in milliseconds (at least 1).
 * @param fire What runs each time.
 * @returns Stops the interval; safe to call more than once.
 */
export function startInterval(ms: number, fire: () => void): () => void {
  let stopped = false;
  let cancel = (): void => {};
  const tick = (): void => {
    if (stopped) return;
    cancel = startTimer(Math.max(1, ms), tick);
    fire();
  };
  cancel = startTimer(Math.max(1, ms), tick);
  return () => {
    stopped = true;
    cancel();
  };
}
