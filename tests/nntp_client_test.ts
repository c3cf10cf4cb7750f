import {
  ArticleHeaders,
  NntpClient,
  type NntpClientOptions,
  type NntpRange,
  NntpReplyError,
} from "../protocols/nntp.ts";
import {
  ConnectionClosedError,
  ProtocolError,
  ReplyError,
  TimeoutError,
} from "../protocols/errors.ts";
import {
  parseActiveLine,
  parseArticleReply,
  parseCapabilities,
  parseDateReply,
  parseGroupReply,
  parseHeaderLine,
  parseNewsgroupsLine,
} from "../protocols/_nntp_parse.ts";
import {
  formatNntpDate,
  formatTarget,
  isMessageId,
} from "../protocols/_nntp_args.ts";
import {
  generatedGroup,
  type NntpFixtureOptions,
  type NntpFixtureServer,
  startNntpFixtureServer,
} from "../scripts/_nntp_fixture_server.ts";
import { testCerts } from "./_tls.ts";
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertThrows,
} from "./_assert.ts";

const USER = { name: "reader", password: "secret word" };

async function withServer(
  options: NntpFixtureOptions,
  fn: (server: NntpFixtureServer) => Promise<void>,
): Promise<void> {
  const server = startNntpFixtureServer(options);
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

function connect(
  server: NntpFixtureServer,
  options: NntpClientOptions = {},
): Promise<NntpClient> {
  return NntpClient.connect({
    hostname: server.hostname,
    port: server.port,
    ...options,
  });
}

function* chunksOf(total: number, size: number): Generator<NntpRange> {
  for (let lo = 1; lo <= total; lo += size) {
    yield { start: lo, end: Math.min(total, lo + size - 1) };
  }
}

async function collect<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iter) out.push(item);
  return out;
}

Deno.test("NntpClient.connect() reads the greeting and CAPABILITIES", async () => {
  await withServer({}, async (server) => {
    const client = await connect(server);
    try {
      assertEquals(client.greeting.code, 200);
      assert(client.postingAllowed);
      assert(client.capabilities.has("OVER"));
      assertEquals(client.capabilities.get("VERSION"), ["2"]);
      assertEquals(server.received, ["CAPABILITIES"]);
    } finally {
      await client.quit();
    }
    assert(!client.isOpen);
    assertEquals(server.received.at(-1), "QUIT");
  });
});

Deno.test("NntpClient.connect() rejects a 400 or 502 greeting with a typed error", async (t) => {
  for (
    const [code, kind] of [
      [400, "service-discontinued"],
      [502, "service-unavailable"],
    ] as const
  ) {
    await t.step(`greeting ${code}`, async () => {
      await withServer({ faults: { greeting: code } }, async (server) => {
        const err = await assertRejects(() => connect(server), NntpReplyError);
        assertEquals(err.code, code);
        assertEquals(err.kind, kind);
      });
    });
  }
});

Deno.test("NntpClient.connect() sends MODE READER when CAPABILITIES lists MODE-READER", async () => {
  await withServer(
    { faults: { modeReaderRequired: true } },
    async (server) => {
      const client = await connect(server);
      try {
        assertEquals(server.received, [
          "CAPABILITIES",
          "MODE READER",
          "CAPABILITIES",
        ]);
        assert(client.capabilities.has("READER"));
        assertEquals((await client.group("fixture.news")).count, 28);
      } finally {
        client.close();
      }
    },
  );
});

Deno.test("NntpClient.connect() copes with a server without CAPABILITIES", async () => {
  await withServer({ faults: { noCapabilities: true } }, async (server) => {
    const client = await connect(server);
    try {
      assertEquals(client.capabilities.size, 0);
      assertEquals(server.received, ["CAPABILITIES", "MODE READER"]);
      assertEquals((await client.group("fixture.news")).high, 28);
    } finally {
      client.close();
    }
  });
});

