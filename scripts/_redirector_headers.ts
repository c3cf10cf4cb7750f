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
const HOP_BY_HOP_SET = new Set(HOP_BY_HOP);
/** Connection options that are no field names (RFC 9110 §7.6.1, RFC 9112 §9.6). */
const CONNECTION_OPTIONS = new Set(["close", "upgrade"]);
/** Lengths of the names the request rules look at (hop-by-hop, Host, X-Forwarded-*, Via). */
const REQUEST_LENGTHS = new Set(
  [
    ...HOP_BY_HOP,
    "host",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "via",
  ]
    .map((n) => n.length),
);
/** Lengths of the names the response rules look at (hop-by-hop, Location, Content-Location, Via). */
const RESPONSE_LENGTHS = new Set(
  [...HOP_BY_HOP, "location", "content-location", "via"].map((n) => n.length),
);
const VIA = "1.1 inetkit";

/** The lowercased field names listed by Connection values, or `undefined`. */
function connectionNames(
  values: Iterable<string>,
): Set<string> | undefined {
  let named: Set<string> | undefined;
  for (const value of values) {
    for (const part of value.split(",")) {
      const name = part.trim().toLowerCase();
      // A hop-by-hop name goes anyway; `close` and `upgrade` name no field.
      if (name && !HOP_BY_HOP_SET.has(name) && !CONNECTION_OPTIONS.has(name)) {
        (named ??= new Set()).add(name);
      }
    }
  }
  return named;
}

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

/** Options for {@linkcode forwardRequestHeaders}. */
export interface ForwardRequestOptions extends ForwardContext {
  /** The Host to send instead of the client's (the upstream's); `undefined` keeps the client's. */
  upstreamHost?: string;
}

/**
 * Builds the fields of the upstream request in one pass, with the same
 * result as {@linkcode stripHopByHop}, then {@linkcode addForwarded}, then
 * replacing Host: hop-by-hop fields and those named by Connection go first,
 * inbound X-Forwarded-* are dropped unless trusted, and only then are the
 * proxy's own fields added. Host comes first, as RFC 9112 asks.
 *
 * @param headers The inbound request's header lines in order, names as sent
 * (or a `Headers`).
 * @param options The inbound request's facts and the upstream Host.
 * @returns Name and value pairs for the upstream request.
 *
 * @example Usage
 * ```ts
 * import { forwardRequestHeaders } from "./_redirector_headers.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const inbound = new Headers({
 *   host: "proxy", connection: "x-a", "x-a": "1", "x-forwarded-for": "6.6.6.6", accept: "*",
 * });
 * assertEquals(forwardRequestHeaders(inbound, {
 *   clientIp: "127.0.0.1", host: "proxy", proto: "http", trustForwarded: false, upstreamHost: "up:8080",
 * }), [
 *   ["host", "up:8080"], ["accept", "*"], ["x-forwarded-for", "127.0.0.1"],
 *   ["x-forwarded-proto", "http"], ["x-forwarded-host", "proxy"], ["via", "1.1 inetkit"],
 * ]);
 * ```
 */
export function forwardRequestHeaders(
  headers: Headers | readonly (readonly [string, string])[],
  options: ForwardRequestOptions,
): [string, string][] {
  const lines = headers instanceof Headers ? [...headers] : headers;
  let connection: string[] | undefined;
  for (const [name, value] of lines) {
    if (name.length === 10 && name.toLowerCase() === "connection") {
      (connection ??= []).push(value);
    }
  }
  const named = connection ? connectionNames(connection) : undefined;
  const trust = options.trustForwarded;
  const host = options.upstreamHost;
  const out: [string, string][] = host === undefined ? [] : [["host", host]];
  let priorFor: string | undefined;
  let priorVia: string | undefined;
  let hasProto = false, hasHost = false;
  for (const [name, value] of lines) {
    if (!named && !REQUEST_LENGTHS.has(name.length)) {
      out.push([name, value]);
      continue;
    }
    const lower = name.toLowerCase();
    if (HOP_BY_HOP_SET.has(lower) || named?.has(lower)) continue;
    switch (lower) {
      case "host":
        if (host !== undefined) continue;
        break;
      case "x-forwarded-for":
        if (trust) {
          priorFor = priorFor === undefined ? value : `${priorFor}, ${value}`;
        }
        continue;
      case "x-forwarded-proto":
        if (!trust) continue;
        hasProto = true;
        break;
      case "x-forwarded-host":
        if (!trust) continue;
        hasHost = true;
        break;
      case "via":
        priorVia = priorVia === undefined ? value : `${priorVia}, ${value}`;
        continue;
    }
    out.push([name, value]);
  }
  const ip = options.clientIp;
  out.push(["x-forwarded-for", priorFor ? `${priorFor}, ${ip}` : ip]);
  if (!hasProto) out.push(["x-forwarded-proto", options.proto]);
  if (!hasHost) out.push(["x-forwarded-host", options.host]);
  out.push(["via", priorVia ? `${priorVia}, ${VIA}` : VIA]);
  return out;
}

