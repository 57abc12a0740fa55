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
 * import { readElf } from "./read_elf.ts";
 * import { LoadError } from "../errors/plugin_error.ts";
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
import { describeNonElf } from "./_describe.ts";
import { knownMachines, machineCode, machineName } from "./_machines.ts";

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
  /** The file type; "pie" is ET_DYN with PT_INTERP or `DF_1_PIE`. */
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
   * Require a shared object: ET_DYN without PT_INTERP and without `DF_1_PIE`
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
 * import { readElf } from "./read_elf.ts";
 * import { LoadError } from "../errors/plugin_error.ts";
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
export function readElf(
  bytes: Uint8Array,
  path: string,
  options: ReadElfOptions = {},
): ElfInfo {
  const machine = options.machine ?? Deno.build.arch;
  const expectedMachine = machineCode(machine);
  if (expectedMachine === undefined) {
    throw new PluginError(
      "INVALID_ARGUMENT",
      `Invalid option "machine": expected one of ${
        knownMachines().join(", ")
      }, found ${JSON.stringify(machine)}`,
      {
        hint:
          "name a 64-bit machine as Deno.build.arch does, e.g. x86_64 or aarch64",
      },
    );
  }
  const ctx: Ctx = {
    path,
    bytes,
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    size: bytes.length,
    le: true,
  };
  try {
    return parse(
      ctx,
      machine,
      expectedMachine,
      options.machine !== undefined,
      options.requireSharedObject ?? true,
    );
  } catch (err) {
    if (err instanceof PluginError) throw err;
    // A bug in the checks above must not let a RangeError or TypeError out.
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

// ---------------------------------------------------------------------------
// Internals

const MALFORMED_HINT =
  "the file is corrupt or was not produced by a standard linker; " +
  "rebuild the plugin with `cc -shared -fPIC`";
const TRUNCATED_HINT =
  "the file was cut short (an interrupted build, copy or download); " +
  "rebuild it or copy it again";
const SHARED_HINT =
  "build the plugin as a shared library with `cc -shared -fPIC -o plugin.so ...`";

/** Ends beyond this are corrupt values, not a file that was cut short. */
const PLAUSIBLE_FILE_SIZE = 2 ** 32;
/** The longest symbol, owner or library name read, in bytes. */
const MAX_NAME = 4096;

const EHDR32_SIZE = 52;
const EHDR64_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const DYN_SIZE = 16;

const ET_REL = 1;
const ET_EXEC = 2;
const ET_DYN = 3;
const ET_CORE = 4;

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const PT_NOTE = 4;

const SHT_NULL = 0;
const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
const SHT_DYNAMIC = 6;
const SHT_NOTE = 7;
const SHT_NOBITS = 8;
const SHT_DYNSYM = 11;

const SHN_XINDEX = 0xffff;
const PN_XNUM = 0xffff;

const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_HASH = 4;
const DT_STRTAB = 5;
const DT_SYMTAB = 6;
const DT_STRSZ = 10;
const DT_SYMENT = 11;
const DT_SONAME = 14;
const DT_GNU_HASH = 0x6ffffef5;
const DT_FLAGS_1 = 0x6ffffffb;
const DF_1_PIE = 0x08000000;

const NT_GNU_BUILD_ID = 3;

const SYMBOL_TYPES: readonly ElfSymbol["type"][] = [
  "notype",
  "object",
  "func",
  "section",
  "file",
  "common",
  "tls",
  "other",
  "other",
  "other",
  "ifunc",
  "other",
  "other",
  "other",
  "other",
  "other",
];
const SYMBOL_BINDINGS: readonly ElfSymbol["binding"][] = [
  "local",
  "global",
  "weak",
  "other",
  "other",
  "other",
  "other",
  "other",
  "other",
  "other",
  "unique",
  "other",
  "other",
  "other",
  "other",
  "other",
];
const VISIBILITIES: readonly ElfSymbol["visibility"][] = [
  "default",
  "internal",
  "hidden",
  "protected",
];

const decoder = new TextDecoder("utf-8");
const HEX = Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0"),
);
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

interface Ctx {
  path: string;
  bytes: Uint8Array;
  view: DataView;
  size: number;
  le: boolean;
}

interface Segment {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
  align: number;
}

interface Section {
  name: number;
  type: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  align: number;
  entsize: number;
}

/** A byte range of the file: `[start, end)`. */
interface Range {
  start: number;
  end: number;
}

function parse(
  c: Ctx,
  machine: string,
  expectedMachine: number,
  machineGiven: boolean,
  requireShared: boolean,
): ElfInfo {
  checkIdent(c, machine, expectedMachine, machineGiven);
  const etype = u16(c, 16);
  const code = u16(c, 18);

  const { segments, sections, shstrndx } = readTables(c);
  const hasInterp = segments.some((s) => s.type === PT_INTERP);
  if (requireShared) checkType(c, etype, hasInterp);

  checkSectionNames(c, sections, shstrndx);
  const dyn = readDynamic(c, segments, sections);
  const isPie = etype === ET_DYN &&
    (hasInterp || (dyn.flags1 & DF_1_PIE) !== 0);
  if (requireShared && isPie) checkType(c, etype, true);

  let symbols: ElfSymbol[] = [];
  const dynsym = sections.find((s) => s.type === SHT_DYNSYM);
  if (dynsym) symbols = readSymbolSection(c, sections, dynsym, ".dynsym");
  else if (segments.length > 0) symbols = readDynamicSymbols(c, segments, dyn);
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  const localSymbols = symtab
    ? readSymbolSection(c, sections, symtab, ".symtab")
    : [];

  const notes: ElfNote[] = [];
  if (segments.length > 0) {
    for (const s of segments) {
      if (s.type === PT_NOTE) {
        readNotes(c, segments, s.offset, s.filesz, s.align, notes);
      }
    }
  } else {
    for (const s of sections) {
      if (s.type === SHT_NOTE) {
        readNotes(c, segments, s.offset, s.size, s.align, notes);
      }
    }
  }
  const buildIdNote = notes.find((n) =>
    n.type === NT_GNU_BUILD_ID && n.owner === "GNU"
  );

  return {
    elfClass: 64,
    endian: c.le ? "little" : "big",
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
    buildId: buildIdNote ? toHex(buildIdNote.desc) : undefined,
    notes,
  };
}

/** Magic, header size, class, byte order, machine, OS ABI and version. */
function checkIdent(
  c: Ctx,
  machine: string,
  expectedMachine: number,
  machineGiven: boolean,
) {
  const b = c.bytes;
  if (
    c.size < 4 || b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c ||
    b[3] !== 0x46
  ) {
    const { found, hint } = describeNonElf(b);
    fail(
      c,
      "NOT_ELF",
      "not an ELF file",
      "an ELF shared library (beginning 7f 45 4c 46)",
      found,
      hint,
    );
  }
  const elfClass = c.size > 4 ? b[4] : 0;
  const headerSize = elfClass === 1 ? EHDR32_SIZE : EHDR64_SIZE;
  if (c.size < headerSize) {
    fail(
      c,
      "TRUNCATED",
      "truncated ELF file (header)",
      `${headerSize} bytes`,
      `${c.size} bytes`,
      TRUNCATED_HINT,
    );
  }
  if (elfClass !== 2) {
    fail(
      c,
      "WRONG_ELF_CLASS",
      "wrong ELF class",
      "ELFCLASS64 (64-bit)",
      elfClass === 1 ? "ELFCLASS32 (32-bit)" : `invalid ELF class ${elfClass}`,
      "rebuild the plugin for 64-bit, e.g. without -m32",
    );
  }
  const data = b[5];
  if (data !== 1 && data !== 2) {
    fail(
      c,
      "MALFORMED",
      "malformed ELF file (EI_DATA)",
      "1 or 2",
      `${data}`,
      MALFORMED_HINT,
    );
  }
  c.le = data === 1;
  if (c.le !== HOST_LITTLE_ENDIAN) {
    fail(
      c,
      "WRONG_ARCH",
      "wrong byte order",
      HOST_LITTLE_ENDIAN
        ? "little-endian (ELFDATA2LSB)"
        : "big-endian (ELFDATA2MSB)",
      c.le ? "little-endian (ELFDATA2LSB)" : "big-endian (ELFDATA2MSB)",
      archHint(machine, machineGiven),
    );
  }
  const code = u16(c, 18);
  if (code !== expectedMachine) {
    fail(
      c,
      "WRONG_ARCH",
      "wrong architecture",
      machine,
      machineName(code, true),
      archHint(machine, machineGiven),
    );
  }
  const osabi = b[7];
  if (osabi !== 0 && osabi !== 3) {
    fail(
      c,
      "WRONG_ARCH",
      "wrong OS ABI",
      "System V or GNU/Linux (EI_OSABI 0 or 3)",
      `EI_OSABI ${osabi}${osabi === 9 ? " (FreeBSD)" : ""}`,
      "build the plugin on and for Linux",
    );
  }
  if (b[6] !== 1) {
    fail(
      c,
      "MALFORMED",
      "malformed ELF file (EI_VERSION)",
      "1",
      `${b[6]}`,
      MALFORMED_HINT,
    );
  }
  for (let i = 9; i < 16; i++) {
    if (b[i] !== 0) {
      fail(
        c,
        "MALFORMED",
        "malformed ELF file (e_ident padding)",
        "zero bytes 9 to 15",
        `byte ${i} is ${b[i]}`,
        MALFORMED_HINT,
      );
    }
  }
  const version = u32(c, 20);
  if (version !== 1) {
    fail(
      c,
      "MALFORMED",
      "malformed ELF file (e_version)",
      "1",
      `${version}`,
      MALFORMED_HINT,
    );
  }
}

function archHint(machine: string, machineGiven: boolean): string {
  return machineGiven
    ? `build the plugin for ${machine}, e.g. with a cross-compiler targeting it`
    : `build the plugin for this machine's architecture, ${machine}, ` +
      "or use a cross-compiler matching the host";
}

function checkType(c: Ctx, etype: number, isPie: boolean) {
  if (etype === ET_DYN && !isPie) return;
  const [found, hint] = etype === ET_EXEC
    ? ["an executable", SHARED_HINT]
    : etype === ET_DYN
    ? [
      "a position-independent executable (PIE)",
      "a PIE is a program, not a library; link the plugin with -shared instead of -pie",
    ]
    : etype === ET_REL
    ? [
      "an object file (.o)",
      "link it with -shared, e.g. `cc -shared -o plugin.so plugin.o`",
    ]
    : etype === ET_CORE
    ? ["a core dump", SHARED_HINT]
    : [`an ELF file of type ${etype}`, SHARED_HINT];
  fail(
    c,
    "NOT_SHARED_OBJECT",
    "not a shared library",
    "a shared library (.so)",
    found,
    hint,
  );
}

/** Read both header tables, and check that they and everything they point at fit the file. */
function readTables(
  c: Ctx,
): { segments: Segment[]; sections: Section[]; shstrndx: number } {
  const phoff = u64(c, 32);
  const shoff = u64(c, 40);
  const phentsize = u16(c, 54);
  let phnum = u16(c, 56);
  const shentsize = u16(c, 58);
  let shnum = u16(c, 60);
  let shstrndx = u16(c, 62);

  if (shoff === 0) {
    if (shnum !== 0) {
      fail(
        c,
        "MALFORMED",
        "malformed ELF file (e_shnum)",
        "0 when e_shoff is 0",
        `${shnum}`,
      );
    }
  } else {
    if (shentsize !== SHDR_SIZE) {
      fail(
        c,
        "MALFORMED",
        "malformed ELF file (e_shentsize)",
        `${SHDR_SIZE}`,
        `${shentsize}`,
      );
    }
    // Extended numbering: the real counts live in section header 0.
    const needsFirst = shnum === 0 || phnum === PN_XNUM ||
      shstrndx === SHN_XINDEX;
    if (needsFirst) {
      checkExtents(c, [["section header table", shoff, SHDR_SIZE]]);
      if (shnum === 0) shnum = u64(c, shoff + 32);
      if (phnum === PN_XNUM) phnum = u32(c, shoff + 44);
      if (shstrndx === SHN_XINDEX) shstrndx = u32(c, shoff + 40);
    }
  }
  if (phnum !== 0) {
    if (phentsize !== PHDR_SIZE) {
      fail(
        c,
        "MALFORMED",
        "malformed ELF file (e_phentsize)",
        `${PHDR_SIZE}`,
        `${phentsize}`,
      );
    }
    if (phoff === 0) {
      fail(
        c,
        "MALFORMED",
        "malformed ELF file (e_phoff)",
        "a non-zero offset",
        "0",
      );
    }
  }
  checkExtents(c, [
    ["program header table", phoff, phnum * PHDR_SIZE],
    ["section header table", shoff, shnum * SHDR_SIZE],
  ]);

  const segments: Segment[] = new Array(phnum);
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * PHDR_SIZE;
    segments[i] = {
      type: u32(c, p),
      offset: u64(c, p + 8),
      vaddr: u64(c, p + 16),
      filesz: u64(c, p + 32),
      align: u64(c, p + 48),
    };
  }
  const sections: Section[] = new Array(shnum);
  for (let i = 0; i < shnum; i++) {
    const s = shoff + i * SHDR_SIZE;
    sections[i] = {
      name: u32(c, s),
      type: u32(c, s + 4),
      offset: u64(c, s + 24),
      size: u64(c, s + 32),
      link: u32(c, s + 40),
      info: u32(c, s + 44),
      align: u64(c, s + 48),
      entsize: u64(c, s + 56),
    };
  }

  const extents: [string, number, number][] = [];
  for (let i = 0; i < phnum; i++) {
    const s = segments[i];
    if (s.filesz > 0) extents.push([`segment ${i}`, s.offset, s.filesz]);
  }
  for (let i = 0; i < shnum; i++) {
    const s = sections[i];
    if (s.type !== SHT_NULL && s.type !== SHT_NOBITS && s.size > 0) {
      extents.push([`section ${i}`, s.offset, s.size]);
    }
  }
  checkExtents(c, extents);
  return { segments, sections, shstrndx };
}

