import {
  type ProtocolPlugin,
  ProtocolRegistry,
  SchemeConflictError,
} from "../plugins/registry.ts";
import { createDefaultRegistry, defaultRegistry } from "../plugins/mod.ts";
import {
  assert,
  assertEquals,
  assertRejects,
  assertThrows,
} from "./_assert.ts";

function echoPlugin(name: string, schemes: string[]): ProtocolPlugin {
  return {
    name,
    schemes,
    defaultPorts: {},
    fetch: (url, init) =>
      Promise.resolve(
        new Response(`${name} ${init?.method ?? "GET"} ${url.href}`),
      ),
    async *list(url) {
      yield { name: "a", type: "file", url: new URL("a", url).href };
    },
  };
}

Deno.test("ProtocolRegistry dispatches by scheme, case-insensitively", {
  permissions: "none",
}, async () => {
  const registry = new ProtocolRegistry().register(
    echoPlugin("one", ["x-one", "x-uno"]),
  );
  assertEquals(
    await (await registry.fetch("X-ONE://h/p")).text(),
    "one GET x-one://h/p",
  );
  assertEquals(
    await (await registry.fetch(new URL("x-uno://h/"))).text(),
    "one GET x-uno://h/",
  );
  const req = new Request("x-one://h/q", {
    method: "POST",
    body: "b",
  }) as Request;
  assertEquals(
    await (await registry.fetch(req)).text(),
    "one POST x-one://h/q",
  );
  assertEquals(registry.lookup("X-UNO:")?.name, "one");
  assertEquals(registry.schemes(), ["x-one", "x-uno"]);
  const names: string[] = [];
  for await (const e of registry.list("x-one://h/dir/")) names.push(e.url);
  assertEquals(names, ["x-one://h/dir/a"]);
});

Deno.test("ProtocolRegistry refuses unknown schemes like fetch does", {
  permissions: "none",
}, async () => {
  const registry = new ProtocolRegistry();
  const err = await assertRejects(
    () => registry.fetch("gopher://h/"),
    TypeError,
    '"gopher"',
  );
  assert(err.cause instanceof Error);
  await assertRejects(
    () => registry.fetch("not a url"),
    TypeError,
    "Invalid URL",
  );
  assertThrows(() => registry.list("gopher://h/"), TypeError);
});

Deno.test(
  "ProtocolRegistry refuses a scheme registered twice and registers nothing then",
  {
    permissions: "none",
  },
  () => {
    const registry = new ProtocolRegistry().register(
      echoPlugin("one", ["x-a"]),
    );
    const err = assertThrows(
      () => registry.register(echoPlugin("two", ["x-b", "X-A"])),
      SchemeConflictError,
      '"two" for scheme "x-a": already registered by "one"',
    );
    assertEquals(
      [err.scheme, err.existing, err.incoming],
      ["x-a", "one", "two"],
    );
    assertEquals(registry.lookup("x-b"), undefined);
    assertThrows(
      () => registry.register({ ...echoPlugin("none", []) }),
      TypeError,
      "names no scheme",
    );
    assertThrows(
      () =>
        registry.register(
          { name: "broken", schemes: ["x-c"] } as unknown as ProtocolPlugin,
        ),
      TypeError,
      "no fetch",
    );
    assertThrows(
      () => registry.register(echoPlugin("bad", ["no spaces"])),
      TypeError,
    );
  },
);

Deno.test("ProtocolRegistry instances are isolated and unregister works", {
  permissions: "none",
}, () => {
  const a = new ProtocolRegistry();
  const b = new ProtocolRegistry();
  const plugin = echoPlugin("one", ["x-a", "x-b"]);
  a.register(plugin);
  assertEquals(b.schemes(), []);
  b.register(echoPlugin("other", ["x-a"]));
  assertEquals(a.lookup("x-a")?.name, "one");
  assert(a.unregister("x-a"));
  assertEquals(a.schemes(), ["x-b"]);
  assert(a.unregister(plugin));
  assertEquals(a.schemes(), []);
  assert(!a.unregister("x-a"));
});

Deno.test("ProtocolRegistry.close() closes every plugin once", {
  permissions: "none",
}, async () => {
  let closed = 0;
  const registry = new ProtocolRegistry().register({
    ...echoPlugin("one", ["x-a", "x-b"]),
    close() {
      closed++;
    },
  });
  await registry.close();
  assertEquals(closed, 1);
});

Deno.test(
  "createDefaultRegistry() returns fresh registries with the built-ins; defaultRegistry() is shared",
  {
    permissions: "none",
  },
  async () => {
    const a = createDefaultRegistry();
    const b = createDefaultRegistry();
    assertEquals(a.schemes(), [
      "ftp",
      "ftps",
      "http",
      "https",
      "news",
      "nntp",
      "nntps",
      "snews",
    ]);
    a.unregister("ftp");
    assertEquals(b.lookup("ftp")?.name, "ftp");
    assert(a.lookup("ftps") !== b.lookup("ftps"), "plugins are not shared");
    assertEquals(a.lookup("https")?.defaultPorts["https"], 443);
    assert(defaultRegistry() === defaultRegistry());
    assert(defaultRegistry() !== a);
    await a.close();
    await b.close();
  },
);
