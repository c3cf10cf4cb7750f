/**
 * An in-process NNTP server for tests and demos: it serves newsgroups from
 * memory (or generated on the fly, so a group of a million articles costs no
 * memory), speaks the reader commands of RFC 3977 with AUTHINFO, STARTTLS,
 * OVER/XOVER and HDR/XHDR, accepts POST, and injects faults on request: a
 * multi-line response cut mid-stream, 480 until AUTHINFO (from the start or
 * mid-session), no OVER (XOVER only), no HDR, garbage overview lines, slow
 * replies, a refusing greeting.
 *
 * {@linkcode sampleGroups} gives content that exercises a news reader:
 * HTML-hostile subjects and posters, RFC 2047 encoded words in several
 * charsets, raw 8-bit headers, threads with missing parents, and dot-stuffed
 * bodies.
 *
 * @example Usage
 * ```ts ignore
 * import { startNntpFixtureServer } from "./_nntp_fixture_server.ts";
 *
 * const server = startNntpFixtureServer();
 * console.log(`news server on 127.0.0.1:${server.port}`);
 * await server.close();
 * ```
 *
 * @module
 */

import { concatBytes } from "../protocols/_bytes.ts";
import { BufferedReader } from "../protocols/buffered_reader.ts";
import { sampleGroups } from "./_nntp_fixture_content.ts";

export {
  type FixtureArticle,
  type FixtureGroup,
  generatedGroup,
  sampleGroups,
} from "./_nntp_fixture_content.ts";
import type { FixtureArticle, FixtureGroup } from "./_nntp_fixture_content.ts";

/** Faults the fixture server can inject. */
export interface NntpFixtureFaults {
  /** Answer 480 to reading and posting commands until AUTHINFO succeeds. */
  requireAuth?: boolean;
  /** Start answering 480 (until AUTHINFO) after this many commands: a mid-session login demand. */
  authAfterCommands?: number;
  /** OVER is unknown (500); XOVER works. */
  noOver?: boolean;
  /** HDR is unknown (500); XHDR works. */
  noHdr?: boolean;
  /** CAPABILITIES is unknown (500), like a pre-RFC 3977 server. */
  noCapabilities?: boolean;
  /** LIST OVERVIEW.FMT is unsupported (503). */
  noOverviewFormat?: boolean;
  /** Mix malformed lines into OVER and XOVER replies. */
  garbageOverview?: boolean;
  /** Close the connection after this many lines of a multi-line reply (no final dot). */
  cutAfterLines?: number;
  /** Only cut replies to this command verb (upper case), such as `"OVER"`. */
  cutCommand?: string;
  /** Milliseconds to wait before each reply. */
  delayMs?: number;
  /** Greeting code: 200 (default), 201, 400 or 502. */
  greeting?: number;
  /** Advertise MODE-READER and answer reading commands with 502 until MODE READER. */
  modeReaderRequired?: boolean;
}

/** Options for {@linkcode startNntpFixtureServer}. */
export interface NntpFixtureOptions {
  /**
   * The newsgroups served.
   *
   * @default {sampleGroups()}
   */
  groups?: FixtureGroup[];
  /**
   * The account AUTHINFO accepts.
   *
   * @default {{ name: "reader", password: "secret word" }}
   */
  user?: { name: string; password: string };
  /**
   * The overview format announced by LIST OVERVIEW.FMT.
   *
   * @default {["Subject:", "From:", "Date:", "Message-ID:", "References:", "Bytes:", "Lines:", "Xref:full"]}
   */
  overviewFormat?: string[];
  /** Certificate and key: enables STARTTLS, or TLS from the first byte with `implicitTls`. */
  tls?: { cert: string; key: string };
  /**
   * With `tls`, speak TLS from the first byte (NNTPS) instead of offering STARTTLS.
   *
   * @default {false}
   */
  implicitTls?: boolean;
  /**
   * Port to listen on (127.0.0.1); `0` picks a free one.
   *
   * @default {0}
   */
  port?: number;
  /** Faults to inject. */
  faults?: NntpFixtureFaults;
  /**
   * Host name used in Xref fields and the greeting.
   *
   * @default {"fixture.invalid"}
   */
  pathHost?: string;
}

