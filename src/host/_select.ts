/**
 * Which plugins a host takes: interface references (`"calc.op/1"`,
 * `"calc.op/1.0"` or an {@linkcode InterfaceSpec}) and the check a plugin's
 * metadata must pass against the host's declared interfaces before anything
 * of it is loaded.
 *
 * @module
 */

import { checkInterface, type InterfaceSpec } from "../abi/define_interface.ts";
import { formatVersionPair } from "../abi/abi_version.ts";
import type { PluginMetadata } from "../abi/read_metadata.ts";
import type { ElfInfo } from "../elf/read_elf.ts";
import { LoadError, PluginError } from "../errors/plugin_error.ts";
import { findExported } from "../loader/_symbols.ts";

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

/**
 * The host's check of a plugin's metadata: with no declared interfaces every
 * plugin passes; otherwise the plugin must provide at least one of them, and
 * every declared interface it claims (by id) must match, version first, then
 * function by function, and each function must be exported.
 *
 * @param meta the plugin's metadata
 * @param elf the parsed file, for the exported symbols
 * @param specs the host's declared interfaces
 * @param path the file, for messages
 * @returns the declared interfaces the plugin provides
 * @throws {LoadError} `INTERFACE_MISSING`, `INTERFACE_MISMATCH`, `SIGNATURE_MISMATCH` or `SYMBOL_MISSING`
 */
export function checkHostInterfaces(
  meta: PluginMetadata,
  elf: ElfInfo,
  specs: readonly InterfaceSpec[],
  path: string,
): InterfaceSpec[] {
  if (specs.length === 0) return [];
  const accepted: InterfaceSpec[] = [];
  const ids = [...new Set(specs.map((s) => s.id))];
  for (const id of ids) {
    if (!meta.interfaces.some((i) => i.id === id)) continue;
    let first: unknown;
    let ok = false;
    for (const spec of specs.filter((s) => s.id === id)) {
      try {
        checkInterface(meta, spec, path);
        for (const name of spec.signatures.keys()) findExported(elf, name, path, "function");
        accepted.push(spec);
        ok = true;
      } catch (e) {
        first ??= e;
      }
    }
    if (!ok) throw first;
  }
  if (accepted.length === 0) {
    const wanted = specs.map((s) => `${s.id}/${formatVersionPair(s.version)}`);
    const has = meta.interfaces.map((i) => `${i.id}/${formatVersionPair(i.version)}`);
    const err = new LoadError("INTERFACE_MISSING", {
      path,
      what: `plugin "${meta.name}" provides none of the host's interfaces`,
      expected: wanted.join(" or "),
      found: has.length ? has.join(", ") : "no interfaces",
      hint: `implement ${wanted[0]} in the plugin, or remove the file from the search path`,
    });
    forOthers.add(err);
    throw err;
  }
  return accepted;
}

const forOthers = new WeakSet<object>();

/**
 * Whether an error says a plugin provides none of the host's interfaces
 * (a plugin for other hosts, expected in a shared directory), as opposed to
 * a plugin that claims one of them and does not match.
 *
 * @param err the error
 * @returns whether it is that error
 */
export function isForOtherInterfaces(err: unknown): boolean {
  return typeof err === "object" && err !== null && forOthers.has(err);
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
