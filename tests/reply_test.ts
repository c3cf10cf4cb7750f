import {
  codeMatches,
  isFinalLine,
  parseReplyLine,
} from "../protocols/reply.ts";
import { ProtocolError } from "../protocols/errors.ts";
import { assert, assertEquals, assertThrows } from "./_assert.ts";

Deno.test("parseReplyLine() parses final and continuation lines", {
  permissions: "none",
}, () => {
  assertEquals(parseReplyLine("220 Service ready"), {
    code: 220,
    separator: " ",
    text: "Service ready",
  });
  assertEquals(parseReplyLine("211-Features:"), {
    code: 211,
    separator: "-",
    text: "Features:",
  });
  assertEquals(parseReplyLine("200"), { code: 200, separator: " ", text: "" });
});

Deno.test("parseReplyLine() rejects garbage", { permissions: "none" }, () => {
  for (
    const line of [
      "",
      "22",
      "abc def",
      "2200 x",
      "22a ok",
      "099 low",
      "220\tx",
      "HTTP/1.1 200",
    ]
  ) {
    assertThrows(
      () => parseReplyLine(line),
      ProtocolError,
      "Malformed reply line",
    );
  }
});

Deno.test("codeMatches() treats the expectation as a prefix", {
  permissions: "none",
}, () => {
  assert(codeMatches(226, 2));
  assert(codeMatches(226, 22));
  assert(codeMatches(226, 226));
  assert(!codeMatches(226, 225));
  assert(codeMatches(550, 0));
  assert(codeMatches(150, [125, 150]));
  assert(!codeMatches(425, [1, 2]));
});

Deno.test("isFinalLine() needs the same code and a space", {
  permissions: "none",
}, () => {
  assert(isFinalLine(230, "230 done"));
  assert(isFinalLine(230, "230"));
  assert(!isFinalLine(230, "230-more"));
  assert(!isFinalLine(230, "231 other"));
  assert(!isFinalLine(230, " 230 indented"));
});
