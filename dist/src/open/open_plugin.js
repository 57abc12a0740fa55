// Generated from src/open/open_plugin.ts by tasks/dist.ts (deno task dist): do not edit.
import { checkPlugin, checkPluginAsync } from "../check/check_plugin.js";
import { PluginError } from "../errors/plugin_error.js";
import { loadNative } from "../loader/open_native.js";
import { loadWasm } from "../loader/open_wasm.js";
export var openPlugin = (async function openPlugin(path, options = {}) {
    return await openCandidate(await checkPluginAsync(path, options), options, path);
});
export var openPluginSync = (function openPluginSync(path, options = {}) {
    const isolation = options.isolation;
    if (isolation === "process" || isolation === "worker") {
        throw new PluginError("USAGE", `Cannot open plugin ${JSON.stringify(path)} synchronously in a ${isolation === "process" ? "child process" : "worker"}`, { path, hint: `use await openPlugin(path, { isolation: "${isolation}" })` });
    }
    const candidate = checkPlugin(path, options);
    if (candidate.kind === "executable")
        throw needsProcess(path);
    if (candidate.kind === "wasm")
        return loadWasm(candidate, options, path);
    return loadNative(candidate, options, path);
});
export var openCandidate = (function openCandidate(candidate, options, path = candidate.file.path) {
    try {
        if (candidate.kind === "wasm") {
            if (options.isolation === "process")
                throw wasmNeedsWorker(path);
            if (options.isolation === "worker")
                return inWorkers(candidate, options, path);
            return Promise.resolve(loadWasm(candidate, options, path));
        }
        if (options.isolation === "worker")
            throw workerNeedsWasm(path, candidate.kind);
        if (candidate.kind === "executable") {
            if (options.isolation !== "process")
                throw needsProcess(path);
            if (options.calls === "sync")
                throw syncNeedsLibrary(path);
            return isolated(candidate, options, path);
        }
        if (options.isolation === "process")
            return isolated(candidate, options, path);
        return Promise.resolve(loadNative(candidate, options, path));
    }
    catch (e) {
        return Promise.reject(e);
    }
});
var isolated = (async function isolated(candidate, options, path) {
    if (candidate.kind === "executable") {
        const { isolateExecutable } = await import("../isolate/isolate_executable.js");
        return await isolateExecutable(candidate, options, path);
    }
    const { isolateNative } = await import("../isolate/isolate_native.js");
    return await isolateNative(candidate, options, path);
});
var inWorkers = (async function inWorkers(candidate, options, path) {
    const { isolateWasm } = await import("../isolate/isolate_wasm.js");
    return await isolateWasm(candidate, options, path);
});
var syncNeedsLibrary = (function syncNeedsLibrary(path) {
    return new PluginError("USAGE", `Cannot open plugin ${JSON.stringify(path)} with calls: "sync": expected a native library (.so), found an executable (a subprocess plugin)`, { path, hint: "leave calls out: a subprocess plugin's functions return Promises" });
});
var wasmNeedsWorker = (function wasmNeedsWorker(path) {
    return new PluginError("USAGE", `Cannot open plugin ${JSON.stringify(path)} in a child process: expected a native library or an executable, found a WebAssembly module`, {
        path,
        hint: 'a WebAssembly plugin cannot crash the host in process; for timeouts open it with { isolation: "worker", timeoutMs }',
    });
});
var workerNeedsWasm = (function workerNeedsWasm(path, kind) {
    return new PluginError("USAGE", `Cannot open plugin ${JSON.stringify(path)} in a worker: expected a WebAssembly module, found ${kind === "native" ? "a native library" : "an executable"}`, {
        path,
        hint: 'isolate native libraries and executables with { isolation: "process" }',
    });
});
var needsProcess = (function needsProcess(path) {
    return new PluginError("USAGE", `Cannot open plugin ${JSON.stringify(path)} in this process: expected a library (.so) or a WebAssembly module, found an executable (a subprocess plugin)`, {
        path,
        hint: 'open it with { isolation: "process" }: it runs as its own process, and its functions return Promises',
    });
});
