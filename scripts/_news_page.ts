/**
 * The HTML page of `news_viewer.ts`: one self-contained document (inline
 * CSS, no script, UTF-8 declared) listing threads as nested lists, newest
 * first, every article linked with its `news:` URL.
 *
 * Subjects, posters and everything else from the server are
 * attacker-controlled: they are decoded first (RFC 2047) and HTML-escaped
 * last, here.
 *
 * @module
 */

import { escapeHtml } from "../protocols/html_escape.ts";
import { decodeHeader } from "../protocols/mime_header.ts";
import type { OverviewEntry } from "../protocols/nntp_overview.ts";
import type { ThreadInput, ThreadNode } from "../protocols/news_thread.ts";
import { newsUrl } from "../protocols/news_url.ts";
import { SCORE_HIDE, SCORE_HOT } from "./_score.ts";
import { formatCount } from "./_news_format.ts";

/** An article as listed on the page: decoded text, parsed date. */
export interface NewsItem extends ThreadInput {
  /** The article number in the group, when known. */
  number?: number;
  /** The decoded From header. */
  from: string;
}

/** Options for {@linkcode renderNewsPage}. */
export interface NewsPageOptions<T extends NewsItem = NewsItem> {
  /** The group scanned. */
  group: string;
  /** The word (or pattern) searched for. */
  word: string;
  /** The server, as `host:port`. */
  server: string;
  /** When the page was made. */
  generatedAt: Date;
  /** The threads, as `threadArticles()` returns them (newest first). */
  threads: readonly ThreadNode<T>[];
  /**
   * The link of an article's local page (`--serve`); the subject then links
   * there and a separate `news:` link is added. `undefined` keeps the `news:`
   * link on the subject.
   */
  articleHref?: (item: T) => string | undefined;
  /** An article's score (see `_score.ts`); without it every score is 0. */
  score?: (item: T) => number;
  /**
   * Score at or above which an article is marked hot (class `hot`).
   *
   * @default {SCORE_HOT}
   */
  hotScore?: number;
  /**
   * Score at or below which an article is left out (its replies move up).
   *
   * @default {SCORE_HIDE}
   */
  hideScore?: number;
  /**
   * Deepest list nesting; replies deeper than this are listed flat at this
   * depth, so a pathological chain stays readable.
   *
   * @default {32}
   */
  maxDepth?: number;
  /** Articles scanned, shown in the summary when given. */
  scanned?: number;
}

/** What the page shows, as {@linkcode newsPageStats} counts it. */
export interface NewsPageStats {
  /** Articles listed. */
  articles: number;
  /** Threads (top-level entries) listed. */
  threads: number;
  /** Articles marked hot. */
  hot: number;
  /** Articles left out by their score. */
  hidden: number;
}

const DEFAULT_MAX_DEPTH = 32;

