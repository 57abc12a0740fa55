// Generated from src/loader/open_wasm.ts by tasks/dist.ts (deno task dist): do not edit.
import { formatOf } from "../check/check_plugin.js";
import { LoadError, PluginError } from "../errors/plugin_error.js";
import { Plugin, } from "../handle/plugin.js";
import { prepareWasm } from "../wasm/prepare_wasm.js";
import { WASI_MODULE } from "./_wasi.js";
import { WasmRuntime } from "./wasm_runtime.js";
export const DEFAULT_MAX_MEMORY_BYTES = 256 * 1024 * 1024;
const PAGE = 65536;
const compiled = new Map();
let compiledBytes = 0;
const MAX_MODULES = 32;
const MAX_BYTES = 64 << 20;
export function compileWasm(candidate, wasm = {}, interrupt, path = candidate.file.path) {
    const info = formatOf(candidate).wasm;
    if (!info)
        throw new Error("unreachable: compileWasm() of a plugin that is not WebAssembly");
    const maxBytes = resolveMaxBytes(wasm.maxMemoryBytes);
    const maxPages = maxBytes / PAGE;
    checkImports(info, wasm.wasi, path);
    const wasi = info.imports.length > 0 ? checkWasi(wasm.wasi) : undefined;
    for (const m of info.memories) {
        if (m.initial > maxPages) {
            throw new LoadError("MEMORY_LIMIT", {
                path,
                what: "the module needs more memory than it may have",
                expected: `at most ${maxBytes} bytes (wasm.maxMemoryBytes, ${maxPages} pages)`,
                found: `memory ${m.index} starting at ${m.initial * PAGE} bytes (${m.initial} pages)`,
                hint: "raise wasm.maxMemoryBytes, or build the plugin with a smaller stack and data",
            });
        }
    }
    const key = `${candidate.file.sha256}:${maxPages}:${interrupt ? 1 : 0}`;
    const hit = compiled.get(key);
    if (hit) {
        compiled.delete(key);
        compiled.set(key, hit);
        return { module: hit.module, maxBytes, wasi, compileMs: 0 };
    }
    const t0 = performance.now();
    const prepared = prepareWasm(candidate.file.bytes, info, path, {
        maxPages,
        growFlag: true,
        interrupt,
    });
    let module;
    try {
        module = new WebAssembly.Module(prepared.bytes);
    }
    catch (e) {
        throw new LoadError("MALFORMED", {
            path,
            what: "the module does not compile",
            expected: "valid WebAssembly code",
            found: e instanceof Error ? e.message : String(e),
            hint: "the file's structure and metadata are fine but its code is not; rebuild the plugin (inspect reads it without compiling)",
            cause: e,
        });
    }
    const compileMs = performance.now() - t0;
    const size = candidate.file.bytes.length;
    if (size <= MAX_BYTES) {
        compiled.set(key, { module, size });
        compiledBytes += size;
        for (const [k, entry] of compiled) {
            if (compiled.size <= MAX_MODULES && compiledBytes <= MAX_BYTES)
                break;
            compiled.delete(k);
            compiledBytes -= entry.size;
        }
    }
    return { module, maxBytes, wasi, compileMs };
}
export function loadWasm(candidate, options = {}, path = candidate.file.path) {
    const c = compileWasm(candidate, options.wasm, false, path);
    const runtime = new WasmRuntime({
        path,
        module: c.module,
        abi: candidate.metadata.abi,
        hooks: candidate.metadata.hooks,
        maxBytes: c.maxBytes,
        wasi: c.wasi,
        init: options.init ?? true,
    });
    return new Plugin({
        candidate,
        backend: new WasmBackend(runtime, candidate),
        calls: "sync",
        isolation: "none",
        path,
    });
}
class WasmBackend {
    #runtime;
    #candidate;
    constructor(runtime, candidate) {
        this.#runtime = runtime;
        this.#candidate = candidate;
    }
    checkBindable(sigs, path) {
        WasmRuntime.checkBindable(sigs, path);
        for (const sig of sigs)
            this.#candidate.requireFunction(sig.name);
    }
    bind(sigs, state) {
        const out = {};
        for (const sig of sigs) {
            let wrapper;
            Object.defineProperty(out, sig.name, {
                enumerable: true,
                get: () => wrapper ??= this.#runtime.bind(sig, state),
            });
        }
        return Object.freeze(out);
    }
    close() {
        const problem = this.#runtime.close();
        return Promise.resolve(problem ? { unloaded: true, reason: problem } : { unloaded: true });
    }
}
function checkImports(info, wasi, path) {
    const other = info.imports.filter((i) => i.module !== WASI_MODULE || i.kind !== "function");
    const names = (list) => list.slice(0, 8).map((i) => `${i.module}.${i.name}`).join(", ") +
        (list.length > 8 ? `, and ${list.length - 8} more` : "");
    if (other.length > 0) {
        throw new LoadError("IMPORT_DENIED", {
            path,
            what: "the module imports what the host does not provide",
            expected: `no imports but WASI preview 1 functions (${WASI_MODULE})`,
            found: `${other.length} other import${other.length === 1 ? "" : "s"}: ${names(other)}`,
            hint: "build the plugin without undefined functions (plugboard gives a plugin nothing but what WASI grants)",
        });
    }
    if (info.imports.length > 0 && wasi === undefined) {
        throw new LoadError("IMPORT_DENIED", {
            path,
            what: "the module imports WASI, which the host did not grant",
            expected: "no imports (WASI only with the option wasm: { wasi: {...} })",
            found: `${info.imports.length} WASI import${info.imports.length === 1 ? "" : "s"}: ${names(info.imports)}`,
            hint: "grant WASI with { wasm: { wasi: { ... } } } (args, env, clock and preopened directories are opt-in), or build it with plugboard build --target wasm32, which links stubs for the WASI calls libc needs",
        });
    }
}
function resolveMaxBytes(v) {
    if (v === undefined)
        return DEFAULT_MAX_MEMORY_BYTES;
    if (typeof v !== "number" || !(v >= PAGE) || v > 2 ** 32) {
        throw new PluginError("USAGE", `Invalid option wasm.maxMemoryBytes: expected a number of bytes from 65536 to 4294967296, found ${String(v)}`, { hint: "pass the limit in bytes; it is rounded down to 64 KiB pages" });
    }
    return Math.floor(v / PAGE) * PAGE;
}
function checkWasi(wasi) {
    for (const [guest, grant] of Object.entries(wasi.preopens ?? {})) {
        const dir = typeof grant === "string" ? grant : grant?.path;
        let ok = false;
        let why = "";
        try {
            ok = typeof dir === "string" && Deno.statSync(dir).isDirectory;
            if (!ok)
                why = "not a directory";
        }
        catch (e) {
            why = e instanceof Error ? e.message : String(e);
        }
        if (!ok || !guest.startsWith("/")) {
            throw new PluginError("USAGE", `Invalid option wasm.wasi.preopens[${JSON.stringify(guest)}]: expected ${guest.startsWith("/") ? "a directory" : "an absolute guest path"}, found ${JSON.stringify(dir)}${why ? ` (${why})` : ""}`, { hint: 'map an absolute guest path to a host directory: { "/data": "./data" }' });
        }
    }
    return wasi;
}
