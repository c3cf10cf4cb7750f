import { newsUrl, parseNewsUrl } from "../protocols/news_url.ts";
import { escapeHtml } from "../protocols/html_escape.ts";
import { assertEquals, assertThrows } from "./_assert.ts";

Deno.test("newsUrl() builds RFC 5538 article URLs", {
  permissions: "none",
}, async (t) => {
  await t.step("drops the angle brackets", () => {
    assertEquals(newsUrl("<test.3@lab.test>"), "news:test.3@lab.test");
    assertEquals(newsUrl("big.12@lab.test"), "news:big.12@lab.test");
    assertEquals(newsUrl(" <a@b> "), "news:a@b");
  });
  await t.step("percent-encodes characters not allowed in a URL", () => {
    assertEquals(newsUrl("<a%b@x>"), "news:a%25b@x");
    assertEquals(newsUrl('<"q"@x>'), "news:%22q%22@x");
    assertEquals(newsUrl("<a b@x>"), "news:a%20b@x");
    assertEquals(newsUrl("<a#b?c@x>"), "news:a%23b%3Fc@x");
    assertEquals(newsUrl("<a/b@x>"), "news:a%2Fb@x");
    assertEquals(newsUrl("<a<b>c@[1.2.3.4]>"), "news:a%3Cb%3Ec@%5B1.2.3.4%5D");
    assertEquals(
      newsUrl("<a\\b^c`d{e|f}@x>"),
      "news:a%5Cb%5Ec%60d%7Be%7Cf%7D@x",
    );
    assertEquals(newsUrl("<a\tb\x7f@x>"), "news:a%09b%7F@x");
  });
  await t.step("encodes non-ASCII as UTF-8", () => {
    assertEquals(newsUrl("<é@x>"), "news:%C3%A9@x");
    assertEquals(newsUrl("<🦕@x>"), "news:%F0%9F%A6%95@x");
  });
  await t.step("keeps RFC 3986 sub-delims", () => {
    assertEquals(newsUrl("<a!$&'()*+,;=:b@x>"), "news:a!$&'()*+,;=:b@x");
    assertEquals(newsUrl("<a-b.c_d~e@x>"), "news:a-b.c_d~e@x");
  });
  await t.step("the result escaped for HTML cannot break an attribute", () => {
    const href = escapeHtml(newsUrl(`<"><script>alert(1)</script>'@x>`));
    assertEquals(href.includes('"'), false);
    assertEquals(href.includes("<"), false);
    assertEquals(href.includes("'"), false);
  });
  await t.step("round trip through parseNewsUrl()", () => {
    for (
      const id of [
        "<test.3@lab.test>",
        "<a%b c#d?e/f@x>",
        "<é🦕@x>",
        "<a!$&'()*+,;=:b@x>",
      ]
    ) {
      assertEquals(parseNewsUrl(newsUrl(id)), {
        kind: "article",
        messageId: id,
      });
    }
  });
});