Deno.test("NntpClient.group() reports counts and a typed 411", async (t) => {
  await withServer({}, async (server) => {
    const client = await connect(server);
    try {
      await t.step("existing group", async () => {
        assertEquals(await client.group("fixture.news"), {
          name: "fixture.news",
          count: 28,
          low: 1,
          high: 28,
        });
        assertEquals(client.currentGroup?.name, "fixture.news");
      });
      await t.step("empty group", async () => {
        const g = await client.group("fixture.empty");
        assertEquals(g.count, 0);
      });
      await t.step("unknown group", async () => {
        const err = await assertRejects(
          () => client.group("no.such.group"),
          NntpReplyError,
        );
        assertEquals(err.code, 411);
        assertEquals(err.kind, "no-such-group");
        assertInstanceOf(err, ReplyError);
      });
      await t.step("group name with a space is refused before sending", () => {
        assertThrows(() => client.group("a b"), TypeError);
      });
    } finally {
      await client.quit();
    }
  });
});

Deno.test("NntpClient.article() reads head and body by number and by message-id", async (t) => {
  await withServer({}, async (server) => {
    const client = await connect(server);
    try {
      await client.group("fixture.news");
      await t.step("by number, body dot-unstuffed", async () => {
        const a = await client.article(3, { newline: "\n" });
        assertEquals(a.number, 3);
        assertEquals(a.messageId, "<news.3@fixture.invalid>");
        assertEquals(a.headers.get("subject"), "Re: Deno 2.0 released");
        assertEquals(
          a.headers.get("References"),
          "<news.1@fixture.invalid> <news.2@fixture.invalid>",
        );
        const body = await new Response(a.body).text();
        assert(body.includes("\n.a line that starts with a dot\n..two dots\n"));
      });
      await t.step("by message-id", async () => {
        const a = await client.article("<news.5@fixture.invalid>");
        assertEquals(a.number, 5);
        assertEquals(a.headers.get("From"), `"Bob & Co" <bob@example.invalid>`);
        await a.body.cancel();
      });
      await t.step("folded header unfolded", async () => {
        const h = await client.head(21);
        assertEquals(h.headers.get("Subject"), "a folded\tsubject about deno");
      });
      await t.step("raw Latin-1 header decoded", async () => {
        const h = await client.head(20);
        assertEquals(h.headers.get("From"), "René <rene@example.invalid>");
        const b = await client.body(20, { newline: "\n" });
        assertEquals(
          new TextDecoder("latin1").decode(
            new Uint8Array(await new Response(b.body).arrayBuffer()),
          ),
          "Café crème, 8-bit body.\n",
        );
      });
      await t.step(
        "a body left unread is drained by the next command",
        async () => {
          const b = await client.body(1);
          assertEquals((await client.stat(2)).number, 2);
          await assertRejects(() => new Response(b.body).text(), TypeError);
        },
      );
      await t.step("missing articles are typed", async () => {
        const e1 = await assertRejects(
          () => client.article(999),
          NntpReplyError,
        );
        assertEquals([e1.code, e1.kind], [423, "no-such-article"]);
        const e2 = await assertRejects(
          () => client.head("<missing@fixture.invalid>"),
          NntpReplyError,
        );
        assertEquals([e2.code, e2.kind], [430, "no-such-article"]);
      });
    } finally {
      await client.quit();
    }
  });
});

Deno.test("NntpClient refuses malformed message-ids before sending anything", async () => {
  await withServer({}, async (server) => {
    const client = await connect(server);
    try {
      const before = server.received.length;
      for (
        const bad of [
          "no-brackets@x",
          "<a b@x>",
          "<a@x>\r\nQUIT",
          "<a\0b@x>",
          "<>",
          "<a>b@x>",
          `<${"x".repeat(300)}@x>`,
        ]
      ) {
        assertThrows(() => client.article(bad), TypeError);
        assertThrows(() => client.over(bad), TypeError);
      }
      assertEquals(server.received.length, before);
    } finally {
      client.close();
    }
  });
});

