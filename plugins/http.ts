/**
 * The built-in `http:` / `https:` plugin: a thin adapter from inetkit's own
 * HTTP/1.1 client (no header rewriting, no body decoding) to a web `Response`
 * that keeps the status text exactly as the server sent it.
 *
 * @module
 */

import { HttpClient } from "../protocols/http.ts";
import type { PluginFetchInit, ProtocolPlugin } from "./registry.ts";

/**
 * Creates the HTTP plugin with its own keep-alive pool; `close()` empties it.
 *
 * @returns The plugin.
 *
 * @example Usage
 * ```ts ignore
 * import { ProtocolRegistry } from "./registry.ts";
 * import { httpPlugin } from "./http.ts";
 *
 * const registry = new ProtocolRegistry().register(httpPlugin());
 * const res = await registry.fetch("http://127.0.0.1:8000/");
 * console.log(res.status, res.statusText);
 * await registry.close();
 * ```
 */
export function httpPlugin(): ProtocolPlugin {
  const client = new HttpClient();
  return {
    name: "http",
    schemes: ["http", "https"],
    defaultPorts: { http: 80, https: 443 },
    async fetch(url: URL, init: PluginFetchInit = {}): Promise<Response> {
      const method = (init.method ?? "GET").toUpperCase();
      const body = init.body === undefined || init.body === null
        ? undefined
        : new Request("http://x/", { method: "POST", body: init.body }).body ??
          undefined;
      const res = await client.request(url, {
        method,
        ...(init.headers ? { headers: init.headers } : {}),
        ...(body ? { body } : {}),
        ...(init.signal ? { signal: init.signal } : {}),
        ...(init.timeout !== undefined ? { timeout: init.timeout } : {}),
        ...(init.caCerts ? { caCerts: init.caCerts } : {}),
      });
      const headers = new Headers();
      for (const [name, value] of res.headerLines) {
        try {
          headers.append(name, value);
        } catch { /* a header the web Headers class refuses */ }
      }
      const nullBody = res.status === 204 || res.status === 304 ||
        res.status < 200;
      return new Response(nullBody ? null : res.body, {
        status: res.status < 200 ? 200 : res.status,
        statusText: res.reason,
        headers,
      });
    },
    close(): Promise<void> {
      return Promise.resolve(client.close());
    },
  };
}
