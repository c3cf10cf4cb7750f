import {
  fingerPlugin,
  fingerQuery,
  sanitizeFingerText,
} from "../plugins/examples/finger.ts";
import {
  CommandInjectionError,
  ProtocolError,
  ProtocolRegistry,
} from "../mod.ts";
import {
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "./_assert.ts";
import { startMockServer } from "./_mock_server.ts";

Deno.test(
  "fingerQuery() builds RFC 1288 queries and refuses injection and forwarding",
  {
    permissions: "none",
  },
  () => {
    assertEquals(fingerQuery("/alice"), "alice");
    assertEquals(fingerQuery("/W/alice"), "/W alice");
    assertEquals(fingerQuery("/%2FW%20bob"), "/W bob");
    assertEquals(fingerQuery("/W"), "/W");
    assertEquals(fingerQuery("/"), "");
    assertEquals(fingerQuery(""), "");
    assertThrows(() => fingerQuery("/alice%0D%0Aroot"), CommandInjectionError);
    assertThrows(() => fingerQuery("/alice%00"), CommandInjectionError);
    assertThrows(() => fingerQuery("/alice%0a"), CommandInjectionError);
    assertThrows(
      () => fingerQuery("/alice@other.host"),
      TypeError,
      "forwarding",
    );
    assertThrows(() => fingerQuery("/%E0%A4"), TypeError, "percent-encoding");
  },
);

Deno.test(
  "sanitizeFingerText() keeps tab and newline and drops every other control character",
  {
    permissions: "none",
  },
  () => {
    assertEquals(
      sanitizeFingerText(
        "a\tb\r\nc\x00\x07\x08\x0b\x0c\r\x1b\x7f\u0085\u009bd\n",
      ),
      "a\tb\ncd\n",
    );
    assertEquals(sanitizeFingerText("héllo ✓\n"), "héllo ✓\n");
  },
);

Deno.test("fingerPlugin() fetches over loopback and filters control characters", async (t) => {
  const server = startMockServer(async (peer) => {
    const q = await peer.readLine();
    await peer.write(
      `Login: ${q}\r\n\x1b[2J\x1b]0;pwned\x07Plan: hi\ttab\r\n`,
    );
  });
  const registry = new ProtocolRegistry().register(fingerPlugin());
  const base = `finger://127.0.0.1:${server.port}`;
  try {
    await t.step("a verbose query, the reply sanitized", async () => {
      const res = await registry.fetch(`${base}/W/alice`);
      assertEquals(res.status, 200);
      assertEquals(
        res.headers.get("content-type"),
        "text/plain; charset=utf-8",
      );
      assertEquals(
        await res.text(),
        "Login: /W alice\n[2J]0;pwnedPlan: hi\ttab\n",
      );
    });
    await t.step("an empty path lists the users", async () => {
      assertStringIncludes(
        await (await registry.fetch(base)).text(),
        "Login: \n",
      );
    });
    await t.step("hostile queries reject before connecting", async () => {
      const before = server.accepted;
      await assertRejects(
        () => registry.fetch(`${base}/a%0d%0ab`),
        CommandInjectionError,
      );
      await assertRejects(
        () => registry.fetch(`${base}/a@elsewhere.example`),
        TypeError,
        "forwarding",
      );
      assertEquals(server.accepted, before);
    });
    assertEquals(server.received, ["/W alice", ""]);
  } finally {
    await registry.close();
    await server.close();
  }
});

Deno.test("fingerPlugin() caps the reply size", async () => {
  const server = startMockServer(async (peer) => {
    await peer.readLine();
    for (let i = 0; i < 100; i++) await peer.write("x".repeat(1000));
  });
  const registry = new ProtocolRegistry().register(
    fingerPlugin({ maxBytes: 10_000 }),
  );
  try {
    await assertRejects(
      () => registry.fetch(`finger://127.0.0.1:${server.port}/a`),
      ProtocolError,
      "limit of 10000 bytes",
    );
  } finally {
    await server.close();
  }
});

Deno.test("fingerPlugin() rejects with the abort reason when the fetch is aborted", async () => {
  const heard = Promise.withResolvers<void>();
  const server = startMockServer(async (peer) => {
    await peer.readLine();
    heard.resolve();
    await peer.drain();
  });
  const registry = new ProtocolRegistry().register(fingerPlugin());
  try {
    const controller = new AbortController();
    const pending = registry.fetch(`finger://127.0.0.1:${server.port}/a`, {
      signal: controller.signal,
    });
    await heard.promise;
    controller.abort(new Error("user gave up"));
    await assertRejects(() => pending, Error, "user gave up");
  } finally {
    await server.close();
  }
});
