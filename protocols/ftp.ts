/**
 * An FTP client (RFC 959 with RFC 2228/4217 FTPS, RFC 2428 EPSV/EPRT and
 * RFC 3659 MLSD, MLST, SIZE, MDTM) over the shared {@linkcode TextProtoConn}.
 *
 * - Login (anonymous by default), FEAT capabilities, `OPTS UTF8 ON`.
 * - Passive data connections, EPSV first and PASV as fallback (remembered);
 *   the data connection always goes to the control connection's peer, whatever
 *   address PASV names. Active mode (EPRT/PORT) on request.
 * - A transfer completes only when the data connection has ended and the
 *   final reply (226/250) has arrived, in either order; a 4xx/5xx rejects.
 * - Downloads are byte streams (a BYOB reader receives the data straight into
 *   its buffer); uploads take a stream, bytes or a string. REST resumes both
 *   ways, APPE appends, a callback reports progress.
 * - FTPS explicit (`AUTH TLS`, `PBSZ 0`, `PROT P`) and implicit, never falling
 *   back to plain text. Deno cannot resume TLS sessions, so a server demanding
 *   session reuse on data connections (vsftpd's `require_ssl_reuse=YES`)
 *   raises {@linkcode FtpSessionReuseError}.
 * - Limits on reply size and listing size, timeouts on every wait (suspended
 *   on the control connection while data flows), commands with CR, LF or NUL
 *   refused.
 *
 * Names: the client sends paths as UTF-8. Listings are decoded line by line
 * as UTF-8 when valid, else as ISO-8859-1, so a legacy name stays readable;
 * such a name cannot be sent back byte for byte.
 *
 * @example Usage
 * ```ts ignore
 * import { FtpClient } from "./ftp.ts";
 *
 * await using client = await FtpClient.connect("ftp://127.0.0.1:2121/");
 * const { entries } = await client.list("/pub");
 * for (const entry of entries) console.log(entry.type, entry.name, entry.size);
 * const text = await new Response(await client.download("/pub/readme.txt")).text();
 * await client.upload("/incoming/hello.txt", "Hello\n");
 * ```
 *
 * @module
 */

import { closeQuietly } from "./_close.ts";
import {
  ActiveListener,
  connectData,
  DataConnection,
  startDataTls,
} from "./_ftp_data.ts";
import { FtpReplyError, ftpReplyError } from "./_ftp_errors.ts";
import {
  activeModeCommand,
  decodeListing,
  parseEpsvReply,
  parseFeatures,
  parsePasvReply,
  parseQuotedPath,
  parseSizeInReply,
  parseSizeReply,
} from "./_ftp_parse.ts";
import {
  downloadStream,
  downloadToWriter,
  type FtpProgress,
  Transfer,
  uploadBody,
} from "./_ftp_transfer.ts";
import { parseFtpUrl } from "./_ftp_url.ts";
import { Lock } from "./_lock.ts";
import { concatBytes } from "./_bytes.ts";
import { dial } from "./dial.ts";
import { ConnectionClosedError, ProtocolError } from "./errors.ts";
import {
  DEFAULT_MAX_LISTING_ENTRIES,
  formatFtpTime,
  type FtpEntry,
  parseFtpTime,
  parseListing,
  parseMlstReply,
} from "./ftp_list.ts";
import { codeMatches, type ExpectedCode, type Reply } from "./reply.ts";
import { type DebugSink, TextProtoConn } from "./text_proto.ts";

export { FTP_CODE, type FtpCode } from "./_ftp_codes.ts";
export {
  FtpAuthError,
  FtpNotFoundError,
  FtpReplyError,
  FtpSessionReuseError,
} from "./_ftp_errors.ts";
export type { FtpProgress } from "./_ftp_transfer.ts";
export { type FtpUrlParts, parseFtpUrl } from "./_ftp_url.ts";
export type { FtpEntry, FtpEntryType, FtpTimePrecision } from "./ftp_list.ts";
// Referenced by the API above, re-exported so this entry point stands alone.
export { ReplyError } from "./errors.ts";
export type { Reply } from "./reply.ts";
export type { DebugDirection, DebugSink } from "./text_proto.ts";

