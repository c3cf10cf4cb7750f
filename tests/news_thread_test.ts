import {
  baseSubject,
  threadArticles,
  type ThreadInput,
  type ThreadNode,
} from "../protocols/news_thread.ts";
import { assert, assertEquals } from "./_assert.ts";

interface Article extends ThreadInput {
  name: string;
}

/** An article named `name` (message-id `<name@x>`) replying to `refs`. */
function art(
  name: string,
  refs: string[] = [],
  subject = name,
  date?: number | Date,
): Article {
  const a: Article = {
    name,
    messageId: `<${name}@x>`,
    references: refs.map((r) => `<${r}@x>`),
    subject,
  };
  if (date !== undefined) a.date = date;
  return a;
}

/** A compact picture of a forest: `a(b c(d))`, `?` for a placeholder. */
function show(nodes: ThreadNode<Article>[]): string {
  const out: string[] = [];
  const stack: (ThreadNode<Article> | string)[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    stack.push(nodes[i]!);
    if (i > 0) stack.push(" ");
  }
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item === "string") {
      out.push(item);
      continue;
    }
    out.push(item.article?.name ?? "?");
    if (item.children.length > 0) {
      out.push("(");
      stack.push(")");
      for (let i = item.children.length - 1; i >= 0; i--) {
        stack.push(item.children[i]!);
        if (i > 0) stack.push(" ");
      }
    }
  }
  return out.join("");
}

/** Every node of a forest, iteratively, with its depth (roots are 1). */
function walk<T>(nodes: ThreadNode<T>[]): [ThreadNode<T>, number][] {
  const out: [ThreadNode<T>, number][] = [];
  const stack: [ThreadNode<T>, number][] = nodes.map((n) => [n, 1]);
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    out.push([node, depth]);
    for (const child of node.children) stack.push([child, depth + 1]);
  }
  return out;
}

/** Asserts that every article appears exactly once. */
function assertAllOnce<T extends ThreadInput>(
  threads: ThreadNode<T>[],
  articles: T[],
): void {
  const seen = new Set<T>();
  for (const [node] of walk(threads)) {
    if (node.article === undefined) continue;
    assert(!seen.has(node.article), "an article appears twice");
    seen.add(node.article);
  }
  assertEquals(seen.size, articles.length, "articles in the threads");
}

/** The articles of the INN lab's local.threads, built as populate.py does. */
function labThreads(): Article[] {
  const shapes: [string, string | null, string][] = [
    ["1", null, "Thread one: linear chain"],
    ["1.1", "1", "Re: Thread one: linear chain"],
    ["1.1.1", "1.1", "Re: Thread one: linear chain"],
    ["1.1.1.1", "1.1.1", "Re: Thread one: linear chain"],
    ["1.1.1.1.1", "1.1.1.1", "Re: Thread one: linear chain"],
    ["1.1.1.1.1.1", "1.1.1.1.1", "Re: Thread one: linear chain"],
    ["2", null, "Thread two: branching"],
    ["2.1", "2", "Re: Thread two: branching"],
    ["2.2", "2", "Re: Thread two: branching"],
    ["2.3", "2", "Re: Thread two: branching"],
    ["2.1.1", "2.1", "Re: Thread two: branching"],
    ["2.1.2", "2.1", "Re: Thread two: branching"],
    ["2.2.1", "2.2", "Re: Thread two: branching"],
    ["2.1.1.1", "2.1.1", "Re: Thread two: branching"],
    ["3", null, "Deno vs <script>alert(1)</script> & friends"],
    ["3.1", "3", "Re: Deno vs <script>alert(1)</script> & friends"],
    ["3.1.1", "3.1", "Re: Re: Deno vs <script>alert(1)</script> & friends"],
    ["3.2", "3", "AW: Deno vs <script>alert(1)</script> & friends"],
    ["4", null, "Thread four"],
    ["4.1", "4", "Re: Thread four"],
    ["4.1.1", "4.1", "New topic (was: Re: Thread four)"],
    ["4.1.1.1", "4.1.1", "Re: New topic (was: Re: Thread four)"],
    ["5.1", "5-missing", "Re: A thread whose root was never posted"],
    ["5.2", "5-missing", "Re: A thread whose root was never posted"],
    ["5.2.1", "5.2", "Re: A thread whose root was never posted"],
    ["6", null, "Thread six: deep chain"],
  ];
  let prev = "6";
  for (let d = 1; d < 15; d++) {
    shapes.push([`6.d${d}`, prev, "Re: Thread six: deep chain"]);
    prev = `6.d${d}`;
  }
  shapes.push(
    ["7.1", "7", "Re: Thread seven: reply arrives first"],
    ["7", null, "Thread seven: reply arrives first"],
    ["7.1.1", "7.1", "Re: Thread seven: reply arrives first"],
  );
  for (let k = 1; k <= 5; k++) {
    shapes.push([`s${k}`, null, `Standalone article ${k}`]);
  }
  const parents = new Map(shapes.map(([id, parent]) => [id, parent]));
  const base = Date.UTC(2024, 0, 1);
  return shapes.map(([id, _parent, subject], i) => {
    const chain: string[] = [];
    for (
      let p = parents.get(id);
      p !== null && p !== undefined;
      p = parents.get(p)
    ) {
      chain.unshift(p);
    }
    return {
      name: id,
      messageId: `<thr.${id}@lab.test>`,
      // Folded in the article, unfolded by the server in OVER: a string.
      references: chain.map((r) => `<thr.${r}@lab.test>`).join(" "),
      subject,
      date: new Date(base + (i + 1) * 600_000),
    };
  });
}

