/**
 * Tests of the FTP client against the in-process fixture server: session
 * setup, listings, transfers both ways, and the faults of issue 5 (garbage,
 * cut downloads, 421, silence, hostile listings, PASV to another host,
 * command injection, EPSV refusal, reply order).
 *
 * @module
 */

import {
  FtpAuthError,
  FtpClient,
  type FtpClientOptions,
  FtpNotFoundError,
  FtpReplyError,
  FtpSessionReuseError,
  parseFtpUrl,
} from "../protocols/ftp.ts";
import {
  decodeListing,
  parseEpsvReply,
  parseFeatures,
  parsePasvReply,
  parseQuotedPath,
  parseSizeInReply,
} from "../protocols/_ftp_parse.ts";
import {
  CommandInjectionError,
  ConnectionClosedError,
  ProtocolError,
  TimeoutError,
} from "../protocols/errors.ts";
import { isSafeEntryName } from "../protocols/ftp_list.ts";
import {
  type FtpFixtureOptions,
  type FtpFixtureServer,
  generatedBytes,
  startFtpFixture,
} from "../scripts/_ftp_fixture_server.ts";
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "./_assert.ts";
import { streamBytes, streamText } from "./_mock_server.ts";
import { testCerts } from "./_tls.ts";

const BIG = 3 * 1024 * 1024 + 12345;
/** Twelve 64 KiB chunks: with a 150 ms pause after each, longer than a 1 s timeout. */
const SLOW = 12 * 64 * 1024;

function sampleFiles(): FtpFixtureOptions["files"] {
  return {
    "/hello.txt": "Hello, FTP\n",
    "/pub/big.bin": { size: BIG },
    "/pub/notes.txt": {
      data: "notes\n",
      modified: new Date("2024-03-04T05:06:07Z"),
    },
    '/pub/a "q" b/': null as never,
    "/pub/link": { symlink: "notes.txt" },
    "/empty/": null as never,
    "/slow/mid.bin": { size: SLOW },
  };
}

