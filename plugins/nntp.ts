/**
 * The built-in `nntp:` / `news:` plugin (RFC 5538 URLs; `nntps:` and
 * `snews:` for TLS from the first byte):
 *
 * - `news:<id@host>`, `news:id@host` or `news://server/id@host` fetch one
 *   article by message-id, `nntp://server[:port]/group/123` by number:
 *   `message/rfc822` (the header fields, a blank line, the body, streamed);
 *   HEAD reads the head only.
 * - `nntp://server/group`, `nntp://server/group/10-20`, `news:group` or
 *   `news://server/group` name the group's articles: `list` yields them from
 *   the overview (OVER), one entry each, with their URLs; `fetch` returns
 *   one tab-separated text line each (number, subject, from, date; decoded,
 *   control characters replaced).
 * - `news:*` or `news://server/` name every group: `list` yields them as
 *   directories, `fetch` returns one line each (name, high, low, status).
 *
 * The server comes from the URL, else `$NNTPSERVER` when the environment may
 * be read without a prompt, else `localhost`; a user name and password in
 * the URL are used for AUTHINFO. Refusals become statuses, with the reply in
 * an `x-inetkit-reply` header: 411, 420, 423 and 430 → 404, 480–483 → 401,
 * 502 → 403, other 4xx → 503, other 5xx → 502. When no reply can be had at
 * all `fetch` rejects, like the web `fetch` on a network error; a URL that
 * is not a valid news URL rejects with a `TypeError`.
 *
 * @module
 */

import {
  NntpClient,
  type NntpClientOptions,
  type NntpGroup,
  type OverviewEntry,
} from "../protocols/nntp.ts";
import { decodeHeader } from "../protocols/mime_header.ts";
import { ReplyError } from "../protocols/errors.ts";
import {
  type NewsGroupUrl,
  newsUrl,
  type ParsedNewsUrl,
  parseNewsUrl,
} from "../protocols/news_url.ts";
import type {
  DirectoryEntry,
  PluginFetchInit,
  ProtocolPlugin,
} from "./registry.ts";
import { closingBody, errorResponse, prefixedBody } from "./_response.ts";

const encoder = new TextEncoder();
// deno-lint-ignore no-control-regex
const CONTROL_REGEXP = /[\x00-\x1f\x7f-\x9f]/g;

function statusFor(err: ReplyError): number {
  if ([411, 420, 423, 430].includes(err.code)) return 404;
  if (err.code >= 480 && err.code <= 483) return 401;
  if (err.code === 502) return 403;
  return err.transient ? 503 : 502;
}

function envServer(): string | undefined {
  try {
    const state =
      Deno.permissions.querySync({ name: "env", variable: "NNTPSERVER" }).state;
    return state === "granted"
      ? Deno.env.get("NNTPSERVER") || undefined
      : undefined;
  } catch {
    return undefined;
  }
}

function parseTarget(url: URL): ParsedNewsUrl {
  try {
    return parseNewsUrl(url.href);
  } catch (err) {
    throw new TypeError((err as Error).message, { cause: err });
  }
}

async function connect(
  url: URL,
  target: ParsedNewsUrl,
  init: PluginFetchInit,
): Promise<NntpClient> {
  const tls = target.tls ?? false;
  let hostname = target.server;
  let port = target.port;
  if (hostname === undefined) {
    const env = envServer() ?? "localhost";
    const m = /^\[(.*)\](?::(\d+))?$/.exec(env) ??
      /^([^:]*)(?::(\d+))?$/.exec(env);
    hostname = m?.[1] || "localhost";
    if (port === undefined && m?.[2]) port = Number(m[2]);
  }
  const options: NntpClientOptions = {
    hostname,
    port: port ?? (tls ? 563 : 119),
    tls,
  };
  if (url.username) options.user = decodeURIComponent(url.username);
  if (url.password) options.password = decodeURIComponent(url.password);
  if (init.timeout !== undefined) options.timeout = init.timeout;
  if (init.signal) options.signal = init.signal;
  if (init.caCerts) options.caCerts = init.caCerts;
  return await NntpClient.connect(options);
}

/** The URL of an overview entry: by number for `nntp:`, by message-id for `news:`. */
function articleUrl(url: URL, group: string, o: OverviewEntry): string {
  if (url.protocol === "nntp:" || url.protocol === "nntps:") {
    return `${url.protocol}//${url.host}/${
      encodeURIComponent(group)
    }/${o.number}`;
  }
  const id = newsUrl(o.messageId).slice("news:".length);
  return url.host
    ? `${url.protocol}//${url.host}/${id}`
    : `${url.protocol}${id}`;
}

function clean(text: string): string {
  return text.replace(CONTROL_REGEXP, " ");
}

