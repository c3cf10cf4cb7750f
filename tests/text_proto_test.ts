import { dial } from "../protocols/dial.ts";
import {
  CommandInjectionError,
  ConnectError,
  ConnectionClosedError,
  LineTooLongError,
  ProtocolError,
  ReplyError,
  TimeoutError,
} from "../protocols/errors.ts";
import { TextProtoConn } from "../protocols/text_proto.ts";
import { BufferedReader } from "../protocols/buffered_reader.ts";
import { DotBlock } from "../protocols/dot_block.ts";
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
} from "./_assert.ts";
import { type MockPeer, startMockServer, streamText } from "./_mock_server.ts";
import { splice, testCerts } from "./_tls.ts";

async function withConn(
  script: (peer: MockPeer) => Promise<void>,
  fn: (conn: TextProtoConn, received: string[]) => Promise<void>,
  options: ConstructorParameters<typeof TextProtoConn>[1] = {},
): Promise<void> {
  const server = startMockServer(script);
  const conn = new TextProtoConn(
    await dial({ hostname: server.hostname, port: server.port }),
    options,
  );
  try {
    await fn(conn, server.received);
  } finally {
    conn.close();
    await server.close();
  }
}

Deno.test("TextProtoConn reads single-line replies and checks the expected code", async () => {
  await withConn(async (peer) => {
    await peer.write("220 ready\r\n");
    await peer.readLine();
    await peer.write("550 No such file\r\n");
    await peer.readLine();
  }, async (conn) => {
    const greeting = await conn.readCodeLine(2);
    assertEquals(greeting, { code: 220, text: "ready", lines: ["220 ready"] });
    await conn.writeCommand("RETR", "missing.txt");
    const err = await assertRejects(
      () => conn.readCodeLine(2),
      ReplyError,
      "550",
    );
    assertEquals(err.code, 550);
    assertEquals(err.text, "No such file");
    assertEquals(err.transient, false);
    assert(conn.isOpen, "a reply error keeps the connection usable");
  });
});

Deno.test("TextProtoConn reads RFC 959 multi-line replies", async (t) => {
  await t.step("with code-prefixed and free continuation lines", async () => {
    await withConn(async (peer) => {
      await peer.write(
        "211-Features:\r\n EPSV\r\n211-MLST size*;\r\n\r\n211 End\r\n",
      );
    }, async (conn) => {
      const reply = await conn.readReply(211);
      assertEquals(reply.code, 211);
      assertEquals(reply.text, "Features:\n EPSV\nMLST size*;\n\nEnd");
      assertEquals(reply.lines.length, 5);
    });
  });
  await t.step("a line with another code does not end the reply", async () => {
    await withConn(async (peer) => {
      await peer.write("230-Welcome\r\n220 not the end\r\n230 Logged in\r\n");
    }, async (conn) => {
      const reply = await conn.readReply(230);
      assertEquals(reply.text, "Welcome\n220 not the end\nLogged in");
    });
  });
  await t.step("bare LF line endings are tolerated", async () => {
    await withConn(async (peer) => {
      await peer.write("220-hi\n220 there\n");
    }, async (conn) => {
      assertEquals((await conn.readReply()).text, "hi\nthere");
    });
  });
  await t.step("an endless multi-line reply hits the size cap", async () => {
    await withConn(async (peer) => {
      await peer.write("211-start\r\n");
      for (let i = 0; i < 2000; i++) {
        await peer.write(`211-line ${i} ${"x".repeat(60)}\r\n`);
      }
    }, async (conn) => {
      await assertRejects(
        () => conn.readReply(),
        ProtocolError,
        "limit of 65536 bytes",
      );
      assert(!conn.isOpen);
    });
  });
});

Deno.test("TextProtoConn fails cleanly on garbage and endless lines", async (t) => {
  await t.step(
    "a garbage reply is a ProtocolError and closes the connection",
    async () => {
      await withConn(async (peer) => {
        await peer.write("HELLO THERE\r\n");
      }, async (conn) => {
        await assertRejects(
          () => conn.readReply(),
          ProtocolError,
          "Malformed reply line",
        );
        await assertRejects(
          () => conn.writeCommand("NOOP"),
          ConnectionClosedError,
          "Malformed",
        );
      });
    },
  );
  await t.step("an endless line is refused at the limit", async () => {
    await withConn(async (peer) => {
      const chunk = "A".repeat(16384);
      for (let i = 0; i < 64; i++) await peer.write(chunk);
    }, async (conn) => {
      await assertRejects(() => conn.readLine(), LineTooLongError);
    }, { maxLineBytes: 4096 });
  });
});