Deno.test("NntpClient.stat(), next() and last() move the article pointer", async () => {
  await withServer({}, async (server) => {
    const client = await connect(server);
    try {
      const e0 = await assertRejects(() => client.next(), NntpReplyError);
      assertEquals(e0.kind, "no-group-selected");
      await client.group("fixture.news");
      assertEquals((await client.stat()).number, 1);
      assertEquals((await client.next()).number, 2);
      assertEquals((await client.last()).number, 1);
      const err = await assertRejects(() => client.last(), NntpReplyError);
      assertEquals(err.kind, "no-previous-article");
      assertEquals(
        (await client.stat("<news.4@fixture.invalid>")).messageId,
        "<news.4@fixture.invalid>",
      );
    } finally {
      client.close();
    }
  });
});

Deno.test("NntpClient.over() parses with OVERVIEW.FMT and keeps Xref:full", async () => {
  await withServer({}, async (server) => {
    const client = await connect(server);
    try {
      await client.group("fixture.news");
      const entries = await collect(client.over({ start: 1, end: 28 }));
      assertEquals(entries.length, 28);
      const first = entries[0]!;
      assertEquals(first.number, 1);
      assertEquals(first.subject, "Deno 2.0 released");
      assertEquals(first.messageId, "<news.1@fixture.invalid>");
      assertEquals(first.extra.xref, "fixture.invalid fixture.news:1");
      assertEquals(first.bytes !== undefined && first.bytes > 0, true);
      assertEquals(entries[2]!.references, [
        "<news.1@fixture.invalid>",
        "<news.2@fixture.invalid>",
      ]);
      assertEquals(
        server.received.filter((l) => l.startsWith("LIST OVERVIEW.FMT"))
          .length,
        1,
      );
      // The format is cached.
      await collect(client.over(5));
      assertEquals(
        server.received.filter((l) => l.startsWith("LIST OVERVIEW.FMT"))
          .length,
        1,
      );
      // An empty range yields nothing.
      assertEquals(
        (await collect(client.over({ start: 500, end: 600 }))).length,
        0,
      );
      // By message-id.
      const byId = await collect(client.over("<news.4@fixture.invalid>"));
      assertEquals(byId[0]?.subject, `<script>alert("deno")</script>`);
    } finally {
      client.close();
    }
  });
});

Deno.test("NntpClient.over() falls back to XOVER when OVER returns 500, and remembers", async () => {
  await withServer({ faults: { noOver: true } }, async (server) => {
    // Without CAPABILITIES the client cannot know in advance.
    await withServer(
      { faults: { noOver: true, noCapabilities: true } },
      async (legacy) => {
        const client = await connect(legacy);
        try {
          await client.group("fixture.news");
          assertEquals(
            (await collect(client.over({ start: 1, end: 10 }))).length,
            10,
          );
          assertEquals(
            (await collect(client.over({ start: 11, end: 20 }))).length,
            10,
          );
          const verbs = legacy.received.filter((l) => /^X?OVER /.test(l));
          assertEquals(verbs, ["OVER 1-10", "XOVER 1-10", "XOVER 11-20"]);
        } finally {
          client.close();
        }
      },
    );
    // With CAPABILITIES lacking OVER, XOVER is used straight away.
    const client = await connect(server);
    try {
      await client.group("fixture.news");
      assertEquals(
        (await collect(client.over({ start: 1, end: 28 }))).length,
        28,
      );
      assertEquals(
        server.received.filter((l) => /^X?OVER /.test(l)),
        ["XOVER 1-28"],
      );
    } finally {
      client.close();
    }
  });
});

Deno.test("NntpClient.over() uses the default format without LIST OVERVIEW.FMT", async () => {
  await withServer({ faults: { noOverviewFormat: true } }, async (server) => {
    const client = await connect(server);
    try {
      await client.group("fixture.news");
      const [entry] = await collect(client.over(2));
      assertEquals(entry?.subject, "Re: Deno 2.0 released");
      assertEquals(entry?.references, ["<news.1@fixture.invalid>"]);
    } finally {
      client.close();
    }
  });
});

