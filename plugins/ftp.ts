/**
 * The built-in `ftp:` / `ftps:` plugin (`ftps:` is implicit TLS):
 *
 * - `fetch` of a file streams it (RETR; `;type=a` for ASCII) with
 *   Content-Length from SIZE, Last-Modified from MDTM and a Content-Type
 *   guessed from the name; HEAD stops after those.
 * - `fetch` of a directory (a URL ending in `/`, with `;type=d`, or a path
 *   the server can CWD into) returns a text listing, one entry a line.
 * - `list` yields the entries of a directory with their URLs.
 *
 * The server's refusals become statuses, with the reply in an
 * `x-inetkit-reply` header: 550 → 404, 530/532 (not logged in) → 401,
 * other 4xx (transient) → 503, other 5xx → 502. When no reply can be had at
 * all (the server is unreachable, silent or breaks the protocol) `fetch`
 * rejects, like the web `fetch` does on a network error; a malformed URL
 * rejects with a `TypeError`.
 *
 * @module
 */

import {
  FtpClient,
  type FtpClientOptions,
  parseFtpUrl,
} from "../protocols/ftp.ts";
import { ReplyError } from "../protocols/errors.ts";
import type {
  DirectoryEntry,
  PluginFetchInit,
  ProtocolPlugin,
} from "./registry.ts";
import { closingBody, errorResponse } from "./_response.ts";
import { mediaTypeFor } from "./_media_type.ts";

function statusFor(err: ReplyError): number {
  if (err.code === 550) return 404;
  if (err.code === 530 || err.code === 532) return 401;
  return err.transient ? 503 : 502;
}

function isNotFound(err: unknown): boolean {
  return err instanceof ReplyError && err.code === 550;
}

function isDirectoryUrl(url: URL): boolean {
  return url.pathname.endsWith("/") || /;type=d$/i.test(url.pathname);
}

/** The URL of a directory: its path ends in `/`, without `;type=` or query. */
function directoryBase(url: URL): URL {
  const base = new URL(url.href);
  base.pathname = base.pathname.replace(/;type=[aid]$/i, "");
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  base.search = "";
  base.hash = "";
  return base;
}

function clientOptions(init: PluginFetchInit): FtpClientOptions {
  const options: FtpClientOptions = {};
  if (init.timeout !== undefined) options.timeout = init.timeout;
  if (init.signal) options.signal = init.signal;
  if (init.caCerts) options.caCerts = init.caCerts;
  return options;
}

async function* listEntries(
  client: FtpClient,
  url: URL,
): AsyncGenerator<DirectoryEntry> {
  const base = directoryBase(url);
  const { entries } = await client.list(parseFtpUrl(base).path || "/");
  for (const e of entries) {
    const entry: DirectoryEntry = {
      name: e.name,
      type: e.type,
      url: new URL(
        encodeURIComponent(e.name) + (e.type === "dir" ? "/" : ""),
        base,
      ).href,
    };
    if (e.size !== undefined) entry.size = e.size;
    if (e.modified) entry.modified = e.modified;
    yield entry;
  }
}

function listingLine(e: DirectoryEntry): string {
  const kind = e.type === "dir" ? "d" : e.type === "link" ? "l" : "-";
  const size = String(e.size ?? "").padStart(12);
  const date = e.modified?.toISOString() ?? "".padEnd(24);
  return `${kind} ${size} ${date} ${e.name}${e.type === "dir" ? "/" : ""}`;
}

async function listingResponse(
  client: FtpClient,
  url: URL,
  method: string,
): Promise<Response> {
  const lines: string[] = [];
  for await (const e of listEntries(client, url)) lines.push(listingLine(e));
  await client.close();
  const text = lines.length ? lines.join("\n") + "\n" : "";
  return new Response(method === "HEAD" ? null : text, {
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "content-location": directoryBase(url).href,
    },
  });
}

async function fileResponse(
  client: FtpClient,
  url: URL,
  method: string,
): Promise<Response> {
  const path = parseFtpUrl(url).path;
  const ascii = /;type=a$/i.test(url.pathname);
  const headers = new Headers({ "content-type": mediaTypeFor(path) });
  try {
    const size = await client.size(path);
    // SIZE counts the bytes of a binary transfer; ASCII ones may differ.
    if (!ascii) headers.set("content-length", String(size));
  } catch (err) {
    if (isNotFound(err)) return await directoryOr(client, url, method, err);
    if (!(err instanceof ReplyError)) throw err;
    // SIZE is optional (RFC 3659): go on without a length.
  }
  try {
    headers.set(
      "last-modified",
      (await client.modifiedTime(path)).toUTCString(),
    );
  } catch (err) {
    if (!(err instanceof ReplyError)) throw err;
  }
  if (method === "HEAD") {
    await client.close();
    return new Response(null, { headers });
  }
  let body: ReadableStream<Uint8Array>;
  try {
    body = await client.download(path, { type: ascii ? "ascii" : "binary" });
  } catch (err) {
    if (isNotFound(err)) return await directoryOr(client, url, method, err);
    throw err;
  }
  return new Response(closingBody(body, () => client.close()), { headers });
}

/** A 550 on a file: the path may be a directory named without its final `/`. */
async function directoryOr(
  client: FtpClient,
  url: URL,
  method: string,
  notFound: unknown,
): Promise<Response> {
  try {
    await client.cwd(parseFtpUrl(url).path);
  } catch {
    throw notFound;
  }
  return await listingResponse(client, url, method);
}

/**
 * Creates the FTP plugin. Each fetch opens its own session and closes it
 * when the body has been read or cancelled.
 *
 * @returns The plugin.
 *
 * @example Usage
 * ```ts ignore
 * import { ProtocolRegistry } from "./registry.ts";
 * import { ftpPlugin } from "./ftp.ts";
 *
 * const registry = new ProtocolRegistry().register(ftpPlugin());
 * const res = await registry.fetch("ftp://127.0.0.1:2121/hello.txt");
 * console.log(res.status, res.headers.get("last-modified"), await res.text());
 * for await (const entry of registry.list("ftp://127.0.0.1:2121/pub/")) {
 *   console.log(entry.type, entry.name, entry.size);
 * }
 * ```
 */
export function ftpPlugin(): ProtocolPlugin {
  return {
    name: "ftp",
    schemes: ["ftp", "ftps"],
    defaultPorts: { ftp: 21, ftps: 990 },
    async fetch(url: URL, init: PluginFetchInit = {}): Promise<Response> {
      const method = (init.method ?? "GET").toUpperCase();
      if (method !== "GET" && method !== "HEAD") {
        return new Response(
          `Method ${method} is not supported for FTP URLs\n`,
          {
            status: 405,
            headers: { allow: "GET, HEAD" },
          },
        );
      }
      parseFtpUrl(url); // a malformed URL rejects with a TypeError
      let client: FtpClient;
      try {
        client = await FtpClient.connect(url, clientOptions(init));
      } catch (err) {
        if (err instanceof ReplyError) {
          return errorResponse(statusFor(err), err);
        }
        throw err;
      }
      try {
        return isDirectoryUrl(url)
          ? await listingResponse(client, url, method)
          : await fileResponse(client, url, method);
      } catch (err) {
        await client.close().catch(() => {});
        if (err instanceof ReplyError) {
          return errorResponse(statusFor(err), err);
        }
        throw err;
      }
    },
    async *list(
      url: URL,
      init: PluginFetchInit = {},
    ): AsyncGenerator<DirectoryEntry> {
      const client = await FtpClient.connect(url, clientOptions(init));
      try {
        yield* listEntries(client, url);
      } finally {
        await client.close();
      }
    },
  };
}