function parseDate(text: string): Date | undefined {
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

async function* overview(
  client: NntpClient,
  target: NewsGroupUrl,
  selected?: NntpGroup,
): AsyncGenerator<OverviewEntry> {
  const info = selected ?? await client.group(target.group);
  const start = Math.max(target.range?.start ?? info.low, info.low);
  const end = Math.min(target.range?.end ?? info.high, info.high);
  if (info.count === 0 || end < start) return;
  yield* client.over({ start, end });
}

async function* articleEntries(
  client: NntpClient,
  url: URL,
  target: NewsGroupUrl,
): AsyncGenerator<DirectoryEntry> {
  for await (const o of overview(client, target)) {
    const entry: DirectoryEntry = {
      name: clean(decodeHeader(o.subject)),
      type: "file",
      url: articleUrl(url, target.group, o),
    };
    if (o.bytes !== undefined) entry.size = o.bytes;
    const date = parseDate(o.date);
    if (date) entry.modified = date;
    yield entry;
  }
}

async function* groupEntries(
  client: NntpClient,
  url: URL,
): AsyncGenerator<DirectoryEntry> {
  const base = url.host ? `${url.protocol}//${url.host}/` : url.protocol;
  for await (const g of client.listActive()) {
    yield {
      name: g.name,
      type: "dir",
      size: Math.max(0, g.high - g.low + 1),
      url: `${base}${encodeURIComponent(g.name)}`,
    };
  }
}

/** A text body from an async source of lines; the connection closes at its end. */
function linesBody(
  client: NntpClient,
  lines: AsyncIterable<string>,
): ReadableStream<Uint8Array> {
  const iterator = lines[Symbol.asyncIterator]();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await iterator.next();
      if (done) controller.close();
      else controller.enqueue(encoder.encode(value + "\n"));
    },
    async cancel() {
      await iterator.return?.();
    },
  }, { highWaterMark: 0 });
  return closingBody(stream, () => client.close());
}

async function* overviewLines(
  client: NntpClient,
  target: NewsGroupUrl,
  selected: NntpGroup,
): AsyncGenerator<string> {
  for await (const o of overview(client, target, selected)) {
    const fields = [o.subject, o.from].map((v) => clean(decodeHeader(v)));
    yield `${o.number}\t${fields[0]}\t${fields[1]}\t${clean(o.date)}`;
  }
}

async function* activeLines(client: NntpClient): AsyncGenerator<string> {
  for await (const g of client.listActive()) {
    yield `${g.name}\t${g.high}\t${g.low}\t${clean(g.status)}`;
  }
}

async function articleResponse(
  client: NntpClient,
  target: ParsedNewsUrl,
  method: string,
): Promise<Response> {
  let which: string | number;
  if (target.kind === "article") {
    which = target.messageId;
  } else {
    await client.group(target.group);
    which = target.range!.start;
  }
  const headers = new Headers({ "content-type": "message/rfc822" });
  if (method === "HEAD") {
    const head = await client.head(which);
    setArticleHeaders(headers, head.messageId, head.headers.get("Date"));
    client.close();
    return new Response(null, { headers });
  }
  const article = await client.article(which);
  setArticleHeaders(headers, article.messageId, article.headers.get("Date"));
  const head = article.headers.fields.map((f) => `${f.name}: ${f.value}\r\n`)
    .join("");
  const body = prefixedBody(encoder.encode(head + "\r\n"), article.body);
  return new Response(closingBody(body, () => client.close()), { headers });
}

function setArticleHeaders(
  headers: Headers,
  messageId: string,
  date: string | undefined,
): void {
  if (messageId) {
    headers.set("x-message-id", messageId.replace(/[^\x20-\x7e]/g, "?"));
  }
  const parsed = date === undefined ? undefined : parseDate(date);
  if (parsed) headers.set("last-modified", parsed.toUTCString());
}

/**
 * Creates the NNTP plugin. Each fetch opens its own connection and closes it
 * when the body has been read or cancelled.
 *
 * @returns The plugin.
 *
 * @example Usage
 * ```ts ignore
 * import { ProtocolRegistry } from "./registry.ts";
 * import { nntpPlugin } from "./nntp.ts";
 *
 * const registry = new ProtocolRegistry().register(nntpPlugin());
 * const res = await registry.fetch("nntp://127.0.0.1:1119/local.test/3");
 * console.log(await res.text());
 * for await (const entry of registry.list("nntp://127.0.0.1:1119/local.test")) {
 *   console.log(entry.name, entry.url);
 * }
 * ```
 */
export function nntpPlugin(): ProtocolPlugin {
  return {
    name: "nntp",
    schemes: ["nntp", "news", "nntps", "snews"],
    defaultPorts: { nntp: 119, news: 119, nntps: 563, snews: 563 },
    async fetch(url: URL, init: PluginFetchInit = {}): Promise<Response> {
      const method = (init.method ?? "GET").toUpperCase();
      if (method !== "GET" && method !== "HEAD") {
        return new Response(
          `Method ${method} is not supported for news URLs\n`,
          { status: 405, headers: { allow: "GET, HEAD" } },
        );
      }
      const target = parseTarget(url);
      let client: NntpClient;
      try {
        client = await connect(url, target, init);
      } catch (err) {
        if (err instanceof ReplyError) {
          return errorResponse(statusFor(err), err);
        }
        throw err;
      }
      try {
        const single = target.kind === "article" ||
          (target.range !== undefined &&
            target.range.end === target.range.start);
        if (single) return await articleResponse(client, target, method);
        const text = { "content-type": "text/plain; charset=utf-8" };
        // A group is selected before the status is known, so a missing one is a 404.
        const selected = target.kind === "group" && target.group !== "*"
          ? await client.group(target.group)
          : undefined;
        if (method === "HEAD") {
          client.close();
          return new Response(null, { headers: text });
        }
        const lines = selected && target.kind === "group"
          ? overviewLines(client, target, selected)
          : activeLines(client);
        return new Response(linesBody(client, lines), { headers: text });
      } catch (err) {
        client.close();
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
      const target = parseTarget(url);
      if (target.kind !== "group") {
        throw new TypeError(`Cannot list an article URL: "${url.href}"`);
      }
      const client = await connect(url, target, init);
      try {
        if (target.group === "*") yield* groupEntries(client, url);
        else yield* articleEntries(client, url, target);
      } finally {
        client.close();
      }
    },
  };
}
