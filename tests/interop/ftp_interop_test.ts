/**
 * FtpClient and ftp_mirror against real servers from Debian (vsftpd and
 * pure-ftpd, started by `bash tests/interop/peers.sh start`): anonymous and
 * `labuser` sessions, listings, downloads, uploads with resume, rename and
 * delete, explicit FTPS against pure-ftpd, the typed session-reuse error
 * against vsftpd's FTPS port, and a mirror of the whole tree (2,000 small
 * files and the 1 GiB file) checked against the sha256 manifest, then an
 * unchanged second run that transfers nothing.
 *
 * @module
 */

import {
  FtpAuthError,
  FtpClient,
  type FtpClientOptions,
  FtpNotFoundError,
  FtpSessionReuseError,
} from "../../protocols/ftp.ts";
import { mirror } from "../../scripts/ftp_mirror.ts";
import { type FtpPeer, type Peers, peerTest } from "./_peers.ts";
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
} from "../_assert.ts";
import { streamBytes, streamText } from "../_mock_server.ts";

type FtpKey = "vsftpd" | "pureFtpd";
const SERVERS: readonly FtpKey[] = ["vsftpd", "pureFtpd"];

function connect(
  peer: FtpPeer,
  options: FtpClientOptions = {},
): Promise<FtpClient> {
  return FtpClient.connect({
    hostname: peer.hostname,
    port: peer.port,
    timeout: 20_000,
    ...options,
  });
}

function asUser(peer: FtpPeer, options: FtpClientOptions = {}) {
  return connect(peer, {
    user: peer.user.name,
    password: peer.user.password,
    ...options,
  });
}

