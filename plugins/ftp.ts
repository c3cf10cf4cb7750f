/**
 * The built-in `ftp:` / `ftps:` plugin: `fetch` downloads a file (streamed)
 * or, for a URL ending in `/` or with `;type=d`, returns a text listing;
 * `list` yields the entries of a directory. FTP replies map to statuses:
 * 550 → 404, 530 → 403, other 4xx → 503, other 5xx → 502.
 *
 * @module
 */

import { FtpClient, type FtpClientOptions } from "../protocols/ftp.ts";
import { ReplyError } from "../protocols/errors.ts";
import type {
  DirectoryEntry,
  PluginFetchInit,
  ProtocolPlugin,
} from "./registry.ts";
import { closingBody, errorResponse } from "./_response.ts";

function statusFor(err: unknown): number {
  if (err instanceof ReplyError) {
    if (err.code === 550 || err.code === 450) return 404;
    if (err.code === 530 || err.code === 532) return 403;
    return err.transient ? 503 : 502;
  }
  return 502;
}

function isDirectoryUrl(url: URL): boolean {
  return url.pathname.endsWith("/") || /;type=d$/i.test(url.pathname);
}

function remotePath(url: URL): string {
  const raw = url.pathname.replace(/;type=[aid]$/i, "");
  return decodeURIComponent(raw) || "/";
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
  const base = new URL(url.href.replace(/;type=d$/i, ""));
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  base.search = "";
  const { entries } = await client.list(remotePath(base));
  for (const e of entries) {
    if (
      e.name === "." || e.name === ".." || e.facts["type"] === "cdir" ||
      e.facts["type"] === "pdir"
    ) {
      continue;
    }
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

/**
 * Creates the FTP plugin. Each fetch opens its own connection and closes it
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
 * console.log(res.status, await res.text());
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
      let client: FtpClient;
      try {
        client = await FtpClient.connect(url, clientOptions(init));
      } catch (err) {
        return errorResponse(statusFor(err), err);
      }
      try {
        if (isDirectoryUrl(url)) {
          const lines: string[] = [];
          for await (const e of listEntries(client, url)) {
            lines.push(
              `${e.type === "dir" ? "d" : e.type === "link" ? "l" : "-"} ${
                String(e.size ?? "").padStart(12)
              } ${e.modified?.toISOString() ?? "".padEnd(24)} ${e.name}${
                e.type === "dir" ? "/" : ""
              }`,
            );
          }
          await client.close();
          return new Response(
            method === "HEAD" ? null : lines.join("\n") + "\n",
            {
              headers: { "content-type": "text/plain; charset=utf-8" },
            },
          );
        }
        const path = remotePath(url);
        const headers = new Headers({
          "content-type": "application/octet-stream",
        });
        try {
          headers.set("content-length", String(await client.size(path)));
        } catch (err) {
          if (err instanceof ReplyError && err.code === 550) throw err;
        }
        try {
          headers.set(
            "last-modified",
            (await client.modifiedTime(path)).toUTCString(),
          );
        } catch { /* MDTM is optional */ }
        if (method === "HEAD") {
          await client.close();
          return new Response(null, { headers });
        }
        const type = /;type=a$/i.test(url.pathname)
          ? "ascii" as const
          : "binary" as const;
        const body = await client.download(path, { type });
        return new Response(closingBody(body, () => client.close()), {
          headers,
        });
      } catch (err) {
        await client.close().catch(() => {});
        return errorResponse(statusFor(err), err);
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