Deno.test("NntpClient.over() skips garbage overview lines", async () => {
  await withServer({ faults: { garbageOverview: true } }, async (server) => {
    const client = await connect(server);
    try {
      await client.group("fixture.news");
      const entries = await collect(client.over({ start: 1, end: 28 }));
      assertEquals(
        entries.map((e) => e.number),
        [...Array(28)].map((_, i) => i + 1),
      );
    } finally {
      client.close();
    }
  });
});

Deno.test("NntpClient.over() fetches big ranges in chunks", async () => {
  await withServer({}, async (server) => {
    const client = await connect(server);
    try {
      await client.group("fixture.big");
      let n = 0;
      for await (
        const _ of client.over({ start: 1, end: 5000 }, { chunkSize: 1000 })
      ) n++;
      assertEquals(n, 5000);
      assertEquals(server.received.filter((l) => l.startsWith("OVER ")), [
        "OVER 1-1000",
        "OVER 1001-2000",
        "OVER 2001-3000",
        "OVER 3001-4000",
        "OVER 4001-5000",
      ]);
    } finally {
      client.close();
    }
  });
});

Deno.test("NntpClient.over() and overEach() left with break keep the connection in step", async () => {
  await withServer({}, async (server) => {
    const client = await connect(server);
    try {
      await client.group("fixture.big");
      let n = 0;
      for await (
        const _ of client.over({ start: 1, end: 5000 }, { chunkSize: 1000 })
      ) {
        if (++n === 10) break;
      }
      // The next chunk was already asked for: its reply is discarded.
      assertEquals((await client.stat(42)).number, 42);
      let m = 0;
      for await (
        const _ of client.overEach([1, 2, 3, 4, 5, 6, 7, 8], { window: 5 })
      ) {
        if (++m === 2) break;
      }
      assertEquals((await client.stat(43)).number, 43);
      const all = await collect(client.over({ start: 4990, end: 5000 }));
      assertEquals(all.length, 11);
    } finally {
      await client.quit();
    }
  });
});

Deno.test("NntpClient.hdr() and over() take an iterable of ranges that two clients can share", async () => {
  await withServer({}, async (server) => {
    const [a, b] = await Promise.all([connect(server), connect(server)]);
    try {
      await Promise.all([a.group("fixture.big"), b.group("fixture.big")]);
      const shared = chunksOf(5000, 250);
      const iterable = { [Symbol.iterator]: () => shared };
      const seen: number[] = [];
      await Promise.all([a, b].map(async (client) => {
        for await (const { number } of client.hdr("Subject", iterable)) {
          seen.push(number);
        }
      }));
      seen.sort((x, y) => x - y);
      assertEquals(seen.length, 5000);
      assertEquals(seen[0], 1);
      assertEquals(seen.at(-1), 5000);
      assertEquals(new Set(seen).size, 5000);
      const entries = await collect(a.over([7, { start: 10, end: 12 }, 99999]));
      assertEquals(entries.map((e) => e.number), [7, 10, 11, 12]);
    } finally {
      a.close();
      b.close();
    }
  });
});

Deno.test("NntpClient.over() streams 1,000,000 entries in flat memory", async () => {
  await withServer(
    { groups: [generatedGroup("fixture.huge", 1_000_000)] },
    async (server) => {
      const client = await connect(server);
      try {
        await client.group("fixture.huge");
        let n = 0;
        let hits = 0;
        let peak = 0;
        const base = Deno.memoryUsage().heapUsed;
        for await (
          const entry of client.over({ start: 1, end: 1_000_000 }, {
            chunkSize: 50_000,
          })
        ) {
          n++;
          if (/deno/i.test(entry.subject)) hits++;
          if (n % 50_000 === 0) {
            peak = Math.max(peak, Deno.memoryUsage().heapUsed - base);
          }
        }
        assertEquals(n, 1_000_000);
        assertEquals(hits, 10_000);
        // A million retained entries would take several hundred MB.
        assert(peak < 150 * 1024 * 1024, `heap grew by ${peak} bytes`);
      } finally {
        client.close();
      }
    },
  );
});

