/**
 * Score files for `news_viewer.ts --score FILE`, in the spirit of slrn's and
 * tin's: rules that add points to articles whose headers match, to mark
 * them hot or hide them.
 *
 * ```text
 * # news_viewer score file
 * # <Field>: <pattern> = <score>
 * Subject: deno|node = +100
 * From: spammer@example\.invalid = -9999
 *
 * [comp.lang.*, !comp.lang.c]
 * Subject: \bbenchmark = +50
 *
 * [*]
 * Xref: local\.test.*local\.big = -10
 * ```
 *
 * - A rule is `Field: pattern = score`. The field is a header name of the
 *   overview (`Subject`, `From`, `Date`, `Message-ID`, `References`, `Xref`,
 *   …; any case). The pattern is a JavaScript regular expression matched
 *   case-insensitively anywhere in the decoded value; it runs up to the last
 *   `=` of the line, surrounding spaces trimmed. The score is a signed whole
 *   number (`+100`, `-9999`, `5`).
 * - The scores of all matching rules add up. An article is hot at
 *   {@linkcode SCORE_HOT} (+100) or more and hidden at {@linkcode SCORE_HIDE}
 *   (-1000) or less.
 * - `[patterns]` starts a section whose rules apply only to groups matching
 *   the comma-separated wildmats (`*`, `?`, `[…]`; a leading `!` excludes;
 *   the last matching pattern decides, as in INN's uwildmat). `[*]` makes the
 *   rules that follow apply to every group again.
 * - Blank lines and lines starting with `#` are ignored.
 *
 * Guards against patterns that could take exponential or high polynomial
 * time on a long hostile header (subjects are attacker-controlled): a pattern
 * is at most {@linkcode MAX_PATTERN_LENGTH} characters, may not repeat (`*`,
 * `+`, `{n,}`) a group that itself contains a repetition or an alternative,
 * may not use back-references, and has at most two unbounded repetitions
 * (`*`, `+`, `{n,}`, `{n,m}` with m over 16). Only the first
 * {@linkcode MAX_SCORED_TEXT_LENGTH} characters of a value are matched, and
 * only the first {@linkcode MAX_SCORED_TEXT_LENGTH_TWO_REPETITIONS} for a
 * pattern with two unbounded repetitions (`.*.*x` backtracks cubically).
 *
 * @module
 */

/**
 * Score at or above which an article is hot.
 *
 * @example Usage
 * ```ts
 * import { parseScoreFile, SCORE_HOT, scoreArticle } from "./_score.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const rules = parseScoreFile("Subject: deno = +100");
 * assertEquals(scoreArticle(rules, { subject: "Deno" }) >= SCORE_HOT, true);
 * ```
 */
export const SCORE_HOT: number = 100;

/**
 * Score at or below which an article is hidden.
 *
 * @example Usage
 * ```ts
 * import { parseScoreFile, SCORE_HIDE, scoreArticle } from "./_score.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const rules = parseScoreFile("From: spammer = -9999");
 * assertEquals(scoreArticle(rules, { from: "spammer" }) <= SCORE_HIDE, true);
 * ```
 */
export const SCORE_HIDE: number = -1000;

/**
 * Longest pattern accepted in a score file.
 *
 * @example Usage
 * ```ts
 * import { MAX_PATTERN_LENGTH, parseScoreFile } from "./_score.ts";
 * import { assertThrows } from "../tests/_assert.ts";
 *
 * const long = "a".repeat(MAX_PATTERN_LENGTH + 1);
 * assertThrows(() => parseScoreFile(`Subject: ${long} = 1`), SyntaxError);
 * ```
 */
export const MAX_PATTERN_LENGTH: number = 256;

/**
 * Characters of a header value that patterns are matched against.
 *
 * @example Usage
 * ```ts
 * import { MAX_SCORED_TEXT_LENGTH, parseScoreFile, scoreArticle } from "./_score.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const rules = parseScoreFile("Subject: deno = 1");
 * const subject = "x".repeat(MAX_SCORED_TEXT_LENGTH) + "deno";
 * assertEquals(scoreArticle(rules, { subject }), 0);
 * ```
 */
export const MAX_SCORED_TEXT_LENGTH: number = 2048;

