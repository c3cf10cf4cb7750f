import {
  type NewsItem,
  newsItemFromOverview,
  type NewsPageOptions,
  newsPageStats,
  renderNewsPage,
} from "../scripts/_news_page.ts";
import { parseScoreFile, scoreArticle } from "../scripts/_score.ts";
import { threadArticles } from "../protocols/news_thread.ts";
import { decodeHeader } from "../protocols/mime_header.ts";
import {
  DEFAULT_OVERVIEW_FORMAT,
  parseOverviewLine,
} from "../protocols/nntp_overview.ts";
import { assert, assertEquals, assertStringIncludes } from "./_assert.ts";

const BASE = Date.UTC(2024, 0, 1);

function item(
  n: number,
  subject: string,
  options: { from?: string; refs?: number[]; id?: string } = {},
): NewsItem {
  return {
    number: n,
    messageId: options.id ?? `<test.${n}@lab.test>`,
    references: (options.refs ?? []).map((r) => `<test.${r}@lab.test>`),
    subject,
    from: options.from ?? `User ${n} <user${n}@example.invalid>`,
    date: new Date(BASE + n * 60_000),
  };
}

function page(
  items: NewsItem[],
  extra: Partial<NewsPageOptions> = {},
): string {
  return renderNewsPage({
    group: "local.test",
    word: "deno",
    server: "127.0.0.1:1119",
    generatedAt: new Date("2026-11-23T12:00:00Z"),
    threads: threadArticles(items),
    ...extra,
  });
}

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

/** The hostile subjects and posters of the INN lab's local.test. */
const HOSTILE: NewsItem[] = [
  item(13, "<script>alert(1)</script>", { from: '"Mallory"' }),
  item(17, `Tom & Jerry <b>bold</b> & "quotes" 'apos'`, {
    from: `"<b>Bob</b> & Co" <bob@example.invalid>`,
  }),
  item(19, "a < b && c > d"),
  item(23, "DeNo <i>italic</i> & <script>alert('deno')</script>"),
  item(29, "&amp; already-escaped &lt;tag&gt; entities"),
  item(31, "<img src=x onerror=alert(1)>"),
  item(37, `"double" and 'single' quotes`),
  item(43, "long ".repeat(46).trim()),
];

Deno.test("renderNewsPage() writes one self-contained UTF-8 document", {
  permissions: "none",
}, async (t) => {
  const html = page([item(3, "Deno 2.0 released")]);
  await t.step("doctype, charset, inline style, title", () => {
    assert(html.startsWith("<!doctype html>\n"));
    assertStringIncludes(html, '<meta charset="utf-8">');
    assertStringIncludes(html, "<style>");
    assertStringIncludes(
      html,
      "<title>local.test: “deno” – news viewer</title>",
    );
    assertStringIncludes(html, "</html>\n");
  });
  await t.step("no script, no external resource", () => {
    assertEquals(html.includes("<script"), false);
    assertEquals(/\b(src|rel)=/.test(html), false);
  });
  await t.step("a summary with the counts", () => {
    assertStringIncludes(
      html,
      "1 article in 1 thread matching “deno” in local.test on 127.0.0.1:1119",
    );
    assertStringIncludes(
      html,
      'Generated <time datetime="2026-11-23T12:00:00.000Z">2026-11-23 12:00 UTC</time>',
    );
  });
  await t.step("the article with its news: link, poster and date", () => {
    assertStringIncludes(
      html,
      '<li class="article" data-number="3"><a class="subject" href="news:test.3@lab.test">Deno 2.0 released</a>',
    );
    assertStringIncludes(
      html,
      '<span class="from">User 3 &lt;user3@example.invalid&gt;</span>',
    );
    assertStringIncludes(
      html,
      '<time datetime="2024-01-01T00:03:00.000Z">2024-01-01 00:03 UTC</time>',
    );
  });
  await t.step("scanned count", () => {
    assertStringIncludes(
      page([item(3, "x")], { scanned: 100_000 }),
      "(100,000 articles scanned)",
    );
  });
  await t.step("dates as numbers, and out of range ones left out", () => {
    const items: NewsItem[] = [
      { ...item(1, "ms"), date: BASE + 60_000 },
      { ...item(2, "far future"), date: 9e15 },
      { ...item(3, "invalid"), date: new Date(Number.NaN) },
    ];
    const html = page(items);
    assertStringIncludes(html, "2024-01-01 00:01 UTC</time>");
    assertEquals(count(html, "<time datetime="), 2); // the summary's and one
  });
  await t.step("no matches", () => {
    const empty = page([]);
    assertStringIncludes(empty, '<p class="empty">No articles matched.</p>');
    assertStringIncludes(empty, "0 articles in 0 threads");
  });
});

