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

/**
 * The timeout of one operation at a time on a connection, cheap enough for
 * every read: `begin()` reads no clock (in Deno 2.9 `performance.now()` is
 * an op, a few percent of a proxy's time), it only counts. One timer, armed
 * for at most `sliceMs` (and a quarter of the timeout) at a time, adds up
 * how long the same operation stays pending and re-arms itself while
 * operations keep finishing in time. With no operation pending it lapses at
 * its next check; `stop()` cancels it at once.
 *
 * @example Time out each read of a connection
 * ```ts ignore
 * const deadline = new OperationDeadline((op, ms) => conn.close());
 * deadline.begin("read", 5000);
 * try {
 *   await conn.read(buffer);
 * } finally {
 *   deadline.end();
 * }
 * ```
 */
export class OperationDeadline {
  #onExpire: (operation: string, ms: number) => void;
  #sliceMs: number;
  #operation: string | undefined;
  #ms = 0;
  /** Counts `begin()` calls, so a check can tell a new operation from an old one. */
  #seq = 0;
  #seenSeq = 0;
  /** How long the operation seen at the last check has been pending, at least. */
  #waited = 0;
  #slice = 0;
  #cancel: (() => void) | undefined;

  /**
   * Creates the deadline of a connection.
   *
   * @param onExpire Runs when an operation is still pending at its deadline.
   * @param sliceMs The longest the timer is armed for at once.
   */
  constructor(
    onExpire: (operation: string, ms: number) => void,
    sliceMs: number = Infinity,
  ) {
    this.#onExpire = onExpire;
    this.#sliceMs = sliceMs;
  }

  /**
   * Starts an operation that must end within `ms`. It reads no clock: the
   * timer counts how long one operation stays pending, so an operation
   * expires after `ms` and at most a quarter of `ms` (or one slice) more.
   *
   * @param operation What is waited for, for the error message.
   * @param ms Milliseconds allowed, `0` for no limit.
   */
  begin(operation: string, ms: number): void {
    this.#operation = operation;
    this.#seq++;
    if (ms <= 0) {
      this.#ms = 0;
      return;
    }
    this.#ms = ms;
    if (this.#cancel === undefined) {
      this.#seenSeq = this.#seq;
      this.#waited = 0;
      this.#slice = Math.min(this.#sliceMs, Math.max(1, ms / 4));
      this.#cancel = startTimer(this.#slice, this.#check);
    }
  }

  /** Ends the operation in progress. */
  end(): void {
    this.#operation = undefined;
  }

  /**
   * Whether an operation is in progress.
   *
   * @returns True between `begin()` and `end()`.
   */
  get pending(): boolean {
    return this.#operation !== undefined;
  }

  /** Cancels the timer now rather than at its next check. */
  stop(): void {
    const cancel = this.#cancel;
    if (cancel === undefined) return;
    this.#cancel = undefined;
    cancel();
  }

  #check = (): void => {
    this.#cancel = undefined;
    const operation = this.#operation;
    if (operation === undefined || this.#ms === 0) return;
    if (this.#seq !== this.#seenSeq) {
      // A newer operation began some time since the last check.
      this.#seenSeq = this.#seq;
      this.#waited = 0;
    } else {
      this.#waited += this.#slice;
    }
    if (this.#waited >= this.#ms) {
      this.#onExpire(operation, this.#ms);
      return;
    }
    this.#slice = Math.min(this.#sliceMs, Math.max(1, this.#ms / 4));
    this.#cancel = startTimer(this.#slice, this.#check);
  };
}
