/**
 * An in-process FTP server for tests and demos. It serves a virtual tree from
 * memory (files of any size can be generated on the fly without using
 * memory), speaks the commands an FTP client and a mirror need (USER/PASS,
 * FEAT, PWD/CWD/CDUP, TYPE, EPSV/PASV, EPRT/PORT, REST, RETR, STOR, APPE,
 * LIST, NLST, MLSD, MLST, SIZE, MDTM, MFMT, DELE, RNFR/RNTO, MKD, RMD, NOOP,
 * QUIT), keeps uploads, and injects faults on request: garbage replies, a
 * download cut after N bytes, 421 mid-session, slow or missing replies, an
 * EPSV refusal, a PASV reply naming another host, extra (hostile) listing
 * lines, and the final reply sent before or well after the data.
 *
 * It listens on 127.0.0.1 only. It is a test double, not a server to expose.
 *
 * @example Usage
 * ```ts ignore
 * import { startFtpFixture } from "./_ftp_fixture_server.ts";
 *
 * const server = startFtpFixture({ files: { "/pub/hello.txt": "Hello\n" } });
 * console.log(`ftp://127.0.0.1:${server.port}/pub/`);
 * await server.close();
 * ```
 *
 * @module
 */

import { concatBytes } from "../protocols/_bytes.ts";
import { BufferedReader } from "../protocols/buffered_reader.ts";
import {
  baseName,
  dosLine,
  FixtureFs,
  type FsNode,
  type FtpFixtureEntry,
  ftpTime,
  mlsdLine,
  parentOf,
  resolvePath,
  unixLine,
} from "./_ftp_fixture_fs.ts";

export {
  FIXTURE_TIME,
  type FtpFixtureEntry,
  type FtpFixtureFile,
  type FtpFixtureLink,
  generatedBytes,
} from "./_ftp_fixture_fs.ts";

/** Faults the fixture can inject. */
export interface FtpFixtureFaults {
  /** Answer this verb (upper case), or `"GREETING"`, with a line that is not a reply. */
  garbageReplyTo?: string;
  /** Cut RETR data connections after this many bytes, then reply 426. */
  dropDataAfter?: number;
  /**
   * How many RETR transfers to cut (the rest complete).
   *
   * @default {Infinity}
   */
  dropTimes?: number;
  /** After cutting a transfer, close the control connection too (no 426). */
  dropClosesControl?: boolean;
  /** Reply 421 to the command after this many and close the session. */
  closeAfterCommands?: number;
  /** Milliseconds to wait before every reply. */
  delayMs?: number;
  /** Never answer this verb (upper case); the session hangs until closed. */
  stallOn?: string;
  /** Answer EPSV with 500, as old servers do. */
  refuseEpsv?: boolean;
  /** Name this address in PASV replies instead of 127.0.0.1. */
  pasvHost?: string;
  /** Raw lines appended to the LIST and MLSD output of a directory (by path). */
  extraListing?: Record<string, string[]>;
  /** Send the final 226 before any data of a RETR, then the data. */
  finalReplyFirst?: boolean;
  /** Milliseconds between the data connection closing and the 226 (or the reverse). */
  finalReplyDelayMs?: number;
  /** Milliseconds to pause after each 64 KiB of RETR data. */
  dataChunkDelayMs?: number;
  /**
   * Under `PROT P`, drop each data connection before the TLS handshake and
   * reply `522 SSL connection failed: session reuse required`, as vsftpd
   * does with `require_ssl_reuse=YES` for a client that cannot resume.
   */
  refuseDataTls?: boolean;
}

/** Options for {@linkcode startFtpFixture}. */
export interface FtpFixtureOptions {
  /** The tree: absolute paths to content; a path ending in `/` is an empty directory. */
  files?: Record<string, FtpFixtureEntry>;
  /**
   * Accounts besides anonymous: user name to password.
   *
   * @default {{}}
   */
  users?: Record<string, string>;
  /**
   * Accept `anonymous` and `ftp` with any password.
   *
   * @default {true}
   */
  anonymous?: boolean;
  /**
   * Offer MLST/MLSD in FEAT and answer them.
   *
   * @default {true}
   */
  mlsd?: boolean;
  /**
   * The format of LIST output.
   *
   * @default {"unix"}
   */
  listFormat?: "unix" | "dos";
  /**
   * Port to listen on (127.0.0.1); `0` picks a free one.
   *
   * @default {0}
   */
  port?: number;
  /** Faults to inject. */
  faults?: FtpFixtureFaults;
  /**
   * Certificate and key: the server then speaks implicit FTPS (TLS from the
   * first byte, like port 990) and, after `PROT P`, TLS on passive data
   * connections. Active mode is refused under `PROT P` (534).
   */
  tls?: { cert: string; key: string };
}

