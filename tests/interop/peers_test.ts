/**
 * Smoke tests for the interop peers: each one answers on its port, speaking its
 * protocol, through nothing but `Deno.connect` and `Deno.startTls`. They prove
 * `tests/interop/peers.sh start` worked and that `peers.json` tells the truth;
 * the protocol modules have their own interop tests.
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { type ContentFile, peerTest } from "./_peers.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A CRLF line reader over a raw connection, with a bounded buffer. */
class LineConn {
  #conn: Deno.Conn;
  #buffer = new Uint8Array(0);

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  get conn(): Deno.Conn {
    return this.#conn;
  }

  /** Bytes read but not consumed yet. */
  get buffered(): number {
    return this.#buffer.length;
  }

  async readLine(): Promise<string> {
    for (let reads = 0; reads < 1000; reads++) {
      const end = this.#buffer.indexOf(0x0a);
      if (end >= 0) {
        const line = decoder.decode(this.#buffer.subarray(0, end));
        this.#buffer = this.#buffer.slice(end + 1);
        return line.replace(/\r$/, "");
      }
      if (this.#buffer.length > 65536) throw new Error("Line too long");
      const chunk = new Uint8Array(16384);
      const n = await this.#conn.read(chunk);
      if (n === null) throw new Error("Connection closed before a full line");
      const joined = new Uint8Array(this.#buffer.length + n);
      joined.set(this.#buffer);
      joined.set(chunk.subarray(0, n), this.#buffer.length);
      this.#buffer = joined;
    }
    throw new Error("No line after 1000 reads");
  }

  /** Reads an FTP-style reply (multi-line `NNN-` ... `NNN `) and returns its lines. */
  async readReply(): Promise<string[]> {
    const first = await this.readLine();
    const lines = [first];
    if (first[3] === "-") {
      const end = `${first.slice(0, 3)} `;
      while (!lines[lines.length - 1]!.startsWith(end)) {
        lines.push(await this.readLine());
      }
    }
    return lines;
  }

  async write(text: string): Promise<void> {
    const bytes = encoder.encode(text);
    let written = 0;
    while (written < bytes.length) {
      written += await this.#conn.write(bytes.subarray(written));
    }
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}

async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

async function readAll(conn: Deno.Conn): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const chunk = new Uint8Array(65536);
  for (let reads = 0; reads < 100_000; reads++) {
    const n = await conn.read(chunk);
    if (n === null) break;
    chunks.push(chunk.slice(0, n));
    total += n;
  }
  const all = new Uint8Array(total);
  let offset = 0;
  for (const part of chunks) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}

/** GETs a file with a raw HTTP/1.1 request and checks status, length and digest. */
async function checkHttpFile(
  hostname: string,
  port: number,
  file: ContentFile,
): Promise<void> {
  const conn = await Deno.connect({ hostname, port });
  try {
    const request =
      `GET ${file.path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
      "User-Agent: inetkit-peers-smoke\r\nConnection: close\r\n\r\n";
    await conn.write(encoder.encode(request));
    const response = await readAll(conn);
    const split = response.findIndex((_, i) =>
      response[i] === 0x0d && response[i + 1] === 0x0a &&
      response[i + 2] === 0x0d && response[i + 3] === 0x0a
    );
    assert(split > 0, "Response has a header section");
    const head = decoder.decode(response.subarray(0, split)).split("\r\n");
    assertMatch(head[0]!, /^HTTP\/1\.[01] 200 /);
    const length = head.find((line) => /^content-length:/i.test(line));
    assertEquals(length?.split(":")[1]?.trim(), String(file.size));
    const body = response.subarray(split + 4);
    assertEquals(body.length, file.size);
    assertEquals(await sha256Hex(body), file.sha256);
  } finally {
    conn.close();
  }
}

peerTest(
  "peers.json facts match the generated content on disk",
  [],
  async (_t, peers) => {
    const manifest = await Deno.readTextFile(peers.ftp.manifest);
    const lines = manifest.trimEnd().split("\n");
    assertEquals(lines.length, peers.ftp.files);
    assert(lines.includes(`${peers.ftp.big.sha256}  ./big.bin`));
    assertEquals(
      lines.filter((line) => line.includes("  ./tree/")).length,
      peers.ftp.tree.files,
    );
    assertEquals(peers.ftp.tree.files, 2000);
    assertEquals(
      (await Deno.stat(`${peers.ftp.root}/big.bin`)).size,
      peers.ftp.big.size,
    );
    const link = await Deno.readLink(
      `${peers.ftp.root}${peers.ftp.symlink.path}`,
    );
    assertEquals(link, peers.ftp.symlink.target);
    assertEquals(
      (await Deno.stat(`${peers.www.root}/100m.bin`)).size,
      104857600,
    );
    assert(
      (await Deno.readTextFile(peers.tls.caFile)).includes("BEGIN CERTIFICATE"),
    );
    assertEquals(peers.news.groups["local.big"].count, 100000);
  },
);

peerTest(
  "vsftpd greets with 220 and accepts anonymous login",
  "vsftpd",
  async (_t, peers) => {
    const { hostname, port } = peers.vsftpd;
    const ftp = new LineConn(await Deno.connect({ hostname, port }));
    try {
      assertMatch((await ftp.readReply()).at(-1)!, /^220 /);
      await ftp.write("USER anonymous\r\n");
      // Anonymous needs no password here (no_anon_password=YES).
      assertMatch((await ftp.readReply()).at(-1)!, /^230 /);
      await ftp.write(`SIZE ${peers.ftp.big.path}\r\n`);
      // vsftpd answers SIZE in ASCII mode with 550: switch to binary first.
      assertMatch((await ftp.readReply()).at(-1)!, /^(213|550) /);
      await ftp.write("TYPE I\r\n");
      assertMatch((await ftp.readReply()).at(-1)!, /^200 /);
      await ftp.write(`SIZE ${peers.ftp.big.path}\r\n`);
      assertEquals((await ftp.readReply()).at(-1), `213 ${peers.ftp.big.size}`);
      await ftp.write("QUIT\r\n");
      assertMatch((await ftp.readReply()).at(-1)!, /^221/);
    } finally {
      ftp.close();
    }
  },
);

peerTest(
  "vsftpd FTPS greets with 220 and upgrades to TLS trusted by the test CA",
  "vsftpdFtps",
  async (_t, peers) => {
    const { hostname, port } = peers.vsftpdFtps;
    const plain = new LineConn(await Deno.connect({ hostname, port }));
    let tls: LineConn | undefined;
    try {
      assertMatch((await plain.readReply()).at(-1)!, /^220 /);
      await plain.write("AUTH TLS\r\n");
      assertMatch((await plain.readReply()).at(-1)!, /^234 /);
      assertEquals(plain.buffered, 0);
      const caCerts = [await Deno.readTextFile(peers.tls.caFile)];
      tls = new LineConn(
        await Deno.startTls(plain.conn as Deno.TcpConn, { hostname, caCerts }),
      );
      await tls.write("USER anonymous\r\n");
      // Anonymous needs no password here (no_anon_password=YES).
      assertMatch((await tls.readReply()).at(-1)!, /^230 /);
      await tls.write("QUIT\r\n");
      assertMatch((await tls.readReply()).at(-1)!, /^221/);
    } finally {
      if (tls) tls.close();
      else plain.close();
    }
  },
);

peerTest(
  "pure-ftpd greets with 220 and offers MLSD and AUTH TLS",
  "pureFtpd",
  async (_t, peers) => {
    const { hostname, port } = peers.pureFtpd;
    const ftp = new LineConn(await Deno.connect({ hostname, port }));
    try {
      assertMatch((await ftp.readReply()).at(-1)!, /^220 /);
      await ftp.write("FEAT\r\n");
      const feat = (await ftp.readReply()).join("\n");
      assertMatch(feat, /^ MLSD/m);
      assertMatch(feat, /^ AUTH TLS/m);
      await ftp.write("QUIT\r\n");
      assertMatch((await ftp.readReply()).at(-1)!, /^221/);
    } finally {
      ftp.close();
    }
  },
);

peerTest(
  "INN greets readers with 200 and serves local.big",
  "inn",
  async (_t, peers) => {
    const { hostname, port } = peers.inn;
    const nntp = new LineConn(await Deno.connect({ hostname, port }));
    try {
      assertMatch(await nntp.readLine(), /^200 /);
      await nntp.write("GROUP local.big\r\n");
      const group = await nntp.readLine();
      assertMatch(group, /^211 /);
      assertEquals(
        Number(group.split(" ")[1]),
        peers.news.groups["local.big"].count,
      );
      await nntp.write("QUIT\r\n");
      assertMatch(await nntp.readLine(), /^205/);
    } finally {
      nntp.close();
    }
  },
);

peerTest(
  "INN over implicit TLS greets and asks for AUTHINFO",
  "innTls",
  async (_t, peers) => {
    const { hostname, port } = peers.innTls;
    const caCerts = [await Deno.readTextFile(peers.tls.caFile)];
    const nntp = new LineConn(
      await Deno.connectTls({ hostname, port, caCerts }),
    );
    try {
      assertMatch(await nntp.readLine(), /^20[01] /);
      await nntp.write("GROUP local.test\r\n");
      assertMatch(await nntp.readLine(), /^480 /);
      await nntp.write(`AUTHINFO USER ${peers.innTls.user.name}\r\n`);
      assertMatch(await nntp.readLine(), /^381 /);
      await nntp.write(`AUTHINFO PASS ${peers.innTls.user.password}\r\n`);
      assertMatch(await nntp.readLine(), /^281 /);
      await nntp.write("GROUP local.test\r\n");
      assertMatch(await nntp.readLine(), /^211 50 /);
      await nntp.write("QUIT\r\n");
      assertMatch(await nntp.readLine(), /^205/);
    } finally {
      nntp.close();
    }
  },
);

peerTest(
  "nginx serves the 1 KiB and 64 KiB files byte for byte",
  "nginx",
  async (_t, peers) => {
    await checkHttpFile(
      peers.hostname,
      peers.nginx.port,
      peers.www.files["1k"],
    );
    await checkHttpFile(
      peers.hostname,
      peers.nginx.port,
      peers.www.files["64k"],
    );
  },
);

peerTest(
  "nginx proxy_pass relays the 1 KiB file",
  "nginxProxy",
  async (_t, peers) => {
    await checkHttpFile(
      peers.hostname,
      peers.nginxProxy.port,
      peers.www.files["1k"],
    );
  },
);

peerTest(
  "Python redirector relays the 1 KiB file",
  "pythonRedirector",
  async (_t, peers) => {
    await checkHttpFile(
      peers.hostname,
      peers.pythonRedirector.port,
      peers.www.files["1k"],
    );
  },
);
