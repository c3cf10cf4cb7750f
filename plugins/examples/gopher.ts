/**
 * An example third-party plugin: Gopher (RFC 1436, URLs per RFC 4266),
 * written against inetkit's public API only (`mod.ts`).
 *
 * - `gopher://host[:port]/<type><selector>[%09<search>]`; an empty path is
 *   the root menu (type `1`).
 * - Menus (type `1`, and the results of a type `7` search) are parsed:
 *   `list` yields their items as typed entries with URLs; `fetch` returns
 *   them as text, one item a line.
 * - Text items (type `0`) end at the `.` line and lose their dot-stuffing;
 *   other types stream the bytes as sent, until the server closes.
 * - Selectors and search strings with CR, LF, NUL or TAB are refused with a
 *   {@linkcode GopherSelectorError} (they would inject a second request or
 *   a search the URL did not ask for); replies are capped (16 MiB by
 *   default; more fails with a `ProtocolError`).
 * - Text shown to the user (menus, type `0`) loses its control characters
 *   but tab and newline; menu items whose host is not a plain host name are
 *   shown as information lines rather than links. In `list`, information
 *   lines are `"other"` entries carrying the menu's own URL.
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
  CommandInjectionError,
  dial,
  type DirectoryEntry,
  type PluginFetchInit,
  ProtocolError,
  type ProtocolPlugin,
  TextProtoConn,
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

/**
 * A selector or search string that would change the request line: it holds
 * CR, LF, NUL or TAB.
 *
 * @example Usage
 * ```ts
 * import { GopherSelectorError } from "./gopher.ts";
 * import { CommandInjectionError } from "../../mod.ts";
 * import { assert } from "../../tests/_assert.ts";
 *
 * assert(new GopherSelectorError("a\tb") instanceof CommandInjectionError);
 * ```
 */
export class GopherSelectorError extends CommandInjectionError {
  /**
   * Creates the error.
   *
   * @param argument The selector or search string.
   */
  constructor(argument: string) {
    super(argument);
    this.message =
      `Cannot send a Gopher selector containing CR, LF, NUL or TAB: ${
        JSON.stringify(argument)
      }`;
  }
}

const FORBIDDEN_REGEXP = /[\r\n\0\t]/;
// deno-lint-ignore no-control-regex
const CONTROL_REGEXP = /[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]/g;
const HOST_REGEXP =
  /^(?:[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?|[0-9A-Fa-f:.]+)$/;
/** Types whose items cannot be fetched as a document (telnet, tn3270, CSO, error, info). */
const NOT_DOCUMENTS = new Set(["2", "3", "8", "T", "i"]);

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch (cause) {
    throw new TypeError(`Invalid percent-encoding in "${text}"`, { cause });
  }
}

/**
 * Parses a `gopher:` URL into type, selector and search (RFC 4266 §2: the
 * path is the type character, the selector, then `%09` and the search; a
 * second `%09` starts a Gopher+ string, ignored here).
 *
 * @param url The URL.
 * @returns The request.
 * @throws {GopherSelectorError} When the selector or search holds CR, LF, NUL or TAB.
 * @throws {TypeError} For bad percent-encoding.
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
  // `?` and `#` belong to the selector: Gopher URLs have no query or fragment.
  const path = url.pathname.replace(/^\//, "") + url.search + url.hash;
  if (path === "") return { type: "1", selector: "" };
  const type = path[0]!;
  const [rawSelector = "", rawSearch] = path.slice(1).split(/%09/i);
  const selector = decode(rawSelector);
  if (FORBIDDEN_REGEXP.test(selector)) throw new GopherSelectorError(selector);
  if (rawSearch === undefined) return { type, selector };
  const search = decode(rawSearch);
  if (FORBIDDEN_REGEXP.test(search)) throw new GopherSelectorError(search);
  return { type, selector, search };
}

/**
 * Parses a menu, up to its `.` line. Lines that are not items (no tab, no
 * host, a bad port, a host that is not a plain name or address) become `i`
 * (information) items showing the whole line.
 *
 * @param text The menu.
 * @returns The items.
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
    const [head = "", selector = "", host = "", port = "70"] = line.split("\t");
    const type = head.slice(0, 1);
    const portNumber = /^\s*\d{1,5}\s*$/.test(port) ? Number(port) : 0;
    if (
      type === "i" || !HOST_REGEXP.test(host) || portNumber < 1 ||
      portNumber > 65535
    ) {
      items.push({
        type: "i",
        display: type === "i" ? head.slice(1) : line,
        selector: "",
        host: "",
        port: 0,
      });
      continue;
    }
    items.push({
      type,
      display: head.slice(1),
      selector,
      host,
      port: portNumber,
    });
  }
  return items;
}

function entryType(type: string): DirectoryEntry["type"] {
  if (type === "1" || type === "7") return "dir";
  return NOT_DOCUMENTS.has(type) ? "other" : "file";
}

function itemUrl(item: GopherMenuItem): string {
  const host = item.host.includes(":") ? `[${item.host}]` : item.host;
  const selector = encodeURI(item.selector).replace(
    /[?#]/g,
    encodeURIComponent,
  );
  return `gopher://${host}:${item.port}/${item.type}${selector}`;
}

function clean(text: string): string {
  return text.replace(/\r\n/g, "\n").replace(CONTROL_REGEXP, "");
}

function menuText(items: GopherMenuItem[]): string {
  return items.map((i) =>
    clean(
      i.type === "i"
        ? `      ${i.display}`
        : `[${i.type}]  ${i.display}  ${itemUrl(i)}`,
    ).replace(/\n/g, " ") + "\n"
  ).join("");
}

/** A text item without its `.` line and dot-stuffing (RFC 1436 §3.8). */
function textItem(text: string): string {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const end = lines.indexOf(".");
  const kept = end >= 0 ? lines.slice(0, end) : lines;
  return clean(kept.map((l) => l.startsWith("..") ? l.slice(1) : l).join("\n"));
}

