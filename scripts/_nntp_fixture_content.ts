/**
 * Content for the fixture NNTP server: the article and group shapes, a
 * sample set that exercises a news reader (hostile subjects, encoded words in
 * several charsets, raw 8-bit headers, threads with missing parents, cycles,
 * duplicate message-ids, dot-stuffed bodies), and groups generated on the fly.
 *
 * @module
 */

/** One article: header fields in order and a body. */
export interface FixtureArticle {
  /** Header fields, in order; a value may be folded with `"\r\n\t"`. */
  headers: [string, string][];
  /** The body; `\n` line endings. */
  body: string;
  /**
   * How the article's text becomes bytes: UTF-8, or Latin-1 for a raw 8-bit
   * article from an old client.
   *
   * @default {"utf-8"}
   */
  encoding?: "utf-8" | "latin1";
}

/** A newsgroup: a list of articles, or a count and a generator. */
export interface FixtureGroup {
  /** The group's name. */
  name: string;
  /** LIST NEWSGROUPS description. */
  description?: string;
  /**
   * Number of the first article.
   *
   * @default {1}
   */
  low?: number;
  /** The articles, numbered from `low`. */
  articles?: FixtureArticle[];
  /** Without `articles`: how many articles `article(n)` generates. */
  count?: number;
  /** Without `articles`: builds article number `n` on demand. */
  article?: (n: number) => FixtureArticle;
  /**
   * Whether POST may add to it.
   *
   * @default {true}
   */
  posting?: boolean;
  /**
   * Creation time, for NEWGROUPS.
   *
   * @default {2024-01-01T00:00:00Z}
   */
  created?: Date;
}

/** Options for {@linkcode generatedGroup}. */
export interface GeneratedGroupOptions {
  /**
   * Every article whose number is a multiple of this mentions the word
   * (spelt deno, Deno, DENO and DeNo in turn).
   *
   * @default {100}
   */
  wordEvery?: number;
  /**
   * Every article whose number is `hostileEvery / 2` modulo this also
   * carries `<script>alert(1)</script> & "x" < 'y'`.
   *
   * @default {1000}
   */
  hostileEvery?: number;
  /**
   * Articles per thread: article N refers to N-1 unless N % threadSize == 1.
   *
   * @default {10}
   */
  threadSize?: number;
  /**
   * Message-id host part.
   *
   * @default {"fixture.invalid"}
   */
  host?: string;
}

const ADJECTIVES = ["quick", "lazy", "bright", "quiet", "ancient", "modern"];
const NOUNS = ["server", "parser", "socket", "thread", "stream", "buffer"];
const KINDS = ["notes", "question", "report", "idea", "patch"];
const SPELLINGS = ["deno", "Deno", "DENO", "DeNo"];

/**
 * A group of `count` articles built on demand (no memory per article), shaped
 * like the lab's `local.big`: `<prefix.N@host>` message-ids, one date per
 * minute from 2024-01-01, threads of `threadSize`, the word every `wordEvery`
 * articles.
 *
 * @param name The group's name.
 * @param count How many articles.
 * @param options Word and thread spacing.
 * @returns The group.
 *
 * @example Usage
 * ```ts
 * import { generatedGroup } from "./_nntp_fixture_content.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const group = generatedGroup("fixture.big", 1000);
 * assertEquals(group.article!(100).headers[1], ["Subject", "Big #100: ancient stream notes about Deno runtime"]);
 * ```
 */
export function generatedGroup(
  name: string,
  count: number,
  options: GeneratedGroupOptions = {},
): FixtureGroup {
  const every = options.wordEvery ?? 100;
  const hostile = options.hostileEvery ?? 1000;
  const size = options.threadSize ?? 10;
  const host = options.host ?? "fixture.invalid";
  const prefix = name.split(".").pop() ?? "a";
  const id = (n: number) => `<${prefix}.${n}@${host}>`;
  const base = Date.UTC(2024, 0, 1);
  return {
    name,
    description: `Generated: ${count} articles`,
    count,
    article(n) {
      let subject = `Big #${n}: ${ADJECTIVES[n % 6]} ${NOUNS[n % 6]} ${
        KINDS[n % 5]
      }`;
      if (n % every === 0) {
        subject += ` about ${SPELLINGS[(n / every) % 4]} runtime`;
      }
      if (n % hostile === hostile / 2) {
        subject += ` <script>alert(1)</script> & "x" < 'y'`;
      }
      const user = String(n % 50).padStart(2, "0");
      const headers: [string, string][] = [
        ["From", `User ${user} <user${user}@example.invalid>`],
        ["Subject", subject],
        ["Date", new Date(base + n * 60_000).toUTCString()],
        ["Message-ID", id(n)],
        ["Newsgroups", name],
      ];
      const root = n - ((n - 1) % size);
      if (n !== root) {
        headers.push([
          "References",
          root === n - 1 ? id(root) : `${id(root)} ${id(n - 1)}`,
        ]);
      }
      return {
        headers,
        body: `Article ${n} of ${name}.\n.leading dot\n\nBye.\n`,
      };
    },
  };
}

let sequence = 0;

