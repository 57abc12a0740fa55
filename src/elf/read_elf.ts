/**
 * Read an ELF shared library's header, dynamic section, symbols and notes in
 * pure TypeScript, before anything calls `dlopen` on it. A file the host
 * cannot load is refused with a {@linkcode LoadError} that says what is
 * wrong (a text file, a 32-bit or aarch64 build, an executable, a truncated
 * copy) instead of glibc's terse or misleading `dlopen` messages.
 *
 * The reader treats its input as hostile: every offset and count is checked
 * against the file size, strings are read only inside their string table,
 * large regions are viewed, never copied, and any inconsistency is a
 * `MALFORMED` or `TRUNCATED` error, never another kind of exception.
 *
 * @example Refusing a file that is not a library
 * ```ts
 * import { LoadError } from "@plugboard/plugboard";
 * import { readElf } from "./read_elf.ts";
 *
 * try {
 *   readElf(new TextEncoder().encode("hello world\n"), "plugins/hello.so");
 * } catch (err) {
 *   if (err instanceof LoadError) console.log(err.code, err.found); // NOT_ELF text beginning "hello wo"
 * }
 * ```
 *
 * @module
 */

import { LoadError, PluginError } from "../errors/plugin_error.ts";
import {
  readComment,
  readDynamic,
  readDynamicSymbols,
  readNotes,
  readSymbolSection,
} from "./_contents.ts";
import { describeNonElf } from "./_describe.ts";
import { checkExportedCode, checkLoadable } from "./_loadable.ts";
import { AddressMap, checkSectionNames, PT_LOAD, readHeaders } from "./_headers.ts";
import { knownMachines, machineCode, machineName } from "./_machines.ts";
import {
  createReader,
  fail,
  malformed,
  MALFORMED_HINT,
  type Range,
  type Reader,
  TRUNCATED_HINT,
  u16,
  u32,
} from "./_reader.ts";

/**
 * A symbol from `.dynsym` or `.symtab`.
 *
 * @example Deciding whether a symbol is a function a host can call
 * ```ts
 * import type { ElfSymbol } from "./read_elf.ts";
 *
 * const symbol: ElfSymbol = {
 *   name: "greet",
 *   value: 0x1139,
 *   size: 42,
 *   type: "func",
 *   binding: "global",
 *   visibility: "default",
 *   defined: true,
 *   section: 12,
 * };
 * const callable = symbol.defined && symbol.type === "func" && symbol.binding !== "local";
 * console.log(callable); // true
 * ```
 */
export interface ElfSymbol {
  /** The name, decoded as UTF-8, at most 4096 bytes of it. */
  name: string;
  /** `st_value`: the symbol's virtual address (or, in a `.o`, its offset in its section). */
  value: number;
  /** `st_size` in bytes. */
  size: number;
  /** `STT_*` from `st_info`; `ifunc` is `STT_GNU_IFUNC`. */
  type:
    | "notype"
    | "object"
    | "func"
    | "section"
    | "file"
    | "common"
    | "tls"
    | "ifunc"
    | "other";
  /** `STB_*` from `st_info`; `unique` is `STB_GNU_UNIQUE`. */
  binding: "local" | "global" | "weak" | "unique" | "other";
  /** `STV_*` from `st_other`. */
  visibility: "default" | "internal" | "hidden" | "protected";
  /** Whether the file defines it (`st_shndx != SHN_UNDEF`); `false` for imports. */
  defined: boolean;
  /**
   * `st_shndx`: the index of the section it is in; 0 (`SHN_UNDEF`) for an
   * import, `0xfff1` (`SHN_ABS`) for an absolute value that is no address in
   * the file, `0xfff2` (`SHN_COMMON`).
   */
  section: number;
}

/** A loadable segment (`PT_LOAD`): where the file's bytes are mapped, and how. */
export interface ElfLoadSegment {
  /** `p_vaddr`: the segment's first virtual address (relative to the load base). */
  vaddr: number;
  /** `p_memsz`: its size in memory (bytes past `filesz` are zero-filled). */
  memsz: number;
  /** `p_offset`: where its bytes are in the file. */
  offset: number;
  /** `p_filesz`: how many bytes of the file it maps. */
  filesz: number;
  /** Mapped readable (`PF_R`). */
  read: boolean;
  /** Mapped writable (`PF_W`). */
  write: boolean;
  /** Mapped executable (`PF_X`). */
  execute: boolean;
}

