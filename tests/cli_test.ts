// deno-lint-ignore-file no-console
import {
  type CliSpec,
  formatUsage,
  parseCli,
  runMain,
  UsageError,
} from "../scripts/_cli.ts";
import {
  assert,
  assertEquals,
  assertStringIncludes,
  assertThrows,
} from "./_assert.ts";

const SPEC = {
  port: { kind: "number", integer: true, min: 0, max: 65535, default: 8000 },
  ratio: { kind: "number" },
  output: { kind: "string", short: "o", valueName: "FILE" },
  head: { kind: "boolean", short: "I" },
  verbose: { kind: "boolean", short: "v" },
  recursion: { kind: "boolean", negatable: true, default: true },
  quiet: { kind: "boolean" },
  include: { kind: "list", description: "glob to include" },
  exclude: { kind: "list", default: ["*.tmp"] },
} as const satisfies CliSpec;

Deno.test("parseCli() reads every flag kind and form", async (t) => {
  await t.step("defaults when nothing is given", () => {
    const { flags, positional } = parseCli([], SPEC);
    assertEquals(flags.port, 8000);
    assertEquals(flags.ratio, undefined);
    assertEquals(flags.output, undefined);
    assertEquals(flags.head, false);
    assertEquals(flags.recursion, true);
    assertEquals(flags.include, []);
    assertEquals(flags.exclude, ["*.tmp"]);
    assertEquals(positional, []);
    // Typed: a defaulted number is a number, an undefaulted one may be absent.
    const port: number = flags.port;
    const ratio: number | undefined = flags.ratio;
    assertEquals([port, ratio], [8000, undefined]);
  });
  await t.step("--flag value, --flag=value, -o value, -ovalue", () => {
    assertEquals(parseCli(["--port", "80"], SPEC).flags.port, 80);
    assertEquals(parseCli(["--port=81"], SPEC).flags.port, 81);
    assertEquals(parseCli(["-o", "a.txt"], SPEC).flags.output, "a.txt");
    assertEquals(parseCli(["-ob.txt"], SPEC).flags.output, "b.txt");
    assertEquals(parseCli(["--output=--x"], SPEC).flags.output, "--x");
    assertEquals(parseCli(["-o", "-"], SPEC).flags.output, "-");
    assertEquals(parseCli(["--ratio", "-0.5"], SPEC).flags.ratio, -0.5);
  });
  await t.step("clustered short switches, the last may take a value", () => {
    const { flags } = parseCli(["-Iv"], SPEC);
    assertEquals([flags.head, flags.verbose], [true, true]);
    const both = parseCli(["-vo", "out"], SPEC).flags;
    assertEquals([both.verbose, both.output], [true, "out"]);
  });
  await t.step("booleans take =true or =false, declared ones --no-", () => {
    assertEquals(parseCli(["--quiet=false"], SPEC).flags.quiet, false);
    assertEquals(parseCli(["--quiet=true"], SPEC).flags.quiet, true);
    assertEquals(parseCli(["--no-recursion"], SPEC).flags.recursion, false);
    assertThrows(() => parseCli(["--no-quiet"], SPEC), UsageError, "Unknown");
    assertThrows(
      () => parseCli(["--no-recursion=1"], SPEC),
      UsageError,
      "takes no value",
    );
    assertThrows(() => parseCli(["--quiet=yes"], SPEC), UsageError);
  });
  await t.step("lists repeat and replace their default", () => {
    const { flags } = parseCli(
      ["--include", "a", "--include=b", "--exclude", "c"],
      SPEC,
    );
    assertEquals(flags.include, ["a", "b"]);
    assertEquals(flags.exclude, ["c"]);
    // The default array is copied, never shared between calls.
    parseCli([], SPEC).flags.exclude.push("x");
    assertEquals(parseCli([], SPEC).flags.exclude, ["*.tmp"]);
  });
  await t.step("positionals, a lone dash and the -- terminator", () => {
    const { flags, positional } = parseCli(
      ["a", "-", "--quiet", "b", "--", "--port", "-v"],
      SPEC,
    );
    assertEquals(positional, ["a", "-", "b", "--port", "-v"]);
    assertEquals(flags.quiet, true);
    assertEquals(flags.port, 8000);
  });
});