function article(
  subject: string,
  options: {
    from?: string;
    refs?: string;
    id?: string;
    day?: number;
    body?: string;
    encoding?: "utf-8" | "latin1";
    extra?: [string, string][];
  } = {},
): FixtureArticle {
  const n = ++sequence;
  const headers: [string, string][] = [
    ["From", options.from ?? "Lab Tester <tester@example.invalid>"],
    ["Newsgroups", "fixture.news"],
    ["Subject", subject],
    [
      "Date",
      new Date(Date.UTC(2024, 0, options.day ?? n, 12, n % 60)).toUTCString(),
    ],
    ["Message-ID", options.id ?? `<news.${n}@fixture.invalid>`],
  ];
  if (options.refs) headers.push(["References", options.refs]);
  headers.push(...(options.extra ?? []));
  const result: FixtureArticle = {
    headers,
    body: options.body ??
      `Body of article ${n}.\n.a line that starts with a dot\n..two dots\n` +
        `<script>alert("body")</script> & <b>html</b>\n-- \nsig\n`,
  };
  if (options.encoding) result.encoding = options.encoding;
  return result;
}

/**
 * The sample groups: `fixture.news` (hand-written articles, listed below),
 * `fixture.empty` (no articles), and `fixture.big` (5,000 generated
 * articles, see {@linkcode generatedGroup}).
 *
 * In `fixture.news`, the subjects of articles 1–23 and 28 contain "deno" in
 * some case once decoded (24 matches; 23 is "Denominators"), articles 24–27
 * do not. Highlights:
 *
 * - 1–3: a thread (`Deno 2.0 released`, two replies);
 * - 4–8: HTML-hostile subjects and posters (`<script>`, quotes, `&`, `<img onerror>`);
 * - 9–15: encoded words in UTF-8 (B), ISO-8859-1 (Q), ISO-8859-15, windows-1252,
 *   KOI8-R, Shift_JIS and ISO-8859-7; 15 decodes to a `<script>` payload;
 * - 16: a malformed encoded word, 17: an unknown charset, 18: adjacent encoded words;
 * - 19: a raw UTF-8 subject, 20: a raw Latin-1 (8-bit) article;
 * - 21: a folded Subject, 22: a 300-character subject, 23: "Denominators";
 * - 24–25: replies whose parent was never posted, 26–27: a References cycle;
 * - 28: a duplicate of article 1's message-id, with "deno" in its subject.
 *
 * @returns Fresh group definitions (posting adds to them).
 *
 * @example Usage
 * ```ts
 * import { sampleGroups } from "./_nntp_fixture_content.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(sampleGroups().map((g) => g.name), ["fixture.news", "fixture.empty", "fixture.big"]);
 * ```
 */
export function sampleGroups(): FixtureGroup[] {
  sequence = 0;
  const root = "<news.1@fixture.invalid>";
  const articles: FixtureArticle[] = [
    article("Deno 2.0 released"),
    article("Re: Deno 2.0 released", { refs: root }),
    article("Re: Deno 2.0 released", {
      refs: `${root} <news.2@fixture.invalid>`,
    }),
    article(`<script>alert("deno")</script>`, {
      from: `"<b>Mallory</b>" <mallory@example.invalid>`,
    }),
    article(`Tom & Jerry "quotes" 'apos' about DENO`, {
      from: `"Bob & Co" <bob@example.invalid>`,
    }),
    article("a < b && c > d, says deno"),
    article("&amp; already-escaped &lt;tag&gt; deno"),
    article("<img src=x onerror=alert(1)> DeNo"),
    article("=?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG46IGRlbm8=?=", {
      from: "=?UTF-8?B?Sm9zw6kgTcO8bGxlcg==?= <jose@example.invalid>",
    }),
    article("=?ISO-8859-1?Q?Caf=E9_cr=E8me_and_deno?=", {
      from: "=?ISO-8859-1?Q?Fran=E7ois_Lef=E8vre?= <francois@example.invalid>",
    }),
    article("=?ISO-8859-15?Q?Preis:_100_=A4_for_deno?="),
    article("=?windows-1252?Q?=93smart_quotes=94_about_deno?="),
    article("=?KOI8-R?B?8NLJ18XULCBkZW5v?="),
    article("=?Shift_JIS?B?k/qWe4zqIGRlbm8=?="),
    article(
      "=?UTF-8?B?PHNjcmlwdD5hbGVydCgneCcpPC9zY3JpcHQ+IGRlbm8gJiDDvA==?=",
    ),
    article("=?UTF-8?B?!!not base64!!?= deno"),
    article("=?x-unknown?Q?abc?= deno"),
    article("=?UTF-8?Q?deno?= =?UTF-8?Q?_rocks?="),
    article("Ünïcödé raw subject about deno 🦕", {
      from: "Юрий <yuri@example.invalid>",
    }),
    article("Caf\u00e9 raw Latin-1 about deno", {
      from: "Ren\u00e9 <rene@example.invalid>",
      encoding: "latin1",
      body: "Caf\u00e9 cr\u00e8me, 8-bit body.\n",
    }),
    article("a folded\r\n\tsubject about deno"),
    article(`deno ${"very long subject ".repeat(15)}end`),
    article("Denominators and denotations"),
    article("Re: lost parent", {
      refs: "<never.posted@fixture.invalid>",
    }),
    article("Re: Re: lost parent", {
      refs: "<never.posted@fixture.invalid> <news.24@fixture.invalid>",
    }),
    article("Cycle A", { refs: "<news.27@fixture.invalid>" }),
    article("Cycle B", { refs: "<news.26@fixture.invalid>" }),
    article("Duplicate id, deno", { id: root }),
  ];
  return [
    {
      name: "fixture.news",
      description: "Sample articles: hostile subjects, charsets, threads",
      articles,
    },
    { name: "fixture.empty", description: "No articles", articles: [] },
    {
      ...generatedGroup("fixture.big", 5000),
      description: "5,000 generated articles",
    },
  ];
}
