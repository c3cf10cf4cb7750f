/**
 * The built-in `http:` / `https:` plugin: a thin adapter from inetkit's own
 * HTTP/1.1 client (no header rewriting, no body decoding, no redirect
 * following, like `fetch` with `redirect: "manual"`) to a web `Response`
 * that keeps the status text exactly as the server sent it.
 *
 * @module
 */

import { type HttpBody, HttpClient } from "../protocols/http.ts";
import { ProtocolError } from "../protocols/errors.ts";
import type { PluginFetchInit, ProtocolPlugin } from "./registry.ts";

/**
 * Turns a `BodyInit` into what the HTTP client sends: strings and bytes as
 * they are (so a Content-Length goes out), streams as streams (chunked), and
 * anything else (Blob, FormData, URLSearchParams, ArrayBuffer) through a
 * `Response`, which also gives its Content-Type.
 */
async function requestBody(
  body: BodyInit,
): Promise<{ body: HttpBody; contentType?: string }> {
  if (typeof body === "string" || body instanceof ReadableStream) {
    return { body: body as HttpBody };
  }
  if (body instanceof Uint8Array) return { body };
  const res = new Response(body);
  const contentType = res.headers.get("content-type") ?? undefined;
  const bytes = new Uint8Array(await res.arrayBuffer());
  return contentType ? { body: bytes, contentType } : { body: bytes };
}

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
      const headers = new Headers(init.headers);
      let body: HttpBody | undefined;
      if (init.body !== undefined && init.body !== null) {
        const converted = await requestBody(init.body);
        body = converted.body;
        if (converted.contentType && !headers.has("content-type")) {
          headers.set("content-type", converted.contentType);
        }
      }
      const res = await client.request(url, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(init.signal ? { signal: init.signal } : {}),
        ...(init.timeout !== undefined ? { timeout: init.timeout } : {}),
        ...(init.caCerts ? { caCerts: init.caCerts } : {}),
      });
      if (res.upgraded || res.status < 200 || res.status > 599) {
        res.upgraded?.conn.close();
        await res.body?.cancel();
        throw new ProtocolError(
          `Cannot represent status ${res.status} as a Response${
            res.upgraded ? ": protocol upgrades are not supported" : ""
          }`,
        );
      }
      const out = new Headers();
      for (const [name, value] of res.headerLines) {
        try {
          out.append(name, value);
        } catch { /* a field the web Headers class refuses */ }
      }
      const nullBody = res.status === 204 || res.status === 205 ||
        res.status === 304 || method === "HEAD";
      if (nullBody) await res.body?.cancel();
      return new Response(nullBody ? null : res.body, {
        status: res.status,
        // A web Response takes Latin-1 reason phrases only.
        statusText: res.reason.replace(/[^\t\x20-\x7e\x80-\xff]/g, "?"),
        headers: out,
      });
    },
    close(): void {
      client.close();
    },
  };
}
