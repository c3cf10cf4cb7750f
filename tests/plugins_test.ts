import { ftpPlugin } from "../plugins/ftp.ts";
import { httpPlugin } from "../plugins/http.ts";
import { nntpPlugin } from "../plugins/nntp.ts";
import { type DirectoryEntry, ProtocolRegistry } from "../plugins/registry.ts";
import { ConnectError, ProtocolError } from "../protocols/errors.ts";
import { startFtpFixture } from "../scripts/_ftp_fixture_server.ts";
import {
  sampleGroups,
  startNntpFixtureServer,
} from "../scripts/_nntp_fixture_server.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "./_assert.ts";
import { type MockPeer, startMockServer } from "./_mock_server.ts";
import { testCerts } from "./_tls.ts";

async function collect(
  entries: AsyncIterable<DirectoryEntry>,
): Promise<DirectoryEntry[]> {
  const out: DirectoryEntry[] = [];
  for await (const e of entries) out.push(e);
  return out;
}

/** Reads one HTTP request: the head lines and a Content-Length or chunked body. */
async function readRequest(
  peer: MockPeer,
): Promise<{ lines: string[]; body: string }> {
  const lines: string[] = [];
  for (let line; (line = await peer.readLine()) !== null && line !== "";) {
    lines.push(line);
  }
  const decoder = new TextDecoder();
  if (lines.some((l) => /^transfer-encoding: chunked$/i.test(l))) {
    let body = "";
    for (let size; (size = parseInt(await peer.readLine() ?? "0", 16)) > 0;) {
      body += decoder.decode(await peer.reader.readExactly(size));
      await peer.readLine();
    }
    await peer.readLine();
    return { lines, body };
  }
  const length = lines.find((l) => /^content-length:/i.test(l));
  const n = length ? Number(length.split(":")[1]) : 0;
  const body = n ? decoder.decode(await peer.reader.readExactly(n)) : "";
  return { lines, body };
}

Deno.test("http plugin keeps the reason phrase and header lines, sends bodies with their length, refuses upgrades", async (t) => {
  const requests: { lines: string[]; body: string }[] = [];
  const server = startMockServer(async (peer) => {
    const req = await readRequest(peer);
    requests.push(req);
    const target = req.lines[0]!.split(" ")[1];
    if (target === "/upgrade") {
      await peer.write(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
      );
      return;
    }
    if (target === "/empty") {
      await peer.write(
        "HTTP/1.1 204 Nothing Here\r\nConnection: close\r\n\r\n",
      );
      return;
    }
    await peer.write(
      "HTTP/1.1 299 Quite Fine\r\nX-Twice: 1\r\nX-Twice: 2\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
    );
  });
  const registry = new ProtocolRegistry().register(httpPlugin());
  const base = `http://127.0.0.1:${server.port}`;
  try {
    await t.step("status, reason as sent, repeated headers, body", async () => {
      const res = await registry.fetch(`${base}/page`);
      assertEquals(res.status, 299);
      assertEquals(res.statusText, "Quite Fine");
      assertEquals(res.headers.get("x-twice"), "1, 2");
      assertEquals(await res.text(), "hello");
    });
    await t.step(
      "a Request's method, headers and body (streamed)",
      async () => {
        const res = await registry.fetch(
          new Request(`${base}/post`, {
            method: "POST",
            headers: { "x-mine": "yes" },
            body: "abc",
          }),
        );
        await res.body?.cancel();
        const req = requests.at(-1)!;
        assertEquals(req.lines[0], "POST /post HTTP/1.1");
        assert(
          req.lines.some((l) => /^x-mine: yes$/i.test(l)),
          req.lines.join("|"),
        );
        assertEquals(req.body, "abc");
      },
    );
    await t.step(
      "strings and URLSearchParams go out with a length and their type",
      async () => {
        const text = await registry.fetch(`${base}/text`, {
          method: "PUT",
          body: "plain",
        });
        await text.body?.cancel();
        assert(
          requests.at(-1)!.lines.some((l) => /^content-length: 5$/i.test(l)),
        );
        assertEquals(requests.at(-1)!.body, "plain");
        const res = await registry.fetch(`${base}/form`, {
          method: "POST",
          body: new URLSearchParams({ q: "deno land" }),
        });
        await res.body?.cancel();
        const req = requests.at(-1)!;
        assertEquals(req.body, "q=deno+land");
        assert(
          req.lines.some((l) =>
            /^content-type: application\/x-www-form-urlencoded/i.test(l)
          ),
        );
        assert(req.lines.some((l) => /^content-length: 11$/i.test(l)));
      },
    );
    await t.step("204 and HEAD have no body", async () => {
      const empty = await registry.fetch(`${base}/empty`);
      assertEquals([empty.status, empty.statusText], [204, "Nothing Here"]);
      assertEquals(empty.body, null);
      const head = await registry.fetch(`${base}/page`, { method: "HEAD" });
      assertEquals(head.body, null);
    });
    await t.step("a 101 upgrade rejects", async () => {
      await assertRejects(
        () =>
          registry.fetch(`${base}/upgrade`, {
            headers: { connection: "upgrade", upgrade: "websocket" },
          }),
        ProtocolError,
        "101",
      );
    });
  } finally {
    await registry.close();
    await server.close();
  }
});