Deno.test("NntpClient reports a connection cut mid multi-line response as an error", async (t) => {
  await t.step("during OVER", async () => {
    await withServer(
      { faults: { cutAfterLines: 7, cutCommand: "OVER" } },
      async (server) => {
        const client = await connect(server);
        try {
          await client.group("fixture.news");
          const seen: number[] = [];
          const err = await assertRejects(async () => {
            for await (const e of client.over({ start: 1, end: 28 })) {
              seen.push(e.number);
            }
          }, ConnectionClosedError);
          assert(err.message.includes("multi-line"));
          assertEquals(seen.length, 7);
          assert(!client.isOpen);
          await assertRejects(
            () => client.group("fixture.news"),
            ConnectionClosedError,
          );
        } finally {
          client.close();
        }
      },
    );
  });
  await t.step("during an article body", async () => {
    await withServer(
      { faults: { cutAfterLines: 9, cutCommand: "ARTICLE" } },
      async (server) => {
        const client = await connect(server);
        try {
          await client.group("fixture.news");
          const a = await client.article(1);
          await assertRejects(
            () => new Response(a.body).text(),
            ConnectionClosedError,
          );
        } finally {
          client.close();
        }
      },
    );
  });
  await t.step("during HEAD", async () => {
    await withServer(
      { faults: { cutAfterLines: 2, cutCommand: "HEAD" } },
      async (server) => {
        const client = await connect(server);
        try {
          await client.group("fixture.news");
          await assertRejects(() => client.head(1), ConnectionClosedError);
        } finally {
          client.close();
        }
      },
    );
  });
});

Deno.test("NntpClient without credentials reports 480 as auth-required", async () => {
  await withServer({ faults: { authAfterCommands: 2 } }, async (server) => {
    const client = await connect(server);
    try {
      await client.group("fixture.news");
      const err = await assertRejects(() => client.stat(3), NntpReplyError);
      assertEquals([err.code, err.kind], [480, "auth-required"]);
    } finally {
      client.close();
    }
  });
});

Deno.test("NntpClient.connect() logs in at once when given credentials", async () => {
  await withServer({ faults: { requireAuth: true } }, async (server) => {
    const client = await connect(server, {
      user: USER.name,
      password: USER.password,
    });
    try {
      assert(client.authenticated);
      assertEquals(server.received, [
        "CAPABILITIES",
        "AUTHINFO USER reader",
        "AUTHINFO PASS ***",
        "CAPABILITIES",
      ]);
      assertEquals((await client.group("fixture.news")).count, 28);
    } finally {
      client.close();
    }
  });
});

Deno.test("NntpClient answers a mid-session 480 with AUTHINFO and resends the command once", async () => {
  await withServer({ faults: { authAfterCommands: 3 } }, async (server) => {
    const client = await connect(server, {
      user: USER.name,
      password: USER.password,
      lazyLogin: true,
    });
    try {
      assert(!client.authenticated);
      await client.group("fixture.news");
      const entries = await collect(client.over({ start: 1, end: 3 }));
      assertEquals(entries.length, 3);
      assert(client.authenticated);
      assertEquals(server.received, [
        "CAPABILITIES",
        "GROUP fixture.news",
        "LIST OVERVIEW.FMT",
        "OVER 1-3",
        "AUTHINFO USER reader",
        "AUTHINFO PASS ***",
        "CAPABILITIES",
        "OVER 1-3",
      ]);
    } finally {
      client.close();
    }
  });
});

