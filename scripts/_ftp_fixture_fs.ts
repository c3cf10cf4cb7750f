/**
 * The in-memory file tree of the fixture FTP server: files (stored bytes, or
 * generated content of any size that costs no memory), directories and
 * symbolic links, path resolution, and listing lines in MLSD, Unix `ls -l`
 * and DOS formats.
 *
 * @module
 */

/** A file given to the fixture with its details. */
export interface FtpFixtureFile {
  /** The content; omit it and give `size` for generated content. */
  data?: Uint8Array | string;
  /** Size of generated content (see {@linkcode generatedBytes}), when `data` is absent. */
  size?: number;
  /**
   * Modification time.
   *
   * @default {new Date("2024-01-02T03:04:05Z")}
   */
  modified?: Date;
}

/** A symbolic link in the fixture tree. */
export interface FtpFixtureLink {
  /** The link's target, as `ls -l` would show it. */
  symlink: string;
}

/** What a path of the fixture tree may hold: content (a string is UTF-8), details, or a link. */
export type FtpFixtureEntry =
  | Uint8Array
  | string
  | FtpFixtureFile
  | FtpFixtureLink;

/** The default modification time of fixture files. */
export const FIXTURE_TIME: Date = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));

/** One node of the tree. */
export type FsNode =
  | { kind: "file"; data: Uint8Array | null; size: number; modified: Date }
  | { kind: "dir"; modified: Date }
  | { kind: "link"; target: string; modified: Date };

const PATTERN_LENGTH = 65521;
let pattern: Uint8Array | undefined;

function patternBytes(): Uint8Array {
  if (pattern) return pattern;
  pattern = new Uint8Array(PATTERN_LENGTH);
  let x = 0x2545f491;
  for (let i = 0; i < PATTERN_LENGTH; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    pattern[i] = x & 0xff;
  }
  return pattern;
}

/**
 * Fills `target` with generated content starting at byte `offset` of a file:
 * a pseudo-random pattern whose period (65,521 bytes, a prime) does not line
 * up with any buffer size, so a resumed download at a wrong offset shows.
 *
 * @param offset Position in the generated file.
 * @param target Where the bytes go.
 */
export function fillGenerated(offset: number, target: Uint8Array): void {
  const bytes = patternBytes();
  let pos = offset % PATTERN_LENGTH;
  let off = 0;
  while (off < target.length) {
    const n = Math.min(PATTERN_LENGTH - pos, target.length - off);
    target.set(bytes.subarray(pos, pos + n), off);
    off += n;
    pos = 0;
  }
}

/**
 * The generated content of a file of `size` bytes, for comparisons in tests.
 *
 * @param size Length.
 * @returns The bytes.
 */
export function generatedBytes(size: number): Uint8Array {
  const out = new Uint8Array(size);
  fillGenerated(0, out);
  return out;
}

const encoder = new TextEncoder();

/** Normalizes an absolute or relative path against `cwd`. */
export function resolvePath(cwd: string, path: string): string {
  const parts = path.startsWith("/") ? [] : cwd.split("/").filter(Boolean);
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return "/" + parts.join("/");
}

/** The parent of a normalized path. */
export function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** The last component of a normalized path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** The tree. */
export class FixtureFs {
  /** Every node by normalized absolute path. */
  readonly nodes: Map<string, FsNode> = new Map();

  /**
   * Builds the tree from the fixture's `files` option.
   *
   * @param files Paths to entries; parent directories are implied.
   */
  constructor(files: Record<string, FtpFixtureEntry>) {
    this.nodes.set("/", { kind: "dir", modified: FIXTURE_TIME });
    for (const [path, entry] of Object.entries(files)) this.put(path, entry);
  }

  /**
   * Adds or replaces an entry; a path ending in `/` makes a directory.
   *
   * @param path Absolute path.
   * @param entry The content or details.
   */
  put(path: string, entry: FtpFixtureEntry | null): void {
    const full = resolvePath("/", path);
    this.mkdirs(parentOf(full));
    if (entry === null || path.endsWith("/")) {
      this.nodes.set(full, { kind: "dir", modified: FIXTURE_TIME });
      return;
    }
    if (typeof entry === "string" || entry instanceof Uint8Array) {
      const data = typeof entry === "string" ? encoder.encode(entry) : entry;
      this.nodes.set(full, {
        kind: "file",
        data,
        size: data.length,
        modified: FIXTURE_TIME,
      });
    } else if ("symlink" in entry) {
      this.nodes.set(full, {
        kind: "link",
        target: entry.symlink,
        modified: FIXTURE_TIME,
      });
    } else {
      const data = entry.data === undefined
        ? null
        : typeof entry.data === "string"
        ? encoder.encode(entry.data)
        : entry.data;
      this.nodes.set(full, {
        kind: "file",
        data,
        size: data ? data.length : entry.size ?? 0,
        modified: entry.modified ?? FIXTURE_TIME,
      });
    }
  }

