/**
 * HTTP benchmark cases (issue 4): proxy requests/s and p99 through our
 * redirector, nginx `proxy_pass` and the textbook Python redirector; client
 * download MB/s against curl.
 *
 * @module
 */

import {
  childrenOf,
  peakRssOf,
  portOpen,
  runMeasured,
  waitForPort,
  warmPageCache,
} from "./_measure.ts";
import {
  type BenchContext,
  type BenchRow,
  emptySide,
  finishRow,
  guarded,
  missingNote,
  type Side,
  sideOf,
} from "./_row.ts";
import {
  mbpsNote,
  recordRun,
  sampleInto,
  type Samples,
  samplesOf,
  sideFrom,
} from "./_samples.ts";
import { runWrk, type WrkResult } from "./_wrk.ts";

const SIZES = [
  { key: "1k", label: "1 KiB" },
  { key: "64k", label: "64 KiB" },
] as const;

function wrkSide(tool: string, result: WrkResult, rssKiB: number | null): Side {
  const errors = result.errors > 0 ? `, ${result.errors} errors` : "";
  const side = sideOf(
    tool,
    [result.requestsPerSecond],
    [rssKiB],
    `p50 ${result.p50Ms.toFixed(2)} ms, p99 ${
      result.p99Ms.toFixed(2)
    } ms${errors}`,
  );
  if (result.errors > Math.max(10, result.requests / 100)) {
    side.note = `${result.errors} errors of ${result.requests} requests`;
  }
  return side;
}

async function freePort(from: number): Promise<number> {
  for (let port = from; port < from + 50; port++) {
    if (!await portOpen(port)) return port;
  }
  throw new Error(`No free port in ${from}-${from + 49}`);
}