Deno.test("renderNewsPage() escapes hostile subjects and posters", {
  permissions: "none",
}, async (t) => {
  const html = page(HOSTILE, { word: `<b>"deno"</b>`, group: "local.<x>" });
  await t.step("no markup from the articles survives", () => {
    assertEquals(html.includes("<script"), false);
    assertEquals(html.includes("<img"), false);
    assertEquals(html.includes("<b>"), false);
    assertEquals(html.includes("<i>"), false);
    assertEquals(html.includes("<x>"), false);
  });
  await t.step("each subject is escaped text", () => {
    assertStringIncludes(html, "&lt;script&gt;alert(1)&lt;/script&gt;");
    assertStringIncludes(
      html,
      "Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quotes&quot; &#39;apos&#39;",
    );
    assertStringIncludes(html, "a &lt; b &amp;&amp; c &gt; d");
    assertStringIncludes(
      html,
      "DeNo &lt;i&gt;italic&lt;/i&gt; &amp; &lt;script&gt;alert(&#39;deno&#39;)&lt;/script&gt;",
    );
    assertStringIncludes(html, "&lt;img src=x onerror=alert(1)&gt;");
    assertStringIncludes(
      html,
      "&quot;double&quot; and &#39;single&#39; quotes",
    );
  });
  await t.step("pre-escaped entities are escaped again", () => {
    assertStringIncludes(
      html,
      "&amp;amp; already-escaped &amp;lt;tag&amp;gt; entities",
    );
  });
  await t.step("posters are escaped", () => {
    assertStringIncludes(html, "&quot;Mallory&quot;");
    assertStringIncludes(
      html,
      "&quot;&lt;b&gt;Bob&lt;/b&gt; &amp; Co&quot; &lt;bob@example.invalid&gt;",
    );
  });
  await t.step("the word and the group are escaped", () => {
    assertStringIncludes(html, "&lt;b&gt;&quot;deno&quot;&lt;/b&gt;");
    assertStringIncludes(html, "local.&lt;x&gt;");
  });
  await t.step("every article is listed, newest first", () => {
    assertEquals(count(html, '<li class="article"'), HOSTILE.length);
    const positions = HOSTILE.map((a) =>
      html.indexOf(`data-number="${a.number}"`)
    );
    assertEquals(positions, [...positions].sort((a, b) => b - a));
  });
  await t.step(
    "a subject that decodes to HTML is escaped after decoding",
    () => {
      const decoded = decodeHeader(
        "=?UTF-8?B?PHNjcmlwdD5hbGVydCgneCcpPC9zY3JpcHQ+ICYgw7w=?=",
      );
      assertEquals(decoded, "<script>alert('x')</script> & ü");
      const out = page([item(5, decoded)]);
      assertStringIncludes(
        out,
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; ü",
      );
      assertEquals(out.includes("<script"), false);
    },
  );
  await t.step("hostile message-ids stay inside their attribute", () => {
    const out = page([item(6, "x", { id: `<a"><script>'@x>` })]);
    assertStringIncludes(out, 'href="news:a%22%3E%3Cscript%3E&#39;@x"');
    assertEquals(out.includes("<script"), false);
  });
  await t.step("a hostile local link is escaped", () => {
    const out = page([item(7, "x")], {
      articleHref: () => `/article?id="><script>`,
    });
    assertStringIncludes(out, 'href="/article?id=&quot;&gt;&lt;script&gt;"');
    assertEquals(out.includes("<script"), false);
  });
});

