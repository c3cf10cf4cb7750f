/**
 * Number formatting for the news viewer's page and progress line, without
 * `Intl`: the first `toLocaleString()` of a process loads ICU data, about
 * 15 ms of a run that takes a few hundred.
 *
 * @module
 */

/**
 * Formats a count with commas between groups of three digits, as
 * `toLocaleString("en-US")` does for integers.
 *
 * @param n The count; a non-integer is rounded, and NaN or an infinity is
 * written as `String(n)` gives it.
 * @returns The text.
 *
 * @example Usage
 * ```ts
 * import { formatCount } from "./_news_format.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(formatCount(1234567), "1,234,567");
 * assertEquals(formatCount(-1000), "-1,000");
 * assertEquals(formatCount(999), "999");
 * ```
 */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const rounded = Math.round(n);
  const digits = String(Math.abs(rounded));
  if (digits.includes("e")) return String(rounded);
  let out = "";
  let i = digits.length % 3 || 3;
  out = digits.slice(0, i);
  for (; i < digits.length; i += 3) out += "," + digits.slice(i, i + 3);
  return rounded < 0 ? "-" + out : out;
}
