/**
 * `NntpClient`: a news reader client for RFC 3977 (NNTP) with the extensions
 * real servers use: STARTTLS (RFC 4642), AUTHINFO USER/PASS (RFC 4643, also
 * on demand when the server answers 480 mid-session), OVER with XOVER
 * fallback parsed with the server's `LIST OVERVIEW.FMT`, HDR with XHDR
 * fallback, and POST with dot-stuffing.
 *
 * Multi-line replies are streamed: {@linkcode NntpClient.over} yields one
 * entry at a time and fetches large ranges in chunks, so a range of a million
 * articles is processed in constant memory. {@linkcode NntpClient.overWhere}
 * searches a range by one header (HDR in pipelined chunks, OVER of the hits
 * on the same pipeline). A connection dropped in the middle of a multi-line
 * reply is a `ConnectionClosedError`, never a short success.
 *
 * The client runs one command at a time (calls queue up). A stream returned by
 * a method (an async iterator or an article body) is valid until the next
 * command; iterators hold the connection until they finish or are left with
 * `break`.
 *
 * @example Usage
 * ```ts ignore
 * import { NntpClient } from "./nntp.ts";
 *
 * await using client = await NntpClient.connect({ hostname: "127.0.0.1" });
 * const group = await client.group("local.test");
 * for await (const entry of client.over({ start: group.low, end: group.high })) {
 *   console.log(entry.number, entry.subject);
 * }
 * ```
 *
 * @module
 */

import { dialServer } from "./_nntp_dial.ts";
import { Lock } from "./_lock.ts";
import {
  checkCommandArgument,
  type DebugSink,
  TextProtoConn,
} from "./text_proto.ts";
import type { DotBlock } from "./dot_block.ts";
import { codeMatches, type ExpectedCode, type Reply } from "./reply.ts";
import { NntpReplyError } from "./_nntp_errors.ts";
import { ArticleHeaders } from "./_nntp_headers.ts";
import {
  checkMessageId,
  checkToken,
  formatArticleNumber,
  formatNntpDate,
  formatTarget,
  type NntpRange,
} from "./_nntp_args.ts";
import {
  type NntpActiveGroup,
  type NntpArticlePointer,
  type NntpCapabilities,
  type NntpGroup,
  type NntpGroupDescription,
  type NntpHeaderValue,
  parseActiveLine,
  parseArticleReply,
  parseCapabilities,
  parseDateReply,
  parseGroupReply,
  parseHeaderLine,
  parseNewsgroupsLine,
} from "./_nntp_parse.ts";
import {
  DEFAULT_OVERVIEW_FORMAT,
  type OverviewEntry,
  type OverviewFormat,
  parseOverviewFormat,
  parseOverviewLine,
} from "./nntp_overview.ts";
import { buildArticle, type NntpPostArticle } from "./_nntp_post.ts";
import {
  rangeChunks,
  type SearchHost,
  searchOverview,
} from "./_nntp_search.ts";

export { type NntpErrorKind, NntpReplyError } from "./_nntp_errors.ts";
export { ArticleHeaders, type NntpHeaderField } from "./_nntp_headers.ts";
export { checkMessageId, type NntpRange } from "./_nntp_args.ts";
export type {
  NntpActiveGroup,
  NntpArticlePointer,
  NntpCapabilities,
  NntpGroup,
  NntpGroupDescription,
  NntpHeaderValue,
} from "./_nntp_parse.ts";
export type { NntpPostArticle } from "./_nntp_post.ts";
export type {
  OverviewEntry,
  OverviewField,
  OverviewFormat,
} from "./nntp_overview.ts";
// Types of the shared core that this entry point's signatures mention.
export { ReplyError, type ReplyLike } from "./errors.ts";
export type { Reply } from "./reply.ts";
export type { DebugDirection, DebugSink } from "./text_proto.ts";

/** Options for {@linkcode NntpClient.connect}. */
export interface NntpClientOptions {
  /**
   * Server host name or address.
   *
   * @default {"localhost"}
   */
  hostname?: string;
  /**
   * Server port.
   *
   * @default {119, or 563 with `tls`}
   */
  port?: number;
  /**
   * TLS from the first byte (NNTPS, usually port 563).
   *
   * @default {false}
   */
  tls?: boolean;
  /**
   * Upgrade with STARTTLS (RFC 4642) right after the greeting; a server that
   * refuses makes `connect` fail (there is no silent plaintext fallback).
   *
   * @default {false}
   */
  startTls?: boolean;
  /** Extra CA certificates (PEM) trusted for TLS. */
  caCerts?: string[];
  /** Name checked against the server certificate when it differs from `hostname`. */
  serverName?: string;
  /**
   * User name for AUTHINFO USER/PASS. With it, the client logs in while
   * connecting and again when the server answers 480 to a command.
   */
  user?: string;
  /** Password for AUTHINFO PASS. */
  password?: string;
  /**
   * With `user`, skip the login while connecting and log in only when the
   * server answers 480 to a command.
   *
   * @default {false}
   */
  lazyLogin?: boolean;
  /**
   * Send MODE READER: `"auto"` does so when CAPABILITIES lists MODE-READER
   * (or is not understood at all, or not asked for).
   *
   * @default {"auto"}
   */
  modeReader?: boolean | "auto";
  /**
   * Ask for CAPABILITIES while connecting (and again after STARTTLS and
   * AUTHINFO). `false` skips it for a short session that needs none of it:
   * {@linkcode NntpClient.capabilities} stays empty, MODE READER is sent as
   * to a server that does not know CAPABILITIES, and HDR and OVER fall back
   * to XHDR and XOVER by trying. It saves a round trip, and with servers
   * that send the list in two writes without TCP_NODELAY (INN) a delayed
   * ACK of about 40 ms.
   *
   * @default {true}
   */
  readCapabilities?: boolean;
  /**
   * Milliseconds to wait for the server on any single read or write; `0`
   * disables it.
   *
   * @default {30000}
   */
  timeout?: number;
  /**
   * Milliseconds allowed for connecting and the TLS handshake.
   *
   * @default {30000}
   */
  connectTimeout?: number;
  /** Aborting closes the connection. */
  signal?: AbortSignal;
  /**
   * Longest line accepted from the server, in bytes.
   *
   * @default {65536}
   */
  maxLineBytes?: number;
  /** Receives every command and status line (passwords masked). */
  debug?: DebugSink;
}

/** Options for {@linkcode NntpClient.over} and {@linkcode NntpClient.hdr}. */
export interface NntpScanOptions {
  /**
   * Largest number of articles asked for in one command; a bigger range is
   * fetched in several commands.
   *
   * @default {10000}
   */
  chunkSize?: number;
}

