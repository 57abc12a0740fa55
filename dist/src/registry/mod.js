// @ts-self-types="../../../src/registry/mod.ts"
// Generated from src/registry/mod.ts by tasks/dist.ts (deno task dist): do not edit.
export { Registry, } from "./registry.js";
export { DEFAULT_LOCKFILE, formatLockfile, LOCKFILE_VERSION, lockKey, parseLockfile, readLockfile, writeLockfile, } from "./lockfile.js";
export { EXACT_POLICY } from "./trust_policy.js";
export { formatSignature, generateSigningKey, parseSignatureFile, publicKeyOf, SIGNATURE_SUFFIX, signPlugin, } from "./signature.js";
export { HashCache } from "./hash_cache.js";
export { verifyFiles, } from "../check/verify_files.js";
