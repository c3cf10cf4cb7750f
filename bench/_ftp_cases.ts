/**
 * FTP benchmark cases (issue 5): 1 GiB download MB/s against curl, and the
 * wall time of mirroring the 2,000-file tree against lftp (8 connections) and
 * a sequential Python ftplib mirror.
 *
 * @module
 */

import { curlSample, parseReport } from "./_http_cases.ts";
import {
  mbpsNote,
  recordRun,
  sampleInto,
  type Samples,
  samplesOf,
  sideFrom,
} from "./_samples.ts";
import {
  type CommandResult,
  runChecked,
  runMeasured,
  warmPageCache,
} from "./_measure.ts";
import {
  type BenchContext,
  type BenchRow,
  emptySide,
  failureNote,
  finishRow,
  missingNote,
  type Side,
  sideOf,
} from "./_row.ts";

const PYTHON = "/usr/bin/python3";

async function ourRun(
  ctx: BenchContext,
  url: string,
  extra: string[],
): Promise<{ report: ReturnType<typeof parseReport>; result: CommandResult }> {
  const result = await runMeasured([
    ctx.deno,
    "run",
    "--allow-net",
    "bench/ftp_download.ts",
    url,
    ...extra,
  ], { cwd: ctx.root, timeoutMs: 300_000 });
  return {
    report: parseReport(result.stdout, result.stderr, result.code),
    result,
  };
}

async function ourSample(
  ctx: BenchContext,
  url: string,
  into: Samples,
  extra: string[] = [],
): Promise<void> {
  const { size } = ctx.peers.ftp.big;
  const { report, result } = await ourRun(ctx, url, extra);
  if (report.bytes !== size) {
    throw new Error(`got ${report.bytes} bytes of ${size}`);
  }
  recordRun(into, report.bytes, report.seconds, result);
}

/**
 * Measures the 1 GiB download from vsftpd (plain): our client against curl.
 *
 * Our client first downloads once with `--sha256` to check the data (untimed).
 * Then each round warms the page cache and runs both tools, one after the
 * other, taking turns at going first, so that both see the same machine: a
 * slow phase (another job, dropped cache) no longer lands on one side only.
 * Both write nothing: curl to `/dev/null`, ours into one reused buffer.
 *
 * @param ctx Run context.
 * @returns One row (MB/s, peak RSS).
 *
 * @example Usage
 * ```ts ignore
 * import { ftpDownloadRow } from "./_ftp_cases.ts";
 *
 * const row = await ftpDownloadRow(ctx);
 * ```
 */
export async function ftpDownloadRow(ctx: BenchContext): Promise<BenchRow> {
  const { vsftpd, ftp } = ctx.peers;
  const { size, sha256 } = ftp.big;
  const url = `ftp://${vsftpd.hostname}:${vsftpd.port}${ftp.big.path}`;
  const file = `${ftp.root}${ftp.big.path}`;
  const missing = await missingNote(ctx.root, [
    "protocols/ftp.ts",
    "bench/ftp_download.ts",
  ]);
  const ours = samplesOf("bench/ftp_download.ts");
  const stream = samplesOf("bench/ftp_download.ts --stream");
  const theirs = samplesOf("curl");
  if (missing) ours.failure = missing;
  ctx.progress("FTP download 1 GiB: ours (sha256 check)");
  await warmPageCache(file);
  await sampleInto(ours, async () => {
    const { report, result } = await ourRun(ctx, url, ["--sha256"]);
    if (report.bytes !== size || report.sha256 !== sha256) {
      throw new Error(
        `data differs: ${report.bytes} bytes, sha256 ${report.sha256}`,
      );
    }
    ours.rss.push(result.peakRssKiB);
  });
  for (let run = 0; run < ctx.runs; run++) {
    ctx.progress(`FTP download 1 GiB: ours and curl, round ${run + 1}`);
    const order = run % 2 === 0 ? [ours, theirs] : [theirs, ours];
    for (const side of [...order, stream]) {
      await warmPageCache(file);
      await sampleInto(
        side,
        side === ours
          ? () => ourSample(ctx, url, ours)
          : side === stream
          ? () => ourSample(ctx, url, stream, ["--stream"])
          : () => curlSample(url, size, theirs, 300_000),
      );
    }
  }
  const streamNote = mbpsNote("byte stream", stream);
  return finishRow({
    id: "ftp.download.1g",
    title: "FTP download 1 GiB MB/s (vsftpd)",
    unit: "MB/s",
    higherIsBetter: true,
    target: { op: ">=", ratio: 0.9 },
    ours: sideFrom(ours, `sha256 ok, ${streamNote}`),
    theirs: sideFrom(theirs, ""),
  });
}

async function sha256Hex(path: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    await Deno.readFile(path),
  );
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

/**
 * Checks a mirrored tree against the `./tree/` lines of the sha256 manifest.
 *
 * @param dir Mirror destination (the tree's content directly, or a `tree/` inside it).
 * @param manifest Path of the manifest.
 * @returns `""` when every file matches, else what is wrong.
 *
 * @example Usage
 * ```ts ignore
 * import { verifyTree } from "./_ftp_cases.ts";
 *
 * console.log(await verifyTree("/dev/shm/out", "/tmp/inetkit-peers/ftp-root.sha256"));
 * ```
 */
