// Generated from src/loader/open_native.ts by tasks/dist.ts (deno task dist): do not edit.
import { assertFfi } from "./_memfd.js";
import { formatOf } from "../check/check_plugin.js";
import { findExported } from "../check/symbols.js";
import { CallError, LoadError, PluginError } from "../errors/plugin_error.js";
import { Plugin, } from "../handle/plugin.js";
import { fits, invalidArgument } from "../handle/arguments.js";
import { makeWrapper } from "./_bind.js";
import { libraryKey, loadedLibraries, LoadedLibrary } from "./_loaded_library.js";
export var loadNative = (function loadNative(candidate, options = {}, path = candidate.file.path) {
    assertFfi(path);
    const mode = options.load ?? "memfd";
    const file = candidate.file;
    const elf = formatOf(candidate).elf;
    const key = libraryKey(file);
    const existing = loadedLibraries.get(key);
    if (existing) {
        if (existing.mode !== mode) {
            throw new LoadError("ALREADY_OPEN", {
                path,
                what: "the same file is already open with another load mode",
                expected: `load: "${mode}"`,
                found: `it is open with load: "${existing.mode}"`,
                hint: "open it with the same options, or close the other handle first",
            });
        }
        return handle(candidate, existing, path, true);
    }
    if (mode === "path") {
        for (const other of loadedLibraries.values()) {
            if (other.mode === "path" && other.file.realPath === file.realPath) {
                throw new LoadError("ALREADY_OPEN", {
                    path,
                    what: "an older build of this file is still loaded by path",
                    expected: `the file as loaded (SHA-256 ${other.file.sha256.slice(0, 12)})`,
                    found: `a changed file (SHA-256 ${file.sha256.slice(0, 12)}); glibc would hand back the old code`,
                    hint: 'close every handle on the old build first, or load with { load: "memfd" } (the default)',
                });
            }
        }
    }
    const lib = LoadedLibrary.load(file, elf, candidate.metadata, mode, options.init ?? true);
    loadedLibraries.set(key, lib);
    return handle(candidate, lib, path, false);
});
var handle = (function handle(candidate, lib, path, shared) {
    lib.leases++;
    return new Plugin({
        candidate,
        backend: new NativeBackend(lib, path),
        calls: "sync",
        isolation: "none",
        path,
        shared,
    });
});
var readNumber = (function readNumber(v, t) {
    switch (t) {
        case "i8":
            return v.getInt8(0);
        case "u8":
            return v.getUint8(0);
        case "i16":
            return v.getInt16(0, true);
        case "u16":
            return v.getUint16(0, true);
        case "i32":
            return v.getInt32(0, true);
        case "u32":
            return v.getUint32(0, true);
        case "i64":
            return v.getBigInt64(0, true);
        case "u64":
            return v.getBigUint64(0, true);
        case "f32":
            return v.getFloat32(0, true);
        case "f64":
            return v.getFloat64(0, true);
    }
});
var writeNumber = (function writeNumber(v, t, x) {
    switch (t) {
        case "i8":
            return v.setInt8(0, Number(x));
        case "u8":
            return v.setUint8(0, Number(x));
        case "i16":
            return v.setInt16(0, Number(x), true);
        case "u16":
            return v.setUint16(0, Number(x), true);
        case "i32":
            return v.setInt32(0, Number(x), true);
        case "u32":
            return v.setUint32(0, Number(x), true);
        case "i64":
            return v.setBigInt64(0, BigInt(x), true);
        case "u64":
            return v.setBigUint64(0, BigInt(x), true);
        case "f32":
            return v.setFloat32(0, Number(x), true);
        case "f64":
            return v.setFloat64(0, Number(x), true);
    }
});
var neverCalled = (function neverCalled() {
    throw new Error("unreachable: a function of a closed handle was called");
});
class NativeBackend {
    #lib;
    #path;
    constructor(lib, path) {
        this.#lib = lib;
        this.#path = path;
    }
    checkBindable(sigs, path) {
        this.#lib.checkBindable(sigs, path);
    }
    bind(sigs, state) {
        const lib = this.#lib;
        const path = this.#path;
        const out = {};
        for (const sig of sigs) {
            let wrapper;
            const make = () => {
                const bound = state.closed
                    ? { raw: neverCalled, takeError: undefined }
                    : lib.bindRaw(sig, path);
                const ctx = {
                    path,
                    handle: state,
                    library: lib.state,
                    takeError: bound.takeError,
                    intoCopy: bound.intoCopy,
                    code: lib.code,
                };
                return makeWrapper(sig, bound.raw, ctx);
            };
            Object.defineProperty(out, sig.name, {
                enumerable: true,
                get: () => wrapper ??= make(),
            });
        }
        return Object.freeze(out);
    }
    close() {
        return this.#lib.release();
    }
    variable(name, type, state, path) {
        const sym = findExported(this.#lib.elf, name, path, "variable");
        const size = SIZES[type];
        const refuse = (what, expected, found, hint) => {
            throw new LoadError("SYMBOL_MISSING", { path, what, expected, found, hint });
        };
        if (sym.type !== "object") {
            refuse(`symbol "${name}" is not a data object`, "an exported variable (STT_OBJECT)", `a symbol of type ${sym.type}`, "export the variable itself, or a function that returns its value");
        }
        if (sym.section === 0 || sym.section >= 0xff00) {
            refuse(`symbol "${name}" is not an address in the plugin`, "a variable defined in a section of the plugin", sym.section === 0xfff1
                ? `an absolute symbol (SHN_ABS, value 0x${sym.value.toString(16)})`
                : `a symbol in special section 0x${sym.section.toString(16)}`, "export a real variable; an absolute symbol is a number, not memory to read");
        }
        if (sym.size < size) {
            throw new LoadError("SIGNATURE_MISMATCH", {
                path,
                what: `variable "${name}" is smaller than ${type}`,
                expected: `${size} bytes`,
                found: `${sym.size} bytes`,
                hint: "read it with the type it is declared with in the plugin",
            });
        }
        const memory = this.#lib.memory;
        if (!memory.segmentOf(sym.value, size)) {
            refuse(`variable "${name}" is not inside the plugin's loaded memory`, `${size} bytes inside a readable loaded segment (PT_LOAD)`, `address 0x${sym.value.toString(16)}, outside every readable segment`, "the plugin's symbol table is inconsistent: rebuild it");
        }
        const writable = memory.segmentOf(sym.value, size, { write: true }) !== undefined;
        const ptr = memory.pointer(sym.value);
        const check = () => {
            if (state.closed) {
                throw new CallError("CLOSED", path, name, "the plugin handle is closed", {
                    hint: "open the plugin again; variables of a closed handle cannot be read",
                });
            }
        };
        const view = () => new DataView(Deno.UnsafePointerView.getArrayBuffer(ptr, size));
        return {
            get: () => {
                check();
                return readNumber(view(), type);
            },
            set: (value) => {
                check();
                if (!writable) {
                    throw new PluginError("USAGE", `Cannot write variable ${JSON.stringify(name)} of plugin ${JSON.stringify(path)}: expected a writable variable, found one in read-only memory (const, or made read-only after relocation)`, { path, hint: "declare the variable without const in the plugin, or only read it" });
                }
                if (!fits(type, value))
                    throw invalidArgument(path, name, 0, type, value);
                writeNumber(view(), type, value);
            },
        };
    }
}
const SIZES = {
    i8: 1,
    u8: 1,
    i16: 2,
    u16: 2,
    i32: 4,
    u32: 4,
    i64: 8,
    u64: 8,
    f32: 4,
    f64: 8,
};
