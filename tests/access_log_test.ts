import {
  escapeLogField,
  formatAccessLog,
  formatClfTime,
  lineBuffer,
  withAccessLog,
} from "../scripts/_access_log.ts";
import { assertEquals, assertMatch, assertRejects } from "./_assert.ts";

const TIME = new Date(Date.UTC(2000, 9, 10, 20, 55, 36));

/** Handler info whose `completed` never settles unless resolved by hand. */
function info(
  hostname = "127.0.0.1",
  completed: Promise<void> = new Promise(() => {}),
): Deno.ServeHandlerInfo {
  return {
    remoteAddr: { transport: "tcp", hostname, port: 40000 },
    completed,
  };
}

Deno.test("formatAccessLog() builds Common Log Format lines", async (t) => {
  await t.step("the seed's line, bytes and duration", () => {
    const entry = {
      host: "localhost",
      time: new Date(Date.UTC(1999, 0, 13, 22, 8, 31)),
      method: "GET",
      target: "/pics/x.gif",
      status: 200,
    };
    assertEquals(
      formatAccessLog(entry, { utc: true }),
      'localhost - - [13/Jan/1999:22:08:31 +0000] "GET /pics/x.gif HTTP/1.1" 200 -',
    );
    assertEquals(
      formatAccessLog(
        { ...entry, user: "frank", bytes: 2326, durationMs: 12.34 },
        { utc: true },
      ),
      'localhost - frank [13/Jan/1999:22:08:31 +0000] "GET /pics/x.gif HTTP/1.1" 200 2326 12.3ms',
    );
    assertMatch(
      formatAccessLog({ ...entry, bytes: 0 }, { utc: true }),
      / 200 -$/,
    );
  });
  await t.step("client fields cannot forge lines or quotes", () => {
    const line = formatAccessLog({
      host: "::1",
      user: 'x"y',
      time: TIME,
      method: "GET",
      target: '/a\r\n127.0.0.1 - - [x] "GET /forged" 200 -\\é',
      protocol: "HTTP/1.1",
      status: 404,
    }, { utc: true });
    assertEquals(
      line,
      '::1 - x\\x22y [10/Oct/2000:20:55:36 +0000] "GET /a\\x0d\\x0a127.0.0.1 - - [x] \\x22GET /forged\\x22 200 -\\x5c\\xc3\\xa9 HTTP/1.1" 404 -',
    );
    assertEquals(escapeLogField("\x00\x1b\x7f"), "\\x00\\x1b\\x7f");
  });
});

Deno.test("formatClfTime() prints local time with its offset unless utc", async () => {
  assertEquals(
    formatClfTime(TIME, { utc: true }),
    "10/Oct/2000:20:55:36 +0000",
  );
  const module = new URL("../scripts/_access_log.ts", import.meta.url).href;
  const code = `import { formatClfTime } from ${JSON.stringify(module)};\n` +
    `console.log(formatClfTime(new Date(${TIME.getTime()})));`;
  for (
    const [tz, expected] of [
      ["Etc/GMT+7", "10/Oct/2000:13:55:36 -0700"],
      ["Asia/Kolkata", "11/Oct/2000:02:25:36 +0530"],
      ["UTC", "10/Oct/2000:20:55:36 +0000"],
    ]
  ) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-config", code],
      env: { TZ: tz! },
      stdout: "piped",
    }).output();
    assertEquals(new TextDecoder().decode(out.stdout).trim(), expected, tz);
  }
});

