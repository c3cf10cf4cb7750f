/**
 * Tests of `scripts/ftp_mirror.ts` against the fixture FTP server: unchanged
 * second runs, --delete and --max-delete, filters, dry runs, interrupted and
 * resumed downloads, hostile names and local symlinks.
 *
 * @module
 */

import {
  main,
  mirror,
  type MirrorEvent,
  type MirrorOptions,
  type MirrorSummary,
} from "../scripts/ftp_mirror.ts";
import {
  type FtpFixtureOptions,
  type FtpFixtureServer,
  generatedBytes,
  startFtpFixture,
} from "../scripts/_ftp_fixture_server.ts";
import { globToRegExp, PathFilter } from "../scripts/_mirror_glob.ts";
import { partName } from "../scripts/_mirror_local.ts";
import { UsageError } from "../scripts/_cli.ts";
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
} from "./_assert.ts";

const T1 = new Date("2024-02-03T04:05:06Z");
const T2 = new Date("2024-05-06T07:08:09Z");

function treeFiles(): NonNullable<FtpFixtureOptions["files"]> {
  return {
    "/pub/readme.txt": { data: "read me\n", modified: T1 },
    "/pub/big.bin": { size: 2_000_000, modified: T2 },
    "/pub/empty.txt": { data: "", modified: T1 },
    "/pub/docs/a.pdf": { data: "pdf a", modified: T1 },
    "/pub/docs/deep/b.pdf": { data: "pdf b", modified: T1 },
    "/pub/docs/notes.tmp": { data: "tmp", modified: T1 },
    "/pub/-rf": { data: "dash", modified: T1 },
    "/pub/link": { symlink: "readme.txt" },
    "/pub/empty-dir/": null as never,
    "/other/secret.txt": "not mirrored",
  };
}

