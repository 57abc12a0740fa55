// Generated from src/wasm/prepare_wasm.ts by tasks/dist.ts (deno task dist): do not edit.
import { LoadError } from "../errors/plugin_error.js";
import { walkCode } from "./_code.js";
import { byte, createReader, hex, malformed, uleb } from "./_reader.js";
import { SECTIONS } from "./_sections.js";
export const GROW_FAILED_EXPORT = "plugboard:grow_failed";
export const INTERRUPT_EXPORT = "plugboard:interrupt";
export function prepareWasm(bytes, info, path, options = {}) {
    const r = createReader(bytes, path);
    const importedMemories = info.memories.filter((m) => m.imported).length;
    const memoryCount = info.memories.length;
    const globalCount = info.globals.length;
    const growFlag = options.growFlag ?? false;
    const interrupt = options.interrupt ?? false;
    for (const m of info.memories) {
        if (m.memory64 && (growFlag || interrupt)) {
            throw new LoadError("MALFORMED", {
                path,
                what: "a 64-bit memory",
                expected: "32-bit memories (a wasm32 plugin)",
                found: `memory ${m.index} with 64-bit addresses (memory64)`,
                hint: "build the plugin for wasm32 (clang --target=wasm32-wasi)",
            });
        }
    }
    const tmpGlobal = globalCount;
    const flagGlobal = globalCount + 1;
    const irqMemory = memoryCount;
    const loopCheck = interrupt ? interruptCheck(irqMemory) : [];
    const growCheck = growFlag ? growFailureCheck(tmpGlobal, flagGlobal) : [];
    const out = new Chunks();
    out.push(bytes.subarray(0, 8));
    let loops = 0;
    let grows = 0;
    const added = { memory: false, global: false, export: false };
    const addMissing = (beforeOrder) => {
        if (interrupt && !added.memory && ORDER.memory < beforeOrder) {
            out.section(5, vecOf([], [INTERRUPT_MEMORY]));
            added.memory = true;
        }
        if (growFlag && !added.global && ORDER.global < beforeOrder) {
            out.section(6, vecOf([], [FLAG_GLOBAL, FLAG_GLOBAL]));
            added.global = true;
        }
        if ((growFlag || interrupt) && !added.export && ORDER.export < beforeOrder) {
            out.section(7, vecOf([], newExports()));
            added.export = true;
        }
    };
    const newExports = () => [
        ...(growFlag ? [[...nameBytes(GROW_FAILED_EXPORT), 0x03, ...leb(flagGlobal)]] : []),
        ...(interrupt ? [[...nameBytes(INTERRUPT_EXPORT), 0x02, ...leb(irqMemory)]] : []),
    ];
    let pos = 8;
    while (pos < bytes.length) {
        const start = pos;
        const id = bytes[pos++];
        const c = { pos, end: bytes.length, where: "", isFile: true };
        const size = uleb(r, c, "section size");
        const body = { start: c.pos, end: c.pos + size };
        pos = body.end;
        const order = id === 0 ? undefined : SECTIONS.get(id)?.order;
        if (order !== undefined)
            addMissing(order);
        switch (id) {
            case 5: {
                const entries = memories(r, body, options.maxPages, importedMemories);
                out.section(5, vecOf(entries, interrupt ? [INTERRUPT_MEMORY] : []));
                added.memory = true;
                break;
            }
            case 6:
                out.section(6, appendToVec(r, body, growFlag ? [FLAG_GLOBAL, FLAG_GLOBAL] : []));
                added.global = true;
                break;
            case 7:
                out.section(7, appendToVec(r, body, newExports()));
                added.export = true;
                break;
            case 10: {
                if (!growFlag && !interrupt) {
                    out.push(bytes.subarray(start, body.end));
                    break;
                }
                const code = rewriteCode(r, body, loopCheck, growCheck);
                loops += code.loops;
                grows += code.grows;
                out.section(10, code.bytes);
                break;
            }
            default:
                out.push(bytes.subarray(start, body.end));
        }
    }
    addMissing(Infinity);
    return { bytes: out.join(), loops, grows };
}
const ORDER = { memory: 5, global: 7, export: 8 };
const INTERRUPT_MEMORY = [0x03, 0x01, 0x01];
const FLAG_GLOBAL = [0x7f, 0x01, 0x41, 0x00, 0x0b];
function interruptCheck(memory) {
    const arg = memory === 0 ? [0x02, 0x00] : [0x42, ...leb(memory), 0x00];
    return [0x41, 0x00, 0xfe, 0x10, ...arg, 0x04, 0x40, 0x00, 0x0b];
}
function growFailureCheck(tmp, flag) {
    return [
        0x24,
        ...leb(tmp),
        0x23,
        ...leb(tmp),
        0x41,
        0x7f,
        0x46,
        0x04,
        0x40,
        0x41,
        0x01,
        0x24,
        ...leb(flag),
        0x0b,
        0x23,
        ...leb(tmp),
    ];
}
function memories(r, body, maxPages, imported) {
    const c = { pos: body.start, end: body.end, where: "memory section", isFile: false };
    const n = uleb(r, c, "memory count");
    const out = [];
    for (let i = 0; i < n; i++) {
        const at = c.pos;
        const flags = r.bytes[c.pos++];
        const memory64 = (flags & 4) !== 0;
        const initial = uleb(r, c, "initial size", memory64 ? 64 : 32);
        const maximum = flags & 1 ? uleb(r, c, "maximum size", memory64 ? 64 : 32) : undefined;
        if (maxPages === undefined || memory64) {
            out.push([...r.bytes.subarray(at, c.pos)]);
            continue;
        }
        if (initial > maxPages) {
            throw new Error(`unreachable: memory ${imported + i} starts at ${initial} pages, above the cap of ${maxPages}`);
        }
        const capped = Math.min(maximum ?? Infinity, maxPages);
        out.push([flags | 1, ...leb(initial), ...leb(capped)]);
    }
    return out;
}
function appendToVec(r, body, more) {
    const c = { pos: body.start, end: body.end, where: "section", isFile: false };
    const n = uleb(r, c, "entry count");
    if (more.length === 0)
        return [...r.bytes.subarray(body.start, body.end)];
    return [...leb(n + more.length), ...r.bytes.subarray(c.pos, body.end), ...more.flat()];
}
function vecOf(entries, more) {
    return [...leb(entries.length + more.length), ...entries.flat(), ...more.flat()];
}
function rewriteCode(r, body, loopCheck, growCheck) {
    const c = { pos: body.start, end: body.end, where: "code section", isFile: false };
    const n = uleb(r, c, "function body count");
    const out = new Chunks();
    out.push(new Uint8Array(leb(n)));
    let loops = 0;
    let grows = 0;
    for (let i = 0; i < n; i++) {
        const size = uleb(r, c, `size of function body ${i}`);
        const end = c.pos + size;
        if (end > body.end) {
            malformed(r, `function body ${i} at offset ${hex(c.pos)}`, `a body inside the code section (which ends at ${hex(body.end)})`, `${size} bytes, past its end`);
        }
        const fc = {
            pos: c.pos,
            end,
            where: `function body ${i}`,
            isFile: false,
        };
        const groups = uleb(r, fc, "local group count");
        for (let g = 0; g < groups; g++) {
            uleb(r, fc, "local count");
            const t = byte(r, fc, "a local's type");
            if (t === 0x63 || t === 0x64) {
                throw new LoadError("MALFORMED", {
                    path: r.path,
                    what: `malformed WebAssembly module (${fc.where})`,
                    expected: "locals of value types",
                    found: `a typed reference local (${hex(t)}) of the GC proposals`,
                    hint: "build the plugin for wasm32 with clang or rustc",
                });
            }
        }
        const parts = [];
        let from = c.pos;
        walkCode(r, fc, (kind, offset) => {
            const insert = kind === "loop" ? loopCheck : growCheck;
            if (insert.length === 0)
                return;
            if (kind === "loop")
                loops++;
            else
                grows++;
            parts.push(r.bytes.subarray(from, offset), new Uint8Array(insert));
            from = offset;
        });
        parts.push(r.bytes.subarray(from, end));
        const length = parts.reduce((s, p) => s + p.length, 0);
        out.push(new Uint8Array(leb(length)));
        for (const p of parts)
            out.push(p);
        c.pos = end;
    }
    return { bytes: out, loops, grows };
}
function nameBytes(s) {
    const b = new TextEncoder().encode(s);
    return [...leb(b.length), ...b];
}
function leb(n) {
    const out = [];
    let v = n;
    do {
        let b = v % 128;
        v = Math.floor(v / 128);
        if (v > 0)
            b |= 0x80;
        out.push(b);
    } while (v > 0);
    return out;
}
class Chunks {
    #parts = [];
    #length = 0;
    get length() {
        return this.#length;
    }
    push(part) {
        this.#parts.push(part);
        this.#length += part.length;
    }
    section(id, content) {
        const size = content instanceof Chunks ? content.length : content.length;
        this.push(new Uint8Array([id, ...leb(size)]));
        if (content instanceof Chunks) {
            for (const p of content.#parts)
                this.push(p);
        }
        else
            this.push(new Uint8Array(content));
    }
    join() {
        const out = new Uint8Array(this.#length);
        let at = 0;
        for (const p of this.#parts) {
            out.set(p, at);
            at += p.length;
        }
        return out;
    }
}
