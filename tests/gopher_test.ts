import {
  gopherPlugin,
  GopherSelectorError,
  parseGopherMenu,
  parseGopherUrl,
} from "../plugins/examples/gopher.ts";
import {
  CommandInjectionError,
  ProtocolError,
  ProtocolRegistry,
} from "../mod.ts";
import {
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "./_assert.ts";
import { startMockServer, streamBytes } from "./_mock_server.ts";

Deno.test("parseGopherUrl() reads type, selector and search (RFC 4266)", {
  permissions: "none",
}, () => {
  assertEquals(parseGopherUrl(new URL("gopher://h")), {
    type: "1",
    selector: "",
  });
  assertEquals(parseGopherUrl(new URL("gopher://h/")), {
    type: "1",
    selector: "",
  });
  assertEquals(parseGopherUrl(new URL("gopher://h/0/about.txt")), {
    type: "0",
    selector: "/about.txt",
  });
  assertEquals(parseGopherUrl(new URL("gopher://h/0/a%20b?x=1#y")), {
    type: "0",
    selector: "/a b?x=1#y",
  });
  assertEquals(
    parseGopherUrl(new URL("gopher://h/7/s%09deno%20land%09+gopherplus")),
    { type: "7", selector: "/s", search: "deno land" },
  );
  assertThrows(() => parseGopherUrl(new URL("gopher://h/0/%E0%A4")), TypeError);
});

Deno.test("parseGopherUrl() refuses CR, LF and NUL in selectors and searches", {
  permissions: "none",
}, () => {
  for (
    const bad of [
      "gopher://h/0/a%0d%0ab",
      "gopher://h/0/a%0a",
      "gopher://h/0/a%00",
      "gopher://h/7/s%09a%0d%0aother",
      "gopher://h/7/s%09%00",
    ]
  ) {
    const err = assertThrows(
      () => parseGopherUrl(new URL(bad)),
      GopherSelectorError,
      "CR, LF, NUL or TAB",
    );
    assertInstanceOf(err, CommandInjectionError);
  }
});

Deno.test(
  "parseGopherMenu() parses items, stops at the dot line and keeps junk as information",
  {
    permissions: "none",
  },
  () => {
    const items = parseGopherMenu(
      [
        "iWelcome\t\terror.host\t1",
        "0About\t/about.txt\texample.org\t70",
        "broken line",
        "1Sub\t/sub\th\t7070",
        "1Bad port\t/x\th\t99999",
        "0Evil host\t/x\tevil.org/path?q\t70",
        "9IPv6\t/bin\t::1\t7070",
        ".",
        "0after\t/x\th\t70",
      ].join("\r\n"),
    );
    assertEquals(items.map((i) => [i.type, i.display, i.host, i.port]), [
      ["i", "Welcome", "", 0],
      ["0", "About", "example.org", 70],
      ["i", "broken line", "", 0],
      ["1", "Sub", "h", 7070],
      ["i", "1Bad port\t/x\th\t99999", "", 0],
      ["i", "0Evil host\t/x\tevil.org/path?q\t70", "", 0],
      ["9", "IPv6", "::1", 7070],
    ]);
  },
);

Deno.test("gopherPlugin() lists menus, fetches text, search and binary items over loopback", async (t) => {
  const binary = new Uint8Array(300_000).map((_, i) => i % 251);
  binary.set(new TextEncoder().encode("\r\n.\r\n"), 1000);
  const server = startMockServer(async (peer) => {
    const selector = await peer.readLine();
    const port = server.port;
    if (selector === "") {
      await peer.write(
        `iHello <gopher>\t\tnull\t1\r\n0About us\t/about.txt\t127.0.0.1\t${port}\r\n7Search\t/find\t127.0.0.1\t${port}\r\n9Data\t/data bin\t127.0.0.1\t${port}\r\n.\r\n`,
      );
    } else if (selector === "/about.txt") {
      await peer.write(
        "line one\r\n..dotted\r\n\x1b[2Jclear\tok\r\n.\r\nafter the end\r\n",
      );
    } else if (selector === "/find\tdeno") {
      await peer.write(`0Result\t/r\t127.0.0.1\t${port}\r\n.\r\n`);
    } else if (selector === "/data bin") {
      await peer.write(binary);
    }
  });
  const registry = new ProtocolRegistry().register(gopherPlugin());
  const base = `gopher://127.0.0.1:${server.port}`;
  try {
    await t.step("list yields typed entries with URLs", async () => {
      const entries = [];
      for await (const e of registry.list(`${base}/`)) entries.push(e);
      assertEquals(entries.map((e) => [e.type, e.name, e.url]), [
        ["other", "Hello <gopher>", `${base}/`],
        ["file", "About us", `${base}/0/about.txt`],
        ["dir", "Search", `${base}/7/find`],
        ["file", "Data", `${base}/9/data%20bin`],
      ]);
    });
    await t.step("fetch of a menu returns one line per item", async () => {
      const text = await (await registry.fetch(`${base}/1`)).text();
      assertStringIncludes(text, `[0]  About us  ${base}/0/about.txt\n`);
      assertStringIncludes(text, "      Hello <gopher>\n");
    });
    await t.step(
      "text items end at the dot line, lose dot-stuffing and control characters",
      async () => {
        const res = await registry.fetch(`${base}/0/about.txt`);
        assertEquals(
          res.headers.get("content-type"),
          "text/plain; charset=utf-8",
        );
        assertEquals(await res.text(), "line one\n.dotted\n[2Jclear\tok");
      },
    );
    await t.step(
      "a search sends the selector, a tab and the words",
      async () => {
        const text = await (await registry.fetch(`${base}/7/find%09deno`))
          .text();
        assertStringIncludes(text, "Result");
      },
    );
    await t.step("binary items stream the bytes untouched", async () => {
      const res = await registry.fetch(`${base}/9/data%20bin`);
      assertEquals(await streamBytes(res.body!), binary);
    });
    assertEquals(server.received, [
      "",
      "",
      "/about.txt",
      "/find\tdeno",
      "/data bin",
    ]);
  } finally {
    await registry.close();
    await server.close();
  }
});

Deno.test("gopherPlugin() caps replies, refuses hostile selectors before connecting, and honours abort", async (t) => {
  const silent = Promise.withResolvers<void>();
  const server = startMockServer(async (peer) => {
    const selector = await peer.readLine();
    if (selector === "/silent") {
      silent.resolve();
      await peer.drain();
      return;
    }
    for (let i = 0; i < 50; i++) await peer.write("y".repeat(1000));
  });
  const registry = new ProtocolRegistry().register(
    gopherPlugin({ maxBytes: 5000 }),
  );
  const base = `gopher://127.0.0.1:${server.port}`;
  try {
    await t.step("a text item over the cap rejects", async () => {
      await assertRejects(
        () => registry.fetch(`${base}/0/big`),
        ProtocolError,
        "limit of 5000 bytes",
      );
    });
    await t.step("a binary item over the cap errors its body", async () => {
      const res = await registry.fetch(`${base}/9/big`);
      await assertRejects(() => res.arrayBuffer(), ProtocolError, "limit");
    });
    await t.step(
      "injected selectors and telnet items never connect",
      async () => {
        const before = server.accepted;
        await assertRejects(
          () => registry.fetch(`${base}/0/a%0d%0aother`),
          GopherSelectorError,
        );
        await assertRejects(async () => {
          for await (const _ of registry.list(`${base}/1/a%00`)) { /* none */ }
        }, GopherSelectorError);
        await assertRejects(() => registry.fetch(`${base}/8/login`), TypeError);
        assertEquals(server.accepted, before);
      },
    );
    await t.step("an abort closes the connection and rejects", async () => {
      const controller = new AbortController();
      const pending = registry.fetch(`${base}/0/silent`, {
        signal: controller.signal,
      });
      await silent.promise;
      controller.abort(new Error("stop"));
      await assertRejects(() => pending, Error, "stop");
    });
  } finally {
    await registry.close();
    await server.close();
  }
});