Deno.test("ftp plugin downloads, lists and maps replies to statuses", async (t) => {
  const server = startFtpFixture({
    files: {
      "/pub/hello.txt": "hello over ftp\n",
      "/pub/sub/inner.bin": new Uint8Array(70_000).fill(7),
      "/pub/two  spaces.txt": "x",
    },
    users: { alice: "wonder" },
  });
  const registry = new ProtocolRegistry().register(ftpPlugin());
  const base = server.url.replace(/\/$/, "");
  try {
    await t.step(
      "a file: length, date, guessed type, streamed body",
      async () => {
        const res = await registry.fetch(`${base}/pub/hello.txt`);
        assertEquals(res.status, 200);
        assertEquals(res.headers.get("content-length"), "15");
        assertEquals(res.headers.get("content-type"), "text/plain");
        assertMatch(res.headers.get("last-modified") ?? "", /GMT$/);
        assertEquals(await res.text(), "hello over ftp\n");
        const big = await registry.fetch(`${base}/pub/sub/inner.bin`);
        assertEquals(
          big.headers.get("content-type"),
          "application/octet-stream",
        );
        assertEquals((await big.arrayBuffer()).byteLength, 70_000);
      },
    );
    await t.step("HEAD stops after SIZE and MDTM", async () => {
      const before = server.stats.retrFiles;
      const res = await registry.fetch(`${base}/pub/hello.txt`, {
        method: "HEAD",
      });
      assertEquals(res.headers.get("content-length"), "15");
      assertEquals(res.body, null);
      assertEquals(server.stats.retrFiles, before);
    });
    await t.step("list yields typed entries with URLs", async () => {
      const entries = await collect(registry.list(`${base}/pub/`));
      assertEquals(entries.map((e) => `${e.type}:${e.name}:${e.url}`).sort(), [
        `dir:sub:${base}/pub/sub/`,
        `file:hello.txt:${base}/pub/hello.txt`,
        `file:two  spaces.txt:${base}/pub/two%20%20spaces.txt`,
      ]);
      assertEquals(entries.find((e) => e.name === "hello.txt")?.size, 15);
      assert(entries.every((e) => e.modified instanceof Date));
    });
    await t.step(
      "a directory, with or without its slash, is a text listing",
      async () => {
        for (
          const url of [`${base}/pub/`, `${base}/pub`, `${base}/pub;type=d`]
        ) {
          const res = await registry.fetch(url);
          assertEquals(res.status, 200, url);
          assertEquals(res.headers.get("content-location"), `${base}/pub/`);
          const text = await res.text();
          assertStringIncludes(text, " hello.txt\n");
          assertStringIncludes(text, " sub/\n");
        }
      },
    );
    await t.step("550 is 404 with the reply in x-inetkit-reply", async () => {
      const missing = await registry.fetch(`${base}/pub/nope.txt`);
      assertEquals(missing.status, 404);
      assertStringIncludes(missing.headers.get("x-inetkit-reply") ?? "", "550");
      await missing.text();
    });
    await t.step("530 is 401; a user in the URL logs in", async () => {
      const denied = await registry.fetch(
        `ftp://alice:wrong@127.0.0.1:${server.port}/pub/hello.txt`,
      );
      assertEquals(denied.status, 401);
      assertMatch(denied.headers.get("x-inetkit-reply") ?? "", /^530 /);
      await denied.text();
      const ok = await registry.fetch(
        `ftp://alice:wonder@127.0.0.1:${server.port}/pub/hello.txt`,
      );
      assertEquals(await ok.text(), "hello over ftp\n");
    });
    await t.step("other methods are 405", async () => {
      const res = await registry.fetch(`${base}/pub/hello.txt`, {
        method: "PUT",
      });
      assertEquals(res.status, 405);
      assertEquals(res.headers.get("allow"), "GET, HEAD");
      await res.text();
    });
    await t.step("a cancelled body ends the session", async () => {
      const res = await registry.fetch(`${base}/pub/sub/inner.bin`);
      const reader = res.body!.getReader();
      await reader.read();
      await reader.cancel();
    });
  } finally {
    await registry.close();
    await server.close();
  }
});

