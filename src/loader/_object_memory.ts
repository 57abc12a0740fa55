/**
 * The memory of one loaded object as the file describes it: its loadable
 * segments (`PT_LOAD`) placed at the load base. Every read of plugin memory
 * at an address derived from the file (its notes, its headers, an exported
 * variable) or handed back by the plugin (its descriptor, its hooks) is
 * first checked here: the whole range must lie inside one segment mapped
 * with the access needed. A segment's `[vaddr, vaddr + memsz)` is mapped
 * whole (its tail past `filesz` zero-filled); between segments there may be
 * unmapped holes (`-z max-page-size=0x10000 -z separate-code`), so a range
 * that starts inside a segment is not enough.
 *
 * @module
 */

import type { ElfInfo, ElfLoadSegment } from "../elf/read_elf.ts";

/** The access a range needs. */
export interface Access {
  /** Writable (and not made read-only after relocation, `PT_GNU_RELRO`). */
  write?: boolean;
  /** Executable. */
  execute?: boolean;
  /** Backed by the file's bytes (not the zero-filled tail of a segment). */
  fileBacked?: boolean;
}

/** One loaded object's segments at its load base. */
export class ObjectMemory {
  /** The load base (`l_addr`): memory address = base + virtual address. */
  readonly base: bigint;
  #loads: readonly ElfLoadSegment[];
  #relro: readonly { vaddr: number; memsz: number }[];

  /**
   * @param base the load base
   * @param elf the parsed file
   */
  constructor(base: bigint, elf: ElfInfo) {
    this.base = base;
    this.#loads = elf.loads;
    this.#relro = elf.relro;
  }

  /**
   * The segment holding a whole range of virtual addresses with the access
   * needed, if any.
   *
   * @param vaddr the first virtual address
   * @param length how many bytes
   * @param access what is needed beyond reading
   * @returns the segment, or undefined when the range is not all inside one
   */
  segmentOf(vaddr: number, length: number, access: Access = {}): ElfLoadSegment | undefined {
    if (!Number.isSafeInteger(vaddr) || !Number.isSafeInteger(length) || vaddr < 0 || length < 0) {
      return undefined;
    }
    const end = vaddr + length;
    for (const s of this.#loads) {
      const limit = s.vaddr + (access.fileBacked ? s.filesz : s.memsz);
      if (vaddr < s.vaddr || end > limit) continue;
      if (!s.read || (access.write && !s.write) || (access.execute && !s.execute)) continue;
      if (access.write && this.#relro.some((r) => vaddr < r.vaddr + r.memsz && end > r.vaddr)) {
        continue;
      }
      return s;
    }
    return undefined;
  }

  /**
   * The virtual address of a pointer into the object, when it is at or
   * above the base.
   *
   * @param ptr the pointer
   * @returns the virtual address, or undefined
   */
  vaddrOf(ptr: Deno.PointerValue): number | undefined {
    if (ptr === null) return undefined;
    const offset = BigInt(Deno.UnsafePointer.value(ptr)) - this.base;
    return offset >= 0n && offset <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(offset) : undefined;
  }

  /**
   * Whether a pointer handed back by the plugin points at `length` bytes
   * inside one of its segments with the access needed.
   *
   * @param ptr the pointer
   * @param length how many bytes will be read or run
   * @param access what is needed beyond reading
   * @returns whether it does
   */
  holds(ptr: Deno.PointerValue, length: number, access: Access = {}): boolean {
    const vaddr = this.vaddrOf(ptr);
    return vaddr !== undefined && this.segmentOf(vaddr, length, access) !== undefined;
  }

  /**
   * The pointer to a virtual address.
   *
   * @param vaddr the virtual address
   * @returns the pointer
   */
  pointer(vaddr: number): Deno.PointerObject {
    return Deno.UnsafePointer.create(this.base + BigInt(vaddr))!;
  }

  /**
   * A view of a range that was checked with {@linkcode ObjectMemory.segmentOf}.
   *
   * @param vaddr the first virtual address
   * @param length how many bytes
   * @returns the bytes in memory (not a copy)
   * @throws {Error} when the range is not inside a readable segment: a bug, never a read
   */
  view(vaddr: number, length: number): Uint8Array {
    if (!this.segmentOf(vaddr, length)) {
      throw new Error(`unreachable: a read of ${length} bytes at ${vaddr} outside the object`);
    }
    return new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(this.pointer(vaddr), length));
  }
}