async function withServer(
  fixture: FtpFixtureOptions,
  fn: (server: FtpFixtureServer) => Promise<void>,
): Promise<void> {
  const server = startFtpFixture({ files: sampleFiles(), ...fixture });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

async function withClient(
  fixture: FtpFixtureOptions,
  fn: (client: FtpClient, server: FtpFixtureServer) => Promise<void>,
  options: FtpClientOptions = {},
): Promise<void> {
  await withServer(fixture, async (server) => {
    const client = await FtpClient.connect({
      hostname: "127.0.0.1",
      port: server.port,
      timeout: 5000,
      ...options,
    });
    try {
      await fn(client, server);
    } finally {
      await client.close();
    }
  });
}

function count(lines: string[], verb: string): number {
  return lines.filter((line) => line.split(" ")[0] === verb).length;
}

Deno.test("FtpClient.connect() logs in anonymously and reads FEAT", async () => {
  await withClient({}, async (client, server) => {
    assert(client.features.has("MLST"));
    assertEquals(client.features.get("REST"), "STREAM");
    assertEquals(await client.system(), "UNIX Type: L8");
    assertEquals(server.received.slice(0, 4), [
      "USER anonymous",
      "PASS ***",
      "FEAT",
      "OPTS UTF8 ON",
    ]);
  });
});

Deno.test("FtpClient.connect() takes percent-decoded credentials from the URL", async () => {
  await withServer(
    { users: { "me@x": "p@ss word" }, anonymous: false },
    async (server) => {
      const url = `ftp://me%40x:p%40ss%20word@127.0.0.1:${server.port}/pub/`;
      const client = await FtpClient.connect(url);
      assertEquals(await client.pwd(), "/");
      await client.close();
      assertEquals(server.received[0], "USER me@x");
    },
  );
});

Deno.test("FtpClient.connect() rejects a wrong password with FtpAuthError", async () => {
  await withServer(
    { users: { bob: "right" }, anonymous: false },
    async (server) => {
      const err = await assertRejects(
        () =>
          FtpClient.connect({
            hostname: "127.0.0.1",
            port: server.port,
            user: "bob",
            password: "wrong",
          }),
        FtpAuthError,
      );
      assertEquals(err.code, 530);
      assertEquals(err.transient, false);
    },
  );
});

Deno.test("FtpClient.connect() with secure never falls back to plain text", async () => {
  await withServer({}, async (server) => {
    const err = await assertRejects(
      () =>
        FtpClient.connect({
          hostname: "127.0.0.1",
          port: server.port,
          secure: true,
        }),
      FtpReplyError,
      "AUTH TLS",
    );
    assertEquals(err.code, 500);
    assertEquals(server.received, ["AUTH TLS"]);
  });
});

Deno.test("FtpClient.connect() fails with ProtocolError on a garbage greeting", async () => {
  await withServer(
    { faults: { garbageReplyTo: "GREETING" } },
    async (server) => {
      await assertRejects(
        () => FtpClient.connect({ hostname: "127.0.0.1", port: server.port }),
        ProtocolError,
      );
    },
  );
});

Deno.test("FtpClient navigates directories", async (t) => {
  await withClient({}, async (client) => {
    await t.step("pwd() undoes doubled quotes", async () => {
      await client.cwd('/pub/a "q" b');
      assertEquals(await client.pwd(), '/pub/a "q" b');
    });
    await t.step("cdup() goes to the parent", async () => {
      await client.cdup();
      assertEquals(await client.pwd(), "/pub");
    });
    await t.step(
      "cwd() to a missing directory is FtpNotFoundError",
      async () => {
        const err = await assertRejects(
          () => client.cwd("/nowhere"),
          FtpNotFoundError,
        );
        assertEquals(err.command, "CWD");
      },
    );
    await t.step("noop() and command() keep the session in step", async () => {
      await client.noop();
      const reply = await client.command("SITE", "HELP");
      assertEquals(reply.code, 500);
      assertEquals(await client.pwd(), "/pub");
    });
  });
});

Deno.test("FtpClient.list() uses MLSD when FEAT offers MLST", async () => {
  await withClient({}, async (client, server) => {
    const listing = await client.list("/pub");
    assertEquals(listing.command, "MLSD");
    assertEquals(
      listing.entries.map((entry) => `${entry.type} ${entry.name}`),
      ['dir a "q" b', "file big.bin", "link link", "file notes.txt"],
    );
    const notes = listing.entries.find((entry) => entry.name === "notes.txt");
    assertEquals(notes?.size, 6);
    assertEquals(notes?.modified, new Date("2024-03-04T05:06:07Z"));
    assertEquals(count(server.received, "LIST"), 0);
  });
});

Deno.test("FtpClient.list() reads Unix LIST output without MLSD", async () => {
  await withClient({ mlsd: false }, async (client, server) => {
    const listing = await client.list("/pub");
    assertEquals(listing.command, "LIST");
    assertEquals(listing.unparsed, []);
    const link = listing.entries.find((entry) => entry.name === "link");
    assertEquals(link?.type, "link");
    assertEquals(link?.target, "notes.txt");
    assertEquals(
      listing.entries.find((entry) => entry.name === "big.bin")?.size,
      BIG,
    );
    assertEquals(count(server.received, "MLSD"), 0);
  });
});

Deno.test("FtpClient.list() reads DOS LIST output", async () => {
  await withClient({ mlsd: false, listFormat: "dos" }, async (client) => {
    const listing = await client.list("/pub");
    assertEquals(
      listing.entries.map((entry) => `${entry.type} ${entry.name}`),
      ['dir a "q" b', "file big.bin", "file link", "file notes.txt"],
    );
  });
});

Deno.test("FtpClient.list() returns hostile names as listed and reports unparsed lines", async () => {
  const extra = [
    "type=file;size=3; ../escape.txt",
    "type=file;size=3; sub/dir.txt",
    "type=file;size=3; \x1b[31mred",
    "this line is no listing",
  ];
  await withClient(
    { faults: { extraListing: { "/pub": extra } } },
    async (client) => {
      const listing = await client.list("/pub");
      const hostile = listing.entries.filter((e) => !isSafeEntryName(e.name));
      assertEquals(hostile.map((e) => e.name), [
        "../escape.txt",
        "sub/dir.txt",
        "\x1b[31mred",
      ]);
      assertEquals(listing.unparsed, ["this line is no listing"]);
    },
  );
});

Deno.test("FtpClient.list() refuses a listing over maxListingBytes and stays usable", async () => {
  await withClient({}, async (client) => {
    await assertRejects(() => client.list("/pub"), ProtocolError, "limit");
    assertEquals(await client.pwd(), "/");
  }, { maxListingBytes: 64 });
});

Deno.test("FtpClient.nlst() lists names", async () => {
  await withClient({}, async (client) => {
    assertEquals(await client.nlst("/empty"), []);
    assertEquals((await client.nlst("/pub")).length, 4);
  });
});

Deno.test("FtpClient.stat() uses MLST, else SIZE and MDTM", async (t) => {
  await t.step("MLST", async () => {
    await withClient({}, async (client) => {
      const entry = await client.stat("/pub/notes.txt");
      assertEquals(entry.type, "file");
      assertEquals(entry.size, 6);
      await assertRejects(() => client.stat("/none"), FtpNotFoundError);
    });
  });
  await t.step("SIZE and MDTM, with CWD for a directory", async () => {
    await withClient({ mlsd: false }, async (client, server) => {
      const file = await client.stat("/pub/notes.txt");
      assertEquals(file.size, 6);
      assertEquals(file.modified, new Date("2024-03-04T05:06:07Z"));
      const dir = await client.stat("/pub");
      assertEquals(dir.type, "dir");
      assertEquals(await client.pwd(), "/");
      await assertRejects(() => client.stat("/none"), FtpNotFoundError);
      assertEquals(count(server.received, "MLST"), 0);
    });
  });
});

Deno.test("FtpClient.download() streams a file byte-exact and resumes with REST", async (t) => {
  await withClient({}, async (client, server) => {
    const expected = generatedBytes(BIG);
    await t.step("whole file through a default reader", async () => {
      const progress: number[] = [];
      const body = await client.download("/pub/big.bin", {
        onProgress: (p) => {
          progress.push(p.transferred);
          assertEquals(p.total, BIG);
        },
      });
      assertEquals(await streamBytes(body), expected);
      assertEquals(progress.at(-1), BIG);
    });
    await t.step("from an offset through a BYOB reader", async () => {
      const offset = 1_000_003;
      const body = await client.download("/pub/big.bin", { offset });
      const reader = body.getReader({ mode: "byob" });
      const out = new Uint8Array(BIG - offset);
      let filled = 0;
      while (true) {
        const { value, done } = await reader.read(
          new Uint8Array(Math.min(100_000, out.length - filled) || 1),
        );
        if (done) break;
        out.set(value, filled);
        filled += value.byteLength;
      }
      assertEquals(filled, BIG - offset);
      assertEquals(out, expected.subarray(offset));
      assert(server.received.includes(`REST ${offset}`));
    });
    await t.step("a missing file is FtpNotFoundError", async () => {
      await assertRejects(() => client.download("/nope"), FtpNotFoundError);
      assertEquals(await client.pwd(), "/");
    });
  });
});

Deno.test("FtpClient.downloadTo() writes to a WritableStream and to a file", async () => {
  await withClient({}, async (client) => {
    const parts: Uint8Array[] = [];
    const n = await client.downloadTo(
      "/hello.txt",
      new WritableStream({
        write(chunk) {
          parts.push(chunk);
        },
      }),
    );
    assertEquals(n, 11);
    const path = await Deno.makeTempFile();
    try {
      const file = await Deno.open(path, { write: true });
      try {
        assertEquals(await client.downloadTo("/pub/big.bin", file), BIG);
      } finally {
        file.close();
      }
      assertEquals(await Deno.readFile(path), generatedBytes(BIG));
    } finally {
      await Deno.remove(path);
    }
  });
});

Deno.test("FtpClient.downloadTo() overlaps slow writes with reads, in order, and reports a failing writer", async () => {
  await withClient({}, async (client) => {
    // A writer slower than the network, taking a few bytes at a time: the
    // next read runs meanwhile, and the bytes must still land in order.
    const out = new Uint8Array(BIG);
    let filled = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    const slow = {
      async write(p: Uint8Array): Promise<number> {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 0));
        const n = Math.min(p.length, 100_003);
        out.set(p.subarray(0, n), filled);
        filled += n;
        inFlight--;
        return n;
      },
    };
    assertEquals(await client.downloadTo("/pub/big.bin", slow), BIG);
    assertEquals(filled, BIG);
    assertEquals(out, generatedBytes(BIG));
    assertEquals(maxInFlight, 1, "one write at a time");

    let calls = 0;
    const failing = {
      write(p: Uint8Array): Promise<number> {
        if (++calls === 2) return Promise.reject(new Error("disk full"));
        return Promise.resolve(p.length);
      },
    };
    await assertRejects(
      () => client.downloadTo("/pub/big.bin", failing),
      Error,
      "disk full",
    );
    assertEquals(
      await client.pwd(),
      "/",
      "the control connection stays usable",
    );
  });
});

