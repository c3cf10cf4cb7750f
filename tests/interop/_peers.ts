/**
 * Typed access to the real protocol peers that `tests/interop/peers.sh start`
 * runs on loopback (vsftpd, pure-ftpd, nginx, a Python redirector, INN2).
 *
 * `peers.sh` writes every port, credential, path and content fact into one
 * JSON file, by default `/tmp/inetkit-peers/peers.json` (the directory can be
 * moved with the `INETKIT_PEERS_DIR` environment variable). This module reads
 * it and, once per process, probes each listed port with a TCP connect, so that
 * {@linkcode peerTest} knows which peers are up.
 *
 * On a developer machine without the peers, interop tests are registered as
 * ignored and one line explains why. Under `CI=true` a missing JSON file or a
 * peer that does not answer makes its tests fail instead.
 *
 * @example Usage
 * ```ts ignore
 * import { peerTest } from "./_peers.ts";
 *
 * peerTest("FtpClient.list() reads the vsftpd tree", "vsftpd", async (t, peers) => {
 *   const { hostname, port } = peers.vsftpd;
 *   // connect to hostname:port ...
 * });
 * ```
 *
 * @module
 */

/** The names of the peers in the JSON file, each a listening service. */
export type PeerKey =
  | "vsftpd"
  | "vsftpdFtps"
  | "pureFtpd"
  | "nginx"
  | "nginxProxy"
  | "pythonRedirector"
  | "inn"
  | "innTls";

/** Every {@linkcode PeerKey}, in the order `peers.sh status` lists them. */
export const PEER_KEYS: readonly PeerKey[] = [
  "vsftpd",
  "vsftpdFtps",
  "pureFtpd",
  "nginx",
  "nginxProxy",
  "pythonRedirector",
  "inn",
  "innTls",
];

/** The TLS material shared by every TLS-capable peer. */
export interface PeersTls {
  /** PEM file of the test CA: the one file clients trust (pass it as `caCerts`). */
  caFile: string;
  /** PEM leaf certificate the servers present (CN 127.0.0.1, SAN 127.0.0.1 and localhost). */
  certFile: string;
  /** PEM private key of the leaf certificate. */
  keyFile: string;
  /** Names the leaf certificate is valid for. */
  serverNames: string[];
}

/** A user name and password accepted by a peer. */
export interface PeerUser {
  /** User name. */
  name: string;
  /** Password. */
  password: string;
}

/** The local FTP account (a Unix user) shared by vsftpd and pure-ftpd. */
export interface FtpUser extends PeerUser {
  /** Its writable home directory on disk; FTP sessions see it as `/`. */
  home: string;
}

/** Fields every listening peer has. */
export interface PeerService {
  /** Always `127.0.0.1`. */
  hostname: string;
  /** TCP port. */
  port: number;
  /** Server software, for example `"vsftpd"`. */
  software: string;
  /** Version of the server software as the package reports it. */
  version: string;
}

/** An FTP server. */
export interface FtpPeer extends PeerService {
  /** `"none"` (plain only), `"optional"` (AUTH TLS offered) or `"required"` (explicit FTPS forced). */
  tls: "none" | "optional" | "required";
  /** Whether data connections must resume the control connection's TLS session. */
  requireSslReuse: boolean;
  /** Whether MLSD/MLST are offered. */
  mlsd: boolean;
  /** Anonymous login (any password) is allowed, read-only, rooted at {@linkcode FtpContent.root}. */
  anonymous: boolean;
  /** The local user, chrooted to its writable home. */
  user: FtpUser;
  /** First and last port of the passive range (advertised as 127.0.0.1). */
  passivePorts: [number, number];
}

/** An HTTP server or proxy. */
export interface HttpPeer extends PeerService {
  /** Base URL without a trailing slash, for example `http://127.0.0.1:8091`. */
  url: string;
  /** Base URL of the upstream, for the proxies. */
  upstream?: string;
}