/** Counters the tests read. */
export interface FtpFixtureStats {
  /** RETR commands that completed. */
  retrFiles: number;
  /** Data bytes sent by RETR (cut transfers included). */
  retrBytes: number;
  /** STOR and APPE commands that completed. */
  storFiles: number;
}

/** A running fixture server. */
export interface FtpFixtureServer {
  /** Always `"127.0.0.1"`. */
  hostname: string;
  /** The port. */
  port: number;
  /** `ftp://127.0.0.1:PORT` (no trailing slash). */
  url: string;
  /** Every command line received, in order (PASS arguments masked). */
  received: string[];
  /** The tree, live: tests may change it between runs. */
  fs: FixtureFs;
  /** Transfer counters. */
  stats: FtpFixtureStats;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Stops listening, closes every connection and waits for the sessions. */
  close(): Promise<void>;
}

interface Session {
  conn: Deno.Conn;
  user: string | undefined;
  loggedIn: boolean;
  cwd: string;
  rest: number;
  renameFrom: string | undefined;
  pasv: Deno.Listener | undefined;
  active: { hostname: string; port: number } | undefined;
  commands: number;
  protectData: boolean;
}

const encoder = new TextEncoder();
const CHUNK = 64 * 1024;

/**
 * Starts the fixture server on 127.0.0.1.
 *
 * @param options Tree, accounts, formats and faults.
 * @returns The running server; call `close()` when done.
 *
 * @example Usage
 * ```ts ignore
 * import { startFtpFixture } from "./_ftp_fixture_server.ts";
 *
 * const server = startFtpFixture({
 *   files: { "/big.bin": { size: 10_000_000 } },
 *   faults: { dropDataAfter: 1_000_000, dropTimes: 1 },
 * });
 * await server.close();
 * ```
 */
