/**
 * The protocol registry: plugins register for URL schemes, and one
 * `fetch`-like call serves every registered scheme with a web `Response`.
 * Like Go's `Transport.RegisterProtocol`, registering a scheme twice is an
 * error; unlike it, separate registries can coexist, so an embedding
 * application is not forced onto global state.
 *
 * @module
 */

/** Options a plugin's `fetch` and `list` receive. */
export interface PluginFetchInit {
  /** The request method; plugins for non-HTTP protocols accept GET (and HEAD where it makes sense). */
  method?: string;
  /** Request headers (HTTP plugins pass them on). */
  headers?: HeadersInit;
  /** Request body (HTTP plugins send it; upload-capable plugins may use it). */
  body?: BodyInit | null;
  /** Aborts the operation and closes its connection. */
  signal?: AbortSignal;
  /** Milliseconds to wait for the peer on any single read or write. */
  timeout?: number;
  /** Extra CA certificates (PEM) for TLS. */
  caCerts?: string[];
}

/** One entry of a directory-like listing (FTP directory, news group, Gopher menu). */
export interface DirectoryEntry {
  /** Display name. */
  name: string;
  /** What the entry is. */
  type: "file" | "dir" | "link" | "other";
  /** Size in bytes, when known. */
  size?: number;
  /** Last modification, when known. */
  modified?: Date;
  /** The URL that fetches (or lists) the entry. */
  url: string;
}

/**
 * A protocol handler. `fetch` answers with a web `Response` whose body is
 * streamed; non-HTTP protocols map their replies to HTTP-like statuses (for
 * example FTP 550 to 404). `list` is present where the protocol has
 * directories.
 */
export interface ProtocolPlugin {
  /** A short name, used in error messages. */
  readonly name: string;
  /** The URL schemes served, lower case, without the colon (`"ftp"`). */
  readonly schemes: readonly string[];
  /** Default port per scheme. */
  readonly defaultPorts: Readonly<Record<string, number>>;
  /**
   * Fetches a URL.
   *
   * @param url The URL, its scheme one of `schemes`.
   * @param init Method, headers, body, signal, timeout.
   * @returns The response.
   */
  fetch(url: URL, init?: PluginFetchInit): Promise<Response>;
  /**
   * Lists a directory-like URL.
   *
   * @param url The URL.
   * @param init Signal and timeout.
   * @returns The entries.
   */
  list?(url: URL, init?: PluginFetchInit): AsyncIterable<DirectoryEntry>;
  /** Releases pooled connections. */
  close?(): Promise<void> | void;
}

/**
 * Raised when a scheme is registered twice: the message names the scheme,
 * the plugin that has it and the plugin that asked for it.
 *
 * @example Usage
 * ```ts
 * import { SchemeConflictError } from "./registry.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const err = new SchemeConflictError("ftp", "ftp", "my-ftp");
 * assertEquals(err.message, 'Cannot register "my-ftp" for scheme "ftp": already registered by "ftp"');
 * ```
 */
export class SchemeConflictError extends Error {
  /** The scheme. */
  readonly scheme: string;
  /** The name of the plugin that has the scheme. */
  readonly existing: string;
  /** The name of the plugin that asked for it. */
  readonly incoming: string;

  /**
   * Creates the error.
   *
   * @param scheme The scheme registered twice.
   * @param existing The plugin that has it.
   * @param incoming The plugin that asked for it.
   */
  constructor(scheme: string, existing: string, incoming: string) {
    super(
      `Cannot register "${incoming}" for scheme "${scheme}": already registered by "${existing}"`,
    );
    this.name = this.constructor.name;
    this.scheme = scheme;
    this.existing = existing;
    this.incoming = incoming;
  }
}

const SCHEME_REGEXP = /^[a-z][a-z0-9+.-]*$/;

function normalizeScheme(scheme: string): string {
  const s = scheme.toLowerCase().replace(/:$/, "");
  if (!SCHEME_REGEXP.test(s)) {
    throw new TypeError(`Invalid URL scheme: "${scheme}"`);
  }
  return s;
}

/**
 * A set of protocol plugins keyed by URL scheme.
 *
 * @example Usage
 * ```ts
 * import { ProtocolRegistry } from "./registry.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const registry = new ProtocolRegistry();
 * registry.register({
 *   name: "echo",
 *   schemes: ["echo"],
 *   defaultPorts: {},
 *   fetch: (url) => Promise.resolve(new Response(url.pathname)),
 * });
 * const res = await registry.fetch("echo:hello");
 * assertEquals(await res.text(), "hello");
 * ```
 */