export async function verifyTree(
  dir: string,
  manifest: string,
): Promise<string> {
  let base = dir;
  try {
    await Deno.stat(`${dir}/tree/d0`);
    base = `${dir}/tree`;
  } catch {
    // the tree's content is directly in dir
  }
  const wanted = (await Deno.readTextFile(manifest)).split("\n")
    .filter((line) => line.includes("  ./tree/"))
    .map((line) => {
      const [digest, path] = line.split("  ./tree/");
      return { digest: digest!, path: path! };
    });
  let bad = 0;
  for (const { digest, path } of wanted) {
    try {
      if (await sha256Hex(`${base}/${path}`) !== digest) bad++;
    } catch {
      bad++;
    }
  }
  return bad === 0
    ? ""
    : `${bad} of ${wanted.length} files missing or different`;
}

/** Flushes dirty pages to disk (`sync`), so no run pays for an earlier one. */
async function settleDisk(): Promise<void> {
  try {
    await new Deno.Command("sync", { stdout: "null", stderr: "null" }).output();
  } catch {
    // No sync(1): the runs just share the writeback.
  }
}

/** One mirroring tool: its name and its command line for a destination. */
interface MirrorTool {
  tool: string;
  argv: (dest: string) => string[];
  walls: number[];
  rss: (number | null)[];
  problem: string;
  error: string;
}

/** Runs one tool once into a fresh, settled destination. */
async function mirrorOnce(
  ctx: BenchContext,
  tool: MirrorTool,
  last: boolean,
): Promise<void> {
  const dest = `${ctx.scratch}/mirror`;
  await Deno.remove(dest, { recursive: true }).catch(() => {});
  await Deno.mkdir(dest, { recursive: true });
  // Dirty pages of earlier runs (the 1 GiB download, the last tree and its
  // removal) would otherwise be written back during this run.
  await settleDisk();
  const result = await runChecked(tool.argv(dest), {
    cwd: ctx.root,
    timeoutMs: 300_000,
  });
  tool.walls.push(result.wallMs / 1000);
  tool.rss.push(result.peakRssKiB);
  if (last) tool.problem = await verifyTree(dest, ctx.peers.ftp.manifest);
}

/**
 * Times the tools in interleaved rounds (each tool once per round), so
 * that the state of the disk, which a slow virtual disk makes matter,
 * falls on every tool alike.
 */
async function timeMirrors(
  ctx: BenchContext,
  tools: MirrorTool[],
): Promise<Side[]> {
  for (let run = 0; run < ctx.runs; run++) {
    for (const tool of tools) {
      if (tool.error) continue;
      ctx.progress(`FTP mirror: ${tool.tool}, round ${run + 1}`);
      try {
        await mirrorOnce(ctx, tool, run === ctx.runs - 1);
      } catch (err) {
        tool.error = failureNote(err);
      }
    }
  }
  await Deno.remove(`${ctx.scratch}/mirror`, { recursive: true }).catch(
    () => {},
  );
  return tools.map((tool) => {
    if (tool.error) return emptySide(tool.tool, tool.error);
    const side = sideOf(
      tool.tool,
      tool.walls,
      tool.rss,
      `${ctx.peers.ftp.tree.files} files${tool.problem ? "" : ", sha256 ok"}`,
    );
    side.note = tool.problem;
    return side;
  });
}

/**
 * Measures mirroring the 2,000-file tree from pure-ftpd (MLSD): ours with 8
 * connections against lftp with 8 and Python ftplib with one.
 *
 * @param ctx Run context.
 * @returns Two rows (wall seconds, lower is better).
 *
 * @example Usage
 * ```ts ignore
 * import { mirrorRows } from "./_ftp_cases.ts";
 *
 * const rows = await mirrorRows(ctx);
 * ```
 */
export async function mirrorRows(ctx: BenchContext): Promise<BenchRow[]> {
  const { pureFtpd, ftp } = ctx.peers;
  const origin = `ftp://${pureFtpd.hostname}:${pureFtpd.port}`;
  const missing = await missingNote(ctx.root, [
    "scripts/ftp_mirror.ts",
  ]);
  const tool = (
    name: string,
    argv: (dest: string) => string[],
  ): MirrorTool => ({
    tool: name,
    argv,
    walls: [],
    rss: [],
    problem: "",
    error: "",
  });
  const tools = [
    tool("scripts/ftp_mirror.ts --parallel 8", (dest) => [
      ctx.deno,
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "scripts/ftp_mirror.ts",
      `${origin}${ftp.tree.path}`,
      dest,
      "--parallel",
      "8",
      "--quiet",
    ]),
    tool("lftp mirror --parallel=8", (dest) => [
      "lftp",
      "-c",
      `set ftp:ssl-allow no; set net:max-retries 2; open ${origin}; mirror --parallel=8 ${ftp.tree.path} ${dest}`,
    ]),
    tool("Python ftplib (sequential)", (dest) => [
      PYTHON,
      `${ctx.root}tests/interop/peers/ftplib_mirror.py`,
      pureFtpd.hostname,
      String(pureFtpd.port),
      ftp.tree.path,
      dest,
    ]),
  ];
  if (missing) tools[0]!.error = missing;
  const [ours, lftp, python] = await timeMirrors(ctx, tools) as [
    Side,
    Side,
    Side,
  ];
  const base = {
    title: `FTP mirror ${ftp.tree.files} files wall s (pure-ftpd)`,
    unit: "s",
    higherIsBetter: false,
    ours,
  } as const;
  return [
    finishRow({
      ...base,
      id: "ftp.mirror.lftp",
      target: { op: "<=", ratio: 1 },
      theirs: lftp,
    }),
    finishRow({
      ...base,
      id: "ftp.mirror.ftplib",
      target: null,
      theirs: python,
    }),
  ];
}
