// Generated from src/elf/read_elf.ts by tasks/dist.ts (deno task dist): do not edit.
import { LoadError, PluginError } from "../errors/plugin_error.js";
import { readComment, readDynamic, readDynamicSymbols, readNotes, readSymbolSection, } from "./_contents.js";
import { describeNonElf } from "./_describe.js";
import { checkExportedCode, checkLoadable } from "./_loadable.js";
import { AddressMap, checkSectionNames, PT_LOAD, readHeaders } from "./_headers.js";
import { knownMachines, machineCode, machineName } from "./_machines.js";
import { createReader, fail, malformed, MALFORMED_HINT, TRUNCATED_HINT, u16, u32, } from "./_reader.js";
export var readElf = (function readElf(bytes, path, options = {}) {
    const machine = options.machine ?? Deno.build.arch;
    const expected = machineCode(machine);
    if (expected === undefined) {
        throw new PluginError("INVALID_ARGUMENT", `Invalid option "machine": expected one of ${knownMachines().join(", ")}, found ${JSON.stringify(machine)}`, { hint: "name a 64-bit machine as Deno.build.arch does, e.g. x86_64" });
    }
    const r = createReader(bytes, path);
    try {
        checkIdent(r, { name: machine, code: expected }, options.machine);
        return parse(r, options.requireSharedObject ?? true);
    }
    catch (err) {
        if (err instanceof PluginError)
            throw err;
        throw new LoadError("MALFORMED", {
            path,
            what: "malformed ELF file",
            expected: "a consistent ELF structure",
            found: `an inconsistency the checks missed (${String(err)})`,
            hint: MALFORMED_HINT,
            cause: err,
        });
    }
});
var checkIdent = (function checkIdent(r, machine, machineOption) {
    const b = r.bytes;
    if (r.size < 4 || b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46) {
        const { found, hint } = describeNonElf(b);
        fail(r, "NOT_ELF", "not an ELF file", "an ELF shared library (beginning 7f 45 4c 46)", found, hint);
    }
    const elfClass = r.size > 4 ? b[4] : 0;
    const headerSize = elfClass === 1 ? EHDR32_SIZE : EHDR64_SIZE;
    if (r.size < headerSize) {
        fail(r, "TRUNCATED", "truncated ELF file (header)", `${headerSize} bytes`, `${r.size} bytes`, TRUNCATED_HINT);
    }
    if (elfClass !== 2) {
        fail(r, "WRONG_ELF_CLASS", "wrong ELF class", "ELFCLASS64 (64-bit)", elfClass === 1 ? "ELFCLASS32 (32-bit)" : `invalid ELF class ${elfClass}`, "rebuild the plugin for 64-bit, e.g. without -m32");
    }
    const archHint = machineOption === undefined
        ? `build the plugin for this machine's architecture, ${machine.name}, ` +
            "or use a cross-compiler matching the host"
        : `build the plugin for ${machine.name}, e.g. with a cross-compiler`;
    if (b[5] !== 1 && b[5] !== 2)
        malformed(r, "EI_DATA", "1 or 2", `${b[5]}`);
    r.le = b[5] === 1;
    if (r.le !== HOST_LITTLE_ENDIAN) {
        const order = (le) => le ? "little-endian (ELFDATA2LSB)" : "big-endian (ELFDATA2MSB)";
        fail(r, "WRONG_ARCH", "wrong byte order", order(HOST_LITTLE_ENDIAN), order(r.le), archHint);
    }
    const code = u16(r, 18);
    if (code !== machine.code) {
        fail(r, "WRONG_ARCH", "wrong architecture", machine.name, machineName(code, true), archHint);
    }
    const osabi = b[7];
    if (osabi !== 0 && osabi !== 3) {
        fail(r, "WRONG_ARCH", "wrong OS ABI", "System V or GNU/Linux (EI_OSABI 0 or 3)", `EI_OSABI ${osabi}${osabi === 9 ? " (FreeBSD)" : ""}`, "build the plugin on and for Linux");
    }
});
var checkVersion = (function checkVersion(r) {
    const b = r.bytes;
    if (b[6] !== 1)
        malformed(r, "EI_VERSION", "1", `${b[6]}`);
    for (let i = 9; i < 16; i++) {
        if (b[i] !== 0) {
            malformed(r, "e_ident padding", "zero bytes 9 to 15", `byte ${i} = ${b[i]}`);
        }
    }
    const version = u32(r, 20);
    if (version !== 1)
        malformed(r, "e_version", "1", `${version}`);
});
var parse = (function parse(r, requireShared) {
    const etype = u16(r, 16);
    const code = u16(r, 18);
    const { segments, sections, shstrndx } = readHeaders(r);
    if (requireShared)
        checkType(r, etype, false);
    checkVersion(r);
    checkSectionNames(r, sections, shstrndx);
    if (segments.length > 0)
        checkLoadable(r, segments);
    const dyn = readDynamic(r, segments, sections);
    const isPie = etype === ET_DYN && (dyn.flags1 & DF_1_PIE) !== 0;
    if (requireShared && isPie)
        checkType(r, etype, true);
    const dynsym = sections.find((s) => s.type === SHT_DYNSYM);
    const symtab = sections.find((s) => s.type === SHT_SYMTAB);
    const symbols = dynsym
        ? readSymbolSection(r, sections, dynsym, ".dynsym")
        : segments.length > 0
            ? readDynamicSymbols(r, segments, dyn)
            : [];
    const localSymbols = symtab ? readSymbolSection(r, sections, symtab, ".symtab") : [];
    if (etype === ET_DYN && segments.length > 0)
        checkExportedCode(r, segments, symbols);
    const regions = segments.length > 0
        ? segments.filter((s) => s.type === PT_NOTE).map((s) => [
            { start: s.offset, end: s.offset + s.filesz },
            s.align,
        ])
        : sections.filter((s) => s.type === SHT_NOTE).map((s) => [
            { start: s.offset, end: s.offset + s.size },
            s.align,
        ]);
    const noteBytes = regions.reduce((n, [g]) => n + g.end - g.start, 0);
    if (noteBytes > r.size) {
        malformed(r, "note regions", `at most ${r.size} bytes of notes`, `${noteBytes} bytes in overlapping regions`);
    }
    const notes = [];
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
});
var checkType = (function checkType(r, etype, isPie) {
    if (etype === ET_DYN && !isPie)
        return;
    let found = `an ELF file of type ${etype}`;
    let hint = SHARED_HINT;
    if (etype === ET_EXEC)
        found = "an executable";
    else if (etype === ET_CORE)
        found = "a core dump";
    else if (etype === ET_DYN) {
        found = "a position-independent executable (PIE)";
        hint = "a PIE is a program, not a library; link the plugin with -shared instead of -pie";
    }
    else if (etype === ET_REL) {
        found = "an object file (.o)";
        hint = "link it with -shared, e.g. `cc -shared -o plugin.so plugin.o`";
    }
    fail(r, "NOT_SHARED_OBJECT", "not a shared library", "a shared library (.so)", found, hint);
});
var toHex = (function toHex(bytes) {
    let s = "";
    for (const b of bytes)
        s += HEX[b];
    return s;
});
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
const SHARED_HINT = "build the plugin as a shared library with `cc -shared -fPIC -o plugin.so ...`";
const HEX = Array.from({ length: 256 }, (_, i) => (i + 0x100).toString(16).slice(1));