/** An NNTP server. */
export interface NntpPeer extends PeerService {
  /** `"starttls"` (plain, STARTTLS offered) or `"implicit"` (TLS from the first byte). */
  tls: "starttls" | "implicit";
  /** Whether AUTHINFO USER/PASS is required before reading (the server answers 480 until then). */
  authRequired: boolean;
  /** The account AUTHINFO accepts (on both ports). */
  user: PeerUser;
}

/** A generated file with known size and digest. */
export interface ContentFile {
  /** Path as served, starting with `/`. */
  path: string;
  /** Size in bytes. */
  size: number;
  /** Lowercase hex SHA-256 of the content. */
  sha256: string;
}

/** The FTP tree both FTP servers serve to anonymous users. */
export interface FtpContent {
  /** Directory on disk. */
  root: string;
  /**
   * `sha256sum` manifest of every regular file, paths as `./relative/path`,
   * sorted bytewise; check a mirror with `sha256sum -c` from its root.
   */
  manifest: string;
  /** Count of regular files under the root. */
  files: number;
  /** Count of directories under the root (the root excluded). */
  dirs: number;
  /** Count of symbolic links under the root. */
  symlinks: number;
  /** Total bytes of the regular files. */
  bytes: number;
  /** The mirror fixture: 2,000 small files in nested directories. */
  tree: { path: string; files: number; dirs: number; bytes: number };
  /** The 1 GiB file. */
  big: ContentFile;
  /** A short text file (`/hello.txt`) and its exact text. */
  hello: ContentFile & { text: string };
  /** An empty file. */
  empty: ContentFile;
  /** A symbolic link and the (relative) target it names. */
  symlink: { path: string; target: string };
  /** Paths of files whose names are awkward (spaces, UTF-8, leading dash, `%`, `#`). */
  hostileNames: string[];
  /** Modification time (Unix seconds) of `tree/` files: the Nth file in manifest order has `treeMtime + N`. */
  treeMtime: number;
}

/** The static files nginx serves. */
export interface WwwContent {
  /** Directory on disk. */
  root: string;
  /** The benchmark files. */
  files: { "1k": ContentFile; "64k": ContentFile; "100m": ContentFile };
}

/** Facts about one newsgroup right after `peers.sh start`. */
export interface NewsGroupFacts {
  /** Number of articles (for `local.post` it grows as tests post). */
  count: number;
  /** Whether readers may post to it (only `local.post`: the fixture groups keep their counts). */
  posting: boolean;
  /** Message-ID pattern, `N` standing for the article number where it applies. */
  messageId: string;
  /** Description as LIST NEWSGROUPS gives it. */
  description: string;
}

/** The news spool INN2 serves. */
export interface NewsContent {
  /** The generated groups. */
  groups: {
    "local.test": NewsGroupFacts;
    "local.big": NewsGroupFacts;
    "local.utf8": NewsGroupFacts;
    "local.threads": NewsGroupFacts;
    "local.post": NewsGroupFacts;
  };
  /** The word the search fixtures are built around (`"deno"`). */
  word: string;
  /** Articles whose Subject contains the word, case-insensitively, per group. */
  wordHits: {
    "local.big": number;
    "local.test": number;
    "local.threads": number;
  };
  /** Articles of local.test whose Subject has the word as a whole word. */
  wholeWordHitsTest: number;
  /** Articles of local.big whose Subject carries an HTML-hostile `<script>` payload. */
  htmlHostileBig: number;
  /** Articles per thread in local.big (article N starts a thread when N % size == 1). */
  bigThreadSize: number;
}