/**
 * Check that every `[what, offset, length]` lies inside the file. An absurd
 * end is MALFORMED; otherwise the farthest end beyond the file is TRUNCATED.
 */
function checkExtents(c: Ctx, extents: [string, number, number][]) {
  let farthest = c.size;
  let farthestWhat = "";
  for (const [what, offset, length] of extents) {
    const end = offset + length;
    if (end > PLAUSIBLE_FILE_SIZE || !Number.isSafeInteger(end)) {
      fail(
        c,
        "MALFORMED",
        `malformed ELF file (${what})`,
        `a range inside the file's ${c.size} bytes`,
        `offset ${offset}, size ${length}`,
      );
    }
    if (end > farthest) {
      farthest = end;
      farthestWhat = what;
    }
  }
  if (farthest > c.size) {
    fail(
      c,
      "TRUNCATED",
      `truncated ELF file (${farthestWhat} ends past the end)`,
      `${farthest} bytes`,
      `${c.size} bytes`,
      TRUNCATED_HINT,
    );
  }
}

/** `e_shstrndx` must name a string table that holds every section name. */
function checkSectionNames(c: Ctx, sections: Section[], shstrndx: number) {
  if (sections.length === 0 || shstrndx === 0) return;
  if (shstrndx >= sections.length) {
    fail(
      c,
      "MALFORMED",
      "malformed ELF file (e_shstrndx)",
      `a section index below ${sections.length}`,
      `${shstrndx}`,
    );
  }
  const strtab = sections[shstrndx];
  if (strtab.type !== SHT_STRTAB) {
    fail(
      c,
      "MALFORMED",
      "malformed ELF file (e_shstrndx)",
      "a string table section",
      `section ${shstrndx} of type ${strtab.type}`,
    );
  }
  for (let i = 0; i < sections.length; i++) {
    const name = sections[i].name;
    if (name !== 0 && name >= strtab.size) {
      fail(
        c,
        "MALFORMED",
        `malformed ELF file (name of section ${i})`,
        `an offset below ${strtab.size}`,
        `${name}`,
      );
    }
  }
}

