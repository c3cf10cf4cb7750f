import { readAhead } from "../scripts/_read_ahead.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";

/** A byte stream of `total` bytes (byte i is i % 251) in pieces of `piece`. */
function byteSource(
  total: number,
  piece: number,
  stats = { pulled: 0, cancelled: undefined as unknown },
): ReadableStream<Uint8Array> {
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      if (stats.pulled >= total) {
        controller.close();
        controller.byobRequest?.respond(0);
        return;
      }
      const request = controller.byobRequest;
      const n = Math.min(piece, total - stats.pulled);
      if (request?.view) {
        const view = new Uint8Array(
          request.view.buffer,
          request.view.byteOffset,
          Math.min(n, request.view.byteLength),
        );
        for (let i = 0; i < view.length; i++) {
          view[i] = (stats.pulled + i) % 251;
        }
        stats.pulled += view.length;
        request.respond(view.length);
      } else {
        const chunk = new Uint8Array(n);
        for (let i = 0; i < n; i++) chunk[i] = (stats.pulled + i) % 251;
        stats.pulled += n;
        controller.enqueue(chunk);
      }
    },
    cancel(reason) {
      stats.cancelled = reason;
    },
  });
}

async function collect(body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(body).arrayBuffer());
}

function checkPattern(bytes: Uint8Array, total: number): void {
  assertEquals(bytes.length, total);
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== i % 251) throw new Error(`Byte ${i} differs`);
  }
}

Deno.test("readAhead() passes every byte of byte and default streams", async (t) => {
  for (const piece of [1, 7, 16384, 100_000]) {
    await t.step(`byte stream, pieces of ${piece}`, async () => {
      const total = piece === 1 ? 5000 : 3 * 1024 * 1024 + 5;
      const body = readAhead(byteSource(total, piece), {
        blockSize: 64 * 1024,
        readSize: 4096,
      });
      checkPattern(await collect(body), total);
    });
  }
  await t.step("default stream with chunks larger than a block", async () => {
    const chunks = [
      new Uint8Array(10),
      new Uint8Array(300_000),
      new Uint8Array(3),
    ];
    let k = 0;
    for (const c of chunks) for (let i = 0; i < c.length; i++) c[i] = k++ % 251;
    const body = readAhead(
      new ReadableStream({
        pull(controller) {
          const next = chunks.shift();
          if (next) controller.enqueue(next);
          else controller.close();
        },
      }),
      { blockSize: 65536, readSize: 4096 },
    );
    checkPattern(await collect(body), 300_013);
  });
  await t.step("an empty body", async () => {
    assertEquals((await collect(readAhead(byteSource(0, 10)))).length, 0);
  });
});

Deno.test("readAhead() hands over what arrived while the source is silent", async () => {
  // A client that sends a little and waits for the answer before sending more.
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  let step = 0;
  const source = new ReadableStream<Uint8Array>({
    type: "bytes",
    async pull(controller) {
      step++;
      const bytes = controller as ReadableByteStreamController;
      if (step === 1) bytes.enqueue(new TextEncoder().encode("ping"));
      else if (step === 2) {
        await gate;
        bytes.enqueue(new TextEncoder().encode("more"));
      } else {
        bytes.close();
        bytes.byobRequest?.respond(0);
      }
    },
  });
  const reader = readAhead(source).getReader();
  const first = await reader.read();
  assertEquals(new TextDecoder().decode(first.value), "ping");
  release();
  const second = await reader.read();
  assertEquals(new TextDecoder().decode(second.value), "more");
  assert((await reader.read()).done);
});

Deno.test("readAhead() stops reading at maxBuffered until the consumer takes", async () => {
  const stats = { pulled: 0, cancelled: undefined as unknown };
  const body = readAhead(byteSource(64 * 1024 * 1024, 65536, stats), {
    maxBuffered: 256 * 1024,
    readSize: 16384,
    blockSize: 65536,
  });
  const reader = body.getReader();
  await new Promise((r) => setTimeout(r, 50));
  assert(
    stats.pulled <= 256 * 1024 + 16384,
    `read ${stats.pulled} bytes ahead of a consumer that took none`,
  );
  assert(stats.pulled >= 256 * 1024, "it did read ahead");
  let got = 0;
  while (got < 1024 * 1024) got += (await reader.read()).value!.length;
  await reader.cancel("enough");
  assertEquals(stats.cancelled, "enough", "cancel reaches the source");
});

Deno.test("readAhead() passes the source's error on", async () => {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(10));
      controller.error(new TypeError("Connection reset"));
    },
  });
  await assertRejects(() => collect(readAhead(source)), TypeError, "reset");
});

Deno.test("readAhead() keeps a chunked upload to Deno.serve intact", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const body = readAhead(req.body!);
      let n = 0;
      let intact = true;
      for await (const chunk of body) {
        for (let i = 0; i < chunk.length; i++) {
          if (chunk[i] !== (n + i) % 251) intact = false;
        }
        n += chunk.length;
        // A slow consumer, like a proxy awaiting its upstream write.
        await new Promise((r) => setTimeout(r, 0));
      }
      return new Response(`${n} ${intact}`);
    },
  );
  try {
    const total = 2 * 1024 * 1024;
    const res = await fetch(`http://127.0.0.1:${server.addr.port}/`, {
      method: "PUT",
      body: byteSource(total, 1000),
    });
    assertEquals(await res.text(), `${total} true`);
  } finally {
    await server.shutdown();
  }
});
