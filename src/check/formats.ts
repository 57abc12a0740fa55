/**
 * The kinds of plugin file, told apart by their first bytes, each read by
 * its own reader into what the pipeline needs: the metadata records, what
 * to call the file when it has none, and how to find (or explain the
 * absence of) an exported function.
 *
 * @module
 */

import type { PluginKind } from "../abi/identity.ts";
import type { MetadataNote, PluginMetadata } from "../abi/read_metadata.ts";
import { NOTE_OWNER } from "../abi/read_metadata.ts";
import { type ElfInfo, readElf } from "../elf/read_elf.ts";
import { LoadError } from "../errors/plugin_error.ts";
import { parseRpcMetadata, type RpcMetadata, toPluginMetadata } from "./sidecar.ts";
import { findExported, nearestNames } from "./symbols.ts";

/** A plugin file read by the reader of its kind. */
export interface ParsedFormat {
  /** The kind of plugin. */
  readonly kind: PluginKind;
  /** The parsed ELF file, for a native plugin. */
  readonly elf: ElfInfo | undefined;
  /** An executable's metadata sidecar, for a subprocess plugin. */
  readonly sidecar: SidecarFile | undefined;
  /** The metadata, when the format carries it whole (a sidecar) rather than as records. */
  readonly metadata?: PluginMetadata;
  /** The plugboard records (and any others). */
  readonly notes: readonly MetadataNote[];
  /** The strings of an ELF file's `.comment` section (`[]` for other kinds). */
  readonly comment: readonly string[];
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

/** An executable's metadata sidecar as read. */
export interface SidecarFile {
  /** Its path. */
  readonly path: string;
  /** SHA-256 of its bytes. */
  readonly sha256: string;
  /** What it declares. */
  readonly rpc: RpcMetadata;
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
    sidecar: undefined,
    notes: elf.notes,
    comment: elf.comment,
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

/**
 * An executable described by its metadata sidecar (a subprocess plugin,
 * docs/subprocess.md): the sidecar is parsed, the program is never run.
 *
 * @param program the program's path, for messages
 * @param sidecar the sidecar's path and bytes
 * @returns the format, with the metadata
 * @throws {LoadError} `BAD_METADATA` or `ABI_MISMATCH`
 */
export function sidecarFormat(
  program: string,
  sidecar: { path: string; bytes: Uint8Array; sha256: string },
): ParsedFormat {
  const bad = (found: string) =>
    new LoadError("BAD_METADATA", {
      path: program,
      what: `the sidecar ${JSON.stringify(sidecar.path)} is invalid`,
      expected: "one JSON object in UTF-8",
      found,
      hint:
        "rewrite the sidecar with `plugboard describe PROGRAM --run --write` (docs/subprocess.md)",
    });
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(sidecar.bytes));
  } catch (e) {
    throw bad(
      e instanceof SyntaxError
        ? `text that is not JSON (${e.message})`
        : "bytes that are not UTF-8",
    );
  }
  const rpc = parseRpcMetadata(value, program, "sidecar", { file: sidecar.path });
  const metadata = toPluginMetadata(rpc);
  return {
    kind: "executable",
    elf: undefined,
    sidecar: { path: sidecar.path, sha256: sidecar.sha256, rpc },
    metadata,
    notes: [],
    comment: [],
    metadataPlace: `a metadata sidecar ${JSON.stringify(sidecar.path)}`,
    withoutMetadata: "an executable without a metadata sidecar",
    runtime: [],
    requireFunction(name, path) {
      if (metadata.functions.has(name)) return;
      const near = nearestNames(name, [...metadata.functions.keys()]);
      throw new LoadError("SYMBOL_MISSING", {
        path,
        what: `function "${name}" is not declared by the plugin`,
        expected: `a function "${name}" in its sidecar ${JSON.stringify(sidecar.path)}`,
        found: `no such function${
          near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(" or ")}?` : ""
        }`,
        hint: "call a function the plugin declares, or add it to the plugin and its sidecar",
      });
    },
  };
}
