// Generated from src/elf/_contents.ts by tasks/dist.ts (deno task dist): do not edit.
import { linkedStrings, mapAddress, } from "./_headers.js";
import { decodeName, malformed, MAX_NAME, readName, u16, u32, u64, } from "./_reader.js";
export var readDynamic = (function readDynamic(r, segments, sections) {
    const dyn = {
        needed: [],
        soname: undefined,
        flags1: 0,
        strings: undefined,
        symtab: undefined,
        syment: undefined,
        hash: undefined,
        gnuHash: undefined,
    };
    let start = 0;
    let end = 0;
    if (segments.length > 0) {
        const p = segments.find((s) => s.type === PT_DYNAMIC);
        if (!p)
            return dyn;
        [start, end] = [p.offset, p.offset + p.filesz];
    }
    else {
        const s = sections.find((s) => s.type === SHT_DYNAMIC);
        if (!s)
            return dyn;
        [start, end] = [s.offset, s.offset + s.size];
        dyn.strings = linkedStrings(r, sections, s, "SHT_DYNAMIC");
    }
    const needed = [];
    let soname;
    let strtab;
    let strsz;
    for (let p = start; p + DYN_SIZE <= end; p += DYN_SIZE) {
        if (u32(r, p + (r.le ? 4 : 0)) !== 0)
            continue;
        const tag = u32(r, p + (r.le ? 0 : 4));
        if (tag === DT_NULL)
            break;
        const val = u64(r, p + 8);
        if (tag === DT_NEEDED)
            needed.push(val);
        else if (tag === DT_SONAME)
            soname = val;
        else if (tag === DT_STRTAB)
            strtab = val;
        else if (tag === DT_STRSZ)
            strsz = val;
        else if (tag === DT_SYMTAB)
            dyn.symtab = val;
        else if (tag === DT_SYMENT)
            dyn.syment = val;
        else if (tag === DT_HASH)
            dyn.hash = val;
        else if (tag === DT_GNU_HASH)
            dyn.gnuHash = val;
        else if (tag === DT_FLAGS_1)
            dyn.flags1 = u32(r, p + (r.le ? 8 : 12));
    }
    if (!dyn.strings && strtab !== undefined) {
        const mapped = mapAddress(r, segments, strtab, "DT_STRTAB");
        const room = mapped.end - mapped.start;
        if (strsz !== undefined && strsz > room) {
            malformed(r, "DT_STRSZ", `at most ${room} bytes (the rest of its segment)`, `${strsz}`);
        }
        dyn.strings = { start: mapped.start, end: mapped.start + (strsz ?? room) };
    }
    const strings = dyn.strings;
    if (needed.length > 0 || soname !== undefined) {
        if (!strings)
            malformed(r, "DT_STRTAB", "a string table", "none");
        dyn.needed = needed.map((n) => readName(r, strings, n, "DT_NEEDED"));
        if (soname !== undefined) {
            dyn.soname = readName(r, strings, soname, "DT_SONAME");
        }
    }
    return dyn;
});
export var readSymbolSection = (function readSymbolSection(r, sections, s, what) {
    if (s.entsize !== SYM_SIZE) {
        malformed(r, `sh_entsize of ${what}`, `${SYM_SIZE}`, `${s.entsize}`);
    }
    if (s.size % SYM_SIZE !== 0) {
        malformed(r, `sh_size of ${what}`, `a multiple of ${SYM_SIZE}`, `${s.size}`);
    }
    const strings = linkedStrings(r, sections, s, what);
    return readSymbols(r, s.offset, s.size / SYM_SIZE, strings, what);
});
export var readDynamicSymbols = (function readDynamicSymbols(r, segments, dyn) {
    if (dyn.symtab === undefined || !dyn.strings)
        return [];
    if (dyn.syment !== undefined && dyn.syment !== SYM_SIZE) {
        malformed(r, "DT_SYMENT", `${SYM_SIZE}`, `${dyn.syment}`);
    }
    const table = mapAddress(r, segments, dyn.symtab, "DT_SYMTAB");
    let count = 0;
    if (dyn.gnuHash !== undefined) {
        count = gnuHashSymbolCount(r, segments, dyn.gnuHash);
    }
    else if (dyn.hash !== undefined) {
        const h = mapAddress(r, segments, dyn.hash, "DT_HASH");
        if (h.end - h.start < 8) {
            malformed(r, "DT_HASH", "an 8-byte header", "a header cut short");
        }
        count = u32(r, h.start + 4);
    }
    const room = Math.floor((table.end - table.start) / SYM_SIZE);
    if (count > room) {
        malformed(r, "dynamic symbol count", `at most ${room} symbols in the segment`, `${count}`);
    }
    return readSymbols(r, table.start, count, dyn.strings, "DT_SYMTAB");
});
var gnuHashSymbolCount = (function gnuHashSymbolCount(r, segments, addr) {
    const h = mapAddress(r, segments, addr, "DT_GNU_HASH");
    const bad = (found) => malformed(r, "DT_GNU_HASH", "a hash table inside its segment", found);
    if (h.end - h.start < 16)
        bad("a header cut short");
    const nbuckets = u32(r, h.start);
    const symoffset = u32(r, h.start + 4);
    const bloomSize = u32(r, h.start + 8);
    const buckets = h.start + 16 + bloomSize * 8;
    const chains = buckets + nbuckets * 4;
    if (chains > h.end)
        bad(`${nbuckets} buckets, ${bloomSize} bloom words`);
    let last = 0;
    for (let i = 0; i < nbuckets; i++) {
        last = Math.max(last, u32(r, buckets + i * 4));
    }
    if (last === 0)
        return symoffset;
    if (last < symoffset)
        bad(`bucket ${last} below symoffset ${symoffset}`);
    for (let p = chains + (last - symoffset) * 4; p + 4 <= h.end; p += 4) {
        if (u32(r, p) & 1)
            return last + 1;
        last++;
    }
    return bad("a chain that runs past its segment");
});
var readSymbols = (function readSymbols(r, offset, count, strings, what) {
    const out = new Array(Math.max(0, count - 1));
    const b = r.bytes;
    for (let i = 1; i < count; i++) {
        const p = offset + i * SYM_SIZE;
        const type = b[p + 4] & 0xf;
        const binding = b[p + 4] >> 4;
        out[i - 1] = {
            name: readName(r, strings, u32(r, p), `symbol ${i} of ${what}`),
            value: u64(r, p + 8),
            size: u64(r, p + 16),
            type: type < SYMBOL_TYPES.length
                ? SYMBOL_TYPES[type]
                : type === STT_GNU_IFUNC
                    ? "ifunc"
                    : "other",
            binding: binding < BINDINGS.length
                ? BINDINGS[binding]
                : binding === STB_GNU_UNIQUE
                    ? "unique"
                    : "other",
            visibility: VISIBILITIES[b[p + 5] & 3],
            defined: u16(r, p + 6) !== 0,
            section: u16(r, p + 6),
        };
    }
    return out;
});
export var readNotes = (function readNotes(r, addresses, region, alignment, notes) {
    const align = alignment === 8 ? 8 : 4;
    const { end } = region;
    for (let p = region.start; p < end;) {
        if (end - p < 12)
            badNote(r, region, p, `${end - p} bytes left`);
        const namesz = u32(r, p);
        const descsz = u32(r, p + 4);
        const descOffset = alignUp(12 + namesz, align);
        const descEnd = descOffset + descsz;
        if (descEnd > end - p) {
            badNote(r, region, p, `namesz ${namesz} and descsz ${descsz}`);
        }
        const size = Math.min(alignUp(descEnd, align), end - p);
        notes.push({
            owner: decodeName(r, p + 12, p + 12 + Math.min(namesz, MAX_NAME)),
            type: u32(r, p + 8),
            desc: r.bytes.subarray(p + descOffset, p + descEnd),
            vaddr: addresses.addressOf(p),
            offset: p,
            size,
        });
        p += size;
    }
});
var badNote = (function badNote(r, region, p, found) {
    return malformed(r, `note at offset ${p}`, `a record inside its ${region.end - region.start}-byte note region`, found);
});
var alignUp = (function alignUp(n, align) {
    return Math.ceil(n / align) * align;
});
export var readComment = (function readComment(r, sections, shstrndx) {
    if (shstrndx === 0 || shstrndx >= sections.length)
        return [];
    const names = sections[shstrndx];
    const table = { start: names.offset, end: names.offset + names.size };
    const s = sections.find((s, i) => i !== 0 && s.type === SHT_PROGBITS && s.size > 0 &&
        readName(r, table, s.name, `section ${i}`) === ".comment");
    if (!s)
        return [];
    const end = s.offset + Math.min(s.size, MAX_COMMENT_BYTES);
    const out = [];
    for (let p = s.offset; p < end && out.length < MAX_COMMENT_STRINGS;) {
        const text = decodeName(r, p, Math.min(end, p + MAX_NAME));
        if (text !== "")
            out.push(text);
        let q = p;
        while (q < end && r.bytes[q] !== 0)
            q++;
        p = q + 1;
    }
    return out;
});
const SYM_SIZE = 24;
const DYN_SIZE = 16;
const PT_DYNAMIC = 2;
const SHT_DYNAMIC = 6;
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
const SYMBOL_TYPES = [
    "notype",
    "object",
    "func",
    "section",
    "file",
    "common",
    "tls",
];
const BINDINGS = ["local", "global", "weak"];
const VISIBILITIES = ["default", "internal", "hidden", "protected"];
const STT_GNU_IFUNC = 10;
const STB_GNU_UNIQUE = 10;
const SHT_PROGBITS = 1;
const MAX_COMMENT_BYTES = 64 << 10;
const MAX_COMMENT_STRINGS = 64;
