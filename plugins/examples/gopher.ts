/**
 * An example third-party plugin: Gopher (RFC 1436, URLs per RFC 4266),
 * written against inetkit's public API only (`mod.ts`).
 *
 * - `gopher://host[:port]/<type><selector>[%09<search>]`; an empty path is
 *   the root menu (type `1`).
 * - Menus (types `1` and `7`) are parsed: `list` yields their items as
 *   typed entries with URLs; `fetch` returns them as readable text lines.
 * - Text items (type `0`) lose their terminating `.` line and dot-stuffing;
 *   other types stream the bytes as sent, until the server closes.
 * - Selectors and search strings with CR, LF, NUL or TAB are refused (they
 *   would inject a second request line); replies are capped (16 MiB by default).
 *
 * @example Usage
 * ```ts ignore
 * import { ProtocolRegistry } from "../../mod.ts";
 * import { gopherPlugin } from "./gopher.ts";
 *
 * const registry = new ProtocolRegistry().register(gopherPlugin());
 * for await (const item of registry.list("gopher://127.0.0.1:7070/")) {
 *   console.log(item.type, item.name, item.url);
 * }
 * ```
 *
 * @module
 */

import {
  BufferedReader,
  CommandInjectionError,
  dial,
  type DirectoryEntry,
  type PluginFetchInit,
  type ProtocolPlugin,
} from "../../mod.ts";

/** Options for {@linkcode gopherPlugin}. */
export interface GopherPluginOptions {
  /**
   * Largest reply accepted, in bytes.
   *
   * @default {16777216}
   */
  maxBytes?: number;
}

/** A parsed Gopher URL. */
export interface GopherRequest {
  /** Item type character. */
  type: string;
  /** Selector string. */
  selector: string;
  /** Search string (type 7), if any. */
  search?: string;
}

/** One menu line. */
export interface GopherMenuItem {
  /** Item type character (`0` text, `1` menu, `7` search, `9` binary, `i` info…). */
  type: string;
  /** Display string. */
  display: string;
  /** Selector. */
  selector: string;
  /** Host. */
  host: string;
  /** Port. */
  port: number;
}

const FORBIDDEN_REGEXP = /[\r\n\0\t]/;

/**
 * Parses a `gopher:` URL into type, selector and search.
 *
 * @param url The URL.
 * @returns The request.
 * @throws {CommandInjectionError} When the selector or search holds CR, LF, NUL or TAB.
 *
 * @example Usage
 * ```ts
 * import { parseGopherUrl } from "./gopher.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 *
 * assertEquals(parseGopherUrl(new URL("gopher://h/7/find%09deno")), {
 *   type: "7",
 *   selector: "/find",
 *   search: "deno",
 * });
 * ```
 */
export function parseGopherUrl(url: URL): GopherRequest {
  const path = url.pathname.replace(/^\//, "") + url.search + url.hash;
  if (path === "") return { type: "1", selector: "" };
  const type = path[0]!;
  const rest = path.slice(1);
  const tab = rest.search(/%09/i);
  const selector = decodeURIComponent(tab >= 0 ? rest.slice(0, tab) : rest);
  if (FORBIDDEN_REGEXP.test(selector)) {
    throw new CommandInjectionError(selector);
  }
  if (tab < 0) return { type, selector };
  const search = decodeURIComponent(rest.slice(tab + 3).split(/%09/i)[0] ?? "");
  if (FORBIDDEN_REGEXP.test(search)) throw new CommandInjectionError(search);
  return { type, selector, search };
}

/**
 * Parses a menu (without its final `.` line handling: lines after `.` are ignored).
 *
 * @param text The menu.
 * @returns The items; malformed lines become `i` (info) items.
 *
 * @example Usage
 * ```ts
 * import { parseGopherMenu } from "./gopher.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 *
 * const items = parseGopherMenu("0About\t/about.txt\thost\t70\r\n.\r\n");
 * assertEquals(items[0]?.selector, "/about.txt");
 * ```
 */
export function parseGopherMenu(text: string): GopherMenuItem[] {
  const items: GopherMenuItem[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line === ".") break;
    if (line === "") continue;
    const [head, selector = "", host = "", port = "70"] = line.split("\t");
    const type = head![0]!;
    const display = head!.slice(1);
    const portNumber = Number(port.trim());
    if (
      !host || !Number.isInteger(portNumber) || portNumber < 1 ||
      portNumber > 65535
    ) {
      items.push({ type: "i", display: line, selector: "", host: "", port: 0 });
      continue;
    }
    items.push({ type, display, selector, host, port: portNumber });
  }
  return items;
}

