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
import { NOTE_OWNER } from "../abi/read_metadata.ts";
import { type ElfInfo, readElf } from "../elf/read_elf.ts";
import { LoadError } from "../errors/plugin_error.ts";
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
  return elfFormat(readElf(bytes, path), path);
}

/**
 * An ELF shared library as a plugin file.
 *
 * @param elf the parsed file
 * @returns the format
 */
export function elfFormat(elf: ElfInfo, path: string): ParsedFormat {
  checkNotesMapped(elf, path);
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

/**
 * The loader compares the plugboard notes in memory with the file's before
 * it trusts what it loaded, and reads memory only inside the object's
 * segments: a note that is not wholly inside a readable segment mapped from
 * the file (stretched past its page, or in a gap between segments) could not
 * be compared, so such a file is refused here, by every entry point alike.
 */
function checkNotesMapped(elf: ElfInfo, path: string): void {
  for (const note of elf.notes) {
    if (note.owner !== NOTE_OWNER) continue;
    const inside = note.vaddr >= 0 &&
      elf.loads.some((s) =>
        s.read && note.vaddr >= s.vaddr && note.vaddr + note.size <= s.vaddr + s.filesz &&
        note.offset - s.offset === note.vaddr - s.vaddr
      );
    if (!inside) {
      throw new LoadError("BAD_METADATA", {
        path,
        what: `the plugboard note at file offset ${note.offset} is not loaded with the library`,
        expected: "every plugboard note inside a readable segment mapped from the file (PT_LOAD)",
        found: note.vaddr < 0
          ? "a note that no loadable segment maps"
          : `a ${note.size}-byte note at address 0x${
            note.vaddr.toString(16)
          } that runs past the segment that maps its start`,
        hint:
          "rebuild the plugin with plugboard's SDK and a standard linker script; the notes must be in the .note.plugboard section of a loaded segment",
      });
    }
  }
}