/**
 * Characters of a header value matched by a pattern with two unbounded
 * repetitions (such as `deno.*runtime.*2`), whose backtracking grows with the
 * cube of the length.
 *
 * @example Usage
 * ```ts
 * import {
 *   MAX_SCORED_TEXT_LENGTH_TWO_REPETITIONS,
 *   parseScoreFile,
 *   scoreArticle,
 * } from "./_score.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const rules = parseScoreFile("Subject: a.*b.*c = 1");
 * const subject = "x".repeat(MAX_SCORED_TEXT_LENGTH_TWO_REPETITIONS) + "abc";
 * assertEquals(scoreArticle(rules, { subject }), 0);
 * assertEquals(rules[0]!.maxTextLength, MAX_SCORED_TEXT_LENGTH_TWO_REPETITIONS);
 * ```
 */
export const MAX_SCORED_TEXT_LENGTH_TWO_REPETITIONS: number = 256;

/** Unbounded repetitions a pattern may have. */
const MAX_UNBOUNDED_REPETITIONS = 2;

/** A `{n,m}` bound above this counts as unbounded. */
const LARGE_BOUND = 16;

/** One rule of a score file. */
export interface ScoreRule {
  /** The header name, lowercased (`"subject"`, `"message-id"`). */
  field: string;
  /** The pattern, case-insensitive. */
  pattern: RegExp;
  /** Points added when the pattern matches. */
  score: number;
  /** The group wildmats of the rule's section; absent for every group. */
  groups?: readonly string[];
  /** The line of the rule in the file, from 1. */
  line: number;
  /**
   * Characters of the value the pattern is matched against.
   *
   * @default {MAX_SCORED_TEXT_LENGTH}
   */
  maxTextLength?: number;
}

/** The header values of one article, keyed by lowercased header name. */
export type ScoreFields = Readonly<Record<string, string | undefined>>;

/** Options for {@linkcode scoreArticle}. */
export interface ScoreOptions {
  /**
   * The group the article is read in. Rules in a `[section]` apply only
   * when it is given and matches.
   */
  group?: string;
}

/**
 * A score file line that cannot be parsed; `line` is its number, from 1.
 *
 * @example Usage
 * ```ts
 * import { parseScoreFile, ScoreFileSyntaxError } from "./_score.ts";
 * import { assertEquals, assertThrows } from "../tests/_assert.ts";
 *
 * const err = assertThrows(
 *   () => parseScoreFile("# rules\nSubject: (oops = 5"),
 *   ScoreFileSyntaxError,
 * );
 * assertEquals(err.line, 2);
 * ```
 */
export class ScoreFileSyntaxError extends SyntaxError {
  /** The line, from 1. */
  line: number;

  /**
   * Creates the error.
   *
   * @param line The line, from 1.
   * @param message What is wrong.
   * @param options The cause, if any.
   */
  constructor(line: number, message: string, options?: ErrorOptions) {
    super(`Invalid score file line ${line}: ${message}`, options);
    this.name = "ScoreFileSyntaxError";
    this.line = line;
  }
}

const FIELD_REGEXP = /^[A-Za-z][A-Za-z0-9-]*$/;
const SCORE_REGEXP = /^[+-]?\d{1,9}$/;

/**
 * Parses a score file (format in the module documentation).
 *
 * @param text The file's content.
 * @returns The rules, in file order.
 * @throws {ScoreFileSyntaxError} A `SyntaxError` carrying the line number,
 * for a line that is not a rule, a section or a comment, an invalid or
 * too-long pattern, one that could take exponential time, or a bad score.
 *
 * @example Usage
 * ```ts
 * import { parseScoreFile, scoreArticle } from "./_score.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const rules = parseScoreFile([
 *   "# hot topics",
 *   "Subject: \\bdeno\\b = +100",
 *   "From: spammer = -9999",
 * ].join("\n"));
 * assertEquals(scoreArticle(rules, { subject: "Re: DENO 2.0", from: "Ann" }), 100);
 * ```
 */
