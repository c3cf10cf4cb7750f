/**
 * A guess of a file's media type from its extension, for protocols that do
 * not say (FTP). Text types carry no charset: the server does not tell it.
 *
 * @module
 */

const TYPES: Record<string, string> = {
  txt: "text/plain",
  text: "text/plain",
  md: "text/markdown",
  csv: "text/csv",
  html: "text/html",
  htm: "text/html",
  css: "text/css",
  js: "text/javascript",
  mjs: "text/javascript",
  ts: "application/typescript",
  json: "application/json",
  xml: "application/xml",
  pdf: "application/pdf",
  zip: "application/zip",
  gz: "application/gzip",
  tgz: "application/gzip",
  bz2: "application/x-bzip2",
  xz: "application/x-xz",
  tar: "application/x-tar",
  iso: "application/x-iso9660-image",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  svg: "image/svg+xml",
  mp3: "audio/mpeg",
  mp4: "video/mp4",
};

/**
 * The media type for a file name, `application/octet-stream` when unknown.
 *
 * @param name A file name or path.
 * @returns The media type.
 *
 * @example Usage
 * ```ts
 * import { mediaTypeFor } from "./_media_type.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(mediaTypeFor("/pub/README.txt"), "text/plain");
 * assertEquals(mediaTypeFor("/pub/.profile"), "application/octet-stream");
 * ```
 */
export function mediaTypeFor(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  if (dot <= 0) return "application/octet-stream";
  return TYPES[base.slice(dot + 1).toLowerCase()] ?? "application/octet-stream";
}
