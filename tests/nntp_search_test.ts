import { NntpClient, type NntpClientOptions } from "../protocols/nntp.ts";
import { ConnectionClosedError } from "../protocols/errors.ts";
import { NntpReplyError } from "../protocols/_nntp_errors.ts";
import { overArguments, rangeChunks } from "../protocols/_nntp_search.ts";
import {
  generatedGroup,
  type NntpFixtureOptions,
  type NntpFixtureServer,
  startNntpFixtureServer,
} from "../scripts/_nntp_fixture_server.ts";
import type { OverviewEntry } from "../protocols/nntp_overview.ts";
import { startMockServer } from "./_mock_server.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";

const USER = { name: "reader", password: "secret word" };
const DENO_REGEXP = /deno/i;

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

async function collect<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iter) out.push(item);
  return out;
}

function isHit(value: string): boolean {
  return DENO_REGEXP.test(value);
}

Deno.test("overArguments() and rangeChunks() build the pipelined arguments", {
  permissions: "none",
}, () => {
  assertEquals(overArguments([]), []);
  assertEquals(overArguments([7]), ["7"]);
  assertEquals(overArguments([1, 3, 9, 50, 100, 101, 102]), [
    "1-9",
    "50",
    "100-102",
  ]);
  // Out of order (a server's business): never a reversed range.
  assertEquals(overArguments([5, 3]), ["5", "3"]);
  assertEquals([...rangeChunks({ start: 5, end: 5 }, 10)], ["5-5"]);
  assertEquals([...rangeChunks({ start: 1, end: 20 }, 10)], [
    "1-10",
    "11-20",
  ]);
});

Deno.test("NntpClient.overWhere() finds hits with HDR and reads their overview on the same pipeline", async () => {
  await withServer(
    { groups: [generatedGroup("fixture.big", 5000)] },
    async (server) => {
      const client = await connect(server);
      try {
        await client.group("fixture.big");
        const progress: number[] = [];
        const entries = await collect(
          client.overWhere("Subject", isHit, { start: 1, end: 5000 }, {
            chunkSize: 1000,
            onProgress: (n) => progress.push(n),
          }),
        );
        assertEquals(entries.length, 50);
        assertEquals(
          entries.map((e) => e.number),
          Array.from({ length: 50 }, (_, i) => (i + 1) * 100),
        );
        assert(entries.every((e) => isHit(e.subject) && e.messageId !== ""));
        assertEquals(progress.at(-1), 5000);
        const sent = server.received.filter((l) => /^(X?HDR|OVER) /.test(l));
        assertEquals(sent.filter((l) => l.startsWith("HDR ")), [
          "HDR Subject 1-1000",
          "HDR Subject 1001-2000",
          "HDR Subject 2001-3000",
          "HDR Subject 3001-4000",
          "HDR Subject 4001-5000",
        ]);
        // The hits of a chunk are asked for before the chunk after next.
        assert(
          sent.indexOf("OVER 100") < sent.indexOf("HDR Subject 3001-4000"),
        );
        // The connection is in step for the next command.
        assertEquals((await client.stat(42)).number, 42);
      } finally {
        await client.quit();
      }
    },
  );
});

Deno.test("NntpClient.overWhere() with quit pipelines QUIT and closes", async () => {
  await withServer(
    { groups: [generatedGroup("fixture.big", 3000)] },
    async (server) => {
      const client = await connect(server);
      await client.group("fixture.big");
      const entries = await collect(
        client.overWhere("Subject", isHit, { start: 1 }, {
          chunkSize: 1000,
          quit: true,
        }),
      );
      assertEquals(entries.length, 30);
      assertEquals(server.received.at(-1), "QUIT");
      assert(!client.isOpen);
      await client.quit();
      assertEquals(server.received.filter((l) => l === "QUIT").length, 1);
    },
  );
});

Deno.test("NntpClient.overWhere() with no hits and an empty range", async () => {
  await withServer({}, async (server) => {
    const client = await connect(server);
    try {
      await client.group("fixture.big");
      assertEquals(
        await collect(
          client.overWhere("Subject", () => false, { start: 1, end: 2500 }),
        ),
        [],
      );
      assertEquals(
        await collect(
          client.overWhere("Subject", () => true, { start: 10, end: 9 }),
        ),
        [],
      );
      assertEquals((await client.stat(7)).number, 7);
    } finally {
      await client.quit();
    }
  });
});

Deno.test("NntpClient.overWhere() falls back to XHDR and XOVER without CAPABILITIES", async () => {
  await withServer(
    { faults: { noHdr: true, noOver: true } },
    async (server) => {
      const client = await connect(server, { readCapabilities: false });
      try {
        assertEquals(client.capabilities.size, 0);
        assertEquals(server.received, ["MODE READER"]);
        await client.group("fixture.big");
        const entries = await collect(
          client.overWhere("Subject", isHit, { start: 1, end: 3000 }, {
            chunkSize: 1000,
            quit: true,
          }),
        );
        assertEquals(entries.length, 30);
        const verbs = server.received.map((l) => l.split(" ")[0]);
        assert(verbs.includes("XHDR") && verbs.includes("XOVER"));
        assertEquals(server.received.at(-1), "QUIT");
      } finally {
        client.close();
      }
    },
  );
});

