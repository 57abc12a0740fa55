/**
 * Which plugins a host hands out: interface references (`"calc.op/1"`,
 * `"calc.op/1.0"` or an {@linkcode InterfaceSpec}) matched against a
 * plugin's metadata.
 *
 * @module
 */

import { checkInterface, type InterfaceSpec } from "../abi/define_interface.ts";
import type { PluginMetadata } from "../abi/read_metadata.ts";
import type { ElfInfo } from "../elf/read_elf.ts";
import { PluginError } from "../errors/plugin_error.ts";

/** An interface as the host asks for it: id, major, and optionally a minimum minor. */
export interface InterfaceRef {
  /** The interface id, e.g. `calc.op`. */
  readonly id: string;
  /** The major version the plugin must have. */
  readonly major: number;
  /** The lowest minor version accepted; `undefined` accepts any. */
  readonly minor: number | undefined;
  /** The full spec, when the host asked with one (signatures are then checked too). */
  readonly spec: InterfaceSpec | undefined;
}

/**
 * Parse `"id/MAJOR"` or `"id/MAJOR.MINOR"`, or take a spec as it is.
 *
 * @param ref the reference
 * @returns the parsed reference
 * @throws {PluginError} `USAGE` when the text has no version
 */
export function interfaceRef(ref: string | InterfaceSpec): InterfaceRef {
  if (typeof ref !== "string") {
    return { id: ref.id, major: ref.version.major, minor: ref.version.minor, spec: ref };
  }
  const m = /^(.+)\/(\d{1,5})(?:\.(\d{1,5}))?$/.exec(ref);
  if (!m) {
    throw new PluginError("USAGE", `Invalid interface reference ${JSON.stringify(ref)}`, {
      hint: 'write it as "ID/MAJOR" or "ID/MAJOR.MINOR", e.g. "calc.op/1"',
    });
  }
  return {
    id: m[1],
    major: Number(m[2]),
    minor: m[3] === undefined ? undefined : Number(m[3]),
    spec: undefined,
  };
}

/**
 * Whether a plugin's metadata provides an interface: same id and major, a
 * minor at least the one asked for, and for a spec, the same signatures.
 *
 * @param meta the plugin's metadata
 * @param ref the interface
 * @returns whether it provides it
 */
export function provides(meta: PluginMetadata, ref: InterfaceRef): boolean {
  const found = meta.interfaces.find((i) => i.id === ref.id);
  if (!found || found.version.major !== ref.major) return false;
  if (ref.minor !== undefined && found.version.minor < ref.minor) return false;
  if (!ref.spec) return true;
  try {
    checkInterface(meta, ref.spec, "");
    return true;
  } catch {
    return false;
  }
}

/** `DF_1_NODELETE` in `DT_FLAGS_1`: the library can never be unloaded. */
const DF_1_NODELETE = 0x8;

/**
 * Whether a library is linked with `-z nodelete` (DT_FLAGS_1 has
 * DF_1_NODELETE), read from the file without loading it.
 *
 * @param elf the parsed file
 * @returns true when dlclose will never unmap it
 */
export function isNodelete(elf: ElfInfo): boolean {
  return (elf.flags1 & DF_1_NODELETE) !== 0;
}