Deno.test("threadArticles() threads the INN lab's local.threads", {
  permissions: "none",
}, async (t) => {
  const articles = labThreads();
  assertEquals(articles.length, 48);
  const threads = threadArticles(articles);
  assertAllOnce(threads, articles);
  await t.step("threads newest first, replies oldest first", () => {
    assertEquals(
      show(threads),
      [
        "s5",
        "s4",
        "s3",
        "s2",
        "s1",
        "7(7.1(7.1.1))",
        "6(6.d1(6.d2(6.d3(6.d4(6.d5(6.d6(6.d7(6.d8(6.d9(6.d10(6.d11(6.d12(6.d13(6.d14))))))))))))))",
        "?(5.1 5.2(5.2.1))",
        "4(4.1(4.1.1(4.1.1.1)))",
        "3(3.1(3.1.1) 3.2)",
        "2(2.1(2.1.1(2.1.1.1) 2.1.2) 2.2(2.2.1) 2.3)",
        "1(1.1(1.1.1(1.1.1.1(1.1.1.1.1(1.1.1.1.1.1)))))",
      ].join(" "),
    );
  });
  await t.step("the missing root of thread 5 is a placeholder", () => {
    const five = threads[7]!;
    assertEquals(five.article, undefined);
    assertEquals(five.messageId, "<thr.5-missing@lab.test>");
  });
  await t.step("thread 6 is 15 deep", () => {
    const depth = Math.max(...walk([threads[6]!]).map(([, d]) => d));
    assertEquals(depth, 15);
  });
  await t.step("the result does not depend on input order", () => {
    const reversed = threadArticles([...articles].reverse());
    assertEquals(show(reversed), show(threads));
  });
});

