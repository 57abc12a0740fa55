// Generated from src/isolate/probe_plugin.ts by tasks/dist.ts (deno task dist): do not edit.
import { resolve } from "../file/paths.js";
import { checkLibrary, checkPlugin, } from "../check/check_plugin.js";
import { compileWasm } from "../loader/open_wasm.js";
import { WorkerConnection } from "./_wasm_connection.js";
import { wasmStart } from "./isolate_wasm.js";
import { PluginError } from "../errors/plugin_error.js";
import { logRecord } from "../log/log_record.js";
import { childCommand, ChildConnection, ensureChildCached, } from "./_connection.js";
import { resolveSandbox } from "./sandbox.js";
import { openQuarantine, quarantinedError, } from "./quarantine.js";
export async function probePlugin(path, options = {}) {
    const started = performance.now();
    const timeoutMs = options.timeoutMs ?? 10000;
    const result = (status, fields = {}) => Object.freeze({
        path,
        sha256: undefined,
        plugin: undefined,
        library: undefined,
        error: undefined,
        record: undefined,
        stderrTail: [],
        ...fields,
        status,
        durationMs: performance.now() - started,
    });
    let target;
    let sandbox;
    try {
        target = checkTarget(path, options);
        sandbox = target.candidate?.kind === "wasm"
            ? undefined
            : resolveSandbox(options.sandbox ?? true, { path, realPath: target.file.realPath });
    }
    catch (e) {
        if (e instanceof PluginError)
            return result("refused", { error: e });
        throw e;
    }
    const { sha256, realPath } = target.file;
    const plugin = target.plugin;
    const library = target.library;
    const quarantine = options.quarantine === false
        ? undefined
        : typeof options.quarantine === "string"
            ? openQuarantine(options.quarantine)
            : options.quarantine ?? openQuarantine();
    const known = quarantine?.get(sha256);
    if (known && !options.force) {
        return result("quarantined", {
            sha256,
            plugin,
            library,
            record: known,
            error: quarantinedError(path, known),
            stderrTail: known.reason.stderrTail,
        });
    }
    const log = options.log;
    await ensureChildCached();
    let conn;
    if (target.candidate?.kind === "wasm") {
        try {
            const compiled = compileWasm(target.candidate, options.wasm, true, path);
            conn = new WorkerConnection({
                path,
                start: wasmStart(target.candidate, compiled, path),
                startTimeoutMs: timeoutMs,
                interruptGraceMs: 1000,
                onOutput: undefined,
                onEnd: () => { },
            });
        }
        catch (e) {
            if (e instanceof PluginError)
                return result("refused", { sha256, plugin, error: e });
            throw e;
        }
    }
    else {
        conn = new ChildConnection({
            ...childCommand(path, realPath),
            path,
            load: {
                ...target.load,
                path,
                sha256,
                load: "memfd",
                allowInsecurePermissions: options.allowInsecurePermissions ?? false,
                ...(sandbox ? { sandbox } : {}),
            },
            startTimeoutMs: timeoutMs,
            onStderr: (line, pid) => log?.(logRecord("info", "stderr", line, {
                plugin: plugin?.name ?? path.slice(path.lastIndexOf("/") + 1),
                version: plugin?.version ?? "",
                path,
                sha256: sha256.slice(0, 12),
                pid,
            })),
            onEnd: () => { },
        });
    }
    let phase = "load";
    let error;
    let end;
    try {
        await conn.start();
        phase = "shutdown";
        end = await conn.shutdown(timeoutMs);
        error = end.error;
    }
    catch (e) {
        end = await conn.kill();
        if (!(e instanceof PluginError))
            throw e;
        if (e.code === "HANDSHAKE_FAILED")
            throw e;
        error = e;
    }
    const stderrTail = end.exit.stderrTail;
    const hung = error?.code === "PLUGIN_TIMEOUT" || (phase === "shutdown" && end.killed);
    const crashed = !hung && (error?.code === "PLUGIN_CRASHED" || error?.code === "PLUGIN_TRAPPED") ||
        (phase === "shutdown" && !end.killed && end.reason === "crash");
    if (!hung && !crashed) {
        return error
            ? result("refused", { sha256, plugin, library, error, stderrTail })
            : result("ok", { sha256, plugin, library, stderrTail });
    }
    const what = library ? "library" : "plugin";
    const subject = library ? "Library" : "Plugin";
    const summary = error?.summary ??
        (hung
            ? `${subject} "${path}" hung: expected the ${what} to shut down within ${timeoutMs} ms, found no exit`
            : `${subject} "${path}" crashed while shutting down`);
    const reason = {
        kind: hung ? "timeout" : "crash",
        phase,
        signal: end.exit.signal,
        signalNumber: end.exit.signalNumber,
        exitCode: end.exit.exitCode,
        stderrTail: [...stderrTail],
        message: summary,
    };
    const record = {
        sha256,
        path: resolve(path),
        ...(plugin ? { name: plugin.name, version: plugin.version } : {}),
        reason,
        time: new Date().toISOString(),
    };
    quarantine?.add(record);
    return result(hung ? "hung" : "crashed", {
        sha256,
        plugin,
        library,
        record,
        error: error ?? new PluginError(hung ? "PLUGIN_TIMEOUT" : "PLUGIN_CRASHED", summary, { path }),
        stderrTail,
    });
}
function checkTarget(path, options) {
    try {
        const candidate = checkPlugin(path, options);
        return {
            file: candidate.file,
            candidate,
            plugin: Object.freeze({
                name: candidate.metadata.name,
                version: candidate.metadata.version,
            }),
            library: undefined,
            load: { kind: "plugin", init: true },
        };
    }
    catch (e) {
        const pluginOnly = options.interfaces?.length || options.registry !== undefined ||
            options.policy !== undefined || options.verify !== undefined;
        if (!(e instanceof PluginError) || e.code !== "NOT_A_PLUGIN" || pluginOnly)
            throw e;
        let checked;
        try {
            checked = checkLibrary(path, [], options);
        }
        catch {
            throw e;
        }
        return {
            file: checked.file,
            candidate: undefined,
            plugin: undefined,
            library: Object.freeze({ functions: exportedFunctions(checked.elf) }),
            load: { kind: "library", init: false },
        };
    }
}
function exportedFunctions(elf) {
    return elf.symbols.filter((s) => s.defined && s.binding !== "local" && (s.type === "func" || s.type === "ifunc") &&
        (s.visibility === "default" || s.visibility === "protected")).length;
}
