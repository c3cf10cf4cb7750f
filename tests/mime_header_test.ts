import { decodeHeader, unfoldHeader } from "../protocols/mime_header.ts";
import { assertEquals } from "./_assert.ts";

/** Builds a `B` word the way the lab's populate.py does. */
function bWord(text: string, charset = "UTF-8"): string {
  const bytes = charset === "UTF-8"
    ? new TextEncoder().encode(text)
    : Uint8Array.from(text, (c) => c.charCodeAt(0));
  return `=?${charset}?B?${btoa(String.fromCharCode(...bytes))}?=`;
}

/** Builds a `Q` word the way the lab's populate.py does. */
function qWord(text: string, charset = "UTF-8"): string {
  const bytes = charset === "UTF-8"
    ? new TextEncoder().encode(text)
    : Uint8Array.from(text, (c) => c.charCodeAt(0));
  let out = "";
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    if (c === " ") out += "_";
    else if (/[A-Za-z0-9]/.test(c)) out += c;
    else out += "=" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return `=?${charset}?Q?${out}?=`;
}

Deno.test(
  "decodeHeader() decodes the RFC 2047 cases of the INN lab's local.utf8",
  {
    permissions: "none",
  },
  async (t) => {
    const cases: [string, string, string][] = [
      ["UTF-8 B", bWord("Grüße aus Köln"), "Grüße aus Köln"],
      [
        "UTF-8 B From",
        `${bWord("José Müller")} <jose@example.invalid>`,
        "José Müller <jose@example.invalid>",
      ],
      ["Latin-1 Q", "=?ISO-8859-1?Q?Caf=E9_cr=E8me?=", "Café crème"],
      [
        "Latin-1 Q From",
        qWord("François Lefèvre", "ISO-8859-1") + " <francois@example.invalid>",
        "François Lefèvre <francois@example.invalid>",
      ],
      ["Japanese in Q", qWord("日本語のテスト"), "日本語のテスト"],
      ["Re: + B word", `Re: ${bWord("Ünïcödé Deno")}`, "Re: Ünïcödé Deno"],
      [
        "hostile HTML in a word stays text",
        bWord("<script>alert('x')</script> & ü"),
        "<script>alert('x')</script> & ü",
      ],
      [
        "words mixed with ASCII",
        "Mixed ascii " + qWord("ÄÖÜ") + " and " + bWord("ß€"),
        "Mixed ascii ÄÖÜ and ß€",
      ],
      [
        "adjacent words",
        qWord("adjacent") + " " + qWord(" words"),
        "adjacent words",
      ],
      [
        "lowercase q",
        "=?utf-8?q?lower=5Fcase_charset_=C3=A9?=",
        "lower_case charset é",
      ],
      ["Q with deno", "=?UTF-8?Q?DENO_=C3=BCber_alles?=", "DENO über alles"],
      [
        "raw UTF-8 Cyrillic",
        "Raw UTF-8 subject: Привет мир",
        "Raw UTF-8 subject: Привет мир",
      ],
      [
        "raw UTF-8 emoji",
        "Raw UTF-8 emoji 🎉 and deno 🦕",
        "Raw UTF-8 emoji 🎉 and deno 🦕",
      ],
      [
        "Latin-1 Q + raw HTML",
        qWord("Straße", "ISO-8859-1") + " <b>&</b>",
        "Straße <b>&</b>",
      ],
      ["ISO-8859-15 euro", "=?ISO-8859-15?Q?Euro_=A4_sign?=", "Euro € sign"],
      [
        "base64 without padding",
        "=?UTF-8?B?QnJva2VuIGJhc2U2NCDDqQ?=",
        "Broken base64 é",
      ],
      [
        "unknown charset kept raw",
        "=?x-unknown?Q?unknown_charset?=",
        "=?x-unknown?Q?unknown_charset?=",
      ],
      [
        "not an encoded word",
        "Not =?an encoded word?= at all",
        "Not =?an encoded word?= at all",
      ],
      [
        "folded over two lines, one word on each",
        bWord("A long encoded subject that is folded over two header lines ") +
        "\r\n " +
        bWord("A long encoded subject that is folded over two header lines"),
        "A long encoded subject that is folded over two header lines " +
        "A long encoded subject that is folded over two header lines",
      ],
    ];
    for (const [name, raw, expected] of cases) {
      await t.step(name, () => assertEquals(decodeHeader(raw), expected));
    }
  },
);

