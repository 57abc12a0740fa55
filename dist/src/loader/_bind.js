// Generated from src/loader/_bind.ts by tasks/dist.ts (deno task dist): do not edit.
import { ERROR_RECORD } from "../abi/layout.js";
import { codecOf, structValueProblem } from "../abi/struct_type.js";
import { showValue } from "../abi/values.js";
import { CallError } from "../errors/plugin_error.js";
import { invalidArgument } from "../handle/arguments.js";
import { safeRead } from "./_memfd.js";
import { getStrncmp } from "../file/libc.js";
export var ffiDeclaration = (function ffiDeclaration(sig) {
    return {
        parameters: sig.parameters.map((t) => ffiType(sig, t)),
        result: sig.result === "cstring"
            ? "pointer"
            : sig.result.startsWith("struct ")
                ? structOf(sig, sig.result).ffi
                : sig.result,
        ...(sig.nonblocking ? { nonblocking: true } : {}),
    };
});
var ffiType = (function ffiType(sig, t) {
    if (t.startsWith("struct "))
        return structOf(sig, t).ffi;
    if (t === "cstring")
        return sig.nonblocking ? "buffer" : "pointer";
    return t;
});
var structOf = (function structOf(sig, t) {
    const found = sig.structs?.get(t.slice(7));
    if (!found)
        throw new Error(`unreachable: ${t} of ${sig.name} bound without its layout`);
    return found;
});
var structEncoder = (function structEncoder(ctx, fn, index, type, fresh) {
    const codec = codecOf(type);
    const reused = fresh ? undefined : new Uint8Array(type.size);
    const reusedView = reused ? new DataView(reused.buffer) : undefined;
    const fail = (detail) => {
        throw new CallError("INVALID_ARGUMENT", ctx.path, fn, `argument ${index + 1} does not fit struct ${type.name}: ${detail}`, { hint: `pass an object with every field of struct ${type.name}, or its ${type.size} bytes` });
    };
    return function encode(v) {
        if (v instanceof Uint8Array) {
            if (v.byteLength === type.size)
                return v;
            return fail(`expected ${type.size} bytes, found a Uint8Array of ${v.byteLength}`);
        }
        const out = reused ?? new Uint8Array(type.size);
        if (!codec.write(v, reusedView ?? new DataView(out.buffer), 0)) {
            fail(structValueProblem(type, v) ?? `found ${showValue(v)}`);
        }
        return out;
    };
});
var structDecoder = (function structDecoder(type) {
    const codec = codecOf(type);
    return (r) => codec.read(new DataView(r.buffer, r.byteOffset, r.byteLength), 0);
});
export var small = (function small(v) {
    const s = SMALL ??= new Array(65536);
    return s[v] ??= BigInt(v);
});
var invalid = (function invalid(ctx, fn, index, type, value) {
    throw invalidArgument(ctx.path, fn, index, type, value);
});
var pointerRefused = (function pointerRefused(ctx, fn, pointers, args, error) {
    for (const i of pointers) {
        const v = args[i];
        if (v === null)
            continue;
        try {
            Deno.UnsafePointer.value(v);
        }
        catch {
            invalid(ctx, fn, i, "pointer", v);
        }
    }
    throw error;
});
var toU64 = (function toU64(ctx, fn, i, t, v) {
    if (typeof v === "number") {
        if (v >= 0 && v < 65536 && (v | 0) === v)
            return small(v);
        if (Number.isSafeInteger(v) && v >= 0)
            return BigInt(v);
    }
    else if (typeof v === "bigint" && v >= 0n && v <= MAX_U64)
        return v;
    return invalid(ctx, fn, i, t, v);
});
var toI64 = (function toI64(ctx, fn, i, t, v) {
    if (typeof v === "number") {
        if (v >= 0 && v < 65536 && (v | 0) === v)
            return small(v);
        if (Number.isSafeInteger(v))
            return BigInt(v);
    }
    else if (typeof v === "bigint" && v >= MIN_I64 && v <= MAX_I64)
        return v;
    return invalid(ctx, fn, i, t, v);
});
var stringEncoder = (function stringEncoder(ctx, fn, index) {
    let buf = new Uint8Array(256);
    let at = Deno.UnsafePointer.of(buf);
    return function encode(s) {
        if (typeof s !== "string")
            return invalid(ctx, fn, index, "cstring", s);
        const n = s.length;
        if (n < buf.length) {
            let i = 0;
            for (; i < n; i++) {
                const c = s.charCodeAt(i);
                if (c > 127 || c === 0)
                    break;
                buf[i] = c;
            }
            if (i === n) {
                buf[n] = 0;
                return at;
            }
        }
        if (s.indexOf("\0") !== -1)
            return invalid(ctx, fn, index, "cstring", s);
        if (n * 3 + 1 > buf.length) {
            buf = new Uint8Array(Math.max(n * 3 + 1, buf.length * 2));
            at = Deno.UnsafePointer.of(buf);
        }
        const { written } = encoder.encodeInto(s, buf);
        buf[written] = 0;
        return at;
    };
});
var freshEncoder = (function freshEncoder(ctx, fn, index) {
    return function encode(s) {
        if (typeof s !== "string" || s.indexOf("\0") !== -1) {
            return invalid(ctx, fn, index, "cstring", s);
        }
        return encoder.encode(s + "\0");
    };
});
var readCString = (function readCString(p) {
    return p === null ? null : Deno.UnsafePointerView.getCString(p);
});
var cachedReader = (function cachedReader() {
    const cmp = getStrncmp();
    if (!cmp)
        return readCString;
    const bytes = new Uint8Array(RESULT_CACHE_BYTES);
    let text = "";
    let size = -1;
    let n64 = 0n;
    return function read(p) {
        if (p === null)
            return null;
        if (size > 0 && cmp(p, bytes, n64) === 0)
            return text;
        const s = Deno.UnsafePointerView.getCString(p);
        const n = s.length;
        size = -1;
        if (n < RESULT_CACHE_BYTES) {
            let i = 0;
            for (; i < n; i++) {
                const c = s.charCodeAt(i);
                if (c > 127)
                    break;
                bytes[i] = c;
            }
            if (i === n) {
                bytes[n] = 0;
                text = s;
                size = n + 1;
                n64 = small(size);
            }
        }
        return s;
    };
});
var intoReader = (function intoReader(ctx, fn, copy) {
    const first = new Uint8Array(INTO_FIRST_CAP);
    const io = { buf: first, at: Deno.UnsafePointer.of(first), cap: INTO_FIRST_CAP };
    let text = "";
    let ascii = false;
    const decode = (n) => {
        const b = io.buf;
        if (ascii && n === text.length) {
            let i = n - 1;
            while (i >= 0 && b[i] === text.charCodeAt(i))
                i--;
            if (i < 0)
                return text;
        }
        let s;
        if (n <= 16)
            s = shortAscii(b, n);
        if (s === undefined) {
            s = Deno.UnsafePointerView.getCString(io.at);
            ascii = false;
            for (let i = 0; i < s.length; i++)
                if (s.charCodeAt(i) > 127)
                    return text = s;
        }
        ascii = true;
        return text = s;
    };
    const read = (n) => {
        if (n < io.cap)
            return decode(n);
        if (n === INTO_NULL)
            return null;
        if (n === INTO_TOO_LONG)
            return intoFailed(ctx, fn, "its text is 4 GiB or longer");
        const cap = Math.min(Math.max(n + 1, io.cap * 2), INTO_TOO_LONG);
        io.buf = new Uint8Array(cap);
        io.at = Deno.UnsafePointer.of(io.buf);
        io.cap = cap;
        const m = copy(io.buf, cap);
        if (m !== n) {
            return intoFailed(ctx, fn, `${fn}__into said ${n} bytes, then plugboard_into_copy() returned ${m}`);
        }
        return decode(n);
    };
    return { io, read };
});
var intoFailed = (function intoFailed(ctx, fn, detail) {
    throw new CallError("CALL_FAILED", ctx.path, fn, `cannot read the text result: ${detail}`, {
        hint: "rebuild the plugin with native/plugboard.h; a text result must stay valid until the next call",
    });
});
var shortAscii = (function shortAscii(b, n) {
    let or = 0;
    for (let i = 0; i < n; i++)
        or |= b[i];
    if (or > 127)
        return undefined;
    switch (n) {
        case 0:
            return "";
        case 1:
            return fromCharCode(b[0]);
        case 2:
            return fromCharCode(b[0], b[1]);
        case 3:
            return fromCharCode(b[0], b[1], b[2]);
        case 4:
            return fromCharCode(b[0], b[1], b[2], b[3]);
        case 5:
            return fromCharCode(b[0], b[1], b[2], b[3], b[4]);
        case 6:
            return fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5]);
        case 7:
            return fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6]);
        case 8:
            return fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
        case 9:
            return fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8]);
        case 10:
            return fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9]);
        case 11:
            return fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10]);
        case 12:
            return fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11]);
        case 13:
            return fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12]);
        case 14:
            return fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13]);
        case 15:
            return fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14]);
        default:
            return fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    }
});
export var readErrorMessage = (function readErrorMessage(e) {
    return readErrorRecord(e).message;
});
var readErrorRecord = (function readErrorRecord(e) {
    const address = BigInt(Deno.UnsafePointer.value(e));
    const unreadable = {
        code: -1,
        message: `the plugin reported an error, but its error record at 0x${address.toString(16)} cannot be read (take_error() returned an address outside readable memory)`,
    };
    const head = safeRead(address, ERROR_RECORD.message);
    if (!head)
        return unreadable;
    const view = new DataView(head.buffer);
    const length = Math.min(view.getUint32(ERROR_RECORD.length, true), ERROR_RECORD.messageMax - 1);
    const bytes = safeRead(address + BigInt(ERROR_RECORD.message), length);
    if (!bytes)
        return unreadable;
    const nul = bytes.indexOf(0);
    return {
        code: view.getInt32(ERROR_RECORD.code, true),
        message: new TextDecoder().decode(nul === -1 ? bytes : bytes.subarray(0, nul)),
    };
});
var callFailed = (function callFailed(ctx, fn, e) {
    const { code, message } = readErrorRecord(e);
    throw new CallError("CALL_FAILED", ctx.path, fn, message, {
        pluginCode: code,
        hint: "the plugin reported this error; check the arguments or the plugin's documentation",
    });
});
var closedError = (function closedError(ctx, fn) {
    throw new CallError("CLOSED", ctx.path, fn, "the plugin handle is closed", {
        hint: "open the plugin again; functions of a closed handle cannot be called",
    });
});
export var makeWrapper = (function makeWrapper(sig, raw, ctx) {
    const fn = sig.name;
    const args = [];
    const body = ["if (h.closed) closed(ctx, FN);"];
    const passed = [];
    const env = {
        raw,
        ctx,
        h: ctx.handle,
        lib: ctx.library,
        FN: fn,
        closed: closedError,
        invalid,
        toU64,
        toI64,
        readCString,
        callFailed,
        take: ctx.takeError,
    };
    sig.parameters.forEach((t, i) => {
        const a = `a${i}`;
        args.push(a);
        switch (t) {
            case "i8":
                body.push(`if (typeof ${a} !== "number" || ((${a} << 24) >> 24) !== ${a}) invalid(ctx, FN, ${i}, "i8", ${a});`);
                passed.push(`${a} | 0`);
                return;
            case "u8":
                body.push(`if (typeof ${a} !== "number" || (${a} & 0xff) !== ${a}) invalid(ctx, FN, ${i}, "u8", ${a});`);
                passed.push(`${a} | 0`);
                return;
            case "i16":
                body.push(`if (typeof ${a} !== "number" || ((${a} << 16) >> 16) !== ${a}) invalid(ctx, FN, ${i}, "i16", ${a});`);
                passed.push(`${a} | 0`);
                return;
            case "u16":
                body.push(`if (typeof ${a} !== "number" || (${a} & 0xffff) !== ${a}) invalid(ctx, FN, ${i}, "u16", ${a});`);
                passed.push(`${a} | 0`);
                return;
            case "i32":
                body.push(`if (typeof ${a} !== "number" || (${a} | 0) !== ${a}) invalid(ctx, FN, ${i}, "i32", ${a});`);
                passed.push(`${a} | 0`);
                return;
            case "u32":
                body.push(`if (typeof ${a} !== "number" || (${a} >>> 0) !== ${a}) invalid(ctx, FN, ${i}, "u32", ${a});`);
                passed.push(`${a} >>> 0`);
                return;
            case "f32":
            case "f64":
                body.push(`if (typeof ${a} !== "number") invalid(ctx, FN, ${i}, "${t}", ${a});`);
                break;
            case "bool":
                body.push(`if (typeof ${a} !== "boolean") invalid(ctx, FN, ${i}, "bool", ${a});`);
                break;
            case "u64":
            case "usize":
                body.push(`if (typeof ${a} !== "bigint") ${a} = toU64(ctx, FN, ${i}, "${t}", ${a}); else if (${a} < 0n || ${a} > 18446744073709551615n) invalid(ctx, FN, ${i}, "${t}", ${a});`);
                break;
            case "i64":
            case "isize":
                body.push(`if (typeof ${a} !== "bigint" || ${a} < -9223372036854775808n || ${a} > 9223372036854775807n) ${a} = toI64(ctx, FN, ${i}, "${t}", ${a});`);
                break;
            case "buffer":
                body.push(`if (!(${a} instanceof Uint8Array)) invalid(ctx, FN, ${i}, "buffer", ${a}); else if (${a}.length === 0) ${a} = null;`);
                break;
            case "pointer":
                body.push(`if (${a} !== null && typeof ${a} !== "object") invalid(ctx, FN, ${i}, "pointer", ${a});`);
                break;
            case "cstring": {
                const enc = `enc${i}`;
                env[enc] = sig.nonblocking ? freshEncoder(ctx, fn, i) : stringEncoder(ctx, fn, i);
                body.push(`${a} = ${enc}(${a});`);
                break;
            }
            default: {
                if (!t.startsWith("struct "))
                    throw new Error(`unreachable: parameter type ${t}`);
                const enc = `st${i}`;
                env[enc] = structEncoder(ctx, fn, i, structOf(sig, t), sig.nonblocking);
                body.push(`${a} = ${enc}(${a});`);
                break;
            }
        }
        passed.push(a);
    });
    const pointers = sig.parameters.flatMap((t, i) => t === "pointer" ? [i] : []);
    const into = sig.result === "cstring" && !sig.nonblocking && ctx.intoCopy !== undefined;
    const rawArgs = into ? [...args, "out", "cap"] : args;
    const call = `raw(${[...passed, ...(into ? ["io.at", "io.cap"] : [])].join(", ")})`;
    if (pointers.length > 0) {
        env.raw = new Function("raw0", "pointerRefused", "ctx", "FN", `return function (${rawArgs.join(", ")}) { try { return raw0(${rawArgs.join(", ")}); } catch (e) { pointerRefused(ctx, FN, [${pointers}], [${args.join(", ")}], e); } };`)(raw, pointerRefused, ctx, fn);
    }
    if (into) {
        const reader = intoReader(ctx, fn, ctx.intoCopy);
        env.io = reader.io;
        env.readResult = reader.read;
    }
    else if (sig.result === "cstring" && !sig.nonblocking)
        env.readResult = cachedReader();
    if (sig.result.startsWith("struct "))
        env.decodeResult = structDecoder(structOf(sig, sig.result));
    const convert = (r) => sig.result.startsWith("struct ")
        ? `decodeResult(${r})`
        : sig.result !== "cstring"
            ? r
            : sig.nonblocking
                ? `readCString(${r})`
                : `readResult(${r})`;
    if (sig.nonblocking) {
        body.push("lib.inflight++;", `let p; try { p = ${call}; } catch (e) { if (--lib.inflight === 0) lib.drained(); throw e; }`, `return p.then((r) => { if (--lib.inflight === 0) lib.drained(); return ${convert("r")}; }, (e) => { if (--lib.inflight === 0) lib.drained(); throw e; });`);
    }
    else if (sig.fallible) {
        body.push(`const r = ${call};`, "const e = take();", "if (e !== null) callFailed(ctx, FN, e);", `return ${convert("r")};`);
    }
    else {
        body.push(`return ${convert(call)};`);
    }
    const names = Object.keys(env);
    const inner = sig.nonblocking
        ? `try {\n    ${body.join("\n    ")}\n  } catch (e) {\n    return Promise.reject(e);\n  }`
        : body.join("\n  ");
    const src = (id) => `"use strict";\nreturn function ${fn}$pb${id}(${args.join(", ")}) {\n  ${inner}\n};`;
    const shape = src("");
    let id = ctx.code?.get(shape);
    if (id === undefined) {
        id = fresh < MAX_FRESH ? String(++fresh) : "";
        ctx.code?.set(shape, id);
    }
    const wrapper = new Function(...names, src(id))(...names.map((n) => env[n]));
    Object.defineProperty(wrapper, "name", { value: fn });
    return wrapper;
});
const encoder = new TextEncoder();
const MAX_U64 = (1n << 64n) - 1n;
const MIN_I64 = -(1n << 63n);
const MAX_I64 = (1n << 63n) - 1n;
let SMALL;
const RESULT_CACHE_BYTES = 1024;
const INTO_NULL = 0xffffffff;
const INTO_TOO_LONG = 0xfffffffe;
const INTO_FIRST_CAP = 256;
const fromCharCode = String.fromCharCode;
let fresh = 0;
const MAX_FRESH = 4096;
