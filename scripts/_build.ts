// deno-lint-ignore-file no-console
/**
 * `deno task bundle` and `deno task compile`: one self-contained file per
 * script in `dist/` (with a `deno run` shebang carrying the script's
 * permission flags), or one native executable per script in `dist/bin/`.
 *
 * `deno compile` needs the denort runtime, which it downloads; machines
 * without internet access cannot, so `compile` uses `DENORT_BIN` when set and
 * otherwise stops with a one-line message.
 *
 * ```sh
 * deno run --allow-read --allow-write --allow-run --allow-env scripts/_build.ts bundle
 * DENORT_BIN=/path/to/denort deno run --allow-read --allow-write --allow-run --allow-env scripts/_build.ts compile
 * ```
 *
 * @module
 */

/** The permission flags each public script needs, as documented in its `--help`. */
export const SCRIPT_PERMISSIONS: Readonly<Record<string, readonly string[]>> = {
  get: ["--allow-net", "--allow-write", "--allow-read"],
  file_server: ["--allow-net", "--allow-read"],
  redirector: ["--allow-net"],
  ftp_mirror: ["--allow-net", "--allow-read", "--allow-write"],
  news_viewer: ["--allow-net", "--allow-write", "--allow-env=NNTPSERVER"],
};

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

async function run(args: string[]): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    stdout: "inherit",
    stderr: "inherit",
  })
    .output();
  if (!out.success) throw new Error(`deno ${args.join(" ")} failed`);
}

async function bundle(): Promise<void> {
  await Deno.mkdir(`${root}/dist`, { recursive: true });
  for (const [name, flags] of Object.entries(SCRIPT_PERMISSIONS)) {
    const out = `${root}/dist/${name}.js`;
    await run([
      "bundle",
      "--quiet",
      "--platform",
      "deno",
      "-o",
      out,
      `${root}/scripts/${name}.ts`,
    ]);
    let code = await Deno.readTextFile(out);
    code = code.replace(/^#!.*\n/, "");
    await Deno.writeTextFile(
      out,
      `#!/usr/bin/env -S deno run ${flags.join(" ")}\n${code}`,
    );
    await Deno.chmod(out, 0o755);
    console.log(`bundled dist/${name}.js (${flags.join(" ")})`);
  }
}

async function compile(): Promise<void> {
  let denort: string | undefined;
  try {
    denort = Deno.env.get("DENORT_BIN");
  } catch {
    denort = undefined;
  }
  if (!denort) {
    console.error(
      "deno compile needs the denort runtime, which cannot be downloaded here: set DENORT_BIN=/path/to/denort",
    );
    Deno.exit(1);
  }
  await Deno.mkdir(`${root}/dist/bin`, { recursive: true });
  for (const [name, flags] of Object.entries(SCRIPT_PERMISSIONS)) {
    await run([
      "compile",
      "--quiet",
      ...flags,
      "-o",
      `${root}/dist/bin/${name}`,
      `${root}/scripts/${name}.ts`,
    ]);
    console.log(`compiled dist/bin/${name}`);
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
