/**
 * What a host requires of a plugin beyond loading: how strictly it must
 * match its lockfile entry, which build id and which compiler.
 *
 * Checks run in a fixed order, from cause to consequence, so the error names
 * the root cause: a changed interface also changes the build id and the
 * bytes, and a new compiler also changes the build id and the bytes.
 *
 * 1. ABI version (as PostgreSQL checks its magic block first; nothing else is
 *    compared when it differs), after the host's own ABI rule
 * 2. name and version: `VERSION_MISMATCH` when only other versions of the
 *    name are trusted, `UNTRUSTED` when the name is unknown (strict mode)
 * 3. interfaces: `INTERFACE_MISMATCH`
 * 4. toolchain: `TOOLCHAIN_MISMATCH` (only when pinned)
 * 5. build id: `BUILD_ID_MISMATCH`
 * 6. checksum: `CHECKSUM_MISMATCH`
 *
 * @module
 */

/** How much of a lockfile entry a plugin file must match. */
export type PinLevel = "checksum" | "build-id" | "interfaces";

/**
 * A host's trust requirements. Every field is optional.
 *
 * @example Allow compatible rebuilds of trusted plugins, built by gcc 12
 * ```ts ignore
 * import { openPlugin } from "@plugboard/plugboard";
 * import { type TrustPolicy } from "@plugboard/plugboard/registry";
 *
 * const policy: TrustPolicy = { pin: "interfaces", pinToolchain: "gcc 12" };
 * await using plugin = await openPlugin("build/greeter.so", { registry: "plugboard.lock", policy });
 * ```
 */
export interface TrustPolicy {
  /**
   * `"strict"`: a plugin without a lockfile entry is refused (`UNTRUSTED`).
   * `"known"`: plugins the lockfile knows are checked, others load.
   * @default "strict"
   */
  mode?: "strict" | "known";
  /**
   * What must match the entry, beyond ABI, version and interfaces:
   * `"checksum"`: the exact bytes (and the build id); `"build-id"`: the build
   * id (a reproducible rebuild loads); `"interfaces"`: nothing more (any
   * rebuild with compatible interfaces loads).
   * @default "checksum"
   */
  pin?: PinLevel;
  /**
   * Refuse a version of a trusted name that is not itself trusted
   * (`VERSION_MISMATCH`). When false, such a version counts as unknown and
   * `mode` decides.
   * @default true
   */
  pinVersions?: boolean;
  /**
   * How a plugin's interfaces may differ from the trusted ones. `"extend"`:
   * same major, a minor at least the trusted one, every trusted function with
   * the same signature; functions may be added with a higher minor, and whole
   * interfaces may be added. `"exact"`: the same interfaces with the same
   * versions and shape hashes.
   * @default "extend"
   */
  interfaces?: "extend" | "exact";
  /**
   * The build id the host requires: one for every plugin, or one per plugin
   * name (names not listed are not constrained). Checked in addition to the
   * lockfile, and for plugins the lockfile does not know.
   * @default undefined (no requirement beyond the lockfile's)
   */
  requireBuildId?: string | Readonly<Record<string, string>>;
  /**
   * Refuse a plugin built by another compiler: `true` pins the compiler
   * recorded in its lockfile entry, a string such as `"gcc 12.2.0"` (or
   * `"gcc 12"`, matching any 12.x) pins that compiler for every plugin.
   * @default false
   */
  pinToolchain?: boolean | string;
}

/**
 * The policy under which every difference from the lockfile is an error:
 * strict, exact bytes, exact interfaces, pinned toolchain. `verifyFiles()`
 * and `plugboard verify` use it unless told otherwise.
 */
export const EXACT_POLICY: Readonly<Required<Omit<TrustPolicy, "requireBuildId">>> = Object
  .freeze({
    mode: "strict",
    pin: "checksum",
    pinVersions: true,
    interfaces: "exact",
    pinToolchain: true,
  });