async function withFixture(
  fixture: FtpFixtureOptions,
  fn: (server: FtpFixtureServer, dir: string) => Promise<void>,
): Promise<void> {
  const server = startFtpFixture({ files: treeFiles(), ...fixture });
  const dir = await Deno.makeTempDir({ prefix: "ftp-mirror-test-" });
  try {
    await fn(server, dir);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function run(
  server: FtpFixtureServer,
  dir: string,
  options: Partial<MirrorOptions> = {},
  events: MirrorEvent[] = [],
): Promise<MirrorSummary> {
  return mirror({
    url: `${server.url}/pub`,
    dir: `${dir}/out`,
    retryDelay: 10,
    client: { timeout: 5000 },
    onEvent: (event) => {
      if (event.kind !== "progress") events.push(event);
    },
    ...options,
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function localFiles(root: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(rel ? `${root}/${rel}` : root)) {
    const path = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory) out.push(...await localFiles(root, path));
    else out.push(path);
  }
  return out.sort();
}

Deno.test("mirror() copies the tree, sets times, and a second run transfers nothing", async () => {
  await withFixture({}, async (server, dir) => {
    const first = await run(server, dir);
    assertEquals(first.failures, []);
    assertEquals(first.files, 7);
    assertEquals(first.bytes, 2_000_000 + 8 + 5 + 5 + 3 + 4);
    const out = `${dir}/out`;
    assertEquals(await localFiles(out), [
      "-rf",
      "big.bin",
      "docs/a.pdf",
      "docs/deep/b.pdf",
      "docs/notes.tmp",
      "empty.txt",
      "readme.txt",
    ]);
    assert((await Deno.stat(`${out}/empty-dir`)).isDirectory);
    assert(!(await exists(`${out}/link`)), "remote symlinks are not created");
    assertEquals(
      await Deno.readFile(`${out}/big.bin`),
      generatedBytes(2_000_000),
    );
    assertEquals((await Deno.stat(`${out}/big.bin`)).mtime, T2);
    assertEquals(await Deno.readTextFile(`${out}/-rf`), "dash");

    const retrBefore = server.stats.retrFiles;
    const second = await run(server, dir);
    assertEquals(second.failures, []);
    assertEquals(second.files, 0);
    assertEquals(second.bytes, 0);
    assertEquals(second.unchanged, 7);
    assertEquals(server.stats.retrFiles, retrBefore);
  });
});

Deno.test("mirror() fetches only new or changed files", async () => {
  await withFixture({}, async (server, dir) => {
    await run(server, dir);
    server.fs.put("/pub/readme.txt", { data: "read me again\n", modified: T2 });
    server.fs.put("/pub/docs/a.pdf", { data: "pdf A", modified: T2 });
    server.fs.put("/pub/new.txt", { data: "new", modified: T1 });
    const events: MirrorEvent[] = [];
    const summary = await run(server, dir, {}, events);
    assertEquals(
      events.filter((e) => e.kind === "get").map((e) => "path" in e && e.path)
        .sort(),
      ["docs/a.pdf", "new.txt", "readme.txt"],
    );
    assertEquals(summary.files, 3);
    assertEquals(await Deno.readTextFile(`${dir}/out/docs/a.pdf`), "pdf A");
  });
});

Deno.test("mirror() uses MDTM for times when only LIST is offered", async () => {
  await withFixture({ mlsd: false }, async (server, dir) => {
    const first = await run(server, dir);
    assertEquals(first.failures, []);
    assertEquals(first.files, 7);
    assertEquals((await Deno.stat(`${dir}/out/readme.txt`)).mtime, T1);
    const second = await run(server, dir);
    assertEquals(second.bytes, 0);
    assertEquals(second.unchanged, 7);
    assert(server.received.some((line) => line.startsWith("MDTM ")));
  });
});

Deno.test("mirror() with delete removes local files gone from the remote", async (t) => {
  await withFixture({}, async (server, dir) => {
    await run(server, dir);
    const out = `${dir}/out`;
    await Deno.writeTextFile(`${out}/stale.txt`, "old");
    await Deno.mkdir(`${out}/gone/inner`, { recursive: true });
    await Deno.writeTextFile(`${out}/gone/inner/x.txt`, "x");
    await t.step("max-delete refuses when too many would go", async () => {
      const summary = await run(server, dir, { delete: true, maxDelete: 1 });
      assertEquals(summary.deleted, 0);
      assertEquals(summary.failures.length, 1);
      assertStringIncludes(summary.failures[0]!.error.message, "limit of 1");
      assert(await exists(`${out}/stale.txt`));
    });
    await t.step("dry run only reports", async () => {
      const summary = await run(server, dir, { delete: true, dryRun: true });
      assertEquals(summary.deleted, 4);
      assert(await exists(`${out}/gone/inner/x.txt`));
    });
    await t.step("delete removes files and empty directories", async () => {
      const summary = await run(server, dir, { delete: true, maxDelete: 2 });
      assertEquals(summary.failures, []);
      assertEquals(summary.deleted, 4);
      assert(!(await exists(`${out}/stale.txt`)));
      assert(!(await exists(`${out}/gone`)));
      assert(await exists(`${out}/readme.txt`));
    });
  });
});

Deno.test("mirror() with delete does nothing after an incomplete listing", async () => {
  await withFixture(
    { faults: { extraListing: { "/pub/docs": ["garbage line"] } } },
    async (server, dir) => {
      await Deno.mkdir(`${dir}/out`);
      await Deno.writeTextFile(`${dir}/out/stale.txt`, "old");
      const summary = await run(server, dir, { delete: true });
      assertEquals(summary.deleted, 0);
      assert(await exists(`${dir}/out/stale.txt`));
      assert(summary.warnings.some((w) => w.includes("unreadable")));
      assert(
        summary.failures.some((f) => f.error.message.includes("incomplete")),
      );
    },
  );
});

Deno.test("mirror() honours include and exclude globs", async () => {
  await withFixture({}, async (server, dir) => {
    await Deno.mkdir(`${dir}/out/docs`, { recursive: true });
    await Deno.writeTextFile(`${dir}/out/docs/local.txt`, "local");
    const summary = await run(server, dir, {
      include: ["*.pdf", "*.tmp"],
      exclude: ["deep", "notes.*"],
      delete: true,
    });
    assertEquals(summary.failures, []);
    assertEquals(await localFiles(`${dir}/out`), [
      "docs/a.pdf",
      "docs/local.txt",
    ]);
  });
});

Deno.test("mirror() with dryRun writes nothing", async () => {
  await withFixture({}, async (server, dir) => {
    const summary = await run(server, dir, { dryRun: true });
    assertEquals(summary.files, 7);
    assertEquals(summary.dryRun, true);
    assertEquals(server.stats.retrFiles, 0);
    assert(!(await exists(`${dir}/out`)));
  });
});

Deno.test("mirror() without recursion takes only the top directory", async () => {
  await withFixture({}, async (server, dir) => {
    const summary = await run(server, dir, { recursive: false });
    assertEquals(summary.failures, []);
    assertEquals(await localFiles(`${dir}/out`), [
      "-rf",
      "big.bin",
      "empty.txt",
      "readme.txt",
    ]);
  });
});

Deno.test("mirror() resumes a download cut mid-way and gets a byte-exact file", async () => {
  await withFixture(
    { faults: { dropDataAfter: 700_000, dropTimes: 1 } },
    async (server, dir) => {
      const events: MirrorEvent[] = [];
      const summary = await run(server, dir, {}, events);
      assertEquals(summary.failures, []);
      assert(events.some((e) => e.kind === "retry"));
      assert(server.received.includes("REST 700000"));
      assertEquals(
        await Deno.readFile(`${dir}/out/big.bin`),
        generatedBytes(2_000_000),
      );
    },
  );
});

Deno.test("mirror() interrupted leaves no truncated final file and resumes next run", async () => {
  await withFixture(
    {
      faults: { dropDataAfter: 700_000, dropTimes: 1, dropClosesControl: true },
    },
    async (server, dir) => {
      const first = await run(server, dir, {
        retries: 0,
        include: ["big.bin"],
      });
      assertEquals(first.failures.map((f) => f.path), ["big.bin"]);
      assert(!(await exists(`${dir}/out/big.bin`)));
      const part = `${dir}/out/${partName("big.bin")}`;
      assertEquals((await Deno.stat(part)).size, 700_000);
      const second = await run(server, dir, { include: ["big.bin"] });
      assertEquals(second.failures, []);
      assertEquals(second.bytes, 2_000_000 - 700_000);
      assert(server.received.includes("REST 700000"));
      assert(!(await exists(part)));
      assertEquals(
        await Deno.readFile(`${dir}/out/big.bin`),
        generatedBytes(2_000_000),
      );
    },
  );
});

Deno.test("mirror() skips hostile names with a warning", async () => {
  const hostile = [
    "type=file;size=4;modify=20240101000000; ../escape.txt",
    "type=file;size=4;modify=20240101000000; ..",
    "type=file;size=4;modify=20240101000000; a\\b.txt",
    "type=file;size=4;modify=20240101000000; \x1b]0;title\x07.txt",
    "type=dir;modify=20240101000000; sub/../..",
  ];
  await withFixture(
    { faults: { extraListing: { "/pub": hostile } } },
    async (server, dir) => {
      const summary = await run(server, dir);
      assertEquals(summary.failures, []);
      assertEquals(summary.warnings.length, 4);
      assert(!(await exists(`${dir}/escape.txt`)));
      assertEquals((await localFiles(`${dir}/out`)).length, 7);
    },
  );
});

Deno.test("mirror() refuses a local symlinked directory that leads outside", async () => {
  await withFixture({}, async (server, dir) => {
    await Deno.mkdir(`${dir}/out`);
    await Deno.mkdir(`${dir}/outside`);
    await Deno.symlink(`${dir}/outside`, `${dir}/out/docs`);
    await Deno.symlink(`${dir}/outside/file`, `${dir}/out/readme.txt`);
    const summary = await run(server, dir);
    const failed = summary.failures.map((f) => f.path).sort();
    assertEquals(failed, ["docs", "docs/deep", "readme.txt"]);
    assertEquals([...Deno.readDirSync(`${dir}/outside`)], []);
  });
});

Deno.test("mirror() reports a login failure", async () => {
  await withFixture({ anonymous: false }, async (server, dir) => {
    const summary = await run(server, dir);
    assertEquals(summary.failures.length, 1);
    assertStringIncludes(summary.failures[0]!.error.message, "530");
  });
});

Deno.test("mirror() uses at most the given number of connections", async () => {
  await withFixture({}, async (server, dir) => {
    await run(server, dir, { parallel: 2 });
    assert(server.connections <= 2);
  });
});

Deno.test("globToRegExp() and PathFilter match names and paths", () => {
  assert(globToRegExp("*.t?t").test("a.txt"));
  assert(globToRegExp("[a-c]*").test("beta"));
  assert(!globToRegExp("[!a-c]*").test("beta"));
  assert(globToRegExp("**/x.bin").test("x.bin"));
  assert(globToRegExp("**/x.bin").test("a/b/x.bin"));
  const filter = new PathFilter(["*.pdf"], ["secret/**", "tmp"]);
  assert(filter.allowsFile("docs/a.pdf"));
  assert(!filter.allowsFile("docs/a.txt"));
  assert(!filter.allowsFile("secret/x/a.pdf"));
  assert(filter.excludesDir("x/tmp"));
});

Deno.test("main() mirrors from the command line and exits 0", async () => {
  await withFixture({}, async (server, dir) => {
    const code = await main([
      `${server.url}/pub`,
      `${dir}/out`,
      "--parallel",
      "2",
      "--quiet",
    ]);
    assertEquals(code, 0);
    assertEquals((await localFiles(`${dir}/out`)).length, 7);
  });
});

Deno.test("main() exits 1 when something could not be mirrored", async () => {
  await withFixture({ anonymous: false }, async (server, dir) => {
    const code = await main([`${server.url}/pub`, `${dir}/out`, "--quiet"]);
    assertEquals(code, 1);
  });
});

Deno.test("main() rejects usage mistakes with UsageError", async () => {
  await assertRejects(() => main(["--bogus"]), UsageError);
  await assertRejects(() => main(["http://h/", "dir"]), UsageError);
  await assertRejects(
    () => main(["ftp://h/", "dir", "--max-delete", "3"]),
    UsageError,
  );
  await assertRejects(() => main(["ftp://h/"]), UsageError);
});

Deno.test("ftp_mirror.ts --help prints usage and a bad option exits 2", async () => {
  const script = new URL("../scripts/ftp_mirror.ts", import.meta.url);
  const help = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", script.pathname, "--help"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(help.code, 0);
  assertStringIncludes(new TextDecoder().decode(help.stdout), "--max-delete");
  const bad = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", script.pathname, "--bogus"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(bad.code, 2);
});
