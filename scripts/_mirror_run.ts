/**
 * The engine of `ftp_mirror.ts`: a walker over the remote tree whose jobs
 * (list a directory, check and fetch a file) run on a pool of FTP
 * connections, with retries and backoff for transient failures, followed by
 * the `--delete` pass once the listing is known to be complete.
 *
 * @module
 */

import {
  ConnectError,
  ConnectionClosedError,
  isPeerGone,
  ProtocolError,
  TimeoutError,
} from "../protocols/errors.ts";
import {
  FtpClient,
  type FtpClientOptions,
  type FtpEntry,
  FtpReplyError,
  parseFtpUrl,
} from "../protocols/ftp.ts";
import { isSafeEntryName } from "../protocols/ftp_list.ts";
import { PathFilter } from "./_mirror_glob.ts";
import {
  type LocalStat,
  LocalTree,
  PART_SUFFIX,
  partName,
} from "./_mirror_local.ts";
import type { MirrorProgress } from "./_mirror_progress.ts";
import { LocalPathError } from "./_mirror_local.ts";

/** Options for `mirror()`. */
export interface MirrorOptions {
  /** The remote directory: `ftp://[user:pass@]host[:port]/path` (or `ftps://`). */
  url: string | URL;
  /** The local target directory (created when missing). */
  dir: string;
  /**
   * Number of FTP connections.
   *
   * @default {4}
   */
  parallel?: number;
  /**
   * Remove local files (and then empty directories) that are not on the
   * remote side, once the whole remote listing was read without error.
   *
   * @default {false}
   */
  delete?: boolean;
  /**
   * With `delete`, refuse to delete anything when more than this many local
   * entries would go.
   *
   * @default {Infinity}
   */
  maxDelete?: number;
  /** Globs a file must match (any), when given. */
  include?: string[];
  /** Globs of files and directories to leave out (they are never deleted either). */
  exclude?: string[];
  /**
   * List and compare, report what would be fetched and deleted, write nothing.
   *
   * @default {false}
   */
  dryRun?: boolean;
  /**
   * Descend into subdirectories.
   *
   * @default {true}
   */
  recursive?: boolean;
  /**
   * Retries of an operation that failed transiently (4xx, reset, timeout).
   *
   * @default {3}
   */
  retries?: number;
  /**
   * Milliseconds before the first retry; doubled for each further one.
   *
   * @default {500}
   */
  retryDelay?: number;
  /** Options for each FTP connection (timeout, FTPS, CA certificates, passive). */
  client?: FtpClientOptions;
  /** Stops the mirror; partial files stay for a later resume. */
  signal?: AbortSignal;
  /** Receives what happens, for logging and progress display. */
  onEvent?: (event: MirrorEvent) => void;
}

/** Something the mirror did or found. */
export type MirrorEvent =
  | {
    kind: "get";
    path: string;
    bytes: number;
    offset: number;
    planned: boolean;
  }
  | { kind: "unchanged"; path: string }
  | { kind: "skip"; path: string; reason: string }
  | { kind: "warning"; message: string }
  | {
    kind: "retry";
    path: string;
    attempt: number;
    delay: number;
    error: Error;
  }
  | { kind: "failure"; path: string; error: Error }
  | { kind: "delete"; path: string; planned: boolean }
  | { kind: "progress"; progress: MirrorProgress };

/** One path that could not be mirrored. */
export interface MirrorFailure {
  /** Path relative to the root (`""` for the mirror as a whole). */
  path: string;
  /** What went wrong. */
  error: Error;
}

/** What a mirror run did. */
export interface MirrorSummary {
  /** Files downloaded (in a dry run: that would be). */
  files: number;
  /** Bytes received (in a dry run: that would be). */
  bytes: number;
  /** Files already up to date. */
  unchanged: number;
  /** Local entries deleted (in a dry run: that would be). */
  deleted: number;
  /** Remote entries left out: unsafe names, links, other types, excluded paths. */
  skipped: number;
  /** Warnings given (unsafe names, unreadable listing lines). */
  warnings: string[];
  /** What failed; empty on success. */
  failures: MirrorFailure[];
  /** Wall time in seconds. */
  seconds: number;
  /** Whether this was a dry run. */
  dryRun: boolean;
  /** Whether the run was stopped by the abort signal. */
  aborted: boolean;
}

