/**
 * The HTML directory listing of the file server: every name escaped for HTML
 * and percent-encoded in links, directories first, then by name, with sizes,
 * modification times (UTC) and a parent link.
 *
 * @module
 */

import { escapeHtml } from "../protocols/html_escape.ts";

const SEPARATOR = Deno.build.os === "windows" ? "\\" : "/";

/** Options for {@linkcode renderDirectory}. */
export interface RenderDirectoryOptions {
  /**
   * The served root, resolved with `Deno.realPath`: symbolic links that
   * resolve outside it are left out of the listing.
   */
  root: string;
  /**
   * List names starting with a dot.
   *
   * @default {true}
   */
  dotfiles?: boolean;
}

/** Stat for a listed entry; `null` for links outside the root. */
async function entryInfo(
  path: string,
  entry: Deno.DirEntry,
  root: string,
): Promise<Deno.FileInfo | "dangling" | null> {
  if (entry.isSymlink) {
    let real: string;
    try {
      real = await Deno.realPath(path);
    } catch {
      return "dangling";
    }
    const prefix = root.endsWith(SEPARATOR) ? root : root + SEPARATOR;
    if (real !== root && !real.startsWith(prefix)) return null;
  }
  try {
    return await Deno.stat(path);
  } catch {
    return "dangling";
  }
}

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
 * @param options The resolved root and the dotfile policy.
 * @returns The HTML page.
 *
 * @example Usage
 * ```ts ignore
 * import { renderDirectory } from "./_file_server_listing.ts";
 *
 * const html = await renderDirectory("/srv/www/docs", "/docs/", { root: "/srv/www" });
 * ```
 */
export async function renderDirectory(
  dir: string,
  urlPath: string,
  options: RenderDirectoryOptions,
): Promise<string> {
  const dotfiles = options.dotfiles ?? true;
  const rows: {
    name: string;
    isDir: boolean;
    size: number;
    mtime: Date | null;
  }[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!dotfiles && entry.name.startsWith(".")) continue;
    const info = await entryInfo(
      `${dir}${SEPARATOR}${entry.name}`,
      entry,
      options.root,
    );
    if (info === null) continue;
    // A dangling link is listed without details.
    const known = info === "dangling" ? null : info;
    rows.push({
      name: entry.name,
      isDir: known?.isDirectory ?? false,
      size: known?.size ?? 0,
      mtime: known?.mtime ?? null,
    });
  }
  rows.sort((a, b) =>
    Number(b.isDir) - Number(a.isDir) ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
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
