// Generated from src/elf/_headers.ts by tasks/dist.ts (deno task dist): do not edit.
import { fail, malformed, TRUNCATED_HINT, u16, u32, u64, } from "./_reader.js";
export var readHeaders = (function readHeaders(r) {
    const phoff = u64(r, 32);
    const shoff = u64(r, 40);
    const phentsize = u16(r, 54);
    let phnum = u16(r, 56);
    const shentsize = u16(r, 58);
    let shnum = u16(r, 60);
    let shstrndx = u16(r, 62);
    if (shoff === 0) {
        if (shnum !== 0) {
            malformed(r, "e_shnum", "0 when e_shoff is 0", `${shnum}`);
        }
    }
    else {
        if (shentsize !== SHDR_SIZE) {
            malformed(r, "e_shentsize", `${SHDR_SIZE}`, `${shentsize}`);
        }
        if (shnum === 0 || phnum === PN_XNUM || shstrndx === SHN_XINDEX) {
            checkExtents(r, [["section header table", shoff, SHDR_SIZE]]);
            if (shnum === 0)
                shnum = u64(r, shoff + 32);
            if (phnum === PN_XNUM)
                phnum = u32(r, shoff + 44);
            if (shstrndx === SHN_XINDEX)
                shstrndx = u32(r, shoff + 40);
        }
    }
    if (phnum !== 0 && phentsize !== PHDR_SIZE) {
        malformed(r, "e_phentsize", `${PHDR_SIZE}`, `${phentsize}`);
    }
    if (phnum !== 0 && phoff === 0) {
        malformed(r, "e_phoff", "the offset of the program headers", "0");
    }
    checkExtents(r, [
        ["program header table", phoff, phnum * PHDR_SIZE],
        ["section header table", shoff, shnum * SHDR_SIZE],
    ]);
    const segments = new Array(phnum);
    for (let i = 0; i < phnum; i++) {
        const p = phoff + i * PHDR_SIZE;
        segments[i] = {
            type: u32(r, p),
            flags: u32(r, p + 4),
            offset: u64(r, p + 8),
            vaddr: u64(r, p + 16),
            filesz: u64(r, p + 32),
            memsz: u64(r, p + 40),
            align: u64(r, p + 48),
        };
    }
    const sections = new Array(shnum);
    for (let i = 0; i < shnum; i++) {
        const s = shoff + i * SHDR_SIZE;
        sections[i] = {
            name: u32(r, s),
            type: u32(r, s + 4),
            offset: u64(r, s + 24),
            size: u64(r, s + 32),
            link: u32(r, s + 40),
            align: u64(r, s + 48),
            entsize: u64(r, s + 56),
        };
    }
    const extents = [];
    segments.forEach((s, i) => {
        if (s.filesz > 0)
            extents.push([`segment ${i}`, s.offset, s.filesz]);
    });
    sections.forEach((s, i) => {
        if (s.type !== SHT_NULL && s.type !== SHT_NOBITS && s.size > 0) {
            extents.push([`section ${i}`, s.offset, s.size]);
        }
    });
    checkExtents(r, extents);
    return { segments, sections, shstrndx };
});
var checkExtents = (function checkExtents(r, extents) {
    let farthest = r.size;
    let farthestWhat = "";
    for (const [what, offset, length] of extents) {
        const end = offset + length;
        if (end > PLAUSIBLE_FILE_SIZE || !Number.isSafeInteger(end)) {
            malformed(r, what, `a range inside the file's ${r.size} bytes`, `offset ${offset}, size ${length}`);
        }
        if (end > farthest) {
            farthest = end;
            farthestWhat = what;
        }
    }
    if (farthest > r.size) {
        fail(r, "TRUNCATED", `truncated ELF file (${farthestWhat} ends past the end)`, `${farthest} bytes`, `${r.size} bytes`, TRUNCATED_HINT);
    }
});
export var checkSectionNames = (function checkSectionNames(r, sections, shstrndx) {
    if (sections.length === 0 || shstrndx === 0)
        return;
    if (shstrndx >= sections.length) {
        malformed(r, "e_shstrndx", `a section index below ${sections.length}`, `${shstrndx}`);
    }
    const names = sections[shstrndx];
    if (names.type !== SHT_STRTAB) {
        malformed(r, "e_shstrndx", "a string table section", `section ${shstrndx} of type ${names.type}`);
    }
    sections.forEach((s, i) => {
        if (s.name !== 0 && s.name >= names.size) {
            malformed(r, `name of section ${i}`, `an offset below ${names.size}`, `${s.name}`);
        }
    });
});
export var linkedStrings = (function linkedStrings(r, sections, s, what) {
    const t = s.link < sections.length ? sections[s.link] : undefined;
    if (!t || s.link === 0 || t.type !== SHT_STRTAB) {
        malformed(r, `sh_link of ${what}`, "the index of a string table section", t ? `section ${s.link} of type ${t.type}` : `${s.link} of ${sections.length} sections`);
    }
    return { start: t.offset, end: t.offset + t.size };
});
export var mapAddress = (function mapAddress(r, segments, addr, what) {
    for (const s of segments) {
        if (s.type === PT_LOAD && addr >= s.vaddr && addr - s.vaddr < s.filesz) {
            return { start: s.offset + (addr - s.vaddr), end: s.offset + s.filesz };
        }
    }
    return malformed(r, what, "an address inside a loaded segment (PT_LOAD)", `0x${addr.toString(16)}`);
});
const PLAUSIBLE_FILE_SIZE = 2 ** 32;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const SHT_NULL = 0;
const SHT_STRTAB = 3;
const SHT_NOBITS = 8;
const SHN_XINDEX = 0xffff;
const PN_XNUM = 0xffff;
export const PT_LOAD = 1;
export class AddressMap {
    #loads;
    #farthest;
    constructor(segments) {
        this.#loads = segments
            .filter((s) => s.type === PT_LOAD && s.filesz > 0)
            .sort((a, b) => a.offset - b.offset);
        this.#farthest = [];
        let best;
        for (const s of this.#loads) {
            if (!best || s.offset + s.filesz > best.offset + best.filesz)
                best = s;
            this.#farthest.push(best);
        }
    }
    addressOf(offset) {
        let lo = 0;
        let hi = this.#loads.length - 1;
        let found = -1;
        while (lo <= hi) {
            const mid = (lo + hi) >> 1;
            if (this.#loads[mid].offset <= offset) {
                found = mid;
                lo = mid + 1;
            }
            else {
                hi = mid - 1;
            }
        }
        if (found < 0)
            return -1;
        const s = this.#farthest[found];
        return offset < s.offset + s.filesz ? s.vaddr + (offset - s.offset) : -1;
    }
}