Deno.test("FtpClient.upload() stores, appends and resumes", async (t) => {
  await withClient({}, async (client, server) => {
    const text = (path: string) => {
      const node = server.fs.nodes.get(path);
      return node?.kind === "file" && node.data
        ? new TextDecoder().decode(node.data)
        : undefined;
    };
    await t.step("STOR from a string", async () => {
      const seen: number[] = [];
      const n = await client.upload("/up.txt", "hello world", {
        onProgress: (p) => {
          seen.push(p.transferred);
          assertEquals(p.total, 11);
        },
      });
      assertEquals(n, 11);
      assertEquals(seen, [11]);
      assertEquals(text("/up.txt"), "hello world");
    });
    await t.step("APPE from a stream", async () => {
      const body = ReadableStream.from([
        new TextEncoder().encode("!"),
        new TextEncoder().encode("?"),
      ]);
      assertEquals(await client.upload("/up.txt", body, { append: true }), 2);
      assertEquals(text("/up.txt"), "hello world!?");
    });
    await t.step("REST and STOR from bytes", async () => {
      await client.upload("/up.txt", new TextEncoder().encode("WORLD"), {
        offset: 6,
      });
      assertEquals(text("/up.txt"), "hello WORLD");
      assert(server.received.includes("REST 6"));
    });
    await t.step("a failing body rejects with its own error", async () => {
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          controller.error(new RangeError("source broke"));
        },
      });
      await assertRejects(
        () => client.upload("/broken.txt", body),
        RangeError,
        "source broke",
      );
      assertEquals(await client.pwd(), "/");
    });
    await t.step("an upload to a missing directory is refused", async () => {
      const err = await assertRejects(
        () => client.upload("/no/dir/x.txt", "x"),
        FtpReplyError,
      );
      assertEquals(err.code, 553);
    });
  });
});