Deno.test("threadArticles() survives reference cycles", {
  permissions: "none",
}, async (t) => {
  await t.step("two articles referencing each other", () => {
    const articles = [art("a", ["b"], "x", 1), art("b", ["a"], "x", 2)];
    const threads = threadArticles(articles);
    assertAllOnce(threads, articles);
    // a came first and made b its parent; b's link back would close a loop.
    assertEquals(show(threads), "b(a)");
  });
  await t.step("a three-article cycle", () => {
    const articles = [
      art("a", ["c"], "s", 1),
      art("b", ["a"], "s", 2),
      art("c", ["b"], "s", 3),
    ];
    const threads = threadArticles(articles);
    assertAllOnce(threads, articles);
    assertEquals(threads.length, 1);
  });
  await t.step("References lists that disagree about the order", () => {
    const articles = [
      art("m", ["x", "y"], "s", 1),
      art("n", ["y", "x"], "s", 2),
      art("x", [], "s", 0),
    ];
    const threads = threadArticles(articles);
    assertAllOnce(threads, articles);
    assertEquals(show(threads), "x(m n)");
  });
  await t.step("an article that references itself", () => {
    const articles = [art("a", ["a"], "s", 1), art("b", ["a", "b"], "s", 2)];
    const threads = threadArticles(articles);
    assertAllOnce(threads, articles);
    assertEquals(show(threads), "a(b)");
  });
  await t.step("a reference to a descendant", () => {
    const articles = [
      art("a", [], "s", 1),
      art("b", ["a"], "s", 2),
      art("c", ["a", "b"], "s", 3),
      art("d", ["c", "a"], "s", 4), // would make a a child of c
    ];
    const threads = threadArticles(articles);
    assertAllOnce(threads, articles);
    assertEquals(show(threads), "a(b(c) d)");
  });
  await t.step("random references between 300 articles", () => {
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const articles: Article[] = [];
    for (let i = 0; i < 300; i++) {
      const refs: string[] = [];
      for (let k = next(6); k > 0; k--) refs.push(`r${next(350)}`);
      articles.push(art(`r${next(320)}`, refs, `s${next(20)}`, next(1000)));
    }
    const threads = threadArticles(articles);
    assertAllOnce(threads, articles);
  });
});

Deno.test("threadArticles() handles missing parents as JWZ does", {
  permissions: "none",
}, async (t) => {
  await t.step("one reply to a missing root becomes a root", () => {
    assertEquals(show(threadArticles([art("b", ["a"], "Re: s")])), "b");
  });
  await t.step("two replies to a missing root keep a placeholder", () => {
    const threads = threadArticles([
      art("b", ["a"], "Re: s", 1),
      art("c", ["a"], "Re: s", 2),
    ]);
    assertEquals(show(threads), "?(b c)");
    assertEquals(threads[0]!.messageId, "<a@x>");
  });
  await t.step("a missing article in the middle of a chain is pruned", () => {
    const threads = threadArticles([
      art("a", [], "s", 1),
      art("c", ["a", "b"], "Re: s", 3),
      art("d", ["a", "b"], "Re: s", 4),
    ]);
    assertEquals(show(threads), "a(c d)");
  });
  await t.step("a chain of missing articles is pruned", () => {
    const threads = threadArticles([art("e", ["a", "b", "c", "d"], "Re: s")]);
    assertEquals(show(threads), "e");
  });
  await t.step("the reply before its parent", () => {
    const threads = threadArticles([
      art("b", ["a"], "Re: s", 2),
      art("a", [], "s", 1),
    ]);
    assertEquals(show(threads), "a(b)");
  });
  await t.step("a message's own References win over what others said", () => {
    const threads = threadArticles([
      art("c", ["a", "b"], "Re: t", 3), // says b is a reply to a
      art("b", [], "u", 2), // b says it is not a reply
      art("a", [], "t", 1),
    ]);
    assertEquals(show(threads), "b(c) a");
  });
});