interface Dynamic {
  needed: string[];
  soname: string | undefined;
  flags1: number;
  /** The string table, once the tags are read. */
  strtab: Range | undefined;
  symtab: number | undefined;
  syment: number | undefined;
  hash: number | undefined;
  gnuHash: number | undefined;
}

/**
 * Read the dynamic section: from PT_DYNAMIC (with addresses mapped through
 * PT_LOAD) when there are program headers, else from an SHT_DYNAMIC section.
 */
function readDynamic(
  c: Ctx,
  segments: Segment[],
  sections: Section[],
): Dynamic {
  const dyn: Dynamic = {
    needed: [],
    soname: undefined,
    flags1: 0,
    strtab: undefined,
    symtab: undefined,
    syment: undefined,
    hash: undefined,
    gnuHash: undefined,
  };
  let region: Range | undefined;
  let sectionStrtab: Range | undefined;
  if (segments.length > 0) {
    const p = segments.find((s) => s.type === PT_DYNAMIC);
    if (p) region = { start: p.offset, end: p.offset + p.filesz };
  } else {
    const s = sections.find((s) => s.type === SHT_DYNAMIC);
    if (s) {
      region = { start: s.offset, end: s.offset + s.size };
      sectionStrtab = linkedStrtab(c, sections, s, "SHT_DYNAMIC");
    }
  }
  if (!region) return dyn;

  const needed: number[] = [];
  let soname: number | undefined;
  let strtabAddr: number | undefined;
  let strsz: number | undefined;
  for (let p = region.start; p + DYN_SIZE <= region.end; p += DYN_SIZE) {
    const tagLo = u32(c, p + (c.le ? 0 : 4));
    const tagHi = u32(c, p + (c.le ? 4 : 0));
    if (tagHi !== 0) continue; // no tag we read has high bits (negative or huge tags)
    if (tagLo === DT_NULL) break;
    const val = u64(c, p + 8);
    switch (tagLo) {
      case DT_NEEDED:
        needed.push(val);
        break;
      case DT_SONAME:
        soname = val;
        break;
      case DT_STRTAB:
        strtabAddr = val;
        break;
      case DT_STRSZ:
        strsz = val;
        break;
      case DT_SYMTAB:
        dyn.symtab = val;
        break;
      case DT_SYMENT:
        dyn.syment = val;
        break;
      case DT_HASH:
        dyn.hash = val;
        break;
      case DT_GNU_HASH:
        dyn.gnuHash = val;
        break;
      case DT_FLAGS_1:
        dyn.flags1 = u32(c, p + (c.le ? 8 : 12));
        break;
    }
  }

  if (sectionStrtab) {
    dyn.strtab = sectionStrtab;
  } else if (strtabAddr !== undefined) {
    const mapped = mapAddress(c, segments, strtabAddr, "DT_STRTAB");
    let end = mapped.end;
    if (strsz !== undefined) {
      if (strsz > mapped.end - mapped.start) {
        fail(
          c,
          "MALFORMED",
          "malformed ELF file (DT_STRSZ)",
          `at most ${
            mapped.end - mapped.start
          } bytes (the rest of its segment)`,
          `${strsz}`,
        );
      }
      end = mapped.start + strsz;
    }
    dyn.strtab = { start: mapped.start, end };
  }
  if ((needed.length > 0 || soname !== undefined) && !dyn.strtab) {
    fail(
      c,
      "MALFORMED",
      "malformed ELF file (DT_STRTAB)",
      "a string table",
      "none",
    );
  }
  const strtab = dyn.strtab as Range;
  dyn.needed = needed.map((off) => readString(c, strtab, off, "DT_NEEDED"));
  if (soname !== undefined) {
    dyn.soname = readString(c, strtab, soname, "DT_SONAME");
  }
  return dyn;
}

