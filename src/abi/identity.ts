/**
 * A plugin's identity as the registry compares it: name, version, ABI,
 * interfaces with their shape hashes, compiler, build id and the SHA-256 of
 * its bytes. Plain data, derived from the metadata and the file's hash; the
 * registry and the lockfile work on it and never on files.
 *
 * @module
 */

import { formatVersionPair } from "./abi_version.ts";
import type { PluginMetadata } from "./read_metadata.ts";
import { canonicalSignature } from "./signature.ts";

/** The kinds of plugin: a shared library, a WebAssembly module, an executable. */
export type PluginKind = "native" | "wasm" | "executable";

/** An interface as the registry records it. */
export interface InterfaceIdentity {
  /** Its id, e.g. `calc.op`. */
  readonly id: string;
  /** Its version, `MAJOR.MINOR`. */
  readonly version: string;
  /** SHA-256 (hex) of `id/MAJOR.MINOR` and its canonical signatures. */
  readonly hash: string;
  /** Its canonical signatures, sorted by function name. */
  readonly functions: readonly string[];
}

/** A plugin as the registry sees it. */
export interface PluginIdentity {
  /** The file, as given. */
  readonly path: string;
  /** The file with symlinks resolved, when known. */
  readonly realPath?: string;
  /** What kind of plugin it is. @default "native" */
  readonly kind?: PluginKind;
  /** SHA-256 of the file, hex. */
  readonly sha256: string;
  /** The plugin's name. */
  readonly name: string;
  /** Its version. */
  readonly version: string;
  /** Its ABI, `MAJOR.MINOR`. */
  readonly abi: string;
  /** Its build id. */
  readonly buildId: string;
  /** The compiler that built it. */
  readonly compiler: string;
  /** Its interfaces, sorted by id. */
  readonly interfaces: readonly InterfaceIdentity[];
}

/**
 * The identity of a plugin from its metadata and hash.
 *
 * @param metadata the plugin's metadata
 * @param file where it is, its hash and its kind
 * @returns the identity
 */
export function identityOf(
  metadata: PluginMetadata,
  file: { path: string; realPath?: string; sha256: string; kind: PluginKind },
): PluginIdentity {
  return Object.freeze({
    path: file.path,
    ...(file.realPath === undefined ? {} : { realPath: file.realPath }),
    kind: file.kind,
    sha256: file.sha256,
    name: metadata.name,
    version: metadata.version,
    abi: formatVersionPair(metadata.abi),
    buildId: metadata.buildId,
    compiler: metadata.compiler,
    interfaces: Object.freeze(metadata.interfaces.map((i) =>
      Object.freeze({
        id: i.id,
        version: formatVersionPair(i.version),
        hash: i.hash,
        functions: Object.freeze(i.functions.map(canonicalSignature)),
      })
    )),
  });
}