const STYLE = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em auto;max-width:72em;padding:0 1em;color:#1b1b1b;background:#fff}
h1{font-size:1.35em;margin:0 0 .3em}
.summary{color:#555;margin:0 0 1.2em}
ul{list-style:none;margin:0;padding:0}
ul ul{margin-left:1.1em;padding-left:.7em;border-left:1px solid #d8d8d8}
ul.threads>li{padding:.35em 0;border-bottom:1px solid #eee}
li{margin:.12em 0}
a{color:#0645ad;text-decoration:none}
a:hover{text-decoration:underline}
.from,time{color:#666;font-size:.88em;margin-left:.6em}
.news{font-size:.8em;margin-left:.6em;color:#777}
.score{font-size:.8em;margin-left:.6em;color:#a15c00}
.hot>.subject{font-weight:600}
.hot>.subject::before{content:"\\2605  ";color:#d97706}
.missing>.placeholder{color:#888;font-style:italic}
.empty{color:#666;font-style:italic}
@media (prefers-color-scheme:dark){body{background:#161616;color:#e4e4e4}a{color:#8ab4f8}ul ul{border-color:#3a3a3a}ul.threads>li{border-color:#262626}.from,time,.summary{color:#aaa}}
`.trim();

interface Layout {
  html: string;
  stats: NewsPageStats;
}

/**
 * Renders the page. Articles are listed as nested lists in the order of
 * `threads` (newest thread first, replies oldest first as
 * `threadArticles()` sorts them), each with its escaped subject,
 * poster and date (UTC), linked with its `news:` URL (RFC 5538). Hot
 * articles get the class `hot`, hidden ones are left out with their replies
 * moved up, and a missing parent that holds replies together is shown as a
 * placeholder linked to its `news:` URL.
 *
 * @typeParam T The article type.
 * @param options What to show.
 * @returns The HTML document.
 *
 * @example Usage
 * ```ts
 * import { renderNewsPage } from "./_news_page.ts";
 * import { threadArticles } from "../protocols/news_thread.ts";
 * import { assertStringIncludes } from "../tests/_assert.ts";
 *
 * const html = renderNewsPage({
 *   group: "local.test",
 *   word: "deno",
 *   server: "localhost:119",
 *   generatedAt: new Date(0),
 *   threads: threadArticles([{
 *     messageId: "<13@lab.test>",
 *     references: [],
 *     subject: "<script>alert(1)</script> deno",
 *     from: "Mallory",
 *   }]),
 * });
 * assertStringIncludes(html, "&lt;script&gt;alert(1)&lt;/script&gt; deno");
 * assertStringIncludes(html, 'href="news:13@lab.test"');
 * ```
 */
export function renderNewsPage<T extends NewsItem>(
  options: NewsPageOptions<T>,
): string {
  return layout(options).html;
}

/**
 * Counts what {@linkcode renderNewsPage} would show for the same options:
 * articles listed, threads, hot articles, hidden articles.
 *
 * @typeParam T The article type.
 * @param options The page's options.
 * @returns The counts.
 *
 * @example Usage
 * ```ts
 * import { newsPageStats } from "./_news_page.ts";
 * import { threadArticles } from "../protocols/news_thread.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const threads = threadArticles([
 *   { messageId: "<1@x>", references: [], subject: "deno", from: "a" },
 *   { messageId: "<2@x>", references: ["<1@x>"], subject: "Re: deno", from: "spammer" },
 * ]);
 * const stats = newsPageStats({
 *   group: "g", word: "deno", server: "h:119", generatedAt: new Date(),
 *   threads,
 *   score: (item) => item.from === "spammer" ? -9999 : 0,
 * });
 * assertEquals(stats, { articles: 1, threads: 1, hot: 0, hidden: 1 });
 * ```
 */
export function newsPageStats<T extends NewsItem>(
  options: NewsPageOptions<T>,
): NewsPageStats {
  return layout(options).stats;
}

/**
 * Makes a {@linkcode NewsItem} from a raw overview entry: subject and poster
 * RFC 2047 decoded, date parsed (left out when it cannot be parsed).
 *
 * @param entry The overview entry.
 * @returns The item, ready for `threadArticles()` and the page.
 *
 * @example Usage
 * ```ts
 * import { newsItemFromOverview } from "./_news_page.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const item = newsItemFromOverview({
 *   number: 3,
 *   subject: "=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=",
 *   from: "Ann <a@x.invalid>",
 *   date: "Mon, 01 Jan 2024 00:03:00 +0000",
 *   messageId: "<3@x>",
 *   references: [],
 *   extra: {},
 * });
 * assertEquals(item.subject, "Grüße");
 * assertEquals(item.date, new Date("2024-01-01T00:03:00Z"));
 * ```
 */
export function newsItemFromOverview(entry: OverviewEntry): NewsItem {
  const item: NewsItem = {
    number: entry.number,
    messageId: entry.messageId,
    references: entry.references,
    subject: decodeHeader(entry.subject),
    from: decodeHeader(entry.from),
  };
  const time = entry.date === "" ? Number.NaN : Date.parse(entry.date);
  if (Number.isFinite(time)) item.date = new Date(time);
  return item;
}

function layout<T extends NewsItem>(options: NewsPageOptions<T>): Layout {
  const hotScore = options.hotScore ?? SCORE_HOT;
  const hideScore = options.hideScore ?? SCORE_HIDE;
  const maxDepth = Math.max(0, options.maxDepth ?? DEFAULT_MAX_DEPTH);
  const stats: NewsPageStats = { articles: 0, threads: 0, hot: 0, hidden: 0 };

  // Breadth-first order: the children of node i are nodes
  // first[i] .. first[i] + nodes[i].children.length - 1, after i.
  const nodes: ThreadNode<T>[] = [...options.threads];
  const first: number[] = [];
  for (let i = 0; i < nodes.length; i++) {
    first.push(nodes.length);
    for (const child of nodes[i]!.children) nodes.push(child);
  }
  // Scores once per article; articles listed in each subtree.
  const scores: number[] = new Array(nodes.length).fill(0);
  const visible: number[] = new Array(nodes.length).fill(0);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    let count = 0;
    if (node.article !== undefined) {
      const score = options.score ? options.score(node.article) : 0;
      scores[i] = score;
      if (score <= hideScore) stats.hidden++;
      else count = 1;
    }
    const end = first[i]! + node.children.length;
    for (let c = first[i]!; c < end; c++) count += visible[c]!;
    visible[i] = count;
  }

  // Depth-first emission; index -1 closes a nested list.
  const out: string[] = [];
  const stackIndex: number[] = [];
  const stackDepth: number[] = [];
  const pushChildren = (i: number, depth: number): void => {
    for (
      let c = first[i]! + nodes[i]!.children.length - 1;
      c >= first[i]!;
      c--
    ) {
      if (visible[c]! > 0) {
        stackIndex.push(c);
        stackDepth.push(depth);
      }
    }
  };
  for (let i = options.threads.length - 1; i >= 0; i--) {
    if (visible[i]! > 0) {
      stackIndex.push(i);
      stackDepth.push(0);
    }
  }
  while (stackIndex.length > 0) {
    const i = stackIndex.pop()!;
    const depth = stackDepth.pop()!;
    if (i === -1) {
      out.push("</ul></li>\n");
      continue;
    }
    const node = nodes[i]!;
    const score = scores[i]!;
    if (node.article !== undefined && score <= hideScore) {
      // Hidden: its replies take its place.
      pushChildren(i, depth);
      continue;
    }
    const hasKids = visible[i]! > (node.article === undefined ? 0 : 1);
    if (depth === 0) stats.threads++;
    if (node.article === undefined) {
      out.push(placeholder(node));
    } else {
      stats.articles++;
      const hot = score >= hotScore;
      if (hot) stats.hot++;
      articleItem(out, node.article, score, hot, options);
    }
    if (!hasKids) {
      out.push("</li>\n");
    } else if (depth + 1 > maxDepth) {
      out.push("</li>\n");
      pushChildren(i, depth);
    } else {
      out.push("\n<ul>\n");
      stackIndex.push(-1);
      stackDepth.push(depth);
      pushChildren(i, depth + 1);
    }
  }

  const title = `${options.group}: “${options.word}”`;
  const parts = [
    "<!doctype html>\n",
    '<html lang="en">\n<head>\n<meta charset="utf-8">\n',
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
    `<title>${escapeHtml(title)} – news viewer</title>\n`,
    `<style>\n${STYLE}\n</style>\n</head>\n<body>\n`,
    `<h1>${escapeHtml(title)}</h1>\n`,
    `<p class="summary">${summary(options, stats)}</p>\n`,
  ];
  if (out.length === 0) {
    parts.push('<p class="empty">No articles matched.</p>\n');
  } else {
    // One join: out can hold hundreds of thousands of parts (no spreading).
    parts.push('<ul class="threads">\n', out.join(""), "</ul>\n");
  }
  parts.push("</body>\n</html>\n");
  return { html: parts.join(""), stats };
}

function plural(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

function summary<T extends NewsItem>(
  options: NewsPageOptions<T>,
  stats: NewsPageStats,
): string {
  let text = `${plural(stats.articles, "article", "articles")} in ${
    plural(stats.threads, "thread", "threads")
  } matching “${escapeHtml(options.word)}” in ${escapeHtml(options.group)} on ${
    escapeHtml(options.server)
  }`;
  if (options.scanned !== undefined) {
    text += ` (${plural(options.scanned, "article", "articles")} scanned)`;
  }
  const notes: string[] = [];
  if (stats.hot > 0) notes.push(`${formatCount(stats.hot)} hot`);
  if (stats.hidden > 0) {
    notes.push(`${formatCount(stats.hidden)} hidden by score`);
  }
  if (notes.length > 0) text += `; ${notes.join(", ")}`;
  const when = options.generatedAt;
  const iso = Number.isFinite(when.getTime()) ? when.toISOString() : "";
  return `${text}. Generated <time datetime="${iso}">${
    formatDate(when)
  }</time>.`;
}

/** Appends the opening `<li>` and the content of an article to `out`. */
function articleItem<T extends NewsItem>(
  out: string[],
  article: T,
  score: number,
  hot: boolean,
  options: NewsPageOptions<T>,
): void {
  const news = newsUrl(article.messageId);
  const local = options.articleHref?.(article);
  const subject = article.subject.trim() === ""
    ? "(no subject)"
    : article.subject;
  out.push(hot ? '<li class="article hot"' : '<li class="article"');
  if (score !== 0) out.push(' data-score="', String(score), '"');
  if (article.number !== undefined) {
    out.push(' data-number="', String(article.number), '"');
  }
  out.push(
    '><a class="subject" href="',
    escapeHtml(local ?? news),
    '">',
    escapeHtml(subject),
    "</a>",
  );
  if (article.from !== "") {
    out.push(' <span class="from">', escapeHtml(article.from), "</span>");
  }
  const date = article.date instanceof Date || article.date === undefined
    ? article.date
    : new Date(article.date);
  // Out of Date's range (±8.64e15 ms) is NaN: toISOString() would throw.
  if (date !== undefined && Number.isFinite(date.getTime())) {
    const iso = date.toISOString();
    out.push(
      ' <time datetime="',
      iso,
      '">',
      iso.slice(0, 10),
      " ",
      iso.slice(11, 16),
      " UTC</time>",
    );
  }
  if (score !== 0) {
    out.push(
      ' <span class="score">',
      score > 0 ? "+" : "",
      String(score),
      "</span>",
    );
  }
  if (local !== undefined) {
    out.push(' <a class="news" href="', escapeHtml(news), '">news:</a>');
  }
}

function placeholder<T>(node: ThreadNode<T>): string {
  // A missing parent has a real message-id (with "@"); a subject group not.
  const text = "(earlier article not listed)";
  if (node.messageId.includes("@")) {
    return `<li class="missing"><a class="placeholder" href="${
      escapeHtml(newsUrl(node.messageId))
    }">${text}</a>`;
  }
  return `<li class="missing"><span class="placeholder">${text}</span>`;
}

function formatDate(date: Date): string {
  if (!Number.isFinite(date.getTime())) return "";
  const iso = date.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}
