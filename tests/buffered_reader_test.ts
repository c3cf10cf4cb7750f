import { BufferedReader } from "../protocols/buffered_reader.ts";
import {
  ConnectionClosedError,
  LineTooLongError,
  ProtocolError,
} from "../protocols/errors.ts";
import { assertEquals, assertRejects, assertThrows } from "./_assert.ts";
import { chunkSource } from "./_mock_server.ts";

const text = new TextDecoder();

Deno.test("BufferedReader reads CRLF and bare LF lines", {
  permissions: "none",
}, async () => {
  const r = new BufferedReader(
    chunkSource("one\r\ntwo\nthree\r", "\nfour\r\n"),
  );
  assertEquals(await r.readLine(), "one");
  assertEquals(await r.readLine(), "two");
  assertEquals(await r.readLine(), "three");
  assertEquals(await r.readLine(), "four");
  assertEquals(await r.readLine(), null);
});

Deno.test("BufferedReader keeps a lone CR inside a line", {
  permissions: "none",
}, async () => {
  const r = new BufferedReader(chunkSource("a\rb\r\n"));
  assertEquals(await r.readLine(), "a\rb");
});

Deno.test("BufferedReader reads lines split across many chunks", {
  permissions: "none",
}, async () => {
  const chunks = "hello world\r\nsecond line\r\n".split("");
  const r = new BufferedReader(chunkSource(...chunks));
  assertEquals(await r.readLine(), "hello world");
  assertEquals(await r.readLine(), "second line");
  assertEquals(await r.readLine(), null);
});

Deno.test("BufferedReader rejects an endless line without unbounded memory", {
  permissions: "none",
}, async () => {
  let sent = 0;
  const source = {
    read(p: Uint8Array): Promise<number | null> {
      p.fill(65);
      sent += p.length;
      return Promise.resolve(p.length);
    },
  };
  const r = new BufferedReader(source, { maxLineBytes: 1000, bufferSize: 64 });
  await assertRejects(() => r.readLine(), LineTooLongError, "1000 bytes");
  assertEquals(sent < 4096, true, `read ${sent} bytes before giving up`);
});

Deno.test("BufferedReader accepts a line exactly at the limit", {
  permissions: "none",
}, async () => {
  const r = new BufferedReader(
    chunkSource("x".repeat(100) + "\r\n" + "y".repeat(101) + "\n"),
    {
      maxLineBytes: 100,
      bufferSize: 16,
    },
  );
  assertEquals((await r.readLine())?.length, 100);
  await assertRejects(() => r.readLine(), LineTooLongError);
});

Deno.test("BufferedReader reports EOF in the middle of a line", {
  permissions: "none",
}, async () => {
  const r = new BufferedReader(chunkSource("complete\r\npartial"));
  assertEquals(await r.readLine(), "complete");
  await assertRejects(
    () => r.readLine(),
    ConnectionClosedError,
    "middle of a line",
  );
});

Deno.test("BufferedReader switches from lines to exact byte counts", {
  permissions: "none",
}, async (t) => {
  await t.step("readExactly uses buffered bytes then the source", async () => {
    const r = new BufferedReader(chunkSource("HDR\r\n0123", "456789tail\r\n"));
    assertEquals(await r.readLine(), "HDR");
    assertEquals(text.decode(await r.readExactly(10)), "0123456789");
    assertEquals(await r.readLine(), "tail");
  });
  await t.step("readExactly fails when the stream ends early", async () => {
    const r = new BufferedReader(chunkSource("abc"));
    await assertRejects(
      () => r.readExactly(5),
      ConnectionClosedError,
      "3 of 5",
    );
  });
  await t.step(
    "read returns buffered bytes first, then null at EOF",
    async () => {
      const r = new BufferedReader(chunkSource("L\nrest"));
      assertEquals(await r.readLine(), "L");
      const buf = new Uint8Array(10);
      const n = await r.read(buf);
      assertEquals(text.decode(buf.subarray(0, n ?? 0)), "rest");
      assertEquals(await r.read(buf), null);
    },
  );
  await t.step("takeBuffered empties the buffer", async () => {
    const r = new BufferedReader(chunkSource("a\nbcd"));
    assertEquals(await r.readLine(), "a");
    assertEquals(text.decode(r.takeBuffered()), "bcd");
    assertEquals(r.buffered, 0);
  });
});