/**
 * An ELF note: a record of owner, type and descriptor bytes.
 *
 * @example Reading a text descriptor
 * ```ts
 * import type { ElfNote } from "./read_elf.ts";
 *
 * const note: ElfNote = {
 *   owner: "plugboard",
 *   type: 1,
 *   desc: new TextEncoder().encode("hello\0"),
 *   vaddr: 0x250,
 *   offset: 0x250,
 *   size: 32,
 * };
 * const text = new TextDecoder().decode(note.desc).replace(/\0+$/, "");
 * console.log(note.owner, text); // plugboard hello
 * ```
 */
export interface ElfNote {
  /** The owner (name) field without its terminating NUL, e.g. "GNU" or "plugboard". */
  owner: string;
  /** The note type, whose meaning depends on the owner (e.g. 3 is a GNU build-id). */
  type: number;
  /** The descriptor bytes: a view into the input, not a copy. */
  desc: Uint8Array;
  /** Virtual address of the start of the record (its header), or -1 if no PT_LOAD maps it. */
  vaddr: number;
  /** File offset of the start of the record. */
  offset: number;
  /** Record length: 12 + padded name + padded descriptor. */
  size: number;
}

/**
 * What {@linkcode readElf} found in a file.
 *
 * @example Checking what a library needs before loading it
 * ```ts ignore
 * import { readElf } from "./read_elf.ts";
 *
 * const info = readElf(await Deno.readFile("build/greeter.so"), "build/greeter.so");
 * console.log(info.machine, info.soname, info.buildId, info.needed);
 * const exported = info.symbols.filter((s) => s.defined && s.binding !== "local");
 * console.log(exported.map((s) => s.name));
 * ```
 */
export interface ElfInfo {
  /** 64 for ELFCLASS64 (the only class {@linkcode readElf} returns on a 64-bit host). */
  elfClass: 32 | 64;
  /** The byte order (always the host's, or {@linkcode readElf} throws). */
  endian: "little" | "big";
  /** The machine name, e.g. "x86_64", "aarch64", or "unknown(N)". */
  machine: string;
  /** The raw `e_machine` value. */
  machineCode: number;
  /** The file type; "pie" is ET_DYN with the linker's `DF_1_PIE` flag (as glibc decides). */
  type: "relocatable" | "executable" | "shared" | "pie" | "core" | "other";
  /** `.dynsym` (exported and imported dynamic symbols), index 0 skipped. */
  symbols: ElfSymbol[];
  /** `.symtab` if present (`[]` when stripped), index 0 skipped. */
  localSymbols: ElfSymbol[];
  /** `DT_NEEDED` entries, in order. */
  needed: string[];
  /** `DT_SONAME`, if any. */
  soname: string | undefined;
  /** The GNU build-id note (owner "GNU", type 3) as lowercase hex, if any. */
  buildId: string | undefined;
  /** Every note of the PT_NOTE segments, or of the SHT_NOTE sections if there are no program headers. */
  notes: ElfNote[];
  /**
   * The strings of the `.comment` section, where compilers and linkers
   * record themselves (`GCC: (Debian 12.2.0-14) 12.2.0`, `Linker: LLD 14.0.6`);
   * `[]` when the file has none (stripped with `-R .comment`, or no section
   * headers). At most 64 strings from the first 64 KiB.
   */
  comment: string[];
  /** `DT_FLAGS_1` of the dynamic section (0 when absent); `DF_1_NODELETE` (0x8) means dlclose never unloads it. */
  flags1: number;
  /** The loadable segments (`PT_LOAD`), in file order: the only memory of the object there is. */
  loads: ElfLoadSegment[];
  /** The ranges made read-only after relocation (`PT_GNU_RELRO`): `[vaddr, vaddr + memsz)`. */
  relro: { vaddr: number; memsz: number }[];
}