/** Options for {@linkcode FtpClient.connect}. */
export interface FtpClientOptions {
  /** Host name or address of the server (required unless a URL is given). */
  hostname?: string;
  /**
   * Control port.
   *
   * @default {21, or 990 with secure "implicit"}
   */
  port?: number;
  /**
   * User name.
   *
   * @default {"anonymous"}
   */
  user?: string;
  /**
   * Password.
   *
   * @default {"anonymous@"}
   */
  password?: string;
  /**
   * `true` for explicit FTPS (`AUTH TLS`, then `PBSZ 0` and `PROT P`; a
   * refusal is an error, never a fall back to plain text), `"implicit"` for
   * TLS from the first byte (port 990), `false` for plain FTP.
   *
   * @default {false}
   */
  secure?: boolean | "implicit";
  /** Extra CA certificates (PEM) trusted for FTPS. */
  caCerts?: string[];
  /**
   * Milliseconds to wait for the server on any single step (connecting, a
   * reply, a data read or write). While a transfer's data flows, the control
   * connection's wait for the final reply is not limited. `0` disables it.
   *
   * @default {30000}
   */
  timeout?: number;
  /** Aborting closes the client; pending operations reject with the reason. */
  signal?: AbortSignal;
  /**
   * Passive mode (the client connects to the server for data). `false`
   * selects active mode: the client listens on the control connection's
   * local address and sends EPRT (IPv6) or PORT (IPv4).
   *
   * @default {true}
   */
  passive?: boolean;
  /**
   * Try EPSV before PASV. After one EPSV refusal, PASV is used for the rest
   * of the session.
   *
   * @default {true}
   */
  epsv?: boolean;
  /**
   * Largest control reply accepted, in bytes.
   *
   * @default {65536}
   */
  maxReplyBytes?: number;
  /**
   * Largest directory listing accepted, in bytes.
   *
   * @default {41943040}
   */
  maxListingBytes?: number;
  /**
   * Most entries accepted in one listing.
   *
   * @default {1000000}
   */
  maxListingEntries?: number;
  /**
   * Milliseconds between NOOP commands sent on the control connection while a
   * transfer runs, for firewalls that drop idle connections. Opt-in: some
   * servers answer NOOP only after the transfer, some not at all during it.
   * `0` sends none.
   *
   * @default {0}
   */
  keepAliveInterval?: number;
  /**
   * Send `OPTS UTF8 ON` when FEAT lists UTF8.
   *
   * @default {true}
   */
  utf8?: boolean;
  /**
   * Bytes per read for downloads consumed with a default reader.
   *
   * @default {262144}
   */
  chunkSize?: number;
  /**
   * Receives every command and reply line (the password masked) and notes
   * that start with `# `, such as a PASV reply naming another host.
   */
  debug?: DebugSink;
}

/** Options for {@linkcode FtpClient.download} and {@linkcode FtpClient.downloadTo}. */
export interface FtpDownloadOptions {
  /**
   * Start at this byte (REST), to resume a partial download.
   *
   * @default {0}
   */
  offset?: number;
  /**
   * The file's size when the caller knows it, for progress reports; else the
   * size in the 150 reply is used when the server gives one.
   */
  size?: number;
  /**
   * Transfer type: `"binary"` (TYPE I) or `"ascii"` (TYPE A, the server's
   * CRLF text, passed on unchanged).
   *
   * @default {"binary"}
   */
  type?: "binary" | "ascii";
  /** Aborts the transfer. */
  signal?: AbortSignal;
  /** Called after each chunk. */
  onProgress?: (progress: FtpProgress) => void;
}

/** Options for {@linkcode FtpClient.upload}. */
export interface FtpUploadOptions {
  /**
   * Append to the remote file (APPE) instead of replacing it (STOR).
   *
   * @default {false}
   */
  append?: boolean;
  /**
   * Start writing the remote file at this byte (REST, then STOR), to resume
   * a partial upload: `body` must then hold the bytes from `offset` on.
   *
   * @default {0}
   */
  offset?: number;
  /** The whole file's size, for progress reports (known for bytes and strings). */
  size?: number;
  /**
   * Transfer type.
   *
   * @default {"binary"}
   */
  type?: "binary" | "ascii";
  /** Aborts the transfer. */
  signal?: AbortSignal;
  /** Called after each chunk. */
  onProgress?: (progress: FtpProgress) => void;
}

/** The result of {@linkcode FtpClient.list}. */
export interface FtpListing {
  /** The entries, without `.`, `..` and the MLSD `cdir`/`pdir` entries. */
  entries: FtpEntry[];
  /** Lines no parser could read, reported rather than guessed at. */
  unparsed: string[];
  /** The command used: `"MLSD"` or `"LIST"`. */
  command: "MLSD" | "LIST";
}

/** Something with a `write` like `Deno.FsFile`, for {@linkcode FtpClient.downloadTo}. */
export interface FtpWriter {
  /**
   * Writes some of `p`.
   *
   * @param p The bytes.
   * @returns How many were written.
   */
  write(p: Uint8Array): Promise<number>;
}