Deno.test("NntpClient.authenticate() reports a refused login as auth-rejected", async () => {
  await withServer({ faults: { requireAuth: true } }, async (server) => {
    const err = await assertRejects(
      () =>
        NntpClient.connect({
          hostname: server.hostname,
          port: server.port,
          user: USER.name,
          password: "wrong",
        }),
      NntpReplyError,
    );
    assertEquals([err.code, err.kind], [481, "auth-rejected"]);
    assert(!server.received.some((l) => l.includes("wrong")));
  });
});

Deno.test("NntpClient.overEach() pipelines OVER and logs in when asked mid-batch", async () => {
  await withServer({ faults: { authAfterCommands: 6 } }, async (server) => {
    const client = await NntpClient.connect({
      hostname: server.hostname,
      port: server.port,
      user: USER.name,
      password: USER.password,
      lazyLogin: true,
    });
    try {
      await client.group("fixture.big");
      const wanted = [100, 200, 300, 400, 500, 600, 700, 800, 900, 99999];
      const entries = await collect(client.overEach(wanted, { window: 4 }));
      assertEquals(entries.map((e) => e.number), wanted.slice(0, 9));
      assert(client.authenticated);
    } finally {
      client.close();
    }
  });
});

Deno.test("NntpClient.hdr() falls back to XHDR", async () => {
  await withServer(
    { faults: { noHdr: true, noCapabilities: true } },
    async (server) => {
      const client = await connect(server);
      try {
        await client.group("fixture.news");
        const values = await collect(
          client.hdr("Subject", { start: 1, end: 3 }),
        );
        assertEquals(values, [
          { number: 1, value: "Deno 2.0 released" },
          { number: 2, value: "Re: Deno 2.0 released" },
          { number: 3, value: "Re: Deno 2.0 released" },
        ]);
        await collect(client.hdr("From", { start: 1, end: 2 }));
        assertEquals(server.received.filter((l) => /^X?HDR/.test(l)), [
          "HDR Subject 1-3",
          "XHDR Subject 1-3",
          "XHDR From 1-2",
        ]);
      } finally {
        client.close();
      }
    },
  );
});

Deno.test("NntpClient lists groups, descriptions, new groups and new news", async () => {
  await withServer({}, async (server) => {
    const client = await connect(server);
    try {
      const active = await collect(client.listActive("fixture.*"));
      assertEquals(active.map((g) => g.name), [
        "fixture.news",
        "fixture.empty",
        "fixture.big",
      ]);
      assertEquals(active[0], {
        name: "fixture.news",
        high: 28,
        low: 1,
        status: "y",
      });
      const described = await collect(client.listNewsgroups("fixture.e*"));
      assertEquals(described, [{
        name: "fixture.empty",
        description: "No articles",
      }]);
      assertEquals(
        (await collect(client.newGroups(new Date("2023-12-31T00:00:00Z"))))
          .length,
        3,
      );
      assertEquals(
        server.received.at(-1),
        "NEWGROUPS 20231231 000000 GMT",
      );
      const ids = await collect(
        client.newNews("fixture.news", new Date("2024-01-27T00:00:00Z")),
      );
      assertEquals(ids, [
        "<news.27@fixture.invalid>",
        "<news.1@fixture.invalid>",
      ]);
      const numbers = await collect(
        client.listGroup("fixture.news", { start: 26 }),
      );
      assertEquals(numbers, [26, 27, 28]);
      assertEquals(client.currentGroup?.name, "fixture.news");
      assertEquals(
        (await client.date()).toISOString(),
        "2024-01-02T03:04:05.000Z",
      );
    } finally {
      client.close();
    }
  });
});

