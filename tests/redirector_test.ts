import { serveRedirector } from "../scripts/redirector.ts";
import {
  forwardRequestHeaders,
  forwardResponseHeaders,
} from "../scripts/_redirector_headers.ts";
import { HttpClient } from "../protocols/http.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
  assertThrows,
} from "./_assert.ts";
import { startMockServer } from "./_mock_server.ts";
import { testCerts } from "./_tls.ts";

interface Seen {
  method: string;
  url: string;
  headers: Headers;
  body: string;
}

/** An upstream that echoes what it received, with a few special paths. */
function startUpstream(seen: Seen[]): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const url = new URL(req.url);
      if (url.pathname.endsWith("/ws")) {
        const { socket, response } = Deno.upgradeWebSocket(req);
        socket.onmessage = (e) => socket.send(`echo:${e.data}`);
        return response;
      }
      const body = await req.text();
      seen.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body,
      });
      if (url.pathname.endsWith("/redirect")) {
        return new Response(null, {
          status: 302,
          headers: {
            location: `${url.origin}/app/landing?x=1`,
            "content-location": "/app/doc",
          },
        });
      }
      if (url.pathname.endsWith("/big")) {
        let left = 32;
        const chunk = new Uint8Array(1024 * 1024).fill(97);
        return new Response(
          new ReadableStream({
            pull(c) {
              if (left-- === 0) c.close();
              else c.enqueue(chunk);
            },
          }),
        );
      }
      const headers = new Headers({
        "x-upstream": "yes",
        connection: "x-private",
        "x-private": "secret",
      });
      headers.append("set-cookie", "a=1");
      headers.append("set-cookie", "b=2");
      return new Response(
        `${req.method} ${url.pathname}${url.search} ${body}`,
        {
          status: 201,
          statusText: "Made It",
          headers,
        },
      );
    },
  );
}

async function withProxy(
  fn: (front: string, seen: Seen[], lines: string[]) => Promise<void>,
  options: {
    trustForwarded?: boolean;
    preserveHost?: boolean;
    timeout?: number;
    upstream?: string;
  } = {},
): Promise<void> {
  const seen: Seen[] = [];
  const lines: string[] = [];
  const upstream = startUpstream(seen);
  const client = new HttpClient();
  const front = serveRedirector({
    upstream: options.upstream ?? `http://127.0.0.1:${upstream.addr.port}/app/`,
    log: (l) => lines.push(l),
    client,
    port: 0,
    ...(options.trustForwarded ? { trustForwarded: true } : {}),
    ...(options.preserveHost ? { preserveHost: true } : {}),
    ...(options.timeout ? { timeout: options.timeout } : {}),
  });
  try {
    await fn(`http://127.0.0.1:${front.addr.port}`, seen, lines);
  } finally {
    await front.shutdown();
    client.close();
    await upstream.shutdown();
  }
}

Deno.test("redirector forwards every method with bodies and joins the path prefix", async () => {
  await withProxy(async (front, seen, lines) => {
    for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
      const hasBody = !["GET", "OPTIONS"].includes(method);
      const res = await fetch(`${front}/items/1?q=a%20b`, {
        method,
        ...(hasBody ? { body: `payload-${method}` } : {}),
      });
      assertEquals(res.status, 201);
      // The upstream here is Deno.serve, which writes the standard reason
      // phrase whatever statusText says; a raw upstream test checks ours.
      assertEquals(res.statusText, "Created");
      assertEquals(
        await res.text(),
        `${method} /app/items/1?q=a%20b ${hasBody ? `payload-${method}` : ""}`,
      );
    }
    assertEquals(seen.length, 6);
    assertEquals(lines.length, 6);
    assertMatch(
      lines[0]!,
      /^127\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/items\/1\?q=a%20b HTTP\/1\.1" 201 \d+ [\d.]+ms$/,
    );
  });
});