export function parseScoreFile(text: string): ScoreRule[] {
  const rules: ScoreRule[] = [];
  let groups: readonly string[] | undefined;
  const lines = text.split(/\r?\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const number = i + 1;
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("[")) {
      if (!line.endsWith("]")) {
        throw new ScoreFileSyntaxError(number, `unclosed section "${line}"`);
      }
      const patterns = line.slice(1, -1).split(",").map((p) => p.trim());
      if (patterns.some((p) => p === "" || p === "!")) {
        throw new ScoreFileSyntaxError(
          number,
          `empty group pattern in "${line}"`,
        );
      }
      groups = patterns.length === 1 && patterns[0] === "*"
        ? undefined
        : patterns;
      continue;
    }
    const colon = line.indexOf(":");
    const equals = line.lastIndexOf("=");
    if (colon <= 0 || equals < colon) {
      throw new ScoreFileSyntaxError(
        number,
        `expected "Field: pattern = score", got "${line}"`,
      );
    }
    const field = line.slice(0, colon).trim();
    if (!FIELD_REGEXP.test(field)) {
      throw new ScoreFileSyntaxError(number, `invalid field name "${field}"`);
    }
    const source = line.slice(colon + 1, equals).trim();
    const scoreText = line.slice(equals + 1).trim();
    if (!SCORE_REGEXP.test(scoreText)) {
      throw new ScoreFileSyntaxError(
        number,
        `invalid score "${scoreText}": expected a whole number such as +100 or -9999`,
      );
    }
    const [pattern, repetitions] = compilePattern(source, number);
    const rule: ScoreRule = {
      field: field.toLowerCase(),
      pattern,
      score: Number(scoreText),
      line: number,
    };
    if (groups !== undefined) rule.groups = groups;
    if (repetitions >= MAX_UNBOUNDED_REPETITIONS) {
      rule.maxTextLength = MAX_SCORED_TEXT_LENGTH_TWO_REPETITIONS;
    }
    rules.push(rule);
  }
  return rules;
}

/** The compiled pattern and its number of unbounded repetitions. */
function compilePattern(source: string, line: number): [RegExp, number] {
  if (source === "") {
    throw new ScoreFileSyntaxError(line, "empty pattern");
  }
  if (source.length > MAX_PATTERN_LENGTH) {
    throw new ScoreFileSyntaxError(
      line,
      `pattern longer than ${MAX_PATTERN_LENGTH} characters`,
    );
  }
  const risk = patternRisk(source);
  if (typeof risk === "string") {
    throw new ScoreFileSyntaxError(line, `pattern "${source}" ${risk}`);
  }
  try {
    return [new RegExp(source, "i"), risk];
  } catch (cause) {
    throw new ScoreFileSyntaxError(
      line,
      `invalid pattern "${source}": ${(cause as Error).message}`,
      { cause },
    );
  }
}

/**
 * Why a pattern could backtrack exponentially or with a high polynomial
 * degree: a repeated group containing a repetition or an alternative
 * (`(a+)+`, `(a|a)*`), a back-reference, or more than two unbounded
 * repetitions (`.*.*.*x`). Otherwise, its number of unbounded repetitions.
 */
function patternRisk(source: string): string | number {
  // One entry per open group: does it contain a repetition or a "|"?
  const stack: boolean[] = [false];
  let unbounded = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === "\\") {
      const next = source[i + 1] ?? "";
      if ((next >= "1" && next <= "9") || next === "k") {
        return "uses a back-reference";
      }
      i++;
    } else if (c === "[") {
      // Skip the class; a "]" right after "[" or "[^" closes it in JS.
      let j = i + 1;
      if (source[j] === "^") j++;
      for (; j < source.length && source[j] !== "]"; j++) {
        if (source[j] === "\\") j++;
      }
      i = j;
    } else if (c === "(") {
      stack.push(false);
      if (source[i + 1] === "?") i++;
    } else if (c === ")") {
      const inner = stack.length > 1 ? stack.pop()! : false;
      const repeated = isRepetition(source, i + 1);
      if (repeated && inner) {
        return "repeats a group that contains a repetition or an alternative, " +
          "which can take exponential time";
      }
      if (repeated || inner) stack[stack.length - 1] = true;
    } else if (c === "|") {
      stack[stack.length - 1] = true;
    } else if (isRepetition(source, i)) {
      stack[stack.length - 1] = true;
      if (isUnbounded(source, i)) unbounded++;
    }
  }
  if (unbounded > MAX_UNBOUNDED_REPETITIONS) {
    return `has ${unbounded} unbounded repetitions (*, +, {n,}), more than ` +
      `${MAX_UNBOUNDED_REPETITIONS}, which can take polynomial time on a long header`;
  }
  return unbounded;
}

