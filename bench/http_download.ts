// deno-lint-ignore-file no-console
/**
 * Benchmark job: download one URL with inetkit's HTTP client, throw the body
 * away while counting bytes, and print one JSON line:
 * `{"bytes": N, "seconds": S, "status": 200, "sha256": "..."}`.
 *
 * ```sh
 * deno run --allow-net bench/http_download.ts http://127.0.0.1:8091/100m.bin [--sha256] [--stream]
 * ```
 *
 * `seconds` runs from the request until the last body byte (process start-up
 * excluded, as curl's `time_total` does). `--sha256` also hashes the body;
 * `node:crypto` is loaded only then, as in `bench/ftp_download.ts`, so the
 * timed runs pay what a fresh process using the client pays (in Deno 2.9 the
 * first `setTimeout` loads the Node timers, several milliseconds).
 * The body is read into one reused 256 KiB buffer, as a constant-memory
 * consumer would: with `HttpResponse.readInto()` by default, or with
 * `--stream` through a BYOB reader of the `body` stream (the web-streams
 * path, which costs Deno's stream machinery on every piece).
 *
 * @module
 */

import { request } from "../protocols/http.ts";
import { sha256When } from "./_digest.ts";

const BUFFER_SIZE = 256 * 1024;

async function main(): Promise<void> {
  const url = Deno.args.find((arg) => !arg.startsWith("--"));
  if (!url) {
    console.error("usage: http_download.ts URL [--sha256] [--stream]");
    Deno.exit(2);
  }
  const hash = await sha256When(Deno.args.includes("--sha256"));
  const started = performance.now();
  const response = await request(url, { method: "GET" });
  let bytes = 0;
  let buffer = new ArrayBuffer(BUFFER_SIZE);
  if (!Deno.args.includes("--stream")) {
    const view = new Uint8Array(buffer);
    for (let n; (n = await response.readInto(view)) !== null;) {
      bytes += n;
      hash?.update(view.subarray(0, n));
    }
  } else if (response.body) {
    // A BYOB reader: the client reads from the socket straight into this one
    // buffer, so the download runs in constant memory with no copy.
    const reader = response.body.getReader({ mode: "byob" });
    while (true) {
      const { value, done } = await reader.read(new Uint8Array(buffer));
      if (done) break;
      bytes += value.byteLength;
      hash?.update(value);
      buffer = value.buffer as ArrayBuffer;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({
    bytes,
    seconds,
    status: response.status,
    ...(hash ? { sha256: hash.digest("hex") } : {}),
  }));
}

if (import.meta.main) await main();
