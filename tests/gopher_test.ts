import {
  gopherPlugin,
  parseGopherMenu,
  parseGopherUrl,
} from "../plugins/examples/gopher.ts";
import { CommandInjectionError, ProtocolRegistry } from "../mod.ts";
import {
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "./_assert.ts";
import { startMockServer } from "./_mock_server.ts";

Deno.test("parseGopherUrl() reads type, selector and search (RFC 4266)", {
  permissions: "none",
}, () => {
  assertEquals(parseGopherUrl(new URL("gopher://h")), {
    type: "1",
    selector: "",
  });
  assertEquals(parseGopherUrl(new URL("gopher://h/0/about.txt")), {
    type: "0",
    selector: "/about.txt",
  });
  assertEquals(parseGopherUrl(new URL("gopher://h/7/s%09deno%20land")), {
    type: "7",
    selector: "/s",
    search: "deno land",
  });
  for (
    const bad of [
      "gopher://h/0/a%0d%0ab",
      "gopher://h/0/a%00",
      "gopher://h/7/s%09a%0ab",
    ]
  ) {
    assertThrows(() => parseGopherUrl(new URL(bad)), CommandInjectionError);
  }
});

Deno.test("parseGopherMenu() parses items and tolerates junk lines", {
  permissions: "none",
}, () => {
  const items = parseGopherMenu(
    "iWelcome\t\terror.host\t1\r\n0About\t/about.txt\texample.org\t70\r\nbroken line\r\n1Sub\t/sub\th\t7070\r\n.\r\n0after\t/x\th\t70\r\n",
  );
  assertEquals(items.map((i) => [i.type, i.display, i.port]), [
    ["i", "Welcome", 1],
    ["0", "About", 70],
    ["i", "broken line", 0],
    ["1", "Sub", 7070],
  ]);
});

Deno.test("gopherPlugin() lists menus, fetches text and search items over loopback", async () => {
  const server = startMockServer(async (peer) => {
    const selector = await peer.readLine();
    const port = server.port;
    if (selector === "") {
      await peer.write(
        `iHello <gopher>\t\tnull\t1\r\n0About us\t/about.txt\t127.0.0.1\t${port}\r\n7Search\t/find\t127.0.0.1\t${port}\r\n.\r\n`,
      );
    } else if (selector === "/about.txt") {
      await peer.write("line one\r\n..dotted\r\n.\r\n");
    } else if (selector === "/find\tdeno") {
      await peer.write(`0Result\t/r\t127.0.0.1\t${port}\r\n.\r\n`);
    }
  });
  const registry = new ProtocolRegistry().register(gopherPlugin());
  const base = `gopher://127.0.0.1:${server.port}`;
  try {
    const entries = [];
    for await (const e of registry.list(`${base}/`)) entries.push(e);
    assertEquals(entries.map((e) => [e.type, e.name]), [
      ["other", "Hello <gopher>"],
      ["file", "About us"],
      ["dir", "Search"],
    ]);
    assertEquals(entries[1]!.url, `${base}/0/about.txt`);
    assertEquals(
      await (await registry.fetch(entries[1]!.url)).text(),
      "line one\n.dotted",
    );
    const search = await (await registry.fetch(`${base}/7/find%09deno`)).text();
    assertStringIncludes(search, "Result");
    assertEquals(server.received, ["", "/about.txt", "/find\tdeno"]);
  } finally {
    await server.close();
  }
});

Deno.test("gopherPlugin() caps the reply and refuses injected selectors", async () => {
  const server = startMockServer(async (peer) => {
    await peer.readLine();
    for (let i = 0; i < 50; i++) await peer.write("y".repeat(1000));
  });
  const registry = new ProtocolRegistry().register(
    gopherPlugin({ maxBytes: 5000 }),
  );
  try {
    await assertRejects(
      () => registry.fetch(`gopher://127.0.0.1:${server.port}/9/big`),
      Error,
      "limit",
    );
    const bad = await registry.fetch(
      `gopher://127.0.0.1:${server.port}/0/a%0d%0aother`,
    );
    assertEquals(bad.status, 400);
    await bad.text();
    assertEquals(
      server.accepted,
      1,
      "the injected selector never reached the server",
    );
  } finally {
    await server.close();
  }
});