Deno.test("BufferedReader decodes invalid UTF-8 with replacement characters", {
  permissions: "none",
}, async () => {
  const r = new BufferedReader(
    chunkSource(new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a])),
  );
  assertEquals(await r.readLine(), "caf\ufffd");
});

Deno.test("BufferedReader.readToEnd() reads until close within a cap", {
  permissions: "none",
}, async () => {
  const r = new BufferedReader(chunkSource("head\n", "body ", "more"));
  assertEquals(await r.readLine(), "head");
  assertEquals(text.decode(await r.readToEnd(100)), "body more");
  const capped = new BufferedReader(chunkSource("x".repeat(70_000)));
  await assertRejects(
    () => capped.readToEnd(65_536),
    ProtocolError,
    "limit of 65536 bytes",
  );
});

Deno.test(
  "BufferedReader.tryReadLineView() returns only lines already buffered",
  {
    permissions: "none",
  },
  async () => {
    const r = new BufferedReader(chunkSource("one\r\ntw", "o\r\n"));
    assertEquals(r.tryReadLineView(), undefined, "nothing read yet");
    assertEquals(await r.fill(), true);
    assertEquals(text.decode(r.tryReadLineView()), "one");
    assertEquals(r.tryReadLineView(), undefined, "half a line stays put");
    assertEquals(r.buffered, 2);
    assertEquals(await r.fill(), true);
    assertEquals(text.decode(r.tryReadLineView()), "two");
    assertEquals(await r.fill(), false);
    assertEquals(await r.readLine(), null);
  },
);

Deno.test("BufferedReader.tryReadLineView() enforces the line limit", {
  permissions: "none",
}, async () => {
  const r = new BufferedReader(chunkSource("a".repeat(20), "\r\n"));
  await r.fill();
  assertThrows(() => r.tryReadLineView(10), LineTooLongError);
  const s = new BufferedReader(chunkSource("abcdef\r\n"));
  await s.fill();
  assertThrows(() => s.tryReadLineView(3), LineTooLongError);
});

Deno.test(
  "BufferedReader.peek(), consume() and fill() scan a section in place",
  {
    permissions: "none",
  },
  async () => {
    const r = new BufferedReader(
      chunkSource("HEAD", "ER\r\n\r\nbody"),
      { bufferSize: 16, maxLineBytes: 64 },
    );
    while (text.decode(r.peek()).indexOf("\r\n\r\n") < 0) {
      assertEquals(await r.fill(), true);
    }
    assertEquals(text.decode(r.peek()), "HEADER\r\n\r\nbody");
    r.consume(10);
    assertThrows(() => r.consume(5), RangeError);
    assertEquals(text.decode(await r.readExactly(4)), "body");
    assertEquals(await r.fill(), false);
    assertEquals(r.peek().length, 0);
  },
);

Deno.test("BufferedReader.fill() grows the buffer only up to the line limit", {
  permissions: "none",
}, async () => {
  const source = {
    read(p: Uint8Array): Promise<number | null> {
      p.fill(65);
      return Promise.resolve(p.length);
    },
  };
  const r = new BufferedReader(source, { bufferSize: 16, maxLineBytes: 100 });
  await assertRejects(async () => {
    while (await r.fill()) { /* keep filling */ }
  }, LineTooLongError);
  assertEquals(r.buffered, 102);
});

Deno.test(
  "BufferedReader.fill() leaves buffered bytes in place while there is room",
  {
    permissions: "none",
  },
  async () => {
    const r = new BufferedReader(chunkSource("head\r\nbo", "dy"), {
      bufferSize: 8192,
    });
    await r.fill();
    assertEquals(text.decode(r.tryReadLineView()), "head");
    const before = r.peek().byteOffset;
    await r.fill();
    assertEquals(r.peek().byteOffset, before, "not moved to the front");
    assertEquals(text.decode(r.peek()), "body");
    r.consume(4);
    await r.fill();
    assertEquals(r.peek().byteOffset, 0, "an empty buffer starts over");
  },
);