/**
 * Builds the fields of the response to the client from the upstream's
 * header lines in one pass: hop-by-hop fields and those named by Connection
 * are removed, Location and Content-Location that point at the upstream are
 * rewritten, and Via gets the proxy's entry. Repeated Location,
 * Content-Location or Via fields are joined first, as `Headers` would.
 *
 * @param lines The upstream's header lines, names as sent.
 * @param upstream The upstream base URL (with its path prefix).
 * @param front The proxy's origin as the client sees it.
 * @returns Name and value pairs for the response.
 *
 * @example Usage
 * ```ts
 * import { forwardResponseHeaders } from "./_redirector_headers.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const up = new URL("http://10.0.0.1:8080/app/");
 * assertEquals(forwardResponseHeaders([
 *   ["Connection", "X-Secret"], ["X-Secret", "1"], ["Location", "http://10.0.0.1:8080/app/a"],
 * ], up, "http://proxy"), [["Location", "http://proxy/a"], ["via", "1.1 inetkit"]]);
 * ```
 */
export function forwardResponseHeaders(
  lines: readonly (readonly [string, string])[],
  upstream: URL,
  front: string,
): [string, string][] {
  const connection: string[] = [];
  for (const [name, value] of lines) {
    if (name.length === 10 && name.toLowerCase() === "connection") {
      connection.push(value);
    }
  }
  const named = connection.length ? connectionNames(connection) : undefined;
  const out: [string, string][] = [];
  let special: Map<string, number[]> | undefined;
  for (const [name, value] of lines) {
    // Only names of these lengths can be special: no lowercasing for others.
    if (!named && !RESPONSE_LENGTHS.has(name.length)) {
      out.push([name, value]);
      continue;
    }
    const lower = name.toLowerCase();
    if (HOP_BY_HOP_SET.has(lower) || named?.has(lower)) continue;
    if (
      lower === "location" || lower === "content-location" || lower === "via"
    ) {
      special ??= new Map();
      const at = special.get(lower);
      if (at) at.push(out.length);
      else special.set(lower, [out.length]);
    }
    out.push([name, value]);
  }
  if (special === undefined) {
    out.push(["via", VIA]);
    return out;
  }
  const drop = new Set<number>();
  for (const [lower, at] of special) {
    const first = out[at[0]!]!;
    let value = at.map((i) => out[i]![1]).join(", ");
    for (const i of at.slice(1)) drop.add(i);
    if (lower === "via") value = value ? `${value}, ${VIA}` : VIA;
    else if (value) value = rewriteLocation(value, upstream, front);
    out[at[0]!] = [first[0], value];
  }
  const result = drop.size ? out.filter((_, i) => !drop.has(i)) : out;
  if (!special.has("via")) result.push(["via", VIA]);
  return result;
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

/** Targets that a URL parser would change: dot segments, a fragment, a backslash. */
const NEEDS_PARSE_REGEXP = /\/\.|%2e|#|\\/i;

/**
 * The origin-form path and query to forward for a request target: an
 * origin-form target without dot segments as it is (byte for byte), one
 * with them resolved the way a URL parser does (so `/../` cannot climb out
 * of the upstream's path prefix), the path and query of an absolute-form
 * target (whatever host it names: the redirector is no open proxy), and
 * `undefined` for the authority and asterisk forms, which are not forwarded.
 *
 * @param target The request target as received.
 * @returns The path and query, starting with `/`, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { forwardPath } from "./_redirector_headers.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(forwardPath("/a/b?x='1'"), "/a/b?x='1'");
 * assertEquals(forwardPath("/a/../../etc/%2e%2e/passwd"), "/passwd");
 * assertEquals(forwardPath("http://elsewhere.invalid/steal?x"), "/steal?x");
 * assertEquals(forwardPath("example.com:443"), undefined);
 * ```
 */
export function forwardPath(target: string): string | undefined {
  if (target.startsWith("/")) {
    if (!NEEDS_PARSE_REGEXP.test(target)) return target;
    const url = new URL(target, "http://h");
    return `${url.pathname}${url.search}`;
  }
  if (!/^https?:\/\//i.test(target)) return undefined;
  try {
    const url = new URL(target);
    return `${url.pathname}${url.search}`;
  } catch {
    return undefined;
  }
}
