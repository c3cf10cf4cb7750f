/**
 * Reading `ftp://` and `ftps://` URLs into connection settings and a path.
 *
 * @module
 */

/** What an FTP URL names. */
export interface FtpUrlParts {
  /** Host name or address, IPv6 brackets removed. */
  hostname: string;
  /** Port: the URL's, else 21 (`ftp:`) or 990 (`ftps:`). */
  port: number;
  /** Percent-decoded user name, when the URL has one. */
  user?: string;
  /** Percent-decoded password, when the URL has one. */
  password?: string;
  /** `"implicit"` for `ftps:` (TLS from the first byte), else absent. */
  secure?: "implicit";
  /** The percent-decoded path (`/pub/a.txt`), `""` when the URL has none. */
  path: string;
}

/**
 * Reads an FTP URL: `ftp://user:pass@host:port/path`. User name, password and
 * path are percent-decoded; an `ftps:` URL means implicit TLS on port 990 by
 * default. A trailing RFC 1738 `;type=a|i|d` is dropped from the path.
 *
 * @param url The URL.
 * @returns Host, port, credentials and path.
 * @throws {TypeError} When the URL is not `ftp:` or `ftps:`, has no host, or
 * has malformed percent-escapes.
 *
 * @example Usage
 * ```ts
 * import { parseFtpUrl } from "./_ftp_url.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const parts = parseFtpUrl("ftp://me:p%40ss@[::1]:2121/pub/a%20b.txt");
 * assertEquals(parts.hostname, "::1");
 * assertEquals(parts.password, "p@ss");
 * assertEquals(parts.path, "/pub/a b.txt");
 * ```
 */
export function parseFtpUrl(url: string | URL): FtpUrlParts {
  const parsed = typeof url === "string" ? new URL(url) : url;
  if (parsed.protocol !== "ftp:" && parsed.protocol !== "ftps:") {
    throw new TypeError(
      `Cannot use URL scheme "${parsed.protocol}": expected "ftp:" or "ftps:"`,
    );
  }
  const hostname = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  if (hostname === "") {
    throw new TypeError(`Cannot use URL "${parsed.href}": it names no host`);
  }
  const implicit = parsed.protocol === "ftps:";
  const parts: FtpUrlParts = {
    hostname,
    port: parsed.port ? Number(parsed.port) : implicit ? 990 : 21,
    path: decode(parsed.pathname.replace(/;type=[aid]$/i, ""), "path"),
  };
  if (parsed.username) parts.user = decode(parsed.username, "user name");
  if (parsed.password) parts.password = decode(parsed.password, "password");
  if (implicit) parts.secure = "implicit";
  return parts;
}

function decode(value: string, what: string): string {
  try {
    return decodeURIComponent(value);
  } catch (err) {
    throw new TypeError(`Cannot decode the ${what} of the FTP URL`, {
      cause: err,
    });
  }
}
