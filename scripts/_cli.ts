/**
 * A small typed command-line parser shared by the scripts, and `runMain`,
 * which turns errors into one-line messages and exit codes (2 for usage
 * errors, 1 for failures). It needs no `deno.json` import map, so scripts
 * keep running from a URL.
 *
 * @module
 */

/** How one flag is read. */
export type FlagKind = "boolean" | "string" | "number" | "list";

/** One flag of a {@linkcode CliSpec}. */
export interface FlagSpec {
  /** How the value is read: a switch, one string, a number, or a repeatable string. */
  kind: FlagKind;
  /** Single-letter alias, such as `"o"` for `-o`. */
  short?: string;
  /** Smallest accepted number (kind `"number"`). */
  min?: number;
  /** Largest accepted number (kind `"number"`). */
  max?: number;
  /** Only whole numbers (kind `"number"`). */
  integer?: boolean;
}

/** Flags by their long name (without the leading `--`). */
export type CliSpec = Record<string, FlagSpec>;

/** The value type a flag kind produces. */
type ValueOf<F extends FlagSpec> = F["kind"] extends "boolean" ? boolean
  : F["kind"] extends "number" ? number
  : F["kind"] extends "list" ? string[]
  : string;

/** Parsed flags: booleans default to false, lists to `[]`, others are absent when not given. */
export type ParsedFlags<S extends CliSpec> = {
  [K in keyof S]: S[K]["kind"] extends "boolean" | "list" ? ValueOf<S[K]>
    : ValueOf<S[K]> | undefined;
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
 * assert(new UsageError("Unknown flag: \"--x\"") instanceof Error);
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

/**
 * Parses arguments against a spec. Accepts `--flag value`, `--flag=value`,
 * `-f value`, `--no-flag` for booleans, and `--` to end the flags.
 *
 * @param args The arguments (usually `Deno.args`).
 * @param spec The flags.
 * @returns Flags and positional arguments.
 * @throws {UsageError} For unknown flags, missing values or bad numbers.
 *
 * @example Usage
 * ```ts
 * import { parseCli } from "./_cli.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const { flags, positional } = parseCli(["dir", "--port=8080", "-q"], {
 *   port: { kind: "number", integer: true, min: 0, max: 65535 },
 *   quiet: { kind: "boolean", short: "q" },
 * });
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
    if (f.kind === "boolean") flags[name] = false;
    if (f.kind === "list") flags[name] = [];
    if (f.short) byShort.set(f.short, name);
  }
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positional.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    } else {
      const long = byShort.get(arg.slice(1, 2));
      if (!long || arg.length > 2) {
        throw new UsageError(`Unknown flag: ${JSON.stringify(arg)}`);
      }
      name = long;
    }
    let f = spec[name];
    if (
      !f && name.startsWith("no-") && spec[name.slice(3)]?.kind === "boolean"
    ) {
      if (inline !== undefined) {
        throw new UsageError(`Flag "--${name}" takes no value`);
      }
      flags[name.slice(3)] = false;
      continue;
    }
    if (!f) throw new UsageError(`Unknown flag: ${JSON.stringify(arg)}`);
    f = f as FlagSpec;
    if (f.kind === "boolean") {
      if (inline !== undefined && inline !== "true" && inline !== "false") {
        throw new UsageError(`Flag "--${name}" takes no value`);
      }
      flags[name] = inline !== "false";
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) {
      throw new UsageError(`Flag "--${name}" needs a value`);
    }
    if (f.kind === "string") flags[name] = value;
    else if (f.kind === "list") (flags[name] as string[]).push(value);
    else flags[name] = readNumber(name, value, f);
  }
  return { flags: flags as ParsedFlags<S>, positional };
}

function readNumber(name: string, value: string, f: FlagSpec): number {
  const n = value.trim() === "" ? NaN : Number(value);
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
 * `INETKIT_DEBUG` set (and readable) the stack trace is printed too.
 *
 * @param main The script's main function; it returns the exit code.
 * @param args The arguments.
 * @returns The exit code (also passed to `Deno.exit` by callers).
 *
 * @example Usage
 * ```ts ignore
 * if (import.meta.main) Deno.exit(await runMain(main, Deno.args));
 * ```
 */
export async function runMain(
  main: (args: string[]) => Promise<number>,
  args: string[],
): Promise<number> {
  try {
    return await main(args);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof UsageError) {
      // deno-lint-ignore no-console
      console.error(`error: ${message}\nRun with --help for usage.`);
      return 2;
    }
    // deno-lint-ignore no-console
    console.error(`error: ${message}`);
    if (envIfPermitted("INETKIT_DEBUG") && err instanceof Error) {
      // deno-lint-ignore no-console
      console.error(err.stack);
    }
    return 1;
  }
}
