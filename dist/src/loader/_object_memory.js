// Generated from src/loader/_object_memory.ts by tasks/dist.ts (deno task dist): do not edit.
export class ObjectMemory {
    base;
    #loads;
    #relro;
    constructor(base, elf) {
        this.base = base;
        this.#loads = elf.loads;
        this.#relro = elf.relro;
    }
    segmentOf(vaddr, length, access = {}) {
        if (!Number.isSafeInteger(vaddr) || !Number.isSafeInteger(length) || vaddr < 0 || length < 0) {
            return undefined;
        }
        const end = vaddr + length;
        for (const s of this.#loads) {
            const limit = s.vaddr + (access.fileBacked ? s.filesz : s.memsz);
            if (vaddr < s.vaddr || end > limit)
                continue;
            if (!s.read || (access.write && !s.write) || (access.execute && !s.execute))
                continue;
            if (access.write && this.#relro.some((r) => vaddr < r.vaddr + r.memsz && end > r.vaddr)) {
                continue;
            }
            return s;
        }
        return undefined;
    }
    vaddrOf(ptr) {
        if (ptr === null)
            return undefined;
        const offset = BigInt(Deno.UnsafePointer.value(ptr)) - this.base;
        return offset >= 0n && offset <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(offset) : undefined;
    }
    holds(ptr, length, access = {}) {
        const vaddr = this.vaddrOf(ptr);
        return vaddr !== undefined && this.segmentOf(vaddr, length, access) !== undefined;
    }
    pointer(vaddr) {
        return Deno.UnsafePointer.create(this.base + BigInt(vaddr));
    }
    view(vaddr, length) {
        if (!this.segmentOf(vaddr, length)) {
            throw new Error(`unreachable: a read of ${length} bytes at ${vaddr} outside the object`);
        }
        return new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(this.pointer(vaddr), length));
    }
}
