/**
 * The built-in `nntp:` / `news:` plugin (RFC 5538 URLs):
 *
 * - `news:<message-id>`, `news:id@host` or `news://server/id@host`
 *   fetch one article (`message/rfc822`: headers, blank line, body);
 * - `nntp://server[:port]/group/123` fetches article 123 of a group;
 * - `nntp://server/group` or `news:group` lists the group's articles (`list`
 *   yields them from OVER; `fetch` returns one text line per article).
 *
 * The server comes from the URL, else `$NNTPSERVER` when the environment may
 * be read without a prompt, else `localhost`. NNTP replies map to statuses:
 * 411, 423 and 430 → 404, 480/481 → 401, 502 → 403, other 4xx → 503.
 *
 * @module
 */

import { NntpClient, type NntpClientOptions } from "../protocols/nntp.ts";
import { decodeHeader } from "../protocols/mime_header.ts";
import { ReplyError } from "../protocols/errors.ts";
import { parseNewsUrl } from "../protocols/news_url.ts";
import type {
  DirectoryEntry,
  PluginFetchInit,
  ProtocolPlugin,
} from "./registry.ts";
import { closingBody, errorResponse } from "./_response.ts";

const encoder = new TextEncoder();

function statusFor(err: unknown): number {
  if (err instanceof ReplyError) {
    if ([411, 423, 430, 420].includes(err.code)) return 404;
    if ([480, 481, 482].includes(err.code)) return 401;
    if (err.code === 502) return 403;
    return err.transient ? 503 : 502;
  }
  if (err instanceof TypeError) return 400;
  return 502;
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

/** What a news URL names, with its server. */
type Target =
  | {
    kind: "article";
    messageId: string;
    server?: string;
    port?: number;
    tls?: boolean;
  }
  | {
    kind: "number";
    group: string;
    number: number;
    server?: string;
    port?: number;
    tls?: boolean;
  }
  | {
    kind: "group";
    group: string;
    server?: string;
    port?: number;
    tls?: boolean;
  };

function parseTarget(url: URL): Target {
  const parsed = parseNewsUrl(url.href);
  const where = {
    ...(parsed.server !== undefined ? { server: parsed.server } : {}),
    ...(parsed.port !== undefined ? { port: parsed.port } : {}),
    ...(parsed.tls ? { tls: true } : {}),
  };
  if (parsed.kind === "article") {
    return { kind: "article", messageId: parsed.messageId, ...where };
  }
  if (parsed.group === "*") {
    throw new TypeError(`News URL names no single group: "${url.href}"`);
  }
  if (parsed.range) {
    return {
      kind: "number",
      group: parsed.group,
      number: parsed.range.start,
      ...where,
    };
  }
  return { kind: "group", group: parsed.group, ...where };
}

async function connect(
  url: URL,
  target: Target,
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

async function* groupEntries(
  client: NntpClient,
  url: URL,
  group: string,
): AsyncGenerator<DirectoryEntry> {
  const info = await client.group(group);
  if (info.count === 0 || info.high < info.low) return;
  const base = url.host ? `${url.protocol}//${url.host}/` : "news:";
  for await (const o of client.over({ start: info.low, end: info.high })) {
    yield {
      name: `${o.number} ${decodeHeader(o.subject)}`,
      type: "file",
      size: o.bytes,
      modified: new Date(o.date),
      url: url.host
        ? `${base}${encodeURIComponent(group)}/${o.number}`
        : `${base}${encodeURIComponent(o.messageId.replace(/^<|>$/g, ""))}`,
    };
  }
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
          {
            status: 405,
            headers: { allow: "GET, HEAD" },
          },
        );
      }
      let target: Target;
      try {
        target = parseTarget(url);
      } catch (err) {
        return errorResponse(400, err);
      }
      let client: NntpClient;
      try {
        client = await connect(url, target, init);
      } catch (err) {
        return errorResponse(statusFor(err), err);
      }
      try {
        if (target.kind === "group") {
          const lines: string[] = [];
          for await (const e of groupEntries(client, url, target.group)) {
            lines.push(e.name);
          }
          client.close();
          return new Response(
            method === "HEAD" ? null : lines.join("\n") + "\n",
            {
              headers: { "content-type": "text/plain; charset=utf-8" },
            },
          );
        }
        if (target.kind === "number") await client.group(target.group);
        const article = await client.article(
          target.kind === "article" ? target.messageId : target.number,
        );
        const headers = new Headers({ "content-type": "message/rfc822" });
        const id = article.headers.get("Message-ID");
        if (id) headers.set("x-message-id", id.replace(/[^\x20-\x7e]/g, "?"));
        if (method === "HEAD") {
          client.close();
          return new Response(null, { headers });
        }
        const head = article.headers.fields.map((f) =>
          `${f.name}: ${f.value}\r\n`
        )
          .join("");
        const prefix = encoder.encode(head + "\r\n");
        const body = article.body;
        const joined = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(prefix);
          },
          async pull(controller) {
            const reader = body.getReader();
            try {
              while (true) {
                const { value, done } = await reader.read();
                if (done) break;
                controller.enqueue(value);
              }
              controller.close();
            } catch (err) {
              controller.error(err);
            } finally {
              reader.releaseLock();
            }
          },
        });
        return new Response(closingBody(joined, () => client.close()), {
          headers,
        });
      } catch (err) {
        client.close();
        return errorResponse(statusFor(err), err);
      }
    },
    async *list(
      url: URL,
      init: PluginFetchInit = {},
    ): AsyncGenerator<DirectoryEntry> {
      const target = parseTarget(url);
      if (target.kind !== "group") {
        throw new TypeError(`Not a group URL: "${url.href}"`);
      }
      const client = await connect(url, target, init);
      try {
        yield* groupEntries(client, url, target.group);
      } finally {
        client.close();
      }
    },
  };
}