/** Connects and sends the request line; the reply is the caller's to read. */
async function open(
  url: URL,
  req: GopherRequest,
  init: PluginFetchInit,
): Promise<TextProtoConn> {
  const wait = {
    ...(init.timeout !== undefined ? { timeout: init.timeout } : {}),
    ...(init.signal ? { signal: init.signal } : {}),
  };
  const socket = await dial({
    hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: Number(url.port || 70),
    ...wait,
  });
  const conn = new TextProtoConn(socket, wait);
  try {
    await conn.writeLine(
      req.search === undefined
        ? req.selector
        : `${req.selector}\t${req.search}`,
    );
  } catch (err) {
    conn.close();
    throw err;
  }
  return conn;
}

async function readAll(
  url: URL,
  req: GopherRequest,
  init: PluginFetchInit,
  maxBytes: number,
): Promise<string> {
  const conn = await open(url, req, init);
  try {
    return new TextDecoder().decode(await conn.reader.readToEnd(maxBytes));
  } finally {
    conn.close();
  }
}

/** The reply as a stream, capped; the connection closes at its end or on cancel. */
function replyStream(
  conn: TextProtoConn,
  maxBytes: number,
): ReadableStream<Uint8Array> {
  let total = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = new Uint8Array(64 * 1024);
        const n = await conn.reader.read(chunk);
        if (n === null) {
          conn.close();
          controller.close();
          return;
        }
        total += n;
        if (total > maxBytes) {
          throw new ProtocolError(
            `Peer sent more than the limit of ${maxBytes} bytes`,
          );
        }
        controller.enqueue(chunk.subarray(0, n));
      } catch (err) {
        conn.close();
        controller.error(err);
      }
    },
    cancel() {
      conn.close();
    },
  }, { highWaterMark: 0 });
}

/**
 * Creates the Gopher plugin.
 *
 * @param options The reply cap.
 * @returns The plugin.
 *
 * @example Usage
 * ```ts ignore
 * import { createDefaultRegistry } from "../../mod.ts";
 * import { gopherPlugin } from "./gopher.ts";
 *
 * const registry = createDefaultRegistry().register(gopherPlugin());
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
      const req = parseGopherUrl(url);
      if (NOT_DOCUMENTS.has(req.type)) {
        throw new TypeError(
          `Cannot fetch Gopher items of type "${req.type}": "${url.href}"`,
        );
      }
      const text = { "content-type": "text/plain; charset=utf-8" };
      if (req.type === "1" || req.type === "7") {
        const menu = await readAll(url, req, init, maxBytes);
        return new Response(menuText(parseGopherMenu(menu)), { headers: text });
      }
      if (req.type === "0") {
        const body = await readAll(url, req, init, maxBytes);
        return new Response(textItem(body), { headers: text });
      }
      const conn = await open(url, req, init);
      return new Response(replyStream(conn, maxBytes), {
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
      const menu = await readAll(url, req, init, maxBytes);
      for (const item of parseGopherMenu(menu)) {
        yield {
          name: clean(item.display).replace(/\n/g, " "),
          type: entryType(item.type),
          // Information lines link nowhere: they carry the menu's own URL.
          url: item.type === "i" ? url.href : itemUrl(item),
        };
      }
    },
  };
}

/** The plugin factory, for `get.ts --plugin` and other loaders that take a default export. */
export default gopherPlugin;