/** Map a virtual address to the file range from it to the end of its PT_LOAD's file data. */
function mapAddress(
  c: Ctx,
  segments: Segment[],
  addr: number,
  what: string,
): Range {
  for (const s of segments) {
    if (s.type === PT_LOAD && addr >= s.vaddr && addr - s.vaddr < s.filesz) {
      return { start: s.offset + (addr - s.vaddr), end: s.offset + s.filesz };
    }
  }
  fail(
    c,
    "MALFORMED",
    `malformed ELF file (${what})`,
    "an address inside a loaded segment (PT_LOAD)",
    `0x${addr.toString(16)}`,
  );
}

/** The file offset's virtual address, or -1 if no PT_LOAD maps it. */
function offsetToAddress(segments: Segment[], offset: number): number {
  for (const s of segments) {
    if (
      s.type === PT_LOAD && offset >= s.offset && offset - s.offset < s.filesz
    ) {
      return s.vaddr + (offset - s.offset);
    }
  }
  return -1;
}

function linkedStrtab(
  c: Ctx,
  sections: Section[],
  s: Section,
  what: string,
): Range {
  const t = s.link < sections.length ? sections[s.link] : undefined;
  if (!t || s.link === 0 || t.type !== SHT_STRTAB) {
    fail(
      c,
      "MALFORMED",
      `malformed ELF file (sh_link of ${what})`,
      "the index of a string table section",
      t
        ? `section ${s.link} of type ${t.type}`
        : `${s.link} of ${sections.length} sections`,
    );
  }
  return { start: t.offset, end: t.offset + t.size };
}