Deno.test("FtpClient manages files and directories", async () => {
  await withClient({}, async (client) => {
    assertEquals(await client.mkdir("/new"), "/new");
    await client.upload("/new/a.txt", "a");
    await client.rename("/new/a.txt", "/new/b.txt");
    assertEquals(await client.size("/new/b.txt"), 1);
    const when = new Date("2023-05-06T07:08:09Z");
    await client.setModifiedTime("/new/b.txt", when);
    assertEquals(await client.modifiedTime("/new/b.txt"), when);
    await assertRejects(() => client.rmdir("/new"), FtpNotFoundError);
    await client.remove("/new/b.txt");
    await client.rmdir("/new");
    await assertRejects(() => client.remove("/new/b.txt"), FtpNotFoundError);
    await assertRejects(() => client.rename("/x", "/y"), FtpNotFoundError);
  });
});

Deno.test("FtpClient fails with ProtocolError on a garbage reply", async () => {
  await withClient({ faults: { garbageReplyTo: "PWD" } }, async (client) => {
    await assertRejects(() => client.pwd(), ProtocolError);
    assertEquals(client.isOpen, false);
    await assertRejects(() => client.noop(), ConnectionClosedError);
  });
});

Deno.test("FtpClient.download() rejects a transfer cut mid-way and resumes on retry", async () => {
  await withClient(
    { faults: { dropDataAfter: 1_500_000, dropTimes: 1 } },
    async (client) => {
      const received: Uint8Array[] = [];
      let got = 0;
      const body = await client.download("/pub/big.bin");
      const err = await assertRejects(async () => {
        for await (const chunk of body) {
          received.push(chunk);
          got += chunk.byteLength;
        }
      }, FtpReplyError);
      assertEquals(err.code, 426);
      assert(err.transient);
      assertEquals(got, 1_500_000);
      const rest = await streamBytes(
        await client.download("/pub/big.bin", { offset: got }),
      );
      const whole = new Uint8Array(got + rest.length);
      let off = 0;
      for (const part of [...received, rest]) {
        whole.set(part, off);
        off += part.length;
      }
      assertEquals(whole, generatedBytes(BIG));
    },
  );
});

