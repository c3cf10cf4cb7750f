/**
 * NNTP benchmark case (issue 6): `scripts/news_viewer.ts` scanning the
 * 100,000 overview entries of local.big for a word, against the same job in
 * Python's nntplib (chunked OVER, case-insensitive match, an escaped HTML page).
 *
 * @module
 */

import { runChecked } from "./_measure.ts";
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

async function timeJob(
  ctx: BenchContext,
  tool: string,
  argv: (out: string) => string[],
  hits: (stdout: string, out: string) => Promise<string>,
): Promise<Side> {
  const out = `${ctx.scratch}/news.html`;
  const walls: number[] = [];
  const rss: (number | null)[] = [];
  let detail = "";
  for (let run = 0; run < ctx.runs; run++) {
    await Deno.remove(out).catch(() => {});
    const result = await runChecked(argv(out), {
      cwd: ctx.root,
      timeoutMs: 300_000,
    });
    walls.push(result.wallMs / 1000);
    rss.push(result.peakRssKiB);
    detail = await hits(result.stdout, out);
  }
  await Deno.remove(out).catch(() => {});
  return sideOf(tool, walls, rss, detail);
}

/**
 * Measures the news_viewer scan of local.big against nntplib.
 *
 * @param ctx Run context.
 * @returns One row (wall seconds, lower is better).
 *
 * @example Usage
 * ```ts ignore
 * import { newsRow } from "./_nntp_cases.ts";
 *
 * const row = await newsRow(ctx);
 * ```
 */
export async function newsRow(ctx: BenchContext): Promise<BenchRow> {
  const { inn, news } = ctx.peers;
  const group = "local.big";
  const expected = news.wordHits[group];
  const missing = await missingNote(ctx.root, ["scripts/news_viewer.ts"]);
  ctx.progress("NNTP scan: ours");
  const ours = missing
    ? emptySide("scripts/news_viewer.ts", missing)
    : await guarded("scripts/news_viewer.ts", () =>
      timeJob(ctx, "scripts/news_viewer.ts", (out) => [
        ctx.deno,
        "run",
        "--allow-net",
        "--allow-write",
        "scripts/news_viewer.ts",
        group,
        news.word,
        "--server",
        `${inn.hostname}:${inn.port}`,
        "--out",
        out,
      ], async (_stdout, out) => {
        const size = (await Deno.stat(out)).size;
        return `${news.groups[group].count} articles, page ${
          (size / 1024).toFixed(0)
        } KiB`;
      }));
  ctx.progress("NNTP scan: Python nntplib");
  const theirs = await guarded(
    "Python nntplib",
    () =>
      timeJob(ctx, "Python nntplib", (out) => [
        "/usr/bin/python3",
        `${ctx.root}tests/interop/peers/nntplib_search.py`,
        inn.hostname,
        String(inn.port),
        group,
        news.word,
        out,
      ], (stdout) => {
        const report = JSON.parse(stdout.trim().split("\n").at(-1)!) as {
          articles: number;
          hits: number;
        };
        if (report.hits !== expected) {
          throw new Error(`${report.hits} hits, expected ${expected}`);
        }
        return Promise.resolve(
          `${report.articles} articles, ${report.hits} hits`,
        );
      }),
  );
  return finishRow({
    id: "nntp.scan.local-big",
    title: `news_viewer scan ${news.groups[group].count} overviews wall s`,
    unit: "s",
    higherIsBetter: false,
    target: { op: "<=", ratio: 1 / 3 },
    ours,
    theirs,
  });
}