Deno.test("NntpClient.post() dot-stuffs the article and reads it back", async (t) => {
  await withServer({}, async (server) => {
    const client = await connect(server);
    try {
      await t.step("accepted", async () => {
        const result = await client.post({
          headers: {
            From: "Poster <poster@example.invalid>",
            Newsgroups: "fixture.empty",
            Subject: "Posted from the test",
            "Message-ID": "<posted.1@fixture.invalid>",
          },
          body: "first line\n.starts with a dot\n.\nlast\n",
        });
        assertEquals(result.reply.code, 240);
        assertEquals(result.messageId, "<posted.1@fixture.invalid>");
        assert(
          server.posted[0]!.includes("\r\n.starts with a dot\r\n.\r\nlast"),
        );
        const back = await client.article("<posted.1@fixture.invalid>", {
          newline: "\n",
        });
        assertEquals(back.headers.get("Subject"), "Posted from the test");
        assertEquals(
          await new Response(back.body).text(),
          "first line\n.starts with a dot\n.\nlast\n",
        );
        assertEquals((await client.group("fixture.empty")).count, 1);
      });
      await t.step("rejected with 441", async () => {
        const err = await assertRejects(
          () => client.post("From: a@b.invalid\nSubject: x\n\nno groups\n"),
          NntpReplyError,
        );
        assertEquals([err.code, err.kind], [441, "posting-failed"]);
      });
      await t.step("header injection refused", () => {
        assertThrows(
          () =>
            client.post({
              headers: { Subject: "x\r\nNewsgroups: evil" },
              body: "",
            }),
          TypeError,
        );
      });
    } finally {
      await client.quit();
    }
  });
});

Deno.test("NntpClient.post() logs in when POST answers 480", async () => {
  await withServer({ faults: { requireAuth: true } }, async (server) => {
    const client = await NntpClient.connect({
      hostname: server.hostname,
      port: server.port,
      user: USER.name,
      password: USER.password,
      lazyLogin: true,
    });
    try {
      const stream = ReadableStream.from([
        new TextEncoder().encode(
          "From: p@example.invalid\r\nNewsgroups: fixture.news\r\nSubject: s\r\n\r\nbody\r\n",
        ),
      ]);
      const result = await client.post(stream);
      assertEquals(result.reply.code, 240);
      assertEquals(server.received.filter((l) => l === "POST").length, 2);
    } finally {
      client.close();
    }
  });
});

Deno.test("NntpClient fails with TimeoutError when the server is too slow", async () => {
  await withServer({ faults: { delayMs: 300 } }, async (server) => {
    await assertRejects(
      () => connect(server, { timeout: 50 }),
      TimeoutError,
    );
  });
});

Deno.test("NntpClient.connect() times out a TLS handshake that never completes", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) accepted.push(conn);
  })();
  try {
    const err = await assertRejects(
      () =>
        NntpClient.connect({
          hostname: "127.0.0.1",
          port: (listener.addr as Deno.NetAddr).port,
          tls: true,
          connectTimeout: 100,
        }),
      TimeoutError,
    );
    assert(err.message.includes("connect to"), err.message);
    const aborted = new AbortController();
    aborted.abort(new Error("stop"));
    await assertRejects(
      () =>
        NntpClient.connect({
          hostname: "127.0.0.1",
          port: (listener.addr as Deno.NetAddr).port,
          signal: aborted.signal,
        }),
      Error,
      "stop",
    );
  } finally {
    listener.close();
    await accepting;
    for (const conn of accepted) conn.close();
  }
});