Deno.test("NntpClient.overWhere() reports HDR and XHDR both unknown as unknown-command", async () => {
  const server = startMockServer(async (peer) => {
    await peer.write("200 mock ready\r\n");
    while (true) {
      const line = await peer.readLine();
      if (line === null) return;
      if (line.startsWith("GROUP")) {
        await peer.write("211 10 1 10 g\r\n");
      } else if (line === "LIST OVERVIEW.FMT") {
        await peer.write("215 fmt\r\nSubject:\r\nFrom:\r\n.\r\n");
      } else if (line === "QUIT") {
        await peer.write("205 bye\r\n");
        return;
      } else if (line.startsWith("STAT")) {
        await peer.write("223 5 <a@b> ok\r\n");
      } else {
        await peer.write("500 unknown\r\n");
      }
    }
  });
  const client = await NntpClient.connect({
    hostname: server.hostname,
    port: server.port,
    readCapabilities: false,
    modeReader: false,
  });
  try {
    await client.group("g");
    const err = await assertRejects(
      () => collect(client.overWhere("Subject", isHit, { start: 1, end: 10 })),
      NntpReplyError,
    );
    assertEquals(err.kind, "unknown-command");
    assertEquals((await client.stat(5)).number, 5);
  } finally {
    await client.quit();
    await server.close();
  }
  assertEquals(server.received.filter((l) => /HDR/.test(l)), [
    "HDR Subject 1-10",
    "XHDR Subject 1-10",
  ]);
});

Deno.test("NntpClient.overWhere() logs in when asked mid-pipeline and resends in order", async () => {
  await withServer(
    {
      groups: [generatedGroup("fixture.big", 4000)],
      faults: { authAfterCommands: 12 },
    },
    async (server) => {
      const client = await connect(server, {
        user: USER.name,
        password: USER.password,
        lazyLogin: true,
      });
      try {
        await client.group("fixture.big");
        const entries = await collect(
          client.overWhere("Subject", isHit, { start: 1, end: 4000 }, {
            chunkSize: 500,
          }),
        );
        assertEquals(
          entries.map((e) => e.number),
          Array.from({ length: 40 }, (_, i) => (i + 1) * 100),
        );
        assert(client.authenticated);
        assertEquals((await client.stat(9)).number, 9);
      } finally {
        await client.quit();
      }
    },
  );
});

Deno.test("NntpClient.overWhere() reports a reply cut mid-chunk as an error", async (t) => {
  for (const command of ["HDR", "OVER"]) {
    await t.step(`cut during ${command}`, async () => {
      await withServer(
        {
          groups: [generatedGroup("fixture.big", 5000)],
          faults: { cutAfterLines: 300, cutCommand: command },
        },
        async (server) => {
          const client = await connect(server);
          try {
            await client.group("fixture.big");
            const seen: OverviewEntry[] = [];
            const err = await assertRejects(async () => {
              for await (
                const entry of client.overWhere(
                  "Subject",
                  () => true,
                  { start: 1, end: 5000 },
                  { chunkSize: 1000 },
                )
              ) seen.push(entry);
            }, ConnectionClosedError);
            // Cut while reading, or while sending the next commands.
            assert(/multi-line|reset/.test(err.message), err.message);
            assert(seen.length < 5000);
            assert(!client.isOpen);
          } finally {
            client.close();
          }
        },
      );
    });
  }
});

Deno.test("NntpClient.overWhere() left with break keeps the connection in step", async () => {
  await withServer(
    { groups: [generatedGroup("fixture.big", 5000)] },
    async (server) => {
      const client = await connect(server);
      try {
        await client.group("fixture.big");
        let n = 0;
        for await (
          const _ of client.overWhere(
            "Subject",
            () => true,
            { start: 1, end: 5000 },
            { chunkSize: 1000 },
          )
        ) {
          if (++n === 3) break;
        }
        assertEquals((await client.stat(42)).number, 42);
        const again = await collect(
          client.overWhere("Subject", isHit, { start: 4901, end: 5000 }),
        );
        assertEquals(again.map((e) => e.number), [5000]);
      } finally {
        await client.quit();
      }
    },
  );
});

Deno.test("NntpClient.overWhere() whose test throws leaves the connection in step", async () => {
  await withServer(
    { groups: [generatedGroup("fixture.big", 5000)] },
    async (server) => {
      const client = await connect(server);
      try {
        await client.group("fixture.big");
        let seen = 0;
        await assertRejects(
          () =>
            collect(
              client.overWhere(
                "Subject",
                (value) => {
                  if (++seen === 2500) throw new RangeError("enough");
                  return isHit(value);
                },
                { start: 1, end: 5000 },
                { chunkSize: 1000 },
              ),
            ),
          RangeError,
          "enough",
        );
        assertEquals((await client.stat(4242)).number, 4242);
        assertEquals(
          (await collect(client.overWhere("Subject", isHit, { start: 1 })))
            .length,
          50,
        );
      } finally {
        await client.quit();
      }
    },
  );
});
