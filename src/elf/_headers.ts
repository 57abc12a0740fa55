/**
 * The program and section header tables of an ELF64 file: reading them,
 * checking that they and everything they point at fit in the file, and
 * mapping between file offsets and virtual addresses through PT_LOAD.
 *
 * @module
 */

import {
  fail,
  malformed,
  type Range,
  type Reader,
  TRUNCATED_HINT,
  u16,
  u32,
  u64,
} from "./_reader.ts";

/** Ends beyond this are corrupt values, not a file that was cut short. */
const PLAUSIBLE_FILE_SIZE = 2 ** 32;

const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const SHT_NULL = 0;
const SHT_STRTAB = 3;
const SHT_NOBITS = 8;
const SHN_XINDEX = 0xffff;
const PN_XNUM = 0xffff;

/** `PT_LOAD`. */
export const PT_LOAD = 1;

/** A program header. */
export interface Segment {
  /** `p_type`. */
  type: number;
  /** `p_flags`: PF_X 1, PF_W 2, PF_R 4. */
  flags: number;
  /** `p_offset`. */
  offset: number;
  /** `p_vaddr`. */
  vaddr: number;
  /** `p_filesz`. */
  filesz: number;
  /** `p_memsz`. */
  memsz: number;
  /** `p_align`. */
  align: number;
}

/** A section header. */
export interface Section {
  /** `sh_name`: offset in the section name table. */
  name: number;
  /** `sh_type`. */
  type: number;
  /** `sh_offset`. */
  offset: number;
  /** `sh_size`. */
  size: number;
  /** `sh_link`. */
  link: number;
  /** `sh_addralign`. */
  align: number;
  /** `sh_entsize`. */
  entsize: number;
}

/** Both header tables. */
export interface Headers {
  /** The program headers. */
  segments: Segment[];
  /** The section headers, including index 0. */
  sections: Section[];
  /** The index of the section name table (0 if none). */
  shstrndx: number;
}

/**
 * Read both header tables of an ELF64 file whose ELF header was checked.
 * Throws TRUNCATED if a table, segment or section ends past the end of the
 * file (reporting the farthest end, usually the original size), MALFORMED if
 * one is absurd or the tables are inconsistent.
 *
 * @param r the reader
 * @returns the tables
 */