Deno.test("redirector removes hop-by-hop fields before adding X-Forwarded-* and Via", async () => {
  await withProxy(async (front, seen) => {
    const res = await fetch(`${front}/h`, {
      headers: {
        connection: "x-forwarded-for, x-drop, via",
        "x-drop": "1",
        "x-forwarded-for": "6.6.6.6",
        "x-forwarded-host": "evil.example",
        "proxy-connection": "keep-alive",
        te: "trailers",
        "x-keep": "kept",
      },
    });
    assertEquals(res.headers.get("x-upstream"), "yes");
    assertEquals(
      res.headers.get("x-private"),
      null,
      "response hop-by-hop named by Connection removed",
    );
    assertEquals(res.headers.getSetCookie(), ["a=1", "b=2"]);
    assertStringIncludes(res.headers.get("via") ?? "", "1.1 inetkit");
    await res.text();
    const h = seen[0]!.headers;
    assertEquals(h.get("x-drop"), null);
    assertEquals(h.get("proxy-connection"), null);
    assertEquals(h.get("te"), null);
    assertEquals(h.get("x-keep"), "kept");
    assertEquals(
      h.get("x-forwarded-for"),
      "127.0.0.1",
      "a client cannot strip or forge it",
    );
    assertEquals(h.get("x-forwarded-host"), new URL(front).host);
    assertEquals(h.get("x-forwarded-proto"), "http");
    assertEquals(h.get("via"), "1.1 inetkit");
    assertEquals(
      new URL(seen[0]!.url).host,
      h.get("host")!,
      "Host is the upstream's",
    );
  });
});

Deno.test("redirector keeps inbound X-Forwarded-* with --trust-forwarded and Host with --preserve-host", async () => {
  await withProxy(async (front, seen) => {
    await (await fetch(`${front}/t`, {
      headers: { "x-forwarded-for": "10.1.1.1" },
    })).text();
    assertEquals(
      seen[0]!.headers.get("x-forwarded-for"),
      "10.1.1.1, 127.0.0.1",
    );
    assertEquals(seen[0]!.headers.get("host"), new URL(front).host);
  }, { trustForwarded: true, preserveHost: true });
});

Deno.test("redirector rewrites Location and Content-Location that point at the upstream", async () => {
  await withProxy(async (front) => {
    const res = await fetch(`${front}/redirect`, { redirect: "manual" });
    assertEquals(res.status, 302);
    assertEquals(res.headers.get("location"), `${front}/landing?x=1`);
    assertEquals(res.headers.get("content-location"), "/doc");
    await res.body?.cancel();
  });
});

Deno.test("redirector streams a large body and passes WebSockets through", async () => {
  await withProxy(async (front) => {
    const res = await fetch(`${front}/big`);
    let n = 0;
    for await (const chunk of res.body!) n += chunk.length;
    assertEquals(n, 32 * 1024 * 1024);
    const ws = new WebSocket(`${front.replace("http", "ws")}/ws`);
    const reply = await new Promise<string>((resolve, reject) => {
      ws.onopen = () => ws.send("ping");
      ws.onmessage = (e) => resolve(String(e.data));
      ws.onerror = () => reject(new Error("WebSocket failed"));
    });
    assertEquals(reply, "echo:ping");
    const closed = new Promise((r) => ws.onclose = r);
    ws.close();
    await closed;
  });
});

Deno.test("redirector answers 502 when the upstream is down and 504 when it is silent", async (t) => {
  await t.step("refused", async () => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = l.addr.port;
    l.close();
    await withProxy(async (front) => {
      const res = await fetch(`${front}/x`);
      assertEquals(res.status, 502);
      assertStringIncludes(await res.text(), "Bad Gateway");
      const again = await fetch(`${front}/y`);
      assertEquals(again.status, 502, "the proxy keeps serving");
      await again.text();
    }, { upstream: `http://127.0.0.1:${port}/` });
  });
  await t.step("silent", async () => {
    const silent = startMockServer(async (peer) => {
      await peer.drain();
    });
    try {
      await withProxy(async (front) => {
        const res = await fetch(`${front}/x`);
        assertEquals(res.status, 504);
        await res.text();
      }, { upstream: `http://127.0.0.1:${silent.port}/`, timeout: 200 });
    } finally {
      await silent.close();
    }
  });
});

