#!/usr/bin/env -S deno run --allow-net
// deno-lint-ignore-file no-console
/**
 * `get.ts`: the seed's httplib session as a tool. Fetches any URL a plugin
 * serves (`http:`, `https:`, `ftp:`, `ftps:`, `nntp:`, `news:`, `nntps:`,
 * `snews:`, and whatever `--plugin` adds) and writes the body to stdout or
 * a file, streamed.
 *
 * ```sh
 * deno run --allow-net scripts/get.ts http://127.0.0.1:8000/ -v
 * deno run --allow-net --allow-read=. --allow-write=. scripts/get.ts ftp://127.0.0.1:2121/big.bin -o big.bin
 * deno run --allow-net scripts/get.ts news://127.0.0.1:1119/id@example.org
 * deno run --allow-net --allow-import=example.org scripts/get.ts \
 *   --plugin https://example.org/gopher.ts gopher://host/
 * ```
 *
 * - `-v` prints the status line (`200 OK`) and every header as
 *   `key = value`, the way the seed prints an httplib reply, then the byte
 *   count, all on stderr so the body on stdout stays clean.
 * - `-I` prints the status line and headers on stdout and no body (a HEAD
 *   request where the protocol has one).
 * - `-o FILE` streams into a temporary file beside FILE and renames it only
 *   when the whole body arrived; on an error, a status of 400 or more, or
 *   Ctrl-C, nothing is left under FILE (an existing FILE is kept).
 * - Redirects are not followed (like curl without `-L`): `-v` shows them.
 * - Exit codes: 0 success, 1 failure or a status of 400 and above (the body
 *   still goes to stdout, like `curl --fail-with-body`), 2 usage, 130 after
 *   Ctrl-C.
 *
 * Permissions: `--allow-net` (narrow it to the hosts you fetch from);
 * `--allow-read=DIR --allow-write=DIR` with `-o` (the temporary file is
 * renamed, which takes both); `--allow-read` for `--ca` and a local
 * `--plugin` module; `--allow-import=HOST` for a remote `--plugin` module
 * (not needed when get.ts itself was run from that host);
 * `--allow-env=NNTPSERVER` for `news:` URLs that name no server.
 *
 * @module
 */

import {
  type CliSpec,
  formatUsage,
  parseCli,
  runMain,
  UsageError,
} from "./_cli.ts";
import { createDefaultRegistry, type ProtocolPlugin } from "../plugins/mod.ts";
import { writeAll } from "../protocols/write_all.ts";
import { reasonPhrase } from "../protocols/http_status.ts";

const SPEC = {
  output: {
    kind: "string",
    short: "o",
    valueName: "FILE",
    description:
      "write the body to FILE (a temporary file renamed when complete; - for stdout)",
  },
  head: {
    kind: "boolean",
    short: "I",
    description: "status line and headers only",
  },
  verbose: {
    kind: "boolean",
    short: "v",
    description:
      'status line and "key = value" headers on stderr, then the byte count',
  },
  plugin: {
    kind: "list",
    valueName: "MODULE",
    description:
      'load a plugin module (its default or "plugin" export); repeatable',
  },
  timeout: {
    kind: "number",
    min: 0,
    default: 30,
    valueName: "SECONDS",
    description: "give up when the peer is silent this long (0: never)",
  },
  ca: {
    kind: "list",
    valueName: "FILE",
    description: "trust this CA certificate (PEM) for TLS; repeatable",
  },
  help: { kind: "boolean", short: "h", description: "show this help" },
} as const satisfies CliSpec;

const USAGE = formatUsage(SPEC, {
  name: "get.ts",
  permissions: "--allow-net",
  synopsis: "<url> [options]",
  description:
    `Fetches a URL with the plugin registered for its scheme (http, https, ftp, ftps,
nntp, news, nntps, snews, and any --plugin) and writes the body to stdout or FILE.`,
  notes:
    `Also: --allow-read=DIR --allow-write=DIR with -o, --allow-read for --ca and a local --plugin,
--allow-import=HOST for a remote --plugin, --allow-env=NNTPSERVER for news: URLs
without a server. Narrowest: --allow-net=HOST:PORT of the URL.
Exit codes: 0 success, 1 failure or a status of 400 and above, 2 usage error,
130 after Ctrl-C. Redirects are not followed.`,
});