function readSymbolSection(
  c: Ctx,
  sections: Section[],
  s: Section,
  what: string,
): ElfSymbol[] {
  if (s.entsize !== SYM_SIZE) {
    fail(
      c,
      "MALFORMED",
      `malformed ELF file (sh_entsize of ${what})`,
      `${SYM_SIZE}`,
      `${s.entsize}`,
    );
  }
  if (s.size % SYM_SIZE !== 0) {
    fail(
      c,
      "MALFORMED",
      `malformed ELF file (sh_size of ${what})`,
      `a multiple of ${SYM_SIZE}`,
      `${s.size}`,
    );
  }
  const strtab = linkedStrtab(c, sections, s, what);
  return readSymbols(c, s.offset, s.size / SYM_SIZE, strtab, what);
}

/** The dynamic symbols as the loader sees them, for files without section headers. */
function readDynamicSymbols(
  c: Ctx,
  segments: Segment[],
  dyn: Dynamic,
): ElfSymbol[] {
  if (dyn.symtab === undefined || !dyn.strtab) return [];
  if (dyn.syment !== undefined && dyn.syment !== SYM_SIZE) {
    fail(
      c,
      "MALFORMED",
      "malformed ELF file (DT_SYMENT)",
      `${SYM_SIZE}`,
      `${dyn.syment}`,
    );
  }
  const table = mapAddress(c, segments, dyn.symtab, "DT_SYMTAB");
  let count = 0;
  if (dyn.gnuHash !== undefined) {
    count = gnuHashSymbolCount(c, segments, dyn.gnuHash);
  } else if (dyn.hash !== undefined) {
    const h = mapAddress(c, segments, dyn.hash, "DT_HASH");
    if (h.end - h.start < 8) {
      fail(
        c,
        "MALFORMED",
        "malformed ELF file (DT_HASH)",
        "an 8-byte header",
        "less",
      );
    }
    count = u32(c, h.start + 4);
  }
  if (count * SYM_SIZE > table.end - table.start) {
    fail(
      c,
      "MALFORMED",
      "malformed ELF file (dynamic symbol count)",
      `at most ${
        Math.floor((table.end - table.start) / SYM_SIZE)
      } symbols in the segment`,
      `${count}`,
    );
  }
  return readSymbols(c, table.start, count, dyn.strtab, "DT_SYMTAB");
}