/**
 * Reads a download the way bench/ftp_download.ts does: a BYOB reader and one
 * buffer, handed back and forth, whose bytes are copied out as they come.
 */
async function readByob(
  body: ReadableStream<Uint8Array>,
  into: Uint8Array,
): Promise<number> {
  const reader = body.getReader({ mode: "byob" });
  let buffer = new Uint8Array(256 * 1024);
  let filled = 0;
  while (true) {
    const { value, done } = await reader.read(buffer);
    if (done) break;
    into.set(value, filled);
    filled += value.byteLength;
    buffer = new Uint8Array(value.buffer);
  }
  return filled;
}

Deno.test("FtpClient.download() through one reused BYOB buffer is byte-exact, and a cut there is an error", async (t) => {
  await t.step("whole file", async () => {
    await withClient({}, async (client) => {
      const out = new Uint8Array(BIG);
      const body = await client.download("/pub/big.bin");
      assertEquals(await readByob(body, out), BIG);
      assertEquals(out, generatedBytes(BIG));
      assertEquals(await client.pwd(), "/");
    });
  });
  await t.step(
    "data cut with 426: FtpReplyError, not a short success",
    async () => {
      await withClient(
        { faults: { dropDataAfter: 1_500_000, dropTimes: 1 } },
        async (client) => {
          const out = new Uint8Array(BIG);
          const body = await client.download("/pub/big.bin");
          const err = await assertRejects(
            () => readByob(body, out),
            FtpReplyError,
          );
          assertEquals(err.code, 426);
          assertEquals(
            out.subarray(0, 1_500_000),
            generatedBytes(BIG).subarray(0, 1_500_000),
          );
          assertEquals(await client.pwd(), "/");
        },
      );
    },
  );
  await t.step("data and control cut: ConnectionClosedError", async () => {
    await withClient(
      { faults: { dropDataAfter: 100_000, dropClosesControl: true } },
      async (client) => {
        const body = await client.download("/pub/big.bin");
        await assertRejects(
          () => readByob(body, new Uint8Array(BIG)),
          ConnectionClosedError,
        );
        assertEquals(client.isOpen, false);
      },
    );
  });
});

Deno.test("FtpClient.download() fails when the control connection drops mid-transfer", async () => {
  await withClient(
    { faults: { dropDataAfter: 100_000, dropClosesControl: true } },
    async (client) => {
      const body = await client.download("/pub/big.bin");
      await assertRejects(() => streamBytes(body));
      assertEquals(client.isOpen, false);
    },
  );
});

Deno.test("FtpClient treats 421 mid-session as transient and closed", async () => {
  await withClient({ faults: { closeAfterCommands: 5 } }, async (client) => {
    await client.pwd();
    const err = await assertRejects(() => client.list("/"), FtpReplyError);
    assertEquals(err.code, 421);
    assert(err.transient);
    assertEquals(client.isOpen, false);
    await assertRejects(() => client.pwd(), ConnectionClosedError);
  });
});

Deno.test("FtpClient fails with TimeoutError when the server stays silent", async () => {
  await withClient({ faults: { stallOn: "PWD" } }, async (client) => {
    const err = await assertRejects(() => client.pwd(), TimeoutError);
    assertEquals(err.timeout, 200);
    assertEquals(client.isOpen, false);
  }, { timeout: 200 });
});

Deno.test("FtpClient keeps a long transfer alive past the control timeout", async () => {
  await withClient(
    { faults: { dataChunkDelayMs: 150 } },
    async (client) => {
      const body = await client.download("/slow/mid.bin");
      assertEquals(await streamBytes(body), generatedBytes(SLOW));
      assertEquals(await client.pwd(), "/");
      await client.noop();
    },
    { timeout: 1000, keepAliveInterval: 100 },
  );
});

