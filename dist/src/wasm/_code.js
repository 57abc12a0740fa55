// Generated from src/wasm/_code.ts by tasks/dist.ts (deno task dist): do not edit.
import { byte, hex, malformed, pastEnd, sleb, uleb } from "./_reader.js";
const ONE_BYTE_TYPES = new Set([0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f, 0x40]);
function unsupported(r, c, at, what) {
    return malformed(r, `${c.where} at offset ${hex(at)}`, "an instruction of WebAssembly 2.0 or of the threads, exception handling, tail call, " +
        "multi-memory, memory64 or relaxed SIMD proposals", what);
}
function blockType(r, c, at) {
    if (c.pos >= c.end)
        pastEnd(r, c, "a block type");
    const b = r.bytes[c.pos];
    if (ONE_BYTE_TYPES.has(b)) {
        c.pos++;
        return;
    }
    if (b === 0x63 || b === 0x64) {
        unsupported(r, c, at, `a typed reference block type (${hex(b)}) of the GC proposals`);
    }
    const index = sleb(r, c, "block type index", 64);
    if (index !== undefined && index < 0) {
        unsupported(r, c, at, `block type ${hex(b)}`);
    }
}
function memarg(r, c) {
    const align = uleb(r, c, "memory alignment");
    if (align & 0x40)
        uleb(r, c, "memory index");
    uleb(r, c, "memory offset", 64);
}
function skip(r, c, n, what) {
    if (c.end - c.pos < n)
        pastEnd(r, c, what);
    c.pos += n;
}
function heapType(r, c, at) {
    const b = byte(r, c, "a heap type");
    if (b === 0x70 || b === 0x6f)
        return;
    unsupported(r, c, at, `ref.null of heap type ${hex(b)}`);
}
export function walkCode(r, c, site) {
    while (c.pos < c.end) {
        const at = c.pos;
        const op = r.bytes[c.pos++];
        if (op <= 0x01 || op === 0x05 || op === 0x0a || op === 0x0b || op === 0x0f)
            continue;
        if (op >= 0x45 && op <= 0xc4)
            continue;
        if (op >= 0x28 && op <= 0x3e) {
            memarg(r, c);
            continue;
        }
        switch (op) {
            case 0x02:
            case 0x04:
            case 0x06:
                blockType(r, c, at);
                break;
            case 0x03:
                blockType(r, c, at);
                site("loop", c.pos);
                break;
            case 0x07:
            case 0x08:
            case 0x09:
            case 0x0c:
            case 0x0d:
            case 0x10:
            case 0x12:
            case 0x14:
            case 0x15:
            case 0x18:
            case 0x20:
            case 0x21:
            case 0x22:
            case 0x23:
            case 0x24:
            case 0x25:
            case 0x26:
            case 0x3f:
            case 0xd2:
                uleb(r, c, `immediate of opcode ${hex(op)}`);
                break;
            case 0x19:
            case 0x1a:
            case 0x1b:
            case 0xd1:
                break;
            case 0x0e: {
                const n = uleb(r, c, "br_table label count");
                if (n > c.end - c.pos)
                    pastEnd(r, c, `${n} br_table labels`);
                for (let i = 0; i <= n; i++)
                    uleb(r, c, "br_table label");
                break;
            }
            case 0x11:
            case 0x13:
                uleb(r, c, "type index");
                uleb(r, c, "table index");
                break;
            case 0x1c: {
                const n = uleb(r, c, "select type count");
                skip(r, c, n, "select types");
                break;
            }
            case 0x1f: {
                blockType(r, c, at);
                const n = uleb(r, c, "try_table catch count");
                if (n > c.end - c.pos)
                    pastEnd(r, c, `${n} try_table catches`);
                for (let i = 0; i < n; i++) {
                    const kind = byte(r, c, "catch kind");
                    if (kind > 3)
                        unsupported(r, c, at, `try_table catch kind ${kind}`);
                    if (kind < 2)
                        uleb(r, c, "catch tag");
                    uleb(r, c, "catch label");
                }
                break;
            }
            case 0x40:
                uleb(r, c, "memory index");
                site("grow", c.pos);
                break;
            case 0x41:
                sleb(r, c, "i32.const", 32);
                break;
            case 0x42:
                sleb(r, c, "i64.const", 64);
                break;
            case 0x43:
                skip(r, c, 4, "an f32 constant");
                break;
            case 0x44:
                skip(r, c, 8, "an f64 constant");
                break;
            case 0xd0:
                heapType(r, c, at);
                break;
            case 0xfc:
                prefixFc(r, c, at);
                break;
            case 0xfd:
                prefixSimd(r, c, at);
                break;
            case 0xfe:
                prefixAtomic(r, c, at);
                break;
            default:
                unsupported(r, c, at, `opcode ${hex(op)}`);
        }
    }
}
function prefixFc(r, c, at) {
    const sub = uleb(r, c, "0xfc sub-opcode");
    if (sub <= 7)
        return;
    switch (sub) {
        case 8:
        case 10:
        case 12:
        case 14:
            uleb(r, c, "immediate");
            uleb(r, c, "immediate");
            return;
        case 9:
        case 11:
        case 13:
        case 15:
        case 16:
        case 17:
            uleb(r, c, "immediate");
            return;
        default:
            unsupported(r, c, at, `opcode 0xfc ${sub}`);
    }
}
function prefixSimd(r, c, at) {
    const sub = uleb(r, c, "0xfd sub-opcode");
    if (sub <= 11 || sub === 92 || sub === 93) {
        memarg(r, c);
    }
    else if (sub === 12 || sub === 13) {
        skip(r, c, 16, "a 16-byte immediate");
    }
    else if (sub >= 21 && sub <= 34) {
        skip(r, c, 1, "a lane index");
    }
    else if (sub >= 84 && sub <= 91) {
        memarg(r, c);
        skip(r, c, 1, "a lane index");
    }
    else if (sub > 275) {
        unsupported(r, c, at, `opcode 0xfd ${sub}`);
    }
}
function prefixAtomic(r, c, at) {
    const sub = uleb(r, c, "0xfe sub-opcode");
    if (sub === 3) {
        skip(r, c, 1, "atomic.fence's reserved byte");
    }
    else if (sub <= 2 || (sub >= 0x10 && sub <= 0x4e)) {
        memarg(r, c);
    }
    else {
        unsupported(r, c, at, `opcode 0xfe ${sub}`);
    }
}