Deno.test("NntpClient works over TLS from the first byte and over STARTTLS", async (t) => {
  const certs = await testCerts();
  await t.step("implicit TLS with AUTHINFO", async () => {
    await withServer({
      tls: { cert: certs.cert, key: certs.key },
      implicitTls: true,
      faults: { requireAuth: true },
    }, async (server) => {
      const client = await NntpClient.connect({
        hostname: "127.0.0.1",
        port: server.port,
        tls: true,
        caCerts: [certs.caCert],
        user: USER.name,
        password: USER.password,
      });
      try {
        assert(client.isTls);
        assert(client.authenticated);
        assertEquals((await client.group("fixture.news")).count, 28);
      } finally {
        await client.quit();
      }
    });
  });
  await t.step("STARTTLS re-reads CAPABILITIES", async () => {
    await withServer(
      { tls: { cert: certs.cert, key: certs.key } },
      async (server) => {
        const client = await connect(server, {
          startTls: true,
          caCerts: [certs.caCert],
          user: USER.name,
          password: USER.password,
        });
        try {
          assert(client.isTls);
          assert(!client.capabilities.has("STARTTLS"));
          assertEquals(server.received.slice(0, 6), [
            "CAPABILITIES",
            "STARTTLS",
            "CAPABILITIES",
            "AUTHINFO USER reader",
            "AUTHINFO PASS ***",
            "CAPABILITIES",
          ]);
          const a = await client.article("<news.9@fixture.invalid>");
          assertEquals(a.number, 0); // no group selected
          assertEquals(
            a.headers.get("Subject")?.startsWith("=?UTF-8?B?"),
            true,
          );
          await a.body.cancel();
        } finally {
          await client.quit();
        }
      },
    );
  });
  await t.step(
    "STARTTLS refused is an error, not a plaintext fallback",
    async () => {
      await withServer({}, async (server) => {
        const err = await assertRejects(
          () => connect(server, { startTls: true }),
          NntpReplyError,
        );
        assertEquals(err.code, 502);
      });
    },
  );
});

Deno.test("NNTP reply parsers and argument checks handle odd input", async (t) => {
  await t.step("group and article replies", () => {
    assertEquals(parseGroupReply("0 1 0 local.post"), {
      name: "local.post",
      count: 0,
      low: 1,
      high: 0,
    });
    assertThrows(() => parseGroupReply("x y z"), ProtocolError);
    assertEquals(parseArticleReply("0 <a@b> article follows"), {
      number: 0,
      messageId: "<a@b>",
    });
    assertThrows(() => parseArticleReply("12 no-id"), ProtocolError);
  });
  await t.step("capabilities, list and header lines", () => {
    const caps = parseCapabilities([
      "VERSION 2",
      "list active  newsgroups",
      "",
    ]);
    assertEquals(caps.get("LIST"), ["active", "newsgroups"]);
    assertEquals(parseActiveLine("local.test 50 1 y"), {
      name: "local.test",
      high: 50,
      low: 1,
      status: "y",
    });
    assertEquals(parseActiveLine("garbage"), null);
    assertEquals(parseNewsgroupsLine("a.b\tSome  text "), {
      name: "a.b",
      description: "Some  text",
    });
    assertEquals(parseHeaderLine("5 "), { number: 5, value: "" });
    assertEquals(parseHeaderLine("5"), { number: 5, value: "" });
    assertEquals(parseHeaderLine("x y"), null);
  });
  await t.step("DATE replies and NEWGROUPS dates", () => {
    assertEquals(
      parseDateReply("20240229235959").toISOString(),
      "2024-02-29T23:59:59.000Z",
    );
    assertThrows(() => parseDateReply("20230229000000"), ProtocolError);
    assertEquals(formatNntpDate(new Date("2024-01-02T03:04:05Z")), [
      "20240102",
      "030405",
      "GMT",
    ]);
  });
  await t.step("message-ids and ranges", () => {
    assert(isMessageId("<a.b$c@d.e>"));
    assert(!isMessageId("<a@b"));
    assertEquals(formatTarget({ start: 5 }), "5-");
    assertEquals(formatTarget({ start: 5, end: 9 }), "5-9");
    assertThrows(() => formatTarget(-1), RangeError);
    assertThrows(() => formatTarget(1.5), RangeError);
  });
  await t.step("headers unfold and keep order and duplicates", () => {
    const h = ArticleHeaders.parse([
      "Received: a",
      "Received: b",
      "X-Long: one",
      " two",
      "not a header",
    ]);
    assertEquals(h.getAll("received"), ["a", "b"]);
    assertEquals(h.get("x-long"), "one two");
    assertEquals(h.fields.at(-1), { name: "", value: "not a header" });
    assert(!h.has("Subject"));
  });
});