function entryType(type: string): DirectoryEntry["type"] {
  return type === "1" || type === "7"
    ? "dir"
    : type === "i" || type === "3"
    ? "other"
    : "file";
}

function itemUrl(item: GopherMenuItem): string {
  const host = item.host.includes(":") ? `[${item.host}]` : item.host;
  const selector = encodeURI(item.selector).replace(
    /[?#]/g,
    encodeURIComponent,
  );
  return `gopher://${host}:${item.port}/${item.type}${selector}`;
}

async function request(
  url: URL,
  req: GopherRequest,
  init: PluginFetchInit,
  maxBytes: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const conn = await dial({
    hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: Number(url.port || 70),
    ...(init.timeout !== undefined ? { timeout: init.timeout } : {}),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  try {
    const line = req.search === undefined
      ? req.selector
      : `${req.selector}\t${req.search}`;
    const bytes = new TextEncoder().encode(line + "\r\n");
    for (let off = 0; off < bytes.length;) {
      off += await conn.write(bytes.subarray(off));
    }
    return await new BufferedReader(conn).readToEnd(maxBytes);
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

function textItem(text: string): string {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const end = lines.indexOf(".");
  return (end >= 0 ? lines.slice(0, end) : lines)
    .map((l) => l.startsWith("..") ? l.slice(1) : l).join("\n");
}

/**
 * Creates the Gopher plugin.
 *
 * @param options The reply cap.
 * @returns The plugin.
 *
 * @example Usage
 * ```ts ignore
 * import { defaultRegistry } from "../../mod.ts";
 * import { gopherPlugin } from "./gopher.ts";
 *
 * defaultRegistry().register(gopherPlugin());
 * ```
 */
export function gopherPlugin(
  options: GopherPluginOptions = {},
): ProtocolPlugin {
  const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  return {
    name: "gopher",
    schemes: ["gopher"],
    defaultPorts: { gopher: 70 },
    async fetch(url: URL, init: PluginFetchInit = {}): Promise<Response> {
      let req: GopherRequest;
      try {
        req = parseGopherUrl(url);
      } catch (err) {
        return new Response(`${(err as Error).message}\n`, { status: 400 });
      }
      const bytes = await request(url, req, init, maxBytes);
      if (req.type === "1" || req.type === "7") {
        const items = parseGopherMenu(new TextDecoder().decode(bytes));
        const text = items.map((i) =>
          i.type === "i"
            ? `     ${i.display}`
            : `[${i.type}]  ${i.display}  ${itemUrl(i)}`
        ).join("\n");
        return new Response(text + "\n", {
          headers: { "content-type": "text/plain; charset=utf-8" },
        });
      }
      if (req.type === "0") {
        return new Response(textItem(new TextDecoder().decode(bytes)), {
          headers: { "content-type": "text/plain; charset=utf-8" },
        });
      }
      return new Response(bytes, {
        headers: { "content-type": "application/octet-stream" },
      });
    },
    async *list(
      url: URL,
      init: PluginFetchInit = {},
    ): AsyncGenerator<DirectoryEntry> {
      const req = parseGopherUrl(url);
      if (req.type !== "1" && req.type !== "7") {
        throw new TypeError(`Not a Gopher menu: "${url.href}"`);
      }
      const bytes = await request(url, req, init, maxBytes);
      for (const item of parseGopherMenu(new TextDecoder().decode(bytes))) {
        yield {
          name: item.display,
          type: entryType(item.type),
          url: itemUrl(item),
        };
      }
    },
  };
}

/** The plugin, for `get.ts --plugin` and other loaders that take a default export. */
export default gopherPlugin;