async function readPid(path: string): Promise<number | null> {
  try {
    const pid = Number((await Deno.readTextFile(path)).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * A Deno proxy of ours (the redirector, or the bare reference proxy), started
 * fresh for one wrk run so its peak RSS is that run's.
 */
async function measureDenoProxy(
  ctx: BenchContext,
  tool: string,
  path: string,
  extra: string[],
): Promise<Side> {
  const port = await freePort(8094);
  const upstream = ctx.peers.nginx.url;
  const child = new Deno.Command(ctx.deno, {
    args: [
      "run",
      "--allow-net",
      tool,
      upstream,
      "--port",
      String(port),
      ...extra,
    ],
    cwd: ctx.root,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    if (!await waitForPort(port, 30_000)) {
      throw new Error(`${tool} did not listen on 127.0.0.1:${port}`);
    }
    const url = `http://127.0.0.1:${port}${path}`;
    await runWrk(url, { seconds: 1 }); // warm-up, not recorded
    const result = await runWrk(url, { seconds: ctx.seconds });
    return wrkSide(tool, result, await peakRssOf(child.pid));
  } finally {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }, 10_000);
    await child.status;
    clearTimeout(timer);
    await child.stderr.cancel().catch(() => {});
  }
}

async function measurePeerProxy(
  tool: string,
  url: string,
  rssPids: () => Promise<number[]>,
  seconds: number,
): Promise<Side> {
  await runWrk(url, { seconds: 1 });
  const result = await runWrk(url, { seconds });
  const rss = await Promise.all((await rssPids()).map(peakRssOf));
  const known = rss.filter((value): value is number => value !== null);
  return wrkSide(tool, result, known.length ? Math.max(...known) : null);
}

/**
 * Measures requests/s and latency through the three proxies, for 1 KiB and
 * 64 KiB files, and through `bench/bare_proxy.ts`, the least a
 * `Deno.listen` proxy can do: the ceiling of the runtime on this machine,
 * for reference.
 *
 * @param ctx Run context.
 * @returns Three rows per file size: ours against nginx, Python and the bare proxy.
 *
 * @example Usage
 * ```ts ignore
 * import { proxyRows } from "./_http_cases.ts";
 *
 * const rows = await proxyRows(ctx);
 * ```
 */
export async function proxyRows(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const { peers } = ctx;
  const missing = await missingNote(ctx.root, ["scripts/redirector.ts"]);
  const nginxMaster = await readPid(`${peers.dir}/run/nginx.pid`);
  const pythonPid = await readPid(`${peers.dir}/run/py-redirector.pid`);
  for (const size of SIZES) {
    const path = peers.www.files[size.key].path;
    ctx.progress(`proxy ${size.label}: ours`);
    const ours = missing
      ? emptySide("scripts/redirector.ts", missing)
      : await guarded(
        "scripts/redirector.ts",
        () => measureDenoProxy(ctx, "scripts/redirector.ts", path, ["--quiet"]),
      );
    ctx.progress(`proxy ${size.label}: bare Deno.listen proxy (reference)`);
    const bare = await guarded(
      "bench/bare_proxy.ts",
      () => measureDenoProxy(ctx, "bench/bare_proxy.ts", path, []),
    );
    ctx.progress(`proxy ${size.label}: nginx proxy_pass`);
    const nginx = await guarded(
      "nginx proxy_pass",
      () =>
        measurePeerProxy(
          "nginx proxy_pass",
          `${peers.nginxProxy.url}${path}`,
          async () => nginxMaster ? await childrenOf(nginxMaster) : [],
          ctx.seconds,
        ),
    );
    ctx.progress(`proxy ${size.label}: Python http.server redirector`);
    const python = await guarded(
      "Python http.server",
      () =>
        measurePeerProxy(
          "Python http.server",
          `${peers.pythonRedirector.url}${path}`,
          () => Promise.resolve(pythonPid ? [pythonPid] : []),
          ctx.seconds,
        ),
    );
    const base = {
      unit: "req/s",
      higherIsBetter: true,
      ours,
    } as const;
    rows.push(finishRow({
      ...base,
      id: `http.proxy.${size.key}.nginx`,
      title: `proxy ${size.label} req/s (wrk -c50)`,
      target: { op: ">=", ratio: 0.7 },
      theirs: nginx,
    }));
    rows.push(finishRow({
      ...base,
      id: `http.proxy.${size.key}.python`,
      title: `proxy ${size.label} req/s (wrk -c50)`,
      target: { op: ">=", ratio: 5 },
      theirs: python,
    }));
    rows.push(finishRow({
      ...base,
      id: `http.proxy.${size.key}.bare`,
      title: `proxy ${size.label} req/s (wrk -c50)`,
      target: null,
      theirs: { ...bare, tool: "bare Deno.listen proxy" },
    }));
  }
  return rows;
}

interface DownloadReport {
  bytes: number;
  seconds: number;
  sha256?: string;
}

async function ourDownload(
  ctx: BenchContext,
  url: string,
  extra: string[],
  into: Samples,
): Promise<DownloadReport> {
  const { size } = ctx.peers.www.files["100m"];
  const result = await runMeasured([
    ctx.deno,
    "run",
    "--allow-net",
    "bench/http_download.ts",
    url,
    ...extra,
  ], { cwd: ctx.root, timeoutMs: 120_000 });
  const report = parseReport(result.stdout, result.stderr, result.code);
  if (report.bytes !== size) {
    throw new Error(`got ${report.bytes} bytes of ${size}`);
  }
  if (!extra.includes("--sha256")) {
    recordRun(into, report.bytes, report.seconds, result);
  }
  return report;
}

/**
 * Downloads `url` once with curl into `/dev/null` and records its MB/s (from
 * curl's own `time_total`), peak RSS and process wall time.
 *
 * @param url What to fetch.
 * @param size The expected size in bytes.
 * @param into Where the sample goes.
 * @param timeoutMs How long curl may take.
 * @throws {Error} When curl fails or gets another size.
 *
 * @example Usage
 * ```ts ignore
 * import { curlSample } from "./_http_cases.ts";
 *
 * await curlSample("http://127.0.0.1:8091/100m.bin", 104857600, samples, 120_000);
 * ```
 */
export async function curlSample(
  url: string,
  size: number,
  into: Samples,
  timeoutMs: number,
): Promise<void> {
  const result = await runMeasured([
    "curl",
    "-sS",
    "-o",
    "/dev/null",
    "-w",
    "%{time_total} %{size_download}",
    url,
  ], { timeoutMs });
  const [seconds, bytes] = result.stdout.trim().split(" ").map(Number);
  if (result.code !== 0 || bytes !== size || !seconds) {
    throw new Error(
      `curl exit ${result.code}: ${result.stderr.trim() || result.stdout}`,
    );
  }
  recordRun(into, bytes, seconds, result);
}

/**
 * Parses the JSON line a download job prints.
 *
 * @param stdout The job's standard output.
 * @param stderr Its standard error (for the failure message).
 * @param code Its exit code.
 * @returns Bytes, seconds and the optional digest.
 * @throws {Error} When the job failed or printed no report.
 *
 * @example Usage
 * ```ts ignore
 * import { parseReport } from "./_http_cases.ts";
 *
 * parseReport('{"bytes":1,"seconds":0.1}\n', "", 0);
 * ```
 */
export function parseReport(
  stdout: string,
  stderr: string,
  code: number,
): DownloadReport {
  const line = stdout.trim().split("\n").at(-1) ?? "";
  if (code !== 0 || !line.startsWith("{")) {
    throw new Error(
      `exit ${code}: ${
        (stderr.trim() || stdout.trim()).split("\n").slice(-3).join(" ")
      }`,
    );
  }
  return JSON.parse(line) as DownloadReport;
}

/**
 * Measures single-stream download MB/s of the 100 MiB file from nginx: our
 * client against curl.
 *
 * @param ctx Run context.
 * @returns One row.
 *
 * @example Usage
 * ```ts ignore
 * import { downloadRow } from "./_http_cases.ts";
 *
 * const row = await downloadRow(ctx);
 * ```
 */
export async function downloadRow(ctx: BenchContext): Promise<BenchRow> {
  const { path, size, sha256 } = ctx.peers.www.files["100m"];
  const url = `${ctx.peers.nginx.url}${path}`;
  const file = `${ctx.peers.www.root}${path}`;
  const missing = await missingNote(ctx.root, [
    "protocols/http.ts",
    "bench/http_download.ts",
  ]);
  const ours = samplesOf("bench/http_download.ts");
  const stream = samplesOf("bench/http_download.ts --stream");
  const curl = samplesOf("curl");
  ours.failure = stream.failure = missing;
  ctx.progress("HTTP download 100 MiB: ours (sha256 check)");
  await warmPageCache(file);
  await sampleInto(ours, async () => {
    const check = await ourDownload(ctx, url, ["--sha256"], ours);
    if (check.sha256 !== sha256) {
      throw new Error(`body differs: sha256 ${check.sha256}`);
    }
  });
  // Short runs are noisy: take more of them, ours and curl in turns (each
  // going first in turn), the page cache warm before each.
  const rounds = Math.max(ctx.runs, 5);
  for (let run = 0; run < rounds; run++) {
    ctx.progress(`HTTP download 100 MiB: ours and curl, round ${run + 1}`);
    const order = run % 2 === 0 ? [ours, curl] : [curl, ours];
    for (const side of [...order, stream]) {
      if (side.failure) continue;
      await warmPageCache(file);
      await sampleInto(
        side,
        side === curl
          ? () => curlSample(url, size, curl, 120_000)
          : () =>
            ourDownload(ctx, url, side === stream ? ["--stream"] : [], side),
      );
    }
  }
  const streamNote = mbpsNote("body stream", stream);
  return finishRow({
    id: "http.download.100m",
    title: "HTTP client download 100 MiB MB/s",
    unit: "MB/s",
    higherIsBetter: true,
    target: { op: ">=", ratio: 0.8 },
    ours: sideFrom(ours, `sha256 ok, ${streamNote}`),
    theirs: sideFrom(curl, ""),
  });
}
