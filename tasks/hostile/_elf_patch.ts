/**
 * Byte-level patches of a well-formed ELF64 little-endian shared object, for
 * crafting hostile plugins from real ones: read the program headers and the
 * note records of the `PT_NOTE` segment, stretch a note, move the notes to
 * another place of the file (growing the `PT_LOAD` that maps them), and
 * replace the text of a plugboard note. Every function returns a new array
 * and leaves its input alone. The patches assume a file the linker wrote;
 * they are for making test inputs, not for reading untrusted files (that is
 * `src/elf/`).
 *
 * @module
 */

/** `PT_LOAD`. */
export const PT_LOAD = 1;
/** `PT_NOTE`. */
export const PT_NOTE = 4;
/** The page size of the machine the crafted files are loaded on. */
export const PAGE = 4096;

/** A program header, with where it is in the file. */
export interface Phdr {
  /** Index in the program header table. */
  index: number;
  /** Offset of the header itself in the file. */
  at: number;
  /** `p_type`. */
  type: number;
  /** `p_flags` (PF_X 1, PF_W 2, PF_R 4). */
  flags: number;
  /** `p_offset`. */
  offset: number;
  /** `p_vaddr`. */
  vaddr: number;
  /** `p_filesz`. */
  filesz: number;
  /** `p_memsz`. */
  memsz: number;
}