Deno.test("redirector is not an open proxy and refuses ambiguous framing", async () => {
  await withProxy(async (front, seen) => {
    const port = new URL(front).port;
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: Number(port),
    });
    const enc = new TextEncoder();
    await conn.write(
      enc.encode(
        "GET http://example.invalid/steal HTTP/1.1\r\nHost: example.invalid\r\nConnection: close\r\n\r\n",
      ),
    );
    const reply = new TextDecoder().decode(
      await new Response(conn.readable).arrayBuffer(),
    );
    assert(reply.startsWith("HTTP/1.1 201"), reply.slice(0, 40));
    assertEquals(
      new URL(seen[0]!.url).pathname,
      "/app/steal",
      "sent to the configured upstream only",
    );

    const bad = await Deno.connect({
      hostname: "127.0.0.1",
      port: Number(port),
    });
    await bad.write(enc.encode(
      "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n",
    ));
    const badReply = new TextDecoder().decode(
      await new Response(bad.readable).arrayBuffer(),
    );
    assert(badReply.startsWith("HTTP/1.1 400"), badReply.slice(0, 40));
    assertEquals(
      seen.length,
      1,
      "the ambiguous request never reached the upstream",
    );
  });
});

Deno.test(
  "forwardRequestHeaders() matches stripping, then adding, then replacing Host",
  {
    permissions: "none",
  },
  () => {
    const inbound = new Headers([
      ["host", "front:8000"],
      ["connection", "x-a, x-forwarded-proto"],
      ["connection", "via"],
      ["x-a", "1"],
      ["via", "1.0 other"],
      ["keep-alive", "timeout=5"],
      ["x-forwarded-for", "10.0.0.1"],
      ["x-forwarded-proto", "https"],
      ["x-forwarded-host", "orig"],
      ["accept", "*/*"],
    ]);
    const ctx = {
      clientIp: "127.0.0.1",
      host: "front:8000",
      proto: "http",
    };
    assertEquals(
      forwardRequestHeaders(inbound, {
        ...ctx,
        trustForwarded: false,
        upstreamHost: "up:1",
      }),
      [
        ["host", "up:1"],
        ["accept", "*/*"],
        ["x-forwarded-for", "127.0.0.1"],
        ["x-forwarded-proto", "http"],
        ["x-forwarded-host", "front:8000"],
        ["via", "1.1 inetkit"],
      ],
    );
    assertEquals(
      forwardRequestHeaders(inbound, { ...ctx, trustForwarded: true }),
      [
        ["accept", "*/*"],
        ["host", "front:8000"],
        ["x-forwarded-host", "orig"],
        ["x-forwarded-for", "10.0.0.1, 127.0.0.1"],
        ["x-forwarded-proto", "http"],
        ["via", "1.1 inetkit"],
      ],
      "a trusted X-Forwarded-Proto named by Connection is still removed",
    );
  },
);

Deno.test(
  "forwardResponseHeaders() strips hop-by-hop fields and joins repeated ones like Headers",
  {
    permissions: "none",
  },
  () => {
    const up = new URL("http://10.0.0.1:8080/app/");
    const out = forwardResponseHeaders(
      [
        ["Connection", "X-Private"],
        ["connection", "close"],
        ["X-Private", "secret"],
        ["Transfer-Encoding", "chunked"],
        ["Set-Cookie", "a=1"],
        ["Via", "1.0 a"],
        ["Location", "http://10.0.0.1:8080/app/x"],
        ["Set-Cookie", "b=2"],
        ["via", "1.0 b"],
        ["Content-Location", "/elsewhere"],
      ],
      up,
      "http://proxy:8000",
    );
    assertEquals(out, [
      ["Set-Cookie", "a=1"],
      ["Via", "1.0 a, 1.0 b, 1.1 inetkit"],
      ["Location", "http://proxy:8000/x"],
      ["Set-Cookie", "b=2"],
      ["Content-Location", "/elsewhere"],
    ]);
    assertEquals(
      forwardResponseHeaders(
        [["Location", "https://x/a"], ["Location", "https://x/b"]],
        up,
        "f",
      ),
      [["Location", "https://x/a, https://x/b"], ["via", "1.1 inetkit"]],
    );
  },
);

