import { HttpClient, HttpProtocolError } from "../protocols/http.ts";
import { evalAlone } from "./_eval.ts";
import { BufferedReader } from "../protocols/buffered_reader.ts";
import { BodyReader } from "../protocols/_http_body.ts";
import {
  type Framing,
  readResponseHead,
  responseFraming,
} from "../protocols/_http_message.ts";
import {
  CommandInjectionError,
  ConnectionClosedError,
  ProtocolError,
  TimeoutError,
} from "../protocols/errors.ts";
import {
  assert,
  assertEquals,
  assertRejects,
  assertThrows,
} from "./_assert.ts";
import {
  chunkSource,
  type MockPeer,
  startMockServer,
  streamText,
} from "./_mock_server.ts";

/** Reads one request head (and a Content-Length body) from the peer. */
async function readRequest(
  peer: MockPeer,
): Promise<{ head: string[]; body: string } | null> {
  const head: string[] = [];
  while (true) {
    const line = await peer.readLine();
    if (line === null) return null;
    if (line === "") break;
    head.push(line);
  }
  const cl = head.find((h) => /^content-length:/i.test(h));
  let body = "";
  if (cl) {
    const n = Number(cl.split(":")[1]);
    body = new TextDecoder().decode(await peer.reader.readExactly(n));
  } else if (head.some((h) => /^transfer-encoding: chunked/i.test(h))) {
    while (true) {
      const size = parseInt((await peer.readLine()) ?? "0", 16);
      if (size === 0) {
        await peer.readLine();
        break;
      }
      body += new TextDecoder().decode(await peer.reader.readExactly(size));
      await peer.readLine();
    }
  }
  return { head, body };
}

/** The bytes of `text`, one per character (each below U+0100). */
function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** Writes a chunked response whose body "abcde" comes in two writes. */
async function writeChunkedAbcde(peer: MockPeer): Promise<void> {
  await peer.write(
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
  );
  await peer.write("2\r\nde\r\n0\r\n\r\n");
}

/**
 * A server script that answers every request on the connection by its path
 * (`*` for any other); a handler returning `false` ends the connection.
 */
function byPath(
  handlers: Record<string, (peer: MockPeer) => Promise<void | false>>,
): (peer: MockPeer) => Promise<void> {
  return async (peer) => {
    while (true) {
      const req = await readRequest(peer);
      if (!req) return;
      const path = req.head[0]!.split(" ")[1]!;
      if (await (handlers[path] ?? handlers["*"]!)(peer) === false) return;
    }
  };
}

async function withServer(
  script: (peer: MockPeer, index: number) => Promise<void>,
  fn: (
    base: string,
    server: ReturnType<typeof startMockServer>,
    client: HttpClient,
  ) => Promise<void>,
): Promise<void> {
  const server = startMockServer(script);
  const client = new HttpClient();
  try {
    await fn(`http://127.0.0.1:${server.port}`, server, client);
  } finally {
    client.close();
    await server.close();
  }
}

Deno.test("HttpClient reads status, reason as sent, ordered repeated headers and the body", async () => {
  await withServer(async (peer) => {
    await readRequest(peer);
    await peer.write(
      "HTTP/1.1 200 Fine  Thanks\r\nSet-Cookie: a=1\r\nX-Y: z\r\nSet-Cookie: b=2\r\nContent-Length: 5\r\n\r\nhello",
    );
  }, async (base, _server, client) => {
    const res = await client.request(`${base}/x`);
    assertEquals(res.version, "HTTP/1.1");
    assertEquals(res.status, 200);
    assertEquals(res.reason, "Fine  Thanks");
    assertEquals(res.headerLines, [
      ["Set-Cookie", "a=1"],
      ["X-Y", "z"],
      ["Set-Cookie", "b=2"],
      ["Content-Length", "5"],
    ]);
    assertEquals(res.headers.get("x-y"), "z");
    assertEquals(res.headers.getSetCookie(), ["a=1", "b=2"]);
    assertEquals(await streamText(res.body!), "hello");
  });
});

