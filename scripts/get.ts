#!/usr/bin/env -S deno run --allow-net
// deno-lint-ignore-file no-console
/**
 * `get.ts`: the seed's httplib session as a tool. Fetches any URL a plugin
 * serves (`http:`, `https:`, `ftp:`, `ftps:`, `nntp:`, `news:`, and whatever
 * `--plugin` adds) and writes the body to stdout or a file.
 *
 * ```sh
 * deno run --allow-net scripts/get.ts http://127.0.0.1:8000/ -v
 * deno run --allow-net --allow-write=. scripts/get.ts ftp://127.0.0.1:2121/big.bin -o big.bin
 * deno run --allow-net scripts/get.ts news:<id@example.org>
 * deno run --allow-net --allow-import scripts/get.ts --plugin https://example.org/gopher.ts gopher://host/
 * ```
 *
 * - `-v` prints the status line and every header as `key = value`, the way
 *   the seed prints an httplib reply, then the byte count (on stderr, so the
 *   body on stdout stays clean).
 * - `-I` prints the status and headers only (a HEAD request for HTTP).
 * - `-o FILE` streams into a temporary file beside FILE and renames it only
 *   when the whole body arrived; on error nothing is left under FILE.
 * - Exit codes: 0 success, 1 failure or a status of 400 and above, 2 usage.
 *
 * Permissions: `--allow-net` (narrow it to the hosts you fetch from);
 * `--allow-write=FILE's directory` with `-o`; `--allow-read` for `--ca`;
 * `--allow-import` for a remote `--plugin` module (`--allow-read` for a local one).
 *
 * @module
 */

import { parseCli, runMain, UsageError } from "./_cli.ts";
import { createDefaultRegistry, type ProtocolPlugin } from "../plugins/mod.ts";

const SPEC = {
  output: { kind: "string", short: "o" },
  head: { kind: "boolean", short: "I" },
  verbose: { kind: "boolean", short: "v" },
  plugin: { kind: "list" },
  timeout: { kind: "number", min: 0 },
  ca: { kind: "list" },
  help: { kind: "boolean", short: "h" },
} as const;

const USAGE =
  `Usage: get.ts <url> [-o FILE] [-I] [-v] [--plugin MODULE_URL]... [--timeout SECONDS] [--ca FILE]

Fetches a URL with the plugin registered for its scheme (http, https, ftp,
ftps, nntp, news, and any --plugin) and writes the body to stdout or FILE.

Options:
  -o, --output FILE   write the body to FILE (temporary file, renamed when complete)
  -I, --head          status and headers only
  -v, --verbose       status line and headers ("key = value") on stderr, then the byte count
  --plugin URL        load a plugin module (default export or "plugin": a ProtocolPlugin
                      or a function returning one); repeatable
  --timeout SECONDS   give up when the peer is silent this long (default 30)
  --ca FILE           trust this CA certificate (PEM) for TLS; repeatable
  -h, --help          this help

Permissions: --allow-net [--allow-write=DIR for -o] [--allow-read=FILE for --ca]
             [--allow-import for a remote --plugin]`;

function isPlugin(value: unknown): value is ProtocolPlugin {
  const p = value as ProtocolPlugin | undefined;
  return !!p && typeof p === "object" && typeof p.fetch === "function" &&
    Array.isArray(p.schemes);
}

async function loadPlugin(spec: string): Promise<ProtocolPlugin> {
  let url: string;
  try {
    url = new URL(spec).href;
  } catch {
    url = new URL(spec, `file://${Deno.cwd()}/`).href;
  }
  // The one computed import of the project: a plugin named on the command line.
  const mod = await import(url) as Record<string, unknown>;
  for (const candidate of [mod.default, mod.plugin]) {
    const value = typeof candidate === "function"
      ? (candidate as () => unknown)()
      : candidate;
    if (isPlugin(value)) return value;
  }
  throw new Error(`Module "${spec}" exports no plugin (default or "plugin")`);
}

function printHead(res: Response, write: (line: string) => void): void {
  write(`${res.status} ${res.statusText}`.trimEnd());
  res.headers.forEach((value, key) => write(`${key} = ${value}`));
}

async function writeToFile(
  body: ReadableStream<Uint8Array>,
  path: string,
): Promise<number> {
  const slash = path.lastIndexOf("/");
  const dir = slash >= 0 ? path.slice(0, slash + 1) : "";
  const temp = `${dir}.${path.slice(slash + 1)}.part-${
    crypto.randomUUID().slice(0, 8)
  }`;
  const file = await Deno.open(temp, { write: true, createNew: true });
  let count = 0;
  try {
    for await (const chunk of body) {
      count += chunk.length;
      for (let off = 0; off < chunk.length;) {
        off += await file.write(chunk.subarray(off));
      }
    }
    file.close();
    await Deno.rename(temp, path);
    return count;
  } catch (err) {
    try {
      file.close();
    } catch { /* closed */ }
    await Deno.remove(temp).catch(() => {});
    throw err;
  }
}

/**
 * The command-line entry point.
 *
 * @param args Command-line arguments.
 * @returns The exit code.
 *
 * @example Usage
 * ```ts ignore
 * import { main } from "./get.ts";
 *
 * Deno.exit(await main(["http://127.0.0.1:8000/", "-I"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const { flags, positional } = parseCli(args, SPEC);
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  if (positional.length !== 1) throw new UsageError("Expected exactly one URL");
  const target = positional[0]!;
  const registry = createDefaultRegistry();
  try {
    for (const spec of flags.plugin) registry.register(await loadPlugin(spec));
    const caCerts = await Promise.all(
      flags.ca.map((f) => Deno.readTextFile(f)),
    );
    const res = await registry.fetch(target, {
      method: flags.head ? "HEAD" : "GET",
      timeout: (flags.timeout ?? 30) * 1000,
      ...(caCerts.length ? { caCerts } : {}),
    });
    if (flags.head) {
      printHead(res, (l) => console.log(l));
      await res.body?.cancel();
      return res.status >= 400 ? 1 : 0;
    }
    if (flags.verbose) printHead(res, (l) => console.error(l));
    if (res.status >= 400 && flags.output) {
      await res.body?.cancel();
      console.error(`error: ${res.status} ${res.statusText}`.trimEnd());
      return 1;
    }
    let count = 0;
    if (res.body) {
      if (flags.output) {
        count = await writeToFile(res.body, flags.output);
      } else {
        for await (const chunk of res.body) {
          count += chunk.length;
          for (let off = 0; off < chunk.length;) {
            off += await Deno.stdout.write(chunk.subarray(off));
          }
        }
      }
    }
    if (flags.verbose) console.error(`${count} bytes`);
    if (res.status >= 400) {
      console.error(`error: ${res.status} ${res.statusText}`.trimEnd());
      return 1;
    }
    return 0;
  } finally {
    await registry.close();
  }
}

if (import.meta.main) Deno.exit(await runMain(main, Deno.args));
