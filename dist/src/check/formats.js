// Generated from src/check/formats.ts by tasks/dist.ts (deno task dist): do not edit.
import { NOTE_OWNER } from "../abi/read_metadata.js";
import { canonicalSignature } from "../abi/signature.js";
import { readElf } from "../elf/read_elf.js";
import { LoadError } from "../errors/plugin_error.js";
import { readWasm, } from "../wasm/read_wasm.js";
import { parseRpcMetadata, toPluginMetadata } from "./sidecar.js";
import { findExported, nearestNames } from "./symbols.js";
export var parseFormat = (function parseFormat(bytes, path) {
    if (bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d) {
        return wasmFormat(readWasm(bytes, path));
    }
    return elfFormat(readElf(bytes, path), path);
});
export var elfFormat = (function elfFormat(elf, path) {
    checkNotesMapped(elf, path);
    const exported = elf.symbols.filter((s) => s.defined && s.binding !== "local").length;
    return {
        kind: "native",
        elf,
        wasm: undefined,
        sidecar: undefined,
        notes: elf.notes,
        comment: elf.comment,
        metadataPlace: 'a ".note.plugboard" note written by PLUGBOARD_PLUGIN(...)',
        withoutMetadata: `an ordinary shared library (${exported} exported symbol${exported === 1 ? "" : "s"}, no plugboard note)`,
        runtime: NATIVE_RUNTIME,
        requireFunction(name, path) {
            findExported(elf, name, path, "function");
        },
    };
});
var checkNotesMapped = (function checkNotesMapped(elf, path) {
    for (const note of elf.notes) {
        if (note.owner !== NOTE_OWNER)
            continue;
        const inside = note.vaddr >= 0 &&
            elf.loads.some((s) => s.read && note.vaddr >= s.vaddr && note.vaddr + note.size <= s.vaddr + s.filesz &&
                note.offset - s.offset === note.vaddr - s.vaddr);
        if (!inside) {
            throw new LoadError("BAD_METADATA", {
                path,
                what: `the plugboard note at file offset ${note.offset} is not loaded with the library`,
                expected: "every plugboard note inside a readable segment mapped from the file (PT_LOAD)",
                found: note.vaddr < 0
                    ? "a note that no loadable segment maps"
                    : `a ${note.size}-byte note at address 0x${note.vaddr.toString(16)} that runs past the segment that maps its start`,
                hint: "rebuild the plugin with plugboard's SDK and a standard linker script; the notes must be in the .note.plugboard section of a loaded segment",
            });
        }
    }
});
export var sidecarFormat = (function sidecarFormat(program, sidecar) {
    const bad = (found) => new LoadError("BAD_METADATA", {
        path: program,
        what: `the sidecar ${JSON.stringify(sidecar.path)} is invalid`,
        expected: "one JSON object in UTF-8",
        found,
        hint: "rewrite the sidecar with `plugboard describe PROGRAM --run --write` (docs/subprocess.md)",
    });
    let value;
    try {
        value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(sidecar.bytes));
    }
    catch (e) {
        throw bad(e instanceof SyntaxError
            ? `text that is not JSON (${e.message})`
            : "bytes that are not UTF-8");
    }
    const rpc = parseRpcMetadata(value, program, "sidecar", { file: sidecar.path });
    const metadata = toPluginMetadata(rpc);
    return {
        kind: "executable",
        elf: undefined,
        wasm: undefined,
        sidecar: { path: sidecar.path, sha256: sidecar.sha256, rpc },
        metadata,
        notes: [],
        comment: [],
        metadataPlace: `a metadata sidecar ${JSON.stringify(sidecar.path)}`,
        withoutMetadata: "an executable without a metadata sidecar",
        runtime: [],
        requireFunction(name, path) {
            if (metadata.functions.has(name))
                return;
            const near = nearestNames(name, [...metadata.functions.keys()]);
            throw new LoadError("SYMBOL_MISSING", {
                path,
                what: `function "${name}" is not declared by the plugin`,
                expected: `a function "${name}" in its sidecar ${JSON.stringify(sidecar.path)}`,
                found: `no such function${near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(" or ")}?` : ""}`,
                hint: "call a function the plugin declares, or add it to the plugin and its sidecar",
            });
        },
    };
});
export var wasmValueType = (function wasmValueType(t) {
    switch (t) {
        case "void":
            return undefined;
        case "i64":
        case "u64":
            return "i64";
        case "f32":
            return "f32";
        case "f64":
            return "f64";
        default:
            return "i32";
    }
});
export var wasmFunctionType = (function wasmFunctionType(sig) {
    const result = wasmValueType(sig.result);
    return {
        params: sig.parameters.map((t) => wasmValueType(t)),
        results: result ? [result] : [],
    };
});
var watType = (function watType(t) {
    const params = t.params.length ? ` (param ${t.params.join(" ")})` : "";
    const results = t.results.length ? ` (result ${t.results.join(" ")})` : "";
    return `(func${params}${results})`;
});
var sameType = (function sameType(a, b) {
    return a.params.length === b.params.length && a.results.length === b.results.length &&
        a.params.every((t, i) => t === b.params[i]) && a.results.every((t, i) => t === b.results[i]);
});
export var wasmFormat = (function wasmFormat(info) {
    const functions = info.exports.filter((e) => e.kind === "function");
    return {
        kind: "wasm",
        elf: undefined,
        wasm: info,
        sidecar: undefined,
        comment: [],
        notes: info.notes,
        metadataPlace: 'a "plugboard" custom section written by PLUGBOARD_PLUGIN(...)',
        withoutMetadata: `a WebAssembly module without plugboard metadata (${functions.length} ` +
            `exported function${functions.length === 1 ? "" : "s"}, no "plugboard" custom section)`,
        runtime: Object.keys(WASM_RUNTIME),
        runtimeExpected: {
            memory: 'an exported memory named "memory" (the linear memory strings are copied into)',
            __indirect_function_table: 'an exported table named "__indirect_function_table" (link with -Wl,--export-table)',
        },
        requireFunction(name, path, sig) {
            const found = info.exports.find((e) => e.name === name);
            const runtime = WASM_RUNTIME[name];
            const want = runtime === "memory" ? "memory" : runtime === "table" ? "table" : "function";
            if (!found || found.kind !== want) {
                const near = nearestNames(name, functions.map((e) => e.name));
                throw new LoadError("SYMBOL_MISSING", {
                    path,
                    what: `${want} "${name}" is not exported by the module`,
                    expected: `an exported ${want} "${name}"`,
                    found: found
                        ? `an export of that name that is a ${found.kind}`
                        : `no export of that name${near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(" or ")}?` : ""}`,
                    hint: want === "function"
                        ? "declare the function with PLUGBOARD_FN (which exports it under its own name), or check the name"
                        : "build the plugin with plugboard.h: plugboard build --target wasm32 (docs/wasm.md)",
                });
            }
            if (found.kind !== "function")
                return;
            const expected = typeof runtime === "object"
                ? runtime
                : sig
                    ? wasmFunctionType(sig)
                    : undefined;
            if (expected && !sameType(expected, found.type)) {
                throw new LoadError("SIGNATURE_MISMATCH", {
                    path,
                    what: `function "${name}" does not have the type of its signature`,
                    expected: `${watType(expected)}, the wasm32 lowering of ${sig ? canonicalSignature(sig) : `plugboard's ${name}`}`,
                    found: watType(found.type),
                    hint: "the plugin's code and its declaration disagree: build it with plugboard.h, whose PLUGBOARD_FN writes both from one declaration (docs/wasm.md lists the lowering)",
                });
            }
        },
    };
});
const NATIVE_RUNTIME = Object.freeze(["plugboard_entry", "plugboard_take_error"]);
const WASM_RUNTIME = {
    plugboard_entry: { params: [], results: ["i32"] },
    plugboard_take_error: { params: [], results: ["i32"] },
    plugboard_alloc: { params: ["i32"], results: ["i32"] },
    plugboard_free: { params: ["i32", "i32"], results: [] },
    memory: "memory",
    __indirect_function_table: "table",
};
