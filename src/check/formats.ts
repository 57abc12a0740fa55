/**
 * The kinds of plugin file, told apart by their first bytes, each read by
 * its own reader into what the pipeline needs: the metadata records, what
 * to call the file when it has none, and how to find (or explain the
 * absence of) an exported function.
 *
 * @module
 */

import type { PluginKind } from "../abi/identity.ts";
import type { MetadataNote } from "../abi/read_metadata.ts";
import { type ElfInfo, readElf } from "../elf/read_elf.ts";
import { findExported } from "./symbols.ts";

/** A plugin file read by the reader of its kind. */
export interface ParsedFormat {
  /** The kind of plugin. */
  readonly kind: PluginKind;
  /** The parsed ELF file, for a native plugin. */
  readonly elf: ElfInfo | undefined;
  /** The plugboard records (and any others). */
  readonly notes: readonly MetadataNote[];
  /** Where the metadata of this kind of file is, for `NOT_A_PLUGIN`. */
  readonly metadataPlace: string;
  /** What the file is when it has no plugboard records, for `NOT_A_PLUGIN`. */
  readonly withoutMetadata: string;
  /** The functions the plugin's runtime must export. */
  readonly runtime: readonly string[];
  /**
   * Check that a function is exported.
   *
   * @param name the function
   * @param path the file, for messages
   * @throws {LoadError} `SYMBOL_MISSING`, saying why it is not there
   */
  requireFunction(name: string, path: string): void;
}

/** The functions plugboard's native runtime defines (PLUGBOARD_PLUGIN). */
const NATIVE_RUNTIME = Object.freeze(["plugboard_entry", "plugboard_take_error"]);

/**
 * Read a plugin file by its kind.
 *
 * @param bytes the file's bytes
 * @param path the file, for messages
 * @returns the parsed file
 * @throws {LoadError} `NOT_ELF`, `TRUNCATED`, `MALFORMED`, `WRONG_ARCH`, ...
 */
export function parseFormat(bytes: Uint8Array, path: string): ParsedFormat {
  return elfFormat(readElf(bytes, path));
}

/**
 * An ELF shared library as a plugin file.
 *
 * @param elf the parsed file
 * @returns the format
 */
export function elfFormat(elf: ElfInfo): ParsedFormat {
  const exported = elf.symbols.filter((s) => s.defined && s.binding !== "local").length;
  return {
    kind: "native",
    elf,
    notes: elf.notes,
    metadataPlace: 'a ".note.plugboard" note written by PLUGBOARD_PLUGIN(...)',
    withoutMetadata: `an ordinary shared library (${exported} exported symbol${
      exported === 1 ? "" : "s"
    }, no plugboard note)`,
    runtime: NATIVE_RUNTIME,
    requireFunction(name, path) {
      findExported(elf, name, path, "function");
    },
  };
}