Deno.test("withAccessLog() logs after the body, with the bytes sent", async (t) => {
  await t.step("a streamed body is counted when fully read", async () => {
    const lines: string[] = [];
    const handler = withAccessLog(
      () => new Response("hello world", { status: 201 }),
      { log: (l) => lines.push(l), utc: true },
    );
    const res = await handler(
      new Request("http://127.0.0.1/p?q=1", { method: "POST" }),
      info(),
    );
    assertEquals(res.status, 201);
    assertEquals(lines.length, 0, "not logged before the body is sent");
    assertEquals(await res.text(), "hello world");
    assertEquals(lines.length, 1);
    assertMatch(
      lines[0]!,
      /^127\.0\.0\.1 - - \[[^\]]+ \+0000\] "POST \/p\?q=1 HTTP\/1\.1" 201 11 \d+\.\dms$/,
    );
  });
  await t.step("a cancelled body logs what was sent", async () => {
    const lines: string[] = [];
    const chunk = new Uint8Array(10);
    const handler = withAccessLog(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            pull: (c) => c.enqueue(chunk),
          }),
        ),
      { log: (l) => lines.push(l) },
    );
    const res = await handler(new Request("http://127.0.0.1/inf"), info());
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    assertEquals(lines.length, 1);
    assertMatch(lines[0]!, /" 200 (10|20) /);
  });
  await t.step("HEAD and empty bodies log '-' at once", async () => {
    const lines: string[] = [];
    const handler = withAccessLog(
      (req) =>
        new Response(req.method === "HEAD" ? null : "", {
          headers: { "content-length": "5" },
        }),
      { log: (l) => lines.push(l) },
    );
    const head = await handler(
      new Request("http://127.0.0.1/", { method: "HEAD" }),
      info("::1"),
    );
    assertEquals(head.body, null);
    assertMatch(lines[0]!, /^::1 - - .*"HEAD \/ HTTP\/1\.1" 200 - /);
    const empty = await handler(new Request("http://127.0.0.1/e"), info());
    await empty.text();
    assertMatch(lines[1]!, /"GET \/e HTTP\/1\.1" 200 - /);
  });
  await t.step(
    "a throwing handler answers 500 and reports the error",
    async () => {
      const lines: string[] = [];
      const errors: unknown[] = [];
      const handler = withAccessLog(() => {
        throw new Error("Disk on fire");
      }, { log: (l) => lines.push(l), onError: (e) => errors.push(e) });
      const res = await handler(new Request("http://127.0.0.1/x"), info());
      assertEquals(res.status, 500);
      assertEquals(await res.text(), "Internal Server Error\n");
      assertEquals((errors[0] as Error).message, "Disk on fire");
      assertMatch(lines[0]!, /"GET \/x HTTP\/1\.1" 500 22 /);
    },
  );
  await t.step("a body that fails midway is logged and reported", async () => {
    const lines: string[] = [];
    const errors: unknown[] = [];
    let sent = false;
    const handler = withAccessLog(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            pull(c) {
              if (sent) throw new Error("Read failed");
              sent = true;
              c.enqueue(new Uint8Array(3));
            },
          }),
        ),
      { log: (l) => lines.push(l), onError: (e) => errors.push(e) },
    );
    const res = await handler(new Request("http://127.0.0.1/f"), info());
    await assertRejects(() => res.arrayBuffer(), Error, "Read failed");
    assertEquals((errors[0] as Error).message, "Read failed");
    assertMatch(lines[0]!, /" 200 3 /);
  });
  await t.step(
    "completion ends the entry even if the body is not drained",
    async () => {
      const lines: string[] = [];
      const handler = withAccessLog(
        () => new Response("abc", { headers: { "content-length": "3" } }),
        { log: (l) => lines.push(l) },
      );
      const { promise, resolve } = Promise.withResolvers<void>();
      const res = await handler(
        new Request("http://127.0.0.1/c"),
        info(
          "127.0.0.1",
          promise,
        ),
      );
      const reader = res.body!.getReader();
      assertEquals((await reader.read()).value?.length, 3);
      assertEquals(lines.length, 0);
      resolve();
      await promise;
      assertEquals(lines.length, 1);
      assertMatch(lines[0]!, /" 200 3 /);
      await reader.cancel();
      assertEquals(lines.length, 1, "logged once");
    },
  );
  await t.step("without a log sink errors still become 500", async () => {
    const handler = withAccessLog(() => Promise.reject(new Error("x")));
    const res = await handler(new Request("http://127.0.0.1/"), info());
    assertEquals(res.status, 500);
    await res.body?.cancel();
  });
});

Deno.test("lineBuffer() writes lines in batches, on time, when full and on flush", async () => {
  const writes: string[] = [];
  const sink = {
    writeSync(p: Uint8Array): number {
      // A short write: at most 5 bytes at a time.
      const n = Math.min(5, p.length);
      writes.push(new TextDecoder().decode(p.subarray(0, n)));
      return n;
    },
  };
  const logs = lineBuffer(sink, { delayMs: 10, maxBytes: 24 });
  logs.log("first");
  logs.log("second");
  assertEquals(writes, [], "held back");
  await new Promise((r) => setTimeout(r, 30));
  assertEquals(writes.join(""), "first\nsecond\n", "written after the delay");
  writes.length = 0;
  logs.log("0123456789");
  logs.log("0123456789abcdef");
  assertEquals(writes.join(""), "0123456789\n0123456789abcdef\n", "full");
  writes.length = 0;
  logs.log("last");
  logs.flush();
  assertEquals(writes.join(""), "last\n");
  logs.flush();
  const broken = lineBuffer({
    writeSync(): number {
      throw new Deno.errors.BrokenPipe("gone");
    },
  });
  broken.log("dropped");
  broken.flush();
});
