import {
  MAX_PATTERN_LENGTH,
  MAX_SCORED_TEXT_LENGTH,
  MAX_SCORED_TEXT_LENGTH_TWO_REPETITIONS,
  parseScoreFile,
  SCORE_HIDE,
  SCORE_HOT,
  scoreArticle,
  ScoreFileSyntaxError,
} from "../scripts/_score.ts";
import { assertEquals, assertInstanceOf, assertThrows } from "./_assert.ts";

Deno.test("parseScoreFile() reads rules, comments and sections", {
  permissions: "none",
}, async (t) => {
  const rules = parseScoreFile([
    "# news_viewer score file",
    "",
    "Subject: deno|node = +100",
    "  From:   spammer@example\\.invalid   =   -9999  ",
    "message-id: a=b = 5",
    "[local.*, !local.big]",
    "Subject: \\bbench = +50",
    "[*]",
    "Xref: local\\.test = -10",
  ].join("\r\n"));
  await t.step("fields, patterns and scores", () => {
    assertEquals(
      rules.map((r) => [r.field, r.pattern.source, r.score, r.line]),
      [
        ["subject", "deno|node", 100, 3],
        ["from", "spammer@example\\.invalid", -9999, 4],
        ["message-id", "a=b", 5, 5],
        ["subject", "\\bbench", 50, 7],
        ["xref", "local\\.test", -10, 9],
      ],
    );
    assertEquals(rules.every((r) => r.pattern.flags === "i"), true);
  });
  await t.step("sections", () => {
    assertEquals(rules[3]!.groups, ["local.*", "!local.big"]);
    assertEquals(rules[4]!.groups, undefined);
    assertEquals(rules[0]!.groups, undefined);
  });
  await t.step("an empty file has no rules", () => {
    assertEquals(parseScoreFile(""), []);
    assertEquals(parseScoreFile("# only a comment\n\n"), []);
  });
});

Deno.test("parseScoreFile() throws a SyntaxError with the line number", {
  permissions: "none",
}, async (t) => {
  const bad: [string, string][] = [
    ["no score", "Subject: deno"],
    ["no field", ": deno = 5"],
    ["bad field", "Sub ject: deno = 5"],
    ["bad score", "Subject: deno = lots"],
    ["fractional score", "Subject: deno = 1.5"],
    ["huge score", "Subject: deno = 99999999999"],
    ["empty pattern", "Subject: = 5"],
    ["invalid regex", "Subject: (unclosed = 5"],
    ["invalid regex class", "Subject: [z-a] = 5"],
    ["nested quantifier", "Subject: (a+)+$ = 5"],
    ["nested quantifier in braces", "Subject: (a*){2,} = 5"],
    ["repeated alternation", "Subject: (a|aa)*b = 5"],
    ["nested group repetition", "Subject: ((ab)*c)+ = 5"],
    ["back-reference", "Subject: (a)\\1 = 5"],
    ["named back-reference", "Subject: (?<x>a)\\k<x> = 5"],
    ["three unbounded repetitions", "Subject: .*.*.*x = 5"],
    [
      "three unbounded repetitions, literals between",
      "Subject: a.*b+c{2,}d = 5",
    ],
    ["a large {n,m} bound counts as unbounded", "Subject: .*.+.{1,100}x = 5"],
    ["too long", `Subject: ${"a".repeat(MAX_PATTERN_LENGTH + 1)} = 5`],
    ["unclosed section", "[local.*"],
    ["empty section", "[]"],
    ["garbage", "hello world"],
  ];
  for (const [name, line] of bad) {
    await t.step(name, () => {
      const err = assertThrows(
        () => parseScoreFile(`# comment\n\n${line}\n`),
        ScoreFileSyntaxError,
        "line 3",
      );
      assertInstanceOf(err, SyntaxError);
      assertEquals(err.line, 3);
    });
  }
  await t.step("the message quotes the pattern and the reason", () => {
    const err = assertThrows(
      () => parseScoreFile("Subject: (a+)+ = 5"),
      SyntaxError,
    );
    assertEquals(
      err.message,
      'Invalid score file line 1: pattern "(a+)+" repeats a group that contains a repetition or an alternative, which can take exponential time',
    );
  });
  await t.step("safe patterns are accepted", () => {
    for (
      const p of [
        "(foo|bar)",
        "(?:foo|bar)?",
        "(ab)+",
        "a+b*c{2}",
        "deno.*runtime.*2",
        "a{1,16}b{2,16}c{3,16}.*",
        "[*+]{1,2}\\*\\+",
        "(a+){1}",
        "[(+*]+",
        "\\(a+\\)+",
        "^Re: ",
        "x{1,}",
      ]
    ) {
      parseScoreFile(`Subject: ${p} = 1`);
    }
  });
});

