/**
 * NntpClient and news_viewer against a real INN2 server (Debian's inn2,
 * started by `bash tests/interop/peers.sh start`): group information,
 * overview, articles by number and message-id, a post read back, STARTTLS
 * and implicit TLS with AUTHINFO, and news_viewer over 100,000 articles.
 *
 * @module
 */

import { NntpClient, NntpReplyError } from "../../protocols/nntp.ts";
import { decodeHeader } from "../../protocols/mime_header.ts";
import { run } from "../../scripts/news_viewer.ts";
import { type Peers, peerTest } from "./_peers.ts";
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
} from "../_assert.ts";

function plain(peers: Peers): Promise<NntpClient> {
  return NntpClient.connect({
    hostname: peers.inn.hostname,
    port: peers.inn.port,
  });
}

async function collect<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iter) out.push(item);
  return out;
}

peerTest(
  "NntpClient reads group information from INN",
  "inn",
  async (t, peers) => {
    const client = await plain(peers);
    try {
      assert(client.capabilities.has("READER"));
      assert(client.capabilities.has("OVER"));
      for (const name of ["local.test", "local.big", "local.utf8"] as const) {
        await t.step(name, async () => {
          const group = await client.group(name);
          assertEquals(group.name, name);
          assertEquals(group.count, peers.news.groups[name].count);
          assertEquals(group.low, 1);
          assertEquals(group.high, peers.news.groups[name].count);
        });
      }
      const err = await assertRejects(
        () => client.group("local.no-such-group"),
        NntpReplyError,
      );
      assertEquals(err.kind, "no-such-group");
      const active = await collect(client.listActive("local.*"));
      assert(active.some((g) => g.name === "local.big" && g.high === 100000));
      const described = await collect(client.listNewsgroups("local.big"));
      assertEquals(
        described[0]?.description,
        peers.news.groups["local.big"].description,
      );
      assert((await client.date()).getUTCFullYear() >= 2024);
    } finally {
      await client.quit();
    }
  },
);

peerTest(
  "NntpClient.over() reads the overview of local.test from INN",
  "inn",
  async (_t, peers) => {
    const client = await plain(peers);
    try {
      await client.group("local.test");
      const entries = await collect(client.over({ start: 1, end: 50 }));
      assertEquals(entries.length, 50);
      assertEquals(entries[12]!.subject, "<script>alert(1)</script>");
      assertEquals(entries[2]!.messageId, "<test.3@lab.test>");
      assertEquals(entries[0]!.extra.xref?.endsWith(" local.test:1"), true);
      const hits = entries.filter((e) =>
        decodeHeader(e.subject).toLowerCase().includes(peers.news.word)
      );
      assertEquals(hits.length, peers.news.wordHits["local.test"]);
      const subjects = await collect(
        client.hdr("Subject", { start: 1, end: 50 }),
      );
      assertEquals(subjects.length, 50);
      assertEquals(subjects[2], { number: 3, value: "Deno 2.0 released" });
    } finally {
      await client.quit();
    }
  },
);

peerTest(
  "NntpClient reads articles from INN by number and by message-id",
  "inn",
  async (_t, peers) => {
    const client = await plain(peers);
    try {
      await client.group("local.test");
      const byNumber = await client.article(3, { newline: "\n" });
      assertEquals(byNumber.number, 3);
      assertEquals(byNumber.messageId, "<test.3@lab.test>");
      assertEquals(byNumber.headers.get("Subject"), "Deno 2.0 released");
      const body = await new Response(byNumber.body).text();
      assertStringIncludes(body, "\n.a line that starts with a dot");
      assertStringIncludes(body, "\n..two dots\n");
      const byId = await client.head("<test.17@lab.test>");
      assertEquals(
        byId.headers.get("From"),
        `"<b>Bob</b> & Co" <bob@example.invalid>`,
      );
      const err = await assertRejects(
        () => client.article("<no-such-article@lab.test>"),
        NntpReplyError,
      );
      assertEquals([err.code, err.kind], [430, "no-such-article"]);
      await client.group("local.threads");
      const folded = await collect(client.over({ start: 1, end: 48 }));
      assertEquals(folded.length, 48);
    } finally {
      await client.quit();
    }
  },
);

