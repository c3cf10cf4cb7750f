/**
 * Content types by file extension for the file server. TypeScript and JSX
 * get `application/typescript` and JavaScript `text/javascript`, which is what
 * `deno run http://…/x.ts` needs to run a script straight from the server.
 *
 * @module
 */

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  htm: "text/html; charset=utf-8",
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  cjs: "text/javascript; charset=utf-8",
  ts: "application/typescript; charset=utf-8",
  mts: "application/typescript; charset=utf-8",
  cts: "application/typescript; charset=utf-8",
  tsx: "text/tsx; charset=utf-8",
  jsx: "text/jsx; charset=utf-8",
  json: "application/json; charset=utf-8",
  map: "application/json; charset=utf-8",
  txt: "text/plain; charset=utf-8",
  md: "text/markdown; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  xml: "application/xml; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  avif: "image/avif",
  ico: "image/vnd.microsoft.icon",
  wasm: "application/wasm",
  pdf: "application/pdf",
  zip: "application/zip",
  gz: "application/gzip",
  tgz: "application/gzip",
  tar: "application/x-tar",
  mp3: "audio/mpeg",
  ogg: "audio/ogg",
  wav: "audio/wav",
  mp4: "video/mp4",
  webm: "video/webm",
  woff: "font/woff",
  woff2: "font/woff2",
  ttf: "font/ttf",
  otf: "font/otf",
  sh: "text/x-shellscript; charset=utf-8",
  py: "text/x-python; charset=utf-8",
  yaml: "text/yaml; charset=utf-8",
  yml: "text/yaml; charset=utf-8",
  toml: "text/plain; charset=utf-8",
};

/**
 * The Content-Type for a file name.
 *
 * @param name A file name or path.
 * @returns The media type, `application/octet-stream` when unknown.
 *
 * @example Usage
 * ```ts
 * import { contentTypeFor } from "./_content_type.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(contentTypeFor("get.ts"), "application/typescript; charset=utf-8");
 * assertEquals(contentTypeFor("blob"), "application/octet-stream");
 * ```
 */
export function contentTypeFor(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  if (dot <= 0) return "application/octet-stream";
  return TYPES[base.slice(dot + 1).toLowerCase()] ?? "application/octet-stream";
}