/** A running fixture server. */
export interface NntpFixtureServer {
  /** Always `"127.0.0.1"`. */
  hostname: string;
  /** The port it listens on. */
  port: number;
  /** Every command line received, in order (AUTHINFO PASS arguments masked). */
  received: string[];
  /** Articles accepted by POST, as received (dot-stuffing undone). */
  posted: string[];
  /** Number of connections accepted so far. */
  readonly connections: number;
  /** Stops listening, closes every connection and waits for the sessions to end. */
  close(): Promise<void>;
}

const DEFAULT_FORMAT = [
  "Subject:",
  "From:",
  "Date:",
  "Message-ID:",
  "References:",
  "Bytes:",
  "Lines:",
  "Xref:full",
];
const encoder = new TextEncoder();
const READ_COMMANDS = new Set([
  "GROUP",
  "LISTGROUP",
  "LAST",
  "NEXT",
  "STAT",
  "ARTICLE",
  "HEAD",
  "BODY",
  "OVER",
  "XOVER",
  "HDR",
  "XHDR",
  "LIST",
  "NEWGROUPS",
  "NEWNEWS",
  "POST",
  "DATE",
]);

/** An article with its number, as the server sees it. */
interface Located {
  group: Served;
  number: number;
  article: FixtureArticle;
}

/** A group with a number→article accessor. */
interface Served {
  name: string;
  description: string;
  low: number;
  high: number;
  count: number;
  posting: boolean;
  created: Date;
  get(n: number): FixtureArticle | undefined;
  added: FixtureArticle[];
}

/** Per-connection state. */
interface Session {
  group: Served | undefined;
  current: number | undefined;
  authed: boolean;
  reader: boolean;
  commands: number;
  tls: boolean;
}

function serve(group: FixtureGroup): Served {
  const low = group.low ?? 1;
  const list = group.articles;
  const make = group.article;
  const count = list ? list.length : group.count ?? 0;
  const added: FixtureArticle[] = [];
  const served: Served = {
    name: group.name,
    description: group.description ?? "",
    low,
    high: low + count - 1,
    count,
    posting: group.posting ?? true,
    created: group.created ?? new Date(Date.UTC(2024, 0, 1)),
    added,
    get(n) {
      const i = n - low;
      if (!Number.isSafeInteger(i) || i < 0) return undefined;
      if (i < count) return list ? list[i] : make?.(n);
      return added[i - count];
    },
  };
  return served;
}

/** Finds the value of a header (first occurrence), unfolded. */
function header(article: FixtureArticle, name: string): string {
  const wanted = name.toLowerCase();
  for (const [k, v] of article.headers) {
    if (k.toLowerCase() === wanted) return v.replace(/\r?\n/g, "");
  }
  return "";
}

function articleText(article: FixtureArticle): string {
  const head = article.headers.map(([k, v]) => `${k}: ${v}`).join("\r\n");
  return `${head}\r\n\r\n${article.body.replace(/\r?\n/g, "\r\n")}`;
}