/** One past the highest symbol index a DT_GNU_HASH table reaches. */
function gnuHashSymbolCount(c: Ctx, segments: Segment[], addr: number): number {
  const h = mapAddress(c, segments, addr, "DT_GNU_HASH");
  const bad = (found: string): never =>
    fail(
      c,
      "MALFORMED",
      "malformed ELF file (DT_GNU_HASH)",
      "a hash table inside its segment",
      found,
    );
  if (h.end - h.start < 16) bad("a header cut short");
  const nbuckets = u32(c, h.start);
  const symoffset = u32(c, h.start + 4);
  const bloomSize = u32(c, h.start + 8);
  const buckets = h.start + 16 + bloomSize * 8;
  const chains = buckets + nbuckets * 4;
  if (chains > h.end) bad(`${nbuckets} buckets and ${bloomSize} bloom words`);
  let last = 0;
  for (let i = 0; i < nbuckets; i++) {
    last = Math.max(last, u32(c, buckets + i * 4));
  }
  if (last === 0) return symoffset;
  if (last < symoffset) {
    bad(`bucket value ${last} below symoffset ${symoffset}`);
  }
  for (
    let p = chains + (last - symoffset) * 4;
    p + 4 <= h.end;
    p += 4, last++
  ) {
    if (u32(c, p) & 1) return last + 1;
  }
  return bad("a chain that runs past its segment");
}

