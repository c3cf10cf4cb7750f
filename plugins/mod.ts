/**
 * The plugin API: a {@linkcode ProtocolRegistry} where protocol handlers
 * register for URL schemes, the built-in plugins (`http:`/`https:`,
 * `ftp:`/`ftps:`, `nntp:`/`news:`), and a default registry holding them.
 *
 * @example Usage
 * ```ts ignore
 * import { defaultRegistry } from "./mod.ts";
 *
 * const res = await defaultRegistry().fetch("ftp://127.0.0.1:2121/hello.txt");
 * console.log(res.status, await res.text());
 * ```
 *
 * @module
 */

import { ftpPlugin } from "./ftp.ts";
import { httpPlugin } from "./http.ts";
import { nntpPlugin } from "./nntp.ts";
import { ProtocolRegistry } from "./registry.ts";

export {
  type DirectoryEntry,
  type PluginFetchInit,
  type ProtocolPlugin,
  ProtocolRegistry,
  SchemeConflictError,
} from "./registry.ts";
export { ftpPlugin } from "./ftp.ts";
export { httpPlugin } from "./http.ts";
export { nntpPlugin } from "./nntp.ts";

/**
 * A new registry with the built-in plugins, independent of every other.
 *
 * @returns The registry.
 *
 * @example Usage
 * ```ts ignore
 * import { createDefaultRegistry } from "./mod.ts";
 *
 * const registry = createDefaultRegistry();
 * console.log(registry.schemes());
 * await registry.close();
 * ```
 */
export function createDefaultRegistry(): ProtocolRegistry {
  return new ProtocolRegistry()
    .register(httpPlugin())
    .register(ftpPlugin())
    .register(nntpPlugin());
}

let shared: ProtocolRegistry | undefined;

/**
 * The shared registry, created with the built-ins on first use.
 *
 * @returns The registry.
 *
 * @example Usage
 * ```ts ignore
 * import { defaultRegistry } from "./mod.ts";
 *
 * const res = await defaultRegistry().fetch("nntp://127.0.0.1:1119/local.test/3");
 * ```
 */
export function defaultRegistry(): ProtocolRegistry {
  shared ??= createDefaultRegistry();
  return shared;
}
