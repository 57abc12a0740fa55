// Generated from src/loader/wasm_runtime.ts by tasks/dist.ts (deno task dist): do not edit.
import { WASM32_DESCRIPTOR } from "../abi/layout.js";
import { CallError, LoadError, PluginError } from "../errors/plugin_error.js";
import { fits, invalidArgument } from "../handle/arguments.js";
import { GROW_FAILED_EXPORT, INTERRUPT_EXPORT } from "../wasm/prepare_wasm.js";
import { Wasi, WASI_MODULE, WasiExit } from "./_wasi.js";
import { small } from "./_bind.js";
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MAX_U64 = (1n << 64n) - 1n;
const MIN_I64 = -(1n << 63n);
const MAX_I64 = (1n << 63n) - 1n;
const STRING_CACHE_BYTES = 1024;
const SCRATCH_BYTES = 4096;
export class WasmRuntime {
    path;
    m = new Uint8Array(0);
    take = () => 0;
    top = 0;
    restarts = 0;
    #init;
    #instance;
    #slots = new Map();
    #base = 0;
    #size = 0;
    #retired = [];
    #dead;
    #closed = false;
    #code = new Map();
    constructor(init) {
        this.path = init.path;
        this.#init = init;
        this.#instance = this.#start("load");
    }
    get interruptFlag() {
        return this.#instance?.interrupt;
    }
    get memoryBytes() {
        return this.#instance?.memory.buffer.byteLength ?? 0;
    }
    view() {
        const m = new Uint8Array(this.#instance.memory.buffer);
        this.m = m;
        return m;
    }
    static checkBindable(sigs, path) {
        for (const sig of sigs) {
            if (sig.result === "pointer" || sig.parameters.includes("pointer")) {
                throw new PluginError("USAGE", `Cannot call ${JSON.stringify(sig.name)} of plugin ${JSON.stringify(path)}: a pointer into a WebAssembly plugin's memory means nothing in the host`, {
                    path,
                    hint: "declare the data as buffer or cstring parameters (copied in), or an opaque handle as u32",
                });
            }
        }
    }
    bind(sig, handle) {
        let slot = this.#slots.get(sig.name);
        if (!slot) {
            slot = { f: this.#raw(sig.name) };
            this.#slots.set(sig.name, slot);
        }
        return makeWrapper(sig, slot, this, handle, this.#code);
    }
    close() {
        if (this.#closed)
            return undefined;
        this.#closed = true;
        const inst = this.#instance;
        this.#instance = undefined;
        if (!inst)
            return undefined;
        let problem;
        if (this.#init.init && this.#init.hooks.shutdown && inst.shutdown !== 0) {
            try {
                inst.table.get(inst.shutdown)();
            }
            catch (e) {
                problem = `the shutdown hook trapped: ${trapText(e)}`;
            }
        }
        inst.wasi?.close();
        for (const slot of this.#slots.values())
            slot.f = closedRaw;
        return problem;
    }
    begin() {
        this.top = this.#base;
        if (this.#retired.length > 0)
            this.#freeRetired();
    }
    putString(s, fn, i) {
        if (typeof s !== "string")
            throw invalidArgument(this.path, fn, i, "cstring", s);
        const n = s.length;
        let at = this.top;
        if (at + n + 1 > this.#base + this.#size)
            at = this.#reserve(n + 1, fn, i);
        let m = this.m;
        if (m.length === 0)
            m = this.view();
        let k = 0;
        for (; k < n; k++) {
            const c = s.charCodeAt(k);
            if (c > 127 || c === 0)
                break;
            m[at + k] = c;
        }
        if (k === n) {
            m[at + n] = 0;
            this.top = at + n + 1;
            return at;
        }
        if (s.indexOf("\0") !== -1)
            throw invalidArgument(this.path, fn, i, "cstring", s);
        const need = n * 3 + 1;
        if (at + need > this.#base + this.#size) {
            at = this.#reserve(need, fn, i);
            m = this.m;
        }
        const { written } = encoder.encodeInto(s, m.subarray(at, at + need - 1));
        m[at + written] = 0;
        this.top = at + written + 1;
        return at;
    }
    putBuffer(b, fn, i) {
        if (!(b instanceof Uint8Array))
            throw invalidArgument(this.path, fn, i, "buffer", b);
        const n = b.length;
        let at = this.top;
        if (at + n > this.#base + this.#size)
            at = this.#reserve(n, fn, i);
        let m = this.m;
        if (m.length === 0)
            m = this.view();
        m.set(b, at);
        this.top = at + n;
        return at;
    }
    copyBack(b, at) {
        let m = this.m;
        if (m.length === 0)
            m = this.view();
        b.set(m.subarray(at, at + b.length));
    }
    readString(r, cache, fn) {
        if (r === 0)
            return null;
        let m = this.m;
        if (m.length === 0)
            m = this.view();
        const p = r >>> 0;
        const last = cache.n;
        if (last >= 0 && p + last < m.length && m[p + last] === 0) {
            const b = cache.bytes;
            let i = 0;
            while (i < last && m[p + i] === b[i])
                i++;
            if (i === last)
                return cache.text;
        }
        if (p >= m.length) {
            throw this.#badResult(fn, `the address 0x${p.toString(16)}, outside its memory`);
        }
        const end = m.indexOf(0, p);
        if (end === -1) {
            throw this.#badResult(fn, `a string at 0x${p.toString(16)} with no NUL before the end of its memory`);
        }
        const n = end - p;
        let text;
        if (n <= 32) {
            text = "";
            let i = p;
            for (; i < end && m[i] < 0x80; i++)
                text += String.fromCharCode(m[i]);
            if (i !== end)
                text = decoder.decode(m.subarray(p, end));
        }
        else {
            text = decoder.decode(m.subarray(p, end));
        }
        if (n <= STRING_CACHE_BYTES) {
            cache.bytes = m.slice(p, end);
            cache.n = n;
            cache.text = text;
        }
        return text;
    }
    failed(fn, e) {
        let m = this.m;
        if (m.length === 0)
            m = this.view();
        const at = e >>> 0;
        if (at + 8 > m.length) {
            throw this.#badResult(fn, `an error record at 0x${at.toString(16)}, outside its memory`);
        }
        const v = new DataView(m.buffer, at, 8);
        const code = v.getInt32(0, true);
        const declared = Math.min(v.getUint32(4, true), 511);
        const start = at + 8;
        const end = Math.min(start + declared, m.length);
        const nul = m.subarray(start, end).indexOf(0);
        const message = decoder.decode(m.subarray(start, nul === -1 ? end : start + nul));
        throw new CallError("CALL_FAILED", this.path, fn, message, {
            pluginCode: code,
            hint: "the plugin reported this error; check the arguments or the plugin's documentation",
        });
    }
    trapped(fn, e) {
        if (e instanceof PluginError)
            throw e;
        if (this.#dead)
            throw this.#deadError(fn);
        const inst = this.#instance;
        const interrupted = inst?.interrupt !== undefined && Atomics.load(inst.interrupt, 0) !== 0;
        const grew = inst?.grow !== undefined && inst.grow.value !== 0;
        const bytes = inst?.memory.buffer.byteLength ?? 0;
        let err;
        if (interrupted) {
            err = new CallError("PLUGIN_TIMEOUT", this.path, fn, "the call was interrupted", {
                hint: "raise timeoutMs if the function is only slow; a fresh instance serves the next call",
                cause: e,
            });
        }
        else if (grew) {
            err = new CallError("MEMORY_LIMIT", this.path, fn, `the plugin ran out of memory: it could not grow past ${bytes} bytes (limit ${this.#init.maxBytes}) and then trapped: ${trapText(e)}`, {
                hint: "raise wasm.maxMemoryBytes, or make the plugin use less memory; a fresh instance serves the next call",
                cause: e,
            });
        }
        else {
            err = new CallError("PLUGIN_TRAPPED", this.path, fn, `the plugin trapped: ${trapText(e)}`, {
                hint: "the host kept running and a fresh instance serves the next call (its state is reset); fix the plugin",
                cause: e,
            });
        }
        this.#restart();
        throw err;
    }
    #noRoom(fn, i, bytes) {
        return new CallError("MEMORY_LIMIT", this.path, fn, `argument ${i + 1} (${bytes} bytes) does not fit in the plugin's memory: plugboard_alloc returned NULL with ${this.memoryBytes} bytes in use (limit ${this.#init.maxBytes})`, { hint: "raise wasm.maxMemoryBytes, or pass smaller arguments" });
    }
    #badResult(fn, found) {
        return new CallError("CALL_FAILED", this.path, fn, `the plugin returned ${found}`, {
            hint: "the plugin returned a bad address; fix the plugin",
        });
    }
    #deadError(fn) {
        return new CallError("PLUGIN_TRAPPED", this.path, fn, `the plugin is down: after a trap, a fresh instance failed to start: ${this.#dead.summary}`, { hint: "open the plugin again once the cause is fixed", cause: this.#dead });
    }
    #reserve(need, fn, i) {
        let size = Math.max(SCRATCH_BYTES, this.#size * 2);
        while (size < need)
            size *= 2;
        const inst = this.#instance;
        let at;
        try {
            at = inst.alloc(size) >>> 0;
        }
        catch (e) {
            this.trapped(fn, e);
        }
        if (at === 0)
            throw this.#noRoom(fn, i, need);
        if (this.#size > 0)
            this.#retired.push([this.#base, this.#size]);
        this.#base = at;
        this.#size = size;
        this.view();
        return at;
    }
    #freeRetired() {
        const inst = this.#instance;
        try {
            for (const [at, size] of this.#retired.splice(0))
                inst.free(at, size);
        }
        catch (e) {
            this.trapped("plugboard_free", e);
        }
    }
    #raw(name) {
        if (this.#dead || !this.#instance)
            return deadRaw;
        const f = this.#instance.exports[name];
        if (typeof f !== "function") {
            throw new Error(`unreachable: export ${name} was checked to be a function`);
        }
        return f;
    }
    #restart() {
        const old = this.#instance;
        this.#instance = undefined;
        old?.wasi?.close();
        this.#base = 0;
        this.#size = 0;
        this.#retired = [];
        this.m = new Uint8Array(0);
        this.restarts++;
        try {
            this.#instance = this.#start("restart");
        }
        catch (e) {
            this.#dead = e instanceof PluginError ? e : new PluginError("PLUGIN_TRAPPED", `Plugin ${JSON.stringify(this.path)} could not be restarted: ${String(e)}`, { path: this.path });
            this.take = () => 0;
            for (const slot of this.#slots.values())
                slot.f = deadRaw;
            return;
        }
        for (const [name, slot] of this.#slots)
            slot.f = this.#raw(name);
    }
    #start(phase) {
        const init = this.#init;
        const path = init.path;
        let wasi;
        const holder = {};
        const imports = {};
        if (init.wasi) {
            wasi = new Wasi(init.wasi, () => holder.memory);
            imports[WASI_MODULE] = wasi.imports();
        }
        const trapAt = (what, e) => {
            wasi?.close();
            throw new LoadError("PLUGIN_TRAPPED", {
                path,
                what: `the plugin trapped while ${phase === "load" ? "loading" : "restarting"}`,
                expected: `${what} to return`,
                found: `a trap: ${trapText(e)}`,
                hint: "the host kept running; fix the plugin's constructors or init hook",
                cause: e,
            });
        };
        let instance;
        try {
            instance = new WebAssembly.Instance(init.module, imports);
        }
        catch (e) {
            trapAt("instantiation", e);
        }
        const exports = instance.exports;
        const irq = exports[INTERRUPT_EXPORT];
        const interrupt = irq ? new Int32Array(irq.buffer) : undefined;
        init.onInstance?.(interrupt);
        const memory = exports.memory;
        holder.memory = memory;
        const table = exports.__indirect_function_table;
        let entry;
        try {
            entry = exports.plugboard_entry() >>> 0;
        }
        catch (e) {
            trapAt("plugboard_entry()", e);
        }
        const bytes = memory.buffer.byteLength;
        const bad = (expected, found) => {
            wasi?.close();
            throw new LoadError("METADATA_MISMATCH", {
                path,
                what: "the plugin's descriptor disagrees with the file's metadata",
                expected,
                found,
                hint: "rebuild the plugin with plugboard.h; do not edit the plugboard section",
            });
        };
        const D = WASM32_DESCRIPTOR;
        if (entry === 0 || entry + D.bytes > bytes) {
            bad(`a ${D.bytes}-byte descriptor inside the module's memory (${bytes} bytes)`, `plugboard_entry() returned 0x${entry.toString(16)}`);
        }
        const v = new DataView(memory.buffer, entry, D.bytes);
        const size = v.getUint32(D.size, true);
        const major = v.getUint16(D.abiMajor, true);
        const minor = v.getUint16(D.abiMinor, true);
        if (size < D.bytes)
            bad(`a descriptor of at least ${D.bytes} bytes`, `${size} bytes`);
        if (major !== init.abi.major || minor !== init.abi.minor) {
            bad(`ABI ${init.abi.major}.${init.abi.minor} (as in the file's plugboard section)`, `ABI ${major}.${minor} in the descriptor`);
        }
        const hook = (offset, name) => {
            const index = v.getUint32(offset, true);
            if (index !== 0 && (index >= table.length || typeof table.get(index) !== "function")) {
                bad(`descriptor.${name} 0 or a function of the table (${table.length} entries)`, `table index ${index}`);
            }
            return index;
        };
        const initIndex = hook(D.init, "init");
        const shutdown = hook(D.shutdown, "shutdown");
        hook(D.takeError, "take_error");
        for (const [name, index] of [["init", initIndex], ["shutdown", shutdown]]) {
            const noted = init.hooks[name];
            if (noted !== (index !== 0)) {
                bad(noted
                    ? `descriptor.${name} set, as the plugin's ${name} hook record says`
                    : `descriptor.${name} 0, as the plugin declares no ${name} hook`, noted
                    ? `descriptor.${name} 0: the hook record is there, the function is not`
                    : `descriptor.${name} set (table index ${index}) with no ${name} hook record: it would never run`);
            }
        }
        const take = exports.plugboard_take_error;
        if (init.init && init.hooks.init && initIndex !== 0) {
            let status;
            try {
                status = table.get(initIndex)();
            }
            catch (e) {
                trapAt("the init hook", e);
            }
            if (status !== 0) {
                let message = `init returned ${status}`;
                const e = take() >>> 0;
                if (e !== 0) {
                    const m = new Uint8Array(memory.buffer);
                    const end = Math.min(e + 8 + Math.min(new DataView(memory.buffer).getUint32(e + 4, true), 511), m.length);
                    const nul = m.subarray(e + 8, end).indexOf(0);
                    message = decoder.decode(m.subarray(e + 8, nul === -1 ? end : e + 8 + nul));
                }
                wasi?.close();
                throw new LoadError("INIT_FAILED", {
                    path,
                    what: "the plugin's init hook failed",
                    expected: "init to return 0",
                    found: `${status}: ${message}`,
                    hint: "the plugin refused to start; fix what its message says, then load it again",
                });
            }
        }
        const inst = {
            exports,
            memory,
            table,
            take,
            alloc: exports.plugboard_alloc,
            free: exports.plugboard_free,
            grow: exports[GROW_FAILED_EXPORT],
            interrupt,
            wasi,
            shutdown,
        };
        this.take = take;
        this.m = new Uint8Array(memory.buffer);
        return inst;
    }
}
function closedRaw() {
    throw new Error("unreachable: a function of a closed WebAssembly plugin was called");
}
function deadRaw() {
    throw new Error("plugboard: the plugin is down");
}
export function trapText(e) {
    if (e instanceof WasiExit)
        return e.message;
    if (e instanceof Error)
        return e.message;
    return String(e);
}
function invalid(path, fn, i, t, v) {
    throw invalidArgument(path, fn, i, t, v);
}
function invalidSize(path, fn, i, t, v) {
    if (t === "usize" && fits(t, v)) {
        const shown = typeof v === "bigint" ? `${v}n` : String(v);
        throw new CallError("INVALID_ARGUMENT", path, fn, `argument ${i + 1} does not fit usize: expected an integer from 0 to 4294967295 (usize is 32 bits on wasm32), found ${typeof v} ${shown}`, { hint: "pass a value of the declared type" });
    }
    if (t === "isize" && fits(t, v)) {
        const shown = typeof v === "bigint" ? `${v}n` : String(v);
        throw new CallError("INVALID_ARGUMENT", path, fn, `argument ${i + 1} does not fit isize: expected an integer from -2147483648 to 2147483647 (isize is 32 bits on wasm32), found ${typeof v} ${shown}`, { hint: "pass a value of the declared type" });
    }
    return invalid(path, fn, i, t, v);
}
function toU64(path, fn, i, t, v) {
    if (typeof v === "number") {
        if (v >= 0 && v < 65536 && (v | 0) === v)
            return small(v);
        if (Number.isSafeInteger(v) && v >= 0)
            return BigInt(v);
    }
    else if (typeof v === "bigint" && v >= 0n && v <= MAX_U64)
        return v;
    return invalid(path, fn, i, t, v);
}
function toI64(path, fn, i, t, v) {
    if (typeof v === "number") {
        if (v >= 0 && v < 65536 && (v | 0) === v)
            return small(v);
        if (Number.isSafeInteger(v))
            return BigInt(v);
    }
    else if (typeof v === "bigint" && v >= MIN_I64 && v <= MAX_I64)
        return v;
    return invalid(path, fn, i, t, v);
}
function sizeResult(r) {
    return r >= 0 && r < 65536 ? small(r) : BigInt(r);
}
function closedError(path, fn) {
    throw new CallError("CLOSED", path, fn, "the plugin handle is closed", {
        hint: "open the plugin again; functions of a closed handle cannot be called",
    });
}
let fresh = 0;
const MAX_FRESH = 4096;
function makeWrapper(sig, slot, rt, handle, code) {
    const fn = sig.name;
    const path = rt.path;
    const args = [];
    const body = ["if (h.closed) closed(PATH, FN);"];
    const passed = [];
    const after = [];
    const env = {
        rt,
        slot,
        h: handle,
        PATH: path,
        FN: fn,
        closed: closedError,
        invalid,
        invalidSize,
        toU64,
        toI64,
        sizeResult,
    };
    const memoryArgs = sig.parameters.some((t) => t === "cstring" || t === "buffer");
    if (memoryArgs)
        body.push("rt.begin();");
    sig.parameters.forEach((t, i) => {
        const a = `a${i}`;
        args.push(a);
        switch (t) {
            case "i8":
                body.push(`if (typeof ${a} !== "number" || ((${a} << 24) >> 24) !== ${a}) invalid(PATH, FN, ${i}, "i8", ${a});`);
                break;
            case "u8":
                body.push(`if (typeof ${a} !== "number" || (${a} & 0xff) !== ${a}) invalid(PATH, FN, ${i}, "u8", ${a});`);
                break;
            case "i16":
                body.push(`if (typeof ${a} !== "number" || ((${a} << 16) >> 16) !== ${a}) invalid(PATH, FN, ${i}, "i16", ${a});`);
                break;
            case "u16":
                body.push(`if (typeof ${a} !== "number" || (${a} & 0xffff) !== ${a}) invalid(PATH, FN, ${i}, "u16", ${a});`);
                break;
            case "i32":
                body.push(`if (typeof ${a} !== "number" || (${a} | 0) !== ${a}) invalid(PATH, FN, ${i}, "i32", ${a});`);
                break;
            case "u32":
                body.push(`if (typeof ${a} !== "number" || (${a} >>> 0) !== ${a}) invalid(PATH, FN, ${i}, "u32", ${a});`);
                break;
            case "f32":
            case "f64":
                body.push(`if (typeof ${a} !== "number") invalid(PATH, FN, ${i}, "${t}", ${a});`);
                break;
            case "bool":
                body.push(`if (typeof ${a} !== "boolean") invalid(PATH, FN, ${i}, "bool", ${a});`);
                break;
            case "u64":
                body.push(`if (typeof ${a} !== "bigint") ${a} = toU64(PATH, FN, ${i}, "u64", ${a}); else if (${a} < 0n || ${a} > 18446744073709551615n) invalid(PATH, FN, ${i}, "u64", ${a});`);
                break;
            case "i64":
                body.push(`if (typeof ${a} !== "bigint" || ${a} < -9223372036854775808n || ${a} > 9223372036854775807n) ${a} = toI64(PATH, FN, ${i}, "i64", ${a});`);
                break;
            case "usize":
                body.push(`if (typeof ${a} === "number") { if ((${a} >>> 0) !== ${a}) invalidSize(PATH, FN, ${i}, "usize", ${a}); } else if (typeof ${a} === "bigint" && ${a} >= 0n && ${a} <= 4294967295n) ${a} = Number(${a}); else invalidSize(PATH, FN, ${i}, "usize", ${a});`);
                break;
            case "isize":
                body.push(`if (typeof ${a} === "number") { if ((${a} | 0) !== ${a}) invalidSize(PATH, FN, ${i}, "isize", ${a}); } else if (typeof ${a} === "bigint" && ${a} >= -2147483648n && ${a} <= 2147483647n) ${a} = Number(${a}); else invalidSize(PATH, FN, ${i}, "isize", ${a});`);
                break;
            case "cstring":
                body.push(`const p${i} = rt.putString(${a}, FN, ${i});`);
                passed.push(`p${i}`);
                return;
            case "buffer":
                body.push(`const p${i} = rt.putBuffer(${a}, FN, ${i});`);
                passed.push(`p${i}`);
                after.push(`rt.copyBack(${a}, p${i});`);
                return;
            default:
                throw new Error(`unreachable: parameter type ${t}`);
        }
        passed.push(a);
    });
    body.push("let r;", `try { r = slot.f(${passed.join(", ")}); } catch (e) { rt.trapped(FN, e); }`, ...after);
    if (sig.fallible)
        body.push("const e = rt.take(); if (e !== 0) rt.failed(FN, e);");
    const ret = (x) => body.push(sig.nonblocking ? `return Promise.resolve(${x});` : `return ${x};`);
    switch (sig.result) {
        case "void":
            ret("undefined");
            break;
        case "i8":
            ret("(r << 24) >> 24");
            break;
        case "u8":
            ret("r & 0xff");
            break;
        case "i16":
            ret("(r << 16) >> 16");
            break;
        case "u16":
            ret("r & 0xffff");
            break;
        case "u32":
            ret("r >>> 0");
            break;
        case "bool":
            ret("(r & 0xff) !== 0");
            break;
        case "u64":
            ret("BigInt.asUintN(64, r)");
            break;
        case "usize":
            ret("sizeResult(r >>> 0)");
            break;
        case "isize":
            ret("r >= 0 ? sizeResult(r) : BigInt(r)");
            break;
        case "cstring":
            env.cache = { n: -1, bytes: new Uint8Array(0), text: null };
            ret("rt.readString(r, cache, FN)");
            break;
        default:
            ret("r");
    }
    const inner = sig.nonblocking
        ? `try {\n    ${body.join("\n    ")}\n  } catch (e) {\n    return Promise.reject(e);\n  }`
        : body.join("\n  ");
    const src = (id) => `"use strict";\nreturn function ${fn}$pbw${id}(${args.join(", ")}) {\n  ${inner}\n};`;
    const shape = src("");
    let id = code.get(shape);
    if (id === undefined) {
        id = fresh < MAX_FRESH ? String(++fresh) : "";
        code.set(shape, id);
    }
    const names = Object.keys(env);
    const wrapper = new Function(...names, src(id))(...names.map((n) => env[n]));
    Object.defineProperty(wrapper, "name", { value: fn });
    return wrapper;
}
