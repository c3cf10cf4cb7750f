/**
 * From scan results to the HTML page of `news_viewer.ts`: decode the
 * matching overview entries, thread them (JWZ), score them with an optional
 * score file, and render the page.
 *
 * @module
 */

import type { OverviewEntry } from "../protocols/nntp_overview.ts";
import { threadArticles } from "../protocols/news_thread.ts";
import {
  type NewsItem,
  newsItemFromOverview,
  type NewsPageOptions,
  renderNewsPage,
} from "./_news_page.ts";
import {
  parseScoreFile,
  SCORE_HIDE,
  SCORE_HOT,
  scoreArticle,
  type ScoreFields,
  type ScoreRule,
} from "./_score.ts";

/** What {@linkcode buildNewsPage} needs. */
export interface NewsPageInput {
  /** The group scanned. */
  group: string;
  /** The word or pattern searched for. */
  word: string;
  /** The server, `host:port`. */
  server: string;
  /** The matching overview entries. */
  entries: readonly OverviewEntry[];
  /** Articles scanned, for the summary. */
  scanned?: number;
  /** With `--serve`: the URL of an article's local page. */
  articleUrl?: (messageId: string) => string;
  /** Score rules to apply. */
  scoreRules?: readonly ScoreRule[];
  /**
   * When the page was made.
   *
   * @default {new Date()}
   */
  generatedAt?: Date;
}

/** The rendered page and its counts. */
export interface BuiltPage {
  /** The HTML. */
  html: string;
  /** Articles listed. */
  shown: number;
  /** Articles hidden by the score rules. */
  hidden: number;
  /** Articles marked hot by the score rules. */
  hot: number;
}

/** A listed article, with the overview fields a score file may test. */
interface PageItem extends NewsItem {
  /** Score-file fields, lowercased names. */
  fields: ScoreFields;
}

/**
 * Reads and parses a score file (`--score`; needs read permission).
 *
 * @param path The file.
 * @returns The rules.
 * @throws {Deno.errors.NotFound} When the file does not exist.
 * @throws {SyntaxError} When a line is not valid (the message names the line).
 *
 * @example Usage
 * ```ts ignore
 * const rules = await loadScoreRules("news.score");
 * ```
 */
export async function loadScoreRules(path: string): Promise<ScoreRule[]> {
  return parseScoreFile(await Deno.readTextFile(path));
}

function toItem(entry: OverviewEntry): PageItem {
  const item = newsItemFromOverview(entry);
  const fields: Record<string, string> = {
    ...entry.extra,
    subject: item.subject,
    from: item.from,
    date: entry.date,
    "message-id": entry.messageId,
    references: entry.references.join(" "),
  };
  if (entry.bytes !== undefined) fields.bytes = String(entry.bytes);
  if (entry.lines !== undefined) fields.lines = String(entry.lines);
  return { ...item, fields };
}

/**
 * Builds the page: items decoded from the overview, threaded, scored,
 * rendered.
 *
 * @param input The matches and the page's context.
 * @returns The HTML and what it shows.
 *
 * @example Usage
 * ```ts ignore
 * const page = buildNewsPage({ group: "local.test", word: "deno", server: "127.0.0.1:119", entries });
 * await Deno.writeTextFile("local.test.html", page.html);
 * ```
 */
export function buildNewsPage(input: NewsPageInput): BuiltPage {
  const items = input.entries.map(toItem);
  const threads = threadArticles(items);
  const rules = input.scoreRules;
  const articleUrl = input.articleUrl;
  // Scored once here: the counts come from the same numbers the page uses,
  // without laying the page out a second time.
  const scores = new Map<PageItem, number>();
  let hidden = 0;
  let hot = 0;
  if (rules && rules.length) {
    for (const item of items) {
      const score = scoreArticle(rules, item.fields, { group: input.group });
      scores.set(item, score);
      if (score <= SCORE_HIDE) hidden++;
      else if (score >= SCORE_HOT) hot++;
    }
  }
  const options: NewsPageOptions<PageItem> = {
    group: input.group,
    word: input.word,
    server: input.server,
    generatedAt: input.generatedAt ?? new Date(),
    threads,
    ...(input.scanned !== undefined ? { scanned: input.scanned } : {}),
    ...(articleUrl
      ? { articleHref: (item: PageItem) => articleUrl(item.messageId) }
      : {}),
    ...(scores.size
      ? { score: (item: PageItem) => scores.get(item) ?? 0 }
      : {}),
  };
  return {
    html: renderNewsPage(options),
    shown: items.length - hidden,
    hidden,
    hot,
  };
}