/** A note record of the `PT_NOTE` segment. */
export interface NoteRecord {
  /** File offset of the record (its header). */
  offset: number;
  /** `namesz`. */
  namesz: number;
  /** `descsz`. */
  descsz: number;
  /** `type`. */
  type: number;
  /** The owner name. */
  owner: string;
  /** File offset of the descriptor. */
  descOffset: number;
  /** Bytes of the record, padded to 4. */
  size: number;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const align4 = (n: number) => Math.ceil(n / 4) * 4;

/**
 * The program headers of a file.
 *
 * @param bytes the file
 * @returns its program headers, in table order
 */
export function programHeaders(bytes: Uint8Array): Phdr[] {
  const v = view(bytes);
  const phoff = Number(v.getBigUint64(32, true));
  const phnum = v.getUint16(56, true);
  const out: Phdr[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * 56;
    out.push({
      index: i,
      at,
      type: v.getUint32(at, true),
      flags: v.getUint32(at + 4, true),
      offset: Number(v.getBigUint64(at + 8, true)),
      vaddr: Number(v.getBigUint64(at + 16, true)),
      filesz: Number(v.getBigUint64(at + 32, true)),
      memsz: Number(v.getBigUint64(at + 40, true)),
    });
  }
  return out;
}

/**
 * Write a program header's fields back (type, offset, vaddr and paddr,
 * filesz, memsz).
 *
 * @param bytes the file, changed in place
 * @param h the header
 */
export function writeProgramHeader(bytes: Uint8Array, h: Phdr): void {
  const v = view(bytes);
  v.setUint32(h.at, h.type, true);
  v.setUint32(h.at + 4, h.flags, true);
  v.setBigUint64(h.at + 8, BigInt(h.offset), true);
  v.setBigUint64(h.at + 16, BigInt(h.vaddr), true);
  v.setBigUint64(h.at + 24, BigInt(h.vaddr), true);
  v.setBigUint64(h.at + 32, BigInt(h.filesz), true);
  v.setBigUint64(h.at + 40, BigInt(h.memsz), true);
}

/**
 * The `PT_NOTE` program header (the first one).
 *
 * @param bytes the file
 * @returns the header
 * @throws {Error} when the file has none
 */
export function noteSegment(bytes: Uint8Array): Phdr {
  const h = programHeaders(bytes).find((p) => p.type === PT_NOTE);
  if (!h) throw new Error("the file has no PT_NOTE segment");
  return h;
}

/**
 * The loadable segments, in file order.
 *
 * @param bytes the file
 * @returns the `PT_LOAD` headers
 */
export function loadSegments(bytes: Uint8Array): Phdr[] {
  return programHeaders(bytes).filter((p) => p.type === PT_LOAD);
}

/**
 * The note records of the `PT_NOTE` segment.
 *
 * @param bytes the file
 * @returns the records in file order
 */
export function noteRecords(bytes: Uint8Array): NoteRecord[] {
  const seg = noteSegment(bytes);
  const v = view(bytes);
  const out: NoteRecord[] = [];
  for (let p = seg.offset; p + 12 <= seg.offset + seg.filesz;) {
    const namesz = v.getUint32(p, true);
    const descsz = v.getUint32(p + 4, true);
    const descOffset = p + 12 + align4(namesz);
    const owner = new TextDecoder().decode(
      bytes.subarray(p + 12, p + 12 + Math.max(0, namesz - 1)),
    );
    const size = align4(descOffset + descsz - p);
    out.push({
      offset: p,
      namesz,
      descsz,
      type: v.getUint32(p + 8, true),
      owner,
      descOffset,
      size,
    });
    p += size;
  }
  return out;
}

/**
 * Stretch one note so that its record ends at file offset `end` (its
 * `descsz` grows; the bytes after its text are whatever the file has
 * there), and grow the `PT_NOTE` segment to end there too. The text of a
 * plugboard note ends at its first NUL, so the stretched note still reads
 * as the same metadata.
 *
 * @param bytes the file
 * @param end the file offset the note (and the segment) will end at
 * @param which the note: `"last-plugboard"` or `"first"`
 * @returns the patched copy
 */
export function stretchNote(
  bytes: Uint8Array,
  end: number,
  which: "last-plugboard" | "first" = "last-plugboard",
): Uint8Array {
  const out = bytes.slice();
  const notes = noteRecords(out);
  const note = which === "first" ? notes[0] : notes.filter((n) => n.owner === "plugboard").at(-1);
  if (!note) throw new Error("no note to stretch");
  if (end < note.descOffset) throw new Error(`cannot end a note at ${end}, before its text`);
  view(out).setUint32(note.offset + 4, end - note.descOffset, true);
  const seg = noteSegment(out);
  seg.filesz = end - seg.offset;
  seg.memsz = seg.filesz;
  writeProgramHeader(out, seg);
  return out;
}

/**
 * Copy the `PT_NOTE` segment's records to file offset `to` and point the
 * segment there. With `grow`, the `PT_LOAD` segment whose file range ends
 * at or before `to` (the closest one) is grown to map the copy, so the
 * notes are loaded at the address the file says; without it the copy lies
 * in no loadable segment. The bytes at `to` must be padding (zeros).
 *
 * @param bytes the file
 * @param to the new file offset, 4-aligned
 * @param grow grow the preceding `PT_LOAD` to cover the copy
 * @returns the patched copy
 */
export function moveNotes(bytes: Uint8Array, to: number, grow: boolean): Uint8Array {
  if (to % 4 !== 0) throw new Error(`notes must be 4-aligned, not at ${to}`);
  const out = bytes.slice();
  const seg = noteSegment(out);
  const size = seg.filesz;
  if (to + size > out.length) throw new Error(`no room for ${size} bytes of notes at ${to}`);
  out.copyWithin(to, seg.offset, seg.offset + size);
  let vaddr = to;
  if (grow) {
    const load = loadSegments(out).filter((l) =>
      l.offset <= to
    ).sort((a, b) => b.offset - a.offset)[0];
    if (!load) throw new Error(`no PT_LOAD before offset ${to}`);
    const end = to + size - load.offset;
    if (end > load.filesz) {
      load.filesz = end;
      load.memsz = Math.max(load.memsz, end);
      writeProgramHeader(out, load);
    }
    vaddr = load.vaddr + (to - load.offset);
  }
  seg.offset = to;
  seg.vaddr = vaddr;
  writeProgramHeader(out, seg);
  return out;
}

/**
 * Set the `p_vaddr` (and `p_paddr`) of the `PT_NOTE` segment, leaving its
 * file range alone: readers that trust `p_vaddr` look elsewhere.
 *
 * @param bytes the file
 * @param vaddr the address to claim
 * @returns the patched copy
 */
export function claimNoteAddress(bytes: Uint8Array, vaddr: number): Uint8Array {
  const out = bytes.slice();
  const seg = noteSegment(out);
  seg.vaddr = vaddr;
  writeProgramHeader(out, seg);
  return out;
}

/**
 * Replace a `key=value` field of the plugboard plugin note (type 1) with a
 * value of the same byte length, e.g. another name for a copy of a plugin.
 *
 * @param bytes the file
 * @param key the field, e.g. `name`
 * @param value the new value, exactly as long in UTF-8 as the old one
 * @returns the patched copy
 */
export function patchPluginField(bytes: Uint8Array, key: string, value: string): Uint8Array {
  const out = bytes.slice();
  const note = noteRecords(out).find((n) => n.owner === "plugboard" && n.type === 1);
  if (!note) throw new Error("no plugboard plugin note");
  const desc = out.subarray(note.descOffset, note.descOffset + note.descsz);
  const text = new TextDecoder().decode(desc);
  const start = text.indexOf(`\n${key}=`) + key.length + 2;
  if (start < key.length + 2) throw new Error(`no ${key}= field`);
  const old = text.slice(start, text.indexOf("\n", start));
  const bytesNew = new TextEncoder().encode(value);
  if (new TextEncoder().encode(old).length !== bytesNew.length) {
    throw new Error(`${key}=${value} is not as long as ${key}=${old}`);
  }
  desc.set(bytesNew, new TextEncoder().encode(text.slice(0, start)).length);
  return out;
}

/**
 * The first virtual address past the page that holds the last byte of a
 * segment: where an unmapped hole may begin.
 *
 * @param seg the segment
 * @returns the page-rounded end of the segment in memory
 */
export function pageEnd(seg: Phdr): number {
  return Math.ceil((seg.vaddr + seg.memsz) / PAGE) * PAGE;
}

/**
 * Where a file offset is loaded, by the `PT_LOAD` segments.
 *
 * @param bytes the file
 * @param offset the file offset
 * @returns the segment and virtual address, or undefined when no segment maps it
 */
export function addressOf(
  bytes: Uint8Array,
  offset: number,
): { seg: Phdr; vaddr: number } | undefined {
  for (const seg of loadSegments(bytes)) {
    if (offset >= seg.offset && offset < seg.offset + seg.filesz) {
      return { seg, vaddr: seg.vaddr + offset - seg.offset };
    }
  }
  return undefined;
}

/** The fields of a symbol that {@linkcode patchSymbol} can change. */
export interface SymbolPatch {
  /** `st_value`. */
  value?: number;
  /** `st_size`. */
  size?: number;
  /** `st_info` (binding << 4 | type). */
  info?: number;
  /** `st_shndx`. */
  shndx?: number;
}

/**
 * Change a symbol in every symbol table of the file (`.dynsym` and
 * `.symtab`), found by name.
 *
 * @param bytes the file
 * @param name the symbol's name
 * @param patch the new fields
 * @returns the patched copy
 * @throws {Error} when no table has the symbol
 */
export function patchSymbol(bytes: Uint8Array, name: string, patch: SymbolPatch): Uint8Array {
  const out = bytes.slice();
  const v = view(out);
  const shoff = Number(v.getBigUint64(40, true));
  const shnum = v.getUint16(60, true);
  const section = (i: number) => {
    const h = shoff + i * 64;
    return {
      type: v.getUint32(h + 4, true),
      offset: Number(v.getBigUint64(h + 24, true)),
      size: Number(v.getBigUint64(h + 32, true)),
      link: v.getUint32(h + 40, true),
    };
  };
  let found = 0;
  const wanted = new TextEncoder().encode(name);
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    if (s.type !== 2 && s.type !== 11) continue; // SHT_SYMTAB, SHT_DYNSYM
    const strtab = section(s.link);
    for (let p = s.offset; p + 24 <= s.offset + s.size; p += 24) {
      const at = strtab.offset + v.getUint32(p, true);
      const same = wanted.every((b, j) => out[at + j] === b) && out[at + wanted.length] === 0;
      if (!same) continue;
      if (patch.info !== undefined) out[p + 4] = patch.info;
      if (patch.shndx !== undefined) v.setUint16(p + 6, patch.shndx, true);
      if (patch.value !== undefined) v.setBigUint64(p + 8, BigInt(patch.value), true);
      if (patch.size !== undefined) v.setBigUint64(p + 16, BigInt(patch.size), true);
      found++;
    }
  }
  if (found === 0) throw new Error(`no symbol ${name}`);
  return out;
}