Deno.test("decodeHeader() handles charsets TextDecoder knows", {
  permissions: "none",
}, async (t) => {
  const cases: [string, string][] = [
    ["=?windows-1252?Q?=93quoted=94_=80?=", "\u201cquoted\u201d €"],
    ["=?KOI8-R?B?8NLJ18XU?=", "Привет"],
    ["=?Shift_JIS?B?k/qWe4zq?=", "日本語"],
    ["=?EUC-JP?B?xvzL3Ljs?=", "日本語"],
    ["=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=", "日本語"],
    ["=?GB2312?B?1tDOxA==?=", "中文"],
    ["=?gbk?B?1tDOxA==?=", "中文"],
    ["=?Big5?B?pKSk5Q==?=", "中文"],
    ["=?us-ascii?q?plain_text?=", "plain text"],
    ["=?iso-8859-2?q?=B1?=", "ą"],
    ["=?ISO-8859-7?Q?=E1=E2=E3?=", "αβγ"],
    ["=?cp1251?Q?=CF=F0=E8?=", "При"],
    ["=?latin1?Q?=E9?=", "é"],
    ["=?utf8?Q?=C3=A9?=", "é"],
    ["=?EUC-KR?B?vsiz58fPvLy/5A==?=", "안녕하세요"],
    // RFC 2781: UTF-16 is big-endian unless a byte-order mark says otherwise.
    ["=?UTF-16?B?AGEAYg==?=", "ab"],
    ["=?utf-16?B?/v8AYQBi?=", "ab"],
    ["=?utf-16?B?//5hAGIA?=", "ab"],
    ["=?UTF-16LE?B?YQBiAA==?=", "ab"],
    ["=?UTF-16BE?B?AGEAYg==?=", "ab"],
  ];
  for (const [raw, expected] of cases) {
    await t.step(raw, () => assertEquals(decodeHeader(raw), expected));
  }
});

Deno.test("decodeHeader() follows RFC 2047 details", {
  permissions: "none",
}, async (t) => {
  await t.step("drops an RFC 2231 language suffix", () => {
    assertEquals(decodeHeader("=?UTF-8*en?Q?hello_world?="), "hello world");
    assertEquals(decodeHeader("=?us-ascii*en-US?B?SGk=?="), "Hi");
  });
  await t.step("accepts lowercase b and mixed-case charsets", () => {
    assertEquals(decodeHeader("=?uTf-8?b?w6k=?="), "é");
  });
  await t.step("keeps whitespace between a word and plain text", () => {
    assertEquals(decodeHeader("a =?UTF-8?Q?b?= c"), "a b c");
    assertEquals(decodeHeader("(=?UTF-8?Q?b?=)"), "(b)");
  });
  await t.step("drops tabs and folds between adjacent words", () => {
    assertEquals(decodeHeader("=?UTF-8?Q?a?=\t =?UTF-8?Q?b?="), "ab");
    assertEquals(decodeHeader("=?UTF-8?Q?a?=\r\n =?ISO-8859-1?Q?=E9?="), "aé");
  });
  await t.step("joins a character split across two words", () => {
    // "é" is C3 A9 in UTF-8: one byte in each word.
    assertEquals(decodeHeader("=?UTF-8?Q?caf=C3?= =?UTF-8?Q?=A9?="), "café");
    assertEquals(decodeHeader("=?UTF-8?B?w6k=?= =?UTF-8?B?w6k=?="), "éé");
  });
  await t.step("decodes an empty word to nothing", () => {
    assertEquals(decodeHeader("a =?UTF-8?Q??= b"), "a  b");
  });
  await t.step("reads invalid UTF-8 in a UTF-8 word as windows-1252", () => {
    assertEquals(decodeHeader("=?UTF-8?Q?Caf=E9?="), "Café");
  });
  await t.step("keeps a stray = in a Q word", () => {
    assertEquals(decodeHeader("=?UTF-8?Q?1=2_=ZZ?="), "1=2 =ZZ");
  });
  await t.step("decodes words not separated from text, as readers do", () => {
    assertEquals(decodeHeader("x=?UTF-8?Q?=C3=A9?=y"), "xéy");
  });
  await t.step("decodes a word after a stray =?", () => {
    assertEquals(decodeHeader("=?=?UTF-8?Q?a?="), "=?a");
  });
});