/** A downloaded file's size differs from the listed one. */
class SizeMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}

interface ListJob {
  kind: "list";
  remote: string;
  rel: string;
}

interface FileJob {
  kind: "file";
  remote: string;
  rel: string;
  entry: FtpEntry;
}

type Job = ListJob | FileJob;

interface Slot {
  client: FtpClient | undefined;
}

function isRetryable(err: unknown): boolean {
  if (err instanceof FtpReplyError) return err.transient;
  return err instanceof ConnectionClosedError ||
    err instanceof TimeoutError ||
    err instanceof ConnectError ||
    err instanceof ProtocolError ||
    err instanceof SizeMismatchError || isPeerGone(err);
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

const PRECISION_MS = { second: 1000, minute: 60_000, day: 86_400_000 };

function sameTime(
  local: Date | null,
  remote: Date,
  precision: keyof typeof PRECISION_MS,
): boolean {
  if (!local) return false;
  const unit = PRECISION_MS[precision];
  return Math.floor(local.getTime() / unit) ===
    Math.floor(remote.getTime() / unit);
}

/** One mirror run. */
export class MirrorRun {
  #options: MirrorOptions;
  #filter: PathFilter;
  #retries: number;
  #retryDelay: number;
  #lists: ListJob[] = [];
  #files: FileJob[] = [];
  #active = 0;
  #waiters: (() => void)[] = [];
  #remoteFiles = new Set<string>();
  #remoteDirs = new Set<string>();
  #listingComplete = true;
  #local!: LocalTree;
  #started = performance.now();
  #lastProgress = 0;
  #progress: MirrorProgress = {
    filesDone: 0,
    filesToGet: 0,
    filesChecked: 0,
    filesListed: 0,
    bytesDone: 0,
    bytesToGet: 0,
    listingDone: false,
    elapsed: 0,
  };
  #summary: MirrorSummary;

  /**
   * Prepares a run.
   *
   * @param options The mirror options.
   */
  constructor(options: MirrorOptions) {
    this.#options = options;
    this.#filter = new PathFilter(options.include ?? [], options.exclude ?? []);
    this.#retries = options.retries ?? 3;
    this.#retryDelay = options.retryDelay ?? 500;
    this.#summary = {
      files: 0,
      bytes: 0,
      unchanged: 0,
      deleted: 0,
      skipped: 0,
      warnings: [],
      failures: [],
      seconds: 0,
      dryRun: !!options.dryRun,
      aborted: false,
    };
  }

  /**
   * Runs the mirror.
   *
   * @returns The summary.
   */
  async run(): Promise<MirrorSummary> {
    const options = this.#options;
    const parallel = options.parallel ?? 4;
    if (!Number.isInteger(parallel) || parallel < 1) {
      throw new RangeError(`Invalid parallel connection count: ${parallel}`);
    }
    const url = parseFtpUrl(options.url);
    this.#local = await LocalTree.open(options.dir, !!options.dryRun);
    const first: Slot = { client: undefined };
    let root = url.path.replace(/\/+$/, "");
    try {
      if (root === "") {
        root = await this.#attempt("", first, (client) => client.pwd());
      }
    } catch (err) {
      this.#fail("", err);
      await this.#closeSlot(first);
      return this.#finish();
    }
    this.#lists.push({ kind: "list", remote: root || "/", rel: "" });
    const workers = [this.#worker(first)];
    for (let i = 1; i < parallel; i++) {
      workers.push(this.#worker({ client: undefined }));
    }
    await Promise.all(workers);
    this.#progress.listingDone = true;
    this.#emitProgress(true);
    if (options.signal?.aborted) {
      this.#summary.aborted = true;
    } else if (options.delete) {
      try {
        await this.#deleteExtra();
      } catch (err) {
        this.#fail("", err);
      }
    }
    return this.#finish();
  }

  #finish(): MirrorSummary {
    this.#summary.seconds = (performance.now() - this.#started) / 1000;
    this.#summary.bytes = this.#options.dryRun
      ? this.#progress.bytesToGet
      : this.#progress.bytesDone;
    return this.#summary;
  }

  #emit(event: MirrorEvent): void {
    this.#options.onEvent?.(event);
  }

  #emitProgress(force = false): void {
    const now = performance.now();
    if (!force && now - this.#lastProgress < 100) return;
    this.#lastProgress = now;
    this.#progress.elapsed = (now - this.#started) / 1000;
    this.#emit({ kind: "progress", progress: { ...this.#progress } });
  }

  #warn(message: string): void {
    this.#summary.warnings.push(message);
    this.#emit({ kind: "warning", message });
  }

  #fail(path: string, err: unknown): void {
    const error = asError(err);
    this.#summary.failures.push({ path, error });
    this.#emit({ kind: "failure", path, error });
  }

  // ---- scheduling ---------------------------------------------------------

  async #next(): Promise<Job | undefined> {
    while (true) {
      if (this.#options.signal?.aborted) return undefined;
      // Listing first: the totals and the --delete decision depend on it.
      const job = this.#lists.shift() ?? this.#files.shift();
      if (job) {
        this.#active++;
        return job;
      }
      if (this.#active === 0) {
        this.#progress.listingDone = true;
        return undefined;
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  async #worker(slot: Slot): Promise<void> {
    try {
      while (true) {
        const job = await this.#next();
        if (!job) break;
        try {
          if (job.kind === "list") await this.#list(job, slot);
          else await this.#file(job, slot);
        } finally {
          this.#active--;
          this.#wake();
        }
      }
    } finally {
      await this.#closeSlot(slot);
      this.#wake();
    }
  }

  async #closeSlot(slot: Slot): Promise<void> {
    const client = slot.client;
    slot.client = undefined;
    await client?.close().catch(() => {});
  }

  async #attempt<T>(
    path: string,
    slot: Slot,
    fn: (client: FtpClient) => Promise<T>,
  ): Promise<T> {
    const signal = this.#options.signal;
    for (let attempt = 1;; attempt++) {
      try {
        slot.client ??= await FtpClient.connect(this.#options.url, {
          ...this.#options.client,
          ...(signal ? { signal } : {}),
        });
        return await fn(slot.client);
      } catch (err) {
        if (slot.client && !slot.client.isOpen) await this.#closeSlot(slot);
        if (signal?.aborted) throw signal.reason;
        if (attempt > this.#retries || !isRetryable(err)) throw err;
        const delay = this.#retryDelay * 2 ** (attempt - 1);
        this.#emit({
          kind: "retry",
          path,
          attempt,
          delay,
          error: asError(err),
        });
        await sleep(delay, signal);
      }
    }
  }

  // ---- listing ------------------------------------------------------------

  async #list(job: ListJob, slot: Slot): Promise<void> {
    let listing;
    try {
      listing = await this.#attempt(
        job.rel,
        slot,
        (client) => client.list(job.remote),
      );
    } catch (err) {
      this.#listingComplete = false;
      this.#fail(job.rel, err);
      return;
    }
    if (listing.unparsed.length > 0) {
      this.#listingComplete = false;
      this.#warn(
        `Listing of ${
          JSON.stringify(job.remote)
        } has ${listing.unparsed.length} unreadable lines`,
      );
    }
    let localDir = true;
    if (!this.#options.dryRun) {
      try {
        await this.#local.dir(job.rel);
      } catch (err) {
        // Files of this directory cannot be written; they still count as
        // remote files so that --delete leaves their local paths alone.
        this.#fail(job.rel, err);
        localDir = false;
      }
    }
    const seen = new Set<string>();
    for (const entry of listing.entries) {
      const name = entry.name;
      if (!isSafeEntryName(name)) {
        this.#summary.skipped++;
        this.#warn(
          `Skipping unsafe name ${JSON.stringify(name)} in ${
            JSON.stringify(job.remote)
          }`,
        );
        continue;
      }
      if (seen.has(name)) {
        this.#summary.skipped++;
        this.#warn(
          `Skipping duplicate name ${JSON.stringify(name)} in ${
            JSON.stringify(job.remote)
          }`,
        );
        continue;
      }
      seen.add(name);
      const rel = job.rel ? `${job.rel}/${name}` : name;
      const remote = job.remote === "/" ? `/${name}` : `${job.remote}/${name}`;
      if (entry.type === "dir") {
        if (this.#options.recursive === false) continue;
        if (this.#filter.excludesDir(rel)) {
          this.#skip(rel, "excluded");
          continue;
        }
        this.#remoteDirs.add(rel);
        this.#lists.push({ kind: "list", remote, rel });
      } else if (entry.type === "file") {
        if (!this.#filter.allowsFile(rel)) {
          this.#skip(rel, "excluded");
          continue;
        }
        this.#remoteFiles.add(rel);
        if (!localDir) continue;
        this.#progress.filesListed++;
        this.#files.push({ kind: "file", remote, rel, entry });
      } else {
        this.#skip(
          rel,
          entry.type === "link" ? "symbolic link" : "not a regular file",
        );
      }
    }
    this.#wake();
    this.#emitProgress();
  }

  #skip(path: string, reason: string): void {
    this.#summary.skipped++;
    this.#emit({ kind: "skip", path, reason });
  }

  // ---- files --------------------------------------------------------------

  async #file(job: FileJob, slot: Slot): Promise<void> {
    try {
      await this.#checkFile(job, slot);
    } catch (err) {
      this.#fail(job.rel, err);
    } finally {
      this.#progress.filesChecked++;
      this.#emitProgress();
    }
  }

  async #checkFile(job: FileJob, slot: Slot): Promise<void> {
    const { rel, remote, entry } = job;
    const slash = rel.lastIndexOf("/");
    const name = rel.slice(slash + 1);
    const dir = await this.#local.dir(slash < 0 ? "" : rel.slice(0, slash));
    const target = `${dir === "/" ? "" : dir}/${name}`;
    let size = entry.size;
    let modified = entry.modified;
    let precision = entry.modifiedPrecision ?? "second";
    if (
      size === undefined || modified === undefined || precision !== "second"
    ) {
      await this.#attempt(rel, slot, async (client) => {
        size ??= await client.size(remote);
        if (client.features.has("MDTM")) {
          modified = await client.modifiedTime(remote);
          precision = "second";
        }
      });
    }
    const local = this.#local.entry(dir, name);
    if (local.kind !== "file" && local.kind !== "missing") {
      throw new LocalPathError(
        `Local path ${
          JSON.stringify(rel)
        } is a ${local.kind}, not a regular file`,
      );
    }
    if (upToDate(local, size!, modified, precision)) {
      this.#summary.unchanged++;
      this.#emit({ kind: "unchanged", path: rel });
      return;
    }
    this.#progress.filesToGet++;
    this.#progress.bytesToGet += size!;
    if (this.#options.dryRun) {
      this.#summary.files++;
      this.#emit({
        kind: "get",
        path: rel,
        bytes: size!,
        offset: 0,
        planned: true,
      });
      return;
    }
    const offset = await this.#fetch(job, slot, dir, name, size!, modified);
    // rename() replaces whatever is at the target without following it.
    Deno.renameSync(`${dir}/${partName(name)}`, target);
    this.#summary.files++;
    this.#progress.filesDone++;
    this.#emit({
      kind: "get",
      path: rel,
      bytes: size!,
      offset,
      planned: false,
    });
  }

  async #fetch(
    job: FileJob,
    slot: Slot,
    dir: string,
    name: string,
    size: number,
    modified: Date | undefined,
  ): Promise<number> {
    const temp = `${dir}/${partName(name)}`;
    let firstOffset = -1;
    await this.#attempt(job.rel, slot, async (client) => {
      const file = await this.#openPart(temp, job.rel, size);
      const offset = file.offset;
      if (firstOffset < 0) firstOffset = offset;
      let last = 0;
      // The file holds `offset` bytes (truncated or resumed) plus what is written.
      let got = offset;
      // Synchronous writes: a page-cache copy is cheaper than a thread-pool trip.
      const writer = {
        write: (p: Uint8Array) => Promise.resolve(file.file.writeSync(p)),
      };
      try {
        if (offset < size) {
          got += await client.downloadTo(job.remote, writer, {
            offset,
            size,
            ...(this.#options.signal ? { signal: this.#options.signal } : {}),
            onProgress: (progress) => {
              this.#progress.bytesDone += progress.transferred - last;
              last = progress.transferred;
              this.#emitProgress();
            },
          });
        }
        if (got === size && modified) file.file.utimeSync(modified, modified);
      } finally {
        file.file.close();
      }
      if (got !== size) {
        if (got > size) await Deno.remove(temp);
        throw new SizeMismatchError(
          `Downloaded ${got} bytes of ${
            JSON.stringify(job.rel)
          }, expected ${size}`,
        );
      }
    });
    return firstOffset;
  }

  /**
   * Opens the temporary file: a new one, or an existing partial one to
   * resume (REST) when it is shorter than the remote file.
   */
  async #openPart(
    temp: string,
    rel: string,
    size: number,
  ): Promise<{ file: Deno.FsFile; offset: number }> {
    try {
      // O_EXCL: never follows a symbolic link planted at the temporary name.
      // Asynchronous: creating a file can take a disk's journal a quarter of
      // a millisecond, which the other connections' transfers use meanwhile.
      const file = await Deno.open(temp, { write: true, createNew: true });
      return { file, offset: 0 };
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    }
    const part = this.#local.lstat(temp);
    if (part.kind === "symlink") Deno.removeSync(temp);
    else if (part.kind !== "file") {
      throw new LocalPathError(
        `Temporary path for ${JSON.stringify(rel)} is a ${part.kind}`,
      );
    }
    const offset = part.kind === "file" && part.size < size ? part.size : 0;
    const file = Deno.openSync(temp, {
      write: true,
      create: true,
      truncate: offset === 0,
    });
    if (offset > 0) file.seekSync(offset, Deno.SeekMode.Start);
    return { file, offset };
  }

  // ---- --delete -----------------------------------------------------------

  async #deleteExtra(): Promise<void> {
    if (!this.#listingComplete) {
      this.#fail(
        "",
        new Error(
          "Not deleting anything: the remote listing was incomplete or had errors",
        ),
      );
      return;
    }
    const recursive = this.#options.recursive !== false;
    const entries = await this.#local.walk(recursive);
    const excludedDir = (path: string) => {
      for (let i = path.indexOf("/"); i >= 0; i = path.indexOf("/", i + 1)) {
        if (this.#filter.excludesDir(path.slice(0, i))) return true;
      }
      return false;
    };
    const files = entries.filter(({ path, kind }) => {
      if (kind === "dir" || this.#remoteFiles.has(path)) return false;
      if (excludedDir(path)) return false;
      const name = path.slice(path.lastIndexOf("/") + 1);
      if (name.startsWith(".") && name.endsWith(PART_SUFFIX)) {
        // Keep the partial download of a file that is still listed.
        const base = name.slice(1, -PART_SUFFIX.length);
        const parent = path.slice(0, path.lastIndexOf("/") + 1);
        return !this.#remoteFiles.has(parent + base);
      }
      return this.#filter.allowsFile(path);
    });
    const dirs = entries.filter(({ path, kind }) =>
      kind === "dir" && !this.#remoteDirs.has(path) &&
      !this.#filter.excludesDir(path) && !excludedDir(path)
    );
    const max = this.#options.maxDelete ?? Infinity;
    if (files.length > max) {
      this.#fail(
        "",
        new Error(
          `Not deleting anything: ${files.length} local files would go, more than the limit of ${max}`,
        ),
      );
      return;
    }
    const planned = !!this.#options.dryRun;
    for (const { path } of files) {
      if (!planned) await Deno.remove(`${this.#local.root}/${path}`);
      this.#summary.deleted++;
      this.#emit({ kind: "delete", path, planned });
    }
    for (const { path } of dirs) {
      if (!planned) {
        try {
          await Deno.remove(`${this.#local.root}/${path}`);
        } catch {
          // Not empty: it holds excluded or protected entries.
          continue;
        }
      }
      this.#summary.deleted++;
      this.#emit({ kind: "delete", path, planned });
    }
  }
}

function upToDate(
  local: LocalStat,
  size: number,
  modified: Date | undefined,
  precision: "second" | "minute" | "day",
): boolean {
  if (local.kind !== "file" || local.size !== size) return false;
  // Without a remote time, the size alone decides.
  return modified === undefined || sameTime(local.mtime, modified, precision);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