/** Everything `peers.sh start` wrote into the peers file. */
export interface Peers {
  /** Format version of the file (this module reads version 1). */
  version: 1;
  /** When the file was written (ISO 8601). */
  createdAt: string;
  /** The state directory (`INETKIT_PEERS_DIR`). */
  dir: string;
  /** Always `127.0.0.1`. */
  hostname: string;
  /** CA and server certificate. */
  tls: PeersTls;
  /** vsftpd, plain FTP, anonymous read-only plus the local user; no MLSD. */
  vsftpd: FtpPeer;
  /** vsftpd, explicit FTPS forced for login and data, `require_ssl_reuse=YES`. */
  vsftpdFtps: FtpPeer;
  /** pure-ftpd with MLSD and optional AUTH TLS. */
  pureFtpd: FtpPeer;
  /** The FTP tree. */
  ftp: FtpContent;
  /** nginx serving {@linkcode WwwContent} statically. */
  nginx: HttpPeer;
  /** nginx `proxy_pass` in front of {@linkcode Peers.nginx}, upstream keep-alive on. */
  nginxProxy: HttpPeer;
  /** The textbook Python `http.server` redirector in front of {@linkcode Peers.nginx}. */
  pythonRedirector: HttpPeer;
  /** The static files. */
  www: WwwContent;
  /** INN2 on the plain port: anonymous readers, posting to `local.post`, STARTTLS. */
  inn: NntpPeer;
  /** INN2's nnrpd with implicit TLS, AUTHINFO required. */
  innTls: NntpPeer;
  /** The news spool. */
  news: NewsContent;
}

/** Whether one peer is usable, and why not when it is not. */
export interface PeerAvailability {
  /** The peer answered a TCP connect. */
  up: boolean;
  /** Why it is not usable (empty when up). */
  reason: string;
}

/**
 * Returns the path of the peers file: `$INETKIT_PEERS_DIR/peers.json`, by
 * default `/tmp/inetkit-peers/peers.json`.
 *
 * @returns The absolute path of the JSON file.
 *
 * @example Usage
 * ```ts ignore
 * import { peersPath } from "./_peers.ts";
 *
 * console.log(peersPath());
 * ```
 */
export function peersPath(): string {
  return `${peersDir()}/peers.json`;
}

function peersDir(): string {
  let dir: string | undefined;
  if (Deno.permissions.querySync({ name: "env" }).state === "granted") {
    dir = Deno.env.get("INETKIT_PEERS_DIR") || undefined;
  }
  return (dir ?? "/tmp/inetkit-peers").replace(/\/+$/, "");
}

/**
 * Reports whether the run is under CI (`CI` set to `true` or `1`), where an
 * absent peer fails its tests instead of skipping them.
 *
 * @returns `true` under CI.
 *
 * @example Usage
 * ```ts ignore
 * import { underCi } from "./_peers.ts";
 *
 * if (underCi()) console.log("peers are mandatory");
 * ```
 */
export function underCi(): boolean {
  if (Deno.permissions.querySync({ name: "env" }).state !== "granted") {
    return false;
  }
  const value = (Deno.env.get("CI") ?? "").toLowerCase();
  return value === "true" || value === "1";
}

let loadError = "";

/**
 * Reads the peers file.
 *
 * @param path File to read; defaults to {@linkcode peersPath}.
 * @returns The parsed facts, or `null` when the file is absent, unreadable or
 * not a version 1 peers file.
 *
 * @example Usage
 * ```ts ignore
 * import { loadPeers } from "./_peers.ts";
 *
 * const peers = loadPeers();
 * if (peers) console.log(peers.vsftpd.port);
 * ```
 */
export function loadPeers(path: string = peersPath()): Peers | null {
  if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") {
    loadError = `No read permission for "${path}"`;
    return null;
  }
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    loadError = error instanceof Deno.errors.NotFound
      ? `Peers file "${path}" not found`
      : `Cannot read peers file "${path}": ${errorText(error)}`;
    return null;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    loadError = `Peers file "${path}" is not JSON: ${errorText(error)}`;
    return null;
  }
  if (!isPeers(value)) {
    loadError = `Peers file "${path}" is not a version 1 peers file`;
    return null;
  }
  loadError = "";
  return value;
}

function isPeers(value: unknown): value is Peers {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  if (record.version !== 1) return false;
  return PEER_KEYS.every((key) => {
    const peer = record[key];
    return typeof peer === "object" && peer !== null &&
      typeof (peer as Record<string, unknown>).port === "number";
  });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function probe(hostname: string, port: number): Promise<string> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 3000);
  try {
    const conn = await Deno.connect({
      hostname,
      port,
      signal: controller.signal,
    });
    conn.close();
    return "";
  } catch (error) {
    return `Nothing answers on ${hostname}:${port} (${errorText(error)})`;
  } finally {
    clearTimeout(timer);
  }
}

