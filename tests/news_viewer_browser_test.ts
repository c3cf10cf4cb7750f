/**
 * The page of `news_viewer.ts` in a real browser: headless Chromium loads it,
 * the DOM it builds must hold the links and no injected element, and a
 * screenshot is saved in the test's temporary directory.
 *
 * Chromium is Debian's `chromium` package. Under `CI=true` a missing browser
 * is installed with apt-get when running as root, and a browser that is still
 * missing fails the test; elsewhere the test is skipped with the reason.
 *
 * @module
 */

import { run } from "../scripts/news_viewer.ts";
import { startNntpFixtureServer } from "../scripts/_nntp_fixture_server.ts";
import { assert, assertEquals, assertStringIncludes } from "./_assert.ts";

const decoder = new TextDecoder();
const SCREENSHOT = `${
  Deno.env.get("TMPDIR") ?? "/tmp"
}/inetkit-news-viewer-page.png`;

function underCi(): boolean {
  const value = (Deno.env.get("CI") ?? "").toLowerCase();
  return value === "true" || value === "1";
}

async function runs(command: string, args: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(command, {
      args,
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

async function findChromium(): Promise<string | null> {
  for (const name of ["chromium", "chromium-browser"]) {
    if (await runs(name, ["--version"])) return name;
  }
  return null;
}

/** Finds Chromium, installing Debian's package under CI when possible. */
async function chromium(): Promise<{ path: string | null; reason: string }> {
  const found = await findChromium();
  if (found) return { path: found, reason: "" };
  if (underCi() && Deno.uid() === 0 && await runs("apt-get", ["--version"])) {
    const install = await new Deno.Command("apt-get", {
      args: ["install", "-y", "--no-install-recommends", "chromium"],
      env: { DEBIAN_FRONTEND: "noninteractive" },
      stdout: "null",
      stderr: "piped",
    }).output();
    const again = await findChromium();
    if (again) return { path: again, reason: "" };
    return {
      path: null,
      reason: `apt-get install chromium failed: ${
        decoder.decode(install.stderr).trim().split("\n").at(-1)
      }`,
    };
  }
  return { path: null, reason: "chromium is not installed" };
}

const BROWSER = await chromium();
if (!BROWSER.path && !underCi()) {
  // deno-lint-ignore no-console
  console.error(
    `news_viewer browser test skipped: ${BROWSER.reason} (apt-get install chromium)`,
  );
}

async function headless(
  browser: string,
  profile: string,
  args: string[],
): Promise<string> {
  const out = await new Deno.Command(browser, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      `--user-data-dir=${profile}`,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `chromium exited with ${out.code}: ${decoder.decode(out.stderr)}`,
    );
  }
  return decoder.decode(out.stdout);
}

Deno.test({
  name:
    "news_viewer page renders in headless Chromium with hostile subjects kept as text",
  ignore: !BROWSER.path && !underCi(),
  async fn(t) {
    if (!BROWSER.path) {
      throw new Error(`Chromium unavailable: ${BROWSER.reason}`);
    }
    const browser = BROWSER.path;
    const server = startNntpFixtureServer();
    const dir = await Deno.makeTempDir({ prefix: "news-viewer-browser-" });
    const page = `${dir}/fixture.news.html`;
    try {
      const result = await run({
        group: "fixture.news",
        word: "deno",
        server: `127.0.0.1:${server.port}`,
        out: page,
        quiet: true,
        serve: true,
      });
      const serving = result.serving!;
      try {
        const fileUrl = new URL(`file://${page}`).href;
        await t.step(
          "the DOM holds the links and no injected element",
          async () => {
            const dom = await headless(browser, `${dir}/profile-dom`, [
              "--dump-dom",
              fileUrl,
            ]);
            assertStringIncludes(dom, "<body");
            assert(!/<script/i.test(dom), "a <script> element is in the DOM");
            assert(!/<img/i.test(dom), "an <img> element is in the DOM");
            assert(
              !/<b>Mallory/i.test(dom),
              "a <b> element came from a poster",
            );
            // Hostile subjects are text nodes, serialized escaped.
            assertStringIncludes(dom, "&lt;script&gt;alert(");
            assertStringIncludes(dom, "&lt;img src=x onerror=alert(1)&gt;");
            assertStringIncludes(dom, "Grüße aus Köln");
            const links = dom.match(
              /<a [^>]*href="http:\/\/127\.0\.0\.1:\d+\/article\?id=/g,
            ) ?? [];
            assertEquals(links.length >= result.matches, true);
          },
        );
        await t.step("a screenshot is saved", async () => {
          const shot = `${dir}/page.png`;
          await headless(browser, `${dir}/profile-shot`, [
            "--window-size=1200,1600",
            `--screenshot=${shot}`,
            fileUrl,
          ]);
          const png = await Deno.readFile(shot);
          assertEquals([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
          assert(png.length > 1000);
          // Kept after the run for a look: the temp dir itself is removed.
          await Deno.writeFile(SCREENSHOT, png);
        });
        await t.step(
          "an article served by --serve renders as text",
          async () => {
            const url = `${serving.url}article?id=${
              encodeURIComponent("<news.4@fixture.invalid>")
            }`;
            const dom = await headless(browser, `${dir}/profile-article`, [
              "--dump-dom",
              url,
            ]);
            assert(!/<script/i.test(dom));
            assertStringIncludes(dom, "<pre>");
            assertStringIncludes(dom, '&lt;script&gt;alert("body")');
          },
        );
      } finally {
        await serving.close();
      }
    } finally {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
