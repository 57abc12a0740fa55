// Generated from src/elf/_loadable.ts by tasks/dist.ts (deno task dist): do not edit.
import { malformed, u32, u64 } from "./_reader.js";
export var checkLoadable = (function checkLoadable(r, segments) {
    const loads = segments.filter((s) => s.type === PT_LOAD);
    let previous = -1;
    for (const [i, s] of loads.entries()) {
        const what = `PT_LOAD #${i + 1}`;
        if (s.vaddr + s.memsz > USER_SPACE_END || s.memsz < s.filesz) {
            malformed(r, what, "addresses inside user space, and a memory size at least its file size", `0x${s.vaddr.toString(16)} + ${s.memsz} bytes (file size ${s.filesz})`);
        }
        if (s.vaddr < previous) {
            malformed(r, what, "loadable segments in address order", `0x${s.vaddr.toString(16)}`);
        }
        if (s.align > 1 && (s.vaddr - s.offset) % s.align !== 0) {
            malformed(r, what, `an address congruent to its offset modulo its alignment (${s.align})`, `address 0x${s.vaddr.toString(16)}, offset 0x${s.offset.toString(16)}`);
        }
        previous = s.vaddr + s.memsz;
    }
    const mapped = (addr, size) => loads.some((s) => addr >= s.vaddr && addr + size <= s.vaddr + s.memsz);
    const dynamic = segments.find((s) => s.type === PT_DYNAMIC);
    if (!dynamic)
        return;
    if (!mapped(dynamic.vaddr, dynamic.memsz)) {
        malformed(r, "PT_DYNAMIC", "a dynamic section inside a loadable segment", `0x${dynamic.vaddr.toString(16)} + ${dynamic.memsz} bytes`);
    }
    const values = new Map();
    for (let p = dynamic.offset; p + DYN_SIZE <= dynamic.offset + dynamic.filesz; p += DYN_SIZE) {
        const high = u32(r, p + (r.le ? 4 : 0));
        const tag = u32(r, p + (r.le ? 0 : 4));
        if (high !== 0 || tag > 0x7fffffff) {
            malformed(r, `dynamic entry #${(p - dynamic.offset) / DYN_SIZE + 1}`, "a tag from 0 to 0x7fffffff", high === 0
                ? `0x${tag.toString(16)}`
                : `0x${high.toString(16)}${tag.toString(16).padStart(8, "0")}`);
        }
        if (tag === 0)
            break;
        if (!values.has(tag))
            values.set(tag, u64(r, p + 8));
    }
    for (const [tag, { name, size }] of POINTERS) {
        const addr = values.get(tag);
        if (addr === undefined)
            continue;
        if (size !== undefined && !values.has(size) && PAIRED.has(tag)) {
            malformed(r, name, `its size entry (${PAIRED.get(tag)}) beside it`, "none");
        }
        const length = size === undefined ? 1 : values.get(size) ?? 1;
        if (!mapped(addr, Math.max(length, 1))) {
            malformed(r, name, "an address (and its size) inside a loadable segment", `0x${addr.toString(16)}${size === undefined ? "" : ` + ${length} bytes`}`);
        }
    }
    for (const [tag, { name, of }] of MULTIPLE_OF) {
        const size = values.get(tag);
        if (size !== undefined && size % of !== 0) {
            malformed(r, name, `a multiple of ${of} bytes`, `${size} bytes`);
        }
    }
});
export var checkExportedCode = (function checkExportedCode(r, segments, symbols) {
    const code = segments.filter((s) => s.type === PT_LOAD && (s.flags & PF_X) !== 0);
    if (code.length === 0)
        return;
    for (const sym of symbols) {
        if (!sym.defined || (sym.type !== "func" && sym.type !== "ifunc"))
            continue;
        if (!code.some((s) => sym.value >= s.vaddr && sym.value < s.vaddr + s.memsz)) {
            malformed(r, `symbol ${JSON.stringify(sym.name.slice(0, 80))}`, "an exported function inside an executable segment", `address 0x${sym.value.toString(16)}`);
        }
    }
});
const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const DYN_SIZE = 16;
const USER_SPACE_END = 2 ** 48;
const POINTERS = new Map([
    [3, { name: "DT_PLTGOT" }],
    [4, { name: "DT_HASH" }],
    [5, { name: "DT_STRTAB", size: 10 }],
    [6, { name: "DT_SYMTAB" }],
    [7, { name: "DT_RELA", size: 8 }],
    [12, { name: "DT_INIT" }],
    [13, { name: "DT_FINI" }],
    [17, { name: "DT_REL", size: 18 }],
    [23, { name: "DT_JMPREL", size: 2 }],
    [25, { name: "DT_INIT_ARRAY", size: 27 }],
    [26, { name: "DT_FINI_ARRAY", size: 28 }],
    [32, { name: "DT_PREINIT_ARRAY", size: 33 }],
    [36, { name: "DT_RELR", size: 35 }],
    [0x6ffffef5, { name: "DT_GNU_HASH" }],
    [0x6ffffff0, { name: "DT_VERSYM" }],
    [0x6ffffffc, { name: "DT_VERDEF" }],
    [0x6ffffffe, { name: "DT_VERNEED" }],
]);
const PAIRED = new Map([
    [5, "DT_STRSZ"],
    [7, "DT_RELASZ"],
    [17, "DT_RELSZ"],
    [23, "DT_PLTRELSZ"],
    [25, "DT_INIT_ARRAYSZ"],
    [26, "DT_FINI_ARRAYSZ"],
    [32, "DT_PREINIT_ARRAYSZ"],
    [36, "DT_RELRSZ"],
]);
const MULTIPLE_OF = new Map([
    [27, { name: "DT_INIT_ARRAYSZ", of: 8 }],
    [28, { name: "DT_FINI_ARRAYSZ", of: 8 }],
    [33, { name: "DT_PREINIT_ARRAYSZ", of: 8 }],
    [8, { name: "DT_RELASZ", of: 24 }],
    [2, { name: "DT_PLTRELSZ", of: 8 }],
    [35, { name: "DT_RELRSZ", of: 8 }],
]);
const PF_X = 1;