Deno.test("HttpClient decodes chunked bodies with extensions and trailers", async () => {
  await withServer(async (peer) => {
    await readRequest(peer);
    await peer.write(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n",
    );
  }, async (base, _server, client) => {
    const res = await client.request(base);
    assertEquals(await streamText(res.body!), "hello 0123456789");
  });
});

Deno.test("HttpClient refuses smuggling and malformed framing", async (t) => {
  const cases: [string, string][] = [
    [
      "CL and TE together",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ],
    [
      "conflicting Content-Length",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    ],
    ["invalid Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n"],
    ["malformed status line", "HTTP/1.1 2OO OK\r\n\r\n"],
    ["not HTTP", "SSH-2.0-OpenSSH\r\n\r\n"],
    [
      "obs-fold",
      "HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n",
    ],
    [
      "space before colon",
      "HTTP/1.1 200 OK\r\nX-A : 1\r\nContent-Length: 0\r\n\r\n",
    ],
    [
      "a transfer coding other than chunked",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    ],
    [
      "chunked twice",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ],
    [
      "NUL in a field value",
      "HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 0\r\n\r\n",
    ],
    [
      "bare CR in a field value",
      "HTTP/1.1 200 OK\r\nX-A: a\rSet-Cookie: x=1\r\nContent-Length: 0\r\n\r\n",
    ],
    [
      "endless interim responses",
      "HTTP/1.1 100 Continue\r\n\r\n".repeat(40) +
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    ],
  ];
  for (const [title, reply] of cases) {
    await t.step(title, async () => {
      await withServer(async (peer) => {
        await readRequest(peer);
        await peer.write(reply);
      }, async (base, _server, client) => {
        await assertRejects(() => client.request(base), HttpProtocolError);
      });
    });
  }
  await t.step("only SP and HTAB are trimmed from a field value", async () => {
    await withServer(async (peer) => {
      await readRequest(peer);
      await peer.write(
        latin1(
          "HTTP/1.1 200 OK\r\nX-A: \t\xa0a\xa0 \r\nContent-Length: 0\r\n\r\n",
        ),
      );
    }, async (base, _server, client) => {
      const res = await client.request(base);
      assertEquals(res.headerLines[0], ["X-A", "\u00a0a\u00a0"]);
    });
  });
  await t.step("a bad chunk size fails the body", async () => {
    await withServer(async (peer) => {
      await readRequest(peer);
      await peer.write(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
      );
    }, async (base, _server, client) => {
      const res = await client.request(base);
      await assertRejects(
        () => streamText(res.body!),
        HttpProtocolError,
        "chunk size",
      );
    });
  });
  await t.step("an oversized header section", async () => {
    await withServer(async (peer) => {
      await readRequest(peer);
      await peer.write("HTTP/1.1 200 OK\r\n");
      for (let i = 0; i < 50; i++) {
        await peer.write(`X-Filler-${i}: ${"v".repeat(2000)}\r\n`);
      }
      await peer.write("\r\n");
    }, async (base, _server, client) => {
      await assertRejects(
        () => client.request(base),
        HttpProtocolError,
        "limit",
      );
    });
  });
});

Deno.test("HttpClient skips 1xx, and HEAD, 204 and 304 have no body", async () => {
  await withServer(async (peer) => {
    for (let i = 0; i < 4; i++) {
      const req = await readRequest(peer);
      if (!req) return;
      const path = req.head[0]!.split(" ")[1];
      if (path === "/continue") {
        await peer.write(
          "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n",
        );
        await peer.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      } else if (path === "/head") {
        await peer.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
      } else if (path === "/204") {
        await peer.write(
          "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
        );
      } else {
        await peer.write(
          "HTTP/1.1 304 Not Modified\r\nContent-Length: 1000\r\n\r\n",
        );
      }
    }
  }, async (base, server, client) => {
    const res = await client.request(`${base}/continue`);
    assertEquals(res.status, 200);
    assertEquals(await streamText(res.body!), "ok");
    const head = await client.request(`${base}/head`, { method: "HEAD" });
    assertEquals(head.body, null);
    assertEquals((await client.request(`${base}/204`)).body, null);
    assertEquals((await client.request(`${base}/304`)).body, null);
    assertEquals(server.accepted, 1, "all four on one kept-alive connection");
  });
});

