/**
 * The plugin ABI version this host speaks, and the compatibility rule.
 *
 * The same numbers and rule are written once in `native/plugboard.h`; a test
 * compiles the header and checks that the two agree.
 *
 * @module
 */

/** A `MAJOR.MINOR` version pair. */
export interface AbiVersion {
  /** Incompatible changes bump the major. */
  readonly major: number;
  /** Compatible additions bump the minor. */
  readonly minor: number;
}

/** The ABI version of this host: `PLUGBOARD_ABI_MAJOR.PLUGBOARD_ABI_MINOR`. */
export const HOST_ABI: AbiVersion = Object.freeze({ major: 1, minor: 0 });

/**
 * The compatibility rule: a host with ABI H.h loads a plugin with ABI P.p when
 * P == H and p <= h.
 *
 * @example
 * ```ts
 * import { isAbiCompatible } from "./abi_version.ts";
 *
 * console.log(isAbiCompatible({ major: 1, minor: 2 }, { major: 1, minor: 0 })); // true
 * console.log(isAbiCompatible({ major: 1, minor: 0 }, { major: 1, minor: 1 })); // false
 * ```
 *
 * @param host the host's version
 * @param plugin the plugin's version
 * @returns whether the plugin can be loaded
 */
export function isAbiCompatible(host: AbiVersion, plugin: AbiVersion): boolean {
  return plugin.major === host.major && plugin.minor <= host.minor;
}

/**
 * Parse `"MAJOR.MINOR"`.
 *
 * @example
 * ```ts
 * import { parseVersionPair } from "./abi_version.ts";
 *
 * console.log(parseVersionPair("1.0")); // { major: 1, minor: 0 }
 * console.log(parseVersionPair("x")); // undefined
 * ```
 *
 * @param text the version text
 * @returns the version, or `undefined` when the text is not of that form
 */
export function parseVersionPair(text: string): AbiVersion | undefined {
  const m = /^(\d{1,5})\.(\d{1,5})$/.exec(text);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

/**
 * Format a version pair as `MAJOR.MINOR`.
 *
 * @example
 * ```ts
 * import { formatVersionPair } from "./abi_version.ts";
 *
 * console.log(formatVersionPair({ major: 1, minor: 0 })); // "1.0"
 * ```
 *
 * @param v the version
 * @returns the text
 */
export function formatVersionPair(v: AbiVersion): string {
  return `${v.major}.${v.minor}`;
}