Deno.test("threadArticles() keeps duplicate message-ids apart", {
  permissions: "none",
}, async (t) => {
  await t.step("the second article gets a synthetic id", () => {
    const first = art("d", [], "one", 1);
    const second = art("d", [], "two", 2);
    const reply = art("r", ["d"], "Re: one", 3);
    const threads = threadArticles([first, second, reply]);
    assertAllOnce(threads, [first, second, reply]);
    assertEquals(show(threads), "d(r) d");
    assertEquals(threads[0]!.article, first);
    assertEquals(threads[1]!.article, second);
    assertEquals(threads[1]!.messageId, "<d@x>#dup-1");
    const ids = walk(threads).map(([n]) => n.messageId);
    assertEquals(new Set(ids).size, ids.length);
  });
  await t.step("articles without a message-id", () => {
    const a = { ...art("a", [], "a", 1), messageId: "" };
    const b = { ...art("b", [], "b", 2), messageId: " " };
    const threads = threadArticles([a, b]);
    assertAllOnce(threads, [a, b]);
    assertEquals(threads.map((n) => n.messageId), ["<no-id.1>", "<no-id.0>"]);
  });
  await t.step("a synthetic id never collides with a real one", () => {
    const articles = [
      art("d", [], "one", 1),
      { ...art("x", [], "x", 2), messageId: "<d@x>#dup-1" },
      art("d", [], "two", 3),
    ];
    const threads = threadArticles(articles);
    assertAllOnce(threads, articles);
    const ids = walk(threads).map(([n]) => n.messageId);
    assertEquals(new Set(ids).size, 3);
  });
});

Deno.test("threadArticles() gathers roots by subject", {
  permissions: "none",
}, async (t) => {
  await t.step("a reply without References goes under the original", () => {
    const threads = threadArticles([
      art("b", [], "Re: Deno 2.0", 2),
      art("a", [], "Deno 2.0", 1),
    ]);
    assertEquals(show(threads), "a(b)");
  });
  await t.step("prefixes: RE:, Re[2]:, Re^3:, AW:, SV:, Fwd:, Fw:", () => {
    const threads = threadArticles([
      art("a", [], "Topic", 1),
      art("b", [], "RE: Topic", 2),
      art("c", [], "Re[2]: topic", 3),
      art("d", [], "AW: Re^3: Topic", 4),
      art("e", [], "Fwd: Topic", 5),
      art("f", [], "SV:Fw: Topic", 6),
      art("g", [], "Re :  Topic ", 7),
    ]);
    assertEquals(show(threads), "a(b c d e f g)");
  });
  await t.step("two replies become siblings under a placeholder", () => {
    const threads = threadArticles([
      art("a", [], "Re: lost", 1),
      art("b", [], "Re: lost", 2),
      art("c", [], "AW: lost", 3),
    ]);
    assertEquals(show(threads), "?(a b c)");
  });
  await t.step("two originals become siblings under a placeholder", () => {
    assertEquals(
      show(threadArticles([art("a", [], "same", 1), art("b", [], "same", 2)])),
      "?(a b)",
    );
  });
  await t.step("a root joins a placeholder with the same subject", () => {
    const threads = threadArticles([
      art("b", ["m"], "Re: orphans", 2),
      art("c", ["m"], "Re: orphans", 3),
      art("d", [], "orphans", 4),
    ]);
    assertEquals(show(threads), "?(b c d)");
  });
  await t.step("empty subjects are not gathered", () => {
    assertEquals(
      show(threadArticles([art("a", [], "", 1), art("b", [], "Re:", 2)])),
      "b a",
    );
  });
  await t.step("subjectFallback: false keeps them apart", () => {
    const threads = threadArticles([
      art("a", [], "Deno 2.0", 1),
      art("b", [], "Re: Deno 2.0", 2),
    ], { subjectFallback: false });
    assertEquals(show(threads), "b a");
  });
});

Deno.test(
  "threadArticles() sorts threads newest first and replies oldest first",
  {
    permissions: "none",
  },
  async (t) => {
    await t.step("threads by their newest article", () => {
      const threads = threadArticles([
        art("a", [], "a", 1),
        art("b", [], "b", 5),
        art("a1", ["a"], "Re: a", 10),
      ]);
      assertEquals(show(threads), "a(a1) b");
    });
    await t.step("replies by date, not input order", () => {
      const threads = threadArticles([
        art("a", [], "a", new Date("2024-01-01T00:00:00Z")),
        art("c", ["a"], "Re: a", new Date("2024-01-03T00:00:00Z")),
        art("b", ["a"], "Re: a", new Date("2024-01-02T00:00:00Z")),
      ]);
      assertEquals(show(threads), "a(b c)");
    });
    await t.step("without dates, input order decides", () => {
      const threads = threadArticles([
        art("a", [], "a"),
        art("b", [], "b"),
        art("a2", ["a"], "Re: a"),
        art("a1", ["a"], "Re: a"),
      ]);
      assertEquals(show(threads), "a(a2 a1) b");
    });
    await t.step("invalid dates sort as oldest", () => {
      const threads = threadArticles([
        art("a", [], "a", new Date("garbage")),
        art("b", [], "b", Number.NaN),
        art("c", [], "c", 0),
      ]);
      assertEquals(show(threads), "c b a");
    });
  },
);