  /**
   * Creates a directory and its parents.
   *
   * @param path Absolute normalized path.
   */
  mkdirs(path: string): void {
    if (this.nodes.get(path)?.kind === "dir") return;
    if (path !== "/") this.mkdirs(parentOf(path));
    this.nodes.set(path, { kind: "dir", modified: FIXTURE_TIME });
  }

  /**
   * The children of a directory, sorted by name.
   *
   * @param dir Absolute normalized path.
   * @returns Name and node pairs.
   */
  children(dir: string): [string, FsNode][] {
    const prefix = dir === "/" ? "/" : dir + "/";
    const out: [string, FsNode][] = [];
    for (const [path, node] of this.nodes) {
      if (path === dir || !path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      if (!rest.includes("/")) out.push([rest, node]);
    }
    return out.sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  }

  /**
   * Reads `length` bytes of a file from `offset`.
   *
   * @param node The file.
   * @param offset Start.
   * @param length Count.
   * @returns The bytes.
   */
  read(
    node: FsNode & { kind: "file" },
    offset: number,
    length: number,
  ): Uint8Array {
    const n = Math.max(0, Math.min(length, node.size - offset));
    if (node.data) return node.data.subarray(offset, offset + n);
    const out = new Uint8Array(n);
    fillGenerated(offset, out);
    return out;
  }
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/**
 * Formats a time as RFC 3659 `YYYYMMDDHHMMSS`.
 *
 * @param date The time.
 * @returns The text.
 */
export function ftpTime(date: Date): string {
  return String(date.getUTCFullYear()).padStart(4, "0") +
    pad2(date.getUTCMonth() + 1) + pad2(date.getUTCDate()) +
    pad2(date.getUTCHours()) + pad2(date.getUTCMinutes()) +
    pad2(date.getUTCSeconds());
}

const MONTHS = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
];

/**
 * One MLSD line.
 *
 * @param name The entry name.
 * @param node The entry.
 * @returns The line.
 */
export function mlsdLine(name: string, node: FsNode): string {
  const modify = `modify=${ftpTime(node.modified)};`;
  if (node.kind === "dir") return `type=dir;${modify}perm=flcdmpe; ${name}`;
  if (node.kind === "link") {
    return `type=OS.unix=symlink;${modify} ${name}`;
  }
  return `type=file;size=${node.size};${modify}perm=adfrw; ${name}`;
}

/**
 * One Unix `ls -l` line; times within the last six months show the time,
 * older ones the year.
 *
 * @param name The entry name.
 * @param node The entry.
 * @param now The current time.
 * @returns The line.
 */
export function unixLine(name: string, node: FsNode, now: Date): string {
  const d = node.modified;
  const recent = Math.abs(now.getTime() - d.getTime()) < 180 * 86400_000;
  const when = `${MONTHS[d.getUTCMonth()]} ${
    String(d.getUTCDate()).padStart(2, " ")
  } ${
    recent
      ? `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`
      : ` ${d.getUTCFullYear()}`
  }`;
  const mode = node.kind === "dir"
    ? "drwxr-xr-x"
    : node.kind === "link"
    ? "lrwxrwxrwx"
    : "-rw-r--r--";
  const size = node.kind === "file"
    ? node.size
    : node.kind === "link"
    ? node.target.length
    : 4096;
  const suffix = node.kind === "link" ? ` -> ${node.target}` : "";
  return `${mode}    1 ftp      ftp      ${
    String(size).padStart(10, " ")
  } ${when} ${name}${suffix}`;
}

/**
 * One DOS/IIS listing line.
 *
 * @param name The entry name.
 * @param node The entry.
 * @returns The line.
 */
export function dosLine(name: string, node: FsNode): string {
  const d = node.modified;
  const hours = d.getUTCHours();
  const when = `${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}-${
    pad2(d.getUTCFullYear() % 100)
  }  ${pad2(hours % 12 === 0 ? 12 : hours % 12)}:${pad2(d.getUTCMinutes())}${
    hours < 12 ? "AM" : "PM"
  }`;
  const size = node.kind === "dir"
    ? "<DIR>         "
    : String(node.kind === "file" ? node.size : 0).padStart(14, " ");
  return `${when}       ${size} ${name}`;
}
