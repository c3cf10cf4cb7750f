/**
 * The local side of `ftp_mirror.ts`: the target directory, checked with
 * realpath so that no file is ever written outside it (a symbolic link among
 * the parents that points elsewhere is refused), temporary names for files
 * being downloaded, and the walk of the local tree for `--delete`.
 *
 * @module
 */

/** A local path would leave the target directory, or is not what it must be. */
export class LocalPathError extends Error {
  /**
   * Creates the error.
   *
   * @param message What is wrong.
   */
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}

/** Suffix of the temporary files of downloads in progress. */
export const PART_SUFFIX = ".ftp-mirror-part";
const MAX_NAME_BYTES = 255;
const encoder = new TextEncoder();

/**
 * The temporary name a file is downloaded under, in the same directory: a
 * hidden `.NAME.ftp-mirror-part`, or a hashed name when that would exceed the
 * 255-byte limit of most file systems.
 *
 * @param name The final name.
 * @returns The temporary name.
 */
export function partName(name: string): string {
  const plain = `.${name}${PART_SUFFIX}`;
  if (encoder.encode(plain).length <= MAX_NAME_BYTES) return plain;
  let hash = 0x811c9dc5;
  let hash2 = 0;
  for (const byte of encoder.encode(name)) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
    hash2 = Math.imul(hash2 + byte, 31) >>> 0;
  }
  return `.${hash.toString(16)}${hash2.toString(16)}${PART_SUFFIX}`;
}

/** What the local tree has at a path, without following a final symlink. */
export type LocalKind = "file" | "dir" | "symlink" | "other" | "missing";

/** The result of {@linkcode LocalTree.lstat}. */
export interface LocalStat {
  /** The kind. */
  kind: LocalKind;
  /** Size in bytes (files). */
  size: number;
  /** Modification time, when known. */
  mtime: Date | null;
}

/** The target directory of a mirror. */
export class LocalTree {
  /** The real path of the target directory (or the path as given in a dry run that would create it). */
  readonly root: string;
  #dryRun: boolean;
  #known = new Map<string, Promise<string>>();
  #names = new Map<string, Set<string>>();

  private constructor(root: string, dryRun: boolean) {
    this.root = root;
    this.#dryRun = dryRun;
  }

  /**
   * Opens the target directory, creating it unless this is a dry run.
   *
   * @param dir The directory as given.
   * @param dryRun Whether nothing may be written.
   * @returns The tree.
   */
  static async open(dir: string, dryRun: boolean): Promise<LocalTree> {
    if (!dryRun) await Deno.mkdir(dir, { recursive: true });
    try {
      return new LocalTree(await Deno.realPath(dir), dryRun);
    } catch (err) {
      if (dryRun && err instanceof Deno.errors.NotFound) {
        return new LocalTree(dir.replace(/\/+$/, "") || "/", dryRun);
      }
      throw err;
    }
  }

  /**
   * Whether an absolute path is the root or inside it.
   *
   * @param path An absolute real path.
   * @returns True when contained.
   */
  contains(path: string): boolean {
    const root = this.root === "/" ? "" : this.root;
    return path === this.root || path.startsWith(root + "/");
  }

  /**
   * Returns the real path of a directory under the root, creating missing
   * components (except in a dry run). Each existing component must be a
   * directory or a symbolic link to a directory inside the root.
   *
   * @param rel The directory relative to the root (`""` for the root).
   * @returns Its real absolute path (in a dry run, the path it would have).
   * @throws {LocalPathError} When a component escapes the root or is not a directory.
   */
  dir(rel: string): Promise<string> {
    let known = this.#known.get(rel);
    if (!known) {
      known = this.#dir(rel);
      this.#known.set(rel, known);
      known.catch(() => this.#known.delete(rel));
    }
    return known;
  }

  async #dir(rel: string): Promise<string> {
    if (rel === "") return this.root;
    const slash = rel.lastIndexOf("/");
    const parent = await this.dir(slash < 0 ? "" : rel.slice(0, slash));
    const path = `${parent === "/" ? "" : parent}/${rel.slice(slash + 1)}`;
    let info: Deno.FileInfo | undefined;
    try {
      info = await Deno.lstat(path);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    if (info === undefined) {
      if (this.#dryRun) return path;
      try {
        await Deno.mkdir(path);
      } catch (err) {
        if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      }
      info = await Deno.lstat(path);
    }
    if (info.isSymlink) {
      const real = await Deno.realPath(path);
      if (!this.contains(real)) {
        throw new LocalPathError(
          `Local directory "${rel}" is a symbolic link leading outside the target directory`,
        );
      }
      if (!(await Deno.stat(real)).isDirectory) {
        throw new LocalPathError(`Local path "${rel}" is not a directory`);
      }
      return real;
    }
    if (!info.isDirectory) {
      throw new LocalPathError(`Local path "${rel}" is not a directory`);
    }
    const real = await Deno.realPath(path);
    if (!this.contains(real)) {
      throw new LocalPathError(
        `Local directory "${rel}" resolves outside the target directory`,
      );
    }
    return real;
  }

  /**
   * Describes the entry `name` of the directory whose real path is `dir`.
   * The directory is read once and its names remembered, so a name that is
   * not there costs no system call (the common case of a first run).
   *
   * @param dir A real directory path returned by {@linkcode LocalTree.dir}.
   * @param name The entry name.
   * @returns Its kind, size and time.
   */
  entry(dir: string, name: string): LocalStat {
    let names = this.#names.get(dir);
    if (!names) {
      names = new Set();
      try {
        for (const entry of Deno.readDirSync(dir)) names.add(entry.name);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
      this.#names.set(dir, names);
    }
    if (!names.has(name)) return { kind: "missing", size: 0, mtime: null };
    return this.lstat(`${dir === "/" ? "" : dir}/${name}`);
  }

  /**
   * Describes a path without following a final symbolic link. Synchronous:
   * a metadata call is far cheaper than a trip through the thread pool.
   *
   * @param path An absolute path.
   * @returns Its kind, size and time.
   */
  lstat(path: string): LocalStat {
    try {
      const info = Deno.lstatSync(path);
      const kind: LocalKind = info.isFile
        ? "file"
        : info.isDirectory
        ? "dir"
        : info.isSymlink
        ? "symlink"
        : "other";
      return { kind, size: info.size, mtime: info.mtime };
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        return { kind: "missing", size: 0, mtime: null };
      }
      throw err;
    }
  }

  /**
   * Lists every entry under the root, depth first, without following
   * symbolic links.
   *
   * @param recursive Whether to descend into subdirectories.
   * @returns Relative paths with their kinds; directories after their content.
   */
  async walk(
    recursive: boolean,
  ): Promise<{ path: string; kind: LocalKind }[]> {
    const out: { path: string; kind: LocalKind }[] = [];
    const visit = async (rel: string) => {
      const abs = rel ? `${this.root}/${rel}` : this.root;
      const names: { name: string; kind: LocalKind }[] = [];
      for await (const entry of Deno.readDir(abs)) {
        const kind: LocalKind = entry.isSymlink
          ? "symlink"
          : entry.isDirectory
          ? "dir"
          : entry.isFile
          ? "file"
          : "other";
        names.push({ name: entry.name, kind });
      }
      names.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
      for (const { name, kind } of names) {
        const path = rel ? `${rel}/${name}` : name;
        if (kind === "dir") {
          if (!recursive) continue;
          await visit(path);
        }
        out.push({ path, kind });
      }
    };
    try {
      await visit("");
    } catch (err) {
      if (!(this.#dryRun && err instanceof Deno.errors.NotFound)) throw err;
    }
    return out;
  }
}
