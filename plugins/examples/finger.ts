/**
 * An example third-party plugin: Finger (RFC 1288) for `finger://` URLs,
 * written against inetkit's public API only (`mod.ts`).
 *
 * - `finger://host/user` asks for `user`; `finger://host/` lists the users;
 *   `finger://host/W/user` (or `finger://host/%2FW%20user`) asks for the
 *   verbose form (`/W user`).
 * - The query may not contain CR, LF or NUL (it would inject a second line):
 *   `fetch` rejects with a `CommandInjectionError`. `@` is refused too, so
 *   the server is never asked to forward the query to another host
 *   (RFC 1288 §3.2.1, §3.3.1).
 * - The reply is capped (1 MiB by default; more rejects with a
 *   `ProtocolError`) and every control character but tab and newline is
 *   removed, so a hostile server cannot drive the terminal that shows it.
 * - The timeout and abort signal of the fetch apply to every wait.
 *
 * @example Usage
 * ```ts ignore
 * import { ProtocolRegistry } from "../../mod.ts";
 * import { fingerPlugin } from "./finger.ts";
 *
 * const registry = new ProtocolRegistry().register(fingerPlugin());
 * console.log(await (await registry.fetch("finger://127.0.0.1:7979/alice")).text());
 * ```
 *
 * @module
 */

import {
  checkCommandArgument,
  dial,
  type PluginFetchInit,
  type ProtocolPlugin,
  TextProtoConn,
} from "../../mod.ts";

// deno-lint-ignore no-control-regex
const CONTROL_REGEXP = /[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]/g;

/** Options for {@linkcode fingerPlugin}. */
export interface FingerPluginOptions {
  /**
   * Largest reply accepted, in bytes.
   *
   * @default {1048576}
   */
  maxBytes?: number;
}

/**
 * Removes control characters except tab and newline; CRLF becomes LF.
 *
 * @param text The raw reply.
 * @returns Text safe to print on a terminal.
 *
 * @example Usage
 * ```ts
 * import { sanitizeFingerText } from "./finger.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 *
 * assertEquals(sanitizeFingerText("ok\r\n\x1b[31mred\x07\n"), "ok\n[31mred\n");
 * ```
 */
export function sanitizeFingerText(text: string): string {
  return text.replace(/\r\n/g, "\n").replace(CONTROL_REGEXP, "");
}

/**
 * Builds the Finger query line (without CRLF) for a URL path.
 *
 * @param pathname The URL's path, percent-encoded.
 * @returns The query.
 * @throws {CommandInjectionError} When the query holds CR, LF or NUL.
 * @throws {TypeError} When it holds `@` (forwarding) or bad percent-encoding.
 *
 * @example Usage
 * ```ts
 * import { fingerQuery } from "./finger.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 *
 * assertEquals(fingerQuery("/W/alice"), "/W alice");
 * assertEquals(fingerQuery("/"), "");
 * ```
 */
export function fingerQuery(pathname: string): string {
  let path: string;
  try {
    path = decodeURIComponent(pathname).replace(/^\//, "");
  } catch (cause) {
    throw new TypeError(`Invalid percent-encoding in "${pathname}"`, {
      cause,
    });
  }
  let verbose = false;
  if (/^\/?W(\/| |$)/.test(path)) {
    verbose = true;
    path = path.replace(/^\/?W\/?\s*/, "");
  }
  checkCommandArgument(path);
  if (path.includes("@")) {
    throw new TypeError(`Finger forwarding is refused: "${path}"`);
  }
  return verbose ? (path ? `/W ${path}` : "/W") : path;
}

/**
 * Creates the Finger plugin.
 *
 * @param options The reply cap.
 * @returns The plugin.
 *
 * @example Usage
 * ```ts ignore
 * import { createDefaultRegistry } from "../../mod.ts";
 * import { fingerPlugin } from "./finger.ts";
 *
 * const registry = createDefaultRegistry().register(fingerPlugin());
 * ```
 */
export function fingerPlugin(
  options: FingerPluginOptions = {},
): ProtocolPlugin {
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  return {
    name: "finger",
    schemes: ["finger"],
    defaultPorts: { finger: 79 },
    async fetch(url: URL, init: PluginFetchInit = {}): Promise<Response> {
      // Refuse a hostile query before connecting.
      const query = fingerQuery(url.pathname);
      const wait = {
        ...(init.timeout !== undefined ? { timeout: init.timeout } : {}),
        ...(init.signal ? { signal: init.signal } : {}),
      };
      const socket = await dial({
        hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: Number(url.port || 79),
        ...wait,
      });
      // TextProtoConn puts the timeout and the signal on every read and write.
      const conn = new TextProtoConn(socket, wait);
      try {
        await conn.writeLine(query);
        // Finger replies end when the server closes the connection.
        const bytes = await conn.reader.readToEnd(maxBytes);
        const text = sanitizeFingerText(new TextDecoder().decode(bytes));
        return new Response(text, {
          headers: { "content-type": "text/plain; charset=utf-8" },
        });
      } finally {
        conn.close();
      }
    },
  };
}

/** The plugin factory, for `get.ts --plugin` and other loaders that take a default export. */
export default fingerPlugin;
