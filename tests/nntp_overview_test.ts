import {
  DEFAULT_OVERVIEW_FORMAT,
  type OverviewEntry,
  parseOverviewFormat,
  parseOverviewLine,
} from "../protocols/nntp_overview.ts";
import { assert, assertEquals } from "./_assert.ts";

/** LIST OVERVIEW.FMT as INN 2.7 answers it. */
const INN_FORMAT = [
  "Subject:",
  "From:",
  "Date:",
  "Message-ID:",
  "References:",
  "Bytes:",
  "Lines:",
  "Xref:full",
];

/** The same format in RFC 3977 spelling. */
const RFC_FORMAT = [
  "Subject:",
  "From:",
  "Date:",
  "Message-ID:",
  "References:",
  ":bytes",
  ":lines",
  "Xref:full",
  "Newsgroups:",
];

Deno.test("parseOverviewFormat() reads both spellings and the full suffix", {
  permissions: "none",
}, async (t) => {
  await t.step("INN (RFC 2980) spelling", () => {
    const format = parseOverviewFormat(INN_FORMAT);
    assertEquals(format.map((f) => f.key), [
      "subject",
      "from",
      "date",
      "message-id",
      "references",
      "bytes",
      "lines",
      "xref",
    ]);
    assertEquals(format[5], {
      name: "Bytes",
      key: "bytes",
      full: false,
      metadata: true,
    });
    assertEquals(format[7], {
      name: "Xref",
      key: "xref",
      full: true,
      metadata: false,
    });
  });
  await t.step("RFC 3977 spelling", () => {
    const format = parseOverviewFormat(RFC_FORMAT);
    assertEquals(format[5], {
      name: "bytes",
      key: "bytes",
      full: false,
      metadata: true,
    });
    assertEquals(format[6]?.key, "lines");
    assertEquals(format[8], {
      name: "Newsgroups",
      key: "newsgroups",
      full: false,
      metadata: false,
    });
  });
  await t.step("case, whitespace and blank lines", () => {
    const format = parseOverviewFormat([
      " subject: ",
      "",
      "XREF:FULL",
      "Message-ID",
    ]);
    assertEquals(format, [
      { name: "subject", key: "subject", full: false, metadata: false },
      { name: "XREF", key: "xref", full: true, metadata: false },
      { name: "Message-ID", key: "message-id", full: false, metadata: false },
    ]);
  });
  await t.step("the default format is RFC 3977 §8.4", () => {
    assertEquals(
      DEFAULT_OVERVIEW_FORMAT,
      parseOverviewFormat(RFC_FORMAT.slice(0, 7)),
    );
  });
});

Deno.test("parseOverviewLine() parses INN lines with Xref:full", {
  permissions: "none",
}, async (t) => {
  const format = parseOverviewFormat(INN_FORMAT);
  await t.step("a reply with references", () => {
    const line = [
      "12",
      "Re: Big #12: quick brown fox",
      "User 12 <user12@example.invalid>",
      "Mon, 01 Jan 2024 00:12:00 +0000",
      "<big.12@lab.test>",
      "<big.11@lab.test> <big.11b@lab.test>",
      "920",
      "14",
      "Xref: nntp.lab.test local.big:12",
    ].join("\t");
    assertEquals(
      parseOverviewLine(line, format),
      {
        number: 12,
        subject: "Re: Big #12: quick brown fox",
        from: "User 12 <user12@example.invalid>",
        date: "Mon, 01 Jan 2024 00:12:00 +0000",
        messageId: "<big.12@lab.test>",
        references: ["<big.11@lab.test>", "<big.11b@lab.test>"],
        bytes: 920,
        lines: 14,
        extra: { xref: "nntp.lab.test local.big:12" },
      } satisfies OverviewEntry,
    );
  });
  await t.step("empty fields are kept empty", () => {
    const entry = parseOverviewLine("7\t\t\t\t<7@x>\t\t\t\t", format);
    assertEquals(entry, {
      number: 7,
      subject: "",
      from: "",
      date: "",
      messageId: "<7@x>",
      references: [],
      extra: {},
    });
  });
  await t.step("the subject is raw, not decoded", () => {
    const entry = parseOverviewLine(
      "1\t=?UTF-8?B?w6k=?=\ta\td\t<1@x>\t\t1\t1\tXref: h g:1",
      format,
    );
    assertEquals(entry?.subject, "=?UTF-8?B?w6k=?=");
  });
  await t.step("hostile subjects are passed through untouched", () => {
    const subject = `<script>alert(1)</script> & "x" < 'y'`;
    const entry = parseOverviewLine(
      `500\t${subject}\ta\td\t<500@x>\t\t1\t1`,
      format,
    );
    assertEquals(entry?.subject, subject);
  });
  await t.step("a full value without its prefix is kept", () => {
    const entry = parseOverviewLine("1\ts\tf\td\t<1@x>\t\t1\t1\th g:1", format);
    assertEquals(entry?.extra, { xref: "h g:1" });
  });
  await t.step("prefix matching ignores case", () => {
    const entry = parseOverviewLine(
      "1\ts\tf\td\t<1@x>\t\t1\t1\txref:h g:1",
      format,
    );
    assertEquals(entry?.extra, { xref: "h g:1" });
  });
});

