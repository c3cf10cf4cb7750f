/**
 * A small typed command-line parser shared by the scripts, a usage-text
 * builder that names the script's permission flags, and `runMain`, which turns
 * errors into one-line messages and exit codes (2 for usage errors, 1 for
 * failures). It needs no `deno.json` import map and no `import.meta.dirname`,
 * so scripts keep running from a URL.
 *
 * @module
 */

/** How one flag is read. */
export type FlagKind = "boolean" | "string" | "number" | "list";

/** One flag of a {@linkcode CliSpec}. */
export interface FlagSpec {
  /**
   * How the value is read: a switch, one string, a number, or a repeatable
   * string (`"list"`, each use appends).
   */
  kind: FlagKind;
  /** Single-letter alias, such as `"o"` for `-o`. */
  short?: string;
  /**
   * The value when the flag is absent. With a default the parsed type drops
   * `undefined`.
   *
   * @default {false for booleans, [] for lists, absent otherwise}
   */
  default?: boolean | string | number | readonly string[];
  /**
   * For booleans: also accept `--no-<name>` to set `false`.
   *
   * @default {false}
   */
  negatable?: boolean;
  /** Smallest accepted number (kind `"number"`). */
  min?: number;
  /** Largest accepted number (kind `"number"`). */
  max?: number;
  /**
   * Only whole numbers (kind `"number"`).
   *
   * @default {false}
   */
  integer?: boolean;
  /** One line of help text for {@linkcode formatUsage}. */
  description?: string;
  /**
   * The value's placeholder in the help text.
   *
   * @default {"N" for numbers, "VALUE" otherwise}
   */
  valueName?: string;
}

/** Flags by their long name (without the leading `--`). */
export type CliSpec = Record<string, FlagSpec>;

/** The value type a flag kind produces. */
export type FlagValue<F extends FlagSpec> = F["kind"] extends "boolean"
  ? boolean
  : F["kind"] extends "number" ? number
  : F["kind"] extends "list" ? string[]
  : string;

/**
 * Parsed flags: booleans default to `false`, lists to `[]`, flags with a
 * `default` always have a value, others are `undefined` when not given.
 */
export type ParsedFlags<S extends CliSpec> = {
  [K in keyof S]: S[K]["kind"] extends "boolean" | "list" ? FlagValue<S[K]>
    : S[K] extends { default: string | number } ? FlagValue<S[K]>
    : FlagValue<S[K]> | undefined;
};

/** The result of {@linkcode parseCli}. */
export interface ParsedCli<S extends CliSpec> {
  /** The flags. */
  flags: ParsedFlags<S>;
  /** Positional arguments, in order (everything after `--` included). */
  positional: string[];
}

/**
 * A usage mistake on the command line: unknown flag, missing value, bad
 * number, wrong argument count. `runMain` exits with code 2 for it.
 *
 * @example Usage
 * ```ts
 * import { UsageError } from "./_cli.ts";
 * import { assert } from "../tests/_assert.ts";
 *
 * assert(new UsageError('Unknown flag: "--x"') instanceof Error);
 * ```
 */
export class UsageError extends Error {
  /**
   * Creates the error.
   *
   * @param message What is wrong.
   */
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}

const NUMBER_REGEXP = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Parses arguments against a spec. Accepts `--flag value`, `--flag=value`,
 * `-f value`, `-fvalue`, clustered short switches (`-qv`), `--no-flag` for
 * booleans declared `negatable`, and `--` to end the flags. A lone `-` is a
 * positional argument. A value taken from the next argument may not start
 * with `--` (use `--flag=--x` for that).
 *
 * @typeParam S The spec type; declare it `as const` (or with
 * `satisfies CliSpec`) so the result is typed per flag.
 * @param args The arguments (usually `Deno.args`).
 * @param spec The flags.
 * @returns Flags and positional arguments.
 * @throws {UsageError} For unknown flags, missing or unexpected values, and
 * numbers that are malformed or out of range.
 *
 * @example Usage
 * ```ts
 * import { parseCli } from "./_cli.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const { flags, positional } = parseCli(["dir", "--port=8080", "-q"], {
 *   port: { kind: "number", integer: true, min: 0, max: 65535, default: 8000 },
 *   quiet: { kind: "boolean", short: "q" },
 * } as const);
 * assertEquals(flags.port, 8080);
 * assertEquals(flags.quiet, true);
 * assertEquals(positional, ["dir"]);
 * ```
 */