Deno.test("decodeHeader() keeps bad encoded words raw and never throws", {
  permissions: "none",
}, async (t) => {
  const raw = [
    "=?UTF-8?B?not*base64?=",
    "=?UTF-8?B?QUJDR?=",
    "=?UTF-8?B?QU=JD?=",
    "=?UTF-8?X?abc?=",
    "=?replacement?Q?abc?=",
    "=?iso-2022-kr?Q?abc?=",
    "=?UTF-8?Q?has space?=",
    "=?UTF-8?Q?unterminated",
    "=??Q?abc?=",
    "=?UTF-8?Q?caf\u00e9?=",
    "=?",
    "?=",
    "=?=?=?=?",
  ];
  for (const value of raw) {
    await t.step(JSON.stringify(value), () => {
      assertEquals(decodeHeader(value), value);
    });
  }
  await t.step("a bad word between good ones keeps its spaces", () => {
    assertEquals(
      decodeHeader("=?UTF-8?Q?a?= =?x-unknown?Q?b?= =?UTF-8?Q?c?="),
      "a =?x-unknown?Q?b?= c",
    );
  });
  await t.step("random input", () => {
    let seed = 42;
    const alphabet = "=?QBqb_-aZ09+/ \t\r\n\u00e9\u{1F995}";
    for (let i = 0; i < 2000; i++) {
      let s = "";
      const n = i % 40;
      for (let j = 0; j < n; j++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        s += [...alphabet][seed % [...alphabet].length];
      }
      decodeHeader(s);
      decodeHeader(new TextEncoder().encode(s));
    }
  });
});

Deno.test("decodeHeader() decodes raw header bytes", {
  permissions: "none",
}, async (t) => {
  await t.step("UTF-8 when valid", () => {
    const bytes = new TextEncoder().encode("Дмитрий <d@example.invalid>");
    assertEquals(decodeHeader(bytes), "Дмитрий <d@example.invalid>");
  });
  await t.step("windows-1252 when not valid UTF-8", () => {
    assertEquals(
      decodeHeader(Uint8Array.of(0x43, 0x61, 0x66, 0xe9, 0x20, 0x80)),
      "Café €",
    );
  });
  await t.step("ASCII with encoded words", () => {
    const bytes = new TextEncoder().encode("Re: =?UTF-8?B?w6k=?=\r\n x");
    assertEquals(decodeHeader(bytes), "Re: é x");
  });
});

Deno.test("decodeHeader() returns plain ASCII unchanged", {
  permissions: "none",
}, () => {
  const s = "Big #100: quick brown fox about deno runtime";
  assertEquals(decodeHeader(s), s);
  assertEquals(decodeHeader(""), "");
  for (let i = 0; i < 100_000; i++) decodeHeader(s);
});

Deno.test("unfoldHeader() joins folded lines", {
  permissions: "none",
}, async (t) => {
  await t.step("CRLF and LF followed by whitespace", () => {
    assertEquals(unfoldHeader("a\r\n b"), "a b");
    assertEquals(unfoldHeader("a\n\tb"), "a\tb");
    assertEquals(unfoldHeader("<a>\r\n <b>\r\n\t<c>"), "<a> <b>\t<c>");
  });
  await t.step("a line break without whitespace becomes a space", () => {
    assertEquals(unfoldHeader("a\r\nb"), "a b");
    assertEquals(unfoldHeader("a\rb"), "a b");
  });
  await t.step("a trailing line break is dropped", () => {
    assertEquals(unfoldHeader("a\r\n"), "a");
    assertEquals(unfoldHeader("a\n"), "a");
  });
  await t.step("a value without line breaks is returned as is", () => {
    assertEquals(unfoldHeader("a  b\t"), "a  b\t");
  });
});
