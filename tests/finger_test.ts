import { fingerPlugin, fingerQuery } from "../plugins/examples/finger.ts";
import { ProtocolRegistry } from "../mod.ts";
import { assertEquals, assertStringIncludes, assertThrows } from "./_assert.ts";
import { startMockServer } from "./_mock_server.ts";

Deno.test("fingerQuery() builds queries and refuses injection and forwarding", {
  permissions: "none",
}, () => {
  assertEquals(fingerQuery("/alice"), "alice");
  assertEquals(fingerQuery("/W/alice"), "/W alice");
  assertEquals(fingerQuery("/%2FW%20bob"), "/W bob");
  assertEquals(fingerQuery("/"), "");
  assertThrows(() => fingerQuery("/alice%0D%0Aroot"), TypeError);
  assertThrows(() => fingerQuery("/alice%00"), TypeError);
  assertThrows(() => fingerQuery("/alice@other.host"), TypeError, "forwarding");
});

Deno.test("fingerPlugin() fetches over loopback and filters control characters", async () => {
  const server = startMockServer(async (peer) => {
    const q = await peer.readLine();
    await peer.write(`Login: ${q}\r\n\x1b[2J\x1b]0;pwned\x07Plan: hi\ttab\r\n`);
  });
  const registry = new ProtocolRegistry().register(fingerPlugin());
  try {
    const res = await registry.fetch(
      `finger://127.0.0.1:${server.port}/W/alice`,
    );
    assertEquals(res.status, 200);
    assertEquals(
      await res.text(),
      "Login: /W alice\n[2J]0;pwnedPlan: hi\ttab\n",
    );
    assertEquals(server.received, ["/W alice"]);
    const bad = await registry.fetch(
      `finger://127.0.0.1:${server.port}/a%0d%0ab`,
    );
    assertEquals(bad.status, 400);
    await bad.text();
  } finally {
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
    const err = await registry.fetch(`finger://127.0.0.1:${server.port}/a`)
      .then(
        () => new Error("no error"),
        (e: Error) => e,
      );
    assertStringIncludes(err.message, "limit of 10000 bytes");
  } finally {
    await server.close();
  }
});
