/**
 * The two custom sections the reader looks into: `plugboard`, whose
 * payload is ELF note records (read strictly: it is plugboard's own format),
 * and `name`, for the module's and the data segments' names (read leniently:
 * the spec says a bad name section must not make a module invalid, so it is
 * then ignored).
 *
 * @module
 */

import { hex, malformed, type Reader } from "./_reader.ts";
import type { WasmNote } from "./read_wasm.ts";

/** The longest note owner read, in bytes. */
const MAX_OWNER = 4096;

const lenient = new TextDecoder("utf-8");

/**
 * Read the note records of one `plugboard` custom section's payload:
 * `u32 namesz, u32 descsz, u32 type`, the owner padded to 4 bytes, the
 * descriptor padded to 4 bytes, little-endian, as in an ELF `SHT_NOTE`
 * section. The last record's padding may be missing, as in ELF.
 *
 * @param r the reader
 * @param start the first payload byte
 * @param end one past the last payload byte
 * @param notes where to append the records
 */
export function readNotes(r: Reader, start: number, end: number, notes: WasmNote[]): void {
  for (let p = start; p < end;) {
    const left = end - p;
    if (left < 12) badNote(r, start, end, p, `${left} byte${left === 1 ? "" : "s"} left`);
    const namesz = r.view.getUint32(p, true);
    const descsz = r.view.getUint32(p + 4, true);
    const descOffset = 12 + alignUp(namesz);
    const descEnd = descOffset + descsz;
    if (descEnd > left) badNote(r, start, end, p, `namesz ${namesz} and descsz ${descsz}`);
    const size = Math.min(alignUp(descEnd), left);
    notes.push({
      owner: owner(r.bytes, p + 12, p + 12 + Math.min(namesz, MAX_OWNER)),
      type: r.view.getUint32(p + 8, true),
      desc: r.bytes.subarray(p + descOffset, p + descEnd),
      vaddr: -1,
      offset: p,
      size,
    });
    p += size;
  }
}

function owner(b: Uint8Array, start: number, limit: number): string {
  let end = start;
  while (end < limit && b[end] !== 0) end++;
  let s = "";
  for (let i = start; i < end; i++) {
    if (b[i] >= 0x80) return lenient.decode(b.subarray(start, end));
    s += String.fromCharCode(b[i]);
  }
  return s;
}

function badNote(r: Reader, start: number, end: number, p: number, found: string): never {
  return malformed(
    r,
    `note at offset ${hex(p)} in the plugboard section at offset ${hex(start)}`,
    `a note record inside the section's ${end - start} bytes`,
    found,
  );
}

function alignUp(n: number): number {
  return Math.ceil(n / 4) * 4;
}

/** What the `name` section says. */
export interface Names {
  /** Subsection 0: the module's name. */
  module: string | undefined;
  /** Subsection 9: data segment names by segment index. */
  dataSegments: Map<number, string>;
}

/**
 * Read the module name and the data segment names of a `name` section.
 * Stops at the first inconsistency and keeps what it read until then.
 *
 * @param bytes the whole file
 * @param start the first payload byte
 * @param end one past the last payload byte
 * @returns the names found
 */
export function readNames(bytes: Uint8Array, start: number, end: number): Names {
  const names: Names = { module: undefined, dataSegments: new Map() };
  const at = { pos: start };
  while (at.pos < end) {
    const id = bytes[at.pos++];
    const size = leb(bytes, at, end);
    if (size === undefined || size > end - at.pos) break;
    const subEnd = at.pos + size;
    if (id === 0) {
      names.module = text(bytes, at, subEnd);
    } else if (id === 9) {
      const n = leb(bytes, at, subEnd);
      for (let i = 0; n !== undefined && i < n && at.pos < subEnd; i++) {
        const index = leb(bytes, at, subEnd);
        const name = text(bytes, at, subEnd);
        if (index === undefined || name === undefined) break;
        names.dataSegments.set(index, name);
      }
    }
    at.pos = subEnd;
  }
  return names;
}

/** A u32 LEB128, or `undefined` if it is invalid or runs past `end`. */
function leb(bytes: Uint8Array, at: { pos: number }, end: number): number | undefined {
  let value = 0;
  for (let i = 0; i < 5 && at.pos < end; i++) {
    const x = bytes[at.pos++];
    value += (x & 0x7f) * 2 ** (7 * i);
    if ((x & 0x80) === 0) return value <= 0xffff_ffff ? value : undefined;
  }
  return undefined;
}

/** A name (length and UTF-8 bytes), or `undefined` if it runs past `end`. */
function text(bytes: Uint8Array, at: { pos: number }, end: number): string | undefined {
  const length = leb(bytes, at, end);
  if (length === undefined || length > end - at.pos) return undefined;
  const s = lenient.decode(bytes.subarray(at.pos, at.pos + length));
  at.pos += length;
  return s;
}