Deno.test("renderNewsPage() lists threads as nested lists", {
  permissions: "none",
}, async (t) => {
  await t.step("replies nested, oldest first; threads newest first", () => {
    const html = page([
      item(1, "Deno 2.0 released"),
      item(2, "Re: Deno 2.0 released", { refs: [1] }),
      item(3, "Re: Deno 2.0 released", { refs: [1, 2] }),
      item(4, "Re: Deno 2.0 released", { refs: [1] }),
      item(5, "other deno thread"),
    ]);
    const order = [5, 1, 2, 3, 4].map((n) =>
      html.indexOf(`data-number="${n}"`)
    );
    assertEquals(order, [...order].sort((a, b) => a - b));
    assertEquals(count(html, "<ul>"), 2);
    assertEquals(count(html, "<ul"), count(html, "</ul>"));
    assertEquals(count(html, "<li"), count(html, "</li>"));
    assertStringIncludes(html, "5 articles in 2 threads");
  });
  await t.step("a missing parent is a placeholder linked to news:", () => {
    const html = page([
      item(2, "Re: lost root", { refs: [1] }),
      item(3, "Re: lost root", { refs: [1] }),
    ]);
    assertStringIncludes(
      html,
      '<li class="missing"><a class="placeholder" href="news:test.1@lab.test">(earlier article not listed)</a>',
    );
    assertStringIncludes(html, "2 articles in 1 thread");
  });
  await t.step("a subject group is an unlinked placeholder", () => {
    const html = page([item(2, "Re: same"), item(3, "Re: same")]);
    assertStringIncludes(
      html,
      '<li class="missing"><span class="placeholder">(earlier article not listed)</span>',
    );
  });
  await t.step("a 15-deep chain nests 14 lists", () => {
    const items = [item(0, "chain")];
    for (let i = 1; i < 15; i++) {
      items.push(item(i, "Re: chain", { refs: [i - 1] }));
    }
    const html = page(items);
    assertEquals(count(html, "<ul>"), 14);
    assertEquals(count(html, "<li"), count(html, "</li>"));
  });
  await t.step("deeper than maxDepth is listed flat", () => {
    const items = [item(0, "chain")];
    for (let i = 1; i < 100; i++) {
      items.push(item(i, "Re: chain", { refs: [i - 1] }));
    }
    const html = page(items, { maxDepth: 10 });
    assertEquals(count(html, "<ul>"), 10);
    assertEquals(count(html, "<ul"), count(html, "</ul>"));
    assertEquals(count(html, "<li"), count(html, "</li>"));
    assertEquals(count(html, '<li class="article"'), 100);
    const order = items.map((a) => html.indexOf(`data-number="${a.number}"`));
    assertEquals(order, [...order].sort((a, b) => a - b));
  });
  await t.step("100,000 articles in a 100,000-deep chain", () => {
    const items: NewsItem[] = [];
    for (let i = 0; i < 100_000; i++) {
      items.push(item(i, "Re: deep", { refs: i ? [i - 1] : [] }));
    }
    const html = page(items);
    assertEquals(count(html, "<ul>"), 32);
    assertEquals(count(html, '<li class="article"'), 100_000);
  });
});

