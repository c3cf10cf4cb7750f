/**
 * Header rules of the redirector (RFC 9110 §7.6): hop-by-hop fields are
 * removed first (Connection and every field it names, across repeated
 * Connection headers, plus the fixed list), and only then are the proxy's own
 * X-Forwarded-* and Via fields added, so a client cannot make the proxy strip
 * them (Go's CVE-2021-33197).
 *
 * @module
 */

const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "proxy-authenticate",
  "proxy-authorization",
];

/**
 * Removes hop-by-hop fields, including those named by Connection.
 *
 * @param headers The fields; changed in place.
 * @returns The same object.
 *
 * @example Usage
 * ```ts
 * import { stripHopByHop } from "./_redirector_headers.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const h = new Headers([["connection", "x-secret, close"], ["x-secret", "1"], ["accept", "*"]]);
 * assertEquals([...stripHopByHop(h).keys()], ["accept"]);
 * ```
 */
export function stripHopByHop(headers: Headers): Headers {
  const named = (headers.get("connection") ?? "").split(",").map((s) =>
    s.trim().toLowerCase()
  )
    .filter(Boolean);
  for (const name of [...HOP_BY_HOP, ...named]) {
    try {
      headers.delete(name);
    } catch { /* not a valid name */ }
  }
  return headers;
}

/** What the proxy knows about the inbound request. */
export interface ForwardContext {
  /** The client's address. */
  clientIp: string;
  /** The Host the client asked for. */
  host: string;
  /** `"http"` or `"https"` on the front. */
  proto: string;
  /** Keep inbound X-Forwarded-* and append to them. */
  trustForwarded: boolean;
}

/**
 * Adds X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Host and Via; call it
 * after {@linkcode stripHopByHop}.
 *
 * @param headers The fields; changed in place.
 * @param ctx The inbound request's facts.
 * @returns The same object.
 *
 * @example Usage
 * ```ts
 * import { addForwarded } from "./_redirector_headers.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const h = addForwarded(new Headers({ "x-forwarded-for": "6.6.6.6" }), {
 *   clientIp: "127.0.0.1", host: "proxy", proto: "http", trustForwarded: false,
 * });
 * assertEquals(h.get("x-forwarded-for"), "127.0.0.1");
 * ```
 */
export function addForwarded(headers: Headers, ctx: ForwardContext): Headers {
  const prior = ctx.trustForwarded ? headers.get("x-forwarded-for") : null;
  headers.set(
    "x-forwarded-for",
    prior ? `${prior}, ${ctx.clientIp}` : ctx.clientIp,
  );
  if (!ctx.trustForwarded || !headers.has("x-forwarded-proto")) {
    headers.set("x-forwarded-proto", ctx.proto);
  }
  if (!ctx.trustForwarded || !headers.has("x-forwarded-host")) {
    headers.set("x-forwarded-host", ctx.host);
  }
  const via = headers.get("via");
  headers.set("via", via ? `${via}, 1.1 inetkit` : "1.1 inetkit");
  return headers;
}

/**
 * Rewrites a Location or Content-Location value that points at the upstream
 * so that it points at the proxy.
 *
 * @param value The header value.
 * @param upstream The upstream base URL (with its path prefix).
 * @param front The proxy's origin as the client sees it.
 * @returns The rewritten value, or the value unchanged.
 *
 * @example Usage
 * ```ts
 * import { rewriteLocation } from "./_redirector_headers.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const up = new URL("http://10.0.0.1:8080/app/");
 * assertEquals(rewriteLocation("http://10.0.0.1:8080/app/login", up, "http://127.0.0.1:8000"), "http://127.0.0.1:8000/login");
 * assertEquals(rewriteLocation("https://elsewhere/", up, "http://127.0.0.1:8000"), "https://elsewhere/");
 * ```
 */
export function rewriteLocation(
  value: string,
  upstream: URL,
  front: string,
): string {
  let target: URL;
  try {
    target = new URL(value, upstream);
  } catch {
    return value;
  }
  if (target.origin !== upstream.origin) return value;
  const prefix = upstream.pathname.replace(/\/$/, "");
  if (
    prefix && target.pathname !== prefix &&
    !target.pathname.startsWith(prefix + "/")
  ) {
    return value;
  }
  const isAbsolute = /^[a-z][a-z0-9+.-]*:/i.test(value);
  const path = target.pathname.slice(prefix.length) || "/";
  const rest = `${path}${target.search}${target.hash}`;
  return isAbsolute ? `${front}${rest}` : rest;
}

/**
 * Joins the upstream's path prefix and the request's path and query.
 *
 * @param upstream The upstream base URL.
 * @param pathAndQuery The request's path and query (starting with `/`).
 * @returns The upstream URL to request.
 *
 * @example Usage
 * ```ts
 * import { upstreamUrl } from "./_redirector_headers.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(upstreamUrl(new URL("http://u:1/app/"), "/a?b=1").href, "http://u:1/app/a?b=1");
 * assertEquals(upstreamUrl(new URL("http://u:1"), "/").href, "http://u:1/");
 * ```
 */
export function upstreamUrl(upstream: URL, pathAndQuery: string): URL {
  const prefix = upstream.pathname.replace(/\/$/, "");
  const url = new URL(upstream.href);
  const q = pathAndQuery.indexOf("?");
  url.pathname = prefix + (q >= 0 ? pathAndQuery.slice(0, q) : pathAndQuery);
  url.search = q >= 0 ? pathAndQuery.slice(q) : "";
  return url;
}
