/**
 * `@plugboard/plugboard/registry`: what a host trusts. A lockfile,
 * `plugboard.lock`, records per `name@version` a plugin's SHA-256, build id,
 * ABI, interfaces with their shape hashes, compiler and where it was seen;
 * {@linkcode Registry} reads, changes and checks it, and
 * {@linkcode verifyFiles} checks files against it, reporting every
 * difference. Nothing here runs a plugin.
 *
 * @example Trust a plugin, then load it only while it still matches
 * ```ts ignore
 * import { inspectPlugin, openPlugin } from "@plugboard/plugboard";
 * import { Registry } from "@plugboard/plugboard/registry";
 *
 * Registry.edit("plugboard.lock", {}, (r) => r.trust(inspectPlugin("build/greeter.so")));
 * await using plugin = await openPlugin("build/greeter.so", { registry: "plugboard.lock" });
 * ```
 *
 * @example An empty registry
 * ```ts
 * import { Registry } from "@plugboard/plugboard/registry";
 *
 * console.log(new Registry().toLockfile()); // { version: 1, plugins: {} }
 * ```
 *
 * @module
 */

export {
  type DifferencesOptions,
  type FieldChange,
  type FromLockfileOptions,
  type PublisherEntry,
  Registry,
  type RegistryOptions,
  type TrustChange,
} from "./registry.ts";
export {
  DEFAULT_LOCKFILE,
  formatLockfile,
  type LockedInterface,
  type LockEntry,
  type Lockfile,
  LOCKFILE_VERSION,
  lockKey,
  parseLockfile,
  type ParseLockfileOptions,
  type Publisher,
  readLockfile,
  type ReadLockfileOptions,
  writeLockfile,
} from "./lockfile.ts";
export { EXACT_POLICY, type PinLevel, type TrustPolicy } from "./trust_policy.ts";
export {
  formatSignature,
  generateSigningKey,
  parseSignatureFile,
  type PluginSignature,
  type PublicKey,
  publicKeyOf,
  SIGNATURE_SUFFIX,
  type SignedIdentity,
  type SigningKey,
  signPlugin,
} from "./signature.ts";
export { type CachedPlugin, HashCache, type StoreOptions } from "./hash_cache.ts";
export {
  type FileVerdict,
  verifyFiles,
  type VerifyFilesOptions,
  type VerifyReport,
} from "../check/verify_files.ts";
export type { PluginIdentity } from "../abi/identity.ts";
export type { FileStamp } from "../file/stamp.ts";
export type { ReadFile as PluginFile } from "../file/read_file.ts";
