/**
 * `node:crypto`, loaded on first use rather than at import: a static import
 * costs about 20 ms and 9 MiB of start-up for every program that imports
 * plugboard, while only signatures and large files need it
 * (docs/performance.md).
 *
 * @module
 */

type NodeCrypto = typeof import("node:crypto");

let loaded: NodeCrypto | undefined;

/**
 * The `node:crypto` module, loaded synchronously the first time.
 *
 * @example
 * ```ts
 * import { nodeCrypto } from "./node_crypto.ts";
 *
 * const { publicKey } = nodeCrypto().generateKeyPairSync("ed25519");
 * console.log(publicKey.asymmetricKeyType); // "ed25519"
 * ```
 *
 * @returns the module
 */
export function nodeCrypto(): NodeCrypto {
  // deno-lint-ignore no-explicit-any
  loaded ??= (globalThis as any).process.getBuiltinModule("node:crypto") as NodeCrypto;
  return loaded;
}

/**
 * Whether `node:crypto` is loaded already (then it is the cheapest hasher).
 *
 * @returns whether {@linkcode nodeCrypto} has been called
 */
export function nodeCryptoLoaded(): boolean {
  return loaded !== undefined;
}