function bodyLines(article: FixtureArticle): string[] {
  const lines = article.body.replace(/\r\n/g, "\n").split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function encode(text: string, article?: FixtureArticle): Uint8Array {
  if (article?.encoding !== "latin1") return encoder.encode(text);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

function byteLength(article: FixtureArticle): number {
  const text = articleText(article);
  // deno-lint-ignore no-control-regex
  if (!/[^\x00-\x7f]/.test(text)) return text.length + 2;
  return encode(text, article).length + 2;
}

function overviewField(value: string): string {
  return value.replace(/[\t\r\n]/g, " ");
}

/**
 * Starts a fixture NNTP server on 127.0.0.1.
 *
 * @param options Content, account, TLS and faults.
 * @returns The running server; call `close()` when done.
 *
 * @example Usage
 * ```ts ignore
 * import { startNntpFixtureServer } from "./_nntp_fixture_server.ts";
 *
 * const server = startNntpFixtureServer({ faults: { noOver: true } });
 * // ... connect to 127.0.0.1:server.port ...
 * await server.close();
 * ```
 */
export function startNntpFixtureServer(
  options: NntpFixtureOptions = {},
): NntpFixtureServer {
  const groups = new Map<string, Served>();
  for (const g of options.groups ?? sampleGroups()) {
    groups.set(g.name, serve(g));
  }
  const faults = options.faults ?? {};
  const user = options.user ?? { name: "reader", password: "secret word" };
  const format = options.overviewFormat ?? DEFAULT_FORMAT;
  const pathHost = options.pathHost ?? "fixture.invalid";
  const received: string[] = [];
  const posted: string[] = [];
  const conns = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  const timers = new Map<ReturnType<typeof setTimeout>, () => void>();
  const pendingTls = new Map<number, Session>();
  let connections = 0;
  let closing = false;

  const implicit = !!(options.tls && options.implicitTls);
  const listener: Deno.Listener = implicit
    ? Deno.listenTls({
      hostname: "127.0.0.1",
      port: options.port ?? 0,
      cert: options.tls!.cert,
      key: options.tls!.key,
    })
    : Deno.listen({ hostname: "127.0.0.1", port: options.port ?? 0 });
  const tlsListener: Deno.Listener | undefined = options.tls && !implicit
    ? Deno.listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: options.tls.cert,
      key: options.tls.key,
    })
    : undefined;

  function track(task: Promise<void>): void {
    tasks.add(task);
    task.finally(() => tasks.delete(task));
  }

  function closeConn(conn: Deno.Conn): void {
    conns.delete(conn);
    try {
      conn.close();
    } catch { /* closed */ }
  }

  function delay(): Promise<void> {
    const ms = faults.delayMs ?? 0;
    if (ms <= 0 || closing) return Promise.resolve();
    return new Promise((resolve) => {
      const id = setTimeout(() => {
        timers.delete(id);
        resolve();
      }, ms);
      timers.set(id, resolve);
    });
  }

  function findById(id: string): Located | undefined {
    for (const group of groups.values()) {
      // Generated groups follow `<prefix.N@host>`; try the number first.
      const m = /\.(\d+)@/.exec(id);
      if (m) {
        const n = Number(m[1]);
        const a = group.get(n);
        if (a && header(a, "Message-ID") === id) {
          return { group, number: n, article: a };
        }
      }
      if (group.count <= 5000) {
        for (let n = group.low; n <= group.high + group.added.length; n++) {
          const a = group.get(n);
          if (a && header(a, "Message-ID") === id) {
            return { group, number: n, article: a };
          }
        }
      }
    }
    return undefined;
  }

  function overviewLine(group: Served, n: number, a: FixtureArticle): string {
    const fields = [String(n)];
    for (const item of format) {
      const name = item.replace(/:(full)?$/i, "");
      const lower = name.toLowerCase();
      if (lower === "bytes") fields.push(String(byteLength(a)));
      else if (lower === "lines") fields.push(String(bodyLines(a).length));
      else if (lower === "xref") {
        fields.push(`Xref: ${pathHost} ${group.name}:${n}`);
      } else {
        const value = overviewField(header(a, name));
        fields.push(/:full$/i.test(item) ? `${name}: ${value}` : value);
      }
    }
    return fields.join("\t");
  }

  async function session(conn: Deno.Conn, state: Session): Promise<void> {
    const reader = new BufferedReader(conn, { maxLineBytes: 1 << 20 });
    let cutArmed = true;

    async function write(text: string | Uint8Array): Promise<boolean> {
      const bytes = typeof text === "string" ? encoder.encode(text) : text;
      try {
        let off = 0;
        while (off < bytes.length) off += await conn.write(bytes.subarray(off));
        return true;
      } catch {
        return false;
      }
    }

    async function status(line: string): Promise<boolean> {
      await delay();
      return await write(`${line}\r\n`);
    }

    /** Writes a multi-line block; `false` when the fault cut it. */
    async function block(
      verb: string,
      lines: Iterable<string | Uint8Array>,
    ): Promise<boolean> {
      const cut = cutArmed && faults.cutAfterLines !== undefined &&
          (faults.cutCommand === undefined || faults.cutCommand === verb)
        ? faults.cutAfterLines
        : -1;
      let sent = 0;
      let parts: Uint8Array<ArrayBuffer>[] = [];
      let size = 0;
      const flush = async () => {
        if (!parts.length) return true;
        const out = concatBytes(parts);
        parts = [];
        size = 0;
        return await write(out);
      };
      for (const line of lines) {
        if (cut >= 0 && sent >= cut) {
          await flush();
          cutArmed = false;
          closeConn(conn);
          return false;
        }
        const bytes = typeof line === "string" ? encoder.encode(line) : line;
        const stuffed = bytes[0] === 46;
        const piece = new Uint8Array(bytes.length + (stuffed ? 3 : 2));
        let o = 0;
        if (stuffed) piece[o++] = 46;
        piece.set(bytes, o);
        piece[o + bytes.length] = 13;
        piece[o + bytes.length + 1] = 10;
        parts.push(piece);
        size += piece.length;
        sent++;
        if (size >= 64 * 1024 && !(await flush())) return false;
      }
      if (cut >= 0 && sent >= cut) {
        await flush();
        cutArmed = false;
        closeConn(conn);
        return false;
      }
      parts.push(encoder.encode(".\r\n"));
      size += 3;
      return await flush();
    }

    function parseRange(arg: string, group: Served): [number, number] | null {
      const m = /^(\d+)(-(\d*))?$/.exec(arg);
      if (!m) return null;
      const lo = Number(m[1]);
      const hi = m[2] === undefined
        ? lo
        : m[3] === ""
        ? group.high + group.added.length
        : Number(m[3]);
      return [lo, hi];
    }

    function* articlesIn(
      group: Served,
      lo: number,
      hi: number,
    ): Generator<[number, FixtureArticle]> {
      const top = Math.min(hi, group.high + group.added.length);
      for (let n = Math.max(lo, group.low); n <= top; n++) {
        const a = group.get(n);
        if (a) yield [n, a];
      }
    }

    /** Resolves an article argument; writes the error reply itself. */
    async function locate(arg: string | undefined): Promise<Located | null> {
      if (arg !== undefined && arg.startsWith("<")) {
        const found = findById(arg);
        if (!found) await status("430 No article with that message-id");
        return found ?? null;
      }
      const group = state.group;
      if (!group) {
        await status("412 No newsgroup selected");
        return null;
      }
      if (arg === undefined) {
        const n = state.current;
        const a = n === undefined ? undefined : group.get(n);
        if (n === undefined || !a) {
          await status("420 Current article number is invalid");
          return null;
        }
        return { group, number: n, article: a };
      }
      const n = Number(arg);
      const a = /^\d+$/.test(arg) ? group.get(n) : undefined;
      if (!a) {
        await status(`423 No article with number ${arg}`);
        return null;
      }
      state.current = n;
      return { group, number: n, article: a };
    }

    function capabilities(): string[] {
      const caps = ["VERSION 2", "IMPLEMENTATION inetkit fixture"];
      if (faults.modeReaderRequired && !state.reader) {
        caps.push("MODE-READER");
      } else {
        caps.push("READER", "POST", "NEWNEWS");
        caps.push("LIST ACTIVE NEWSGROUPS OVERVIEW.FMT");
        if (!faults.noOver) caps.push("OVER MSGID");
        if (!faults.noHdr) caps.push("HDR");
      }
      if (!state.authed) caps.push("AUTHINFO USER");
      if (tlsListener && !state.tls) caps.push("STARTTLS");
      return caps;
    }

    async function overview(verb: string, arg: string | undefined) {
      if (arg !== undefined && arg.startsWith("<")) {
        if (verb === "XOVER") return await status("501 Syntax error");
        const found = findById(arg);
        if (!found) return await status("430 No article with that message-id");
        await status("224 Overview information follows");
        return await block(verb, [
          overviewLine(found.group, 0, found.article),
        ]);
      }
      const group = state.group;
      if (!group) return await status("412 No newsgroup selected");
      let lo: number, hi: number;
      if (arg === undefined) {
        if (state.current === undefined) {
          return await status("420 Current article number is invalid");
        }
        lo = hi = state.current;
      } else {
        const r = parseRange(arg, group);
        if (!r) return await status("501 Syntax error");
        [lo, hi] = r;
      }
      const first = articlesIn(group, lo, hi).next();
      if (first.done) return await status("423 No articles in that range");
      await status("224 Overview information follows");
      const garbage = faults.garbageOverview;
      function* lines(): Generator<string> {
        let i = 0;
        for (const [n, a] of articlesIn(group!, lo, hi)) {
          const line = overviewLine(group!, n, a);
          if (garbage && i % 3 === 0) {
            yield "this is not an overview line";
            yield `x${n}\tnot a number\tfrom`;
            yield "";
            yield `${n}`;
          }
          yield line;
          i++;
        }
      }
      return await block(verb, lines());
    }

    async function hdr(verb: string, field: string | undefined, arg?: string) {
      if (!field) return await status("501 Syntax error");
      const name = field.toLowerCase();
      const value = (a: FixtureArticle): string =>
        name === ":bytes"
          ? String(byteLength(a))
          : name === ":lines"
          ? String(bodyLines(a).length)
          : overviewField(header(a, field));
      const code = verb === "HDR" ? "225" : "221";
      if (arg !== undefined && arg.startsWith("<")) {
        const found = findById(arg);
        if (!found) return await status("430 No article with that message-id");
        await status(`${code} Headers follow`);
        return await block(verb, [`0 ${value(found.article)}`]);
      }
      const group = state.group;
      if (!group) return await status("412 No newsgroup selected");
      let lo: number, hi: number;
      if (arg === undefined) {
        if (state.current === undefined) {
          return await status("420 Current article number is invalid");
        }
        lo = hi = state.current;
      } else {
        const r = parseRange(arg, group);
        if (!r) return await status("501 Syntax error");
        [lo, hi] = r;
      }
      if (articlesIn(group, lo, hi).next().done) {
        return await status("423 No articles in that range");
      }
      await status(`${code} Headers follow`);
      function* lines(): Generator<string> {
        for (const [n, a] of articlesIn(group!, lo, hi)) {
          yield `${n} ${value(a)}`;
        }
      }
      return await block(verb, lines());
    }

    async function readPost(): Promise<string | null> {
      const lines: string[] = [];
      while (true) {
        let view: Uint8Array | null;
        try {
          view = await reader.readLineView();
        } catch {
          return null;
        }
        if (view === null) return null;
        if (view.length === 1 && view[0] === 46) break;
        const bytes = view[0] === 46 ? view.subarray(1) : view;
        lines.push(new TextDecoder().decode(bytes));
      }
      return lines.join("\r\n") + "\r\n";
    }

    async function post(): Promise<void> {
      await status("340 Send article to be posted");
      const text = await readPost();
      if (text === null) return;
      posted.push(text);
      const [head = "", ...rest] = text.split("\r\n\r\n");
      const headers: [string, string][] = [];
      for (const line of head.split("\r\n")) {
        const last = headers[headers.length - 1];
        if (/^[ \t]/.test(line) && last) last[1] += "\r\n" + line;
        else {
          const i = line.indexOf(":");
          if (i > 0) {
            headers.push([line.slice(0, i), line.slice(i + 1).trim()]);
          }
        }
      }
      const find = (k: string) =>
        headers.find(([h]) => h.toLowerCase() === k)?.[1];
      const names = (find("newsgroups") ?? "").split(",").map((s) => s.trim());
      const target = names.map((n) => groups.get(n)).find((g) => g);
      if (!target || !target.posting || !find("from") || !find("subject")) {
        await status("441 Posting failed");
        return;
      }
      let id = find("message-id");
      if (!id) {
        id = `<posted.${posted.length}.${Date.now()}@${pathHost}>`;
        headers.push(["Message-ID", id]);
      }
      target.added.push({
        headers,
        body: rest.join("\r\n\r\n").replace(/\r\n/g, "\n"),
      });
      await status(`240 Article received ${id}`);
    }

    async function startTls(): Promise<boolean> {
      if (!tlsListener || state.tls) {
        await status("502 STARTTLS not available");
        return true;
      }
      if (reader.buffered > 0) {
        await status("501 Pipelining before STARTTLS");
        return true;
      }
      await status("382 Continue with TLS negotiation");
      const inner = await Deno.connect({
        hostname: "127.0.0.1",
        port: (tlsListener.addr as Deno.NetAddr).port,
      });
      conns.add(inner);
      pendingTls.set((inner.localAddr as Deno.NetAddr).port, {
        ...state,
        tls: true,
        authed: false,
      });
      await splice(conn, inner);
      conns.delete(inner);
      return false;
    }

    if (!state.tls || implicit) {
      const code = faults.greeting ?? 200;
      const text = code === 200
        ? "posting allowed"
        : code === 201
        ? "no posting"
        : code === 400
        ? "service temporarily unavailable"
        : "service permanently unavailable";
      await status(`${code} ${pathHost} inetkit fixture ready (${text})`);
      if (code === 400 || code === 502) return;
    }

    while (!closing) {
      let line: string | null;
      try {
        line = await reader.readLine();
      } catch {
        return;
      }
      if (line === null) return;
      const [rawVerb = "", ...args] = line.split(" ");
      const verb = rawVerb.toUpperCase();
      received.push(
        verb === "AUTHINFO" && args[0]?.toUpperCase() === "PASS"
          ? "AUTHINFO PASS ***"
          : line,
      );
      state.commands++;
      if (verb === "QUIT") {
        await status("205 Bye");
        return;
      }
      const needAuth = !state.authed &&
        (faults.requireAuth ||
          (faults.authAfterCommands !== undefined &&
            state.commands > faults.authAfterCommands));
      if (needAuth && READ_COMMANDS.has(verb)) {
        await status("480 Authentication required");
        continue;
      }
      if (
        faults.modeReaderRequired && !state.reader && READ_COMMANDS.has(verb)
      ) {
        await status("502 Use MODE READER first");
        continue;
      }
      const arg = args[0];
      switch (verb) {
        case "CAPABILITIES":
          if (faults.noCapabilities) await status("500 What?");
          else {
            await status("101 Capability list follows");
            await block(verb, capabilities());
          }
          break;
        case "MODE":
          if (arg?.toUpperCase() !== "READER") {
            await status("501 Unknown mode");
          } else {
            state.reader = true;
            await status(
              faults.greeting === 201
                ? "201 Reader mode, no posting"
                : "200 Reader mode, posting allowed",
            );
          }
          break;
        case "STARTTLS":
          if (!(await startTls())) return;
          break;
        case "AUTHINFO": {
          const sub = arg?.toUpperCase();
          const rest = line.split(" ").slice(2).join(" ");
          if (state.authed) await status("502 Already authenticated");
          else if (sub === "USER") {
            (state as Session & { user?: string }).user = rest;
            await status("381 Password required");
          } else if (sub === "PASS") {
            const given = (state as Session & { user?: string }).user;
            if (given === undefined) {
              await status("482 Send AUTHINFO USER first");
            } else if (given === user.name && rest === user.password) {
              state.authed = true;
              await status("281 Authentication accepted");
            } else {
              await status("481 Authentication failed");
            }
          } else await status("501 Unknown AUTHINFO subcommand");
          break;
        }
        case "DATE":
          await status("111 20240102030405");
          break;
        case "GROUP":
        case "LISTGROUP": {
          const group = arg ? groups.get(arg) : state.group;
          if (!group) {
            await status(
              arg ? `411 No such group ${arg}` : "412 No newsgroup selected",
            );
            break;
          }
          state.group = group;
          const high = group.high + group.added.length;
          const count = group.count + group.added.length;
          state.current = count > 0 ? group.low : undefined;
          await status(
            `211 ${count} ${
              count ? group.low : high + 1
            } ${high} ${group.name}`,
          );
          if (verb === "LISTGROUP") {
            const range = args[1] ? parseRange(args[1], group) : null;
            const [lo, hi] = range ?? [group.low, high];
            const g = group;
            await block(
              verb,
              (function* () {
                for (const [n] of articlesIn(g, lo, hi)) yield String(n);
              })(),
            );
          }
          break;
        }
        case "LAST":
        case "NEXT": {
          const group = state.group;
          if (!group) {
            await status("412 No newsgroup selected");
            break;
          }
          if (state.current === undefined) {
            await status("420 Current article number is invalid");
            break;
          }
          const n = state.current + (verb === "NEXT" ? 1 : -1);
          const a = group.get(n);
          if (!a) {
            await status(
              verb === "NEXT"
                ? "421 No next article"
                : "422 No previous article",
            );
            break;
          }
          state.current = n;
          await status(`223 ${n} ${header(a, "Message-ID")}`);
          break;
        }
        case "STAT":
        case "HEAD":
        case "BODY":
        case "ARTICLE": {
          const found = await locate(arg);
          if (!found) break;
          const byId = arg?.startsWith("<") ?? false;
          const n = byId && found.group !== state.group ? 0 : found.number;
          const id = header(found.article, "Message-ID");
          const code = { STAT: 223, HEAD: 221, BODY: 222, ARTICLE: 220 }[verb];
          await status(`${code} ${n} ${id}`);
          if (verb === "STAT") break;
          const a = found.article;
          const lines: Uint8Array[] = [];
          if (verb !== "BODY") {
            for (const [k, v] of a.headers) {
              for (const part of `${k}: ${v}`.split(/\r?\n/)) {
                lines.push(encode(part, a));
              }
            }
          }
          if (verb === "ARTICLE") lines.push(new Uint8Array());
          if (verb !== "HEAD") {
            for (const part of bodyLines(a)) lines.push(encode(part, a));
          }
          await block(verb, lines);
          break;
        }
        case "OVER":
        case "XOVER":
          if (verb === "OVER" && faults.noOver) await status("500 What?");
          else await overview(verb, arg);
          break;
        case "HDR":
        case "XHDR":
          if (verb === "HDR" && faults.noHdr) await status("500 What?");
          else await hdr(verb, arg, args[1]);
          break;
        case "LIST": {
          const what = (arg ?? "ACTIVE").toUpperCase();
          if (what === "OVERVIEW.FMT") {
            if (faults.noOverviewFormat) {
              await status("503 Not supported");
            } else {
              await status("215 Order of fields in overview database");
              await block(verb, format);
            }
          } else if (what === "ACTIVE" || what === "NEWSGROUPS") {
            const pattern = args[1] ? wildmatRegExp(args[1]) : undefined;
            const lines: string[] = [];
            for (const g of groups.values()) {
              if (pattern && !pattern.test(g.name)) continue;
              const high = g.high + g.added.length;
              lines.push(
                what === "ACTIVE"
                  ? `${g.name} ${high} ${g.low} ${g.posting ? "y" : "n"}`
                  : `${g.name}\t${g.description}`,
              );
            }
            await status(`215 List of newsgroups follows`);
            await block(verb, lines);
          } else await status("501 Unknown list keyword");
          break;
        }
        case "NEWGROUPS": {
          const since = parseNntpDate(arg, args[1]);
          if (!since) {
            await status("501 Bad date");
            break;
          }
          await status("231 New newsgroups follow");
          const lines: string[] = [];
          for (const g of groups.values()) {
            if (g.created >= since) {
              const high = g.high + g.added.length;
              lines.push(`${g.name} ${high} ${g.low} ${g.posting ? "y" : "n"}`);
            }
          }
          await block(verb, lines);
          break;
        }
        case "NEWNEWS": {
          const pattern = arg ? wildmatRegExp(arg) : undefined;
          const since = parseNntpDate(args[1], args[2]);
          if (!pattern || !since) {
            await status("501 Bad arguments");
            break;
          }
          await status("230 New articles follow");
          const ids: string[] = [];
          for (const g of groups.values()) {
            if (!pattern.test(g.name) || g.count > 5000) continue;
            for (const [, a] of articlesIn(g, g.low, Infinity)) {
              const date = Date.parse(header(a, "Date"));
              if (!(date < since.getTime())) ids.push(header(a, "Message-ID"));
            }
          }
          await block(verb, ids);
          break;
        }
        case "POST":
          await post();
          break;
        default:
          await status("500 Unknown command");
      }
    }
  }

  async function run(conn: Deno.Conn, state: Session): Promise<void> {
    conns.add(conn);
    try {
      await session(conn, state);
    } catch {
      // The client went away.
    } finally {
      closeConn(conn);
    }
  }

  function fresh(tls: boolean): Session {
    return {
      group: undefined,
      current: undefined,
      authed: false,
      reader: false,
      commands: 0,
      tls,
    };
  }

  async function acceptLoop(l: Deno.Listener, tls: boolean): Promise<void> {
    while (true) {
      let conn: Deno.Conn;
      try {
        conn = await l.accept();
      } catch {
        return;
      }
      if (closing) {
        closeConn(conn);
        continue;
      }
      let state: Session;
      if (tls && !implicit) {
        const port = (conn.remoteAddr as Deno.NetAddr).port;
        state = pendingTls.get(port) ?? fresh(true);
        pendingTls.delete(port);
      } else {
        connections++;
        state = fresh(implicit);
      }
      track(run(conn, state));
    }
  }

  const loops = [acceptLoop(listener, implicit)];
  if (tlsListener) loops.push(acceptLoop(tlsListener, true));

  return {
    hostname: "127.0.0.1",
    port: (listener.addr as Deno.NetAddr).port,
    received,
    posted,
    get connections() {
      return connections;
    },
    async close() {
      closing = true;
      for (const l of [listener, tlsListener]) {
        try {
          l?.close();
        } catch { /* closed */ }
      }
      await Promise.all(loops);
      for (const [id, resolve] of timers) {
        clearTimeout(id);
        resolve();
      }
      timers.clear();
      for (const c of [...conns]) closeConn(c);
      while (tasks.size) await Promise.all([...tasks]);
    },
  };
}