Deno.test("HttpClient pools connections and reuses them only after the body was read", async () => {
  await withServer(async (peer) => {
    while (await readRequest(peer)) {
      await peer.write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc");
    }
  }, async (base, server, client) => {
    for (let i = 0; i < 5; i++) {
      assertEquals(await streamText((await client.request(base)).body!), "abc");
    }
    assertEquals(server.accepted, 1);
    const unread = await client.request(base);
    const second = await client.request(base);
    assertEquals(
      server.accepted,
      2,
      "an unread body keeps its connection busy",
    );
    await unread.body!.cancel();
    await second.body!.cancel();
  });
});

Deno.test("HttpClient retries a stale pooled connection once for idempotent methods", async () => {
  await withServer(async (peer, index) => {
    await readRequest(peer);
    await peer.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    if (index === 0) return; // close after the first response: the pooled conn goes stale
    while (await readRequest(peer)) {
      await peer.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }
  }, async (base, server, client) => {
    assertEquals(await streamText((await client.request(base)).body!), "ok");
    await new Promise((r) => setTimeout(r, 50));
    assertEquals(await streamText((await client.request(base)).body!), "ok");
    assertEquals(server.accepted, 2);
  });
});

Deno.test("HttpClient sends bodies with Content-Length or chunked, and refuses injected headers", async () => {
  const seen: { head: string[]; body: string }[] = [];
  await withServer(async (peer) => {
    while (true) {
      const req = await readRequest(peer);
      if (!req) return;
      seen.push(req);
      await peer.write("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
    }
  }, async (base, _server, client) => {
    await client.request(`${base}/a`, { method: "POST", body: "text body" });
    const stream = ReadableStream.from([
      new TextEncoder().encode("one "),
      new TextEncoder().encode("two"),
    ]);
    await client.request(`${base}/b`, {
      method: "PUT",
      body: stream,
      headers: [["X-A", "1"], ["X-A", "2"]],
    });
    assertEquals(seen[0]!.body, "text body");
    assert(seen[0]!.head.includes("Content-Length: 9"));
    assertEquals(seen[1]!.body, "one two");
    assert(seen[1]!.head.includes("Transfer-Encoding: chunked"));
    assertEquals(seen[1]!.head.filter((h) => h.startsWith("X-A")), [
      "X-A: 1",
      "X-A: 2",
    ]);
    for (
      const headers of [[["X-Evil", "a\r\nInjected: 1"]], [[
        "X-Evil\r\nA",
        "b",
      ]]] as [string, string][][]
    ) {
      await assertRejects(
        () => client.request(base, { headers }),
        CommandInjectionError,
      );
    }
    await assertRejects(
      () => client.request(base, { method: "GET /x HTTP/1.1\r\n" }),
      TypeError,
    );
    assertEquals(seen.length, 2, "nothing injected reached the server");
  });
});

Deno.test("HttpClient reports a server closing mid-body and a silent server", async (t) => {
  await t.step("closing mid-body", async () => {
    await withServer(async (peer) => {
      await readRequest(peer);
      await peer.write(
        "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part",
      );
    }, async (base, _server, client) => {
      const res = await client.request(base);
      await assertRejects(
        () => streamText(res.body!),
        ConnectionClosedError,
        "missing",
      );
    });
  });
  await t.step("close-delimited body reads to the end", async () => {
    await withServer(async (peer) => {
      await readRequest(peer);
      await peer.write(
        "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close",
      );
    }, async (base, _server, client) => {
      assertEquals(
        await streamText((await client.request(base)).body!),
        "until close",
      );
    });
  });
  await t.step("silent server", async () => {
    await withServer(async (peer) => {
      await readRequest(peer);
      await peer.drain();
    }, async (base, _server, client) => {
      await assertRejects(
        () => client.request(base, { timeout: 150 }),
        TimeoutError,
      );
    });
  });
});

Deno.test(
  "HttpClient rejects non-HTTP URLs",
  { permissions: "none" },
  async () => {
    const client = new HttpClient();
    await assertRejects(() => client.request("ftp://127.0.0.1/"), TypeError);
    client.close();
    assertThrows(() => {
      throw new HttpProtocolError("x");
    }, HttpProtocolError);
  },
);

Deno.test("readResponseHead() parses a head that arrives one byte per read", {
  permissions: "none",
}, async () => {
  const raw = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-A:  spaced \r\n" +
    "Connection: keep-alive\nTransfer-Encoding: chunked\r\n\r\nabc";
  const reader = new BufferedReader(chunkSource(...raw.split("")));
  const progress = { statusLine: false };
  const head = await readResponseHead(reader, {
    maxBytes: 1024,
    maxCount: 10,
  }, progress);
  assert(head !== null);
  assert(progress.statusLine);
  assertEquals([head.version, head.status, head.reason], [
    "HTTP/1.1",
    200,
    "OK",
  ]);
  assertEquals(head.fields, [
    ["Content-Length", "3"],
    ["X-A", "spaced"],
    ["Connection", "keep-alive"],
    ["Transfer-Encoding", "chunked"],
  ]);
  assertEquals(head.contentLength, ["3"]);
  assertEquals(head.connection, ["keep-alive"]);
  assertThrows(() => responseFraming("GET", head), HttpProtocolError, "both");
  assertEquals(new TextDecoder().decode(await reader.readExactly(3)), "abc");
});

Deno.test(
  "readResponseHead() tells a close before the status line from one after it",
  {
    permissions: "none",
  },
  async () => {
    const limits = { maxBytes: 1024, maxCount: 10 };
    const clean = { statusLine: false };
    assertEquals(
      await readResponseHead(new BufferedReader(chunkSource()), limits, clean),
      null,
    );
    const partial = { statusLine: false };
    await assertRejects(
      () =>
        readResponseHead(
          new BufferedReader(chunkSource("HTTP/1.1 2")),
          limits,
          partial,
        ),
      ConnectionClosedError,
    );
    assertEquals(partial.statusLine, false);
    const inHeaders = { statusLine: false };
    await assertRejects(
      () =>
        readResponseHead(
          new BufferedReader(chunkSource("HTTP/1.1 200 OK\r\nX-A: 1\r\n")),
          limits,
          inHeaders,
        ),
      HttpProtocolError,
      "header section",
    );
    assertEquals(inHeaders.statusLine, true);
    await assertRejects(
      () =>
        readResponseHead(
          new BufferedReader(
            chunkSource("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n"),
          ),
          { maxBytes: 1024, maxCount: 1 },
          { statusLine: false },
        ),
      HttpProtocolError,
      "header lines",
    );
  },
);

/** Reads a whole body with `readInto()` through a small reused view. */
async function readAllInto(body: BodyReader, size: number): Promise<string> {
  const view = new Uint8Array(size);
  let out = "";
  while (true) {
    const n = await body.readInto(view);
    if (n === null) return out;
    out += new TextDecoder().decode(view.subarray(0, n));
  }
}

Deno.test(
  "BodyReader reads bodies split across many reads, into views or new arrays",
  {
    permissions: "none",
  },
  async (t) => {
    const chunked =
      "5;x=y\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nT: 1\r\n\r\nNEXT";
    const cases: [string, Framing, string, string][] = [
      [
        "length",
        { kind: "length", length: 11 },
        "hello worldNEXT",
        "hello world",
      ],
      ["chunked", { kind: "chunked" }, chunked, "hello 0123456789"],
      ["close", { kind: "close" }, "until the end", "until the end"],
    ];
    for (const [title, framing, raw, expected] of cases) {
      await t.step(`${title}, one byte per read, 3-byte views`, async () => {
        const reader = new BufferedReader(chunkSource(...raw.split("")));
        const body = new BodyReader(reader, framing);
        assertEquals(await readAllInto(body, 3), expected);
        assert(body.done);
        if (framing.kind !== "close") {
          assertEquals(
            new TextDecoder().decode(await reader.readExactly(4)),
            "NEXT",
            "nothing read past the body",
          );
        }
      });
      await t.step(`${title}, all buffered, next()`, async () => {
        const reader = new BufferedReader(chunkSource(raw));
        const body = new BodyReader(reader, framing);
        const parts: string[] = [];
        for (let p = await body.next(4); p !== null; p = await body.next(4)) {
          parts.push(new TextDecoder().decode(p));
        }
        assertEquals(parts.join(""), expected);
        assert(parts.every((p) => p.length <= 4));
      });
    }
    await t.step(
      "a buffered last chunk ends the body with its data",
      async () => {
        const reader = new BufferedReader(chunkSource("3\r\nabc\r\n0\r\n\r\n"));
        const body = new BodyReader(reader, { kind: "chunked" });
        assertEquals(new TextDecoder().decode((await body.next())!), "abc");
        assert(body.done, "done without another call");
      },
    );
    await t.step(
      "takeBuffered() hands over a body that is all here",
      async () => {
        const reader = new BufferedReader(chunkSource("abc", "de"));
        await reader.fill();
        const body = new BodyReader(reader, { kind: "length", length: 5 });
        assertEquals(body.takeBuffered(), undefined, "two bytes still to come");
        await reader.fill();
        assertEquals(new TextDecoder().decode(body.takeBuffered()), "abcde");
        assert(body.done);
        assertEquals(body.takeBuffered(), undefined);
        const chunked = new BodyReader(
          new BufferedReader(chunkSource("0\r\n\r\n")),
          { kind: "chunked" },
        );
        assertEquals(
          chunked.takeBuffered(),
          undefined,
          "only for Content-Length",
        );
      },
    );
    await t.step("missing bytes and bad framing", async () => {
      const short = new BodyReader(new BufferedReader(chunkSource("abc")), {
        kind: "length",
        length: 5,
      });
      await assertRejects(() => readAllInto(short, 2), ConnectionClosedError);
      const noCrlf = new BodyReader(
        new BufferedReader(chunkSource("3\r\nabcX\r\n0\r\n\r\n")),
        { kind: "chunked" },
      );
      await assertRejects(() => readAllInto(noCrlf, 8), HttpProtocolError);
    });
  },
);

Deno.test("HttpClient reads a body into a BYOB reader's own buffer, then reuses the connection", async () => {
  const size = 3 * 1024 * 1024 + 17;
  const payload = new Uint8Array(size).map((_, i) => i % 251);
  await withServer(async (peer) => {
    while (await readRequest(peer)) {
      await peer.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
      for (let off = 0; off < size; off += 100_000) {
        await peer.write(payload.subarray(off, off + 100_000));
      }
    }
  }, async (base, server, client) => {
    const res = await client.request(base);
    assertEquals(res.contentLength, size);
    const reader = res.body!.getReader({ mode: "byob" });
    let buffer = new ArrayBuffer(64 * 1024);
    let got = 0;
    let same = true;
    while (true) {
      const { value, done } = await reader.read(new Uint8Array(buffer));
      if (done) break;
      for (let i = 0; i < value.length; i += 4099) {
        if (value[i] !== (got + i) % 251) same = false;
      }
      got += value.length;
      buffer = value.buffer as ArrayBuffer;
      assertEquals(buffer.byteLength, 64 * 1024, "the same buffer comes back");
    }
    assertEquals(got, size);
    assert(same, "bytes arrive in order");
    const again = await client.request(base);
    assertEquals((await again.bytes()).length, size);
    assertEquals(server.accepted, 1);
  });
});

Deno.test("HttpResponse.bytes() reads a whole body and frees the connection", async () => {
  await withServer(
    byPath({
      "/chunked": writeChunkedAbcde,
      "/head": (peer) =>
        peer.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"),
      "*": async (peer) => {
        await peer.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhe");
        await peer.write("llo");
      },
    }),
    async (base, server, client) => {
      const res = await client.request(`${base}/length`);
      assertEquals(new TextDecoder().decode(await res.bytes()), "hello");
      assertEquals(res.body, null, "the body was taken");
      await assertRejects(() => res.bytes(), TypeError);
      const chunked = await client.request(`${base}/chunked`);
      assertEquals(chunked.contentLength, null);
      assertEquals(new TextDecoder().decode(await chunked.bytes()), "abcde");
      const head = await client.request(`${base}/head`, { method: "HEAD" });
      assertEquals(head.contentLength, 0);
      assertEquals((await head.bytes()).length, 0);
      assertEquals(head.headers.get("content-length"), "10");
      assertEquals(server.accepted, 1, "one connection for all");
      const streamed = await client.request(`${base}/length`);
      assert(streamed.body !== null);
      await assertRejects(() => streamed.bytes(), TypeError, "taken");
      await streamed.body.cancel();
      const big = await client.request(`${base}/chunked`);
      await assertRejects(() => big.bytes(4), ProtocolError, "limit");
      assertEquals(server.accepted, 2, "cut bodies close their connection");
    },
  );
});

Deno.test("HttpClient frees a chunked body's connection with its last data", async () => {
  await withServer(async (peer) => {
    while (await readRequest(peer)) {
      await peer.write(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
      );
    }
  }, async (base, server, client) => {
    const first = await client.request(base);
    const reader = first.body!.getReader();
    assertEquals(new TextDecoder().decode((await reader.read()).value), "ok");
    const second = await client.request(base);
    assertEquals(server.accepted, 1, "released before the reader saw the end");
    assertEquals((await reader.read()).done, true);
    assertEquals(await streamText(second.body!), "ok");
  });
});

Deno.test("HttpClient times out each read, not the whole body", async (t) => {
  await t.step("a steady trickle longer than the timeout", async () => {
    await withServer(async (peer) => {
      await readRequest(peer);
      await peer.write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n");
      for (const c of "abcdef") {
        await new Promise((r) => setTimeout(r, 100));
        await peer.write(c);
      }
    }, async (base, _server, client) => {
      const res = await client.request(base, { timeout: 400 });
      assertEquals(await streamText(res.body!), "abcdef");
    });
  });
  await t.step("a stall in the middle of the body", async () => {
    await withServer(async (peer) => {
      await readRequest(peer);
      await peer.write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc");
      await peer.drain();
    }, async (base, _server, client) => {
      const res = await client.request(base, { timeout: 150 });
      await assertRejects(() => streamText(res.body!), TimeoutError);
    });
  });
});

Deno.test("HttpClient reads a body only as fast as it is consumed", async () => {
  const size = 256 * 1024 * 1024;
  let written = 0;
  await withServer(async (peer) => {
    await readRequest(peer);
    await peer.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
    const piece = new Uint8Array(64 * 1024);
    try {
      while (written < size) written += await peer.conn.write(piece);
    } catch { /* the client went away */ }
  }, async (base, _server, client) => {
    const res = await client.request(base);
    const reader = res.body!.getReader();
    await reader.read();
    await new Promise((r) => setTimeout(r, 300));
    assert(
      written < size / 2,
      `the server could only write what socket buffers hold: ${written}`,
    );
    await reader.cancel();
  });
});

Deno.test("HttpClient reads obs-text in field values one character per byte", async () => {
  await withServer(async (peer) => {
    await readRequest(peer);
    await peer.write(
      latin1(
        "HTTP/1.1 200 OK\r\nX-Raw: a\x80\xe9\xff\r\nContent-Length: 0\r\n\r\n",
      ),
    );
  }, async (base, _server, client) => {
    const res = await client.request(base);
    assertEquals(res.headerLines[0], ["X-Raw", "a\x80\xe9\xff"]);
    assertEquals(res.headers.get("x-raw"), "a\x80\xe9\xff");
  });
});

Deno.test("HttpResponse.withBytes() lends a small body in place and copies nothing", async () => {
  await withServer(
    byPath({
      "/big": async (peer) => {
        const size = 70 * 1024;
        await peer.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
        await peer.write(new Uint8Array(size).fill(98));
      },
      "/split": async (peer) => {
        await peer.write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nab");
        await new Promise((r) => setTimeout(r, 20));
        await peer.write("cd");
        await new Promise((r) => setTimeout(r, 20));
        await peer.write("ef");
      },
      "*": (peer) =>
        peer.write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nxyz"),
    }),
    async (base, server, client) => {
      const text = (v: Uint8Array) => new TextDecoder().decode(v);
      const split = await client.request(`${base}/split`);
      assertEquals(await split.withBytes(text), "abcdef");
      assertEquals(split.body, null);
      await assertRejects(() => split.withBytes(text), TypeError);
      let lent: Uint8Array | undefined;
      const small = await client.request(`${base}/small`);
      assertEquals(
        await small.withBytes((v) => {
          lent = v;
          return text(v);
        }),
        "xyz",
      );
      assert(
        lent!.buffer.byteLength > 3,
        "a view into the connection's buffer",
      );
      const big = await client.request(`${base}/big`);
      let owned = 0;
      assertEquals(
        await big.withBytes((v) => {
          owned = v.buffer.byteLength;
          return v.length;
        }),
        70 * 1024,
      );
      assertEquals(owned, 70 * 1024, "larger bodies come as their own array");
      const failing = await client.request(`${base}/small`);
      await assertRejects(
        () =>
          failing.withBytes(() => {
            throw new Error("use failed");
          }),
        Error,
        "use failed",
      );
      assertEquals(
        server.accepted,
        1,
        "until use threw, one connection for all",
      );
      assertEquals(
        await (await client.request(`${base}/small`)).withBytes(text),
        "xyz",
      );
      assertEquals(
        server.accepted,
        2,
        "a body whose use threw closes its connection",
      );
    },
  );
});

Deno.test("HttpResponse.readInto() reads a body into one buffer without a stream; cancel() closes the connection", async () => {
  const size = 2 * 1024 * 1024 + 5;
  const payload = new Uint8Array(size).map((_, i) => i % 253);
  await withServer(
    byPath({
      "/chunked": writeChunkedAbcde,
      "/cut": async (peer) => {
        await peer.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
        return false;
      },
      "*": async (peer) => {
        await peer.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
        for (let off = 0; off < size; off += 70_000) {
          await peer.write(payload.subarray(off, off + 70_000));
        }
      },
    }),
    async (base, server, client) => {
      const res = await client.request(`${base}/big`);
      const buf = new Uint8Array(64 * 1024);
      let got = 0;
      let same = true;
      for (let n; (n = await res.readInto(buf)) !== null;) {
        for (let i = 0; i < n; i += 1013) {
          if (buf[i] !== (got + i) % 253) same = false;
        }
        got += n;
      }
      assertEquals(got, size);
      assert(same, "bytes arrive in order");
      assertEquals(await res.readInto(buf), null, "stays at the end");
      assertEquals(res.body, null, "the body was taken");
      await assertRejects(() => res.bytes(), TypeError);

      const chunked = await client.request(`${base}/chunked`);
      let text = "";
      for (let n; (n = await chunked.readInto(buf)) !== null;) {
        text += new TextDecoder().decode(buf.subarray(0, n));
      }
      assertEquals(text, "abcde");
      assertEquals(
        server.accepted,
        1,
        "read to the end, the connection is reused",
      );

      const streamed = await client.request(`${base}/chunked`);
      assert(streamed.body !== null);
      await assertRejects(() => streamed.readInto(buf), TypeError, "taken");
      await streamed.body.cancel();

      const half = await client.request(`${base}/big`);
      assertEquals(await half.readInto(buf.subarray(0, 10)), 10);
      half.cancel();
      half.cancel();
      await assertRejects(() => half.readInto(buf), TypeError, "taken");
      const after = await client.request(`${base}/chunked`);
      assertEquals(new TextDecoder().decode(await after.bytes()), "abcde");
      assertEquals(
        server.accepted,
        3,
        "each cancelled body closed its connection",
      );

      const cut = await client.request(`${base}/cut`);
      assertEquals(await cut.readInto(buf), 3);
      await assertRejects(() => cut.readInto(buf), ConnectionClosedError);
    },
  );
});

Deno.test("a program that read its response exits at once: pooled connections keep no timer alive", async () => {
  await withServer(async (peer) => {
    while (await readRequest(peer)) {
      await peer.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }
  }, async (base) => {
    const module = new URL("../protocols/http.ts", import.meta.url).href;
    const code = `
      import { request } from ${JSON.stringify(module)};
      const res = await request(${JSON.stringify(base)}, { timeout: 60_000 });
      console.log(res.status, new TextDecoder().decode(await res.bytes()));
    `;
    // A timer left armed would hold the child for the 60 s timeout;
    // evalAlone() kills it well before, and a kill shows as a signal.
    const { code: exit, signal, stdout } = await evalAlone(code);
    assertEquals(signal, null, "the program ended on its own");
    assertEquals(exit, 0);
    assertEquals(stdout, "200 ok");
  });
});

Deno.test("HttpClient writes each head through the connection's buffer: obs-text as one byte, wider text as UTF-8, a small body in the same piece", async () => {
  const heads: Uint8Array[] = [];
  await withServer(async (peer) => {
    for (let i = 0; i < 3; i++) {
      const lines: Uint8Array[] = [];
      while (true) {
        const line = await peer.reader.readLineView();
        if (line === null) return;
        if (line.length === 0) break;
        lines.push(line.slice());
      }
      heads.push(concat(lines));
      const length = new TextDecoder().decode(heads.at(-1)!).match(
        /content-length: *(\d+)/i,
      );
      const body = length
        ? new TextDecoder().decode(
          await peer.reader.readExactly(Number(length[1])),
        )
        : "";
      await peer.write(
        `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
    }
  }, async (base, _server, client) => {
    const latin = await client.request(`${base}/a`, {
      headers: [["X-Raw", "caf\u00e9"]],
    });
    assertEquals(await latin.bytes(), new Uint8Array(0));
    // A longer head on the same connection: the buffer grows.
    const long = "v".repeat(5000);
    const wide = await client.request(`${base}/b`, {
      method: "POST",
      headers: [["X-Wide", "\u20ac"], ["X-Long", long]],
      body: "payload",
    });
    assertEquals(new TextDecoder().decode(await wide.bytes()), "payload");
    const again = await client.request(`${base}/c`);
    assertEquals(await again.bytes(), new Uint8Array(0));
  });
  assertEquals(heads.length, 3);
  const [first, second, third] = heads as [Uint8Array, Uint8Array, Uint8Array];
  assert(
    indexOf(first, [0x63, 0x61, 0x66, 0xe9]) >= 0,
    "U+00E9 goes as the byte E9",
  );
  const text = new TextDecoder().decode(second);
  assert(text.includes("X-Wide: \u20ac"), "a wider head goes as UTF-8");
  assert(text.includes(`X-Long: ${"v".repeat(5000)}`));
  assert(new TextDecoder().decode(third).startsWith("GET /c HTTP/1.1"));
});

function concat(lines: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(lines.reduce((n, l) => n + l.length + 1, 0));
  let at = 0;
  for (const line of lines) {
    out.set(line, at);
    at += line.length;
    out[at++] = 10;
  }
  return out;
}

function indexOf(bytes: Uint8Array, needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (bytes[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}