Deno.test("parseOverviewLine() follows the format's order", {
  permissions: "none",
}, async (t) => {
  await t.step("extra headers after the seven", () => {
    const format = parseOverviewFormat(RFC_FORMAT);
    const entry = parseOverviewLine(
      "5\ts\tf\td\t<5@x>\t\t100\t3\tXref: h a:5 b:7\tlocal.test,local.big",
      format,
    );
    assertEquals(entry?.extra, {
      xref: "h a:5 b:7",
      newsgroups: "local.test,local.big",
    });
  });
  await t.step("fields missing at the end are empty", () => {
    const entry = parseOverviewLine(
      "5\ts\tf\td\t<5@x>\t",
      DEFAULT_OVERVIEW_FORMAT,
    );
    assertEquals(entry?.bytes, undefined);
    assertEquals(entry?.lines, undefined);
    assertEquals(entry?.messageId, "<5@x>");
  });
  await t.step("more fields than the format are ignored", () => {
    const entry = parseOverviewLine(
      "5\ts\tf\td\t<5@x>\t\t1\t2\tmore\tstill more",
      DEFAULT_OVERVIEW_FORMAT,
    );
    assertEquals(entry?.extra, {});
    assertEquals(entry?.lines, 2);
  });
  await t.step("a reordered format", () => {
    const format = parseOverviewFormat(["Message-ID:", "Subject:", "From:"]);
    const entry = parseOverviewLine("9\t<9@x>\thello\tme", format);
    assertEquals(entry?.messageId, "<9@x>");
    assertEquals(entry?.subject, "hello");
    assertEquals(entry?.from, "me");
  });
  await t.step("non-numeric bytes and lines are left out", () => {
    const entry = parseOverviewLine(
      "5\ts\tf\td\t<5@x>\t\tmany\t-1",
      DEFAULT_OVERVIEW_FORMAT,
    );
    assertEquals(entry?.bytes, undefined);
    assertEquals(entry?.lines, undefined);
  });
  await t.step(
    "references separated by tabs turned spaces and runs of spaces",
    () => {
      const entry = parseOverviewLine(
        "5\ts\tf\td\t<5@x>\t  <1@x>   <2@x>  \t1\t1",
        DEFAULT_OVERVIEW_FORMAT,
      );
      assertEquals(entry?.references, ["<1@x>", "<2@x>"]);
    },
  );
  await t.step("article number 0 (OVER by message-id)", () => {
    const entry = parseOverviewLine(
      "0\ts\tf\td\t<5@x>\t\t1\t1",
      DEFAULT_OVERVIEW_FORMAT,
    );
    assertEquals(entry?.number, 0);
  });
});

Deno.test("parseOverviewLine() returns null for garbage lines", {
  permissions: "none",
}, () => {
  const garbage = [
    "",
    "this is not an overview line",
    "\ts\tf\td\t<1@x>\t\t1\t1",
    "x12\ts\tf\td\t<1@x>\t\t1\t1",
    "12x\ts\tf\td\t<1@x>\t\t1\t1",
    "-1\ts\tf\td\t<1@x>\t\t1\t1",
    " 1\ts\tf\td\t<1@x>\t\t1\t1",
    "1.5\ts\tf\td\t<1@x>\t\t1\t1",
    "99999999999999999\ts\tf\td\t<1@x>\t\t1\t1",
    "12",
    "12\tsubject only",
    "12\ts\tf\td\t<1@x>",
    ".",
    "224 Overview information follows",
  ];
  for (const line of garbage) {
    assertEquals(
      parseOverviewLine(line, DEFAULT_OVERVIEW_FORMAT),
      null,
      JSON.stringify(line),
    );
  }
});

Deno.test("parseOverviewLine() parses 100,000 lines", {
  permissions: "none",
}, () => {
  const format = parseOverviewFormat(INN_FORMAT);
  let hits = 0;
  for (let n = 1; n <= 100_000; n++) {
    const line = `${n}\tBig #${n}: quick brown fox${
      n % 100 === 0 ? " about deno runtime" : ""
    }\tUser ${n % 50} <user${
      n % 50
    }@example.invalid>\tMon, 01 Jan 2024 00:00:00 +0000\t<big.${n}@lab.test>\t<big.1@lab.test> <big.${
      n - 1
    }@lab.test>\t920\t12\tXref: nntp.lab.test local.big:${n}`;
    const entry = parseOverviewLine(line, format);
    assert(entry !== null);
    if (entry.subject.includes("deno")) hits++;
  }
  assertEquals(hits, 1000);
});