Deno.test("TextProtoConn reports a peer closing mid-reply", async () => {
  await withConn(async (peer) => {
    await peer.write("211-Features:\r\n EPSV\r\n");
  }, async (conn) => {
    await assertRejects(
      () => conn.readReply(),
      ConnectionClosedError,
      "closed by peer",
    );
  });
});

Deno.test("TextProtoConn times out on a silent peer", async () => {
  await withConn(async (peer) => {
    await peer.drain();
  }, async (conn) => {
    const err = await assertRejects(() => conn.readCodeLine(), TimeoutError);
    assertEquals(err.timeout, 150);
    assert(!conn.isOpen, "a timeout closes the connection");
    await assertRejects(
      () => conn.readLine(),
      ConnectionClosedError,
      "Timed out",
    );
  }, { timeout: 150 });
});

Deno.test("TextProtoConn closes on abort and close() is idempotent", async () => {
  const controller = new AbortController();
  await withConn(async (peer) => {
    await peer.drain();
  }, async (conn) => {
    const pending = conn.readLine();
    controller.abort(new Error("user gave up"));
    await assertRejects(() => pending, Error, "user gave up");
    conn.close();
    conn.close();
    await assertRejects(() => conn.writeLine("NOOP"), ConnectionClosedError);
  }, { signal: controller.signal, timeout: 0 });
});

Deno.test("TextProtoConn refuses CR, LF and NUL in commands", async () => {
  await withConn(async (peer) => {
    await peer.write("220 ok\r\n");
    await peer.readLine();
  }, async (conn, received) => {
    await conn.readCodeLine();
    for (const bad of ["a\r\nDELE x", "a\nb", "a\rb", "nul\0x"]) {
      await assertRejects(
        () => conn.writeCommand("RETR", bad),
        CommandInjectionError,
      );
      await assertRejects(
        () => conn.writeLine(`RETR ${bad}`),
        CommandInjectionError,
      );
    }
    await assertRejects(
      () => conn.writeCommand("RE\nTR"),
      CommandInjectionError,
    );
    await conn.writeCommand("NOOP");
    await new Promise((r) => setTimeout(r, 20));
    assertEquals(received, ["NOOP"], "nothing injected reached the wire");
  });
});

Deno.test("TextProtoConn reads dot-terminated blocks with unstuffing", async (t) => {
  const block =
    "first\r\n..leading dot\r\n...two dots\r\n.\tdot tab\r\n\r\nlast\n.\r\n";
  await t.step("as lines", async () => {
    await withConn(async (peer) => {
      await peer.write("222 body follows\r\n" + block + "200 after\r\n");
    }, async (conn) => {
      await conn.readCodeLine(222);
      const lines: string[] = [];
      for await (const line of conn.dotLines()) lines.push(line);
      assertEquals(lines, [
        "first",
        ".leading dot",
        "..two dots",
        "\tdot tab",
        "",
        "last",
      ]);
      assertEquals((await conn.readCodeLine()).code, 200);
    });
  });
  await t.step("as a stream", async () => {
    await withConn(async (peer) => {
      await peer.write("222 body follows\r\n" + block);
    }, async (conn) => {
      await conn.readCodeLine(222);
      const text = await streamText(await conn.dotBody({ newline: "\n" }));
      assertEquals(
        text,
        "first\n.leading dot\n..two dots\n\tdot tab\n\nlast\n",
      );
    });
  });
  await t.step("a cut block is an error, not a truncated success", async () => {
    await withConn(async (peer) => {
      await peer.write("222 body follows\r\nline one\r\nline two\r\n");
    }, async (conn) => {
      await conn.readCodeLine(222);
      const body = await conn.dotBody();
      await assertRejects(
        () => streamText(body),
        ConnectionClosedError,
        "multi-line response",
      );
    });
  });
  await t.step("an unread body is drained by the next command", async () => {
    await withConn(async (peer) => {
      await peer.write("222 body\r\n" + "line\r\n".repeat(50000) + ".\r\n");
      const cmd = await peer.readLine();
      await peer.write(
        cmd === "NEXT" ? "223 next ok\r\n" : "500 out of step\r\n",
      );
    }, async (conn) => {
      await conn.readCodeLine(222);
      const body = await conn.dotBody();
      const reader = body.getReader();
      await reader.read();
      await conn.writeCommand("NEXT");
      assertEquals((await conn.readCodeLine()).code, 223);
      await assertRejects(() => reader.read(), TypeError, "drained");
    });
  });
  await t.step("dot-stuffed writes round-trip through the reader", async () => {
    const original = ".\r\n..\r\n.x\r\nplain\r\n\r\n. space\r\n";
    await withConn(async (peer) => {
      const lines: string[] = [];
      while (true) {
        const line = await peer.readLine();
        if (line === null || line === ".") break;
        lines.push(line);
      }
      await peer.write("222 echo\r\n" + lines.join("\r\n") + "\r\n.\r\n");
    }, async (conn) => {
      await conn.writeDotBody(original);
      await conn.readCodeLine(222);
      assertEquals(await streamText(await conn.dotBody()), original);
    });
  });
});