function isPlugin(value: unknown): value is ProtocolPlugin {
  const p = value as ProtocolPlugin | undefined;
  return !!p && typeof p === "object" && typeof p.fetch === "function" &&
    Array.isArray(p.schemes);
}

/**
 * Imports a plugin module named on the command line: its default export or
 * its `plugin` export, a plugin or a function returning one.
 */
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

function statusLine(res: Response): string {
  return `${res.status} ${res.statusText || reasonPhrase(res.status)}`
    .trimEnd();
}

function printHead(res: Response, write: (line: string) => void): void {
  write(statusLine(res));
  res.headers.forEach((value, key) => write(`${key} = ${value}`));
}

/** The directory a temporary file for `path` goes to. */
function directoryOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/") + 1);
}

/**
 * Asks for read and write access to the output's directory before anything
 * is fetched: the final rename needs both, and failing only then would waste
 * the download.
 */
function checkOutputPermissions(path: string): void {
  const dir = directoryOf(path).replace(/(.)\/$/, "$1") || ".";
  for (const name of ["read", "write"] as const) {
    if (Deno.permissions.requestSync({ name, path: dir }).state !== "granted") {
      throw new Error(
        `-o needs --allow-read and --allow-write for "${dir}" (the body goes to a temporary file that is renamed)`,
      );
    }
  }
}

/**
 * Streams a body into a temporary file beside `path` and renames it to
 * `path` once complete. On an error or a signal the temporary file is
 * removed, so `path` is either the whole body or untouched.
 */
async function writeToFile(
  body: ReadableStream<Uint8Array>,
  path: string,
): Promise<number> {
  const dir = directoryOf(path);
  const temp = `${dir}.${path.slice(dir.length)}.part-${
    crypto.randomUUID().slice(0, 8)
  }`;
  const file = await Deno.open(temp, { write: true, createNew: true });
  let closed = false;
  function closeFile(): void {
    if (closed) return;
    closed = true;
    file.close();
  }
  function onSignal(): void {
    closeFile();
    try {
      Deno.removeSync(temp);
    } catch { /* already gone */ }
    Deno.exit(130);
  }
  Deno.addSignalListener("SIGINT", onSignal);
  let count = 0;
  try {
    for await (const chunk of body) {
      count += chunk.length;
      await writeAll(file, chunk);
    }
    closeFile();
    await Deno.rename(temp, path);
    return count;
  } catch (err) {
    closeFile();
    await Deno.remove(temp).catch(() => {});
    throw err;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
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
  const output = flags.output === "-" ? undefined : flags.output;
  if (output) checkOutputPermissions(output);
  const registry = createDefaultRegistry();
  try {
    for (const spec of flags.plugin) registry.register(await loadPlugin(spec));
    const caCerts = await Promise.all(
      flags.ca.map((f) => Deno.readTextFile(f)),
    );
    const res = await registry.fetch(target, {
      method: flags.head ? "HEAD" : "GET",
      timeout: flags.timeout * 1000,
      ...(caCerts.length ? { caCerts } : {}),
    });
    const failed = res.status >= 400;
    if (flags.head) {
      printHead(res, (l) => console.log(l));
      await res.body?.cancel();
      return failed ? 1 : 0;
    }
    if (flags.verbose) printHead(res, (l) => console.error(l));
    let count = 0;
    if (failed && output) {
      await res.body?.cancel();
    } else if (res.body && output) {
      count = await writeToFile(res.body, output);
    } else if (res.body) {
      for await (const chunk of res.body) {
        count += chunk.length;
        await writeAll(Deno.stdout, chunk);
      }
    }
    if (flags.verbose) console.error(`${count} bytes`);
    if (failed) {
      console.error(`error: ${statusLine(res)}`);
      return 1;
    }
    return 0;
  } finally {
    await registry.close();
  }
}

if (import.meta.main) Deno.exit(await runMain(main, Deno.args));