/**
 * Options of {@linkcode readElf}.
 *
 * @example Reading an aarch64 library on an x86_64 machine
 * ```ts ignore
 * import { readElf, type ReadElfOptions } from "./read_elf.ts";
 *
 * const options: ReadElfOptions = { machine: "aarch64", requireSharedObject: false };
 * const info = readElf(await Deno.readFile("build/arm64/greeter.so"), "greeter.so", options);
 * console.log(info.machine); // aarch64
 * ```
 */
export interface ReadElfOptions {
  /**
   * The machine the file must be built for: a 64-bit name such as "x86_64",
   * "aarch64" or "riscv64".
   *
   * @default {Deno.build.arch}
   */
  machine?: string;
  /**
   * Require a shared object: ET_DYN without `DF_1_PIE`
   * (not an executable, a position-independent executable or an object file).
   *
   * @default {true}
   */
  requireSharedObject?: boolean;
}

/**
 * Read and check an ELF file's bytes. Checks come in this order, each
 * failing with a {@linkcode LoadError}: the magic (`NOT_ELF`), the header
 * size (`TRUNCATED`), the class (`WRONG_ELF_CLASS`, only ELFCLASS64 is
 * accepted), byte order, machine and OS ABI (`WRONG_ARCH`), the extent of
 * the tables (`TRUNCATED`), the file type (`NOT_SHARED_OBJECT`), then the
 * structure of what is read (`MALFORMED`). Files of another class or byte
 * order are only checked, never parsed.
 *
 * A machine name that is not a known 64-bit machine throws a
 * {@linkcode PluginError} with code `INVALID_ARGUMENT`.
 *
 * @example Refusing a 32-bit library
 * ```ts
 * import { LoadError } from "@plugboard/plugboard";
 * import { readElf } from "./read_elf.ts";
 *
 * // An ELF header whose class byte says ELFCLASS32.
 * const header = new Uint8Array(52);
 * header.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
 * try {
 *   readElf(header, "build/greeter32.so");
 * } catch (err) {
 *   if (err instanceof LoadError) {
 *     console.log(err.code, err.found); // WRONG_ELF_CLASS ELFCLASS32 (32-bit)
 *   }
 * }
 * ```
 *
 * @example Listing what a library exports
 * ```ts ignore
 * import { readElf } from "./read_elf.ts";
 *
 * const path = "build/greeter.so";
 * const info = readElf(await Deno.readFile(path), path);
 * for (const s of info.symbols) {
 *   if (s.defined && s.type === "func") console.log(s.name);
 * }
 * ```
 *
 * @param bytes the whole file
 * @param path the file's path, for error messages
 * @param options the expected machine and whether to require a shared object
 * @returns the header fields, symbols, dependencies and notes
 * @throws {LoadError} if the file is not a loadable library for this host
 */
export function readElf(bytes: Uint8Array, path: string, options: ReadElfOptions = {}): ElfInfo {
  const machine = options.machine ?? Deno.build.arch;
  const expected = machineCode(machine);
  if (expected === undefined) {
    throw new PluginError(
      "INVALID_ARGUMENT",
      `Invalid option "machine": expected one of ${knownMachines().join(", ")}, found ${
        JSON.stringify(machine)
      }`,
      { hint: "name a 64-bit machine as Deno.build.arch does, e.g. x86_64" },
    );
  }
  const r = createReader(bytes, path);
  try {
    checkIdent(r, { name: machine, code: expected }, options.machine);
    return parse(r, options.requireSharedObject ?? true);
  } catch (err) {
    if (err instanceof PluginError) throw err;
    // A gap in the checks must not let a RangeError or TypeError out.
    throw new LoadError("MALFORMED", {
      path,
      what: "malformed ELF file",
      expected: "a consistent ELF structure",
      found: `an inconsistency the checks missed (${String(err)})`,
      hint: MALFORMED_HINT,
      cause: err,
    });
  }
}

const EHDR32_SIZE = 52;
const EHDR64_SIZE = 64;

const ET_REL = 1;
const ET_EXEC = 2;
const ET_DYN = 3;
const ET_CORE = 4;