Deno.test("scoreArticle() adds up the matching rules", {
  permissions: "none",
}, async (t) => {
  const rules = parseScoreFile([
    "Subject: deno = +100",
    "Subject: runtime = +20",
    "From: mallory = -9999",
    "Xref: local\\.big = -5",
    "[local.*, !local.big]",
    "Subject: \\bnode\\b = +7",
    "[comp.lang.[jt]s]",
    "Subject: types = +3",
  ].join("\n"));
  await t.step("case-insensitive, anywhere in the value", () => {
    assertEquals(scoreArticle(rules, { subject: "Re: DeNo runtime" }), 120);
    assertEquals(scoreArticle(rules, { subject: "nothing" }), 0);
  });
  await t.step("missing fields do not match", () => {
    assertEquals(scoreArticle(rules, {}), 0);
    assertEquals(scoreArticle(rules, { from: undefined }), 0);
  });
  await t.step("a hostile poster is hidden", () => {
    const score = scoreArticle(rules, {
      subject: "<script>alert(1)</script> deno",
      from: '"Mallory" <mallory@example.invalid>',
    });
    assertEquals(score, 100 - 9999);
    assertEquals(score <= SCORE_HIDE, true);
  });
  await t.step("sections need a matching group", () => {
    assertEquals(scoreArticle(rules, { subject: "node" }), 0);
    assertEquals(
      scoreArticle(rules, { subject: "node" }, { group: "local.test" }),
      7,
    );
    assertEquals(
      scoreArticle(rules, { subject: "node" }, { group: "local.big" }),
      0,
    );
    assertEquals(
      scoreArticle(rules, { subject: "types" }, { group: "comp.lang.ts" }),
      3,
    );
    assertEquals(
      scoreArticle(rules, { subject: "types" }, { group: "comp.lang.rs" }),
      0,
    );
  });
  await t.step("the thresholds", () => {
    assertEquals(SCORE_HOT, 100);
    assertEquals(SCORE_HIDE, -1000);
    assertEquals(scoreArticle(rules, { subject: "deno" }) >= SCORE_HOT, true);
  });
  await t.step("long values are matched on their start only", () => {
    const long = "x".repeat(MAX_SCORED_TEXT_LENGTH) + " deno";
    assertEquals(scoreArticle(rules, { subject: long }), 0);
    assertEquals(scoreArticle(rules, { subject: "deno " + long }), 100);
  });
  await t.step("two unbounded repetitions match a shorter start", () => {
    const [two, one] = parseScoreFile(
      "Subject: deno.*run.*time = 1\nSubject: deno.*runtime = 2",
    );
    assertEquals(two!.maxTextLength, MAX_SCORED_TEXT_LENGTH_TWO_REPETITIONS);
    assertEquals(one!.maxTextLength, undefined);
    const pad = "x".repeat(MAX_SCORED_TEXT_LENGTH_TWO_REPETITIONS);
    assertEquals(
      scoreArticle([two!, one!], { subject: pad + "deno runtime" }),
      2,
    );
    assertEquals(scoreArticle([two!, one!], { subject: "deno runtime" }), 3);
  });
  await t.step("a crafted subject against two repetitions stays short", () => {
    // `.*.*x` backtracks cubically: on 2,048 characters it takes seconds.
    const [rule] = parseScoreFile("Subject: .*.*x = 1");
    assertEquals(scoreArticle([rule!], { subject: "a".repeat(100_000) }), 0);
  });
  await t.step("sticky and global flags cannot leak state", () => {
    const [rule] = parseScoreFile("Subject: a = 1");
    const g = { ...rule!, pattern: /a/gi };
    assertEquals(scoreArticle([g, g], { subject: "a" }), 2);
  });
});
