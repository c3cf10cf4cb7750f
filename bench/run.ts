// deno-lint-ignore-file no-console
/**
 * The benchmark runner (`deno task bench`): starts the loopback peers, runs
 * each case of the HTTP, FTP and NNTP issues against our implementation and
 * the named peer tools in the same run, prints one table (case, ours, theirs,
 * ratio, target, peak RSS, absolute figures) and writes the same results as
 * JSON under `bench/results/`.
 *
 * ```sh
 * deno task bench                       # everything, 3 timed runs per short case, wrk 10 s
 * deno task bench --only http,nntp      # some protocols
 * deno task bench --runs 5 --seconds 20 # more samples
 * deno task bench --no-start            # use peers already running, do not call peers.sh start
 * deno task bench --keep                # leave peers running even when this run started them
 * ```
 *
 * A row whose side of ours is not written yet shows `n/a (path missing)`;
 * a failing side shows `failed: reason`; the other rows still run. Everything
 * talks to 127.0.0.1 only, and every load run is bounded in time.
 *
 * @module
 */

import { ftpDownloadRow, mirrorRows } from "./_ftp_cases.ts";
import { downloadRow, proxyRows } from "./_http_cases.ts";
import { cpuSnapshot, stealPercent } from "./_measure.ts";
import { newsRow } from "./_nntp_cases.ts";
import type { BenchContext, BenchRow } from "./_row.ts";
import { renderTable } from "./_table.ts";
import { loadPeers, peersPath } from "../tests/interop/_peers.ts";

const PROTOCOLS = ["http", "ftp", "nntp"] as const;
type Protocol = typeof PROTOCOLS[number];

interface Options {
  runs: number;
  seconds: number;
  only: Set<Protocol>;
  start: boolean;
  keep: boolean;
}

function usage(message: string): never {
  console.error(message);
  console.error(
    "usage: deno task bench [--runs N] [--seconds S] [--only http,ftp,nntp] [--no-start] [--keep]",
  );
  Deno.exit(2);
}

function parseOptions(args: string[]): Options {
  const options: Options = {
    runs: 3,
    seconds: 10,
    only: new Set(PROTOCOLS),
    start: true,
    keep: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = () => args[++i] ?? usage(`Missing value for ${arg}`);
    if (arg === "--runs") {
      options.runs = Number.parseInt(value(), 10);
      if (!(options.runs >= 1 && options.runs <= 20)) {
        usage("--runs must be 1..20");
      }
    } else if (arg === "--seconds") {
      options.seconds = Number.parseInt(value(), 10);
      if (!(options.seconds >= 1 && options.seconds <= 60)) {
        usage("--seconds must be 1..60");
      }
    } else if (arg === "--only") {
      const names = value().split(",").map((name) => name.trim());
      for (const name of names) {
        if (!PROTOCOLS.includes(name as Protocol)) {
          usage(`Unknown protocol "${name}"`);
        }
      }
      options.only = new Set(names as Protocol[]);
    } else if (arg === "--no-start") {
      options.start = false;
    } else if (arg === "--keep") {
      options.keep = true;
    } else if (arg === "--help" || arg === "-h") {
      usage(
        "Benchmarks inetkit against curl, lftp, wrk, nginx, Python ftplib/nntplib",
      );
    } else {
      usage(`Unknown argument "${arg}"`);
    }
  }
  return options;
}

async function peersCommand(root: string, action: string): Promise<number> {
  // peers.sh prints progress on stdout; keep this runner's stdout for the table.
  const { code } = await new Deno.Command("bash", {
    args: ["-c", `bash tests/interop/peers.sh ${action} 1>&2`],
    cwd: root,
    stdin: "null",
    stdout: action === "status" ? "null" : "inherit",
    stderr: action === "status" ? "null" : "inherit",
  }).output();
  return code;
}

async function firstLine(argv: string[]): Promise<string> {
  try {
    const output = await new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stdout) +
      new TextDecoder().decode(output.stderr);
    return text.trim().split("\n")[0] ?? "";
  } catch {
    return "absent";
  }
}

function formatValue(value: number | null, unit: string): string {
  if (value === null) return "";
  if (unit === "s") return `${value.toFixed(2)} s`;
  return `${Math.round(value).toLocaleString("en-US")} ${unit}`;
}

function formatRss(kib: number | null): string {
  return kib === null ? "-" : `${(kib / 1024).toFixed(1)} MiB`;
}

function clip(text: string, width = 60): string {
  return text.length > width ? `${text.slice(0, width - 3)}...` : text;
}