Deno.test("TextProtoConn.startTls() upgrades in place and refuses pipelined data", async (t) => {
  const certs = await testCerts();
  await t.step("STARTTLS then commands over TLS", async () => {
    const tlsListener = Deno.listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: certs.cert,
      key: certs.key,
    });
    const tlsSide = (async () => {
      const conn = await tlsListener.accept();
      const peer = new TextProtoConn(conn);
      try {
        const line = await peer.readLine();
        await peer.writeLine(
          line === "CAPABILITIES" ? "101 secure" : "500 what",
        );
      } finally {
        peer.close();
      }
    })();
    const server = startMockServer(async (peer) => {
      await peer.write("200 hello\r\n");
      if ((await peer.readLine()) !== "STARTTLS") return;
      await peer.write("382 go ahead\r\n");
      const back = await Deno.connect({
        hostname: "127.0.0.1",
        port: (tlsListener.addr as Deno.NetAddr).port,
      });
      await splice(peer.conn, back);
    });
    const conn = new TextProtoConn(
      await dial({ hostname: "127.0.0.1", port: server.port }),
    );
    try {
      await conn.readCodeLine(200);
      await conn.writeCommand("STARTTLS");
      await conn.readCodeLine(382);
      await conn.startTls({ hostname: "127.0.0.1", caCerts: [certs.caCert] });
      await conn.writeCommand("CAPABILITIES");
      assertEquals((await conn.readCodeLine(101)).text, "secure");
    } finally {
      conn.close();
      await tlsSide;
      tlsListener.close();
      await server.close();
    }
  });
  await t.step(
    "bytes buffered before the handshake are an attack",
    async () => {
      await withConn(async (peer) => {
        await peer.write("382 go ahead\r\n211 injected before TLS\r\n");
        await peer.drain();
      }, async (conn) => {
        await conn.readCodeLine(382);
        await new Promise((r) => setTimeout(r, 20));
        await assertRejects(
          () => conn.startTls({ hostname: "127.0.0.1" }),
          ProtocolError,
          "before the TLS handshake",
        );
        assert(!conn.isOpen);
      });
    },
  );
});

Deno.test("dial() reports refused connections and TLS failures clearly", async (t) => {
  await t.step("refused", async () => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    const err = await assertRejects(
      () => dial({ hostname: "127.0.0.1", port }),
      ConnectError,
    );
    assertStringIncludes(err.message, `127.0.0.1:${port}`);
  });
  await t.step("untrusted certificate", async () => {
    const certs = await testCerts();
    const l = Deno.listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: certs.cert,
      key: certs.key,
    });
    const accepted = l.accept().then(async (c) => {
      try {
        await c.handshake();
      } catch { /* client refused us */ }
      c.close();
    });
    await assertRejects(
      () =>
        dial({
          hostname: "127.0.0.1",
          port: (l.addr as Deno.NetAddr).port,
          tls: true,
        }),
      ConnectError,
    );
    await accepted;
    l.close();
  });
});

/** A `Deno.Conn` stand-in that hands out `chunks` one read at a time. */
function chunkedConn(chunks: (string | Uint8Array)[]): Deno.Conn {
  const queue = chunks.map((c) =>
    typeof c === "string" ? new TextEncoder().encode(c) : c
  );
  const fake = {
    read(p: Uint8Array): Promise<number | null> {
      const next = queue.shift();
      if (next === undefined) return Promise.resolve(null);
      const n = Math.min(p.length, next.length);
      p.set(next.subarray(0, n));
      if (n < next.length) queue.unshift(next.subarray(n));
      return Promise.resolve(n);
    },
    write(p: Uint8Array): Promise<number> {
      return Promise.resolve(p.length);
    },
    close(): void {},
  };
  return fake as unknown as Deno.Conn;
}

async function allBatches(
  conn: TextProtoConn,
): Promise<{ batches: string[][]; lines: string[] }> {
  const block = await conn.openDotBlock();
  const batches: string[][] = [];
  for (let b; (b = await block.lines()) !== null;) batches.push(b);
  return { batches, lines: batches.flat() };
}