/** Copies bytes both ways until either side ends, then closes both. */
async function splice(a: Deno.Conn, b: Deno.Conn): Promise<void> {
  async function pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
    const buf = new Uint8Array(16384);
    try {
      while (true) {
        const n = await from.read(buf);
        if (n === null) break;
        let off = 0;
        while (off < n) off += await to.write(buf.subarray(off, n));
      }
    } catch { /* either side closed */ }
    for (const c of [a, b]) {
      try {
        c.close();
      } catch { /* closed */ }
    }
  }
  await Promise.all([pump(a, b), pump(b, a)]);
}

function wildmatRegExp(wildmat: string): RegExp {
  const alternatives = wildmat.split(",").map((w) =>
    w.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(
      /\?/g,
      ".",
    )
  );
  return new RegExp(`^(?:${alternatives.join("|")})$`);
}

function parseNntpDate(
  date: string | undefined,
  time: string | undefined,
): Date | null {
  const d = /^(\d{4}|\d{2})(\d\d)(\d\d)$/.exec(date ?? "");
  const t = /^(\d\d)(\d\d)(\d\d)$/.exec(time ?? "");
  if (!d || !t) return null;
  let year = Number(d[1]);
  if (d[1]!.length === 2) year += year < 70 ? 2000 : 1900;
  return new Date(
    Date.UTC(
      year,
      Number(d[2]) - 1,
      Number(d[3]),
      Number(t[1]),
      Number(t[2]),
      Number(t[3]),
    ),
  );
}