function tableRows(rows: BenchRow[]): string[][] {
  return rows.map((row) => {
    const target = row.target
      ? `${row.target.op} ${row.target.ratio.toFixed(2)}${
        row.meetsTarget === null ? "" : row.meetsTarget ? " yes" : " NO"
      }`
      : "-";
    return [
      row.title,
      row.ours.note && row.ours.value === null
        ? clip(row.ours.note)
        : formatValue(row.ours.value, row.unit),
      row.theirs.note && row.theirs.value === null
        ? clip(row.theirs.note)
        : formatValue(row.theirs.value, row.unit),
      row.theirs.tool,
      row.ratio === null ? "-" : `${row.ratio.toFixed(2)}x`,
      row.higherIsBetter ? "higher" : "lower",
      target,
      formatRss(row.ours.peakRssKiB),
      formatRss(row.theirs.peakRssKiB),
      clip(
        [row.ours.detail, row.ours.value !== null ? row.ours.note : ""]
          .filter(Boolean).join("; "),
      ),
      clip(
        [row.theirs.detail, row.theirs.value !== null ? row.theirs.note : ""]
          .filter(Boolean).join("; "),
      ),
    ];
  });
}

async function main(): Promise<void> {
  const options = parseOptions(Deno.args);
  const root = decodeURIComponent(new URL("../", import.meta.url).pathname);
  const started = performance.now();
  const progress = (message: string) => {
    const at = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
    console.error(`[bench ${at}s] ${message}`);
  };

  let stopAfter = false;
  if (options.start) {
    const wasUp = await peersCommand(root, "status") === 0;
    progress(
      wasUp
        ? "peers already up"
        : "starting peers (tests/interop/peers.sh start)",
    );
    if (await peersCommand(root, "start") !== 0) {
      if (!wasUp) {
        console.error("bench: tests/interop/peers.sh start failed");
        Deno.exit(1);
      }
      progress("peers.sh start failed (not root?); using the peers already up");
    }
    stopAfter = !wasUp && !options.keep;
  }
  const peers = loadPeers();
  if (peers === null) {
    console.error(
      `bench: no peers facts at ${peersPath()}; run "bash tests/interop/peers.sh start"`,
    );
    Deno.exit(1);
  }

  // Not /dev/shm: Deno asks for --allow-all to write under /dev, which the tools under test do not get.
  const scratch = await Deno.makeTempDir({ prefix: "inetkit-bench-" });
  const ctx: BenchContext = {
    root,
    peers,
    runs: options.runs,
    seconds: options.seconds,
    deno: Deno.execPath(),
    scratch,
    progress,
  };
  const cpuBefore = await cpuSnapshot();
  const rows: BenchRow[] = [];
  try {
    if (options.only.has("http")) {
      rows.push(...await proxyRows(ctx));
      rows.push(await downloadRow(ctx));
    }
    if (options.only.has("ftp")) {
      rows.push(await ftpDownloadRow(ctx));
      rows.push(...await mirrorRows(ctx));
    }
    if (options.only.has("nntp")) rows.push(await newsRow(ctx));
  } finally {
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
    if (stopAfter) {
      progress("stopping the peers this run started");
      await peersCommand(root, "stop");
    }
  }
  const steal = stealPercent(cpuBefore, await cpuSnapshot());

  const tools = {
    deno: Deno.version.deno,
    curl: await firstLine(["curl", "--version"]),
    wrk: await firstLine(["wrk", "--version"]),
    lftp: await firstLine(["lftp", "--version"]),
    python: await firstLine(["/usr/bin/python3", "--version"]),
    nginx: peers.nginx.version,
    vsftpd: peers.vsftpd.version,
    pureFtpd: peers.pureFtpd.version,
    inn: peers.inn.version,
  };
  const header = [
    "case",
    "ours",
    "theirs",
    "theirs is",
    "ratio",
    "better",
    "target",
    "RSS ours",
    "RSS theirs",
    "ours: figures",
    "theirs: figures",
  ];
  console.log(
    `inetkit bench ${
      new Date().toISOString()
    }  cpus=${navigator.hardwareConcurrency}  ` +
      `deno ${Deno.version.deno}  runs=${options.runs} (median)  wrk ${options.seconds}s -t2 -c50  ` +
      `steal ${steal.toFixed(0)}%`,
  );
  console.log(renderTable(header, tableRows(rows)));
  console.log(
    "ratio = ours / theirs; 'better' says which direction wins; RSS = peak resident set " +
      "(clients: /usr/bin/time; servers: VmHWM, nginx worker and the Python redirector since they started)",
  );

  const resultsDir = `${root}bench/results`;
  await Deno.mkdir(resultsDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const file = `${resultsDir}/${stamp}.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify(
      {
        version: 1,
        createdAt: new Date().toISOString(),
        machine: {
          cpus: navigator.hardwareConcurrency,
          kernel: Deno.osRelease(),
          stealPercent: Number(steal.toFixed(1)),
        },
        tools,
        options: {
          runs: options.runs,
          seconds: options.seconds,
          only: [...options.only],
        },
        rows,
      },
      null,
      2,
    ) + "\n",
  );
  console.log(`results: ${file}`);
}

if (import.meta.main) await main();