const PT_NOTE = 4;
const PT_GNU_RELRO = 0x6474e552;
const PF_X = 1;
const PF_W = 2;
const PF_R = 4;
const SHT_SYMTAB = 2;
const SHT_NOTE = 7;
const SHT_DYNSYM = 11;
const DF_1_PIE = 0x08000000;
const NT_GNU_BUILD_ID = 3;

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Magic, header size, class, byte order, machine and OS ABI: all that is
 * read of a file of another class or byte order.
 */
function checkIdent(
  r: Reader,
  machine: { name: string; code: number },
  machineOption: string | undefined,
) {
  const b = r.bytes;
  if (r.size < 4 || b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46) {
    const { found, hint } = describeNonElf(b);
    fail(
      r,
      "NOT_ELF",
      "not an ELF file",
      "an ELF shared library (beginning 7f 45 4c 46)",
      found,
      hint,
    );
  }
  const elfClass = r.size > 4 ? b[4] : 0;
  const headerSize = elfClass === 1 ? EHDR32_SIZE : EHDR64_SIZE;
  if (r.size < headerSize) {
    fail(
      r,
      "TRUNCATED",
      "truncated ELF file (header)",
      `${headerSize} bytes`,
      `${r.size} bytes`,
      TRUNCATED_HINT,
    );
  }
  if (elfClass !== 2) {
    fail(
      r,
      "WRONG_ELF_CLASS",
      "wrong ELF class",
      "ELFCLASS64 (64-bit)",
      elfClass === 1 ? "ELFCLASS32 (32-bit)" : `invalid ELF class ${elfClass}`,
      "rebuild the plugin for 64-bit, e.g. without -m32",
    );
  }
  const archHint = machineOption === undefined
    ? `build the plugin for this machine's architecture, ${machine.name}, ` +
      "or use a cross-compiler matching the host"
    : `build the plugin for ${machine.name}, e.g. with a cross-compiler`;
  if (b[5] !== 1 && b[5] !== 2) malformed(r, "EI_DATA", "1 or 2", `${b[5]}`);
  r.le = b[5] === 1;
  if (r.le !== HOST_LITTLE_ENDIAN) {
    const order = (le: boolean) => le ? "little-endian (ELFDATA2LSB)" : "big-endian (ELFDATA2MSB)";
    fail(r, "WRONG_ARCH", "wrong byte order", order(HOST_LITTLE_ENDIAN), order(r.le), archHint);
  }
  const code = u16(r, 18);
  if (code !== machine.code) {
    fail(r, "WRONG_ARCH", "wrong architecture", machine.name, machineName(code, true), archHint);
  }
  const osabi = b[7];
  if (osabi !== 0 && osabi !== 3) {
    fail(
      r,
      "WRONG_ARCH",
      "wrong OS ABI",
      "System V or GNU/Linux (EI_OSABI 0 or 3)",
      `EI_OSABI ${osabi}${osabi === 9 ? " (FreeBSD)" : ""}`,
      "build the plugin on and for Linux",
    );
  }
}

/** The version fields and e_ident padding, as glibc checks them. */
function checkVersion(r: Reader) {
  const b = r.bytes;
  if (b[6] !== 1) malformed(r, "EI_VERSION", "1", `${b[6]}`);
  for (let i = 9; i < 16; i++) {
    if (b[i] !== 0) {
      malformed(r, "e_ident padding", "zero bytes 9 to 15", `byte ${i} = ${b[i]}`);
    }
  }
  const version = u32(r, 20);
  if (version !== 1) malformed(r, "e_version", "1", `${version}`);
}

