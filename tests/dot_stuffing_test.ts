import { dotStuff, DotStuffer } from "../protocols/dot_stuffing.ts";
import { assertEquals } from "./_assert.ts";

const dec = new TextDecoder();
const enc = new TextEncoder();

Deno.test("dotStuff() doubles leading dots and ends the block", {
  permissions: "none",
}, () => {
  assertEquals(
    dec.decode(dotStuff(".\n..\n.a\nb.c\n")),
    "..\r\n...\r\n..a\r\nb.c\r\n.\r\n",
  );
  assertEquals(dec.decode(dotStuff("")), ".\r\n");
  assertEquals(dec.decode(dotStuff("no newline")), "no newline\r\n.\r\n");
  assertEquals(
    dec.decode(dotStuff("crlf\r\n.dot\r\n")),
    "crlf\r\n..dot\r\n.\r\n",
  );
  assertEquals(dec.decode(dotStuff("bare\rcr")), "bare\r\ncr\r\n.\r\n");
});

Deno.test("DotStuffer handles CRLF and dots split across chunks", {
  permissions: "none",
}, () => {
  const s = new DotStuffer();
  const parts = ["line\r", "\n", ".", "x\r", "\n.", "\r\n"].map((p) =>
    dec.decode(s.push(enc.encode(p)))
  );
  assertEquals(
    parts.join("") + dec.decode(s.end()),
    "line\r\n..x\r\n..\r\n.\r\n",
  );
});
