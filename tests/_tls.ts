/**
 * Test TLS material: a CA and a leaf certificate for 127.0.0.1/localhost made
 * with openssl (rustls refuses a self-signed certificate that is also a CA, so
 * a leaf is needed), cached for the whole test run.
 *
 * @module
 */

/** PEM strings for a test CA and a leaf signed by it. */
export interface TestCerts {
  /** The CA certificate clients trust. */
  caCert: string;
  /** The leaf certificate servers present. */
  cert: string;
  /** The leaf's private key. */
  key: string;
  /** Directory holding `ca.crt`, `leaf.crt` and `leaf.key`. */
  dir: string;
}

let cached: Promise<TestCerts> | undefined;

async function run(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command("openssl", {
    args,
    cwd,
    stdout: "null",
    stderr: "piped",
  })
    .output();
  if (!out.success) {
    throw new Error(
      `openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
}

async function make(): Promise<TestCerts> {
  const dir = `${Deno.env.get("TMPDIR") ?? "/tmp"}/inetkit-test-tls`;
  try {
    return {
      caCert: await Deno.readTextFile(`${dir}/ca.crt`),
      cert: await Deno.readTextFile(`${dir}/leaf.crt`),
      key: await Deno.readTextFile(`${dir}/leaf.key`),
      dir,
    };
  } catch {
    // Not made yet.
  }
  const work = await Deno.makeTempDir({ prefix: "inetkit-tls-" });
  await run([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "3650",
    "-subj",
    "/CN=inetkit test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
  ], work);
  await run([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=127.0.0.1",
    "-keyout",
    "leaf.key",
    "-out",
    "leaf.csr",
  ], work);
  await Deno.writeTextFile(
    `${work}/leaf.ext`,
    "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n" +
      "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n",
  );
  await run([
    "x509",
    "-req",
    "-in",
    "leaf.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "3650",
    "-extfile",
    "leaf.ext",
    "-out",
    "leaf.crt",
  ], work);
  try {
    await Deno.rename(work, dir);
  } catch {
    // Another test process won the race; use its files.
    await Deno.remove(work, { recursive: true });
  }
  return make();
}

/** Returns the cached test certificates, creating them on first use. */
export function testCerts(): Promise<TestCerts> {
  cached ??= make();
  return cached;
}

/**
 * Splices two connections together until either side ends, then closes both.
 * Useful to hand a plain socket to a TLS listener after a STARTTLS reply.
 */
export async function splice(a: Deno.Conn, b: Deno.Conn): Promise<void> {
  async function pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
    const buf = new Uint8Array(16384);
    try {
      while (true) {
        const n = await from.read(buf);
        if (n === null) break;
        let off = 0;
        while (off < n) off += await to.write(buf.subarray(off, n));
      }
    } catch { /* either side closed */ }
    for (const c of [a, b]) {
      try {
        c.close();
      } catch { /* closed */ }
    }
  }
  await Promise.all([pump(a, b), pump(b, a)]);
}