function readSymbols(
  c: Ctx,
  offset: number,
  count: number,
  strtab: Range,
  what: string,
): ElfSymbol[] {
  const out: ElfSymbol[] = new Array(Math.max(0, count - 1));
  const b = c.bytes;
  for (let i = 1; i < count; i++) {
    const p = offset + i * SYM_SIZE;
    const info = b[p + 4];
    out[i - 1] = {
      name: readString(c, strtab, u32(c, p), `symbol ${i} of ${what}`),
      value: u64(c, p + 8),
      size: u64(c, p + 16),
      type: SYMBOL_TYPES[info & 0xf],
      binding: SYMBOL_BINDINGS[info >> 4],
      visibility: VISIBILITIES[b[p + 5] & 3],
      defined: u16(c, p + 6) !== 0,
    };
  }
  return out;
}

/** Read the NUL-terminated string at `offset` in `table`, at most MAX_NAME bytes of it. */
function readString(
  c: Ctx,
  table: Range,
  offset: number,
  what: string,
): string {
  const start = table.start + offset;
  if (offset >= table.end - table.start) {
    if (offset === 0) return ""; // an empty string table
    fail(
      c,
      "MALFORMED",
      `malformed ELF file (name of ${what})`,
      `a string table offset below ${table.end - table.start}`,
      `${offset}`,
    );
  }
  return decodeName(c.bytes, start, Math.min(table.end, start + MAX_NAME));
}

function decodeName(b: Uint8Array, start: number, limit: number): string {
  let end = start;
  while (end < limit && b[end] !== 0) end++;
  return end === start ? "" : decoder.decode(b.subarray(start, end));
}

function readNotes(
  c: Ctx,
  segments: Segment[],
  offset: number,
  length: number,
  alignment: number,
  notes: ElfNote[],
) {
  const align = alignment === 8 ? 8 : 4;
  const end = offset + length;
  for (let p = offset; p < end;) {
    const bad = (found: string): never =>
      fail(
        c,
        "MALFORMED",
        `malformed ELF file (note at offset ${p})`,
        `a note record inside its ${length}-byte ${
          segments.length > 0 ? "segment" : "section"
        }`,
        found,
      );
    if (end - p < 12) bad(`${end - p} bytes left for a 12-byte header`);
    const namesz = u32(c, p);
    const descsz = u32(c, p + 4);
    const descOffset = alignUp(12 + namesz, align);
    const descEnd = descOffset + descsz;
    if (descEnd > end - p) bad(`namesz ${namesz} and descsz ${descsz}`);
    const size = Math.min(alignUp(descEnd, align), end - p);
    notes.push({
      owner: decodeName(c.bytes, p + 12, p + 12 + Math.min(namesz, MAX_NAME)),
      type: u32(c, p + 8),
      desc: c.bytes.subarray(p + descOffset, p + descEnd),
      vaddr: offsetToAddress(segments, p),
      offset: p,
      size,
    });
    p += size;
  }
}

function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += HEX[b];
  return s;
}

function u16(c: Ctx, offset: number): number {
  return c.view.getUint16(offset, c.le);
}

function u32(c: Ctx, offset: number): number {
  return c.view.getUint32(offset, c.le);
}

/** A u64 as a number: exact below 2**53, and never smaller than the true value's magnitude. */
function u64(c: Ctx, offset: number): number {
  const lo = c.view.getUint32(offset + (c.le ? 0 : 4), c.le);
  const hi = c.view.getUint32(offset + (c.le ? 4 : 0), c.le);
  return hi * 0x1_0000_0000 + lo;
}

function fail(
  c: Ctx,
  code:
    | "NOT_ELF"
    | "TRUNCATED"
    | "MALFORMED"
    | "WRONG_ELF_CLASS"
    | "WRONG_ARCH"
    | "NOT_SHARED_OBJECT",
  what: string,
  expected: string,
  found: string,
  hint: string = MALFORMED_HINT,
): never {
  throw new LoadError(code, { path: c.path, what, expected, found, hint });
}