Deno.test("FtpClient connects to the control peer whatever PASV names", async () => {
  const notes: string[] = [];
  await withClient(
    { faults: { refuseEpsv: true, pasvHost: "10.255.255.1" } },
    async (client, server) => {
      assertEquals(
        await streamText(await client.download("/hello.txt")),
        "Hello, FTP\n",
      );
      assertEquals(
        await streamText(await client.download("/hello.txt")),
        "Hello, FTP\n",
      );
      assertEquals(count(server.received, "EPSV"), 1);
      assertEquals(count(server.received, "PASV"), 2);
    },
    {
      debug: (_, line) => {
        if (line.startsWith("# ")) notes.push(line);
      },
    },
  );
  assert(notes.some((note) => note.includes("PASV names 10.255.255.1")));
  assert(notes.some((note) => note.includes("EPSV refused")));
});

Deno.test("FtpClient falls back to PASV when EPSV returns 500 and remembers it", async () => {
  await withClient({ faults: { refuseEpsv: true } }, async (client, server) => {
    await client.list("/");
    await client.list("/pub");
    await client.nlst("/pub");
    assertEquals(count(server.received, "EPSV"), 1);
    assertEquals(count(server.received, "PASV"), 3);
  });
});

Deno.test("FtpClient refuses CR, LF and NUL in a path with CommandInjectionError", async () => {
  await withClient({}, async (client, server) => {
    for (const path of ["a\r\nDELE /hello.txt", "a\nb", "a\0b"]) {
      await assertRejects(
        () => client.download(path),
        CommandInjectionError,
      );
      await assertRejects(() => client.remove(path), CommandInjectionError);
    }
    assert(!server.received.some((line) => line.startsWith("DELE")));
    assertEquals(await client.pwd(), "/");
  });
});

Deno.test("FtpClient.download() completes only after both data EOF and the final reply", async (t) => {
  for (const finalReplyFirst of [false, true]) {
    const order = finalReplyFirst ? "226 before data" : "data before 226";
    await t.step(order, async () => {
      const events: string[] = [];
      await withClient(
        { faults: { finalReplyFirst, finalReplyDelayMs: 150 } },
        async (client) => {
          const body = await client.download("/pub/big.bin");
          const bytes = await streamBytes(body);
          events.push("end");
          assertEquals(bytes.length, BIG);
          assertEquals(bytes, generatedBytes(BIG));
        },
        {
          debug: (direction, line) => {
            if (direction === "recv" && line.startsWith("226")) {
              events.push("226");
            }
          },
        },
      );
      assertEquals(events.slice(0, 2), ["226", "end"]);
    });
  }
});

Deno.test("FtpClient abandons an unread download at the next command", async () => {
  await withClient({}, async (client) => {
    const body = await client.download("/pub/big.bin");
    assertEquals(await client.pwd(), "/");
    await assertRejects(() => streamBytes(body), ConnectionClosedError);
    assertEquals(
      await streamText(await client.download("/hello.txt")),
      "Hello, FTP\n",
    );
  });
});

Deno.test("FtpClient.download() stops on abort and the session stays usable", async () => {
  await withClient({}, async (client) => {
    const controller = new AbortController();
    const body = await client.download("/pub/big.bin", {
      signal: controller.signal,
    });
    const reader = body.getReader();
    await reader.read();
    controller.abort(new Error("stop"));
    await assertRejects(() => reader.read(), Error, "stop");
    assertEquals(await client.pwd(), "/");
  });
});

Deno.test("FtpClient transfers in active mode", async () => {
  await withClient({}, async (client, server) => {
    assertEquals(
      await streamText(await client.download("/hello.txt")),
      "Hello, FTP\n",
    );
    await client.upload("/active.txt", "up");
    assertEquals((await client.list("/")).entries.length, 5);
    assertEquals(count(server.received, "PORT"), 3);
    assertEquals(count(server.received, "EPSV"), 0);
  }, { passive: false });
});

