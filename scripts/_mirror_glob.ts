/**
 * The `--include` and `--exclude` globs of `ftp_mirror.ts`.
 *
 * A glob without `/` is matched against the name alone, at any depth; a glob
 * with `/` against the whole path relative to the mirror root (a leading `/`
 * is ignored). `*` and `?` do not cross `/`, `**` does, and `[abc]`, `[a-z]`
 * and `[!abc]` match one character of a set.
 *
 * @module
 */

/**
 * Compiles a glob into an anchored regular expression.
 *
 * @param glob The pattern.
 * @returns The expression.
 * @throws {SyntaxError} When a `[` set is not closed.
 *
 * @example Usage
 * ```ts
 * import { globToRegExp } from "./_mirror_glob.ts";
 * import { assert } from "../tests/_assert.ts";
 *
 * assert(globToRegExp("*.txt").test("notes.txt"));
 * assert(!globToRegExp("*.txt").test("a/notes.txt"));
 * assert(globToRegExp("docs/**").test("docs/a/b.pdf"));
 * ```
 */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === "*") {
      if (glob[i + 1] === "*") {
        i++;
        if (glob[i + 1] === "/") {
          // `**/` matches zero or more whole directories.
          i++;
          source += "(?:.*/)?";
        } else {
          source += ".*";
        }
      } else {
        source += "[^/]*";
      }
    } else if (char === "?") {
      source += "[^/]";
    } else if (char === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end < 0) {
        throw new SyntaxError(`Cannot read glob "${glob}": unclosed "["`);
      }
      let set = glob.slice(i + 1, end);
      const negated = set.startsWith("!") || set.startsWith("^");
      if (negated) set = set.slice(1);
      const escaped = set.replace(/[\\\]^]/g, "\\$&");
      source += negated ? `[^/${escaped}]` : `[${escaped}]`;
      i = end;
    } else {
      source += char.replace(/[.+^${}()|\\/-]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`, "u");
}

/** Decides which remote paths the mirror takes. */
export class PathFilter {
  #include: { regexp: RegExp; whole: boolean }[];
  #exclude: { regexp: RegExp; whole: boolean }[];

  /**
   * Compiles the patterns.
   *
   * @param include Globs a file must match (any of them), when non-empty.
   * @param exclude Globs that exclude a file or a whole directory.
   */
  constructor(include: readonly string[], exclude: readonly string[]) {
    const compile = (glob: string) => {
      const clean = glob.replace(/^\/+/, "").replace(/\/+$/, "");
      return { regexp: globToRegExp(clean), whole: clean.includes("/") };
    };
    this.#include = include.map(compile);
    this.#exclude = exclude.map(compile);
  }

  /**
   * Whether a directory (and so everything under it) is excluded.
   *
   * @param path Path relative to the root, `/`-separated.
   * @returns True when an exclude glob matches it.
   */
  excludesDir(path: string): boolean {
    return this.#matches(this.#exclude, path);
  }

  /**
   * Whether a file is mirrored (and, with `--delete`, whether a local file
   * with that path may be deleted).
   *
   * @param path Path relative to the root, `/`-separated.
   * @returns True when no exclude glob and, if any are given, an include glob matches.
   */
  allowsFile(path: string): boolean {
    if (this.#matches(this.#exclude, path)) return false;
    return this.#include.length === 0 || this.#matches(this.#include, path);
  }

  #matches(
    patterns: { regexp: RegExp; whole: boolean }[],
    path: string,
  ): boolean {
    const name = path.slice(path.lastIndexOf("/") + 1);
    return patterns.some(({ regexp, whole }) =>
      regexp.test(whole ? path : name)
    );
  }
}