const DEFAULT_TIMEOUT = 30_000;
const DEFAULT_MAX_LISTING_BYTES = 40 * 1024 * 1024;
const DEFAULT_CHUNK_SIZE = 256 * 1024;
const WRITER_BUFFER_SIZE = 1024 * 1024;
/** EPSV replies that mean "not supported here": fall back to PASV. */
const EPSV_REFUSED = [500, 501, 502, 504, 522] as const;

interface OpenedTransfer {
  transfer: Transfer;
  first: Reply;
}

/**
 * An FTP client session: one control connection, one command at a time.
 *
 * Methods are serialized; a download stream is valid until the next command,
 * which abandons whatever was not read (closes the data connection and reads
 * the server's 426 or 226). Errors are typed: {@linkcode FtpReplyError} and
 * its subclasses for unexpected replies (`transient` for 4xx),
 * `ProtocolError` for garbage, `TimeoutError`, `ConnectionClosedError`,
 * `CommandInjectionError` for an argument with CR, LF or NUL.
 *
 * @example Usage
 * ```ts ignore
 * import { FtpClient } from "./ftp.ts";
 *
 * const client = await FtpClient.connect({ hostname: "127.0.0.1", port: 2121 });
 * try {
 *   console.log(await client.pwd());
 *   const file = await Deno.open("big.bin", { write: true, create: true, truncate: true });
 *   try {
 *     await client.downloadTo("/pub/big.bin", file);
 *   } finally {
 *     file.close();
 *   }
 * } finally {
 *   await client.close();
 * }
 * ```
 */
export class FtpClient {
  #control: TextProtoConn;
  #options: FtpClientOptions;
  #hostname: string;
  #lock = new Lock();
  #features = new Map<string, string>();
  #type: "I" | "A" | undefined;
  #epsv: boolean | undefined;
  #mlsd = false;
  #protected = false;
  #transfer: Transfer | undefined;
  #busy = 0;
  #closing: Promise<void> | undefined;
  #spare: Uint8Array | undefined;

  private constructor(
    control: TextProtoConn,
    hostname: string,
    options: FtpClientOptions,
  ) {
    this.#control = control;
    this.#hostname = hostname;
    this.#options = options;
    if (options.epsv === false) this.#epsv = false;
  }

  /**
   * Connects, reads the greeting, secures the session when asked, logs in and
   * reads the server's features.
   *
   * @param target An `ftp://user:pass@host:port/` or `ftps://` URL (the
   * path is ignored), or the options.
   * @param options Options; with a URL, these override what the URL says.
   * @returns The logged-in client.
   * @throws {FtpAuthError} When the login is refused.
   * @throws {FtpReplyError} When the greeting or `AUTH TLS` is refused.
   * @throws {ConnectError} When the server cannot be reached.
   * @throws {TimeoutError} When the server does not answer in time.
   *
   * @example Usage
   * ```ts ignore
   * import { FtpClient } from "./ftp.ts";
   *
   * const client = await FtpClient.connect("ftp://labuser:labpass@127.0.0.1:2121/", {
   *   secure: true,
   *   caCerts: [await Deno.readTextFile("ca.crt")],
   * });
   * await client.close();
   * ```
   */
  static async connect(
    target: string | URL | FtpClientOptions,
    options: FtpClientOptions = {},
  ): Promise<FtpClient> {
    let merged: FtpClientOptions;
    if (typeof target === "string" || target instanceof URL) {
      const { path: _path, ...fromUrl } = parseFtpUrl(target);
      merged = { ...fromUrl, ...options };
    } else {
      merged = { ...target, ...options };
    }
    const hostname = merged.hostname;
    if (!hostname) {
      throw new TypeError("Cannot connect: no hostname given");
    }
    const implicit = merged.secure === "implicit";
    const timeout = merged.timeout ?? DEFAULT_TIMEOUT;
    const conn = await dial({
      hostname,
      port: merged.port ?? (implicit ? 990 : 21),
      tls: implicit,
      timeout,
      ...(merged.caCerts ? { caCerts: merged.caCerts } : {}),
      ...(merged.signal ? { signal: merged.signal } : {}),
    });
    const control = new TextProtoConn(conn, {
      timeout,
      ...(merged.signal ? { signal: merged.signal } : {}),
      ...(merged.maxReplyBytes ? { maxReplyBytes: merged.maxReplyBytes } : {}),
      ...(merged.debug ? { debug: merged.debug } : {}),
    });
    const client = new FtpClient(control, hostname, merged);
    try {
      await client.#start();
    } catch (err) {
      control.close();
      throw err;
    }
    return client;
  }

  /**
   * The features the server listed in its FEAT reply, upper-case names to
   * parameters (`"MLST" → "type*;size*;modify*;"`, `"UTF8" → ""`).
   *
   * @returns The features (empty when FEAT is not supported).
   */
  get features(): ReadonlyMap<string, string> {
    return this.#features;
  }

