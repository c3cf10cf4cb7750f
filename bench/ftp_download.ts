// deno-lint-ignore-file no-console
/**
 * Benchmark job: download one file with inetkit's FTP client (anonymous,
 * binary, passive), throw the data away while counting bytes, and print one
 * JSON line: `{"bytes": N, "seconds": S, "sha256": "..."}`. By default the
 * data goes to a writer with `FtpClient.downloadTo()` (the way to save to a
 * `Deno.FsFile`: one reused 1 MiB buffer, no stream); with `--stream` it is
 * read from `FtpClient.download()`'s byte stream with a BYOB reader and one
 * reused 1 MiB buffer.
 *
 * ```sh
 * deno run --allow-net bench/ftp_download.ts ftp://127.0.0.1:2131/big.bin [--sha256] [--stream]
 * ```
 *
 * `seconds` runs from connecting until the transfer completed (the stream
 * closes only once the data connection ended and 226 arrived), as curl's
 * `time_total` does: process start-up is excluded, and so is QUIT, which curl
 * sends (if at all) only when its handle is cleaned up, after `time_total`.
 * `node:crypto` is loaded only with `--sha256`, so the timed runs do not pay
 * for Node compatibility at start-up.
 *
 * @module
 */

import { FtpClient } from "../protocols/ftp.ts";
import { sha256When } from "./_digest.ts";

async function main(): Promise<void> {
  const target = Deno.args.find((arg) => !arg.startsWith("--"));
  if (!target) {
    console.error(
      "usage: ftp_download.ts ftp://HOST:PORT/PATH [--sha256] [--stream]",
    );
    Deno.exit(2);
  }
  const url = new URL(target);
  const hash = await sha256When(Deno.args.includes("--sha256"));
  const started = performance.now();
  const client = await FtpClient.connect({
    hostname: url.hostname,
    port: Number(url.port || 21),
  });
  let bytes = 0;
  let seconds: number;
  try {
    const path = decodeURIComponent(url.pathname);
    if (Deno.args.includes("--stream")) {
      const body = await client.download(path);
      const reader = body.getReader({ mode: "byob" });
      let buffer = new Uint8Array(1024 * 1024);
      while (true) {
        const { value, done } = await reader.read(buffer);
        if (done) break;
        bytes += value.byteLength;
        hash?.update(value);
        buffer = new Uint8Array(value.buffer);
      }
    } else {
      // A writer like Deno.FsFile: the client reads into one reused buffer
      // and hands each piece over, no stream in between.
      bytes = await client.downloadTo(path, {
        write(p: Uint8Array): Promise<number> {
          hash?.update(p);
          return Promise.resolve(p.byteLength);
        },
      });
    }
    seconds = (performance.now() - started) / 1000;
  } finally {
    await client.close();
  }
  console.log(JSON.stringify({
    bytes,
    seconds,
    ...(hash ? { sha256: hash.digest("hex") } : {}),
  }));
}

if (import.meta.main) await main();