function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${
    crypto.randomUUID().slice(0, 8)
  }`;
}

function bytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

for (const key of SERVERS) {
  peerTest(
    `FtpClient lists and downloads anonymously from ${key}`,
    key,
    async (t, peers) => {
      const peer = peers[key];
      const client = await connect(peer);
      try {
        assertEquals(client.features.has("MLST"), peer.mlsd);
        await t.step("list() of the root", async () => {
          const listing = await client.list("/");
          assertEquals(listing.command, peer.mlsd ? "MLSD" : "LIST");
          assertEquals(listing.unparsed, []);
          const byName = new Map(listing.entries.map((e) => [e.name, e]));
          assertEquals(byName.get("tree")?.type, "dir");
          assertEquals(byName.get("big.bin")?.size, peers.ftp.big.size);
          assertEquals(byName.get("link-to-hello.txt")?.type, "link");
          for (const path of peers.ftp.hostileNames) {
            const top = path.split("/")[1]!;
            assert(byName.has(top), `listed ${JSON.stringify(top)}`);
          }
        });
        await t.step("download() of hello.txt and empty.txt", async () => {
          const hello = await client.download(peers.ftp.hello.path);
          assertEquals(await streamText(hello), peers.ftp.hello.text);
          const empty = await client.download(peers.ftp.empty.path);
          assertEquals((await streamBytes(empty)).length, 0);
        });
        await t.step("download() with an offset (REST)", async () => {
          const body = await client.download(peers.ftp.hello.path, {
            offset: 6,
          });
          assertEquals(await streamText(body), peers.ftp.hello.text.slice(6));
        });
        await t.step(
          "names with spaces, UTF-8 and a leading dash",
          async () => {
            for (const path of peers.ftp.hostileNames) {
              const size = await client.size(path);
              const body = await streamBytes(await client.download(path));
              assertEquals(body.length, size, path);
            }
          },
        );
        await t.step("stat(), size() and modifiedTime()", async () => {
          const entry = await client.stat(peers.ftp.hello.path);
          assertEquals(entry.type, "file");
          assertEquals(entry.size, peers.ftp.hello.size);
          const dir = await client.stat(peers.ftp.tree.path);
          assertEquals(dir.type, "dir");
          assertEquals(
            await client.size(peers.ftp.big.path),
            peers.ftp.big.size,
          );
          const when = await client.modifiedTime(peers.ftp.hello.path);
          assert(when.getTime() > 0);
        });
        await t.step("a missing file is FtpNotFoundError", async () => {
          await assertRejects(
            () => client.download("/no-such-file.txt"),
            FtpNotFoundError,
          );
          assertEquals(await client.pwd(), "/");
        });
        await t.step("nlst() of the tree", async () => {
          const names = await client.nlst(peers.ftp.tree.path);
          assert(names.length >= 8);
        });
      } finally {
        await client.close();
      }
    },
  );

  peerTest(
    `FtpClient uploads, resumes, renames and deletes as labuser on ${key}`,
    key,
    async (t, peers) => {
      const peer = peers[key];
      const client = await asUser(peer);
      const dir = `/${uniqueName(`inetkit-${key}`)}`;
      try {
        const data = bytes(300_000, 7);
        await t.step("mkdir() and upload() from a stream", async () => {
          assertStringIncludes(await client.mkdir(dir), dir.slice(1));
          const n = await client.upload(
            `${dir}/a.bin`,
            ReadableStream.from([data.subarray(0, 100_000)]),
          );
          assertEquals(n, 100_000);
        });
        await t.step(
          "upload() resumes with REST and appends with APPE",
          async () => {
            await client.upload(
              `${dir}/a.bin`,
              data.subarray(100_000, 200_000),
              { offset: 100_000 },
            );
            await client.upload(`${dir}/a.bin`, data.subarray(200_000), {
              append: true,
            });
            assertEquals(await client.size(`${dir}/a.bin`), data.length);
            const back = await streamBytes(
              await client.download(`${dir}/a.bin`),
            );
            assertEquals(back, data);
          },
        );
        await t.step("rename() and remove()", async () => {
          await client.rename(`${dir}/a.bin`, `${dir}/b.bin`);
          await assertRejects(
            () => client.size(`${dir}/a.bin`),
            FtpNotFoundError,
          );
          if (key === "pureFtpd") {
            const when = new Date("2023-04-05T06:07:08Z");
            await client.setModifiedTime(`${dir}/b.bin`, when);
            assertEquals(await client.modifiedTime(`${dir}/b.bin`), when);
          }
          await client.remove(`${dir}/b.bin`);
          await assertRejects(
            () => client.remove(`${dir}/b.bin`),
            FtpNotFoundError,
          );
        });
      } finally {
        await client.rmdir(dir).catch(() => {});
        await client.close();
      }
    },
  );

  peerTest(
    `FtpClient rejects a wrong password on ${key} with FtpAuthError`,
    key,
    async (_t, peers) => {
      const peer = peers[key];
      const err = await assertRejects(
        () => asUser(peer, { password: "wrong password" }),
        FtpAuthError,
      );
      assertEquals(err.code, 530);
    },
  );

  peerTest(
    `FtpClient transfers in active mode with ${key}`,
    key,
    async (_t, peers) => {
      const client = await connect(peers[key], { passive: false });
      try {
        const body = await client.download(peers.ftp.hello.path);
        assertEquals(await streamText(body), peers.ftp.hello.text);
      } finally {
        await client.close();
      }
    },
  );
}

async function caCerts(peers: Peers): Promise<string[]> {
  return [await Deno.readTextFile(peers.tls.caFile)];
}

peerTest(
  "FtpClient speaks explicit FTPS with pure-ftpd",
  "pureFtpd",
  async (_t, peers) => {
    const peer = peers.pureFtpd;
    const client = await asUser(peer, {
      secure: true,
      caCerts: await caCerts(peers),
    });
    const name = `/${uniqueName("inetkit-tls")}.txt`;
    try {
      assert(client.isSecure);
      await client.upload(name, "over TLS\n");
      assertEquals(await streamText(await client.download(name)), "over TLS\n");
      const listing = await client.list("/");
      assert(listing.entries.some((e) => `/${e.name}` === name));
      await client.remove(name);
    } finally {
      await client.close();
    }
  },
);

peerTest(
  "FtpClient names require_ssl_reuse when vsftpd refuses TLS data connections",
  "vsftpdFtps",
  async (_t, peers) => {
    const client = await asUser(peers.vsftpdFtps, {
      secure: true,
      caCerts: await caCerts(peers),
    });
    try {
      assert(client.isSecure);
      assertEquals(await client.pwd(), "/");
      const err = await assertRejects(
        () => client.list("/"),
        FtpSessionReuseError,
      );
      assertEquals(err.setting, "require_ssl_reuse");
      assertStringIncludes(err.message, "require_ssl_reuse");
      assertEquals(err.code, 522);
    } finally {
      await client.close();
    }
  },
);

peerTest(
  "FtpClient refuses a plain-text login where vsftpd forces TLS",
  "vsftpdFtps",
  async (_t, peers) => {
    await assertRejects(() => asUser(peers.vsftpdFtps), FtpAuthError);
  },
);

async function checkManifest(dir: string, manifest: string): Promise<string> {
  const out = await new Deno.Command("sha256sum", {
    args: ["-c", "--quiet", manifest],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  return out.success ? "" : text.split("\n").slice(0, 5).join("\n");
}

peerTest(
  "ftp_mirror mirrors the whole tree from pure-ftpd and a second run transfers nothing",
  "pureFtpd",
  async (t, peers) => {
    const dir = await Deno.makeTempDir({ prefix: "inetkit-mirror-" });
    const url = `ftp://${peers.pureFtpd.hostname}:${peers.pureFtpd.port}/`;
    try {
      await t.step(
        "first run: every file, sha256 manifest matches",
        async () => {
          const summary = await mirror({ url, dir, parallel: 8 });
          assertEquals(summary.failures, []);
          assertEquals(summary.files, peers.ftp.files);
          assertEquals(summary.bytes, peers.ftp.bytes);
          assertEquals(await checkManifest(dir, peers.ftp.manifest), "");
          const link = await Deno.lstat(`${dir}/link-to-hello.txt`).catch(
            () => null,
          );
          assertEquals(link, null);
        },
      );
      await t.step("second run: nothing transferred", async () => {
        const summary = await mirror({ url, dir, parallel: 8 });
        assertEquals(summary.failures, []);
        assertEquals(summary.files, 0);
        assertEquals(summary.bytes, 0);
        assertEquals(summary.unchanged, peers.ftp.files);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

peerTest(
  "ftp_mirror mirrors the 2,000-file tree from vsftpd (LIST and MDTM)",
  "vsftpd",
  async (t, peers) => {
    const dir = await Deno.makeTempDir({ prefix: "inetkit-mirror-" });
    const url =
      `ftp://${peers.vsftpd.hostname}:${peers.vsftpd.port}${peers.ftp.tree.path}`;
    try {
      await t.step("first run", async () => {
        const summary = await mirror({ url, dir, parallel: 8 });
        assertEquals(summary.failures, []);
        assertEquals(summary.files, peers.ftp.tree.files);
        assertEquals(summary.bytes, peers.ftp.tree.bytes);
        const manifest = (await Deno.readTextFile(peers.ftp.manifest))
          .split("\n")
          .filter((line) => line.includes("  ./tree/"))
          .map((line) => line.replace("  ./tree/", "  ./"))
          .join("\n") + "\n";
        const listed = `${dir}.sha256`;
        await Deno.writeTextFile(listed, manifest);
        try {
          assertEquals(await checkManifest(dir, listed), "");
        } finally {
          await Deno.remove(listed);
        }
        const first = manifest.split("\n")[0]!.split("  ")[1]!;
        const stat = await Deno.stat(`${dir}/${first}`);
        assertEquals(stat.mtime?.getTime(), peers.ftp.treeMtime * 1000);
      });
      await t.step("second run transfers nothing", async () => {
        const summary = await mirror({ url, dir, parallel: 8 });
        assertEquals(summary.failures, []);
        assertEquals(summary.bytes, 0);
        assertEquals(summary.unchanged, peers.ftp.tree.files);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