export function readHeaders(r: Reader): Headers {
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
  } else {
    if (shentsize !== SHDR_SIZE) {
      malformed(r, "e_shentsize", `${SHDR_SIZE}`, `${shentsize}`);
    }
    // Extended numbering: the real values live in section header 0.
    if (shnum === 0 || phnum === PN_XNUM || shstrndx === SHN_XINDEX) {
      checkExtents(r, [["section header table", shoff, SHDR_SIZE]]);
      if (shnum === 0) shnum = u64(r, shoff + 32);
      if (phnum === PN_XNUM) phnum = u32(r, shoff + 44);
      if (shstrndx === SHN_XINDEX) shstrndx = u32(r, shoff + 40);
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

  const segments: Segment[] = new Array(phnum);
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
  const sections: Section[] = new Array(shnum);
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

  const extents: [string, number, number][] = [];
  segments.forEach((s, i) => {
    if (s.filesz > 0) extents.push([`segment ${i}`, s.offset, s.filesz]);
  });
  sections.forEach((s, i) => {
    if (s.type !== SHT_NULL && s.type !== SHT_NOBITS && s.size > 0) {
      extents.push([`section ${i}`, s.offset, s.size]);
    }
  });
  checkExtents(r, extents);
  return { segments, sections, shstrndx };
}

/**
 * Check that every `[what, offset, length]` lies inside the file. An absurd
 * end is MALFORMED; otherwise the farthest end past the file is TRUNCATED.
 */
function checkExtents(r: Reader, extents: [string, number, number][]) {
  let farthest = r.size;
  let farthestWhat = "";
  for (const [what, offset, length] of extents) {
    const end = offset + length;
    if (end > PLAUSIBLE_FILE_SIZE || !Number.isSafeInteger(end)) {
      malformed(
        r,
        what,
        `a range inside the file's ${r.size} bytes`,
        `offset ${offset}, size ${length}`,
      );
    }
    if (end > farthest) {
      farthest = end;
      farthestWhat = what;
    }
  }
  if (farthest > r.size) {
    fail(
      r,
      "TRUNCATED",
      `truncated ELF file (${farthestWhat} ends past the end)`,
      `${farthest} bytes`,
      `${r.size} bytes`,
      TRUNCATED_HINT,
    );
  }
}

/**
 * Check that `e_shstrndx` names a string table that holds every section name.
 *
 * @param r the reader
 * @param sections the section headers
 * @param shstrndx the index of the section name table
 */
export function checkSectionNames(r: Reader, sections: Section[], shstrndx: number) {
  if (sections.length === 0 || shstrndx === 0) return;
  if (shstrndx >= sections.length) {
    malformed(r, "e_shstrndx", `a section index below ${sections.length}`, `${shstrndx}`);
  }
  const names = sections[shstrndx];
  if (names.type !== SHT_STRTAB) {
    malformed(
      r,
      "e_shstrndx",
      "a string table section",
      `section ${shstrndx} of type ${names.type}`,
    );
  }
  sections.forEach((s, i) => {
    if (s.name !== 0 && s.name >= names.size) {
      malformed(r, `name of section ${i}`, `an offset below ${names.size}`, `${s.name}`);
    }
  });
}

/**
 * The string table a section links to with `sh_link`.
 *
 * @param r the reader
 * @param sections all sections
 * @param s the linking section
 * @param what the linking section's name, for messages
 * @returns the string table's bytes
 */
export function linkedStrings(r: Reader, sections: Section[], s: Section, what: string): Range {
  const t = s.link < sections.length ? sections[s.link] : undefined;
  if (!t || s.link === 0 || t.type !== SHT_STRTAB) {
    malformed(
      r,
      `sh_link of ${what}`,
      "the index of a string table section",
      t ? `section ${s.link} of type ${t.type}` : `${s.link} of ${sections.length} sections`,
    );
  }
  return { start: t.offset, end: t.offset + t.size };
}

/**
 * Map a virtual address to the file bytes from it to the end of the file
 * data of the PT_LOAD that contains it.
 *
 * @param r the reader
 * @param segments the program headers
 * @param addr the address
 * @param what the tag it came from, for messages
 * @returns the file range
 */
export function mapAddress(r: Reader, segments: Segment[], addr: number, what: string): Range {
  for (const s of segments) {
    if (s.type === PT_LOAD && addr >= s.vaddr && addr - s.vaddr < s.filesz) {
      return { start: s.offset + (addr - s.vaddr), end: s.offset + s.filesz };
    }
  }
  return malformed(
    r,
    what,
    "an address inside a loaded segment (PT_LOAD)",
    `0x${addr.toString(16)}`,
  );
}

/**
 * Maps file offsets to virtual addresses in O(log n) per lookup, so that
 * many notes and many segments cannot multiply into a long loop.
 */
export class AddressMap {
  #loads: Segment[];
  /** For each position in `#loads`, the load ending farthest among those up to it. */
  #farthest: Segment[];

  /**
   * @param segments the program headers
   */
  constructor(segments: Segment[]) {
    this.#loads = segments
      .filter((s) => s.type === PT_LOAD && s.filesz > 0)
      .sort((a, b) => a.offset - b.offset);
    this.#farthest = [];
    let best: Segment | undefined;
    for (const s of this.#loads) {
      if (!best || s.offset + s.filesz > best.offset + best.filesz) best = s;
      this.#farthest.push(best);
    }
  }

  /**
   * The virtual address of a file offset.
   *
   * @param offset the file offset
   * @returns the address, or -1 if no PT_LOAD maps the offset
   */
  addressOf(offset: number): number {
    // The last load starting at or before `offset`...
    let lo = 0;
    let hi = this.#loads.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.#loads[mid].offset <= offset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0) return -1;
    // ...and of the loads up to it, the one reaching farthest covers it if any does.
    const s = this.#farthest[found];
    return offset < s.offset + s.filesz ? s.vaddr + (offset - s.offset) : -1;
  }
}