Deno.test("renderNewsPage() marks hot articles and leaves hidden ones out", {
  permissions: "none",
}, async (t) => {
  const rules = parseScoreFile([
    "Subject: \\bdeno\\b = +100",
    "From: mallory = -9999",
  ].join("\n"));
  const items = [
    item(1, "Deno 2.0 released"),
    item(2, "Re: Deno 2.0 released", { refs: [1], from: "Mallory <m@x>" }),
    item(3, "Re: Deno 2.0 released", { refs: [1, 2] }),
    item(4, "Denominators and denotations"),
    item(5, "spam", { from: "mallory" }),
  ];
  const options = {
    score: (a: NewsItem) =>
      scoreArticle(rules, { subject: a.subject, from: a.from }),
  };
  const html = page(items, options);
  await t.step("hot articles get the class and their score", () => {
    assertStringIncludes(
      html,
      '<li class="article hot" data-score="100" data-number="1">',
    );
    assertStringIncludes(html, '<span class="score">+100</span>');
    assertStringIncludes(html, '<li class="article" data-number="4">');
  });
  await t.step("hidden articles are omitted, their replies move up", () => {
    assertEquals(html.includes('data-number="2"'), false);
    assertEquals(html.includes('data-number="5"'), false);
    assertEquals(html.includes("spam"), false);
    // 3 replied to 2: now directly under 1.
    const one = html.indexOf('data-number="1"');
    const three = html.indexOf('data-number="3"');
    assert(one < three);
    assertEquals(count(html, "<ul>"), 1);
  });
  await t.step("the summary and the stats agree", () => {
    assertStringIncludes(
      html,
      "3 articles in 2 threads matching “deno” in local.test on 127.0.0.1:1119; 2 hot, 2 hidden by score.",
    );
    const stats = newsPageStats({
      group: "local.test",
      word: "deno",
      server: "127.0.0.1:1119",
      generatedAt: new Date(),
      threads: threadArticles(items),
      ...options,
    });
    assertEquals(stats, { articles: 3, threads: 2, hot: 2, hidden: 2 });
  });
  await t.step("custom thresholds", () => {
    const strict = page(items, { ...options, hotScore: 1000, hideScore: -1e6 });
    assertEquals(strict.includes('class="article hot"'), false);
    assertStringIncludes(strict, 'data-number="5"');
  });
  await t.step("a thread whose articles are all hidden disappears", () => {
    const only = page([item(5, "spam", { from: "mallory" })], options);
    assertStringIncludes(only, "No articles matched.");
    assertStringIncludes(only, "0 articles in 0 threads");
  });
});

Deno.test("renderNewsPage() links local article pages with --serve", {
  permissions: "none",
}, () => {
  const html = page([item(3, "Deno")], {
    articleHref: (a) => `/article/${a.number}`,
  });
  assertStringIncludes(html, '<a class="subject" href="/article/3">Deno</a>');
  assertStringIncludes(
    html,
    '<a class="news" href="news:test.3@lab.test">news:</a>',
  );
});

Deno.test("newsItemFromOverview() decodes and parses an overview entry", {
  permissions: "none",
}, async (t) => {
  await t.step("RFC 2047 subject and poster, RFC 5322 date", () => {
    const entry = parseOverviewLine(
      [
        "1",
        "=?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=",
        "=?UTF-8?B?Sm9zw6kgTcO8bGxlcg==?= <jose@example.invalid>",
        "Mon, 01 Jan 2024 01:00:00 +0100 (CET)",
        "<utf8.1@lab.test>",
        "<utf8.0@lab.test>",
        "900",
        "10",
      ].join("\t"),
      DEFAULT_OVERVIEW_FORMAT,
    )!;
    assertEquals(newsItemFromOverview(entry), {
      number: 1,
      messageId: "<utf8.1@lab.test>",
      references: ["<utf8.0@lab.test>"],
      subject: "Grüße aus Köln",
      from: "José Müller <jose@example.invalid>",
      date: new Date("2024-01-01T00:00:00Z"),
    });
  });
  await t.step("a date that cannot be parsed is left out", () => {
    const entry = parseOverviewLine(
      "2\ts\tf\tsometime\t<2@x>\t",
      DEFAULT_OVERVIEW_FORMAT,
    )!;
    assertEquals("date" in newsItemFromOverview(entry), false);
    const html = page([newsItemFromOverview(entry)]);
    assertEquals(html.includes('<time datetime=""'), false);
  });
});