/** Options for {@linkcode NntpClient.overEach}. */
export interface NntpPipelineOptions {
  /**
   * How many commands may wait for their replies at once.
   *
   * @default {500}
   */
  window?: number;
}

/** Options for {@linkcode NntpClient.body} and {@linkcode NntpClient.article}. */
export interface NntpBodyOptions {
  /**
   * Line ending written after each body line.
   *
   * @default {"\r\n"}
   */
  newline?: "\r\n" | "\n";
}

/** An article's head (HEAD). */
export interface NntpArticleHead extends NntpArticlePointer {
  /** The header fields, in order, unfolded. */
  headers: ArticleHeaders;
}

/** An article's body (BODY). */
export interface NntpArticleBody extends NntpArticlePointer {
  /** The body, dot-stuffing undone; valid until the next command. */
  body: ReadableStream<Uint8Array>;
}

/** A whole article (ARTICLE). */
export interface NntpArticle extends NntpArticleHead {
  /** The body, dot-stuffing undone; valid until the next command. */
  body: ReadableStream<Uint8Array>;
}

/** The result of {@linkcode NntpClient.post}. */
export interface NntpPostResult {
  /** The message-id the server reported in its 240 reply, when it did. */
  messageId?: string;
  /** The 240 reply. */
  reply: Reply;
}

/** What an article command may target: the current article, a number or a message-id. */
export type NntpArticleTarget = number | string | undefined;

/**
 * Where {@linkcode NntpClient.over} and {@linkcode NntpClient.hdr} look: the
 * current article, a number, a message-id, a range (fetched in chunks), or
 * an iterable of numbers and ranges, one command each, taken from the
 * iterable only as the scan goes (so several clients can share one iterator
 * of chunks and split a scan between connections).
 */
export type NntpScanTarget =
  | number
  | NntpRange
  | string
  | Iterable<number | NntpRange>
  | undefined;

const DEFAULT_CHUNK = 10_000;
const DEFAULT_WINDOW = 500;
const encoder = new TextEncoder();
const MULTI_LINE_CODES = new Set([221, 224, 225]);

/**
 * An NNTP reader connection. Create one with {@linkcode NntpClient.connect}.
 *
 * @example Usage
 * ```ts ignore
 * import { NntpClient } from "./nntp.ts";
 *
 * const client = await NntpClient.connect({
 *   hostname: "news.example.com",
 *   tls: true,
 *   user: "me",
 *   password: "secret",
 * });
 * const head = await client.head("<abc@example.com>");
 * console.log(head.headers.get("Subject"));
 * await client.quit();
 * ```
 */
export class NntpClient {
  #conn: TextProtoConn;
  #options: NntpClientOptions;
  #lock = new Lock();
  #greeting: Reply;
  #postingAllowed: boolean;
  #capabilities: NntpCapabilities = new Map();
  #capabilitiesKnown = false;
  #tls: boolean;
  #authenticated = false;
  #authenticating = false;
  #group: NntpGroup | undefined;
  #overVerb: "OVER" | "XOVER" | undefined;
  #hdrVerb: "HDR" | "XHDR" | undefined;
  #format: OverviewFormat | undefined;

  private constructor(
    conn: TextProtoConn,
    options: NntpClientOptions,
    greeting: Reply,
  ) {
    this.#conn = conn;
    this.#options = options;
    this.#greeting = greeting;
    this.#postingAllowed = greeting.code === 200;
    this.#tls = options.tls ?? false;
  }

  /**
   * Connects, reads the greeting, reads CAPABILITIES, sends MODE READER when
   * needed, upgrades with STARTTLS when asked, and logs in when a user is
   * given.
   *
   * @param options Where to connect and how.
   * @returns A ready client.
   * @throws {ConnectError} When the server cannot be reached.
   * @throws {NntpReplyError} When the server refuses service (400, 502),
   * STARTTLS, or the login (481, 482, 502).
   *
   * @example Usage
   * ```ts ignore
   * import { NntpClient } from "./nntp.ts";
   *
   * const client = await NntpClient.connect({ hostname: "127.0.0.1", port: 1119 });
   * console.log(client.capabilities.has("OVER"));
   * client.close();
   * ```
   */
  static async connect(options: NntpClientOptions = {}): Promise<NntpClient> {
    const hostname = options.hostname ?? "localhost";
    const port = options.port ?? (options.tls ? 563 : 119);
    const raw = await dialServer({
      hostname,
      port,
      ...(options.tls ? { tls: true } : {}),
      ...(options.caCerts ? { caCerts: options.caCerts } : {}),
      ...(options.serverName ? { serverName: options.serverName } : {}),
      ...(options.connectTimeout !== undefined
        ? { timeout: options.connectTimeout }
        : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const conn = new TextProtoConn(raw, {
      ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.maxLineBytes !== undefined
        ? { maxLineBytes: options.maxLineBytes }
        : {}),
      ...(options.debug ? { debug: options.debug } : {}),
    });
    try {
      const greeting = await conn.readCodeLine();
      if (greeting.code !== 200 && greeting.code !== 201) {
        throw new NntpReplyError(greeting, "Server refused service");
      }
      const client = new NntpClient(conn, { ...options, hostname }, greeting);
      await client.#start();
      return client;
    } catch (err) {
      conn.close();
      throw err;
    }
  }

  /**
   * The greeting (200: posting allowed, 201: no posting).
   *
   * @returns The server's first reply.
   */
  get greeting(): Reply {
    return this.#greeting;
  }

  /**
   * Whether the server said posting is allowed (greeting or MODE READER).
   *
   * @returns `true` after a 200 reply.
   */
  get postingAllowed(): boolean {
    return this.#postingAllowed;
  }

  /**
   * The capabilities last read (CAPABILITIES is read again after MODE
   * READER, STARTTLS and AUTHINFO). Empty when the server does not support
   * the command.
   *
   * @returns Upper-case labels mapped to their arguments.
   */
  get capabilities(): NntpCapabilities {
    return this.#capabilities;
  }

  /**
   * Whether the connection is encrypted.
   *
   * @returns `true` over TLS or after STARTTLS.
   */
  get isTls(): boolean {
    return this.#tls;
  }

  /**
   * Whether AUTHINFO succeeded.
   *
   * @returns `true` once logged in.
   */
  get authenticated(): boolean {
    return this.#authenticated;
  }

  /**
   * The group selected by the last GROUP or LISTGROUP.
   *
   * @returns The group, or `undefined` before one is selected.
   */
  get currentGroup(): NntpGroup | undefined {
    return this.#group;
  }

  /**
   * Whether the connection can still be used.
   *
   * @returns `false` after `close`, `quit` or a fatal error.
   */
  get isOpen(): boolean {
    return this.#conn.isOpen;
  }

  /**
   * Reads CAPABILITIES again.
   *
   * @returns The capabilities (empty when the server does not know the command).
   *
   * @example Usage
   * ```ts ignore
   * const caps = await client.fetchCapabilities();
   * console.log(caps.get("LIST"));
   * ```
   */
  fetchCapabilities(): Promise<NntpCapabilities> {
    return this.#lock.run(() => this.#readCapabilities());
  }

  /**
   * Sends MODE READER.
   *
   * @returns Whether posting is allowed (200) or not (201).
   * @throws {NntpReplyError} When the server refuses (502).
   *
   * @example Usage
   * ```ts ignore
   * const canPost = await client.modeReader();
   * ```
   */
  modeReader(): Promise<boolean> {
    return this.#lock.run(() => this.#modeReader(true));
  }

  /**
   * Upgrades the connection with STARTTLS (RFC 4642), then reads
   * CAPABILITIES again.
   *
   * @throws {NntpReplyError} When the server refuses (502, 580).
   *
   * @example Usage
   * ```ts ignore
   * await client.startTls();
   * ```
   */
  startTls(): Promise<void> {
    return this.#lock.run(() => this.#startTls());
  }

  /**
   * Logs in with AUTHINFO USER/PASS (RFC 4643), then reads CAPABILITIES
   * again.
   *
   * @param user The user name; defaults to the one given to `connect`.
   * @param password The password; defaults to the one given to `connect`.
   * @throws {NntpReplyError} When the login is refused (481), out of
   * sequence (482) or not allowed (502, 483).
   *
   * @example Usage
   * ```ts ignore
   * await client.authenticate("me", "secret");
   * ```
   */
  authenticate(user?: string, password?: string): Promise<void> {
    const name = user ?? this.#options.user;
    const pass = password ?? this.#options.password;
    if (name === undefined) {
      return Promise.reject(
        new TypeError("Cannot authenticate without a user"),
      );
    }
    return this.#lock.run(() => this.#authinfo(name, pass));
  }

  /**
   * Asks the server for its time (DATE).
   *
   * @returns The server's clock, UTC.
   *
   * @example Usage
   * ```ts ignore
   * console.log((await client.date()).toISOString());
   * ```
   */
  date(): Promise<Date> {
    return this.#lock.run(async () => {
      const reply = this.#expect(await this.#send("DATE"), 111, "DATE");
      return parseDateReply(reply.text);
    });
  }

