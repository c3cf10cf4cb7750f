import {
  main,
  NewsViewerError,
  type NewsViewerOptions,
  parseServer,
  run,
  subjectMatcher,
} from "../scripts/news_viewer.ts";
import { parseNewsViewerArgs } from "../scripts/_news_viewer_args.ts";
import { runMain, UsageError } from "../scripts/_cli.ts";
import { scanRange } from "../scripts/_news_viewer_scan.ts";
import {
  openCommand,
  ProgressReporter,
} from "../scripts/_news_viewer_output.ts";
import { decodeArticleBody } from "../scripts/_news_viewer_body.ts";
import {
  type NntpFixtureOptions,
  type NntpFixtureServer,
  startNntpFixtureServer,
} from "../scripts/_nntp_fixture_server.ts";
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "./_assert.ts";

async function withServer(
  options: NntpFixtureOptions,
  fn: (server: NntpFixtureServer, dir: string) => Promise<void>,
): Promise<void> {
  const server = startNntpFixtureServer(options);
  const dir = await Deno.makeTempDir({ prefix: "news-viewer-test-" });
  try {
    await fn(server, dir);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function quietRun(
  server: NntpFixtureServer,
  dir: string,
  options: Partial<NewsViewerOptions> = {},
): ReturnType<typeof run> {
  return run({
    group: "fixture.news",
    word: "deno",
    server: `127.0.0.1:${server.port}`,
    out: `${dir}/page.html`,
    quiet: true,
    ...options,
  });
}

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

Deno.test("news_viewer run() writes a page of the matching articles", async (t) => {
  await withServer({}, async (server, dir) => {
    const lines: string[] = [];
    const result = await run({
      group: "fixture.news",
      word: "deno",
      server: `127.0.0.1:${server.port}`,
      out: `${dir}/page.html`,
      log: (line) => lines.push(line),
      progress: () => {},
    });
    const html = await Deno.readTextFile(`${dir}/page.html`);
    await t.step("prints the seed's lines", () => {
      assertEquals(lines, [
        `Connecting to 127.0.0.1:${server.port}…`,
        "Fetching group information",
        "Getting article information…",
        `Done - wrote ${dir}/page.html (24 matches)`,
      ]);
    });
    await t.step("counts the decoded, case-insensitive matches", () => {
      assertEquals(result.matches, 24);
      assertEquals(result.scanned, 28);
      assertEquals(result.file, `${dir}/page.html`);
    });
    await t.step("escapes hostile subjects and posters", () => {
      assert(!/<script/i.test(html), "a <script> tag reached the page");
      assert(!/<img/i.test(html), "an <img> tag reached the page");
      assert(!html.includes("<b>Mallory</b>"));
      assertStringIncludes(html, "&lt;script&gt;");
      assertStringIncludes(
        html,
        "&amp;amp; already-escaped &amp;lt;tag&amp;gt;",
      );
      assertStringIncludes(html, "Tom &amp; Jerry");
    });
    await t.step("decodes encoded words in several charsets", () => {
      for (
        const text of [
          "Grüße aus Köln: deno",
          "Café crème and deno",
          "Preis: 100 € for deno",
          "“smart quotes” about deno",
          "Привет, deno",
          "日本語 deno",
          "José Müller",
          "François Lefèvre",
          "Ünïcödé raw subject about deno 🦕",
          "Café raw Latin-1 about deno",
          "deno rocks",
        ]
      ) {
        assertStringIncludes(html, text);
      }
      // Decoded first, escaped after: the payload of article 15 stays text.
      assertStringIncludes(html, "&lt;script&gt;alert(");
    });
    await t.step("declares UTF-8 and links news: URLs", () => {
      assert(/<meta charset="?utf-8"?/i.test(html));
      assertStringIncludes(html, 'href="news:');
    });
  });
});

Deno.test("news_viewer run() scans the same with HDR and with OVER", async () => {
  await withServer({}, async (server, dir) => {
    const viaHdr = await quietRun(server, dir, { strategy: "hdr" });
    const viaOver = await quietRun(server, dir, { strategy: "over" });
    assertEquals(viaHdr.strategy, "hdr");
    assertEquals(viaOver.strategy, "over");
    assertEquals(viaHdr.matches, viaOver.matches);
    const big = await quietRun(server, dir, {
      group: "fixture.big",
      strategy: "auto",
    });
    assertEquals([big.strategy, big.matches, big.scanned], ["hdr", 50, 5000]);
  });
});

Deno.test("news_viewer run() works against a server with XOVER and XHDR only", async () => {
  await withServer(
    { faults: { noOver: true, noHdr: true } },
    async (server, dir) => {
      const result = await quietRun(server, dir, { group: "fixture.big" });
      assertEquals([result.strategy, result.matches], ["hdr", 50]);
      assert(server.received.some((l) => l.startsWith("XHDR Subject ")));
      assert(server.received.some((l) => l.startsWith("XOVER ")));
      assertEquals(server.received.at(-1), "QUIT");
      const over = await quietRun(server, dir, {
        group: "fixture.big",
        strategy: "over",
      });
      assertEquals([over.strategy, over.matches], ["over", 50]);
    },
  );
});

Deno.test("news_viewer run() honours --limit and --regex", async () => {
  await withServer({}, async (server, dir) => {
    const limited = await quietRun(server, dir, {
      group: "fixture.big",
      limit: 1000,
    });
    assertEquals([limited.scanned, limited.matches], [1000, 10]);
    const regex = await quietRun(server, dir, {
      word: "^re: deno",
      regex: true,
    });
    assertEquals(regex.matches, 2);
    const whole = await quietRun(server, dir, {
      word: "\\bdeno\\b",
      regex: true,
    });
    assertEquals(whole.matches, 23);
    await assertRejects(
      () => quietRun(server, dir, { word: "(", regex: true }),
      NewsViewerError,
      "Invalid regular expression",
    );
  });
});

Deno.test("news_viewer run() leaves no output file on errors", async (t) => {
  await t.step("unknown group", async () => {
    await withServer({}, async (server, dir) => {
      await assertRejects(
        () => quietRun(server, dir, { group: "no.such.group" }),
        NewsViewerError,
        "No such newsgroup: no.such.group",
      );
      assertEquals(await listDir(dir), []);
    });
  });
  await t.step("unreachable server", async () => {
    const dir = await Deno.makeTempDir();
    try {
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = (listener.addr as Deno.NetAddr).port;
      listener.close();
      await assertRejects(
        () =>
          run({
            group: "fixture.news",
            word: "deno",
            server: `127.0.0.1:${port}`,
            out: `${dir}/page.html`,
            quiet: true,
          }),
        NewsViewerError,
        "Cannot reach news server",
      );
      assertEquals(await listDir(dir), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
  await t.step("refused login", async () => {
    await withServer({ faults: { requireAuth: true } }, async (server, dir) => {
      await assertRejects(
        () => quietRun(server, dir, { user: "reader", password: "wrong" }),
        NewsViewerError,
        "Login refused",
      );
      await assertRejects(
        () => quietRun(server, dir),
        NewsViewerError,
        "requires a login",
      );
      assertEquals(await listDir(dir), []);
      const ok = await quietRun(server, dir, {
        user: "reader",
        password: "secret word",
      });
      assertEquals(ok.matches, 24);
    });
  });
  await t.step("connection cut in the middle of the scan", async () => {
    await withServer(
      { faults: { cutAfterLines: 1000, cutCommand: "HDR" } },
      async (server, dir) => {
        await assertRejects(
          () => quietRun(server, dir, { group: "fixture.big" }),
          NewsViewerError,
          "was lost",
        );
        assertEquals(await listDir(dir), []);
      },
    );
  });
  await t.step("service refused at the greeting", async () => {
    await withServer({ faults: { greeting: 502 } }, async (server, dir) => {
      await assertRejects(
        () => quietRun(server, dir),
        NewsViewerError,
        "refused service",
      );
      assertEquals(await listDir(dir), []);
    });
  });
});

Deno.test("news_viewer run() applies a score file: hot articles marked, low ones hidden", async (t) => {
  await withServer({}, async (server, dir) => {
    const scoreFile = `${dir}/news.score`;
    await Deno.writeTextFile(
      scoreFile,
      [
        "# test score file",
        "Subject: script = -1000",
        "From: mallory = -1000",
        "Subject: ^re: deno = +100",
        "[other.*]",
        "Subject: . = -5000",
      ].join("\n"),
    );
    await t.step("scores change what the page shows", async () => {
      const result = await quietRun(server, dir, { score: scoreFile });
      assertEquals([result.matches, result.hidden, result.hot], [22, 2, 2]);
      const html = await Deno.readTextFile(`${dir}/page.html`);
      assert(!html.includes("alert(&quot;deno&quot;)"));
      assertStringIncludes(html, 'class="article hot"');
    });
    await t.step(
      "a bad score file is an error, and no page is written",
      async () => {
        await Deno.remove(`${dir}/page.html`);
        await Deno.writeTextFile(scoreFile, "Subject: (a+)+ = 5\n");
        await assertRejects(
          () => quietRun(server, dir, { score: scoreFile }),
          NewsViewerError,
          "Cannot use score file",
        );
        await assertRejects(
          () => quietRun(server, dir, { score: `${dir}/missing.score` }),
          NewsViewerError,
          "Cannot use score file",
        );
        assertEquals(await listDir(dir), ["news.score"]);
      },
    );
  });
});

Deno.test("news_viewer run() reports progress for long scans", async () => {
  await withServer({}, async (server, dir) => {
    const reports: [string, boolean][] = [];
    let clock = 0;
    const reporter = new ProgressReporter({
      write: (text, final) => reports.push([text, final]),
      now: () => (clock += 600),
    });
    reporter.update(5000, 100000, 50);
    reporter.update(10000, 100000, 100);
    reporter.finish(100000, 100000, 1000);
    assertEquals(reports.map(([, final]) => final), [false, true]);
    assertStringIncludes(reports[0]![0], "Scanned 10,000 of 100,000 articles");
    assertStringIncludes(reports[1]![0], "1,000 matches");
    // Short scans show nothing.
    const quiet = new ProgressReporter({
      write: () => reports.push(["", true]),
    });
    quiet.finish(10, 10, 1);
    assertEquals(reports.length, 2);
    // run() forwards progress to the callback it is given.
    const seen: string[] = [];
    await run({
      group: "fixture.big",
      word: "deno",
      server: `127.0.0.1:${server.port}`,
      out: `${dir}/page.html`,
      log: () => {},
      progress: (text) => seen.push(text),
    });
    assert(seen.every((text) => text.startsWith("Scanned ")));
  });
});

Deno.test("news_viewer --serve shows article bodies escaped in a <pre>", async () => {
  await withServer({}, async (server, dir) => {
    const result = await quietRun(server, dir, { serve: true });
    const serving = result.serving!;
    try {
      const page = await (await fetch(serving.url)).text();
      assertEquals(page, await Deno.readTextFile(`${dir}/page.html`));
      const link = /href="(http:\/\/127\.0\.0\.1:\d+\/article\?id=[^"]+)"/
        .exec(page)?.[1];
      assert(link, "the page links to the local server");
      const url = `${serving.url}article?id=${
        encodeURIComponent("<news.4@fixture.invalid>")
      }`;
      const response = await fetch(url);
      assertEquals(response.status, 200);
      assertStringIncludes(
        response.headers.get("content-security-policy") ?? "",
        "default-src 'none'",
      );
      const article = await response.text();
      assertStringIncludes(article, "<pre>");
      assert(!/<script/i.test(article));
      assertStringIncludes(article, "&lt;script&gt;alert(&quot;body&quot;)");
      assertStringIncludes(
        article,
        ".a line that starts with a dot\n..two dots",
      );
      const latin = await (await fetch(
        `${serving.url}article?id=${
          encodeURIComponent("<news.20@fixture.invalid>")
        }`,
      )).text();
      assertStringIncludes(latin, "Café crème, 8-bit body.");
      const missing = await fetch(
        `${serving.url}article?id=${encodeURIComponent("<none@x>")}`,
      );
      assertEquals(missing.status, 404);
      await missing.body?.cancel();
      const bad = await fetch(`${serving.url}article?id=not-an-id`);
      assertEquals(bad.status, 400);
      await bad.body?.cancel();
    } finally {
      await serving.close();
    }
  });
});

Deno.test("news_viewer helpers parse servers, arguments and ranges", async (t) => {
  await t.step("parseServer()", () => {
    assertEquals(parseServer("news.example.com", 119), {
      hostname: "news.example.com",
      port: 119,
    });
    assertEquals(parseServer("127.0.0.1:1119", 119), {
      hostname: "127.0.0.1",
      port: 1119,
    });
    assertEquals(parseServer("[::1]:563", 119), { hostname: "::1", port: 563 });
    assertEquals(parseServer("::1", 119), { hostname: "::1", port: 119 });
  });
  await t.step("subjectMatcher()", () => {
    const m = subjectMatcher("DeNo");
    assert(m("why I like DENO") && m("Denominators") && !m("node"));
    assert(subjectMatcher("^deno\\b", true)("Deno 2"));
  });
  await t.step("parseNewsViewerArgs()", () => {
    assertEquals(parseNewsViewerArgs(["--help"]), { kind: "help" });
    assertThrows(() => parseNewsViewerArgs(["g"]), UsageError);
    assertThrows(
      () => parseNewsViewerArgs(["g", "w", "--limit", "0"]),
      UsageError,
    );
    assertThrows(() => parseNewsViewerArgs(["g", "w", "--bogus"]), UsageError);
    assertThrows(
      () => parseNewsViewerArgs(["g", "w", "--scan", "fast"]),
      UsageError,
    );
    const parsed = parseNewsViewerArgs([
      "g",
      "w",
      "--server=h:1",
      "--tls",
      "--user",
      "u",
      "--pass",
      "p w",
      "--scan",
      "over",
    ]);
    assertEquals(parsed, {
      kind: "run",
      options: {
        group: "g",
        word: "w",
        tls: true,
        server: "h:1",
        user: "u",
        password: "p w",
        strategy: "over",
      },
    });
  });
  await t.step("scanRange()", () => {
    const group = { name: "g", count: 100, low: 1, high: 100 };
    assertEquals(scanRange(group), { start: 1, end: 100 });
    assertEquals(scanRange(group, 10), { start: 91, end: 100 });
    assertEquals(scanRange({ ...group, count: 0, low: 101 }), null);
  });
  await t.step("openCommand()", () => {
    assertEquals(openCommand("a.html", "darwin").command, "open");
    assertEquals(openCommand("a.html", "windows").args.at(-1), "a.html");
  });
  await t.step("decodeArticleBody()", () => {
    const headers = (map: Record<string, string>) => ({
      get: (name: string) => map[name.toLowerCase()],
    });
    assertEquals(
      decodeArticleBody(
        new TextEncoder().encode("SGVsbG8gd29ybGQ=\n"),
        headers({ "content-transfer-encoding": "base64" }),
      ),
      "Hello world",
    );
    assertEquals(
      decodeArticleBody(new Uint8Array([0x63, 0x61, 0x66, 0xe9]), headers({})),
      "café",
    );
  });
});

Deno.test("news_viewer main() under runMain exits 2 on usage errors and 1 on failures", async () => {
  assertEquals(await runMain(main, ["only-a-group"]), 2);
  assertEquals(await runMain(main, ["g", "w", "--limit", "-3"]), 2);
  await withServer({}, async (server, dir) => {
    assertEquals(
      await runMain(main, [
        "no.such",
        "deno",
        "--server",
        `127.0.0.1:${server.port}`,
        "--out",
        `${dir}/x.html`,
        "--quiet",
      ]),
      1,
    );
    assertEquals(await listDir(dir), []);
  });
});

Deno.test("news_viewer --help and $NNTPSERVER work from the command line", async (t) => {
  const script = new URL("../scripts/news_viewer.ts", import.meta.url).pathname;
  await t.step("--help", async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-net", "--allow-write", script, "--help"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(out.code, 0);
    assertStringIncludes(new TextDecoder().decode(out.stdout), "Usage:");
  });
  await t.step("$NNTPSERVER read with --allow-env=NNTPSERVER", async () => {
    await withServer({}, async (server, dir) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-net",
          "--allow-write",
          "--allow-env=NNTPSERVER",
          script,
          "fixture.news",
          "deno",
          "--out",
          `${dir}/p.html`,
        ],
        env: { NNTPSERVER: `127.0.0.1:${server.port}`, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(out.stdout);
      assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
      assertStringIncludes(stdout, `Connecting to 127.0.0.1:${server.port}`);
      assertStringIncludes(stdout, `Done - wrote ${dir}/p.html (24 matches)`);
    });
  });
  await t.step("unknown group exits non-zero without a file", async () => {
    await withServer({}, async (server, dir) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-net",
          "--allow-write",
          script,
          "no.such.group",
          "deno",
          "--server",
          `127.0.0.1:${server.port}`,
          "--out",
          `${dir}/p.html`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(out.code, 1);
      assertStringIncludes(
        new TextDecoder().decode(out.stderr),
        "No such newsgroup: no.such.group",
      );
      assertEquals(await listDir(dir), []);
    });
  });
});
