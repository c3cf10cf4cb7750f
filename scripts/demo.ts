#!/usr/bin/env -S deno run --allow-net=127.0.0.1 --allow-read --allow-write
// deno-lint-ignore-file no-console
/**
 * `demo.ts` (`deno task demo`): the main jobs on an embedded default, over
 * real sockets on 127.0.0.1 and with no outside server.
 *
 * 1. HTTP: `file_server.ts` serves a generated site; the redirector runs in
 *    front of it; requests go through the redirector with inetkit's own HTTP
 *    client and are checked byte for byte, each one logged in Common Log
 *    Format as the seed's redirector does.
 * 2. FTP: a fixture FTP server serves a small tree; `ftp_mirror` copies it
 *    into a local directory, then runs again and transfers nothing.
 * 3. NNTP: a fixture news server serves sample groups; `news_viewer` writes
 *    an HTML page of the articles whose subject matches a word.
 *
 * It prints what each job did and where the outputs are, shuts everything
 * down and exits 0 (1 if a job failed).
 *
 * Permissions: `--allow-net=127.0.0.1 --allow-read --allow-write` (read and
 * write only its own temporary directory, or `--out DIR`).
 *
 * @module
 */

import { parseCli, runMain, UsageError } from "./_cli.ts";
import { startFileServer } from "./file_server.ts";
import { serveRedirector } from "./redirector.ts";
import { startFtpFixture } from "./_ftp_fixture_server.ts";
import { mirror } from "./ftp_mirror.ts";
import {
  sampleGroups,
  startNntpFixtureServer,
} from "./_nntp_fixture_server.ts";
import { run as newsViewer } from "./news_viewer.ts";
import { HttpClient } from "../protocols/http.ts";

const SPEC = {
  out: { kind: "string" },
  help: { kind: "boolean", short: "h" },
} as const;

const USAGE = `Usage: demo.ts [--out DIR]

Runs the redirector, ftp_mirror and news_viewer against local fixture servers
(HTTP, FTP, NNTP on 127.0.0.1) and prints what each did. Outputs go to DIR
(default: a new temporary directory).

Permissions: --allow-net=127.0.0.1 --allow-read --allow-write`;

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

function sampleBytes(size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let x = 2463534242;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

async function httpJob(dir: string): Promise<void> {
  const site = `${dir}/site`;
  await Deno.mkdir(`${site}/docs`, { recursive: true });
  await Deno.writeTextFile(
    `${site}/index.html`,
    "<!doctype html><title>inetkit demo</title><h1>Hello from the upstream</h1>\n",
  );
  await Deno.writeTextFile(
    `${site}/docs/notes.txt`,
    "Served by file_server.ts\n",
  );
  const big = sampleBytes(4 * 1024 * 1024);
  await Deno.writeFile(`${site}/big.bin`, big);

  const upstream = startFileServer({
    root: site,
    port: 0,
    hostname: "127.0.0.1",
  });
  const upstreamUrl = `http://127.0.0.1:${upstream.addr.port}/`;
  const front = serveRedirector({
    upstream: upstreamUrl,
    log: (line: string) => console.log(`  ${line}`),
    port: 0,
  });
  const frontUrl = `http://127.0.0.1:${front.addr.port}`;
  console.log(`[http] upstream file_server on ${upstreamUrl} serving ${site}`);
  console.log(`[http] Redirecting HTTP requests to ${upstreamUrl}`);
  console.log(`[http] Serving HTTP on ${frontUrl}/`);
  const client = new HttpClient();
  try {
    for (const path of ["/", "/docs/notes.txt", "/big.bin", "/missing"]) {
      const res = await client.request(`${frontUrl}${path}`, {});
      const body = res.body
        ? new Uint8Array(await new Response(res.body).arrayBuffer())
        : null;
      let note = `${body?.length ?? 0} bytes`;
      if (path === "/big.bin" && body) {
        note += (await sha256(body)) === (await sha256(big))
          ? ", sha256 matches the upstream file"
          : ", SHA256 MISMATCH";
      }
      console.log(`[http] GET ${path} -> ${res.status} ${res.reason}, ${note}`);
    }
  } finally {
    await client.close();
    await front.shutdown();
    await upstream.shutdown();
  }
}

async function ftpJob(dir: string): Promise<void> {
  const files: Record<string, string | Uint8Array> = {
    "/pub/README.txt": "Welcome to the inetkit demo FTP server.\n",
    "/pub/data/numbers.csv": Array.from(
      { length: 1000 },
      (_, i) => `${i},${i * i}`,
    ).join("\n"),
    "/pub/data/blob.bin": sampleBytes(512 * 1024),
    "/pub/two  spaces.txt": "names with spaces survive\n",
    "/pub/café.txt": "UTF-8 names survive\n",
  };
  for (let i = 0; i < 20; i++) {
    files[`/pub/many/file-${i}.txt`] = `file ${i}\n`.repeat(i + 1);
  }
  const server = startFtpFixture({ files });
  const target = `${dir}/mirror`;
  console.log(
    `[ftp] fixture server on ${server.url} (${
      Object.keys(files).length
    } files)`,
  );
  try {
    const url = `${server.url.replace(/\/$/, "")}/pub`;
    const first = await mirror({ url, dir: target, parallel: 4 });
    console.log(
      `[ftp] ftp_mirror ${url} -> ${target}: ${first.files} files, ${first.bytes} bytes, ${first.failures.length} failures (${
        first.seconds.toFixed(2)
      } s)`,
    );
    const second = await mirror({ url, dir: target, parallel: 4 });
    console.log(
      `[ftp] second run: ${second.files} files, ${second.bytes} bytes transferred, ${second.unchanged} unchanged`,
    );
    if (first.failures.length || second.failures.length) {
      throw new Error("FTP mirror failed");
    }
  } finally {
    await server.close();
  }
}

async function nntpJob(dir: string): Promise<void> {
  const server = startNntpFixtureServer({ groups: sampleGroups() });
  const address = `127.0.0.1:${server.port}`;
  console.log(`[nntp] fixture news server on nntp://${address}/`);
  try {
    for (
      const [group, word] of [["fixture.news", "deno"], [
        "fixture.big",
        "deno",
      ]] as const
    ) {
      const result = await newsViewer({
        group,
        word,
        server: address,
        out: `${dir}/${group}.html`,
        log: (line) => console.log(`  ${line}`),
        progress: () => {},
      });
      console.log(
        `[nntp] news_viewer ${group} "${word}": ${result.matches} of ${result.scanned} articles -> ${result.file}`,
      );
    }
  } finally {
    await server.close();
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
 * import { main } from "./demo.ts";
 *
 * Deno.exit(await main([]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const { flags, positional } = parseCli(args, SPEC);
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  if (positional.length) throw new UsageError("Unexpected argument");
  const dir = flags.out ?? await Deno.makeTempDir({ prefix: "inetkit-demo-" });
  await Deno.mkdir(dir, { recursive: true });
  console.log("inetkit demo: real sockets on 127.0.0.1, no outside server\n");
  let failed = 0;
  for (
    const [name, job] of [["HTTP", httpJob], ["FTP", ftpJob], [
      "NNTP",
      nntpJob,
    ]] as const
  ) {
    try {
      await job(dir);
    } catch (err) {
      failed++;
      console.error(
        `[${name.toLowerCase()}] FAILED: ${
          err instanceof Error ? err.message : err
        }`,
      );
    }
    console.log("");
  }
  console.log(`Outputs are in ${dir}`);
  console.log(
    failed ? `${failed} job(s) failed` : "All jobs done; servers stopped.",
  );
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await runMain(main, Deno.args));