  /**
   * Selects a group (GROUP).
   *
   * @param name The group's name.
   * @returns Its article count and numbers.
   * @throws {NntpReplyError} `kind: "no-such-group"` (411) when it does not exist.
   *
   * @example Usage
   * ```ts ignore
   * const { count, low, high } = await client.group("local.test");
   * ```
   */
  group(name: string): Promise<NntpGroup> {
    checkToken(name, "newsgroup name");
    return this.#lock.run(async () => {
      const reply = this.#expect(
        await this.#send("GROUP", name),
        211,
        `Cannot select group "${name}"`,
      );
      this.#group = parseGroupReply(reply.text, name);
      return this.#group;
    });
  }

  /**
   * Lists the article numbers of a group (LISTGROUP) and selects it;
   * {@linkcode NntpClient.currentGroup} is updated when iteration starts.
   *
   * @param name The group; omitted for the current one.
   * @param range Only numbers in this range.
   * @returns The article numbers, streamed.
   * @throws {NntpReplyError} 411 or 412.
   *
   * @example Usage
   * ```ts ignore
   * for await (const n of client.listGroup("local.test")) console.log(n);
   * ```
   */
  listGroup(
    name?: string,
    range?: NntpRange,
  ): AsyncGenerator<number, void, undefined> {
    const args: string[] = [];
    if (name !== undefined) args.push(checkToken(name, "newsgroup name"));
    if (range !== undefined) {
      if (name === undefined) {
        throw new TypeError("Cannot list a range without a group name");
      }
      args.push(formatTarget(range));
    }
    return this.#locked(async function* (this: NntpClient) {
      const reply = this.#expect(
        await this.#send("LISTGROUP", ...args),
        211,
        "Cannot list group",
      );
      this.#group = parseGroupReply(reply.text, name ?? "");
      const dot = await this.#conn.openDotBlock();
      for (let line; (line = await dot.text()) !== null;) {
        const n = Number(line.trim());
        if (Number.isSafeInteger(n) && n >= 0 && line.trim() !== "") yield n;
      }
    });
  }

  /**
   * Moves to the previous article in the group (LAST).
   *
   * @returns The new current article.
   * @throws {NntpReplyError} 412, 420 or 422 (`"no-previous-article"`).
   *
   * @example Usage
   * ```ts ignore
   * const { number, messageId } = await client.last();
   * ```
   */
  last(): Promise<NntpArticlePointer> {
    return this.#lock.run(async () =>
      parseArticleReply(
        this.#expect(await this.#send("LAST"), 223, "LAST").text,
      )
    );
  }

  /**
   * Moves to the next article in the group (NEXT).
   *
   * @returns The new current article.
   * @throws {NntpReplyError} 412, 420 or 421 (`"no-next-article"`).
   *
   * @example Usage
   * ```ts ignore
   * const { number } = await client.next();
   * ```
   */
  next(): Promise<NntpArticlePointer> {
    return this.#lock.run(async () =>
      parseArticleReply(
        this.#expect(await this.#send("NEXT"), 223, "NEXT").text,
      )
    );
  }

  /**
   * Checks that an article exists (STAT) and, by number, makes it current.
   *
   * @param target A number, a message-id, or nothing for the current article.
   * @returns Its number and message-id.
   * @throws {NntpReplyError} `"no-such-article"` (423, 430), 412, 420.
   *
   * @example Usage
   * ```ts ignore
   * const { number } = await client.stat("<abc@example.com>");
   * ```
   */
  stat(target?: NntpArticleTarget): Promise<NntpArticlePointer> {
    const args = articleArgs(target);
    return this.#lock.run(async () =>
      parseArticleReply(
        this.#expect(
          await this.#send("STAT", ...args),
          223,
          describe("Cannot stat", target),
        ).text,
      )
    );
  }

  /**
   * Fetches an article's head (HEAD), parsed into ordered, unfolded fields.
   *
   * @param target A number, a message-id, or nothing for the current article.
   * @returns The article's number, message-id and headers.
   * @throws {NntpReplyError} `"no-such-article"` (423, 430), 412, 420.
   *
   * @example Usage
   * ```ts ignore
   * const head = await client.head(3);
   * console.log(head.headers.get("Subject"));
   * ```
   */
  head(target?: NntpArticleTarget): Promise<NntpArticleHead> {
    const args = articleArgs(target);
    return this.#lock.run(async () => {
      const reply = this.#expect(
        await this.#send("HEAD", ...args),
        221,
        describe("Cannot fetch head of", target),
      );
      const dot = await this.#conn.openDotBlock();
      const lines: string[] = [];
      for (let line; (line = await dot.text()) !== null;) lines.push(line);
      return {
        ...parseArticleReply(reply.text),
        headers: ArticleHeaders.parse(lines),
      };
    });
  }

  /**
   * Fetches an article's body (BODY) as a stream, valid until the next
   * command.
   *
   * @param target A number, a message-id, or nothing for the current article.
   * @param options The line ending of the stream.
   * @returns The article's number, message-id and body.
   * @throws {NntpReplyError} `"no-such-article"` (423, 430), 412, 420.
   *
   * @example Usage
   * ```ts ignore
   * const { body } = await client.body(3, { newline: "\n" });
   * console.log(await new Response(body).text());
   * ```
   */
  body(
    target?: NntpArticleTarget,
    options: NntpBodyOptions = {},
  ): Promise<NntpArticleBody> {
    const args = articleArgs(target);
    return this.#lock.run(async () => {
      const reply = this.#expect(
        await this.#send("BODY", ...args),
        222,
        describe("Cannot fetch body of", target),
      );
      const dot = await this.#conn.openDotBlock();
      return {
        ...parseArticleReply(reply.text),
        body: dot.stream(options.newline),
      };
    });
  }

  /**
   * Fetches a whole article (ARTICLE): the head parsed, the body as a stream
   * valid until the next command.
   *
   * @param target A number, a message-id, or nothing for the current article.
   * @param options The line ending of the body stream.
   * @returns The article's number, message-id, headers and body.
   * @throws {NntpReplyError} `"no-such-article"` (423, 430), 412, 420.
   *
   * @example Usage
   * ```ts ignore
   * const article = await client.article("<abc@example.com>");
   * console.log(article.headers.get("From"), await new Response(article.body).text());
   * ```
   */
  article(
    target?: NntpArticleTarget,
    options: NntpBodyOptions = {},
  ): Promise<NntpArticle> {
    const args = articleArgs(target);
    return this.#lock.run(async () => {
      const reply = this.#expect(
        await this.#send("ARTICLE", ...args),
        220,
        describe("Cannot fetch article", target),
      );
      const dot = await this.#conn.openDotBlock();
      const lines: string[] = [];
      for (let line; (line = await dot.text()) !== null && line !== "";) {
        lines.push(line);
      }
      return {
        ...parseArticleReply(reply.text),
        headers: ArticleHeaders.parse(lines),
        body: dot.stream(options.newline),
      };
    });
  }

  /**
   * Lists groups with their numbers and posting status (LIST ACTIVE).
   *
   * @param wildmat Only groups matching this wildmat (such as `"local.*"`).
   * @returns The groups, streamed; malformed lines are skipped.
   *
   * @example Usage
   * ```ts ignore
   * for await (const g of client.listActive("local.*")) console.log(g.name, g.high);
   * ```
   */
  listActive(
    wildmat?: string,
  ): AsyncGenerator<NntpActiveGroup, void, undefined> {
    return this.#list("ACTIVE", wildmat, parseActiveLine);
  }

  /**
   * Lists group descriptions (LIST NEWSGROUPS).
   *
   * @param wildmat Only groups matching this wildmat.
   * @returns The descriptions, streamed.
   *
   * @example Usage
   * ```ts ignore
   * for await (const g of client.listNewsgroups()) console.log(g.name, g.description);
   * ```
   */
  listNewsgroups(
    wildmat?: string,
  ): AsyncGenerator<NntpGroupDescription, void, undefined> {
    return this.#list("NEWSGROUPS", wildmat, parseNewsgroupsLine);
  }

  /**
   * The server's overview format (LIST OVERVIEW.FMT), read once and cached;
   * the RFC 3977 default when the server does not support the command.
   *
   * @returns The format.
   *
   * @example Usage
   * ```ts ignore
   * const format = await client.overviewFormat();
   * ```
   */
  overviewFormat(): Promise<OverviewFormat> {
    return this.#lock.run(() => this.#loadFormat());
  }

  /**
   * Lists groups created since a time (NEWGROUPS).
   *
   * @param since The time.
   * @returns The new groups, streamed.
   *
   * @example Usage
   * ```ts ignore
   * for await (const g of client.newGroups(new Date("2024-01-01"))) console.log(g.name);
   * ```
   */
  newGroups(since: Date): AsyncGenerator<NntpActiveGroup, void, undefined> {
    const args = formatNntpDate(since);
    return this.#locked(async function* (this: NntpClient) {
      this.#expect(await this.#send("NEWGROUPS", ...args), 231, "NEWGROUPS");
      const dot = await this.#conn.openDotBlock();
      for (let line; (line = await dot.text()) !== null;) {
        const group = parseActiveLine(line);
        if (group) yield group;
      }
    });
  }

  /**
   * Lists message-ids of articles posted since a time to groups matching a
   * wildmat (NEWNEWS).
   *
   * @param wildmat Groups, such as `"local.*"`.
   * @param since The time.
   * @returns The message-ids, streamed.
   *
   * @example Usage
   * ```ts ignore
   * for await (const id of client.newNews("local.*", new Date("2024-01-01"))) console.log(id);
   * ```
   */
  newNews(
    wildmat: string,
    since: Date,
  ): AsyncGenerator<string, void, undefined> {
    const args = [checkToken(wildmat, "wildmat"), ...formatNntpDate(since)];
    return this.#locked(async function* (this: NntpClient) {
      this.#expect(await this.#send("NEWNEWS", ...args), 230, "NEWNEWS");
      const dot = await this.#conn.openDotBlock();
      for (let line; (line = await dot.text()) !== null;) {
        const id = line.trim();
        if (id !== "") yield id;
      }
    });
  }

  /**
   * Reads one header field of a range of articles (HDR, falling back to
   * XHDR, which is remembered). Large ranges are fetched in chunks.
   *
   * @param field The field name, such as `"Subject"`, or a metadata item such as `":bytes"`.
   * @param target A range, a number, a message-id, or nothing for the current article.
   * @param options Chunk size.
   * @returns Article numbers and raw values, streamed.
   * @throws {NntpReplyError} 412, 420, 430 (a range without articles yields nothing).
   *
   * @example Usage
   * ```ts ignore
   * for await (const { number, value } of client.hdr("Subject", { start: 1, end: 100 })) {
   *   console.log(number, value);
   * }
   * ```
   */
  hdr(
    field: string,
    target?: NntpScanTarget,
    options: NntpScanOptions = {},
  ): AsyncGenerator<NntpHeaderValue, void, undefined> {
    checkToken(field, "header field name");
    const parts = scanParts(target, chunkSize(options));
    return this.#locked(async function* (this: NntpClient) {
      yield* this.#chunked(
        parts,
        (arg) => this.#hdrCommand(field, arg),
        (arg) => [this.#hdrVerb!, field, ...(arg === undefined ? [] : [arg])],
        (reply, arg) => this.#hdrResult(field, reply, arg),
        parseHeaderLine,
      );
    });
  }

  /**
   * Reads overview entries (OVER, falling back to XOVER, which is
   * remembered), parsed with the server's OVERVIEW.FMT. Large ranges are
   * fetched in chunks and entries are yielded one at a time, so memory stays
   * flat whatever the range. Lines that do not parse are skipped.
   *
   * @param target A range, a number, a message-id, or nothing for the current article.
   * @param options Chunk size.
   * @returns The entries, streamed, in server order.
   * @throws {NntpReplyError} 412, 420, 430 (a range without articles yields nothing).
   *
   * @example Usage
   * ```ts ignore
   * await client.group("local.big");
   * for await (const entry of client.over({ start: 1, end: 100000 })) {
   *   if (/deno/i.test(entry.subject)) console.log(entry.number);
   * }
   * ```
   */
  over(
    target?: NntpScanTarget,
    options: NntpScanOptions = {},
  ): AsyncGenerator<OverviewEntry, void, undefined> {
    const parts = scanParts(target, chunkSize(options));
    return this.#locked(async function* (this: NntpClient) {
      const overArgs = (arg: string | undefined) =>
        arg === undefined ? [] : [arg];
      yield* this.#chunked(
        parts,
        (arg) => this.#overCommand(arg),
        (arg) => [this.#overVerbFor(arg)!, ...overArgs(arg)],
        (reply, arg) => this.#overResult(reply, arg),
        (line) => parseOverviewLine(line, this.#format!),
        async (arg) => {
          const verb = this.#overVerbFor(arg);
          const ahead = await this.#formatAhead(
            verb ? [[verb, ...overArgs(arg)]] : [],
          );
          return ahead === "in-flight";
        },
      );
    });
  }

  /**
   * Finds articles by one header field: reads `field` of the range with HDR
   * (XHDR when HDR is unknown) in chunks, tests each raw value, and reads the
   * overview entries of the hits with OVER (or XOVER), all pipelined: the
   * next chunk and the hits so far are asked for as soon as a chunk's status
   * line arrives. Only the hits are kept, so memory stays flat whatever the
   * range.
   *
   * @param field The field name, such as `"Subject"`.
   * @param test Tells whether a raw value (RFC 2047 words undecoded) is a hit.
   * @param range The articles to search (`end` omitted: to the group's last).
   * @param options Chunk size, progress callback, QUIT at the end.
   * @returns The hits' overview entries, in article order.
   * @throws {NntpReplyError} `"unknown-command"` when neither HDR nor XHDR
   * works; 412 and other unexpected replies.
   *
   * @example Usage
   * ```ts ignore
   * const group = await client.group("local.big");
   * const hits = client.overWhere(
   *   "Subject",
   *   (value) => value.toLowerCase().includes("deno"),
   *   { start: group.low, end: group.high },
   * );
   * for await (const entry of hits) console.log(entry.number, entry.subject);
   * ```
   */
  overWhere(
    field: string,
    test: (value: string) => boolean,
    range: NntpRange,
    options: {
      /**
       * Articles per HDR command.
       *
       * @default {10000}
       */
      chunkSize?: number;
      /** Called after each batch of values with how many were tested so far. */
      onProgress?: (tested: number) => void;
      /**
       * Send QUIT behind the last command and close the connection when the
       * search ends: for a search that is the connection's last use. A
       * server that does not set TCP_NODELAY (INN) holds the tail of its
       * last small reply until the client's delayed ACK, about 40 ms; a
       * closing server sends it at once.
       *
       * @default {false}
       */
      quit?: boolean;
    } = {},
  ): AsyncGenerator<OverviewEntry, void, undefined> {
    checkToken(field, "header field name");
    const size = chunkSize(options);
    formatTarget(range);
    const search = {
      chunkSize: size,
      onProgress: options.onProgress,
      quit: options.quit,
    };
    return this.#locked(async function* (this: NntpClient) {
      const end = range.end ?? this.#group?.high ?? range.start;
      const chunks = end < range.start
        ? [][Symbol.iterator]()
        : rangeChunks({ start: range.start, end }, size);
      yield* searchOverview(this.#searchHost(), field, test, chunks, search);
    });
  }

  /**
   * Reads the overview entries of the given articles or small ranges,
   * pipelining one OVER per item (`window` commands in flight), for sparse
   * sets such as the hits of an HDR search. Missing articles are skipped.
   *
   * @param targets Article numbers or ranges in the current group.
   * @param options How many commands are in flight.
   * @returns The entries, in the order of `targets`.
   *
   * @example Usage
   * ```ts ignore
   * for await (const entry of client.overEach([100, 200, { start: 300, end: 310 }])) {
   *   console.log(entry.subject);
   * }
   * ```
   */
  overEach(
    targets: Iterable<number | NntpRange>,
    options: NntpPipelineOptions = {},
  ): AsyncGenerator<OverviewEntry, void, undefined> {
    const window = options.window ?? DEFAULT_WINDOW;
    if (!Number.isInteger(window) || window < 1) {
      throw new RangeError(`Invalid pipeline window: ${window}`);
    }
    return this.#locked(async function* (this: NntpClient) {
      yield* this.#overWindow(targets[Symbol.iterator](), window);
    });
  }

  /**
   * Posts an article (POST): waits for 340, sends the article with
   * dot-stuffing and CRLF line endings, and waits for 240.
   *
   * @param article The whole article (headers, blank line, body) as text,
   * bytes or a stream, or `{ headers, body }`.
   * @returns The 240 reply and the message-id it names, if any.
   * @throws {NntpReplyError} `"posting-not-permitted"` (440) or `"posting-failed"` (441).
   * @throws {TypeError} When a header name or value would break the article.
   *
   * @example Usage
   * ```ts ignore
   * await client.post({
   *   headers: { From: "me <me@example.com>", Newsgroups: "local.test", Subject: "Hi" },
   *   body: "Hello\n",
   * });
   * ```
   */
  post(article: NntpPostArticle): Promise<NntpPostResult> {
    const content = buildArticle(article);
    return this.#lock.run(async () => {
      this.#expect(await this.#send("POST"), 340, "Cannot post");
      await this.#conn.writeDotBody(content);
      const reply = await this.#conn.readCodeLine();
      this.#expect(reply, 240, "Article was not accepted");
      const id = /<[^<>\s]+>/.exec(reply.text)?.[0];
      return id ? { messageId: id, reply } : { reply };
    });
  }

  /**
   * Says goodbye (QUIT) and closes the connection. Errors are ignored: the
   * connection is closed either way.
   *
   * @example Usage
   * ```ts ignore
   * await client.quit();
   * ```
   */
  quit(): Promise<void> {
    return this.#lock.run(async () => {
      try {
        if (this.#conn.isOpen) {
          await this.#conn.writeCommand("QUIT");
          await this.#conn.readCodeLine();
        }
      } catch {
        // Closing anyway.
      } finally {
        this.#conn.close();
      }
    });
  }

  /** Closes the connection at once (no QUIT). Safe to call more than once. */
  close(): void {
    this.#conn.close();
  }

  /** Closes the connection (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Sends QUIT and closes (for `await using`).
   *
   * @returns When closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.quit();
  }

  // ---- connection set-up ----

  async #start(): Promise<void> {
    const options = this.#options;
    const caps = options.readCapabilities === false
      ? this.#capabilities
      : await this.#readCapabilities();
    const mode = options.modeReader ?? "auto";
    const needsMode = mode === true ||
      (mode === "auto" &&
        (!this.#capabilitiesKnown ||
          (caps.has("MODE-READER") && !caps.has("READER"))));
    if (needsMode) await this.#modeReader(mode === true);
    if (options.startTls) await this.#startTls();
    if (
      options.user !== undefined && !options.lazyLogin && !this.#authenticated
    ) {
      await this.#authinfo(options.user, options.password);
    }
  }

  async #readCapabilities(): Promise<NntpCapabilities> {
    const reply = await this.#send("CAPABILITIES");
    if (reply.code !== 101) {
      this.#capabilities = new Map();
      this.#capabilitiesKnown = false;
      return this.#capabilities;
    }
    const dot = await this.#conn.openDotBlock();
    const lines: string[] = [];
    for (let line; (line = await dot.text()) !== null;) lines.push(line);
    this.#capabilities = parseCapabilities(lines);
    this.#capabilitiesKnown = true;
    return this.#capabilities;
  }

  async #modeReader(required: boolean): Promise<boolean> {
    const reply = await this.#send("MODE", "READER");
    if (reply.code === 200 || reply.code === 201) {
      this.#postingAllowed = reply.code === 200;
      if (this.#capabilitiesKnown) await this.#readCapabilities();
      return this.#postingAllowed;
    }
    if (!required && (reply.code === 500 || reply.code === 501)) {
      return this.#postingAllowed;
    }
    throw new NntpReplyError(reply, "MODE READER refused");
  }

  async #startTls(): Promise<void> {
    if (this.#tls) throw new TypeError("Connection is already encrypted");
    this.#expect(await this.#send("STARTTLS"), 382, "STARTTLS refused");
    const options = this.#options;
    await this.#conn.startTls({
      hostname: options.serverName ?? options.hostname ?? "localhost",
      ...(options.caCerts ? { caCerts: options.caCerts } : {}),
    });
    this.#tls = true;
    // RFC 4642 §2.2.2: capabilities learnt before TLS must be discarded.
    this.#capabilities = new Map();
    this.#capabilitiesKnown = false;
    if (options.readCapabilities !== false) await this.#readCapabilities();
  }

  async #authinfo(user: string, password: string | undefined): Promise<void> {
    this.#authenticating = true;
    try {
      await this.#conn.writeCommand("AUTHINFO", "USER", user);
      let reply = await this.#conn.readCodeLine();
      if (reply.code === 381) {
        if (password === undefined) {
          throw new NntpReplyError(reply, "Server wants a password");
        }
        await this.#conn.writeSecretCommand("AUTHINFO PASS", password);
        reply = await this.#conn.readCodeLine();
      }
      this.#expect(reply, 281, `Login as "${user}" failed`);
      this.#authenticated = true;
      // RFC 4643 §2.2: capabilities may change after authentication.
      if (this.#capabilitiesKnown) await this.#readCapabilities();
    } finally {
      this.#authenticating = false;
    }
  }

  // ---- command helpers ----

  /**
   * Sends a command and reads its status line; a 480 (authentication
   * required) is answered by logging in with the configured credentials and
   * sending the command once more.
   */
  async #send(verb: string, ...args: string[]): Promise<Reply> {
    await this.#conn.writeCommand(verb, ...args);
    const reply = await this.#conn.readCodeLine();
    if (reply.code !== 480 || !this.#canLogInOnDemand()) return reply;
    await this.#authinfo(this.#options.user!, this.#options.password);
    await this.#conn.writeCommand(verb, ...args);
    return await this.#conn.readCodeLine();
  }

  #canLogInOnDemand(): boolean {
    return this.#options.user !== undefined && !this.#authenticating &&
      !this.#authenticated;
  }

  #expect(reply: Reply, expect: ExpectedCode, context: string): Reply {
    if (!codeMatches(reply.code, expect)) {
      throw new NntpReplyError(reply, context);
    }
    return reply;
  }

  /** Runs a generator while holding the lock, releasing it when iteration ends. */
  async *#locked<T>(
    body: (this: NntpClient) => AsyncGenerator<T, void, undefined>,
  ): AsyncGenerator<T, void, undefined> {
    const release = await this.#acquire();
    try {
      yield* body.call(this);
    } finally {
      release();
    }
  }

  #acquire(): Promise<() => void> {
    return new Promise((acquired) => {
      this.#lock.run(() =>
        new Promise<void>((release) => acquired(() => release()))
      );
    });
  }

  #list<T>(
    keyword: string,
    wildmat: string | undefined,
    parse: (line: string) => T | null,
  ): AsyncGenerator<T, void, undefined> {
    const args = ["LIST", keyword];
    if (wildmat !== undefined) args.push(checkToken(wildmat, "wildmat"));
    return this.#locked(async function* (this: NntpClient) {
      const [verb, ...rest] = args as [string, ...string[]];
      this.#expect(await this.#send(verb, ...rest), 215, `LIST ${keyword}`);
      const dot = await this.#conn.openDotBlock();
      for (let line; (line = await dot.text()) !== null;) {
        const item = parse(line);
        if (item !== null) yield item;
      }
    });
  }

  async #loadFormat(): Promise<OverviewFormat> {
    if (this.#format) return this.#format;
    const reply = await this.#send("LIST", "OVERVIEW.FMT");
    if (reply.code === 480) {
      throw new NntpReplyError(reply, "Cannot read the overview format");
    }
    if (reply.code !== 215) {
      this.#format = DEFAULT_OVERVIEW_FORMAT;
      return this.#format;
    }
    const dot = await this.#conn.openDotBlock();
    const lines: string[] = [];
    for (let line; (line = await dot.text()) !== null;) lines.push(line);
    this.#format = parseOverviewFormat(lines);
    return this.#format;
  }

  /**
   * Makes sure the overview format is known. When it is not, LIST
   * OVERVIEW.FMT is sent in one write with the `next` commands, so that its
   * short reply is pushed out by the bulk replies behind it instead of
   * waiting for a delayed ACK. Returns `"in-flight"` when the `next`
   * commands were sent and their replies are still to be read.
   */
  async #formatAhead(next: string[][]): Promise<"in-flight" | "not-sent"> {
    if (this.#format) return "not-sent";
    if (next.length === 0) {
      await this.#loadFormat();
      return "not-sent";
    }
    await this.#writeCommands([["LIST", "OVERVIEW.FMT"], ...next]);
    const reply = await this.#conn.readCodeLine();
    if (reply.code === 215) {
      const dot = await this.#conn.openDotBlock();
      const lines: string[] = [];
      for (let line; (line = await dot.text()) !== null;) lines.push(line);
      this.#format = parseOverviewFormat(lines);
      return "in-flight";
    }
    if (reply.code !== 480) {
      this.#format = DEFAULT_OVERVIEW_FORMAT;
      return "in-flight";
    }
    await this.#discardReplies(next.length);
    if (!this.#canLogInOnDemand()) {
      throw new NntpReplyError(reply, "Cannot read the overview format");
    }
    await this.#authinfo(this.#options.user!, this.#options.password);
    await this.#loadFormat();
    return "not-sent";
  }

  /**
   * The overview verb to use without asking: the one remembered, else the
   * one CAPABILITIES implies; `undefined` when only trying can tell.
   */
  #overVerbFor(arg: string | undefined): "OVER" | "XOVER" | undefined {
    if (this.#overVerb) return this.#overVerb;
    if (!this.#capabilitiesKnown) return undefined;
    const byId = arg !== undefined && arg.startsWith("<");
    return this.#capabilities.has("OVER") || byId ? "OVER" : "XOVER";
  }

  /** Sends OVER (or XOVER, remembered once OVER is unknown); `null` for an empty range. */
  async #overCommand(arg: string | undefined): Promise<Reply | null> {
    const byId = arg !== undefined && arg.startsWith("<");
    let verb = this.#overVerbFor(arg) ?? "OVER";
    const args = arg === undefined ? [] : [arg];
    let reply = await this.#send(verb, ...args);
    if (reply.code === 500 && verb === "OVER" && !byId) {
      verb = "XOVER";
      reply = await this.#send(verb, ...args);
    }
    if (reply.code === 224 && !byId) this.#overVerb = verb;
    return this.#overResult(reply, arg);
  }

  #overResult(reply: Reply, arg: string | undefined): Reply | null {
    if (reply.code === 224) return reply;
    if (reply.code === 423 && arg !== undefined && !arg.startsWith("<")) {
      return null;
    }
    throw new NntpReplyError(reply, describe("Cannot read overview of", arg));
  }

  /** Sends HDR (or XHDR, remembered once HDR is unknown); `null` for an empty range. */
  async #hdrCommand(
    field: string,
    arg: string | undefined,
  ): Promise<Reply | null> {
    let verb = this.#hdrVerb ??
      (this.#capabilitiesKnown && !this.#capabilities.has("HDR")
        ? "XHDR"
        : "HDR");
    const args = arg === undefined ? [field] : [field, arg];
    let reply = await this.#send(verb, ...args);
    if (reply.code === 500 && verb === "HDR") {
      verb = "XHDR";
      reply = await this.#send(verb, ...args);
    }
    if (reply.code === 225 || reply.code === 221) this.#hdrVerb = verb;
    return this.#hdrResult(field, reply, arg);
  }

  #hdrResult(
    field: string,
    reply: Reply,
    arg: string | undefined,
  ): Reply | null {
    if (reply.code === 225 || reply.code === 221) return reply;
    if (reply.code === 423 && arg !== undefined && !arg.startsWith("<")) {
      return null;
    }
    throw new NntpReplyError(
      reply,
      describe(`Cannot read header "${field}" of`, arg),
    );
  }

  /**
   * Runs one command per part (a chunk of a range) and yields the parsed
   * lines of every reply. The command for the next part is sent as soon as
   * the current reply's status line has arrived, so the server prepares the
   * next chunk while this one is parsed. A pipelined command answered with
   * 480 is sent again after logging in, one answered with 500 again through
   * `first` (which falls back to the X-command).
   */
  async *#chunked<T>(
    parts: Iterable<string | undefined>,
    first: (arg: string | undefined) => Promise<Reply | null>,
    command: (arg: string | undefined) => string[],
    interpret: (reply: Reply, arg: string | undefined) => Reply | null,
    parse: (line: string) => T | null,
    sendFirst?: (arg: string | undefined) => Promise<boolean>,
  ): AsyncGenerator<T, void, undefined> {
    const it = parts[Symbol.iterator]();
    let step = it.next();
    if (step.done) return;
    let inFlight = sendFirst ? await sendFirst(step.value) : false;
    let block: DotBlock | undefined;
    try {
      while (true) {
        const arg = step.value;
        let reply: Reply | null;
        if (inFlight) {
          inFlight = false;
          const next = await this.#conn.readCodeLine();
          if (next.code === 480 && this.#canLogInOnDemand()) {
            reply = await this.#logInThen(() => first(arg));
          } else if (next.code === 500) {
            reply = await first(arg);
          } else {
            reply = interpret(next, arg);
          }
        } else {
          reply = await first(arg);
        }
        const following = it.next();
        if (reply !== null) {
          block = await this.#conn.openDotBlock();
          if (!following.done) {
            await this.#writeCommands([command(following.value)]);
            inFlight = true;
          }
          for (let lines; (lines = await block.lines()) !== null;) {
            for (const line of lines) {
              const item = parse(line);
              if (item !== null) yield item;
            }
          }
        }
        if (following.done) return;
        step = following;
      }
    } finally {
      if (inFlight) this.#discardLater(block, 1);
    }
  }

  /**
   * Pipelines one OVER per target with up to `window` commands in flight
   * (LIST OVERVIEW.FMT goes in the first write when the format is unknown).
   * On a 480 the replies in flight are read and discarded, the client logs
   * in, and those targets are asked for again; on a 500 to OVER the same
   * happens with XOVER.
   */
  async *#overWindow(
    targets: Iterator<number | NntpRange>,
    window: number,
  ): AsyncGenerator<OverviewEntry, void, undefined> {
    const queue: string[] = [];
    const retry: string[] = [];
    let block: DotBlock | undefined;
    const nextArg = (): string | undefined => {
      if (retry.length) return retry.shift();
      const step = targets.next();
      return step.done ? undefined : formatTarget(step.value);
    };
    try {
      // Without CAPABILITIES, learn OVER or XOVER with one plain exchange.
      while (this.#overVerbFor(undefined) === undefined) {
        await this.#loadFormat();
        const arg = nextArg();
        if (arg === undefined) return;
        if ((await this.#overCommand(arg)) === null) continue;
        block = await this.#conn.openDotBlock();
        yield* this.#overviewEntries(block);
      }
      let verb = this.#overVerbFor(undefined)!;
      const take = (): string[][] => {
        const commands: string[][] = [];
        while (queue.length < window) {
          const arg = nextArg();
          if (arg === undefined) break;
          queue.push(arg);
          commands.push([verb, arg]);
        }
        return commands;
      };
      const fill = async () => {
        const commands = take();
        if (commands.length) await this.#writeCommands(commands);
      };
      if ((await this.#formatAhead(take())) === "not-sent") {
        retry.unshift(...queue.splice(0));
        await fill();
      }
      let fellBack = false;
      while (queue.length) {
        const arg = queue.shift()!;
        const reply = await this.#conn.readCodeLine();
        if (reply.code === 224) {
          this.#overVerb = verb;
          block = await this.#conn.openDotBlock();
          await fill();
          yield* this.#overviewEntries(block);
          continue;
        }
        if (reply.code === 423 || reply.code === 420) {
          await fill();
          continue;
        }
        const rest = queue.splice(0);
        await this.#discardReplies(rest.length);
        retry.unshift(arg, ...rest);
        if (reply.code === 480 && this.#canLogInOnDemand()) {
          await this.#logInThen(() => Promise.resolve());
        } else if (reply.code === 500 && verb === "OVER" && !fellBack) {
          verb = "XOVER";
          fellBack = true;
          this.#overVerb = verb;
        } else {
          throw new NntpReplyError(
            reply,
            `Cannot read overview of article ${arg}`,
          );
        }
        await fill();
      }
    } finally {
      if (queue.length) this.#discardLater(block, queue.length);
    }
  }

  async *#overviewEntries(
    block: DotBlock,
  ): AsyncGenerator<OverviewEntry, void, undefined> {
    const format = this.#format ?? DEFAULT_OVERVIEW_FORMAT;
    for (let lines; (lines = await block.lines()) !== null;) {
      for (const line of lines) {
        const entry = parseOverviewLine(line, format);
        if (entry) yield entry;
      }
    }
  }

  /** The connection and private steps, for the search engine. */
  #searchHost(): SearchHost {
    // deno-lint-ignore no-this-alias
    const client = this;
    return {
      conn: this.#conn,
      get hdrVerb() {
        return client.#hdrVerb;
      },
      set hdrVerb(verb) {
        client.#hdrVerb = verb;
      },
      get overVerb() {
        return client.#overVerb;
      },
      set overVerb(verb) {
        client.#overVerb = verb;
      },
      firstHdrVerb: this.#capabilitiesKnown && !this.#capabilities.has("HDR")
        ? "XHDR"
        : "HDR",
      firstOverVerb: this.#overVerbFor(undefined) ?? "OVER",
      get format() {
        return client.#format;
      },
      formatAhead: (next) => this.#formatAhead(next),
      writeCommands: (commands) => this.#writeCommands(commands),
      discardReplies: (count) => this.#discardReplies(count),
      canLogIn: () => this.#canLogInOnDemand(),
      logIn: () => this.#authinfo(this.#options.user!, this.#options.password),
      discardLater: (block, count) => this.#discardLater(block, count),
    };
  }

  async #logInThen<T>(then: () => Promise<T>): Promise<T> {
    await this.#authinfo(this.#options.user!, this.#options.password);
    return await then();
  }

  /** Writes commands without waiting for replies (pipelining, RFC 3977 §3.5). */
  async #writeCommands(commands: string[][]): Promise<void> {
    let text = "";
    for (const parts of commands) {
      for (const part of parts) checkCommandArgument(part);
      const line = parts.join(" ");
      this.#options.debug?.("send", line);
      text += line + "\r\n";
    }
    await this.#conn.writeAll(encoder.encode(text));
  }

  /** Reads and discards `count` replies to pipelined commands. */
  async #discardReplies(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const reply = await this.#conn.readCodeLine();
      if (MULTI_LINE_CODES.has(reply.code)) {
        await (await this.#conn.openDotBlock()).drain();
      }
    }
  }

  /**
   * Leaves the connection so that the next command first finishes the block
   * being read and discards the replies still in flight.
   */
  #discardLater(block: DotBlock | undefined, count: number): void {
    if (!this.#conn.isOpen) return;
    this.#conn.setOpenBody({
      done: false,
      drain: async () => {
        if (block && !block.done) await block.drain();
        await this.#discardReplies(count);
      },
    });
  }
}