Deno.test("parseNewsUrl() reads news: and nntp: URLs", {
  permissions: "none",
}, async (t) => {
  await t.step("news:id@host and news:<id@host>", () => {
    assertEquals(parseNewsUrl("news:test.3@lab.test"), {
      kind: "article",
      messageId: "<test.3@lab.test>",
    });
    assertEquals(parseNewsUrl("news:<test.3@lab.test>"), {
      kind: "article",
      messageId: "<test.3@lab.test>",
    });
    assertEquals(parseNewsUrl("news:%3Ctest.3@lab.test%3E"), {
      kind: "article",
      messageId: "<test.3@lab.test>",
    });
  });
  await t.step("news:group and news:*", () => {
    assertEquals(parseNewsUrl("news:local.test"), {
      kind: "group",
      group: "local.test",
    });
    assertEquals(parseNewsUrl("news:*"), { kind: "group", group: "*" });
    assertEquals(parseNewsUrl("NEWS:comp.lang.*"), {
      kind: "group",
      group: "comp.lang.*",
    });
  });
  await t.step("news://server/group and news://server/id", () => {
    assertEquals(parseNewsUrl("news://news.example.org/local.test"), {
      kind: "group",
      group: "local.test",
      server: "news.example.org",
    });
    assertEquals(parseNewsUrl("news://localhost:1119/a@b"), {
      kind: "article",
      messageId: "<a@b>",
      server: "localhost",
      port: 1119,
    });
    assertEquals(parseNewsUrl("news://localhost/"), {
      kind: "group",
      group: "*",
      server: "localhost",
    });
    assertEquals(parseNewsUrl("news://user:pw@[::1]:119/g"), {
      kind: "group",
      group: "g",
      server: "::1",
      port: 119,
    });
  });
  await t.step("snews: and nntps: set tls", () => {
    assertEquals(parseNewsUrl("snews://h:563/g"), {
      kind: "group",
      group: "g",
      server: "h",
      port: 563,
      tls: true,
    });
    assertEquals(parseNewsUrl("nntps://h/g/5"), {
      kind: "group",
      group: "g",
      server: "h",
      tls: true,
      range: { start: 5, end: 5 },
    });
  });
  await t.step("nntp://server:port/group/number and ranges", () => {
    assertEquals(parseNewsUrl("nntp://127.0.0.1:1119/local.big/123"), {
      kind: "group",
      group: "local.big",
      server: "127.0.0.1",
      port: 1119,
      range: { start: 123, end: 123 },
    });
    assertEquals(parseNewsUrl("nntp://h/g"), {
      kind: "group",
      group: "g",
      server: "h",
    });
    assertEquals(parseNewsUrl("nntp://h/g/"), {
      kind: "group",
      group: "g",
      server: "h",
    });
    assertEquals(parseNewsUrl("nntp://h/g/10-20"), {
      kind: "group",
      group: "g",
      server: "h",
      range: { start: 10, end: 20 },
    });
    assertEquals(parseNewsUrl("nntp://h/g/10-"), {
      kind: "group",
      group: "g",
      server: "h",
      range: { start: 10 },
    });
  });
  await t.step("a fragment is ignored", () => {
    assertEquals(parseNewsUrl("news:local.test#top"), {
      kind: "group",
      group: "local.test",
    });
  });
});

Deno.test("parseNewsUrl() rejects what is not a news URL", {
  permissions: "none",
}, () => {
  const bad = [
    "",
    "http://example.org/",
    "news",
    "news:",
    "news:@host",
    "news:id@",
    "news:a b",
    "news:%zz",
    "nntp:local.test",
    "nntp://h/",
    "nntp://h",
    "nntp://h/g/x",
    "nntp://h/g/20-10",
    "nntp://h/g/1/2",
    "news://h:0/g",
    "news://h:65536/g",
    "news://h:port/g",
    "news://[::1/g",
    "news://[::1]x/g",
    "news:a%0D%0AQUIT@x",
    "news:a%00b@x",
    "news://h/a%0Ab@x",
    "news:local%0D%0AQUIT",
    "nntp://h/local%0Atest/1",
  ];
  for (const url of bad) {
    assertThrows(() => parseNewsUrl(url), SyntaxError, "Cannot parse");
  }
});

Deno.test("escapeHtml() escapes the five HTML-special characters", {
  permissions: "none",
}, async (t) => {
  await t.step("hostile subjects of the INN lab", () => {
    assertEquals(
      escapeHtml("<script>alert(1)</script>"),
      "&lt;script&gt;alert(1)&lt;/script&gt;",
    );
    assertEquals(
      escapeHtml(`Tom & Jerry <b>bold</b> & "quotes" 'apos'`),
      "Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quotes&quot; &#39;apos&#39;",
    );
    assertEquals(escapeHtml("a < b && c > d"), "a &lt; b &amp;&amp; c &gt; d");
    assertEquals(
      escapeHtml("<img src=x onerror=alert(1)>"),
      "&lt;img src=x onerror=alert(1)&gt;",
    );
  });
  await t.step("pre-escaped entities are escaped again", () => {
    assertEquals(
      escapeHtml("&amp; already-escaped &lt;tag&gt; entities &#39;"),
      "&amp;amp; already-escaped &amp;lt;tag&amp;gt; entities &amp;#39;",
    );
  });
  await t.step("text without special characters is returned as is", () => {
    assertEquals(escapeHtml("Grüße aus Köln 🦕"), "Grüße aus Köln 🦕");
    assertEquals(escapeHtml(""), "");
  });
});