peerTest(
  "NntpClient posts to local.post on INN and reads the article back",
  "inn",
  async (_t, peers) => {
    const client = await plain(peers);
    const id = `<inetkit.${Date.now()}.${
      crypto.randomUUID().slice(0, 8)
    }@lab.test>`;
    try {
      const result = await client.post({
        headers: {
          From: "inetkit interop <interop@example.invalid>",
          Newsgroups: "local.post",
          Subject: "inetkit interop post",
          "Message-ID": id,
        },
        body: "first line\n.a dot line\n..two dots\nlast line\n",
      });
      assertEquals(result.reply.code, 240);
      // innd files the article asynchronously: poll for a few seconds.
      let article;
      for (let i = 0; i < 50; i++) {
        try {
          article = await client.article(id, { newline: "\n" });
          break;
        } catch (err) {
          if (!(err instanceof NntpReplyError)) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      assert(article, `posted article ${id} never appeared`);
      assertEquals(article.headers.get("Subject"), "inetkit interop post");
      assertEquals(
        await new Response(article.body).text(),
        "first line\n.a dot line\n..two dots\nlast line\n",
      );
      const err = await assertRejects(
        () =>
          client.post({
            headers: {
              From: "x@example.invalid",
              Newsgroups: "junk",
              Subject: "refused",
            },
            body: "no\n",
          }),
        NntpReplyError,
      );
      assertEquals(err.kind, "posting-failed");
    } finally {
      await client.quit();
    }
  },
);

peerTest(
  "NntpClient upgrades with STARTTLS and logs in on INN",
  "inn",
  async (_t, peers) => {
    const caCerts = [await Deno.readTextFile(peers.tls.caFile)];
    const client = await NntpClient.connect({
      hostname: peers.inn.hostname,
      port: peers.inn.port,
      startTls: true,
      caCerts,
      user: peers.inn.user.name,
      password: peers.inn.user.password,
    });
    try {
      assert(client.isTls);
      assert(client.authenticated);
      assert(!client.capabilities.has("STARTTLS"));
      assertEquals((await client.group("local.test")).count, 50);
    } finally {
      await client.quit();
    }
  },
);

peerTest(
  "NntpClient uses implicit TLS with AUTHINFO on INN, eagerly and on 480",
  "innTls",
  async (t, peers) => {
    const caCerts = [await Deno.readTextFile(peers.tls.caFile)];
    const base = {
      hostname: peers.innTls.hostname,
      port: peers.innTls.port,
      tls: true,
      caCerts,
      user: peers.innTls.user.name,
      password: peers.innTls.user.password,
    };
    await t.step("login while connecting", async () => {
      const client = await NntpClient.connect(base);
      try {
        assert(client.authenticated);
        assertEquals((await client.group("local.utf8")).count, 18);
      } finally {
        await client.quit();
      }
    });
    await t.step("login when the server answers 480", async () => {
      const client = await NntpClient.connect({ ...base, lazyLogin: true });
      try {
        assert(!client.authenticated);
        assertEquals((await client.group("local.test")).count, 50);
        assert(client.authenticated);
      } finally {
        await client.quit();
      }
    });
    await t.step("a wrong password is refused", async () => {
      const err = await assertRejects(
        () => NntpClient.connect({ ...base, password: "wrong" }),
        NntpReplyError,
      );
      assertEquals(err.kind, "auth-rejected");
    });
  },
);

peerTest(
  "NntpClient decodes the encoded words of local.utf8 on INN",
  "inn",
  async (_t, peers) => {
    const client = await plain(peers);
    try {
      await client.group("local.utf8");
      const entries = await collect(client.over({ start: 1, end: 18 }));
      assertEquals(entries.length, peers.news.groups["local.utf8"].count);
      const subjects = entries.map((e) => decodeHeader(e.subject));
      const froms = entries.map((e) => decodeHeader(e.from));
      assertEquals(subjects[0], "Grüße aus Köln");
      assertEquals(subjects[1], "Café crème");
      assertEquals(subjects[4], "<script>alert('x')</script> & ü");
      assert(subjects.includes("adjacent words"));
      assert(froms.some((f) => f.startsWith("José Müller")));
      assert(froms.some((f) => f.startsWith("François Lefèvre")));
    } finally {
      await client.quit();
    }
  },
);

peerTest(
  "news_viewer finds the deno articles among the 100,000 of local.big on INN",
  "inn",
  async (t, peers) => {
    const dir = await Deno.makeTempDir({ prefix: "news-viewer-interop-" });
    try {
      for (const strategy of ["hdr", "over"] as const) {
        await t.step(`scan with ${strategy}`, async () => {
          const out = `${dir}/big-${strategy}.html`;
          const result = await run({
            group: "local.big",
            word: peers.news.word,
            server: `${peers.inn.hostname}:${peers.inn.port}`,
            out,
            quiet: true,
            strategy,
          });
          assertEquals(result.scanned, peers.news.groups["local.big"].count);
          assertEquals(result.matches, peers.news.wordHits["local.big"]);
          const html = await Deno.readTextFile(out);
          assert(!/<script/i.test(html));
          assertEquals(
            (html.match(/&lt;script&gt;alert\(1\)&lt;\/script&gt;/g) ?? [])
              .length >= peers.news.htmlHostileBig,
            true,
          );
        });
      }
      await t.step("local.utf8 decoded in the page", async () => {
        const out = `${dir}/utf8.html`;
        const result = await run({
          group: "local.utf8",
          word: "deno",
          server: `${peers.inn.hostname}:${peers.inn.port}`,
          out,
          quiet: true,
        });
        assert(result.matches >= 2);
        const html = await Deno.readTextFile(out);
        assertStringIncludes(html, "DENO über alles");
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