Deno.test("redirector answers 502 when the upstream cuts a small body, and streams large ones", async () => {
  const cut = startMockServer(async (peer) => {
    while (true) {
      const line = await peer.readLine();
      if (line === null) return;
      if (line !== "") continue;
      await peer.write(
        "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial",
      );
      return;
    }
  });
  try {
    await withProxy(async (front, _seen, lines) => {
      const res = await fetch(`${front}/cut`);
      assertEquals(res.status, 502);
      assertStringIncludes(await res.text(), "missing");
      assertEquals(lines.length, 1);
    }, { upstream: `http://127.0.0.1:${cut.port}/` });
  } finally {
    await cut.close();
  }
});

Deno.test("redirector forwards a chunked upload byte for byte", async () => {
  await withProxy(async (front, seen) => {
    const parts = ["first ", "second ", "x".repeat(100_000), " last"];
    const res = await fetch(`${front}/up`, {
      method: "POST",
      body: ReadableStream.from(parts.map((p) => new TextEncoder().encode(p))),
      duplex: "half",
    } as RequestInit);
    assertEquals(res.status, 201);
    await res.text();
    assertEquals(seen[0]!.body, parts.join(""));
    assertEquals(seen[0]!.headers.get("transfer-encoding"), "chunked");
  });
});

/** Sends raw bytes to the proxy and returns everything it answers until it closes. */
async function rawExchange(front: string, bytes: string): Promise<string> {
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: Number(new URL(front).port),
  });
  await conn.write(new TextEncoder().encode(bytes));
  return new TextDecoder().decode(
    await new Response(conn.readable).arrayBuffer(),
  );
}

Deno.test("redirector refuses bare LF, obs-fold, CONNECT and non-origin targets before the upstream", async (t) => {
  await withProxy(async (front, seen) => {
    const cases: [string, string, string][] = [
      ["bare LF", "GET /x HTTP/1.1\nHost: a\n\n", "400"],
      ["bare LF in a field", "GET /x HTTP/1.1\r\nHost: a\nX: 1\r\n\r\n", "400"],
      ["obs-fold", "GET /x HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n", "400"],
      [
        "conflicting Content-Length",
        "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "400",
      ],
      [
        "CL and TE in one request",
        "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\nConnection: close\r\n\r\n0\r\n\r\n",
        "400",
      ],
      [
        "CONNECT",
        "CONNECT example.invalid:443 HTTP/1.1\r\nHost: example.invalid:443\r\nConnection: close\r\n\r\n",
        "405",
      ],
      [
        "asterisk form",
        "OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        "400",
      ],
    ];
    for (const [name, request, status] of cases) {
      await t.step(name, async () => {
        const reply = await rawExchange(front, request);
        assert(
          reply.startsWith(`HTTP/1.1 ${status} `),
          JSON.stringify(reply.slice(0, 60)),
        );
      });
    }
    assertEquals(seen.length, 0, "nothing reached the upstream");
  });
});

