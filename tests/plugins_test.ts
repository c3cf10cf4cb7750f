import { ftpPlugin } from "../plugins/ftp.ts";
import { nntpPlugin } from "../plugins/nntp.ts";
import { ProtocolRegistry } from "../plugins/registry.ts";
import { startFtpFixture } from "../scripts/_ftp_fixture_server.ts";
import {
  sampleGroups,
  startNntpFixtureServer,
} from "../scripts/_nntp_fixture_server.ts";
import { assert, assertEquals, assertStringIncludes } from "./_assert.ts";

Deno.test("ftp plugin downloads, lists and maps 550 to 404", async () => {
  const server = startFtpFixture({
    files: {
      "/pub/hello.txt": "hello over ftp\n",
      "/pub/sub/inner.bin": new Uint8Array(70_000).fill(7),
      "/pub/two  spaces.txt": "x",
    },
  });
  const registry = new ProtocolRegistry().register(ftpPlugin());
  const base = server.url.replace(/\/$/, "");
  try {
    const res = await registry.fetch(`${base}/pub/hello.txt`);
    assertEquals(res.status, 200);
    assertEquals(res.headers.get("content-length"), "15");
    assert(res.headers.get("last-modified"));
    assertEquals(await res.text(), "hello over ftp\n");

    const big = await registry.fetch(`${base}/pub/sub/inner.bin`);
    assertEquals((await big.arrayBuffer()).byteLength, 70_000);

    const names: string[] = [];
    for await (const e of registry.list(`${base}/pub/`)) {
      names.push(`${e.type}:${e.name}:${e.url}`);
    }
    assertEquals(names.sort(), [
      `dir:sub:${base}/pub/sub/`,
      `file:hello.txt:${base}/pub/hello.txt`,
      `file:two  spaces.txt:${base}/pub/two%20%20spaces.txt`,
    ]);
    const listing = await (await registry.fetch(`${base}/pub/`)).text();
    assertStringIncludes(listing, "hello.txt");

    const missing = await registry.fetch(`${base}/pub/nope.txt`);
    assertEquals(missing.status, 404);
    assertStringIncludes(missing.headers.get("x-inetkit-reply") ?? "", "550");
    await missing.text();

    const cancelled = await registry.fetch(`${base}/pub/sub/inner.bin`);
    await cancelled.body?.cancel();
  } finally {
    await registry.close();
    await server.close();
  }
});

Deno.test("nntp plugin fetches articles by number and message-id and lists a group", async () => {
  const server = startNntpFixtureServer({ groups: sampleGroups() });
  const registry = new ProtocolRegistry().register(nntpPlugin());
  const base = `nntp://127.0.0.1:${server.port}`;
  try {
    const byNumber = await registry.fetch(`${base}/fixture.news/1`);
    assertEquals(byNumber.status, 200);
    assertEquals(byNumber.headers.get("content-type"), "message/rfc822");
    const text = await byNumber.text();
    assertStringIncludes(text, "Message-ID: <news.1@fixture.invalid>");
    assertStringIncludes(text, "\r\n\r\n");

    const byId = await registry.fetch(
      `news://127.0.0.1:${server.port}/news.2@fixture.invalid`,
    );
    assertStringIncludes(await byId.text(), "<news.2@fixture.invalid>");

    const entries = [];
    for await (const e of registry.list(`${base}/fixture.news`)) {
      entries.push(e);
    }
    assert(entries.length > 10);
    assertEquals(entries[0]!.url, `${base}/fixture.news/1`);

    const missing = await registry.fetch(`${base}/fixture.news/99999`);
    assertEquals(missing.status, 404);
    await missing.text();
    const noGroup = await registry.fetch(`${base}/no.such.group`);
    assertEquals(noGroup.status, 404);
    await noGroup.text();
  } finally {
    await registry.close();
    await server.close();
  }
});
