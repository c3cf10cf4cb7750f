/**
 * The HTML directory listing of the file server: every name escaped for HTML
 * and percent-encoded in links.
 *
 * @module
 */

import { escapeHtml } from "../protocols/html_escape.ts";


function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/**
 * Renders a listing of `dir` for the URL path `urlPath` (ending in `/`).
 *
 * @param dir The directory on disk.
 * @param urlPath The request path, used for the title and the parent link.
 * @returns The HTML page.
 *
 * @example Usage
 * ```ts ignore
 * const html = await renderDirectory("/srv/www", "/docs/");
 * ```
 */
export async function renderDirectory(
  dir: string,
  urlPath: string,
): Promise<string> {
  const rows: {
    name: string;
    isDir: boolean;
    size: number;
    mtime: Date | null;
  }[] = [];
  for await (const entry of Deno.readDir(dir)) {
    let info: Deno.FileInfo | null = null;
    try {
      info = await Deno.stat(`${dir}/${entry.name}`);
    } catch {
      // Dangling link: list it without details.
    }
    rows.push({
      name: entry.name,
      isDir: info?.isDirectory ?? false,
      size: info?.size ?? 0,
      mtime: info?.mtime ?? null,
    });
  }
  rows.sort((a, b) =>
    Number(b.isDir) - Number(a.isDir) || (a.name < b.name ? -1 : 1)
  );
  let title = urlPath;
  try {
    title = decodeURIComponent(urlPath);
  } catch { /* keep raw */ }
  const items = rows.map((r) => {
    const href = encodeURIComponent(r.name) + (r.isDir ? "/" : "");
    const label = escapeHtml(r.name + (r.isDir ? "/" : ""));
    const when = r.mtime
      ? r.mtime.toISOString().replace("T", " ").slice(0, 19)
      : "";
    return `<tr><td><a href="${href}">${label}</a></td><td>${
      r.isDir ? "" : formatSize(r.size)
    }</td><td>${when}</td></tr>`;
  });
  const parent = urlPath === "/"
    ? ""
    : `<tr><td><a href="../">../</a></td><td></td><td></td></tr>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Index of ${
    escapeHtml(title)
  }</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}td{padding:0 1em 0 0}
td:nth-child(2){text-align:right}</style></head>
<body><h1>Index of ${escapeHtml(title)}</h1>
<table>${parent}${items.join("\n")}</table></body></html>
`;
}