/** Whether the quantifier at `i` repeats without a small bound (`*`, `+`, `{n,}`, `{n,m}` with m > 1). */
function isRepetition(source: string, i: number): boolean {
  const c = source[i];
  if (c === "*" || c === "+") return true;
  if (c !== "{") return false;
  const close = source.indexOf("}", i);
  if (close === -1) return false;
  const body = source.slice(i + 1, close);
  const comma = body.indexOf(",");
  if (!/^\d+(,\d*)?$/.test(body)) return false;
  if (comma === -1) return Number(body) > 1;
  const max = body.slice(comma + 1);
  return max === "" || Number(max) > 1;
}

/** Whether the quantifier at `i` has no small upper bound (`*`, `+`, `{n,}`, `{n,m}` with m over 16). */
function isUnbounded(source: string, i: number): boolean {
  const c = source[i];
  if (c === "*" || c === "+") return true;
  if (c !== "{") return false;
  const match = /^\{\d+,(\d*)\}/.exec(source.slice(i, i + 24));
  return match !== null && (match[1] === "" || Number(match[1]) > LARGE_BOUND);
}

const wildmatCache = new Map<string, RegExp>();

function wildmatRegExp(pattern: string): RegExp {
  let re = wildmatCache.get(pattern);
  if (re === undefined) {
    let source = "^";
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i]!;
      if (c === "*") source += ".*";
      else if (c === "?") source += ".";
      else if (c === "\\" && i + 1 < pattern.length) {
        source += escapeRegExp(pattern[++i]!);
      } else if (c === "[") {
        const close = pattern.indexOf("]", i + 2);
        if (close === -1) {
          source += "\\[";
        } else {
          let body = pattern.slice(i + 1, close);
          if (body.startsWith("^") || body.startsWith("!")) {
            body = "^" + body.slice(1).replace(/[\\\]^[]/g, "\\$&");
          } else {
            body = body.replace(/[\\\]^[]/g, "\\$&");
          }
          source += `[${body}]`;
          i = close;
        }
      } else source += escapeRegExp(c);
    }
    re = new RegExp(source + "$", "i");
    if (wildmatCache.size < 1024) wildmatCache.set(pattern, re);
  }
  return re;
}

function escapeRegExp(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? "\\" + c : c;
}

/** uwildmat: the last matching pattern decides; `!pattern` excludes. */
function groupMatches(patterns: readonly string[], group: string): boolean {
  let matched = false;
  for (const p of patterns) {
    const negated = p.startsWith("!");
    if (wildmatRegExp(negated ? p.slice(1) : p).test(group)) {
      matched = !negated;
    }
  }
  return matched;
}

/**
 * Scores an article: the sum of the scores of the rules that match its
 * headers. Rules of a `[section]` count only when `options.group` matches
 * the section's wildmats.
 *
 * @param rules The rules, from {@linkcode parseScoreFile}.
 * @param fields The article's decoded header values, keyed by lowercased
 * name (`subject`, `from`, `message-id`, `references`, `xref`…).
 * @param options The group, for sectioned rules.
 * @returns The total score (0 when nothing matches).
 *
 * @example Usage
 * ```ts
 * import { parseScoreFile, scoreArticle } from "./_score.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const rules = parseScoreFile("[local.*]\nSubject: deno = +100\n");
 * assertEquals(scoreArticle(rules, { subject: "deno" }, { group: "local.test" }), 100);
 * assertEquals(scoreArticle(rules, { subject: "deno" }, { group: "comp.lang" }), 0);
 * ```
 */
export function scoreArticle(
  rules: readonly ScoreRule[],
  fields: ScoreFields,
  options: ScoreOptions = {},
): number {
  let total = 0;
  for (const rule of rules) {
    if (
      rule.groups !== undefined &&
      (options.group === undefined || !groupMatches(rule.groups, options.group))
    ) {
      continue;
    }
    const value = fields[rule.field];
    if (value === undefined) continue;
    const max = rule.maxTextLength ?? MAX_SCORED_TEXT_LENGTH;
    const text = value.length > max ? value.slice(0, max) : value;
    rule.pattern.lastIndex = 0;
    if (rule.pattern.test(text)) total += rule.score;
  }
  return total;
}