function articleArgs(target: NntpArticleTarget): string[] {
  return target === undefined ? [] : [formatTarget(target)];
}

function describe(action: string, target: NntpArticleTarget | string): string {
  if (target === undefined) return `${action} the current article`;
  return typeof target === "number"
    ? `${action} article ${target}`
    : `${action} ${target.startsWith("<") ? target : `articles ${target}`}`;
}

function chunkSize(options: NntpScanOptions): number {
  const size = options.chunkSize ?? DEFAULT_CHUNK;
  if (!Number.isSafeInteger(size) || size < 1) {
    throw new RangeError(`Invalid chunk size: ${size}`);
  }
  return size;
}

/** Splits a scan target into command arguments, chunking closed ranges. */
function scanParts(
  target: NntpScanTarget,
  size: number,
): (string | undefined)[] | Iterable<string> {
  if (target === undefined) return [undefined];
  if (typeof target === "string") return [checkMessageId(target)];
  if (typeof target === "number") return [formatArticleNumber(target)];
  if (Symbol.iterator in target) return formatEach(target);
  const { start, end } = target;
  formatTarget(target);
  if (end === undefined || end - start < size) return [formatTarget(target)];
  return chunks(start, end, size);
}

/** Formats items one at a time, as the scan asks for them (the iterable may be shared). */
function* formatEach(
  items: Iterable<number | NntpRange>,
): Generator<string> {
  for (const item of items) yield formatTarget(item);
}

function* chunks(start: number, end: number, size: number): Generator<string> {
  for (let lo = start; lo <= end; lo += size) {
    yield `${lo}-${Math.min(end, lo + size - 1)}`;
  }
}
