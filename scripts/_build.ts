// deno-lint-ignore-file no-console
/**
 * `deno task bundle` and `deno task compile`: one self-contained file per
 * public script in `dist/` (with a `deno run` shebang carrying the script's
 * permission flags, executable), or one native executable per script in
 * `dist/bin/`.
 *
 * - `deno bundle` fetches esbuild from the npm registry on first use (into
 *   Deno's cache); nothing else is downloaded.
 * - `deno compile` needs the denort runtime, which it downloads from
 *   `dl.deno.land`; machines without internet access cannot reach it, and
 *   npm has no package carrying it (the `deno` package and its
 *   `@deno/<platform>` packages ship the `deno` binary only, which cannot
 *   stand in for denort). So `compile` uses `DENORT_BIN` when set, else a
 *   denort already in Deno's download cache, and otherwise stops with one
 *   line saying so.
 *
 * ```sh
 * deno run --allow-read --allow-write --allow-run --allow-env scripts/_build.ts bundle
 * DENORT_BIN=/path/to/denort deno run --allow-read --allow-write --allow-run --allow-env scripts/_build.ts compile
 * ```
 *
 * @module
 */

/**
 * The permission flags each public script needs for its usual jobs, as its
 * `--help` documents them: the bundles' shebangs and the compiled
 * executables carry exactly these.
 */
export const SCRIPT_PERMISSIONS: Readonly<Record<string, readonly string[]>> = {
  get: [
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-env=NNTPSERVER",
  ],
  file_server: ["--allow-net", "--allow-read"],
  redirector: ["--allow-net"],
  ftp_mirror: ["--allow-net", "--allow-read", "--allow-write"],
  news_viewer: ["--allow-net", "--allow-write", "--allow-env=NNTPSERVER"],
};

/** The line `compile` prints when no denort runtime is available. */
export const NO_DENORT_MESSAGE =
  "deno compile needs the denort runtime: set DENORT_BIN=/path/to/denort (it cannot be downloaded here)";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

async function deno(args: string[]): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`deno ${args.join(" ")} failed`);
}

/**
 * Bundles every public script into `dist/<name>.js` with its shebang.
 *
 * @returns The files written.
 */
async function bundle(): Promise<string[]> {
  await Deno.mkdir(`${root}/dist`, { recursive: true });
  const written: string[] = [];
  for (const [name, flags] of Object.entries(SCRIPT_PERMISSIONS)) {
    const out = `${root}/dist/${name}.js`;
    await deno([
      "bundle",
      "--quiet",
      "--platform",
      "deno",
      "-o",
      out,
      `${root}/scripts/${name}.ts`,
    ]);
    const code = (await Deno.readTextFile(out)).replace(/^#!.*\n/, "");
    await Deno.writeTextFile(
      out,
      `#!/usr/bin/env -S deno run ${flags.join(" ")}\n${code}`,
    );
    await Deno.chmod(out, 0o755);
    console.log(`bundled dist/${name}.js (${flags.join(" ")})`);
    written.push(out);
  }
  return written;
}

function envIfAllowed(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where a denort runtime can be had without downloading it: `DENORT_BIN`,
 * else the zip `deno compile` leaves in Deno's download cache
 * (`<DENO_DIR>/dl/release/v<version>/denort-<target>.zip`).
 *
 * @returns The path, or `undefined` when there is none.
 *
 * @example Usage
 * ```ts ignore
 * import { findDenort } from "./_build.ts";
 *
 * console.log(await findDenort() ?? "no denort here");
 * ```
 */
export async function findDenort(): Promise<string | undefined> {
  const fromEnv = envIfAllowed("DENORT_BIN");
  if (fromEnv) return fromEnv;
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const { denoDir } = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      denoDir?: string;
    };
    if (!denoDir) return undefined;
    const zip =
      `${denoDir}/dl/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip`;
    await Deno.stat(zip);
    return zip;
  } catch {
    return undefined;
  }
}

/**
 * Compiles every public script into `dist/bin/<name>` with its permission
 * flags, or prints {@linkcode NO_DENORT_MESSAGE} and exits 1.
 */
async function compile(): Promise<void> {
  const denort = await findDenort();
  if (!denort) {
    console.error(NO_DENORT_MESSAGE);
    Deno.exit(1);
  }
  // deno compile reads DENORT_BIN from the environment it inherits, and
  // finds a cached runtime by itself.
  await Deno.mkdir(`${root}/dist/bin`, { recursive: true });
  for (const [name, flags] of Object.entries(SCRIPT_PERMISSIONS)) {
    await deno([
      "compile",
      "--quiet",
      ...flags,
      "-o",
      `${root}/dist/bin/${name}`,
      `${root}/scripts/${name}.ts`,
    ]);
    console.log(`compiled dist/bin/${name} (${flags.join(" ")})`);
  }
}

if (import.meta.main) {
  const what = Deno.args[0];
  if (what === "bundle") await bundle();
  else if (what === "compile") await compile();
  else {
    console.error("Usage: _build.ts bundle|compile");
    Deno.exit(2);
  }
}