export function parseCli<S extends CliSpec>(
  args: readonly string[],
  spec: S,
): ParsedCli<S> {
  const flags: Record<string, unknown> = {};
  const byShort = new Map<string, string>();
  for (const [name, f] of Object.entries(spec)) {
    if (f.default !== undefined) {
      flags[name] = Array.isArray(f.default) ? [...f.default] : f.default;
    } else if (f.kind === "boolean") flags[name] = false;
    else if (f.kind === "list") flags[name] = [];
    if (f.short) byShort.set(f.short, name);
  }
  const listGiven = new Set<string>();
  const positional: string[] = [];
  let i = 0;
  function take(name: string, inline: string | undefined): string {
    if (inline !== undefined) return inline;
    const next = args[i + 1];
    if (next === undefined || next.startsWith("--")) {
      throw new UsageError(`Flag "--${name}" needs a value`);
    }
    i++;
    return next;
  }
  function set(name: string, f: FlagSpec, inline: string | undefined): void {
    if (f.kind === "boolean") {
      if (inline !== undefined && inline !== "true" && inline !== "false") {
        throw new UsageError(
          `Flag "--${name}" takes no value, got ${JSON.stringify(inline)}`,
        );
      }
      flags[name] = inline !== "false";
      return;
    }
    const value = take(name, inline);
    if (f.kind === "string") flags[name] = value;
    else if (f.kind === "number") flags[name] = readNumber(name, value, f);
    else {
      // A given list replaces its default rather than adding to it.
      if (!listGiven.has(name)) flags[name] = [];
      listGiven.add(name);
      (flags[name] as string[]).push(value);
    }
  }
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positional.push(arg);
      continue;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      const inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
      const f = Object.hasOwn(spec, name) ? spec[name] : undefined;
      if (f) {
        set(name, f, inline);
        continue;
      }
      const base = name.slice(3);
      const negated = name.startsWith("no-") && Object.hasOwn(spec, base)
        ? spec[base]
        : undefined;
      if (negated?.kind === "boolean" && negated.negatable) {
        if (inline !== undefined) {
          throw new UsageError(`Flag "--${name}" takes no value`);
        }
        flags[base] = false;
        continue;
      }
      throw new UsageError(`Unknown flag: ${JSON.stringify(arg)}`);
    }
    // Short flags: "-q", "-qv", "-o file", "-ofile", "-qo file".
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j]!;
      const name = byShort.get(letter);
      if (name === undefined) {
        throw new UsageError(
          `Unknown flag: ${JSON.stringify(`-${letter}`)}${
            arg.length > 2 ? ` in ${JSON.stringify(arg)}` : ""
          }`,
        );
      }
      const f = spec[name]!;
      if (f.kind === "boolean") {
        flags[name] = true;
        continue;
      }
      const rest = arg.slice(j + 1);
      set(name, f, rest === "" ? undefined : rest);
      break;
    }
  }
  return { flags: flags as ParsedFlags<S>, positional };
}

