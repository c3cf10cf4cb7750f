import {
  type BodySource,
  type HttpServer,
  type HttpServerOptions,
  serveHttp,
  type ServerLogEntry,
  type ServerRequest,
  type ServerResponse,
} from "../protocols/http_server.ts";
import { HttpProtocolError } from "../protocols/http.ts";
import { TimeoutError } from "../protocols/errors.ts";
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertStringIncludes,
} from "./_assert.ts";

type Handler = (req: ServerRequest) => ServerResponse | Promise<ServerResponse>;

/** The bytes of `text`, one per character (each below U+0100). */
function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** The text of `bytes`, one character per byte. */
function bytesText(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return out;
}

/** A promise with its resolve function, for ordering steps. */
function signal<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => resolve = r);
  return { promise, resolve };
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A response as read off the wire. */
interface Reply {
  /** The status line without its CRLF. */
  statusLine: string;
  /** The status code. */
  status: number;
  /** The header lines, names as sent. */
  fields: [string, string][];
  /** The decoded body. */
  body: string;
  /** Every byte of the response as sent, framing included. */
  raw: string;
}

/** The values of the fields called `name` (any case). */
function values(reply: Reply, name: string): string[] {
  return reply.fields.filter(([n]) => n.toLowerCase() === name.toLowerCase())
    .map(([, v]) => v);
}

/** A client on a real loopback socket that writes and reads raw bytes. */
class RawClient {
  readonly conn: Deno.TcpConn;
  #buf: Uint8Array = new Uint8Array(0);
  #eof = false;
  #closed = false;
  #pending: Promise<number | null> | undefined;
  #chunk = new Uint8Array(64 * 1024);
  #consumed = "";

  constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  static async open(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  async send(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? latin1(data) : data;
    let off = 0;
    while (off < bytes.length) {
      off += await this.conn.write(bytes.subarray(off));
    }
  }

  /** One read from the socket (shared while pending); `null` at the end. */
  #read(): Promise<number | null> {
    return this.#pending ??= this.conn.read(this.#chunk).catch((err) => {
      // A reset after the server's last byte only means it closed early.
      if (err instanceof Deno.errors.ConnectionReset) return null;
      throw err;
    });
  }

  /** Reads more bytes into the buffer; false at the end of the stream. */
  async #more(): Promise<boolean> {
    if (this.#eof) return false;
    const n = await this.#read();
    this.#pending = undefined;
    if (n === null) {
      this.#eof = true;
      return false;
    }
    const next = new Uint8Array(this.#buf.length + n);
    next.set(this.#buf);
    next.set(this.#chunk.subarray(0, n), this.#buf.length);
    this.#buf = next;
    return true;
  }

  #take(n: number): string {
    const text = bytesText(this.#buf.subarray(0, n));
    this.#buf = this.#buf.slice(n);
    this.#consumed += text;
    return text;
  }

  async #until(marker: string): Promise<string | null> {
    while (true) {
      const at = bytesText(this.#buf).indexOf(marker);
      if (at >= 0) return this.#take(at + marker.length);
      if (!await this.#more()) return null;
    }
  }

  /** Exactly `n` bytes as text (fewer when the stream ends first). */
  async readExactly(n: number): Promise<string> {
    while (this.#buf.length < n && await this.#more());
    return this.#take(Math.min(n, this.#buf.length));
  }

  /** Everything until the server closes the connection. */
  async readToEnd(): Promise<string> {
    while (await this.#more());
    return this.#take(this.#buf.length);
  }

  /** True when the server closed the connection with nothing more sent. */
  async atEnd(): Promise<boolean> {
    if (this.#buf.length > 0) return false;
    return !await this.#more();
  }

  /**
   * True when nothing arrives (and the connection stays open) within `ms`:
   * only ever used to show that something was NOT sent yet.
   */
  async quietFor(ms: number): Promise<boolean> {
    if (this.#buf.length > 0 || this.#eof) return false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"quiet">((r) => {
      timer = setTimeout(() => r("quiet"), ms);
    });
    try {
      return await Promise.race([this.#read(), timeout]) === "quiet";
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads one response, framed as the client would frame it. */
  async readResponse(method = "GET"): Promise<Reply> {
    this.#consumed = "";
    const head = await this.#until("\r\n\r\n");
    if (head === null) {
      throw new Error(
        `Connection closed before a response head: ${
          JSON.stringify(this.#consumed + bytesText(this.#buf))
        }`,
      );
    }
    const lines = head.slice(0, -4).split("\r\n");
    const statusLine = lines.shift()!;
    const status = Number(statusLine.split(" ")[1]);
    const fields = lines.map((line): [string, string] => {
      const colon = line.indexOf(":");
      return [line.slice(0, colon), line.slice(colon + 1).trim()];
    });
    const reply: Reply = { statusLine, status, fields, body: "", raw: "" };
    if (
      status < 200 || status === 204 || status === 304 || method === "HEAD"
    ) {
      // No body.
    } else if (values(reply, "transfer-encoding").length > 0) {
      while (true) {
        const line = await this.#until("\r\n");
        if (line === null) throw new Error("Connection closed in a chunk");
        const size = parseInt(line, 16);
        if (size === 0) {
          while ((await this.#until("\r\n")) !== "\r\n");
          break;
        }
        reply.body += await this.readExactly(size);
        await this.#until("\r\n");
      }
    } else if (values(reply, "content-length").length > 0) {
      reply.body = await this.readExactly(
        Number(values(reply, "content-length")[0]),
      );
    } else {
      reply.body = await this.readToEnd();
    }
    reply.raw = this.#consumed;
    return reply;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }
}

/** What a test sees of a running server. */
interface Ctx {
  port: number;
  server: HttpServer;
  /** Every request the handler received. */
  calls: ServerRequest[];
  /** Everything given to `onError`. */
  errors: unknown[];
  /** Every log entry. */
  logs: ServerLogEntry[];
  /** A new client (closed when the test ends). */
  open(): Promise<RawClient>;
  /** Writes `raw` on a new connection and reads until the server closes. */
  exchange(raw: string | Uint8Array): Promise<string>;
}

/** Answers with the method, the target and the body it read. */
const echo: Handler = async (req) => {
  const body = await req.bytes();
  return {
    status: 200,
    headers: [["Content-Type", "text/plain"]],
    body: `${req.method} ${req.target} ${bytesText(body)}`,
  };
};

async function withServer(
  handler: Handler,
  fn: (c: Ctx) => Promise<void>,
  options: Partial<HttpServerOptions> = {},
): Promise<void> {
  const calls: ServerRequest[] = [];
  const errors: unknown[] = [];
  const logs: ServerLogEntry[] = [];
  const clients: RawClient[] = [];
  const server = serveHttp({
    port: 0,
    onError: (err) => errors.push(err),
    log: (entry) => logs.push(entry),
    ...options,
  }, (req) => {
    calls.push(req);
    return handler(req);
  });
  const open = async () => {
    const client = await RawClient.open(server.addr.port);
    clients.push(client);
    return client;
  };
  try {
    await fn({
      port: server.addr.port,
      server,
      calls,
      errors,
      logs,
      open,
      async exchange(raw) {
        const client = await open();
        try {
          await client.send(raw);
        } catch { /* the server may close before it read everything */ }
        const reply = await client.readToEnd();
        client.close();
        return reply;
      },
    });
  } finally {
    for (const client of clients) client.close();
    await server.shutdown();
  }
}

/** A good request on a new connection is answered (the server survived). */
async function assertServes(c: Ctx): Promise<void> {
  const before = c.calls.length;
  const client = await c.open();
  await client.send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
  const reply = await client.readResponse();
  assertEquals(reply.statusLine, "HTTP/1.1 200 OK");
  assertEquals(reply.body, "GET /after ");
  assertEquals(c.calls.length, before + 1);
  client.close();
}

/**
 * `raw` gets `statusLine` and the connection closed, the handler is not
 * called, and the server still serves a good request.
 */
async function assertRefused(
  c: Ctx,
  raw: string | Uint8Array,
  statusLine: string,
): Promise<string> {
  const before = c.calls.length;
  const reply = await c.exchange(raw);
  assert(
    reply.startsWith(`${statusLine}\r\n`),
    `expected ${JSON.stringify(statusLine)}, got ${JSON.stringify(reply)}`,
  );
  assertStringIncludes(reply, "\r\nConnection: close\r\n");
  assertEquals(c.calls.length, before, "the handler must not be called");
  await assertServes(c);
  return reply;
}

const BAD = "HTTP/1.1 400 Bad Request";

/** One step per request that must be refused with `statusLine`. */
async function refusals(
  t: Deno.TestContext,
  cases: [name: string, raw: string, statusLine: string][],
  options: Partial<HttpServerOptions> = {},
): Promise<void> {
  for (const [name, raw, statusLine] of cases) {
    await t.step(name, async () => {
      await withServer(echo, async (c) => {
        await assertRefused(c, raw, statusLine);
      }, options);
    });
  }
}

/** One step per request that must reach the handler and get 200. */
async function acceptances(
  t: Deno.TestContext,
  cases: [name: string, raw: string, body: string][],
): Promise<void> {
  for (const [name, raw, body] of cases) {
    await t.step(name, async () => {
      await withServer(echo, async (c) => {
        const client = await c.open();
        await client.send(raw);
        const reply = await client.readResponse();
        assertEquals(reply.statusLine, "HTTP/1.1 200 OK");
        assertEquals(reply.body, body);
        assertEquals(c.calls.length, 1);
        client.close();
        await assertServes(c);
      });
    });
  }
}

Deno.test("serveHttp refuses bare LF and bare CR line endings with 400", async (t) => {
  await refusals(t, [
    ["bare LF ending the request line", "GET / HTTP/1.1\nHost: x\r\n\r\n", BAD],
    [
      "bare LF ending a header line",
      "GET / HTTP/1.1\r\nHost: x\nX-A: 1\r\n\r\n",
      BAD,
    ],
    ["bare LF as the blank line", "GET / HTTP/1.1\r\nHost: x\r\n\n", BAD],
    [
      "bare CR inside a header line",
      "GET / HTTP/1.1\r\nHost: x\rX-A: 1\r\n\r\n",
      BAD,
    ],
    [
      "bare CR before CRLF",
      "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\r\n\r\n",
      BAD,
    ],
    [
      "bare CR in the request line",
      "GET /\ra HTTP/1.1\r\nHost: x\r\n\r\n",
      BAD,
    ],
  ]);
});

Deno.test("serveHttp refuses obs-fold, space before colon and control characters", async (t) => {
  await refusals(t, [
    [
      "obs-fold with SP",
      "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n",
      BAD,
    ],
    [
      "obs-fold with HTAB",
      "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\t2\r\n\r\n",
      BAD,
    ],
    [
      "a first header line starting with SP",
      "GET / HTTP/1.1\r\n Host: x\r\n\r\n",
      BAD,
    ],
    ["whitespace before the colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", BAD],
    ["HTAB before the colon", "GET / HTTP/1.1\r\nHost\t: x\r\n\r\n", BAD],
    ["a line without a colon", "GET / HTTP/1.1\r\nHost: x\r\nX-A\r\n\r\n", BAD],
    ["an empty field name", "GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n", BAD],
    [
      "NUL in a value",
      "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",
      BAD,
    ],
    [
      "ESC in a value",
      "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x1bb\r\n\r\n",
      BAD,
    ],
    [
      "DEL in a value",
      "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7fb\r\n\r\n",
      BAD,
    ],
    [
      "a control character in a name",
      "GET / HTTP/1.1\r\nHost: x\r\nX\x01A: b\r\n\r\n",
      BAD,
    ],
  ]);
  await t.step("HTAB inside a value is allowed and kept", async () => {
    await withServer(echo, async (c) => {
      const client = await c.open();
      await client.send("GET / HTTP/1.1\r\nHost: x\r\nX-A: \ta\tb \r\n\r\n");
      const reply = await client.readResponse();
      assertEquals(reply.status, 200);
      assertEquals(c.calls[0]!.headerLines, [["Host", "x"], ["X-A", "a\tb"]]);
      client.close();
    });
  });
});

Deno.test("serveHttp refuses ambiguous request framing", async (t) => {
  await refusals(t, [
    [
      "Content-Length with Transfer-Encoding",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      BAD,
    ],
    [
      "Transfer-Encoding before Content-Length",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
      BAD,
    ],
    [
      "two different Content-Length fields",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
      BAD,
    ],
    [
      "a Content-Length list of different values",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\nab",
      BAD,
    ],
    [
      "a non-numeric Content-Length",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
      BAD,
    ],
    [
      "a negative Content-Length",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
      BAD,
    ],
    [
      "a signed Content-Length",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello",
      BAD,
    ],
    [
      "a fractional Content-Length",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1.5\r\n\r\nab",
      BAD,
    ],
    [
      "an empty Content-Length",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n",
      BAD,
    ],
    [
      "Transfer-Encoding: gzip, chunked",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
      "HTTP/1.1 501 Not Implemented",
    ],
    [
      "Transfer-Encoding: chunked, gzip",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
      BAD,
    ],
    [
      "chunked twice, in one field or two",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      BAD,
    ],
    [
      "Transfer-Encoding: gzip alone",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
      BAD,
    ],
    [
      "Transfer-Encoding in an HTTP/1.0 request",
      "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      BAD,
    ],
  ]);
  await acceptances(t, [
    [
      "an identical repeated Content-Length list",
      "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello",
      "POST /p hello",
    ],
    [
      "two identical Content-Length fields",
      "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
      "POST /p hello",
    ],
    [
      "a chunked Transfer-Encoding in any case",
      "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
      "POST /p hi",
    ],
  ]);
});

Deno.test("serveHttp requires exactly one Host in HTTP/1.1", async (t) => {
  await refusals(t, [
    ["HTTP/1.1 without Host", "GET / HTTP/1.1\r\nX-A: 1\r\n\r\n", BAD],
    ["two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", BAD],
    [
      "two Host fields in any case",
      "GET / HTTP/1.1\r\nHost: a\r\nhOST: b\r\n\r\n",
      BAD,
    ],
  ]);
  await t.step("HTTP/1.0 without Host is accepted", async () => {
    await withServer(echo, async (c) => {
      const reply = await c.exchange("GET /old HTTP/1.0\r\n\r\n");
      assertMatch(reply, /^HTTP\/1\.1 200 OK\r\n/);
      assert(reply.endsWith("\r\n\r\nGET /old "), reply);
      assertEquals(c.calls.length, 1);
      assertEquals(c.calls[0]!.version, "HTTP/1.0");
    });
  });
});

Deno.test("serveHttp enforces head limits", async (t) => {
  const limits = {
    maxHeaderBytes: 1024,
    maxHeaderCount: 10,
    maxRequestLine: 128,
  };
  const tooLarge = "HTTP/1.1 431 Request Header Fields Too Large";
  const fields = (n: number) => {
    let text = "Host: x\r\n";
    for (let i = 1; i < n; i++) text += `X-${i}: ${i}\r\n`;
    return text;
  };
  await refusals(t, [
    [
      "a header section past maxHeaderBytes that has not ended yet",
      // An endless field line: the head never completes.
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(3000)}`,
      tooLarge,
    ],
    [
      "more fields than maxHeaderCount",
      `GET / HTTP/1.1\r\n${fields(11)}\r\n`,
      tooLarge,
    ],
    [
      "a request line longer than maxRequestLine",
      `GET /${"a".repeat(200)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      "HTTP/1.1 414 URI Too Long",
    ],
    [
      "a request line without an end, longer than maxRequestLine",
      `GET /${"a".repeat(200)}`,
      "HTTP/1.1 414 URI Too Long",
    ],
  ], limits);
  await t.step("exactly maxHeaderCount fields are accepted", async () => {
    await withServer(echo, async (c) => {
      const client = await c.open();
      await client.send(`GET /n HTTP/1.1\r\n${fields(10)}\r\n`);
      const reply = await client.readResponse();
      assertEquals(reply.statusLine, "HTTP/1.1 200 OK");
      assertEquals(c.calls[0]!.headerLines.length, 10);
      client.close();
    }, limits);
  });
  await t.step(
    "an endless header line is answered while it is still coming",
    async () => {
      await withServer(echo, async (c) => {
        const client = await c.open();
        const reply = client.readToEnd();
        let replied = false;
        void reply.then(() => replied = true);
        await client.send("GET / HTTP/1.1\r\nHost: x\r\nX-Endless: ");
        const piece = latin1("a".repeat(1024));
        const cap = 64 * 1024 * 1024;
        let sent = 0;
        try {
          // Never ends the line: only the server's answer stops this.
          while (!replied && sent < cap) {
            await client.send(piece);
            sent += piece.length;
          }
        } catch { /* the server closed the connection */ }
        const text = await reply;
        assert(sent < cap, "the server waited for the line to end");
        assert(text.startsWith(`${tooLarge}\r\n`), text);
        assertEquals(c.calls.length, 0);
        client.close();
        await assertServes(c);
      }, limits);
    },
  );
});

Deno.test({
  name:
    "serveHttp refuses a head larger than maxHeaderBytes that arrives in one piece",

  fn: async (t) => {
    const limits = { maxHeaderBytes: 1024, maxHeaderCount: 100 };
    await refusals(t, [
      [
        "one long field",
        // Connection: close, so that an accepted request ends the exchange.
        `GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: ${
          "a".repeat(3000)
        }\r\n\r\n`,
        "HTTP/1.1 431 Request Header Fields Too Large",
      ],
      [
        "many short fields",
        `GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${
          "X-F: 0123456789\r\n".repeat(80)
        }\r\n`,
        "HTTP/1.1 431 Request Header Fields Too Large",
      ],
    ], limits);
  },
});

Deno.test("serveHttp refuses bad versions, garbage and unknown expectations", async (t) => {
  await refusals(t, [
    [
      "HTTP/2.0",
      "GET / HTTP/2.0\r\nHost: x\r\n\r\n",
      "HTTP/1.1 505 HTTP Version Not Supported",
    ],
    [
      "HTTP/3.0",
      "GET / HTTP/3.0\r\nHost: x\r\n\r\n",
      "HTTP/1.1 505 HTTP Version Not Supported",
    ],
    ["a garbage request line", "HELLO\r\n\r\n", BAD],
    ["an HTTP/0.9 request line", "GET /\r\n\r\n", BAD],
    ["a lowercase version", "GET / http/1.1\r\nHost: x\r\n\r\n", BAD],
    ["two spaces after the method", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", BAD],
    ["a trailing space", "GET / HTTP/1.1 \r\nHost: x\r\n\r\n", BAD],
    ["a method that is not a token", "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", BAD],
    ["a target with a quote", 'GET /a"b HTTP/1.1\r\nHost: x\r\n\r\n', BAD],
    [
      "Expect: something-else",
      "GET / HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\n\r\n",
      "HTTP/1.1 417 Expectation Failed",
    ],
  ]);
});

Deno.test("serveHttp handles Expect: 100-continue", async (t) => {
  await t.step(
    "100 Continue goes out only when the handler reads the body",
    async () => {
      const entered = signal();
      const gate = signal();
      await withServer(async (req) => {
        entered.resolve();
        await gate.promise;
        return await echo(req);
      }, async (c) => {
        const client = await c.open();
        await client.send(
          "PUT /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
        );
        await entered.promise;
        assert(await client.quietFor(100), "100 Continue before the read");
        gate.resolve();
        const interim = await client.readResponse();
        assertEquals(interim.raw, "HTTP/1.1 100 Continue\r\n\r\n");
        await client.send("hello");
        const reply = await client.readResponse();
        assertEquals(reply.statusLine, "HTTP/1.1 200 OK");
        assertEquals(reply.body, "PUT /up hello");
        // The connection is still good for another request.
        await client.send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
        assertEquals((await client.readResponse()).body, "GET /next ");
        client.close();
      });
    },
  );
  await t.step(
    "a handler that does not read answers at once and the connection closes",
    async () => {
      await withServer((req) => ({
        status: 403,
        body: `not ${req.target}`,
      }), async (c) => {
        const client = await c.open();
        await client.send(
          "PUT /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
        );
        const reply = await client.readResponse();
        assertEquals(reply.statusLine, "HTTP/1.1 403 Forbidden");
        assertEquals(reply.body, "not /up");
        assertEquals(values(reply, "connection"), ["close"]);
        assert(await client.atEnd(), "the connection stays open");
        client.close();
      });
    },
  );
  await t.step("HTTP/1.0 gets no 100 Continue", async () => {
    await withServer(echo, async (c) => {
      const reply = await c.exchange(
        "PUT /up HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello",
      );
      assertMatch(reply, /^HTTP\/1\.1 200 OK\r\n/);
      assert(!reply.includes("100 Continue"), reply);
      assert(reply.endsWith("PUT /up hello"), reply);
    });
  });
});

Deno.test("serveHttp keeps connections alive as HTTP/1.1 and 1.0 ask", async (t) => {
  await t.step(
    "two requests, one after the other, on one connection",
    async () => {
      await withServer(echo, async (c) => {
        const client = await c.open();
        await client.send("GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
        const one = await client.readResponse();
        assertEquals(values(one, "connection"), []);
        await client.send(
          "POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
        );
        const two = await client.readResponse();
        assertEquals([one.body, two.body], ["GET /one ", "POST /two abc"]);
        client.close();
      });
    },
  );
  await t.step(
    "pipelined requests in one write are answered in order",
    async () => {
      await withServer(echo, async (c) => {
        const client = await c.open();
        await client.send(
          "POST /one HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" +
            "GET /two HTTP/1.1\r\nHost: x\r\n\r\n" +
            "POST /three HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n",
        );
        const bodies = [];
        for (let i = 0; i < 3; i++) {
          bodies.push((await client.readResponse()).body);
        }
        assertEquals(bodies, ["POST /one abc", "GET /two ", "POST /three z"]);
        client.close();
      });
    },
  );
  await t.step("a body the handler did not read is skipped", async () => {
    await withServer(
      (req) => ({ status: 200, body: req.target }),
      async (c) => {
        const client = await c.open();
        await client.send(
          "POST /one HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" +
            "GET /two HTTP/1.1\r\nHost: x\r\n\r\n",
        );
        assertEquals((await client.readResponse()).body, "/one");
        assertEquals((await client.readResponse()).body, "/two");
        assertEquals(c.calls.map((r) => r.target), ["/one", "/two"]);
        client.close();
      },
    );
  });
  await t.step("Connection: close closes after the response", async () => {
    await withServer(echo, async (c) => {
      const client = await c.open();
      await client.send(
        "GET /one HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" +
          "GET /two HTTP/1.1\r\nHost: x\r\n\r\n",
      );
      const reply = await client.readResponse();
      assertEquals(reply.body, "GET /one ");
      assertEquals(values(reply, "connection"), ["close"]);
      assert(await client.atEnd(), "the connection stays open");
      assertEquals(c.calls.length, 1);
      client.close();
    });
  });
  await t.step("HTTP/1.0 closes by default", async () => {
    await withServer(echo, async (c) => {
      const client = await c.open();
      await client.send("GET /one HTTP/1.0\r\n\r\n");
      const reply = await client.readResponse();
      assertEquals(reply.statusLine, "HTTP/1.1 200 OK");
      assertEquals(values(reply, "connection"), ["close"]);
      assert(await client.atEnd(), "the connection stays open");
      client.close();
    });
  });
  await t.step("HTTP/1.0 with Connection: keep-alive stays open", async () => {
    await withServer(echo, async (c) => {
      const client = await c.open();
      await client.send("GET /one HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
      const one = await client.readResponse();
      assertEquals(values(one, "connection"), ["keep-alive"]);
      await client.send("GET /two HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
      const two = await client.readResponse();
      assertEquals([one.body, two.body], ["GET /one ", "GET /two "]);
      await client.send("GET /three HTTP/1.0\r\n\r\n");
      const three = await client.readResponse();
      assertEquals(values(three, "connection"), ["close"]);
      assert(await client.atEnd(), "the connection stays open");
      client.close();
    });
  });
});

const BAD_CHUNKS: [name: string, body: string][] = [
  ["a bare LF after the chunk size", "5\nhello\r\n0\r\n\r\n"],
  ["a bare LF after the chunk data", "5\r\nhello\n0\r\n\r\n"],
  ["a bare LF after the last chunk", "5\r\nhello\r\n0\n\r\n"],
  ["a bare LF ending a trailer", "5\r\nhello\r\n0\r\nX-T: 1\n\r\n"],
  ["a bare LF as the final line", "5\r\nhello\r\n0\r\n\n"],
  ["a size that is not hex", "z\r\nhello\r\n0\r\n\r\n"],
];

/**
 * Sends a chunked POST with `body` to a handler that answers 400 when its
 * read rejects, recording the error (and, with `secondRead`, what one more
 * read gives).
 */
async function withBadChunk(
  body: string,
  fn: (c: Ctx, client: RawClient, caught: unknown[]) => Promise<void>,
  options: Partial<HttpServerOptions> = {},
  secondRead = false,
): Promise<void> {
  const caught: unknown[] = [];
  await withServer(async (req) => {
    if (req.target !== "/c") return await echo(req);
    try {
      await req.bytes();
    } catch (err) {
      caught.push(err);
      if (secondRead) {
        try {
          caught.push(await req.readInto(new Uint8Array(64)));
        } catch (again) {
          caught.push(again);
        }
      }
      return { status: 400, body: "bad chunk\n" };
    }
    return { status: 200, body: "read it all\n" };
  }, async (c) => {
    const client = await c.open();
    await client.send(
      `POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${body}`,
    );
    await fn(c, client, caught);
  }, options);
}

Deno.test("serveHttp decodes chunked request bodies strictly", async (t) => {
  await t.step("chunk extensions and trailers", async () => {
    await withServer(echo, async (c) => {
      const client = await c.open();
      await client.send(
        "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
          '5;name=value\r\nhello\r\n6 ; q="a b"\r\n world\r\nA\r\n0123456789\r\n' +
          "0;last\r\nX-Trailer: t\r\nX-Other: u\r\n\r\n",
      );
      const reply = await client.readResponse();
      assertEquals(reply.body, "POST /c hello world0123456789");
      assertEquals(c.calls[0]!.contentLength, null);
      // The trailers were consumed: the next request is read cleanly.
      await client.send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
      assertEquals((await client.readResponse()).body, "GET /next ");
      client.close();
    });
  });
  for (const [name, body] of BAD_CHUNKS) {
    // Whether the connection is closed afterwards is the BUG test below;
    // "a bare LF as the final line" is left to it too: its 400
    // never goes out.
    if (body.endsWith("0\r\n\n")) continue;
    await t.step(`${name} makes the handler's read reject`, async () => {
      await withBadChunk(body, async (c, client, caught) => {
        const reply = await client.readResponse();
        assertEquals(reply.statusLine, BAD);
        assertEquals(reply.body, "bad chunk\n");
        assertEquals(caught.length, 1);
        assertInstanceOf(caught[0], HttpProtocolError);
        client.close();
        await assertServes(c);
      });
    });
  }
  await t.step("empty lines before a request line are ignored", async () => {
    await withServer(echo, async (c) => {
      const client = await c.open();
      await client.send("\r\n\r\nGET /one HTTP/1.1\r\nHost: x\r\n\r\n");
      assertEquals((await client.readResponse()).body, "GET /one ");
      // And between keep-alive requests.
      await client.send("\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n");
      assertEquals((await client.readResponse()).body, "GET /two ");
      client.close();
    });
  });
});

Deno.test({
  name:
    "serveHttp closes the connection after a chunk framing error, without reading on",

  fn: async (t) => {
    for (const [name, body] of BAD_CHUNKS) {
      await t.step(
        `${name}: the 400 goes out and the connection closes`,
        async () => {
          await withBadChunk(body, async (c, client, caught) => {
            const reply = await client.readResponse();
            assertEquals(reply.statusLine, BAD);
            assertEquals(values(reply, "connection"), ["close"]);
            assert(await client.atEnd(), "the connection stays open");
            assertInstanceOf(caught[0], HttpProtocolError);
            client.close();
            await assertServes(c);
          }, { bodyTimeout: 500 });
        },
      );
    }
    await t.step("a second read after the error rejects again", async () => {
      await withBadChunk(
        "5\r\nhello\n0\r\n\r\n",
        async (_c, client, caught) => {
          await client.readResponse();
          assertInstanceOf(caught[0], HttpProtocolError);
          // Not `null`, which would say the body ended cleanly.
          assertInstanceOf(caught[1], HttpProtocolError);
          client.close();
        },
        {},
        true,
      );
    });
    await t.step(
      "bytes after the bad line are not read as a new request",
      async () => {
        await withBadChunk(
          "5\r\nhello\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
          async (c, client) => {
            const reply = await client.readResponse();
            assertEquals(reply.statusLine, BAD);
            assertEquals(await client.readToEnd(), "", "a second response");
            assertEquals(c.calls.map((r) => r.target), ["/c"]);
            client.close();
          },
          { keepAliveTimeout: 500 },
        );
      },
    );
  },
});

Deno.test({
  name:
    "serveHttp ignores an empty line before a request line when its CR and LF arrive apart",

  fn: async () => {
    await withServer(echo, async (c) => {
      const client = await c.open();
      await client.send("\r");
      // Give the server the time to read the CR alone.
      await delay(100);
      await client.send("\nGET /one HTTP/1.1\r\nHost: x\r\n\r\n");
      const reply = await client.readResponse();
      assertEquals(reply.statusLine, "HTTP/1.1 200 OK");
      assertEquals(reply.body, "GET /one ");
      client.close();
    });
  },
});

/** A stream of the given pieces. */
function streamOf(...pieces: string[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(pieces.map(latin1));
}

/** A source of `text`, handing out at most `step` bytes per read. */
function sourceOf(
  text: string,
  step = 5,
): BodySource & { cancelled: number; reads: number } {
  const bytes = latin1(text);
  let off = 0;
  return {
    cancelled: 0,
    reads: 0,
    readInto(p: Uint8Array): Promise<number | null> {
      this.reads++;
      if (off >= bytes.length) return Promise.resolve(null);
      const n = Math.min(step, p.length, bytes.length - off);
      p.set(bytes.subarray(off, off + n));
      off += n;
      return Promise.resolve(n);
    },
    cancel(): void {
      this.cancelled++;
    },
  };
}

const DATE_REGEXP =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/;

Deno.test("serveHttp frames responses itself", async (t) => {
  const framing: Handler = (req) => {
    switch (req.target) {
      case "/stream":
        return { status: 200, body: streamOf("ab", "", "cd") };
      case "/stream-length":
        return { status: 200, body: streamOf("ab", "cd"), contentLength: 4 };
      case "/head":
        return {
          status: 200,
          headers: [["Content-Length", "42"]],
          body: "not sent",
        };
      case "/no-content":
        return {
          status: 204,
          headers: [["Content-Length", "8"]],
          body: "not sent",
        };
      case "/reason":
        return {
          status: 299,
          reason: "Very  Fine",
          headers: [["x-lower-Case", "v"], ["X-UPPER", "W"], ["x-a", "1"]],
          body: "r",
        };
      case "/dated":
        return {
          status: 200,
          headers: [["date", "Tue, 01 Jan 2030 00:00:00 GMT"]],
          body: "d",
        };
      case "/framing-fields":
        return {
          status: 200,
          headers: [
            ["Content-Length", "999"],
            ["Transfer-Encoding", "chunked"],
            ["X-Kept", "yes"],
          ],
          body: "abc",
        };
      case "/inject-crlf":
        return {
          status: 200,
          headers: [["X-A", "1\r\nSet-Cookie: evil=1"]],
          body: "no",
        };
      case "/inject-lf":
        return { status: 200, headers: [["X-A", "1\nSet-Cookie: evil=1"]] };
      case "/inject-name":
        return { status: 200, headers: [["Set-Cookie: evil=1\r\nX-A", "1"]] };
      case "/inject-reason":
        return { status: 200, reason: "OK\r\nSet-Cookie: evil=1" };
      default:
        return echo(req);
    }
  };
  const run = (fn: (c: Ctx) => Promise<void>) => withServer(framing, fn);

  await t.step(
    "a stream without contentLength goes out chunked to HTTP/1.1",
    async () => {
      await run(async (c) => {
        const client = await c.open();
        await client.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
        const reply = await client.readResponse();
        assertEquals(values(reply, "transfer-encoding"), ["chunked"]);
        assertEquals(values(reply, "content-length"), []);
        assertEquals(reply.body, "abcd");
        assert(
          reply.raw.endsWith("\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n"),
          reply.raw,
        );
        await client.send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
        assertEquals((await client.readResponse()).body, "GET /after ");
        client.close();
      });
    },
  );
  await t.step(
    "a stream without contentLength is close-delimited to HTTP/1.0",
    async () => {
      await run(async (c) => {
        const reply = await c.exchange(
          "GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        );
        const [head, body] = reply.split("\r\n\r\n");
        assertMatch(head!, /^HTTP\/1\.1 200 OK\r\n/);
        assertStringIncludes(head!, "\r\nConnection: close");
        assert(!/transfer-encoding|content-length/i.test(head!), head);
        assertEquals(body, "abcd");
      });
    },
  );
  await t.step(
    "a stream with contentLength goes out with Content-Length",
    async () => {
      await run(async (c) => {
        const client = await c.open();
        await client.send("GET /stream-length HTTP/1.1\r\nHost: x\r\n\r\n");
        const reply = await client.readResponse();
        assertEquals(values(reply, "content-length"), ["4"]);
        assertEquals(values(reply, "transfer-encoding"), []);
        assert(reply.raw.endsWith("\r\n\r\nabcd"), reply.raw);
        client.close();
      });
    },
  );
  await t.step(
    "HEAD gets no body but keeps the handler's Content-Length",
    async () => {
      await run(async (c) => {
        const client = await c.open();
        await client.send(
          "HEAD /head HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n",
        );
        const reply = await client.readResponse("HEAD");
        assertEquals(values(reply, "content-length"), ["42"]);
        // Had a body been sent, the next response would start inside it.
        const next = await client.readResponse();
        assertEquals(next.statusLine, "HTTP/1.1 200 OK");
        assertEquals(next.body, "GET /after ");
        client.close();
      });
    },
  );
  await t.step("204 has neither Content-Length nor a body", async () => {
    await run(async (c) => {
      const client = await c.open();
      await client.send(
        "GET /no-content HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n",
      );
      const reply = await client.readResponse();
      assertEquals(reply.statusLine, "HTTP/1.1 204 No Content");
      assertEquals(values(reply, "content-length"), []);
      assertEquals(values(reply, "transfer-encoding"), []);
      const next = await client.readResponse();
      assertEquals(next.body, "GET /after ");
      client.close();
    });
  });
  await t.step(
    "the reason phrase and the name case go out as given",
    async () => {
      await run(async (c) => {
        const client = await c.open();
        await client.send("GET /reason HTTP/1.1\r\nHost: x\r\n\r\n");
        const reply = await client.readResponse();
        assertEquals(reply.statusLine, "HTTP/1.1 299 Very  Fine");
        assertStringIncludes(
          reply.raw,
          "\r\nx-lower-Case: v\r\nX-UPPER: W\r\nx-a: 1\r\n",
        );
        client.close();
      });
    },
  );
  await t.step("a Date field is added when the handler gave none", async () => {
    await run(async (c) => {
      const client = await c.open();
      await client.send(
        "GET /reason HTTP/1.1\r\nHost: x\r\n\r\nGET /dated HTTP/1.1\r\nHost: x\r\n\r\n",
      );
      const added = await client.readResponse();
      assertEquals(values(added, "date").length, 1);
      assertMatch(values(added, "date")[0]!, DATE_REGEXP);
      const given = await client.readResponse();
      assertEquals(values(given, "date"), ["Tue, 01 Jan 2030 00:00:00 GMT"]);
      assertStringIncludes(given.raw, "\r\ndate: Tue, 01 Jan 2030");
      client.close();
    });
  });
  await t.step("framing fields from the handler are replaced", async () => {
    await run(async (c) => {
      const client = await c.open();
      await client.send("GET /framing-fields HTTP/1.1\r\nHost: x\r\n\r\n");
      const reply = await client.readResponse();
      assertEquals(values(reply, "content-length"), ["3"]);
      assertEquals(values(reply, "transfer-encoding"), []);
      assertEquals(values(reply, "x-kept"), ["yes"]);
      assertEquals(reply.body, "abc");
      client.close();
    });
  });
  for (
    const target of [
      "/inject-crlf",
      "/inject-lf",
      "/inject-name",
      "/inject-reason",
    ]
  ) {
    await t.step(
      `CR or LF from the handler (${target}) gives 500, no injected line`,
      async () => {
        await run(async (c) => {
          const client = await c.open();
          await client.send(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
          const reply = await client.readResponse();
          assertEquals(reply.statusLine, "HTTP/1.1 500 Internal Server Error");
          assert(!/evil/i.test(reply.raw), reply.raw);
          assertEquals(c.errors.length, 1);
          assertInstanceOf(c.errors[0], TypeError);
          // The connection is still usable.
          await client.send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
          assertEquals((await client.readResponse()).body, "GET /after ");
          client.close();
        });
      },
    );
  }
});

Deno.test({
  name: "serveHttp cancels the body of a HEAD or 204 response",

  fn: async (t) => {
    for (const [method, status] of [["HEAD", 200], ["GET", 204]] as const) {
      await t.step(`${method} with status ${status}`, async () => {
        const source = sourceOf("abcdef");
        let streamCancelled = false;
        const stream = new ReadableStream<Uint8Array>({
          cancel() {
            streamCancelled = true;
          },
        });
        await withServer((req) => ({
          status,
          body: req.target === "/source" ? source : stream,
          contentLength: req.target === "/source" ? 6 : undefined,
        }), async (c) => {
          const client = await c.open();
          await client.send(
            `${method} /source HTTP/1.1\r\nHost: x\r\n\r\n` +
              `${method} /stream HTTP/1.1\r\nHost: x\r\n\r\n`,
          );
          await client.readResponse(method);
          await client.readResponse(method);
          client.close();
        });
        assertEquals(source.cancelled, 1, "the source was not cancelled");
        assert(streamCancelled, "the stream was not cancelled");
      });
    }
  },
});

Deno.test("serveHttp sends BodySource bodies", async (t) => {
  await t.step("a small source of known length", async () => {
    const source = sourceOf("hello source");
    await withServer(
      () => ({ status: 200, body: source, contentLength: 12 }),
      async (c) => {
        const client = await c.open();
        await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        const reply = await client.readResponse();
        assertEquals(values(reply, "content-length"), ["12"]);
        assertEquals(reply.body, "hello source");
        assertEquals(c.logs[0]!.bytes, 12);
        client.close();
      },
    );
  });
  await t.step("a large source of known length", async () => {
    const text = "0123456789abcdef".repeat(20_000);
    const source = sourceOf(text, 70_000);
    await withServer(
      () => ({ status: 200, body: source, contentLength: text.length }),
      async (c) => {
        const client = await c.open();
        await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        const reply = await client.readResponse();
        assertEquals(values(reply, "content-length"), [String(text.length)]);
        assert(reply.body === text, "the body differs");
        client.close();
      },
    );
  });
  await t.step("a source of unknown length goes out chunked", async () => {
    await withServer(
      () => ({ status: 200, body: sourceOf("chunked source", 4) }),
      async (c) => {
        const client = await c.open();
        await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        const reply = await client.readResponse();
        assertEquals(values(reply, "transfer-encoding"), ["chunked"]);
        assertEquals(reply.body, "chunked source");
        client.close();
      },
    );
  });
  await t.step(
    "a source failing before any byte gets the onBodyError response",
    async () => {
      const cancelled: number[] = [];
      const failing: BodySource = {
        readInto: () => Promise.reject(new Error("upstream went away")),
        cancel: () => cancelled.push(1),
      };
      const seen: unknown[] = [];
      await withServer((req) =>
        req.target === "/after" ? echo(req) : {
          status: 200,
          headers: [["X-From", "upstream"]],
          body: failing,
          contentLength: 10,
          onBodyError: (err) => {
            seen.push(err);
            return { status: 502, body: "bad gateway\n" };
          },
        }, async (c) => {
        const client = await c.open();
        await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        const reply = await client.readResponse();
        assertEquals(reply.statusLine, "HTTP/1.1 502 Bad Gateway");
        assertEquals(reply.body, "bad gateway\n");
        assertEquals(values(reply, "x-from"), []);
        assertEquals((seen[0] as Error).message, "upstream went away");
        assertEquals(cancelled.length, 1);
        assertEquals(c.logs.map((e) => e.status), [502]);
        client.close();
        await assertServes(c);
      });
    },
  );
  await t.step(
    "a source ending short without onBodyError closes the connection",
    async () => {
      await withServer(
        (req) =>
          req.target === "/after"
            ? echo(req)
            : { status: 200, body: sourceOf("short"), contentLength: 10 },
        async (c) => {
          const reply = await c.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
          assertEquals(reply, "", "no truncated 200 goes out");
          assertEquals(c.errors.length, 1);
          await assertServes(c);
        },
      );
    },
  );
});

Deno.test("serveHttp bounds slow and silent clients", async (t) => {
  const timeouts = {
    headersTimeout: 200,
    keepAliveTimeout: 200,
    bodyTimeout: 200,
  };
  await t.step(
    "half a head, then silence: the connection is closed",
    async () => {
      await withServer(echo, async (c) => {
        const slow = await c.open();
        await slow.send("GET /slow HTTP/1.1\r\nHost:");
        const ended = slow.readToEnd();
        await assertServes(c);
        const reply = await ended;
        assert(!reply.includes("200 OK"), reply);
        assertEquals(c.calls.map((r) => r.target), ["/after"]);
        slow.close();
      }, timeouts);
    },
  );
  await t.step("a head trickling in byte by byte is cut off", async () => {
    await withServer(echo, async (c) => {
      const slow = await c.open();
      let ended = false;
      const reply = slow.readToEnd().finally(() => ended = true);
      const head = `GET /slow HTTP/1.1\r\nHost: x\r\nX-Long: ${
        "a".repeat(300)
      }\r\n\r\n`;
      let sent = 0;
      try {
        while (!ended && sent < head.length) {
          await slow.send(head[sent]!);
          sent++;
          await delay(20);
        }
      } catch { /* closed by the server */ }
      await reply;
      assert(sent < head.length, "the whole head went through");
      await assertServes(c);
      assertEquals(c.calls.map((r) => r.target), ["/after"]);
      slow.close();
    }, timeouts);
  });
  await t.step("an idle keep-alive connection is closed", async () => {
    await withServer(echo, async (c) => {
      const idle = await c.open();
      await idle.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
      assertEquals((await idle.readResponse()).body, "GET /first ");
      const ended = idle.atEnd();
      await assertServes(c);
      assert(await ended, "bytes came on the idle connection");
      idle.close();
    }, timeouts);
  });
  await t.step("a connection that never sends a byte is closed", async () => {
    await withServer(echo, async (c) => {
      const silent = await c.open();
      const ended = silent.readToEnd();
      await assertServes(c);
      assertEquals(await ended, "");
      silent.close();
    }, timeouts);
  });
  await t.step(
    "a client that does not read the response is cut off",
    async () => {
      const logged = signal<ServerLogEntry>();
      const big = new Uint8Array(64 * 1024 * 1024).fill(97);
      await withServer(
        (req) =>
          req.target === "/after" ? echo(req) : { status: 200, body: big },
        async (c) => {
          const client = await c.open();
          await client.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
          // The log entry comes once the server gave up writing.
          const entry = await logged.promise;
          assertEquals(entry.status, 200);
          const got = await client.readToEnd();
          assert(got.length < big.length, "the whole body went out");
          client.close();
          await assertServes(c);
        },
        {
          ...timeouts,
          sendTimeout: 200,
          log: (entry) => {
            if (entry.target === "/big") logged.resolve(entry);
          },
        },
      );
    },
  );
  await t.step(
    "a body that stops coming times out the handler's read",
    async () => {
      const caught: unknown[] = [];
      await withServer(async (req) => {
        if (req.target === "/after") return await echo(req);
        try {
          await req.bytes();
        } catch (err) {
          caught.push(err);
        }
        return { status: 400, body: "late\n" };
      }, async (c) => {
        const slow = await c.open();
        await slow.send(
          "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhal",
        );
        await slow.readToEnd();
        assertEquals(caught.length, 1);
        assertInstanceOf(caught[0], TimeoutError);
        slow.close();
        await assertServes(c);
      }, timeouts);
    },
  );
});

Deno.test("serveHttp answers 500 when the handler throws and keeps serving", async (t) => {
  for (const kind of ["throws", "rejects"]) {
    await t.step(`a handler that ${kind}`, async () => {
      const boom = new Error("boom");
      await withServer((req) => {
        if (req.target === "/after") return echo(req);
        if (kind === "throws") throw boom;
        return Promise.reject(boom);
      }, async (c) => {
        const client = await c.open();
        await client.send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
        const reply = await client.readResponse();
        assertEquals(reply.statusLine, "HTTP/1.1 500 Internal Server Error");
        assert(!reply.raw.includes("boom"), "the error leaked to the client");
        assertEquals(c.errors, [boom]);
        // Same connection, then a new one.
        await client.send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
        assertEquals((await client.readResponse()).body, "GET /after ");
        client.close();
        await assertServes(c);
      });
    });
  }
});

Deno.test("serveHttp hands the raw connection over after 101", async (t) => {
  await t.step(
    "echo through the upgraded connection, buffered bytes first",
    async () => {
      const done = signal();
      const got: { upgrade?: string; buffered?: string } = {};
      await withServer((req) => {
        if (req.target === "/after") return echo(req);
        got.upgrade = req.upgrade;
        return {
          status: 101,
          headers: [["Connection", "Upgrade"], ["Upgrade", "echo"]],
          async upgrade(conn, buffered) {
            try {
              got.buffered = bytesText(buffered);
              await conn.write(latin1(`[${bytesText(buffered)}]`));
              const p = new Uint8Array(1024);
              while (true) {
                const n = await conn.read(p);
                if (n === null) break;
                await conn.write(p.subarray(0, n));
              }
            } finally {
              conn.close();
              done.resolve();
            }
          },
        };
      }, async (c) => {
        const client = await c.open();
        await client.send(
          "GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nearly",
        );
        const reply = await client.readResponse();
        assertEquals(reply.statusLine, "HTTP/1.1 101 Switching Protocols");
        assertEquals(values(reply, "upgrade"), ["echo"]);
        assertEquals(values(reply, "connection"), ["Upgrade"]);
        assertEquals(await client.readExactly(7), "[early]");
        await client.send("ping");
        assertEquals(await client.readExactly(4), "ping");
        // The server does not wait for upgraded connections.
        await c.server.shutdown();
        await client.send("still here");
        assertEquals(await client.readExactly(10), "still here");
        client.close();
        await done.promise;
        assertEquals(got, { upgrade: "echo", buffered: "early" });
        assertEquals(c.logs.map((e) => e.status), [101]);
      });
    },
  );
});

Deno.test("serveHttp shuts down gracefully", async (t) => {
  await t.step(
    "in-flight requests finish, idle connections close at once",
    async () => {
      const entered = signal();
      const gate = signal();
      await withServer(async (req) => {
        if (req.target === "/slow") {
          entered.resolve();
          await gate.promise;
          return { status: 200, body: "slow done" };
        }
        return await echo(req);
      }, async (c) => {
        const idle = await c.open();
        await idle.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
        assertEquals((await idle.readResponse()).body, "GET /first ");
        const busy = await c.open();
        await busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
        await entered.promise;
        let shut = false;
        const shutdown = c.server.shutdown().then(() => shut = true);
        assert(await idle.atEnd(), "the idle connection got bytes");
        assert(!shut, "shutdown did not wait for the request in flight");
        gate.resolve();
        const reply = await busy.readResponse();
        assertEquals(reply.body, "slow done");
        assertEquals(values(reply, "connection"), ["close"]);
        assert(await busy.atEnd(), "the busy connection stayed open");
        await shutdown;
        await c.server.finished;
        let refused = false;
        try {
          (await Deno.connect({ hostname: "127.0.0.1", port: c.port })).close();
        } catch (err) {
          refused = err instanceof Deno.errors.ConnectionRefused;
        }
        assert(refused, "a new connection was accepted after shutdown");
        idle.close();
        busy.close();
      });
    },
  );
  await t.step("close() stops at once", async () => {
    const entered = signal();
    const gate = signal();
    await withServer(async () => {
      entered.resolve();
      await gate.promise;
      return { status: 200, body: "late" };
    }, async (c) => {
      const busy = await c.open();
      await busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
      await entered.promise;
      c.server.close();
      assertEquals(await busy.readToEnd(), "");
      gate.resolve();
      await c.server.finished;
      busy.close();
    });
  });
});

Deno.test("serveHttp gives the handler what the client sent", async (t) => {
  await t.step(
    "raw non-ASCII bytes in the target arrive percent-encoded",
    async () => {
      await withServer(echo, async (c) => {
        const client = await c.open();
        await client.send(
          latin1("GET /caf\xC3\xA9?q=\xFF%41 HTTP/1.1\r\nHost: x\r\n\r\n"),
        );
        const reply = await client.readResponse();
        assertEquals(reply.body, "GET /caf%C3%A9?q=%FF%41 ");
        assertEquals(c.calls[0]!.target, "/caf%C3%A9?q=%FF%41");
        client.close();
      });
    },
  );
  await t.step(
    "method, version, header lines in order and case, headers, length",
    async () => {
      await withServer(echo, async (c) => {
        const client = await c.open();
        await client.send(
          "PATCH /p?x=1 HTTP/1.1\r\nhost: h.example\r\nX-Dup: 1\r\nx-dup: 2\r\n" +
            "X-Obs: caf\xC3\xA9\r\nContent-Length: 2\r\n\r\nhi",
        );
        const reply = await client.readResponse();
        assertEquals(reply.body, "PATCH /p?x=1 hi");
        const req = c.calls[0]!;
        assertEquals([req.method, req.version], ["PATCH", "HTTP/1.1"]);
        assertEquals(req.headerLines, [
          ["host", "h.example"],
          ["X-Dup", "1"],
          ["x-dup", "2"],
          ["X-Obs", "caf\xC3\xA9"],
          ["Content-Length", "2"],
        ]);
        assertEquals(req.headers.get("X-DUP"), "1, 2");
        assertEquals(req.contentLength, 2);
        assertEquals(req.remoteAddr.hostname, "127.0.0.1");
        assertEquals(
          req.remoteAddr.port,
          (client.conn.localAddr as Deno.NetAddr).port,
        );
        client.close();
      });
    },
  );
});

Deno.test("serveHttp logs one entry per response", async () => {
  await withServer(echo, async (c) => {
    const client = await c.open();
    await client.send(
      "GET /a?b HTTP/1.1\r\nHost: x\r\n\r\n" +
        "HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n" +
        "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nxyz",
    );
    await client.readResponse();
    await client.readResponse("HEAD");
    await client.readResponse();
    client.close();
    const refused = await c.exchange("GET / HTTP/1.1\r\n\r\n");
    assertMatch(refused, /^HTTP\/1\.1 400 /);
    const old = await c.exchange("GET /old HTTP/1.0\r\n\r\n");
    assertMatch(old, /^HTTP\/1\.1 200 /);
    assertEquals(
      c.logs.map((e) => [e.method, e.target, e.protocol, e.status, e.bytes]),
      [
        ["GET", "/a?b", "HTTP/1.1", 200, "GET /a?b ".length],
        ["HEAD", "/h", "HTTP/1.1", 200, 0],
        ["POST", "/p", "HTTP/1.1", 200, "POST /p xyz".length],
        ["-", "-", "-", 400, refused.split("\r\n\r\n")[1]!.length],
        ["GET", "/old", "HTTP/1.0", 200, "GET /old ".length],
      ],
    );
    for (const entry of c.logs) {
      assertEquals(entry.host, "127.0.0.1");
      assertInstanceOf(entry.time, Date);
      assert(entry.durationMs >= 0);
    }
  });
});

Deno.test("idle keep-alive connections keep no big buffer once their responses are out", async () => {
  // 200 connections, each after a 60 KiB inline body, a chunked stream and
  // a 1 MiB source body: a buffer of 80 or 256 KiB kept per connection would
  // be 16 MiB or more; lent ones go back to a small shared pool.
  const script = new URL("./testdata/buffer_retention.ts", import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--v8-flags=--expose-gc", "--allow-net", script.pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  const kib = Number(new TextDecoder().decode(out.stdout).trim());
  assert(Number.isFinite(kib), `no figure printed: ${stderr}`);
  assert(
    kib < 200 * 48,
    `200 idle connections hold ${kib} KiB of buffers (under 48 KiB each expected)`,
  );
});