Deno.test("threadArticles() survives deep chains without recursion", {
  permissions: "none",
}, async (t) => {
  await t.step("a 15-deep chain with full References", () => {
    const articles: Article[] = [];
    const chain: string[] = [];
    for (let i = 0; i < 15; i++) {
      articles.push(art(`c${i}`, [...chain], "chain", i));
      chain.push(`c${i}`);
    }
    const threads = threadArticles(articles);
    assertEquals(threads.length, 1);
    assertEquals(Math.max(...walk(threads).map(([, d]) => d)), 15);
  });
  await t.step("a 100,000-deep chain, parent-only References, reversed", () => {
    const n = 100_000;
    const articles: Article[] = [];
    for (let i = n - 1; i >= 0; i--) {
      articles.push(art(`c${i}`, i === 0 ? [] : [`c${i - 1}`], "deep", i));
    }
    const threads = threadArticles(articles);
    assertEquals(threads.length, 1);
    let depth = 0;
    for (let node: ThreadNode<Article> | undefined = threads[0]; node;) {
      depth++;
      assertEquals(node.article?.name, `c${depth - 1}`);
      node = node.children[0];
    }
    assertEquals(depth, n);
  });
});

Deno.test(
  "threadArticles() threads 100,000 articles like the lab's local.big",
  {
    permissions: "none",
  },
  async (t) => {
    const n = 100_000;
    const articles: Article[] = [];
    const base = Date.UTC(2024, 0, 1);
    for (let i = 1; i <= n; i++) {
      const root = i - (i - 1) % 10;
      const refs = i === root ? [] : i - 1 === root ? [`big.${root}`] : [
        `big.${root}`,
        `big.${i - 1}`,
      ];
      articles.push(
        art(`big.${i}`, refs, `Big #${i}: quick brown fox`, base + i * 60_000),
      );
    }
    await t.step("every article, 10,000 threads of 10", () => {
      const threads = threadArticles(articles);
      assertAllOnce(threads, articles);
      assertEquals(threads.length, 10_000);
      assertEquals(threads[0]!.article?.name, "big.99991");
      assertEquals(threads[9_999]!.article?.name, "big.1");
      assertEquals(
        show([threads[9_999]!]),
        "big.1(big.2(big.3(big.4(big.5(big.6(big.7(big.8(big.9(big.10)))))))))",
      );
    });
    await t.step(
      "only the 1,000 matches: their missing parents are pruned",
      () => {
        const matches = articles.filter((_, i) => (i + 1) % 100 === 0);
        const threads = threadArticles(matches);
        assertEquals(threads.length, 1_000);
        assert(
          threads.every((t) => t.article !== undefined && !t.children.length),
        );
        assertEquals(threads[0]!.article?.name, "big.100000");
      },
    );
  },
);

Deno.test("baseSubject() strips reply and forward prefixes", {
  permissions: "none",
}, () => {
  assertEquals(baseSubject("Re: Re: Deno"), "Deno");
  assertEquals(
    baseSubject("RE: AW: Fwd: Fw: SV: VS: WG: Antw: Odp: TR: x"),
    "x",
  );
  assertEquals(baseSubject("Re[12]: Re(2): Re^3: x"), "x");
  assertEquals(baseSubject("Regarding: x"), "Regarding: x");
  assertEquals(
    baseSubject("New topic (was: Re: old)"),
    "New topic (was: Re: old)",
  );
  assertEquals(baseSubject("  a \t b  "), "a b");
});