  /**
   * True until the session is closed or has failed.
   *
   * @returns Whether the client can still be used.
   */
  get isOpen(): boolean {
    return this.#control.isOpen;
  }

  /**
   * Whether data connections use TLS (`PROT P` was accepted).
   *
   * @returns True for an FTPS session with protected data.
   */
  get isSecure(): boolean {
    return this.#protected;
  }

  /**
   * Reads the server's system type (SYST), such as `"UNIX Type: L8"`.
   *
   * @returns The reply text.
   * @throws {FtpReplyError} When SYST is refused.
   */
  system(): Promise<string> {
    return this.#run(async () => (await this.#cmd("SYST", [], 2)).text);
  }

  /**
   * Reads the current directory (PWD).
   *
   * @returns The path, with doubled quotes undone.
   * @throws {ProtocolError} When the reply holds no quoted path.
   */
  pwd(): Promise<string> {
    return this.#run(() => this.#pwd());
  }

  /**
   * Changes the current directory (CWD).
   *
   * @param path The directory.
   * @throws {FtpNotFoundError} When it does not exist.
   */
  cwd(path: string): Promise<void> {
    return this.#run(async () => {
      await this.#cmd("CWD", [path], 2, `Cannot change to "${path}"`);
    });
  }

  /**
   * Changes to the parent directory (CDUP).
   *
   * @throws {FtpReplyError} When refused.
   */
  cdup(): Promise<void> {
    return this.#run(async () => {
      await this.#cmd("CDUP", [], 2);
    });
  }

  /**
   * Sends NOOP, to keep an idle session alive or check that it still is.
   *
   * @throws {FtpReplyError} When refused.
   */
  noop(): Promise<void> {
    return this.#run(async () => {
      await this.#cmd("NOOP", [], 2);
    });
  }

  /**
   * Sends any command that does not open a data connection and returns the
   * reply whatever its code (except 421, which closes the session).
   *
   * @param verb The verb, such as `"SITE"`.
   * @param args Its arguments.
   * @returns The reply.
   * @throws {CommandInjectionError} When a part holds CR, LF or NUL.
   */
  command(verb: string, ...args: string[]): Promise<Reply> {
    return this.#run(() => this.#cmd(verb, args, 0));
  }

  /**
   * Lists a directory: MLSD when FEAT offers MLST, else LIST read by the
   * Unix and DOS parsers. Unreadable lines are returned in `unparsed`.
   *
   * @param path The directory; the current one when omitted.
   * @returns The entries and unparsed lines.
   * @throws {ProtocolError} When the listing exceeds `maxListingBytes` or
   * `maxListingEntries`.
   * @throws {FtpNotFoundError} When the directory does not exist.
   */
  list(path?: string): Promise<FtpListing> {
    return this.#run(async () => {
      if (this.#mlsd) {
        try {
          const text = await this.#readListing("MLSD", path);
          return this.#parseListing(text, "MLSD");
        } catch (err) {
          if (
            !(err instanceof FtpReplyError) ||
            (err.code !== 500 && err.code !== 502)
          ) throw err;
          this.#mlsd = false;
        }
      }
      const text = await this.#readListing("LIST", listPath(path));
      return this.#parseListing(text, "LIST");
    });
  }

  /**
   * Lists names only (NLST).
   *
   * @param path The directory; the current one when omitted.
   * @returns The names as the server sent them (some servers prefix the path).
   */
  nlst(path?: string): Promise<string[]> {
    return this.#run(async () => {
      const text = await this.#readListing("NLST", listPath(path));
      return text.split("\n").map((line) => line.replace(/\r$/, ""))
        .filter((line) => line !== "");
    });
  }

  /**
   * Describes one file or directory: MLST when FEAT offers it, else SIZE and
   * MDTM (and, when SIZE is refused, a CWD test for a directory).
   *
   * @param path The path.
   * @returns The entry; its name is the path as given or as the server wrote it.
   * @throws {FtpNotFoundError} When it does not exist.
   */
  stat(path: string): Promise<FtpEntry> {
    return this.#run(async () => {
      if (this.#features.has("MLST")) {
        const reply = await this.#cmd(
          "MLST",
          [path],
          250,
          `Cannot stat "${path}"`,
        );
        try {
          return parseMlstReply(reply.lines);
        } catch (err) {
          throw this.#broken(`Malformed MLST reply for "${path}"`, err);
        }
      }
      return await this.#statFallback(path);
    });
  }

  /**
   * Reads a file's size (SIZE, in binary mode).
   *
   * @param path The file.
   * @returns Its size in bytes.
   * @throws {FtpNotFoundError} When it does not exist (or is a directory).
   */
  size(path: string): Promise<number> {
    return this.#run(() => this.#size(path));
  }

  /**
   * Reads a file's modification time (MDTM), in UTC.
   *
   * @param path The file.
   * @returns The time.
   * @throws {FtpNotFoundError} When it does not exist.
   */
  modifiedTime(path: string): Promise<Date> {
    return this.#run(() => this.#modifiedTime(path));
  }

  /**
   * Sets a file's modification time (MFMT, RFC 3659 draft), to the second.
   *
   * @param path The file.
   * @param date The new time.
   * @throws {FtpReplyError} When refused.
   */
  setModifiedTime(path: string, date: Date): Promise<void> {
    return this.#run(async () => {
      await this.#cmd(
        "MFMT",
        [formatFtpTime(date), path],
        2,
        `Cannot set the time of "${path}"`,
      );
    });
  }

  /**
   * Deletes a file (DELE).
   *
   * @param path The file.
   * @throws {FtpNotFoundError} When it does not exist.
   */
  remove(path: string): Promise<void> {
    return this.#run(async () => {
      await this.#cmd("DELE", [path], 2, `Cannot delete "${path}"`);
    });
  }

  /**
   * Renames or moves a file or directory (RNFR, RNTO).
   *
   * @param from The current path.
   * @param to The new path.
   * @throws {FtpNotFoundError} When `from` does not exist.
   */
  rename(from: string, to: string): Promise<void> {
    return this.#run(async () => {
      await this.#cmd("RNFR", [from], 350, `Cannot rename "${from}"`);
      await this.#cmd("RNTO", [to], 2, `Cannot rename "${from}" to "${to}"`);
    });
  }

  /**
   * Creates a directory (MKD).
   *
   * @param path The directory.
   * @returns The created path as the server reports it (else `path`).
   * @throws {FtpReplyError} When refused (550 when it exists on most servers).
   */
  mkdir(path: string): Promise<string> {
    return this.#run(async () => {
      const reply = await this.#cmd(
        "MKD",
        [path],
        2,
        `Cannot create "${path}"`,
      );
      return parseQuotedPath(reply.text) ?? path;
    });
  }

  /**
   * Removes an empty directory (RMD).
   *
   * @param path The directory.
   * @throws {FtpReplyError} When refused.
   */
  rmdir(path: string): Promise<void> {
    return this.#run(async () => {
      await this.#cmd("RMD", [path], 2, `Cannot remove "${path}"`);
    });
  }

  /**
   * Downloads a file (RETR) as a byte stream. The stream closes only after
   * the data connection ended and the server confirmed the transfer; a
   * 4xx/5xx reply, a timeout or a reset errors it. It is valid until the next
   * command on this client; cancelling it abandons the transfer.
   *
   * A BYOB reader (`stream.getReader({ mode: "byob" })`) receives the data
   * straight into its own buffer, the fastest way to consume it.
   *
   * @param path The file.
   * @param options Offset (REST), type, progress and abort signal.
   * @returns The content from `offset` on.
   * @throws {FtpNotFoundError} When the file does not exist.
   */
  download(
    path: string,
    options: FtpDownloadOptions = {},
  ): Promise<ReadableStream<Uint8Array>> {
    return this.#run(() => this.#download(path, options));
  }

  /**
   * Downloads a file into a `WritableStream` (closed at the end) or anything
   * with a `write(p)` method like `Deno.FsFile` (left open; one buffer is
   * reused, so nothing is allocated per chunk).
   *
   * @param path The file.
   * @param target Where the bytes go.
   * @param options Offset (REST), type, progress and abort signal.
   * @returns Bytes transferred.
   * @throws {FtpNotFoundError} When the file does not exist.
   */
  downloadTo(
    path: string,
    target: WritableStream<Uint8Array> | FtpWriter,
    options: FtpDownloadOptions = {},
  ): Promise<number> {
    return this.#run(async () => {
      if (target instanceof WritableStream) {
        const stream = await this.#download(path, options);
        let count = 0;
        await stream.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              count += chunk.byteLength;
              controller.enqueue(chunk);
            },
          }),
        ).pipeTo(target);
        return count;
      }
      const offset = options.offset ?? 0;
      const { transfer, first } = await this.#openTransfer("RETR", path, {
        type: options.type,
        offset,
        context: `Cannot download "${path}"`,
      });
      // One buffer per client, reused from download to download.
      const buffer = this.#spare ?? new Uint8Array(WRITER_BUFFER_SIZE);
      this.#spare = undefined;
      try {
        return await downloadToWriter(transfer, target, buffer, {
          chunkSize: buffer.byteLength,
          offset,
          total: options.size ?? parseSizeInReply(first.text),
          onProgress: options.onProgress,
          signal: options.signal,
        });
      } finally {
        this.#spare = buffer;
        this.#transfer = undefined;
      }
    });
  }

  /**
   * Uploads a file: STOR, APPE with `append`, or REST then STOR with
   * `offset`.
   *
   * @param path The remote file.
   * @param body The content: a stream, bytes or a string (UTF-8).
   * @param options Append, offset, type, progress and abort signal.
   * @returns Bytes sent.
   * @throws {FtpReplyError} When the server refuses or aborts the transfer.
   */
  upload(
    path: string,
    body: ReadableStream<Uint8Array> | Uint8Array | string,
    options: FtpUploadOptions = {},
  ): Promise<number> {
    return this.#run(async () => {
      const offset = options.offset ?? 0;
      const verb = options.append ? "APPE" : "STOR";
      const known = typeof body === "string"
        ? new TextEncoder().encode(body).byteLength
        : body instanceof Uint8Array
        ? body.byteLength
        : undefined;
      const total = options.size ??
        (known === undefined ? undefined : offset + known);
      const { transfer } = await this.#openTransfer(verb, path, {
        type: options.type,
        offset,
        context: `Cannot upload "${path}"`,
      });
      try {
        return await uploadBody(transfer, body, {
          offset,
          total,
          onProgress: options.onProgress,
          signal: options.signal,
        });
      } finally {
        this.#transfer = undefined;
      }
    });
  }

  /**
   * Ends the session: QUIT when idle (a transfer in progress is cut), then
   * closes the connection. Safe to call more than once.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /**
   * Closes the session (for `await using`).
   *
   * @returns When closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- session setup ------------------------------------------------------

  async #start(): Promise<void> {
    const options = this.#options;
    let greeting = await this.#control.readReply();
    while (greeting.code === 120) greeting = await this.#control.readReply();
    if (greeting.code !== 220) {
      throw ftpReplyError(greeting, "greeting", "Server refused the session");
    }
    if (options.secure === true) {
      await this.#cmd("AUTH", ["TLS"], 234, "Cannot start TLS with AUTH TLS");
      await this.#control.startTls({
        hostname: this.#hostname,
        ...(options.caCerts ? { caCerts: options.caCerts } : {}),
      });
    }
    await this.#login(
      options.user ?? "anonymous",
      options.password ?? "anonymous@",
    );
    if (options.secure) {
      await this.#cmd("PBSZ", ["0"], 2, "Cannot set up TLS data protection");
      await this.#cmd("PROT", ["P"], 2, "Cannot protect data connections");
      this.#protected = true;
    }
    const feat = await this.#cmd("FEAT", [], 0);
    if (feat.code === 211) this.#features = parseFeatures(feat);
    this.#mlsd = this.#features.has("MLST");
    if (this.#features.has("UTF8") && options.utf8 !== false) {
      await this.#cmd("OPTS", ["UTF8", "ON"], 0);
    }
  }

  async #login(user: string, password: string): Promise<void> {
    const reply = await this.#cmd(
      "USER",
      [user],
      [230, 331, 332],
      "Login failed",
    );
    if (reply.code === 230) return;
    if (reply.code === 332) {
      throw ftpReplyError(
        reply,
        "USER",
        "Login failed: accounts are not supported",
      );
    }
    await this.#cmd("PASS", [password], [230, 202], "Login failed", true);
  }

  async #close(): Promise<void> {
    const transfer = this.#transfer;
    if (transfer && !transfer.done) {
      transfer.data.close();
      this.#control.close();
      return;
    }
    if (this.#busy === 0 && this.#control.isOpen) {
      try {
        this.#control.timeout = Math.min(
          this.#control.timeout || 5000,
          5000,
        );
        await this.#lock.run(() => this.#cmd("QUIT", [], 0));
      } catch {
        // The server may close without replying.
      }
    }
    this.#control.close();
  }

  // ---- commands -----------------------------------------------------------

  async #run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#closing) {
      throw new ConnectionClosedError("Client is closed");
    }
    this.#busy++;
    try {
      return await this.#lock.run(task);
    } finally {
      this.#busy--;
    }
  }

  async #settle(): Promise<void> {
    const transfer = this.#transfer;
    this.#transfer = undefined;
    if (transfer && !transfer.done) {
      await transfer.abort(
        new ConnectionClosedError(
          "Download was abandoned because another command was sent",
        ),
      );
    }
  }

  async #cmd(
    verb: string,
    args: string[],
    expect: ExpectedCode,
    context?: string,
    secret = false,
  ): Promise<Reply> {
    await this.#settle();
    if (secret) await this.#control.writeSecretCommand(verb, ...args);
    else await this.#control.writeCommand(verb, ...args);
    return this.#reply(verb, expect, context);
  }

  async #reply(
    verb: string,
    expect: ExpectedCode,
    context?: string,
  ): Promise<Reply> {
    const reply = await this.#control.readReply();
    if (reply.code === 421) {
      const err = ftpReplyError(reply, verb, "Server is closing the session");
      this.#control.fail(err);
      throw err;
    }
    if (!codeMatches(reply.code, expect)) {
      throw ftpReplyError(reply, verb, context);
    }
    return reply;
  }

  #broken(message: string, cause: unknown): ProtocolError {
    const err = new ProtocolError(message, { cause });
    return err;
  }

  async #pwd(): Promise<string> {
    const reply = await this.#cmd("PWD", [], 257);
    const path = parseQuotedPath(reply.text);
    if (path === undefined) {
      throw new ProtocolError(
        `Malformed PWD reply: ${JSON.stringify(reply.text.slice(0, 80))}`,
      );
    }
    return path;
  }

  async #setType(type: "binary" | "ascii" | undefined): Promise<void> {
    const code = type === "ascii" ? "A" : "I";
    if (this.#type === code) return;
    await this.#cmd("TYPE", [code], 2, "Cannot set the transfer type");
    this.#type = code;
  }

  async #size(path: string): Promise<number> {
    await this.#setType("binary");
    const reply = await this.#cmd("SIZE", [path], 213, `Cannot size "${path}"`);
    return parseSizeReply(reply.text);
  }

  async #modifiedTime(path: string): Promise<Date> {
    const reply = await this.#cmd(
      "MDTM",
      [path],
      213,
      `Cannot read the time of "${path}"`,
    );
    try {
      return parseFtpTime(reply.text);
    } catch (err) {
      throw this.#broken(
        `Malformed MDTM reply: ${JSON.stringify(reply.text.slice(0, 80))}`,
        err,
      );
    }
  }

  async #statFallback(path: string): Promise<FtpEntry> {
    let size: number | undefined;
    let sizeError: unknown;
    try {
      size = await this.#size(path);
    } catch (err) {
      if (!(err instanceof FtpReplyError) || err.code === 421) throw err;
      sizeError = err;
    }
    if (size === undefined) {
      // SIZE is refused for directories: test with CWD and go back.
      const here = await this.#pwd();
      try {
        await this.#cmd("CWD", [path], 2);
      } catch (err) {
        if (err instanceof FtpReplyError && err.code !== 421) throw sizeError;
        throw err;
      }
      await this.#cmd("CWD", [here], 2, `Cannot return to "${here}"`);
      return { name: path, type: "dir", facts: {}, raw: "" };
    }
    const entry: FtpEntry = {
      name: path,
      type: "file",
      size,
      facts: {},
      raw: "",
    };
    try {
      entry.modified = await this.#modifiedTime(path);
      entry.modifiedPrecision = "second";
    } catch (err) {
      if (!(err instanceof FtpReplyError) || err.code === 421) throw err;
    }
    return entry;
  }

  // ---- data connections ---------------------------------------------------

  #peerHostname(): string {
    return (this.#control.conn.remoteAddr as Deno.NetAddr).hostname;
  }

  async #openPassive(): Promise<Deno.TcpConn> {
    const peer = this.#peerHostname();
    const timeout = this.#options.timeout ?? DEFAULT_TIMEOUT;
    let port: number | undefined;
    if (this.#epsv !== false) {
      const reply = await this.#cmd("EPSV", [], 0);
      if (reply.code === 229) {
        port = parseEpsvReply(reply.text);
        this.#epsv = true;
      } else if (
        this.#epsv === undefined &&
        (EPSV_REFUSED as readonly number[]).includes(reply.code)
      ) {
        this.#epsv = false;
        this.#note(`EPSV refused (${reply.code}); using PASV from now on`);
      } else {
        throw ftpReplyError(reply, "EPSV", "Cannot open a data connection");
      }
    }
    if (port === undefined) {
      const reply = await this.#cmd(
        "PASV",
        [],
        227,
        "Cannot open a data connection",
      );
      const named = parsePasvReply(reply.text);
      if (named.hostname !== peer.replace(/^::ffff:/i, "")) {
        this.#note(
          `PASV names ${named.hostname}; connecting to ${peer} instead`,
        );
      }
      port = named.port;
    }
    return await connectData(peer, port, timeout, this.#options.signal);
  }

  async #openTransfer(
    verb: string,
    path: string | undefined,
    options: {
      type: "binary" | "ascii" | undefined;
      offset: number;
      context: string;
    },
  ): Promise<OpenedTransfer> {
    await this.#settle();
    await this.#setType(options.type);
    const timeout = this.#options.timeout ?? DEFAULT_TIMEOUT;
    let tcp: Deno.TcpConn | undefined;
    let listener: ActiveListener | undefined;
    let first: Reply;
    try {
      if (this.#options.passive === false) {
        const local = (this.#control.conn.localAddr as Deno.NetAddr).hostname;
        listener = new ActiveListener(local);
        const { verb: portVerb, argument } = activeModeCommand(
          local,
          listener.addr.port,
        );
        await this.#cmd(
          portVerb,
          [argument],
          2,
          "Cannot open a data connection",
        );
      } else {
        tcp = await this.#openPassive();
      }
      if (options.offset > 0) {
        if (!Number.isSafeInteger(options.offset)) {
          throw new RangeError(`Invalid offset: ${options.offset}`);
        }
        await this.#cmd(
          "REST",
          [String(options.offset)],
          350,
          `${options.context}: cannot resume at ${options.offset}`,
        );
      }
      first = await this.#cmd(
        verb,
        path === undefined ? [] : [path],
        [1, 2],
        options.context,
      );
      if (listener) {
        tcp = await listener.accept(this.#peerHostname(), timeout);
      }
    } catch (err) {
      listener?.close();
      closeQuietly(tcp);
      throw err;
    }
    const data = new DataConnection(tcp!, timeout);
    const transfer = new Transfer(this.#control, data, first, {
      verb,
      timeout,
      keepAliveInterval: this.#options.keepAliveInterval ?? 0,
      tls: this.#protected,
    });
    this.#transfer = transfer;
    if (this.#protected) {
      try {
        const tls = await startDataTls(tcp!, {
          hostname: this.#hostname,
          ...(this.#options.caCerts ? { caCerts: this.#options.caCerts } : {}),
        });
        data.setConn(tls);
        await data.guard(
          "complete the TLS handshake on the data connection",
          () => tls.handshake(),
        );
      } catch (err) {
        this.#transfer = undefined;
        await transfer.fail(err);
      }
    }
    return { transfer, first };
  }

  async #download(
    path: string,
    options: FtpDownloadOptions,
  ): Promise<ReadableStream<Uint8Array>> {
    const offset = options.offset ?? 0;
    const { transfer, first } = await this.#openTransfer("RETR", path, {
      type: options.type,
      offset,
      context: `Cannot download "${path}"`,
    });
    const announced = parseSizeInReply(first.text);
    return downloadStream(transfer, {
      chunkSize: this.#options.chunkSize ?? DEFAULT_CHUNK_SIZE,
      offset,
      total: options.size ?? announced,
      onProgress: options.onProgress,
      signal: options.signal,
    });
  }

  async #readListing(
    verb: "MLSD" | "LIST" | "NLST",
    path: string | undefined,
  ): Promise<string> {
    const { transfer } = await this.#openTransfer(verb, path, {
      type: "binary",
      offset: 0,
      context: `Cannot list "${path ?? "."}"`,
    });
    const limit = this.#options.maxListingBytes ?? DEFAULT_MAX_LISTING_BYTES;
    const chunks: Uint8Array<ArrayBuffer>[] = [];
    let size = 0;
    try {
      while (true) {
        const buffer = new Uint8Array(64 * 1024);
        let n: number | null;
        try {
          n = await transfer.data.read(buffer);
        } catch (err) {
          await transfer.fail(err);
          throw err;
        }
        if (n === null) break;
        transfer.count(n);
        size += n;
        if (size > limit) {
          await transfer.abort();
          throw new ProtocolError(
            `Listing exceeds the limit of ${limit} bytes`,
          );
        }
        chunks.push(buffer.subarray(0, n));
      }
      await transfer.finish();
    } finally {
      this.#transfer = undefined;
    }
    return decodeListing(concatBytes(chunks));
  }

  #parseListing(text: string, command: "MLSD" | "LIST"): FtpListing {
    const maxEntries = this.#options.maxListingEntries ??
      DEFAULT_MAX_LISTING_ENTRIES;
    let result;
    try {
      result = parseListing(text, { maxEntries });
    } catch (err) {
      throw new ProtocolError(
        `Listing has more than ${maxEntries} entries`,
        { cause: err },
      );
    }
    const entries = result.entries.filter((entry) => {
      const kind = entry.facts.type?.toLowerCase();
      return entry.name !== "." && entry.name !== ".." &&
        kind !== "cdir" && kind !== "pdir";
    });
    return { entries, unparsed: result.unparsed, command };
  }

  #note(text: string): void {
    this.#options.debug?.("recv", `# ${text}`);
  }
}

function listPath(path: string | undefined): string | undefined {
  if (path === undefined || path === "") return undefined;
  // LIST and NLST arguments reach `ls` on many servers: keep a leading dash
  // from being read as an option.
  return path.startsWith("-") ? `./${path}` : path;
}