/** Everything after the ELF header of an ELF64 file in the host's byte order. */
function parse(r: Reader, requireShared: boolean): ElfInfo {
  const etype = u16(r, 16);
  const code = u16(r, 18);
  const { segments, sections, shstrndx } = readHeaders(r);
  // Like glibc's dlopen, only the linker's PIE flag makes an ET_DYN file a
  // program: a library may carry PT_INTERP (libc.so.6 does) and still load.
  if (requireShared) checkType(r, etype, false);
  checkVersion(r);
  checkSectionNames(r, sections, shstrndx);
  if (segments.length > 0) checkLoadable(r, segments);

  const dyn = readDynamic(r, segments, sections);
  const isPie = etype === ET_DYN && (dyn.flags1 & DF_1_PIE) !== 0;
  if (requireShared && isPie) checkType(r, etype, true);

  const dynsym = sections.find((s) => s.type === SHT_DYNSYM);
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  const symbols = dynsym
    ? readSymbolSection(r, sections, dynsym, ".dynsym")
    : segments.length > 0
    ? readDynamicSymbols(r, segments, dyn)
    : [];
  const localSymbols = symtab ? readSymbolSection(r, sections, symtab, ".symtab") : [];
  if (etype === ET_DYN && segments.length > 0) checkExportedCode(r, segments, symbols);

  const regions: [Range, number][] = segments.length > 0
    ? segments.filter((s) => s.type === PT_NOTE).map((s) => [
      { start: s.offset, end: s.offset + s.filesz },
      s.align,
    ])
    : sections.filter((s) => s.type === SHT_NOTE).map((s) => [
      { start: s.offset, end: s.offset + s.size },
      s.align,
    ]);
  // Overlapping regions could multiply the work; real files never overlap them.
  const noteBytes = regions.reduce((n, [g]) => n + g.end - g.start, 0);
  if (noteBytes > r.size) {
    malformed(
      r,
      "note regions",
      `at most ${r.size} bytes of notes`,
      `${noteBytes} bytes in overlapping regions`,
    );
  }
  const notes: ElfNote[] = [];
  const addresses = new AddressMap(segments);
  for (const [region, align] of regions) {
    readNotes(r, addresses, region, align, notes);
  }
  const buildId = notes.find((n) => n.type === NT_GNU_BUILD_ID && n.owner === "GNU");
  const comment = readComment(r, sections, shstrndx);

  return {
    elfClass: 64,
    endian: r.le ? "little" : "big",
    machine: machineName(code, true),
    machineCode: code,
    type: etype === ET_REL
      ? "relocatable"
      : etype === ET_EXEC
      ? "executable"
      : etype === ET_DYN
      ? (isPie ? "pie" : "shared")
      : etype === ET_CORE
      ? "core"
      : "other",
    symbols,
    localSymbols,
    needed: dyn.needed,
    soname: dyn.soname,
    buildId: buildId ? toHex(buildId.desc) : undefined,
    notes,
    comment,
    flags1: dyn.flags1,
    loads: segments.filter((s) => s.type === PT_LOAD).map((s) => ({
      vaddr: s.vaddr,
      memsz: s.memsz,
      offset: s.offset,
      filesz: s.filesz,
      read: (s.flags & PF_R) !== 0,
      write: (s.flags & PF_W) !== 0,
      execute: (s.flags & PF_X) !== 0,
    })),
    relro: segments.filter((s) => s.type === PT_GNU_RELRO).map((s) => ({
      vaddr: s.vaddr,
      memsz: s.memsz,
    })),
  };
}

const SHARED_HINT = "build the plugin as a shared library with `cc -shared -fPIC -o plugin.so ...`";

function checkType(r: Reader, etype: number, isPie: boolean) {
  if (etype === ET_DYN && !isPie) return;
  let found = `an ELF file of type ${etype}`;
  let hint = SHARED_HINT;
  if (etype === ET_EXEC) found = "an executable";
  else if (etype === ET_CORE) found = "a core dump";
  else if (etype === ET_DYN) {
    found = "a position-independent executable (PIE)";
    hint = "a PIE is a program, not a library; link the plugin with -shared instead of -pie";
  } else if (etype === ET_REL) {
    found = "an object file (.o)";
    hint = "link it with -shared, e.g. `cc -shared -o plugin.so plugin.o`";
  }
  fail(r, "NOT_SHARED_OBJECT", "not a shared library", "a shared library (.so)", found, hint);
}

const HEX = Array.from({ length: 256 }, (_, i) => (i + 0x100).toString(16).slice(1));

function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += HEX[b];
  return s;
}