function bytesOf(...parts: (string | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === "string") out.push(...new TextEncoder().encode(part));
    else out.push(...part);
  }
  return new Uint8Array(out);
}

Deno.test(
  "DotBlock.lines() reads what has arrived in one batch and leaves the next reply",
  {
    permissions: "none",
  },
  async () => {
    const conn = new TextProtoConn(
      chunkedConn([
        "224 follows\r\n",
        "a\r\n..b\r\n.c\r\nd\ne\r\n\r\n.\r\n211 next\r\n",
      ]),
      { timeout: 0 },
    );
    await conn.readCodeLine(224);
    const { batches } = await allBatches(conn);
    assertEquals(batches, [["a", ".b", "c", "d", "e", ""]]);
    assertEquals((await conn.readCodeLine()).code, 211);
  },
);

Deno.test(
  "DotBlock.lines() joins lines split across reads, a dot or CR LF at a read boundary included",
  {
    permissions: "none",
  },
  async () => {
    const conn = new TextProtoConn(
      chunkedConn([
        "224 follows\r\none\r\ntw",
        "o\r\nthr",
        "ee\r",
        "\n.",
        ".four\r\n.",
        "\r\n223 a\r\n224 again\r\nx\r\n.\r\n",
      ]),
      { timeout: 0 },
    );
    await conn.readCodeLine(224);
    assertEquals((await allBatches(conn)).lines, [
      "one",
      "two",
      "three",
      ".four",
    ]);
    assertEquals((await conn.readCodeLine()).code, 223);
    assertEquals((await conn.readCodeLine()).code, 224);
    assertEquals((await allBatches(conn)).lines, ["x"]);
  },
);

Deno.test("DotBlock.lines() decodes exactly as text() does, line by line", {
  permissions: "none",
}, async (t) => {
  const block = bytesOf(
    "plain\r\n",
    "caf",
    [0xc3, 0xa9],
    " utf-8\r\n",
    "caf",
    [0xe9],
    " latin-1\r\n",
    [0xef, 0xbb, 0xbf],
    "bom line\r\n",
    ".",
    [0xef, 0xbb, 0xbf],
    "stuffed bom\r\n",
    "mid ",
    [0xef, 0xbb, 0xbf],
    " bom\r\n",
    "..",
    [0xe6, 0x97, 0xa5],
    "\r\n",
    "lone\rcr\n",
    [0x80, 0x9f],
    "\r\n",
    ".\r\n",
  );
  const head = new TextEncoder().encode("224 follows\r\n");
  const expected: string[] = [];
  {
    const conn = new TextProtoConn(chunkedConn([head, block]), { timeout: 0 });
    await conn.readCodeLine();
    const dot = await conn.openDotBlock();
    for (let line; (line = await dot.text()) !== null;) expected.push(line);
  }
  assertEquals(expected[1], "café utf-8");
  assertEquals(expected[2], "café latin-1");
  for (const size of [1, 2, 3, 5, 7, 16, 1000]) {
    await t.step(`reads of ${size} bytes`, async () => {
      const chunks: Uint8Array[] = [head];
      for (let i = 0; i < block.length; i += size) {
        chunks.push(block.subarray(i, i + size));
      }
      const conn = new TextProtoConn(chunkedConn(chunks), { timeout: 0 });
      await conn.readCodeLine();
      assertEquals((await allBatches(conn)).lines, expected);
    });
  }
  await t.step("only UTF-8 lines, one of them multi-byte", async () => {
    const utf8 = bytesOf("x\r\n", "\u65e5\u672c\r\n", "..y\r\n", "z\n.\r\n");
    const conn = new TextProtoConn(chunkedConn([head, utf8]), { timeout: 0 });
    await conn.readCodeLine();
    assertEquals((await allBatches(conn)).lines, ["x", "日本", ".y", "z"]);
  });
  await t.step("valid UTF-8 with byte-order marks at line starts", async () => {
    const boms = bytesOf(
      [0xef, 0xbb, 0xbf],
      "first\r\n\u00e9\r\n",
      [0xef, 0xbb, 0xbf],
      "second\r\n.",
      [0xef, 0xbb, 0xbf],
      "third\r\n.\r\n",
    );
    const read = async (batch: boolean): Promise<string[]> => {
      const conn = new TextProtoConn(chunkedConn([head, boms]), {
        timeout: 0,
      });
      await conn.readCodeLine();
      if (batch) return (await allBatches(conn)).lines;
      const dot = await conn.openDotBlock();
      const out: string[] = [];
      for (let line; (line = await dot.text()) !== null;) out.push(line);
      return out;
    };
    assertEquals(await read(true), await read(false));
    assertEquals(await read(true), ["first", "é", "second", "third"]);
  });
});