/** A note record to append with {@linkcode appendNotes}. */
export interface NewNote {
  /** The owner. @default "plugboard" */
  owner?: string;
  /** The type. */
  type: number;
  /** The descriptor's text (a NUL is added). */
  text: string;
}

/**
 * Copy the `PT_NOTE` segment's records, add more after them, and put the
 * whole at the end of the file (in no loadable segment: nothing of it is
 * mapped, so only readers of the file see it).
 *
 * @param bytes the file
 * @param notes the records to add
 * @returns the longer copy
 */
export function appendNotes(bytes: Uint8Array, notes: readonly NewNote[]): Uint8Array {
  const seg = noteSegment(bytes);
  const enc = new TextEncoder();
  const records = notes.map((n) => {
    const owner = enc.encode((n.owner ?? "plugboard") + "\0");
    const desc = enc.encode(n.text + "\0");
    const r = new Uint8Array(12 + align4(owner.length) + align4(desc.length));
    const v = new DataView(r.buffer);
    v.setUint32(0, owner.length, true);
    v.setUint32(4, desc.length, true);
    v.setUint32(8, n.type, true);
    r.set(owner, 12);
    r.set(desc, 12 + align4(owner.length));
    return r;
  });
  const added = records.reduce((a, r) => a + r.length, 0);
  const at = Math.ceil(bytes.length / 8) * 8;
  const out = new Uint8Array(at + seg.filesz + added);
  out.set(bytes);
  out.set(bytes.subarray(seg.offset, seg.offset + seg.filesz), at);
  let p = at + seg.filesz;
  for (const r of records) {
    out.set(r, p);
    p += r.length;
  }
  const moved = noteSegment(out);
  moved.offset = at;
  moved.vaddr = 0;
  moved.filesz = seg.filesz + added;
  moved.memsz = moved.filesz;
  writeProgramHeader(out, moved);
  return out;
}