export function startFtpFixture(
  options: FtpFixtureOptions = {},
): FtpFixtureServer {
  const fs = new FixtureFs(options.files ?? {});
  const faults = options.faults ?? {};
  const users = options.users ?? {};
  const mlsd = options.mlsd ?? true;
  const received: string[] = [];
  const stats: FtpFixtureStats = { retrFiles: 0, retrBytes: 0, storFiles: 0 };
  const closers = new Set<{ close(): void }>();
  const tasks = new Set<Promise<void>>();
  const sleepers = new Map<ReturnType<typeof setTimeout>, () => void>();
  let connections = 0;
  let drops = 0;
  let closing = false;
  const tls = options.tls;
  const listener: Deno.Listener = tls
    ? Deno.listenTls({
      hostname: "127.0.0.1",
      port: options.port ?? 0,
      cert: tls.cert,
      key: tls.key,
    })
    : Deno.listen({ hostname: "127.0.0.1", port: options.port ?? 0 });

  function track(task: Promise<void>): void {
    tasks.add(task);
    task.finally(() => tasks.delete(task));
  }

  function closeQuietly(resource: { close(): void }): void {
    closers.delete(resource);
    try {
      resource.close();
    } catch {
      // Already closed.
    }
  }

  function keep<T extends { close(): void }>(resource: T): T {
    closers.add(resource);
    if (closing) closeQuietly(resource);
    return resource;
  }

  function sleep(ms: number): Promise<void> {
    if (ms <= 0 || closing) return Promise.resolve();
    return new Promise((resolve) => {
      const id = setTimeout(() => {
        sleepers.delete(id);
        resolve();
      }, ms);
      sleepers.set(id, resolve);
    });
  }

  async function write(conn: Deno.Conn, data: string | Uint8Array) {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    let off = 0;
    while (off < bytes.length) off += await conn.write(bytes.subarray(off));
  }

  function reply(session: Session, code: number, text: string) {
    return write(session.conn, `${code} ${text}\r\n`);
  }

  function replyLines(session: Session, code: number, lines: string[]) {
    const body = lines.map((line, i) =>
      i === lines.length - 1
        ? `${code} ${line}`
        : i === 0
        ? `${code}-${line}`
        : ` ${line}`
    ).join("\r\n");
    return write(session.conn, body + "\r\n");
  }

  function quote(path: string): string {
    return `"${path.replaceAll('"', '""')}"`;
  }

  async function openData(session: Session): Promise<Deno.Conn | undefined> {
    const conn = await acceptData(session);
    if (conn && session.protectData && faults.refuseDataTls) {
      await reply(session, 150, "Opening data connection.");
      closeQuietly(conn);
      await reply(
        session,
        522,
        "SSL connection failed: session reuse required",
      );
      return undefined;
    }
    return conn;
  }

  async function acceptData(session: Session): Promise<Deno.Conn | undefined> {
    if (session.pasv) {
      const pasv = session.pasv;
      session.pasv = undefined;
      const timer = setTimeout(() => closeQuietly(pasv), 10_000);
      try {
        return keep(await pasv.accept());
      } catch {
        return undefined;
      } finally {
        clearTimeout(timer);
        closeQuietly(pasv);
      }
    }
    if (session.active) {
      const target = session.active;
      session.active = undefined;
      try {
        return keep(await Deno.connect(target));
      } catch {
        return undefined;
      }
    }
    return undefined;
  }

  function refused(session: Session): boolean {
    return session.protectData && !!faults.refuseDataTls;
  }

  function node(session: Session, arg: string): [string, FsNode | undefined] {
    const path = resolvePath(session.cwd, arg);
    return [path, fs.nodes.get(path)];
  }

  function listingLines(session: Session, arg: string, verb: string) {
    // Options such as "-la" are ignored, as many servers do.
    const clean = arg.replace(/^(-[a-zA-Z]+\s*)+/, "");
    const [path, target] = node(session, clean);
    if (!target) return undefined;
    const now = new Date();
    const entries: [string, FsNode][] = target.kind === "dir"
      ? fs.children(path)
      : [[baseName(path), target]];
    const lines = entries.map(([name, n]) => {
      if (verb === "MLSD") return mlsdLine(name, n);
      if (verb === "NLST") {
        return clean ? `${clean.replace(/\/$/, "")}/${name}` : name;
      }
      return options.listFormat === "dos"
        ? dosLine(name, n)
        : unixLine(name, n, now);
    });
    if (verb === "MLSD") {
      lines.unshift(`type=cdir;modify=${ftpTime(target.modified)}; .`);
    }
    if (verb !== "NLST") lines.push(...(faults.extraListing?.[path] ?? []));
    return lines;
  }

  async function sendBytes(
    session: Session,
    data: Deno.Conn,
    produce: (offset: number, length: number) => Uint8Array,
    size: number,
    isRetr: boolean,
    replied = false,
  ): Promise<boolean> {
    let offset = 0;
    const dropAt = isRetr && faults.dropDataAfter !== undefined &&
        drops < (faults.dropTimes ?? Infinity)
      ? faults.dropDataAfter
      : Infinity;
    while (offset < size) {
      const n = Math.min(CHUNK, size - offset, dropAt - offset);
      if (n <= 0) break;
      try {
        await write(data, produce(offset, n));
      } catch {
        closeQuietly(data);
        if (!replied) {
          await reply(session, 426, "Failure writing network stream.");
        }
        return false;
      }
      offset += n;
      if (isRetr) stats.retrBytes += n;
      if (faults.dataChunkDelayMs) await sleep(faults.dataChunkDelayMs);
    }
    if (offset < size && dropAt !== Infinity) {
      drops++;
      closeQuietly(data);
      if (faults.dropClosesControl) {
        closeQuietly(session.conn);
        return false;
      }
      await reply(session, 426, "Connection closed; transfer aborted.");
      return false;
    }
    return true;
  }

  async function transferOut(
    session: Session,
    verb: string,
    label: string,
    produce: (offset: number, length: number) => Uint8Array,
    size: number,
  ): Promise<void> {
    const data = await openData(session);
    if (!data) {
      if (!refused(session)) {
        await reply(session, 425, "Use PORT or PASV first.");
      }
      return;
    }
    const isRetr = verb === "RETR";
    await reply(
      session,
      150,
      `Opening BINARY mode data connection for ${label}${
        isRetr ? ` (${size} bytes)` : ""
      }.`,
    );
    if (faults.finalReplyFirst) {
      await reply(session, 226, "Transfer complete.");
      await sleep(faults.finalReplyDelayMs ?? 0);
      const ok = await sendBytes(session, data, produce, size, isRetr, true);
      closeQuietly(data);
      if (ok && isRetr) stats.retrFiles++;
      return;
    }
    const ok = await sendBytes(session, data, produce, size, isRetr);
    if (!ok) return;
    closeQuietly(data);
    await sleep(faults.finalReplyDelayMs ?? 0);
    if (isRetr) stats.retrFiles++;
    await reply(session, 226, "Transfer complete.");
  }

  async function receive(session: Session): Promise<Uint8Array | undefined> {
    const data = await openData(session);
    if (!data) {
      if (!refused(session)) {
        await reply(session, 425, "Use PORT or PASV first.");
      }
      return undefined;
    }
    await reply(session, 150, "Ok to send data.");
    const parts: Uint8Array<ArrayBuffer>[] = [];
    let size = 0;
    const buf = new Uint8Array(CHUNK);
    try {
      while (true) {
        const n = await data.read(buf);
        if (n === null) break;
        parts.push(buf.slice(0, n));
        size += n;
      }
    } catch {
      closeQuietly(data);
      await reply(session, 426, "Failure reading network stream.");
      return undefined;
    }
    closeQuietly(data);
    return concatBytes(parts);
  }

  async function store(session: Session, verb: string, arg: string) {
    const [path] = node(session, arg);
    const parent = fs.nodes.get(parentOf(path));
    if (parent?.kind !== "dir" || fs.nodes.get(path)?.kind === "dir") {
      await reply(session, 553, "Could not create file.");
      return;
    }
    const offset = session.rest;
    session.rest = 0;
    const body = await receive(session);
    if (!body) return;
    const existing = fs.nodes.get(path);
    let before = new Uint8Array(0);
    if (existing?.kind === "file") {
      const keep = verb === "APPE"
        ? existing.size
        : Math.min(offset, existing.size);
      before = fs.read(existing, 0, keep).slice();
    }
    const content = new Uint8Array(before.length + body.length);
    content.set(before);
    content.set(body, before.length);
    fs.put(path, { data: content, modified: new Date() });
    stats.storFiles++;
    await reply(session, 226, "Transfer complete.");
  }

  async function handle(session: Session, verb: string, arg: string) {
    const loggedIn = session.loggedIn;
    switch (verb) {
      case "USER":
        session.user = arg;
        session.loggedIn = false;
        return reply(session, 331, "Please specify the password.");
      case "PASS": {
        const user = session.user;
        const anonymous = (options.anonymous ?? true) &&
          (user === "anonymous" || user === "ftp");
        if (user !== undefined && (anonymous || users[user] === arg)) {
          session.loggedIn = true;
          return reply(session, 230, "Login successful.");
        }
        return reply(session, 530, "Login incorrect.");
      }
      case "QUIT":
        await reply(session, 221, "Goodbye.");
        closeQuietly(session.conn);
        return;
      case "FEAT": {
        const features = [
          "EPRT",
          "EPSV",
          "MDTM",
          "MFMT",
          "PASV",
          "REST STREAM",
          "SIZE",
          "UTF8",
        ];
        if (mlsd) features.push("MLST type*;size*;modify*;perm*;");
        return write(
          session.conn,
          `211-Features:\r\n${
            features.map((f) => ` ${f}\r\n`).join("")
          }211 End\r\n`,
        );
      }
      case "NOOP":
        return reply(session, 200, "NOOP ok.");
      case "SYST":
        return reply(session, 215, "UNIX Type: L8");
      case "AUTH":
        return reply(session, 500, "Unknown command.");
      case "PBSZ":
        return tls
          ? reply(session, 200, "PBSZ=0")
          : reply(session, 503, "PBSZ without TLS.");
      case "PROT":
        if (!tls) return reply(session, 503, "PROT without TLS.");
        if (arg !== "P" && arg !== "C") {
          return reply(session, 504, "Unknown protection level.");
        }
        session.protectData = arg === "P";
        return reply(session, 200, `Protection level set to ${arg}.`);
      case "OPTS":
        return reply(
          session,
          arg.toUpperCase() === "UTF8 ON" ? 200 : 501,
          "Always in UTF8 mode.",
        );
    }
    if (!loggedIn) {
      return reply(session, 530, "Please login with USER and PASS.");
    }
    switch (verb) {
      case "PWD":
        return reply(
          session,
          257,
          `${quote(session.cwd)} is the current directory`,
        );
      case "CWD":
      case "CDUP": {
        const [path, target] = node(session, verb === "CDUP" ? ".." : arg);
        if (target?.kind !== "dir") {
          return reply(session, 550, "Failed to change directory.");
        }
        session.cwd = path;
        return reply(session, 250, "Directory successfully changed.");
      }
      case "TYPE":
        return reply(
          session,
          200,
          `Switching to ${arg === "A" ? "ASCII" : "Binary"} mode.`,
        );
      case "EPSV":
      case "PASV": {
        if (verb === "EPSV" && faults.refuseEpsv) {
          return reply(session, 500, "Unknown command.");
        }
        if (session.pasv) closeQuietly(session.pasv);
        const pasv = keep(
          tls && session.protectData && !faults.refuseDataTls
            ? Deno.listenTls({
              hostname: "127.0.0.1",
              port: 0,
              cert: tls.cert,
              key: tls.key,
            })
            : Deno.listen({ hostname: "127.0.0.1", port: 0 }),
        );
        session.pasv = pasv;
        const port = (pasv.addr as Deno.NetAddr).port;
        if (verb === "EPSV") {
          return reply(
            session,
            229,
            `Entering Extended Passive Mode (|||${port}|)`,
          );
        }
        const host = (faults.pasvHost ?? "127.0.0.1").split(".").join(",");
        return reply(
          session,
          227,
          `Entering Passive Mode (${host},${port >> 8},${port & 255}).`,
        );
      }
      case "PORT":
      case "EPRT": {
        if (session.protectData) {
          return reply(session, 534, "Active mode is not offered with PROT P.");
        }
        let hostname: string | undefined;
        let port = NaN;
        if (verb === "PORT") {
          const parts = arg.split(",").map(Number);
          hostname = parts.slice(0, 4).join(".");
          port = parts[4]! * 256 + parts[5]!;
        } else {
          const fields = arg.split(arg[0] ?? "|");
          hostname = fields[2];
          port = Number(fields[3]);
        }
        if (
          (hostname !== "127.0.0.1" && hostname !== "::1") ||
          !(port > 0 && port < 65536)
        ) {
          return reply(session, 500, "Illegal PORT command.");
        }
        session.active = { hostname, port };
        return reply(session, 200, `${verb} command successful.`);
      }
      case "REST": {
        const offset = Number(arg);
        if (!/^\d+$/.test(arg) || !Number.isSafeInteger(offset)) {
          return reply(session, 501, "Bad REST offset.");
        }
        session.rest = offset;
        return reply(session, 350, `Restart position accepted (${offset}).`);
      }
      case "RETR": {
        const [path, target] = node(session, arg);
        const offset = session.rest;
        session.rest = 0;
        if (target?.kind !== "file") {
          if (session.pasv) closeQuietly(session.pasv);
          session.pasv = undefined;
          return reply(session, 550, "Failed to open file.");
        }
        const start = Math.min(offset, target.size);
        return transferOut(
          session,
          "RETR",
          baseName(path),
          (off, len) => fs.read(target, start + off, len),
          target.size - start,
        );
      }
      case "LIST":
      case "NLST":
      case "MLSD": {
        if (verb === "MLSD" && !mlsd) {
          return reply(session, 500, "Unknown command.");
        }
        const lines = listingLines(session, arg, verb);
        if (!lines) {
          if (verb === "MLSD") return reply(session, 550, "No such directory.");
          // vsftpd answers LIST of a missing path with an empty listing.
        }
        const bytes = encoder.encode(
          (lines ?? []).map((line) => line + "\r\n").join(""),
        );
        return transferOut(
          session,
          verb,
          "listing",
          (off, len) => bytes.subarray(off, off + len),
          bytes.length,
        );
      }
      case "MLST": {
        if (!mlsd) return reply(session, 500, "Unknown command.");
        const [path, target] = node(session, arg || ".");
        if (!target) return reply(session, 550, "No such file or directory.");
        return replyLines(session, 250, [
          "Listing " + path,
          mlsdLine(path, target),
          "End",
        ]);
      }
      case "STOR":
      case "APPE":
        return store(session, verb, arg);
      case "SIZE": {
        const [, target] = node(session, arg);
        if (target?.kind !== "file") {
          return reply(session, 550, "Could not get file size.");
        }
        return reply(session, 213, String(target.size));
      }
      case "MDTM": {
        const [, target] = node(session, arg);
        if (target?.kind !== "file") {
          return reply(session, 550, "Could not get file modification time.");
        }
        return reply(session, 213, ftpTime(target.modified));
      }
      case "MFMT": {
        const space = arg.indexOf(" ");
        const stamp = arg.slice(0, space);
        const [path, target] = node(session, arg.slice(space + 1));
        const m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)$/.exec(stamp);
        if (!m || !target) return reply(session, 550, "Could not set time.");
        target.modified = new Date(Date.UTC(
          Number(m[1]),
          Number(m[2]) - 1,
          Number(m[3]),
          Number(m[4]),
          Number(m[5]),
          Number(m[6]),
        ));
        return reply(session, 213, `Modify=${stamp}; ${path}`);
      }
      case "DELE": {
        const [path, target] = node(session, arg);
        if (!target || target.kind === "dir") {
          return reply(session, 550, "Delete operation failed.");
        }
        fs.nodes.delete(path);
        return reply(session, 250, "Delete operation successful.");
      }
      case "RNFR": {
        const [path, target] = node(session, arg);
        if (!target) return reply(session, 550, "RNFR command failed.");
        session.renameFrom = path;
        return reply(session, 350, "Ready for RNTO.");
      }
      case "RNTO": {
        const from = session.renameFrom;
        session.renameFrom = undefined;
        if (!from) return reply(session, 503, "RNFR required first.");
        const [to] = node(session, arg);
        for (const [path, n] of [...fs.nodes]) {
          if (path === from || path.startsWith(from + "/")) {
            fs.nodes.delete(path);
            fs.nodes.set(to + path.slice(from.length), n);
          }
        }
        return reply(session, 250, "Rename successful.");
      }
      case "MKD": {
        const [path, target] = node(session, arg);
        if (target || fs.nodes.get(parentOf(path))?.kind !== "dir") {
          return reply(session, 550, "Create directory operation failed.");
        }
        fs.nodes.set(path, { kind: "dir", modified: new Date() });
        return reply(session, 257, `${quote(path)} created`);
      }
      case "RMD": {
        const [path, target] = node(session, arg);
        if (
          target?.kind !== "dir" || fs.children(path).length > 0 || path === "/"
        ) {
          return reply(session, 550, "Remove directory operation failed.");
        }
        fs.nodes.delete(path);
        return reply(session, 250, "Remove directory operation successful.");
      }
      case "ABOR":
        return reply(session, 225, "No transfer to ABOR.");
    }
    return reply(session, 500, "Unknown command.");
  }

  async function serveSession(conn: Deno.Conn): Promise<void> {
    const session: Session = {
      conn,
      user: undefined,
      loggedIn: false,
      cwd: "/",
      rest: 0,
      renameFrom: undefined,
      pasv: undefined,
      active: undefined,
      commands: 0,
      protectData: false,
    };
    const reader = new BufferedReader(conn, { maxLineBytes: 8192 });
    try {
      if (faults.garbageReplyTo === "GREETING") {
        await write(conn, "hello, this is not FTP\r\n");
      } else {
        await sleep(faults.delayMs ?? 0);
        await reply(session, 220, "inetkit fixture FTP server ready");
      }
      while (!closing) {
        const line = await reader.readLine();
        if (line === null) break;
        const space = line.indexOf(" ");
        const verb = (space < 0 ? line : line.slice(0, space)).toUpperCase();
        const arg = space < 0 ? "" : line.slice(space + 1);
        received.push(verb === "PASS" ? "PASS ***" : line);
        session.commands++;
        if (
          faults.closeAfterCommands !== undefined &&
          session.commands > faults.closeAfterCommands
        ) {
          await reply(
            session,
            421,
            "Service not available, closing control connection.",
          );
          break;
        }
        if (faults.stallOn === verb) {
          // Never answer: wait for the client to give up.
          await reader.readLine().catch(() => null);
          break;
        }
        await sleep(faults.delayMs ?? 0);
        if (faults.garbageReplyTo === verb) {
          await write(conn, "garbage that is no FTP reply\r\n");
          continue;
        }
        await handle(session, verb, arg);
      }
    } catch {
      // The client went away.
    } finally {
      if (session.pasv) closeQuietly(session.pasv);
      closeQuietly(conn);
    }
  }

  track((async () => {
    while (true) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      connections++;
      keep(conn);
      track(serveSession(conn));
    }
  })());

  const port = (listener.addr as Deno.NetAddr).port;
  return {
    hostname: "127.0.0.1",
    port,
    url: `ftp://127.0.0.1:${port}`,
    received,
    fs,
    stats,
    get connections() {
      return connections;
    },
    async close() {
      closing = true;
      closeQuietly(listener);
      for (const [id, resolve] of sleepers) {
        clearTimeout(id);
        resolve();
      }
      sleepers.clear();
      for (const resource of [...closers]) closeQuietly(resource);
      while (tasks.size > 0) await Promise.all([...tasks]);
    },
  };
}