Deno.test("parseCli() throws UsageError with a clear message", async (t) => {
  await t.step("unknown long and short flags", () => {
    assertThrows(() => parseCli(["--bogus"], SPEC), UsageError, '"--bogus"');
    assertThrows(() => parseCli(["-x"], SPEC), UsageError, '"-x"');
    assertThrows(() => parseCli(["-vx"], SPEC), UsageError, '"-x" in "-vx"');
    assertThrows(() => parseCli(["--constructor"], SPEC), UsageError);
    assertThrows(() => parseCli(["--no-toString"], SPEC), UsageError);
  });
  await t.step("missing values", () => {
    assertThrows(
      () => parseCli(["--port"], SPEC),
      UsageError,
      'Flag "--port" needs a value',
    );
    assertThrows(() => parseCli(["-o"], SPEC), UsageError, "needs a value");
    assertThrows(
      () => parseCli(["--output", "--quiet"], SPEC),
      UsageError,
      "needs a value",
    );
  });
  await t.step("malformed or out-of-range numbers", () => {
    for (
      const bad of [
        "abc",
        "",
        " ",
        "1.5",
        "-1",
        "65536",
        "0x10",
        "1e",
        "Infinity",
      ]
    ) {
      assertThrows(
        () => parseCli(["--port", bad], SPEC),
        UsageError,
        'Flag "--port" needs a whole number from 0 to 65535',
      );
    }
    assertThrows(() => parseCli(["--ratio=NaN"], SPEC), UsageError);
    assertEquals(parseCli(["--ratio=1e3"], SPEC).flags.ratio, 1000);
  });
});

Deno.test("formatUsage() names permissions, flags and defaults", () => {
  const text = formatUsage(SPEC, {
    name: "tool.ts",
    permissions: "--allow-net --allow-read",
    synopsis: "<url> [options]",
    description: "Does things.",
    notes: "Exit codes: 0 ok, 1 failure, 2 usage.",
  });
  const lines = text.split("\n");
  assertEquals(
    lines[0],
    "Usage: deno run --allow-net --allow-read tool.ts <url> [options]",
  );
  assertStringIncludes(text, "Does things.");
  assertStringIncludes(text, "--port N");
  assertStringIncludes(text, "(default: 8000)");
  assertStringIncludes(text, "-o, --output FILE");
  assertStringIncludes(text, "--[no-]recursion");
  assertStringIncludes(text, "--include VALUE...");
  assertStringIncludes(text, "glob to include");
  assertStringIncludes(text, "Permissions: --allow-net --allow-read");
  assert(text.endsWith("Exit codes: 0 ok, 1 failure, 2 usage."));
  assert(!/ $/m.test(text), "no trailing spaces");
});

Deno.test("runMain() returns 0, 2 for usage errors and 1 for failures", async () => {
  const errors: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args.join(" "));
  try {
    assertEquals(await runMain(() => Promise.resolve(0), []), 0);
    assertEquals(await runMain(() => Promise.resolve(3), []), 3);
    assertEquals(
      await runMain(() => Promise.reject(new UsageError("Bad thing")), []),
      2,
    );
    assertEquals(errors.pop(), "error: Bad thing\nRun with --help for usage.");
    assertEquals(
      await runMain(() => Promise.reject(new Error("Boom\nsecond line")), []),
      1,
    );
    assertEquals(errors.pop(), "error: Boom …");
    assertEquals(await runMain(() => Promise.reject("plain"), []), 1);
    assertEquals(errors.pop(), "error: plain");
  } finally {
    console.error = original;
  }
});

Deno.test("runMain() prints a stack only with a readable INETKIT_DEBUG, without prompting", async () => {
  const dir = await Deno.makeTempDir({ prefix: "inetkit-cli-" });
  try {
    const cli = new URL("../scripts/_cli.ts", import.meta.url).href;
    const script = `${dir}/fail.ts`;
    await Deno.writeTextFile(
      script,
      `import { runMain } from ${JSON.stringify(cli)};\n` +
        `Deno.exit(await runMain(() => Promise.reject(new Error("Broken"))));\n`,
    );
    const run = async (allowEnv: boolean) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--no-config",
          "--no-prompt",
          ...(allowEnv ? ["--allow-env=INETKIT_DEBUG"] : []),
          script,
        ],
        env: { INETKIT_DEBUG: "1" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
    };
    const quiet = await run(false);
    assertEquals(quiet.code, 1);
    assertEquals(quiet.stderr, "error: Broken\n");
    const debug = await run(true);
    assertEquals(debug.code, 1);
    assertStringIncludes(debug.stderr, "error: Broken\nError: Broken\n    at ");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
