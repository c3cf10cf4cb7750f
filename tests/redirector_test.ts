import { createRedirector } from "../scripts/redirector.ts";
import { HttpClient } from "../protocols/http.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "./_assert.ts";
import { startMockServer } from "./_mock_server.ts";

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
  const handler = createRedirector({
    upstream: options.upstream ?? `http://127.0.0.1:${upstream.addr.port}/app/`,
    log: (l) => lines.push(l),
    client,
    ...(options.trustForwarded ? { trustForwarded: true } : {}),
    ...(options.preserveHost ? { preserveHost: true } : {}),
    ...(options.timeout ? { timeout: options.timeout } : {}),
  });
  const front = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    handler,
  );
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
      // Deno.serve writes the standard reason phrase whatever statusText says.
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
