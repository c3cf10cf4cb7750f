/**
 * The head of a news article as an ordered list of header fields, with folded
 * lines joined (RFC 5322 §2.2.3) and case-insensitive look-up.
 *
 * @module
 */

/** One header field, in the order the article carries it. */
export interface NntpHeaderField {
  /** The field name as sent, such as `"Subject"`. */
  name: string;
  /** The raw value, unfolded (line breaks removed, whitespace kept), not RFC 2047 decoded. */
  value: string;
}

/**
 * The header fields of an article, in order; duplicates are kept.
 *
 * @example Usage
 * ```ts
 * import { ArticleHeaders } from "./_nntp_headers.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const headers = ArticleHeaders.parse([
 *   "Subject: a long",
 *   "\tsubject",
 *   "Newsgroups: local.test",
 * ]);
 * assertEquals(headers.get("subject"), "a long\tsubject");
 * assertEquals(headers.fields.length, 2);
 * ```
 */
export class ArticleHeaders implements Iterable<NntpHeaderField> {
  /** Every field, in order. */
  readonly fields: readonly NntpHeaderField[];

  /**
   * Wraps a list of fields.
   *
   * @param fields The fields, in order.
   */
  constructor(fields: readonly NntpHeaderField[]) {
    this.fields = fields;
  }

  /**
   * Parses header lines (without line endings, the blank separator line
   * excluded). A line that starts with a space or a tab continues the
   * previous field; a line without a colon is kept as a field with an empty
   * name rather than dropped.
   *
   * @param lines The head's lines.
   * @returns The parsed headers.
   */
  static parse(lines: Iterable<string>): ArticleHeaders {
    const fields: NntpHeaderField[] = [];
    for (const line of lines) {
      const first = line.charCodeAt(0);
      const last = fields[fields.length - 1];
      if ((first === 32 || first === 9) && last) {
        last.value += line;
        continue;
      }
      const colon = line.indexOf(":");
      if (colon <= 0) {
        fields.push({ name: "", value: line });
        continue;
      }
      fields.push({
        name: line.slice(0, colon).trimEnd(),
        value: line.slice(colon + 1).trimStart(),
      });
    }
    return new ArticleHeaders(fields);
  }

  /**
   * The first value of a field.
   *
   * @param name The field name, in any case.
   * @returns The raw value, or `undefined` when absent.
   */
  get(name: string): string | undefined {
    const wanted = name.toLowerCase();
    return this.fields.find((f) => f.name.toLowerCase() === wanted)?.value;
  }

  /**
   * Every value of a field, in order.
   *
   * @param name The field name, in any case.
   * @returns The raw values (empty when absent).
   */
  getAll(name: string): string[] {
    const wanted = name.toLowerCase();
    return this.fields.filter((f) => f.name.toLowerCase() === wanted).map((
      f,
    ) => f.value);
  }

  /**
   * Tells whether a field is present.
   *
   * @param name The field name, in any case.
   * @returns Whether at least one such field exists.
   */
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /**
   * Iterates over the fields in order.
   *
   * @returns An iterator of fields.
   */
  [Symbol.iterator](): Iterator<NntpHeaderField> {
    return this.fields[Symbol.iterator]();
  }
}
