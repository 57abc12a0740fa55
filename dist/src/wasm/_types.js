// Generated from src/wasm/_types.ts by tasks/dist.ts (deno task dist): do not edit.
import { byte, hex, malformed, pastEnd, sleb, uleb } from "./_reader.js";
const VALUE_TYPES = {
    0x7f: "i32",
    0x7e: "i64",
    0x7d: "f32",
    0x7c: "f64",
    0x7b: "v128",
    0x70: "funcref",
    0x6f: "externref",
};
function describeType(b) {
    if (b === 0x63 || b === 0x64)
        return `${hex(b)} (a typed function reference)`;
    if (b >= 0x69 && b <= 0x74)
        return `${hex(b)} (a reference type of the GC proposals)`;
    return hex(b);
}
export function valueType(r, c, what) {
    const at = c.pos;
    const b = byte(r, c, `the value type of ${what}`);
    const type = VALUE_TYPES[b];
    if (type === undefined) {
        malformed(r, `${what} at offset ${hex(at)}`, "a value type (i32 0x7f, i64 0x7e, f32 0x7d, f64 0x7c, v128 0x7b, funcref 0x70, " +
            "externref 0x6f)", describeType(b));
    }
    return type;
}
export function refType(r, c, what) {
    const at = c.pos;
    const b = byte(r, c, `the reference type of ${what}`);
    if (b === 0x70)
        return "funcref";
    if (b === 0x6f)
        return "externref";
    return malformed(r, `${what} at offset ${hex(at)}`, "a reference type (funcref 0x70 or externref 0x6f)", describeType(b));
}
function describeForm(b) {
    if (b === 0x4e)
        return `${hex(b)} (a recursive type group of the GC proposal)`;
    if (b === 0x50 || b === 0x4f)
        return `${hex(b)} (a subtype of the GC proposal)`;
    if (b === 0x5f)
        return `${hex(b)} (a struct type of the GC proposal)`;
    if (b === 0x5e)
        return `${hex(b)} (an array type of the GC proposal)`;
    return hex(b);
}
export function functionType(r, c, index) {
    const at = c.pos;
    const form = byte(r, c, `the form of type ${index}`);
    if (form !== 0x60) {
        malformed(r, `type ${index} at offset ${hex(at)}`, "a function type (0x60)", describeForm(form));
    }
    const params = valueTypes(r, c, `type ${index}`, "parameter");
    const results = valueTypes(r, c, `type ${index}`, "result");
    return { params, results };
}
function valueTypes(r, c, owner, kind) {
    const n = uleb(r, c, `${kind} count of ${owner}`);
    const left = c.end - c.pos;
    if (n > left) {
        malformed(r, `${owner}`, `at most ${left} ${kind}s in the ${left} bytes left`, `a ${kind} count of ${n}`);
    }
    const types = [];
    for (let i = 0; i < n; i++)
        types.push(valueType(r, c, `${kind} ${i} of ${owner}`));
    return types;
}
const MAX_PAGES_32 = 65536;
export function memoryType(r, c, what) {
    const at = c.pos;
    const flags = byte(r, c, `the limits flags of ${what}`);
    if (flags > 7) {
        malformed(r, `${what} at offset ${hex(at)}`, "limits flags from 0 to 7 (bit 0 maximum, bit 1 shared, bit 2 memory64)", `flags ${hex(flags)}`);
    }
    const memory64 = (flags & 4) !== 0;
    const shared = (flags & 2) !== 0;
    const bits = memory64 ? 64 : 32;
    const initial = uleb(r, c, `initial size of ${what}`, bits);
    const maximum = flags & 1 ? uleb(r, c, `maximum size of ${what}`, bits) : undefined;
    const limit = memory64 ? 2 ** 48 : MAX_PAGES_32;
    for (const [name, pages] of [["initial", initial], ["maximum", maximum]]) {
        if (pages !== undefined && pages > limit) {
            malformed(r, `${what} at offset ${hex(at)}`, `${name} size of at most ${limit} pages (${memory64 ? "2^64" : "4 GiB"})`, `${pages} pages`);
        }
    }
    checkLimits(r, at, what, initial, maximum);
    if (shared && maximum === undefined) {
        malformed(r, `${what} at offset ${hex(at)}`, "a maximum size for a shared memory", "none");
    }
    return { initial, maximum, shared, memory64 };
}
function checkLimits(r, at, what, initial, maximum) {
    if (maximum !== undefined && maximum < initial) {
        malformed(r, `${what} at offset ${hex(at)}`, "a maximum size at least the initial size", `initial ${initial}, maximum ${maximum}`);
    }
}
export function tableType(r, c, what) {
    const element = refType(r, c, what);
    const at = c.pos;
    const flags = byte(r, c, `the limits flags of ${what}`);
    if (flags > 1) {
        malformed(r, `${what} at offset ${hex(at)}`, "table limits flags 0 or 1", `flags ${hex(flags)}`);
    }
    const initial = uleb(r, c, `initial size of ${what}`);
    const maximum = flags & 1 ? uleb(r, c, `maximum size of ${what}`) : undefined;
    checkLimits(r, at, what, initial, maximum);
    return { element, initial, maximum };
}
export function globalType(r, c, what) {
    const type = valueType(r, c, what);
    const at = c.pos;
    const mut = byte(r, c, `the mutability of ${what}`);
    if (mut > 1) {
        malformed(r, `${what} at offset ${hex(at)}`, "mutability 0 or 1", `${mut}`);
    }
    return { type, mutable: mut === 1 };
}
export function constExpr(r, c, what, scope) {
    let value;
    for (let n = 0;; n++) {
        const at = c.pos;
        const op = byte(r, c, `an instruction of the ${what}`);
        switch (op) {
            case 0x0b:
                return n === 1 ? value : undefined;
            case 0x41:
                value = sleb(r, c, `i32.const in the ${what}`, 32);
                break;
            case 0x42:
                value = sleb(r, c, `i64.const in the ${what}`, 64);
                break;
            case 0x43:
            case 0x44: {
                const size = op === 0x43 ? 4 : 8;
                if (c.end - c.pos < size)
                    pastEnd(r, c, `a ${size}-byte constant in the ${what}`);
                c.pos += size;
                break;
            }
            case 0x23: {
                const index = uleb(r, c, `global index in the ${what}`);
                checkIndex(r, at, what, "global", index, scope.globals);
                break;
            }
            case 0xd0:
                refType(r, c, `ref.null in the ${what}`);
                break;
            case 0xd2: {
                const index = uleb(r, c, `function index in the ${what}`);
                checkIndex(r, at, what, "function", index, scope.functions);
                break;
            }
            case 0x6a:
            case 0x6b:
            case 0x6c:
            case 0x7c:
            case 0x7d:
            case 0x7e:
                break;
            case 0xfd: {
                const sub = uleb(r, c, `SIMD opcode in the ${what}`);
                if (sub !== 12)
                    unsupported(r, at, what, `0xfd ${sub}`);
                if (c.end - c.pos < 16)
                    pastEnd(r, c, `a 16-byte constant in the ${what}`);
                c.pos += 16;
                break;
            }
            default:
                unsupported(r, at, what, hex(op));
        }
        if (n > 0)
            value = undefined;
    }
}
function unsupported(r, at, what, op) {
    return malformed(r, `${what} at offset ${hex(at)}`, "a constant instruction (i32/i64/f32/f64/v128.const, global.get, ref.null, ref.func, " +
        "i32/i64 add, sub or mul) or end (0x0b)", `opcode ${op}`);
}
export function checkIndex(r, at, what, space, index, size) {
    if (index >= size) {
        malformed(r, `${what} at offset ${hex(at)}`, size === 0
            ? `no ${space} index (the module has no ${space})`
            : `a ${space} index below ${size}`, `index ${index}`);
    }
}