Deno.test("ftp plugin speaks implicit FTPS and rejects when no server answers", async () => {
  const certs = await testCerts();
  const server = startFtpFixture({
    files: { "/secret.txt": "over tls\n" },
    tls: { cert: certs.cert, key: certs.key },
  });
  const registry = new ProtocolRegistry().register(ftpPlugin());
  try {
    const res = await registry.fetch(
      `ftps://127.0.0.1:${server.port}/secret.txt`,
      { caCerts: [certs.caCert] },
    );
    assertEquals(await res.text(), "over tls\n");
    const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (closed.addr as Deno.NetAddr).port;
    closed.close();
    await assertRejects(
      () => registry.fetch(`ftp://127.0.0.1:${port}/x`),
      ConnectError,
    );
    await assertRejects(
      () => registry.fetch(`ftp://127.0.0.1:${port}/%E0%A4`),
      TypeError,
    );
  } finally {
    await registry.close();
    await server.close();
  }
});

Deno.test("nntp plugin fetches articles, lists groups and maps replies to statuses", async (t) => {
  const server = startNntpFixtureServer({ groups: sampleGroups() });
  const registry = new ProtocolRegistry().register(nntpPlugin());
  const host = `127.0.0.1:${server.port}`;
  const base = `nntp://${host}`;
  try {
    await t.step("an article by number is message/rfc822", async () => {
      const res = await registry.fetch(`${base}/fixture.news/1`);
      assertEquals(res.status, 200);
      assertEquals(res.headers.get("content-type"), "message/rfc822");
      assertEquals(res.headers.get("x-message-id"), "<news.1@fixture.invalid>");
      const text = await res.text();
      assertStringIncludes(text, "Message-ID: <news.1@fixture.invalid>\r\n");
      assertStringIncludes(text, "\r\n\r\n");
    });
    await t.step(
      "an article by message-id, with or without a server",
      async () => {
        const byId = await registry.fetch(
          `news://${host}/news.2@fixture.invalid`,
        );
        assertStringIncludes(await byId.text(), "<news.2@fixture.invalid>");
        const previous = Deno.env.get("NNTPSERVER");
        Deno.env.set("NNTPSERVER", host);
        try {
          const res = await registry.fetch("news:%3Cnews.3@fixture.invalid%3E");
          assertStringIncludes(await res.text(), "<news.3@fixture.invalid>");
        } finally {
          if (previous === undefined) Deno.env.delete("NNTPSERVER");
          else Deno.env.set("NNTPSERVER", previous);
        }
      },
    );
    await t.step("HEAD reads the head only", async () => {
      const res = await registry.fetch(`${base}/fixture.news/2`, {
        method: "HEAD",
      });
      assertEquals(res.body, null);
      assertMatch(res.headers.get("last-modified") ?? "", /GMT$/);
      assert(server.received.includes("HEAD 2"));
      assert(!server.received.includes("ARTICLE 2"));
    });
    await t.step("a group lists its articles from the overview", async () => {
      const entries = await collect(registry.list(`${base}/fixture.news`));
      assert(entries.length > 20);
      assertEquals(entries[0]!.url, `${base}/fixture.news/1`);
      assertEquals(entries[0]!.name, "Deno 2.0 released");
      assert(entries[0]!.modified instanceof Date);
      assert(entries[0]!.size! > 0);
      // deno-lint-ignore no-control-regex
      assert(entries.every((e) => !/[\x00-\x1f]/.test(e.name)));
      const viaNews = await collect(
        registry.list(`news://${host}/fixture.news`),
      );
      assertEquals(viaNews[0]!.url, `news://${host}/news.1@fixture.invalid`);
    });
    await t.step("a range lists only its articles", async () => {
      const entries = await collect(registry.list(`${base}/fixture.news/2-4`));
      assertEquals(entries.map((e) => e.url.split("/").at(-1)), [
        "2",
        "3",
        "4",
      ]);
    });
    await t.step(
      "fetch of a group is one tab-separated line per article",
      async () => {
        const text = await (await registry.fetch(`${base}/fixture.news/1-2`))
          .text();
        const lines = text.trimEnd().split("\n");
        assertEquals(lines.length, 2);
        assertEquals(lines[0]!.split("\t").slice(0, 2), [
          "1",
          "Deno 2.0 released",
        ]);
      },
    );
    await t.step("news://server/ lists every group", async () => {
      const groups = await collect(registry.list(`news://${host}/`));
      assertEquals(
        groups.map((g) => [g.name, g.type, g.url]).sort(),
        [
          ["fixture.big", "dir", `news://${host}/fixture.big`],
          ["fixture.empty", "dir", `news://${host}/fixture.empty`],
          ["fixture.news", "dir", `news://${host}/fixture.news`],
        ],
      );
      const text = await (await registry.fetch(`news://${host}/`)).text();
      assertStringIncludes(text, "fixture.big\t5000\t1\t");
      assertEquals(
        await collect(registry.list(`${base}/fixture.empty`)),
        [],
      );
    });
    await t.step("411, 423 and 430 are 404", async () => {
      for (
        const url of [
          `${base}/fixture.news/99999`,
          `${base}/no.such.group`,
          `news://${host}/nobody@nowhere.invalid`,
        ]
      ) {
        const res = await registry.fetch(url);
        assertEquals(res.status, 404, url);
        assertMatch(res.headers.get("x-inetkit-reply") ?? "", /^4(11|23|30) /);
        await res.text();
      }
    });
    await t.step("malformed URLs reject with a TypeError", async () => {
      await assertRejects(() => registry.fetch(`${base}/`), TypeError);
      await assertRejects(
        () => registry.fetch(`news://${host}/a%0d%0ab@c`),
        TypeError,
      );
    });
  } finally {
    await registry.close();
    await server.close();
  }
});

Deno.test("nntp plugin logs in with the URL's user, maps 480 to 401 and speaks NNTPS", async () => {
  const server = startNntpFixtureServer({
    groups: sampleGroups(),
    faults: { requireAuth: true },
  });
  const certs = await testCerts();
  const secure = startNntpFixtureServer({
    groups: sampleGroups(),
    tls: { cert: certs.cert, key: certs.key },
    implicitTls: true,
  });
  const registry = new ProtocolRegistry().register(nntpPlugin());
  try {
    const denied = await registry.fetch(
      `nntp://127.0.0.1:${server.port}/fixture.news/1`,
    );
    assertEquals(denied.status, 401);
    await denied.text();
    const ok = await registry.fetch(
      `nntp://reader:secret%20word@127.0.0.1:${server.port}/fixture.news/1`,
    );
    assertEquals(ok.status, 200);
    await ok.text();
    const tls = await registry.fetch(
      `nntps://127.0.0.1:${secure.port}/fixture.news/1`,
      { caCerts: [certs.caCert] },
    );
    assertStringIncludes(await tls.text(), "<news.1@fixture.invalid>");
  } finally {
    await registry.close();
    await server.close();
    await secure.close();
  }
});