async function probeAll(
  peers: Peers | null,
  problem: string,
): Promise<Map<PeerKey, PeerAvailability>> {
  const result = new Map<PeerKey, PeerAvailability>();
  if (peers === null) {
    for (const key of PEER_KEYS) {
      result.set(key, { up: false, reason: problem });
    }
    return result;
  }
  const netGranted =
    Deno.permissions.querySync({ name: "net", host: peers.hostname })
      .state === "granted";
  await Promise.all(PEER_KEYS.map(async (key) => {
    const { hostname, port } = peers[key];
    const reason = netGranted
      ? await probe(hostname, port)
      : `No net permission for "${hostname}"`;
    result.set(key, { up: reason === "", reason });
  }));
  return result;
}

const PEERS: Peers | null = loadPeers();
const PEERS_PROBLEM: string = PEERS === null
  ? loadError || "Peers file unavailable"
  : "";
const AVAILABILITY: Map<PeerKey, PeerAvailability> = await probeAll(
  PEERS,
  PEERS_PROBLEM,
);
let notified = false;

/**
 * Tells whether a peer answered when this module was loaded.
 *
 * @param key The peer.
 * @returns Its availability and, when down, the reason.
 *
 * @example Usage
 * ```ts ignore
 * import { peerAvailability } from "./_peers.ts";
 *
 * console.log(peerAvailability("inn").up);
 * ```
 */
export function peerAvailability(key: PeerKey): PeerAvailability {
  return AVAILABILITY.get(key) ??
    { up: false, reason: `Unknown peer "${key}"` };
}

/** Options for {@linkcode peerTest}: the usual `Deno.test` settings. */
export type PeerTestOptions = Omit<
  Deno.TestDefinition,
  "name" | "fn" | "ignore"
>;

/**
 * Registers a `Deno.test` that needs real peers. When every named peer
 * answered, the test runs with the parsed facts. Otherwise it is ignored (one
 * line on stderr says why, once per process), except under `CI=true`, where it
 * is registered and fails with the reason.
 *
 * @param name Test name.
 * @param keys The peer or peers the test talks to.
 * @param fn The test body; it receives the test context and the facts.
 * @param options Other `Deno.test` settings (sanitizers, permissions).
 * @returns Nothing.
 *
 * @example Usage
 * ```ts ignore
 * import { peerTest } from "./_peers.ts";
 *
 * peerTest("NntpClient.group() reads local.big", "inn", async (t, peers) => {
 *   console.log(peers.news.groups["local.big"].count);
 * });
 * ```
 */
export function peerTest(
  name: string,
  keys: PeerKey | readonly PeerKey[],
  fn: (t: Deno.TestContext, peers: Peers) => void | Promise<void>,
  options: PeerTestOptions = {},
): void {
  const wanted: readonly PeerKey[] = typeof keys === "string" ? [keys] : keys;
  const down = wanted
    .map((key) => ({ key, availability: peerAvailability(key) }))
    .filter((entry) => !entry.availability.up);
  if (down.length === 0 && PEERS !== null) {
    const peers = PEERS;
    Deno.test({ ...options, name, fn: (t) => fn(t, peers) });
    return;
  }
  const reason = PEERS === null ? PEERS_PROBLEM : down
    .map((entry) => `${entry.key}: ${entry.availability.reason}`)
    .join("; ");
  if (underCi()) {
    Deno.test({
      ...options,
      name,
      fn() {
        throw new Error(
          `Interop peer unavailable under CI: ${reason}; start the peers with "bash tests/interop/peers.sh start"`,
        );
      },
    });
    return;
  }
  if (!notified) {
    notified = true;
    // deno-lint-ignore no-console
    console.error(
      `interop tests ignored, peers not up (${reason}); start them with "bash tests/interop/peers.sh start"`,
    );
  }
  Deno.test({ ...options, name, ignore: true, fn: () => {} });
}
