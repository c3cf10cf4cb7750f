/**
 * The `--serve` side of `news_viewer.ts`: a small HTTP server on loopback
 * that serves the generated page at `/` and each article at
 * `/article?id=<message-id>` (headers decoded, body in a `<pre>`, all
 * HTML-escaped, behind a Content-Security-Policy that forbids scripts), so the
 * links work without a news reader.
 *
 * @module
 */

import {
  checkMessageId,
  type NntpClient,
  NntpReplyError,
} from "../protocols/nntp.ts";
import { decodeHeader } from "../protocols/mime_header.ts";
import { escapeHtml } from "../protocols/html_escape.ts";
import { decodeArticleBody } from "./_news_viewer_body.ts";

/** Options for {@linkcode createArticleHandler}. */
export interface ArticleHandlerOptions {
  /** Opens a news connection (called again when the previous one was lost). */
  connect: () => Promise<NntpClient>;
  /** The HTML served at `/`. */
  page: () => string;
}

/** A handler plus the clean-up of its news connection. */
export interface ArticleHandler {
  /** Answers one HTTP request. */
  handle: (request: Request) => Promise<Response>;
  /** Closes the news connection, if one is open. */
  close: () => void;
}

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

const STYLE =
  "body{font-family:system-ui,sans-serif;margin:2em;max-width:60em}" +
  "pre{white-space:pre-wrap;background:#f6f6f6;padding:1em}" +
  "dt{font-weight:bold;float:left;clear:left;width:8em}dd{margin-left:9em}";

/**
 * Builds the URL path under which an article is served.
 *
 * @param messageId The message-id, angle brackets included.
 * @returns A path such as `/article?id=%3Ca%40b%3E`.
 *
 * @example Usage
 * ```ts
 * import { articlePath } from "./_news_viewer_serve.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(articlePath("<a@b>"), "/article?id=%3Ca%40b%3E");
 * ```
 */
export function articlePath(messageId: string): string {
  return `/article?id=${encodeURIComponent(messageId)}`;
}

function html(status: number, body: string): Response {
  return new Response(body, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      ...SECURITY_HEADERS,
    },
  });
}

function errorPage(status: number, message: string): Response {
  return html(
    status,
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${status}</title></head>` +
      `<body><p>${
        escapeHtml(message)
      }</p><p><a href="/">Back</a></p></body></html>`,
  );
}

function decoded(value: string | undefined): string {
  return escapeHtml(value === undefined ? "" : decodeHeader(value));
}

/**
 * Creates the request handler. Article fetches are serialized over one news
 * connection, reconnecting once when it was lost.
 *
 * @param options How to connect and what to serve at `/`.
 * @returns The handler and its clean-up.
 *
 * @example Usage
 * ```ts ignore
 * const { handle, close } = createArticleHandler({ connect, page: () => html });
 * const response = await handle(new Request("http://127.0.0.1/article?id=%3Ca%40b%3E"));
 * close();
 * ```
 */
export function createArticleHandler(
  options: ArticleHandlerOptions,
): ArticleHandler {
  let client: NntpClient | undefined;
  let tail: Promise<unknown> = Promise.resolve();

  function serial<T>(task: () => Promise<T>): Promise<T> {
    const result = tail.then(task, task);
    tail = result.catch(() => {});
    return result;
  }

  async function fetchArticle(id: string): Promise<Response> {
    for (let attempt = 0;; attempt++) {
      try {
        if (!client?.isOpen) client = await options.connect();
        const article = await client.article(id, { newline: "\n" });
        const bytes = new Uint8Array(
          await new Response(article.body).arrayBuffer(),
        );
        const h = article.headers;
        const subject = decoded(h.get("Subject"));
        const text = decodeArticleBody(bytes, h);
        return html(
          200,
          `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">` +
            `<title>${subject}</title><style>${STYLE}</style></head><body>` +
            `<p><a href="/">Back to the list</a></p><h1>${subject}</h1><dl>` +
            `<dt>From</dt><dd>${decoded(h.get("From"))}</dd>` +
            `<dt>Date</dt><dd>${decoded(h.get("Date"))}</dd>` +
            `<dt>Newsgroups</dt><dd>${decoded(h.get("Newsgroups"))}</dd>` +
            `<dt>Message-ID</dt><dd>${escapeHtml(article.messageId)}</dd>` +
            `</dl><pre>${escapeHtml(text)}</pre></body></html>`,
        );
      } catch (err) {
        if (err instanceof NntpReplyError) {
          return err.kind === "no-such-article"
            ? errorPage(404, `No such article: ${id}`)
            : errorPage(502, `News server refused: ${err.message}`);
        }
        if (attempt === 0 && !client?.isOpen) continue;
        return errorPage(
          502,
          `News server failed: ${err instanceof Error ? err.message : err}`,
        );
      }
    }
  }

  async function handle(request: Request): Promise<Response> {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return errorPage(405, "Method not allowed");
    }
    const url = new URL(request.url);
    if (url.pathname === "/") return html(200, options.page());
    if (url.pathname !== "/article") return errorPage(404, "Not found");
    const id = url.searchParams.get("id") ?? "";
    try {
      checkMessageId(id);
    } catch {
      return errorPage(400, `Invalid message-id: ${id}`);
    }
    return await serial(() => fetchArticle(id));
  }

  return {
    handle,
    close() {
      client?.close();
      client = undefined;
    },
  };
}

/** A running article server. */
export interface ArticleServer {
  /** Base URL, such as `http://127.0.0.1:8080/`. */
  url: string;
  /** The port. */
  port: number;
  /** Stops the HTTP server and closes the news connection. */
  close(): Promise<void>;
}

/**
 * Starts the article server on 127.0.0.1.
 *
 * @param options How to connect and what to serve at `/`.
 * @param port Port to listen on; `0` picks a free one.
 * @returns The running server.
 *
 * @example Usage
 * ```ts ignore
 * const server = startArticleServer({ connect, page: () => html });
 * console.log(server.url);
 * await server.close();
 * ```
 */
export function startArticleServer(
  options: ArticleHandlerOptions,
  port = 0,
): ArticleServer {
  const handler = createArticleHandler(options);
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port,
    onListen: () => {},
  }, handler.handle);
  const actual = server.addr.port;
  return {
    url: `http://127.0.0.1:${actual}/`,
    port: actual,
    async close() {
      await server.shutdown();
      handler.close();
    },
  };
}