Deno.test("FtpClient speaks implicit FTPS with TLS data connections", async () => {
  const certs = await testCerts();
  await withClient(
    { tls: { cert: certs.cert, key: certs.key } },
    async (client, server) => {
      assert(client.isSecure);
      assertEquals(
        await streamBytes(await client.download("/pub/big.bin")),
        generatedBytes(BIG),
      );
      await client.upload("/tls.txt", "over TLS");
      assertEquals(
        await streamText(await client.download("/tls.txt")),
        "over TLS",
      );
      assertEquals((await client.list("/pub")).entries.length, 4);
      assert(server.received.includes("PROT P"));
    },
    { secure: "implicit", caCerts: [certs.caCert] },
  );
});

Deno.test("FtpClient names require_ssl_reuse when TLS data connections are refused", async () => {
  const certs = await testCerts();
  await withClient(
    {
      tls: { cert: certs.cert, key: certs.key },
      faults: { refuseDataTls: true },
    },
    async (client) => {
      const err = await assertRejects(
        () => client.list("/"),
        FtpSessionReuseError,
      );
      assertEquals(err.code, 522);
      assertStringIncludes(err.message, "require_ssl_reuse");
      assertEquals(await client.pwd(), "/");
    },
    { secure: "implicit", caCerts: [certs.caCert] },
  );
});

Deno.test("FtpClient.close() is safe to call twice and cuts an open download", async () => {
  await withClient({}, async (client) => {
    await client.download("/pub/big.bin");
    await client.close();
    await client.close();
    assertEquals(client.isOpen, false);
    await assertRejects(() => client.pwd(), ConnectionClosedError);
  });
});

Deno.test("parseFtpUrl() reads credentials, ports and paths", () => {
  assertEquals(parseFtpUrl("ftp://h/a%2Fb;type=i"), {
    hostname: "h",
    port: 21,
    path: "/a/b",
  });
  assertEquals(parseFtpUrl("ftps://u:p@h/"), {
    hostname: "h",
    port: 990,
    user: "u",
    password: "p",
    secure: "implicit",
    path: "/",
  });
  assertThrows(() => parseFtpUrl("http://h/"), TypeError);
  assertThrows(() => parseFtpUrl("ftp://u:%zz@h/"), TypeError);
});

Deno.test("FTP reply parsers read PASV, EPSV, quoted paths, sizes and FEAT", () => {
  assertEquals(parsePasvReply("Entering Passive Mode (10,0,0,1,4,1)."), {
    hostname: "10.0.0.1",
    port: 1025,
  });
  assertEquals(parsePasvReply("=127,0,0,1,200,10"), {
    hostname: "127.0.0.1",
    port: 51210,
  });
  assertThrows(() => parsePasvReply("(300,0,0,1,4,1)"), ProtocolError);
  assertEquals(
    parseEpsvReply("Entering Extended Passive Mode (|||6446|)"),
    6446,
  );
  assertEquals(parseEpsvReply("ok (!!!21!)"), 21);
  assertThrows(() => parseEpsvReply("(|||0|)"), ProtocolError);
  assertEquals(parseQuotedPath('"/a ""b"" c" is current'), '/a "b" c');
  assertEquals(parseQuotedPath("no quotes"), undefined);
  assertEquals(parseSizeInReply("Opening (42 bytes)."), 42);
  const features = parseFeatures({
    code: 211,
    text: "",
    lines: ["211-Features:", " MLST type*;size*;", " UTF8", "211 End"],
  });
  assertEquals([...features], [["MLST", "type*;size*;"], ["UTF8", ""]]);
});

Deno.test("decodeListing() reads UTF-8 lines and falls back to ISO-8859-1", () => {
  const bytes = new Uint8Array([
    ...new TextEncoder().encode("café\r\n"),
    0x63,
    0x61,
    0x66,
    0xe9,
    0x0d,
    0x0a,
  ]);
  assertEquals(decodeListing(bytes), "café\r\ncafé\r\n");
});

Deno.test("FtpReplyError carries the reply", () => {
  const err = new FtpReplyError(
    { code: 450, text: "busy", lines: ["450 busy"] },
    "RETR",
    "Cannot download",
  );
  assertInstanceOf(err, Error);
  assertStringIncludes(err.message, "Cannot download");
  assert(err.transient);
});