Deno.test("redirector forwards the target byte for byte and keeps /../ inside the path prefix", async () => {
  const upstream = startMockServer(async (peer) => {
    while (true) {
      const line = await peer.readLine();
      if (line === null) return;
      if (line === "") {
        await peer.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
      }
    }
  });
  const front = serveRedirector({
    upstream: `http://127.0.0.1:${upstream.port}/app/`,
    port: 0,
  });
  try {
    for (
      const [target, expected] of [
        ["/q?x='1'&y=%7e", "/app/q?x='1'&y=%7e"],
        ["/a/../../secret", "/app/secret"],
        ["/%2e%2e/%2E%2E/secret", "/app/secret"],
        ["http://elsewhere.invalid/steal", "/app/steal"],
      ]
    ) {
      const reply = await rawExchange(
        `http://127.0.0.1:${front.addr.port}`,
        `GET ${target} HTTP/1.1\r\nHost: front\r\nConnection: close\r\n\r\n`,
      );
      assert(reply.startsWith("HTTP/1.1 200 "), reply.slice(0, 40));
      const line = upstream.received.filter((l) => l.startsWith("GET ")).at(-1);
      assertEquals(line, `GET ${expected} HTTP/1.1`, target);
    }
  } finally {
    await front.shutdown();
    await upstream.close();
  }
});

Deno.test("redirector passes the upstream's reason phrase, header case and order exactly", async () => {
  const upstream = startMockServer(async (peer) => {
    while (true) {
      const line = await peer.readLine();
      if (line === null) return;
      if (line !== "") continue;
      const head =
        "HTTP/1.1 299 Quite Fine Indeed\r\nX-Mixed-Case: 1\r\nset-cookie: a=1\r\n" +
        "Set-Cookie: b=2\r\nX-Obs: caf\xe9\r\nContent-Length: 2\r\n\r\nok";
      // One byte per character: 0xE9 is obs-text, not UTF-8.
      await peer.write(Uint8Array.from(head, (c) => c.charCodeAt(0)));
    }
  });
  const front = serveRedirector({
    upstream: `http://127.0.0.1:${upstream.port}/`,
    port: 0,
  });
  try {
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: front.addr.port,
    });
    await conn.write(
      new TextEncoder().encode(
        "GET / HTTP/1.1\r\nHost: f\r\nConnection: close\r\n\r\n",
      ),
    );
    const bytes = new Uint8Array(
      await new Response(conn.readable).arrayBuffer(),
    );
    const reply = String.fromCharCode(...bytes);
    assert(reply.startsWith("HTTP/1.1 299 Quite Fine Indeed\r\n"), reply);
    assertStringIncludes(
      reply,
      "X-Mixed-Case: 1\r\nset-cookie: a=1\r\nSet-Cookie: b=2\r\nX-Obs: caf\xe9\r\n",
      "obs-text goes on as the same byte",
    );
    assert(reply.endsWith("\r\n\r\nok"));
  } finally {
    await front.shutdown();
    await upstream.close();
  }
});

Deno.test("redirector serves HTTPS with --cert/--key and says https upstream and in rewritten locations", async () => {
  const { caCert, cert, key } = await testCerts();
  const seen: Seen[] = [];
  const upstream = startUpstream(seen);
  const front = serveRedirector({
    upstream: `http://127.0.0.1:${upstream.addr.port}/app/`,
    port: 0,
    cert,
    key,
  });
  const client = new HttpClient();
  try {
    const base = `https://localhost:${front.addr.port}`;
    const res = await client.request(`${base}/redirect`, {
      caCerts: [caCert],
    });
    assertEquals(res.status, 302);
    assertEquals(res.headers.get("location"), `${base}/landing?x=1`);
    await res.bytes();
    assertEquals(seen[0]!.headers.get("x-forwarded-proto"), "https");
    const plain = await Deno.connect({
      hostname: "127.0.0.1",
      port: front.addr.port,
    });
    await plain.write(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"));
    const reply = await new Response(plain.readable).arrayBuffer().catch(() =>
      new ArrayBuffer(0)
    );
    assert(
      !new TextDecoder().decode(reply).startsWith("HTTP/1.1 2"),
      "plain HTTP is not served on the TLS port",
    );
  } finally {
    client.close();
    await front.shutdown();
    await upstream.shutdown();
  }
});

Deno.test("serveRedirector refuses a certificate without its key", () => {
  assertThrows(
    () => serveRedirector({ upstream: "http://127.0.0.1:1/", cert: "x" }),
    TypeError,
  );
});