function readNumber(name: string, value: string, f: FlagSpec): number {
  const n = NUMBER_REGEXP.test(value.trim()) ? Number(value) : NaN;
  const bad = !Number.isFinite(n) || (f.integer && !Number.isInteger(n)) ||
    (f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max);
  if (bad) {
    const range = f.min !== undefined || f.max !== undefined
      ? ` from ${f.min ?? "-∞"} to ${f.max ?? "∞"}`
      : "";
    throw new UsageError(
      `Flag "--${name}" needs ${
        f.integer ? "a whole number" : "a number"
      }${range}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** Options for {@linkcode formatUsage}. */
export interface UsageOptions {
  /** The script's file name, such as `"file_server.ts"`. */
  name: string;
  /**
   * The permission flags the script needs, exactly as `deno run` takes them,
   * such as `"--allow-net --allow-read"`.
   */
  permissions: string;
  /**
   * What follows the name in the usage line.
   *
   * @default {"[options]"}
   */
  synopsis?: string;
  /** A paragraph under the usage line. */
  description?: string;
  /** Text appended at the end (exit codes, narrower permissions...). */
  notes?: string;
}

function flagLabel(name: string, f: FlagSpec): string {
  const long = f.kind === "boolean" && f.negatable
    ? `--[no-]${name}`
    : `--${name}`;
  const value = f.kind === "boolean"
    ? ""
    : ` ${f.valueName ?? (f.kind === "number" ? "N" : "VALUE")}${
      f.kind === "list" ? "..." : ""
    }`;
  return `${f.short ? `-${f.short}, ` : "    "}${long}${value}`;
}

/**
 * Builds a script's `--help` text from its spec: a usage line with the
 * exact `deno run` permission flags, the description, one line per flag
 * (alias, placeholder, help text, default), and the notes.
 *
 * @param spec The flags.
 * @param options Name, permissions and texts.
 * @returns The help text, without a final newline.
 *
 * @example Usage
 * ```ts
 * import { formatUsage } from "./_cli.ts";
 * import { assertStringIncludes } from "../tests/_assert.ts";
 *
 * const text = formatUsage({
 *   port: { kind: "number", default: 8000, description: "port to listen on" },
 * }, { name: "file_server.ts", permissions: "--allow-net --allow-read", synopsis: "[dir] [options]" });
 * assertStringIncludes(text, "deno run --allow-net --allow-read file_server.ts [dir] [options]");
 * assertStringIncludes(text, "--port N");
 * assertStringIncludes(text, "(default: 8000)");
 * ```
 */
export function formatUsage(spec: CliSpec, options: UsageOptions): string {
  const rows = Object.entries(spec).map(([name, f]) => {
    const shown = f.default === undefined ||
        (Array.isArray(f.default) && f.default.length === 0) ||
        f.default === false
      ? ""
      : ` (default: ${
        Array.isArray(f.default) ? f.default.join(", ") : f.default
      })`;
    return [flagLabel(name, f), `${f.description ?? ""}${shown}`.trim()];
  });
  const width = Math.min(
    28,
    Math.max(0, ...rows.map(([label]) => label!.length)) + 2,
  );
  const lines = [
    `Usage: deno run ${options.permissions} ${options.name} ${
      options.synopsis ?? "[options]"
    }`,
  ];
  if (options.description) lines.push("", options.description);
  if (rows.length) {
    lines.push("", "Options:");
    for (const [label, help] of rows) {
      lines.push(
        label!.length + 2 > width && help
          ? `  ${label}\n  ${" ".repeat(width)}${help}`
          : `  ${label!.padEnd(width)}${help}`.trimEnd(),
      );
    }
  }
  lines.push("", `Permissions: ${options.permissions}`);
  if (options.notes) lines.push("", options.notes);
  return lines.join("\n");
}

/**
 * Reads an environment variable only when the permission is already granted,
 * so a script never prompts for it.
 *
 * @param name The variable.
 * @returns Its value, or `undefined` when unset or not permitted.
 *
 * @example Usage
 * ```ts
 * import { envIfPermitted } from "./_cli.ts";
 *
 * const server = envIfPermitted("NNTPSERVER") ?? "localhost";
 * ```
 */
export function envIfPermitted(name: string): string | undefined {
  try {
    const status = Deno.permissions.querySync({ name: "env", variable: name });
    return status.state === "granted" ? Deno.env.get(name) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs a script's `main`, printing a one-line message for errors: usage
 * errors exit 2 with a hint to run `--help`, other errors exit 1. With
 * `INETKIT_DEBUG` set (and readable without a prompt) the stack trace is
 * printed too. It returns the code rather than setting `Deno.exitCode`, so
 * tests can call it; scripts pass the result to `Deno.exit`.
 *
 * @param main The script's main function; it returns the exit code.
 * @param args The arguments.
 * @returns The exit code.
 *
 * @example Usage
 * ```ts ignore
 * if (import.meta.main) Deno.exit(await runMain(main, Deno.args));
 * ```
 */
export async function runMain(
  main: (args: string[]) => Promise<number>,
  args: string[] = Deno.args,
): Promise<number> {
  try {
    return await main(args);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const debug = envIfPermitted("INETKIT_DEBUG") && err instanceof Error;
    if (err instanceof UsageError) {
      // deno-lint-ignore no-console
      console.error(`error: ${message}\nRun with --help for usage.`);
      if (debug) {
        // deno-lint-ignore no-console
        console.error(err.stack);
      }
      return 2;
    }
    // deno-lint-ignore no-console
    console.error(`error: ${firstLine(message)}`);
    if (debug) {
      // deno-lint-ignore no-console
      console.error(err.stack);
    }
    return 1;
  }
}

function firstLine(message: string): string {
  const line = message.split("\n", 1)[0]!;
  return line === message ? line : `${line} …`;
}
