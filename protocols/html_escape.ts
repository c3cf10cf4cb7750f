/**
 * HTML escaping for text placed in element content or in quoted attribute
 * values.
 *
 * @module
 */

const HTML_SPECIAL_REGEXP = /[&<>"']/;
const HTML_SPECIAL_GLOBAL_REGEXP = /[&<>"']/g;

const ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function entity(c: string): string {
  return ENTITIES[c]!;
}

/**
 * Escapes `&`, `<`, `>`, `"` and `'` so that any text, attacker-controlled
 * included, stays text in HTML element content and in attribute values
 * quoted with either `"` or `'`. Text that is already escaped is escaped
 * again (`&amp;` becomes `&amp;amp;`), which is what displaying it needs.
 *
 * Decode first (RFC 2047, charsets), escape last.
 *
 * @param s The text.
 * @returns The HTML-safe text.
 *
 * @example Usage
 * ```ts
 * import { escapeHtml } from "./html_escape.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(
 *   escapeHtml(`<b title='x'>Tom & "Jerry"</b>`),
 *   "&lt;b title=&#39;x&#39;&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;",
 * );
 * ```
 */
export function escapeHtml(s: string): string {
  if (!HTML_SPECIAL_REGEXP.test(s)) return s;
  return s.replace(HTML_SPECIAL_GLOBAL_REGEXP, entity);
}
