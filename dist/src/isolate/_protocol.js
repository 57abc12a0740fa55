// Generated from src/isolate/_protocol.ts by tasks/dist.ts (deno task dist): do not edit.
import { canonicalSignature } from "../abi/signature.js";
import { CallError, LoadError, PluginError, quote, } from "../errors/plugin_error.js";
export const MAGIC_COOKIE_ENV = "PLUGBOARD_MAGIC_COOKIE";
export const MAGIC_COOKIE = "7f3b9d2e-plugboard-isolate-child";
export const HANDSHAKE_PREFIX = "plugboard-isolate|";
export const PROTOCOL_VERSIONS = Object.freeze([1]);
export const HEADER_SIZE = 9;
export const MAX_FRAME = 1 << 30;
export const EXIT_ORPHANED = 70;
export const EXIT_NO_COOKIE = 71;
export const EXIT_NO_VERSION = 72;
export const EXIT_PROTOCOL = 73;
export const Kind = {
    LOAD: 1,
    BIND: 2,
    CALL: 3,
    SHUTDOWN: 4,
    ATTACH: 5,
    OK: 16,
    ERROR: 17,
};
const encoder = new TextEncoder();
const decoder = new TextDecoder();
export class FrameWriter {
    bytes = new Uint8Array(64 * 1024);
    view = new DataView(this.bytes.buffer);
    length = 0;
    reserve(n) {
        const need = this.length + n;
        if (need <= this.bytes.length)
            return;
        let size = this.bytes.length * 2;
        while (size < need)
            size *= 2;
        const bigger = new Uint8Array(size);
        bigger.set(this.bytes.subarray(0, this.length));
        this.bytes = bigger;
        this.view = new DataView(bigger.buffer);
    }
    begin(id, kind) {
        this.reserve(HEADER_SIZE);
        const start = this.length;
        this.view.setUint32(start + 4, id, true);
        this.bytes[start + 8] = kind;
        this.length += HEADER_SIZE;
        return start;
    }
    end(start) {
        this.view.setUint32(start, this.length - start - HEADER_SIZE, true);
    }
    u16(v) {
        this.reserve(2);
        this.view.setUint16(this.length, v, true);
        this.length += 2;
    }
    u32(v) {
        this.reserve(4);
        this.view.setUint32(this.length, v, true);
        this.length += 4;
    }
    blob(b) {
        this.reserve(4 + b.length);
        this.view.setUint32(this.length, b.length, true);
        if (b.length > 0)
            this.bytes.set(b, this.length + 4);
        this.length += 4 + b.length;
    }
    raw(b) {
        this.reserve(b.length);
        this.bytes.set(b, this.length);
        this.length += b.length;
    }
    string(s) {
        const n = s.length;
        this.reserve(4 + n * 3);
        const at = this.length + 4;
        let i = 0;
        for (; i < n; i++) {
            const c = s.charCodeAt(i);
            if (c > 127)
                break;
            this.bytes[at + i] = c;
        }
        const written = i === n
            ? n
            : i + encoder.encodeInto(s.slice(i), this.bytes.subarray(at + i)).written;
        this.view.setUint32(this.length, written, true);
        this.length = at + written;
    }
    json(id, kind, value) {
        const start = this.begin(id, kind);
        this.raw(encoder.encode(JSON.stringify(value)));
        this.end(start);
    }
    take() {
        const out = this.bytes.slice(0, this.length);
        this.length = 0;
        if (this.bytes.length > 1 << 20) {
            this.bytes = new Uint8Array(64 * 1024);
            this.view = new DataView(this.bytes.buffer);
        }
        return out;
    }
}
export class Cursor {
    bytes;
    view;
    pos;
    constructor(bytes, view, pos) {
        this.bytes = bytes;
        this.view = view;
        this.pos = pos;
    }
    u16() {
        const v = this.view.getUint16(this.pos, true);
        this.pos += 2;
        return v;
    }
    u32() {
        const v = this.view.getUint32(this.pos, true);
        this.pos += 4;
        return v;
    }
    blob() {
        const n = this.u32();
        const b = this.bytes.subarray(this.pos, this.pos + n);
        this.pos += n;
        return b;
    }
    string() {
        return decoder.decode(this.blob());
    }
}
export function writeValue(w, t, v) {
    w.reserve(8);
    const at = w.length;
    const view = w.view;
    switch (t) {
        case "void":
            return;
        case "bool":
            w.bytes[at] = v ? 1 : 0;
            w.length += 1;
            return;
        case "i8":
            view.setInt8(at, v);
            w.length += 1;
            return;
        case "u8":
            view.setUint8(at, v);
            w.length += 1;
            return;
        case "i16":
            view.setInt16(at, v, true);
            w.length += 2;
            return;
        case "u16":
            view.setUint16(at, v, true);
            w.length += 2;
            return;
        case "i32":
            view.setInt32(at, v, true);
            w.length += 4;
            return;
        case "u32":
            view.setUint32(at, v, true);
            w.length += 4;
            return;
        case "f32":
            view.setFloat32(at, v, true);
            w.length += 4;
            return;
        case "f64":
            view.setFloat64(at, v, true);
            w.length += 8;
            return;
        case "i64":
        case "isize":
            view.setBigInt64(at, typeof v === "bigint" ? v : BigInt(v), true);
            w.length += 8;
            return;
        case "u64":
        case "usize":
            view.setBigUint64(at, typeof v === "bigint" ? v : BigInt(v), true);
            w.length += 8;
            return;
        case "cstring":
            if (v === null)
                w.u32(0xffffffff);
            else
                w.string(v);
            return;
        case "buffer":
            w.blob(v);
            return;
        case "pointer":
            throw new Error("unreachable: pointers do not cross the process boundary");
    }
}
export function readValue(c, t) {
    const at = c.pos;
    const view = c.view;
    switch (t) {
        case "void":
            return undefined;
        case "bool":
            c.pos += 1;
            return c.bytes[at] !== 0;
        case "i8":
            c.pos += 1;
            return view.getInt8(at);
        case "u8":
            c.pos += 1;
            return view.getUint8(at);
        case "i16":
            c.pos += 2;
            return view.getInt16(at, true);
        case "u16":
            c.pos += 2;
            return view.getUint16(at, true);
        case "i32":
            c.pos += 4;
            return view.getInt32(at, true);
        case "u32":
            c.pos += 4;
            return view.getUint32(at, true);
        case "f32":
            c.pos += 4;
            return view.getFloat32(at, true);
        case "f64":
            c.pos += 8;
            return view.getFloat64(at, true);
        case "i64":
        case "isize":
            c.pos += 8;
            return view.getBigInt64(at, true);
        case "u64":
        case "usize":
            c.pos += 8;
            return view.getBigUint64(at, true);
        case "cstring": {
            const n = view.getUint32(at, true);
            if (n === 0xffffffff) {
                c.pos += 4;
                return null;
            }
            return c.string();
        }
        case "buffer":
            return c.blob();
        case "pointer":
            throw new Error("unreachable: pointers do not cross the process boundary");
    }
}
export { fits, invalidArgument } from "../handle/arguments.js";
export function assertIsolatable(sig, path, subject = "plugin") {
    const struct = [sig.result, ...sig.parameters].find((t) => t.startsWith("struct "));
    if (struct) {
        throw new PluginError("USAGE", `Cannot call ${quote(sig.name)} of ${subject} ${quote(path)} in a child process: ${struct} is passed by value, which plugboard's process protocol does not carry`, {
            path,
            hint: `load the ${subject} in-process to pass structs by value, or pass the struct's bytes (Type.encode(value)) as a buffer parameter`,
        });
    }
    if (sig.result === "pointer" || sig.parameters.includes("pointer")) {
        const at = sig.result === "pointer"
            ? "its result"
            : `parameter ${sig.parameters.indexOf("pointer") + 1}`;
        throw new PluginError("USAGE", `Cannot call ${quote(sig.name)} of ${subject} ${quote(path)} in a child process: expected values that can be copied, found a pointer (${at} of ${quote(canonicalSignature(sig))}), which cannot cross a process boundary`, {
            path,
            hint: `declare the data as buffer parameters (copied both ways), or open the ${subject} in this process`,
        });
    }
}
export function errorToData(e) {
    if (e instanceof PluginError) {
        const data = { name: e.name, code: e.code, summary: e.summary };
        if (e.hint !== undefined)
            data.hint = e.hint;
        if (e.path !== undefined)
            data.path = e.path;
        if (e instanceof LoadError) {
            data.expected = e.expected;
            data.found = e.found;
        }
        if (e instanceof CallError) {
            data.function = e.function;
            if (e.pluginCode !== undefined)
                data.pluginCode = e.pluginCode;
        }
        return data;
    }
    return {
        name: "Error",
        code: "CALL_FAILED",
        summary: `Unexpected error in the isolation child: ${e instanceof Error ? e.message : String(e)}`,
        hint: "this is a bug in plugboard; please report it with the plugin that triggered it",
    };
}
export function errorFromData(data) {
    const ctor = data.name === "LoadError"
        ? LoadError
        : data.name === "CallError"
            ? CallError
            : PluginError;
    const err = Reflect.construct(PluginError, [data.code, data.summary, {
            path: data.path,
            hint: data.hint,
        }], ctor);
    const extra = {};
    if (ctor === LoadError)
        Object.assign(extra, { expected: data.expected, found: data.found });
    if (ctor === CallError) {
        Object.assign(extra, { function: data.function, pluginCode: data.pluginCode });
    }
    for (const [k, v] of Object.entries(extra)) {
        Object.defineProperty(err, k, { value: v, enumerable: true });
    }
    return err;
}
export function parseJson(bytes) {
    return JSON.parse(decoder.decode(bytes));
}