export class ProtocolRegistry {
  #plugins = new Map<string, ProtocolPlugin>();

  /**
   * Registers a plugin for each of its schemes.
   *
   * @param plugin The plugin.
   * @returns This registry, for chaining.
   * @throws {SchemeConflictError} When one of its schemes is taken; nothing is registered then.
   */
  register(plugin: ProtocolPlugin): this {
    if (typeof plugin.fetch !== "function") {
      throw new TypeError(`Plugin "${plugin.name}" has no fetch function`);
    }
    const schemes = plugin.schemes.map(normalizeScheme);
    if (schemes.length === 0) {
      throw new TypeError(`Plugin "${plugin.name}" names no scheme`);
    }
    for (const s of schemes) {
      const existing = this.#plugins.get(s);
      if (existing) {
        throw new SchemeConflictError(s, existing.name, plugin.name);
      }
    }
    for (const s of schemes) this.#plugins.set(s, plugin);
    return this;
  }

  /**
   * Removes a plugin (all its schemes) or a single scheme.
   *
   * @param target A scheme or a registered plugin.
   * @returns Whether anything was removed.
   */
  unregister(target: string | ProtocolPlugin): boolean {
    if (typeof target === "string") {
      return this.#plugins.delete(normalizeScheme(target));
    }
    let removed = false;
    for (const [s, p] of this.#plugins) {
      if (p === target) removed = this.#plugins.delete(s) || removed;
    }
    return removed;
  }

  /**
   * The plugin serving a scheme.
   *
   * @param scheme A scheme, with or without the colon, any case.
   * @returns The plugin, or `undefined`.
   */
  lookup(scheme: string): ProtocolPlugin | undefined {
    return this.#plugins.get(normalizeScheme(scheme));
  }

  /**
   * Every registered scheme, sorted.
   *
   * @returns The schemes.
   */
  schemes(): string[] {
    return [...this.#plugins.keys()].sort();
  }

  /**
   * Fetches a URL with the plugin registered for its scheme.
   *
   * @param input A URL string, `URL` or `Request` (its method, headers, body and signal are used).
   * @param init Options; they override the request's.
   * @returns The response.
   * @throws {TypeError} For an invalid URL or an unknown scheme (the cause says which), like `fetch`.
   */
  async fetch(
    input: string | URL | Request,
    init: PluginFetchInit = {},
  ): Promise<Response> {
    let merged = init;
    let target: string | URL = input instanceof Request ? input.url : input;
    if (input instanceof Request) {
      merged = {
        method: input.method,
        headers: input.headers,
        body: input.body,
        signal: input.signal,
        ...init,
      };
      target = input.url;
    }
    const url = this.#parse(target);
    return await this.#pluginFor(url).fetch(url, merged);
  }

  /**
   * Lists a directory-like URL with the plugin registered for its scheme.
   *
   * @param input The URL.
   * @param init Signal and timeout.
   * @returns The entries.
   * @throws {TypeError} For an unknown scheme or a plugin without listings.
   */
  list(
    input: string | URL,
    init: PluginFetchInit = {},
  ): AsyncIterable<DirectoryEntry> {
    const url = this.#parse(input);
    const plugin = this.#pluginFor(url);
    if (!plugin.list) {
      throw new TypeError(
        `Plugin "${plugin.name}" cannot list "${url.protocol}" URLs`,
      );
    }
    return plugin.list(url, init);
  }

  /** Closes every plugin's pooled connections. */
  async close(): Promise<void> {
    await Promise.all(
      [...new Set(this.#plugins.values())].map((p) => p.close?.()),
    );
  }

  #parse(input: string | URL): URL {
    try {
      return input instanceof URL ? input : new URL(input);
    } catch (cause) {
      throw new TypeError(`Invalid URL: ${JSON.stringify(String(input))}`, {
        cause,
      });
    }
  }

  #pluginFor(url: URL): ProtocolPlugin {
    const scheme = url.protocol.slice(0, -1).toLowerCase();
    const plugin = this.#plugins.get(scheme);
    if (!plugin) {
      throw new TypeError(`No plugin registered for scheme "${scheme}"`, {
        cause: new Error(
          `Registered schemes: ${this.schemes().join(", ") || "none"}`,
        ),
      });
    }
    return plugin;
  }
}
