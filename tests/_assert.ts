/**
 * Typed assertion helpers for the test suite.
 *
 * The std assert module is not reachable as a typed JSR package on our
 * machines, so the tests use these small, dependency-free helpers.
 *
 * @module
 */

/** Error thrown when an assertion fails. */
export class AssertionError extends Error {
  override name = "AssertionError";
}

function show(value: unknown): string {
  try {
    return Deno.inspect(value, {
      depth: 8,
      colors: false,
      strAbbreviateSize: 400,
    });
  } catch {
    return String(value);
  }
}

function deepEqual(
  a: unknown,
  b: unknown,
  seen = new Map<unknown, unknown>(),
): boolean {
  if (Object.is(a, b)) return true;
  if (
    typeof a !== "object" || typeof b !== "object" || a === null || b === null
  ) {
    return false;
  }
  if (seen.get(a) === b) return true;
  seen.set(a, b);
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Date && b instanceof Date) {
    return a.getTime() === b.getTime();
  }
  if (a instanceof RegExp && b instanceof RegExp) {
    return String(a) === String(b);
  }
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) {
      if (!b.has(k) || !deepEqual(v, b.get(k), seen)) return false;
    }
    return true;
  }
  if (a instanceof Set && b instanceof Set) {
    if (a.size !== b.size) return false;
    for (const v of a) if (!b.has(v)) return false;
    return true;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length !== b.length) {
    return false;
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (
      !deepEqual(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        seen,
      )
    ) return false;
  }
  return true;
}

/** Asserts that `expr` is truthy. */
export function assert(
  expr: unknown,
  msg = "Expected a truthy value",
): asserts expr {
  if (!expr) throw new AssertionError(msg);
}

/** Asserts deep equality of two values. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  if (!deepEqual(actual, expected)) {
    throw new AssertionError(
      `${msg ? msg + ": " : ""}Values are not equal\n  actual:   ${
        show(actual)
      }\n  expected: ${show(expected)}`,
    );
  }
}

/** Asserts that two values are not deeply equal. */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  if (deepEqual(actual, expected)) {
    throw new AssertionError(
      `${msg ? msg + ": " : ""}Values are equal: ${show(actual)}`,
    );
  }
}

/** Asserts that `actual` contains `expected`. */
export function assertStringIncludes(
  actual: string,
  expected: string,
  msg?: string,
): void {
  if (!actual.includes(expected)) {
    throw new AssertionError(
      `${msg ? msg + ": " : ""}Expected ${show(actual)} to include ${
        show(expected)
      }`,
    );
  }
}

/** Asserts that `actual` matches `re`. */
export function assertMatch(actual: string, re: RegExp, msg?: string): void {
  if (!re.test(actual)) {
    throw new AssertionError(
      `${msg ? msg + ": " : ""}Expected ${show(actual)} to match ${re}`,
    );
  }
}

// deno-lint-ignore no-explicit-any
type ErrorClass<E extends Error> = new (...args: any[]) => E;

function checkError<E extends Error>(
  err: unknown,
  cls?: ErrorClass<E>,
  includes?: string,
): E {
  if (!(err instanceof Error)) {
    throw new AssertionError(
      `Expected an Error to be thrown, got ${show(err)}`,
    );
  }
  if (cls && !(err instanceof cls)) {
    throw new AssertionError(
      `Expected error of class "${cls.name}", got "${err.constructor.name}": ${err.message}`,
    );
  }
  if (includes !== undefined && !err.message.includes(includes)) {
    throw new AssertionError(
      `Expected error message to include ${show(includes)}, got ${
        show(err.message)
      }`,
    );
  }
  return err as E;
}

/** Asserts that `fn` throws (optionally an instance of `cls` whose message includes `includes`). */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  cls?: ErrorClass<E>,
  includes?: string,
): E {
  try {
    fn();
  } catch (err) {
    return checkError(err, cls, includes);
  }
  throw new AssertionError("Expected function to throw");
}

/** Asserts that `fn` (or the promise) rejects, and returns the error. */
export async function assertRejects<E extends Error = Error>(
  fn: (() => PromiseLike<unknown>) | PromiseLike<unknown>,
  cls?: ErrorClass<E>,
  includes?: string,
): Promise<E> {
  try {
    await (typeof fn === "function" ? fn() : fn);
  } catch (err) {
    return checkError(err, cls, includes);
  }
  throw new AssertionError("Expected promise to reject");
}

/** Asserts that `actual` is an instance of `cls`. */
export function assertInstanceOf<T>(
  actual: unknown,
  // deno-lint-ignore no-explicit-any
  cls: new (...args: any[]) => T,
  msg?: string,
): asserts actual is T {
  if (!(actual instanceof cls)) {
    throw new AssertionError(
      `${msg ? msg + ": " : ""}Expected instance of "${cls.name}", got ${
        show(actual)
      }`,
    );
  }
}