Deno.test(
  "DotBlock.lines() reports a cut block and an over-long line as errors",
  {
    permissions: "none",
  },
  async (t) => {
    await t.step("end of stream before the final dot", async () => {
      const conn = new TextProtoConn(
        chunkedConn(["224 follows\r\n", "a\r\nb\r\npart"]),
        { timeout: 0 },
      );
      await conn.readCodeLine();
      const block = await conn.openDotBlock();
      await assertRejects(
        async () => {
          while ((await block.lines()) !== null) { /* read on */ }
        },
        ConnectionClosedError,
        "multi-line response",
      );
      assert(!conn.isOpen);
      await assertRejects(() => block.lines(), ConnectionClosedError);
    });
    await t.step("end of stream after a complete line", async () => {
      const conn = new TextProtoConn(
        chunkedConn(["224 follows\r\n", "a\r\n"]),
        { timeout: 0 },
      );
      await conn.readCodeLine();
      const block = await conn.openDotBlock();
      assertEquals(await block.lines(), ["a"]);
      await assertRejects(
        () => block.lines(),
        ConnectionClosedError,
        "multi-line response",
      );
    });
    await t.step("a line over the limit inside a batch", async () => {
      const conn = new TextProtoConn(
        chunkedConn(["224 follows\r\n", `ok\r\n${"x".repeat(40)}\r\n.\r\n`]),
        { timeout: 0, maxLineBytes: 32 },
      );
      await conn.readCodeLine();
      const block = await conn.openDotBlock();
      await assertRejects(async () => {
        while ((await block.lines()) !== null) { /* read on */ }
      }, LineTooLongError);
      assert(!conn.isOpen);
    });
    await t.step("a partial line already over the limit", async () => {
      const conn = new TextProtoConn(
        chunkedConn(["224 follows\r\n", `ok\r\n${"x".repeat(40)}`]),
        { timeout: 0, maxLineBytes: 32 },
      );
      await conn.readCodeLine();
      const block = await conn.openDotBlock();
      await assertRejects(async () => {
        while ((await block.lines()) !== null) { /* read on */ }
      }, LineTooLongError);
    });
  },
);

Deno.test(
  "DotBlock.lines() over a BufferedReader alone leaves the next reply in it",
  {
    permissions: "none",
  },
  async () => {
    const source = chunkedConn([
      "a\r\n..b\r\nc",
      "\r\n.\r\n211 next\r\n",
    ]);
    const reader = new BufferedReader(source);
    const block = new DotBlock(reader, () => {});
    const lines: string[] = [];
    for (let b; (b = await block.lines()) !== null;) lines.push(...b);
    assertEquals(lines, ["a", ".b", "c"]);
    assertEquals(await reader.readLine(), "211 next");
  },
);

Deno.test("TextProtoConn.startTls() refuses bytes read in with a dot block", {
  permissions: "none",
}, async () => {
  const conn = new TextProtoConn(
    chunkedConn(["224 follows\r\n", "a\r\n.\r\n382 go\r\n211 injected\r\n"]),
    { timeout: 0 },
  );
  await conn.readCodeLine();
  await allBatches(conn);
  assertEquals((await conn.readCodeLine()).code, 382);
  await assertRejects(
    () => conn.startTls({ hostname: "127.0.0.1" }),
    ProtocolError,
    "before the TLS handshake",
  );
});

Deno.test(
  "DotBlock.lines() reads many short pipelined blocks and long ones from the same reads",
  {
    permissions: "none",
  },
  async () => {
    let stream = "";
    const expected: string[][] = [];
    for (let i = 0; i < 60; i++) {
      const count = i % 10 === 9 ? 300 : (i % 3) + 1;
      const lines = Array.from({ length: count }, (_, k) => `${i}.${k}`);
      if (i % 7 === 0) lines.push(".stuffed");
      stream += `224 block ${i}\r\n` +
        lines.map((l) => (l.startsWith(".") ? "." + l : l) + "\r\n").join("") +
        ".\r\n";
      expected.push(lines);
    }
    stream += "205 bye\r\n";
    const bytes = new TextEncoder().encode(stream);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 4000) {
      chunks.push(bytes.subarray(i, i + 4000));
    }
    const conn = new TextProtoConn(chunkedConn(chunks), { timeout: 0 });
    for (let i = 0; i < 60; i++) {
      assertEquals((await conn.readCodeLine(224)).text, `block ${i}`);
      assertEquals((await allBatches(conn)).lines, expected[i]);
    }
    assertEquals((await conn.readCodeLine()).code, 205);
  },
);
