// Generated from src/check/verify_files.ts by tasks/dist.ts (deno task dist): do not edit.
import { dirname, resolve } from "../file/paths.js";
import { LoadError } from "../errors/plugin_error.js";
import { EXACT_POLICY } from "../registry/trust_policy.js";
import { examinePlugin, resolveRegistry } from "./check_plugin.js";
import { listPluginFiles } from "./list_plugin_files.js";
export var verifyFiles = (function verifyFiles(paths, options = {}) {
    const policy = options.policy ?? (options.registry !== undefined ? EXACT_POLICY : undefined);
    const registry = resolveRegistry(options.registry, {
        policy,
        allowInsecurePermissions: options.allowInsecurePermissions,
    });
    const secureDirectories = new Set();
    const files = [];
    let ok = 0;
    let failed = 0;
    let skipped = 0;
    for (const listed of listPluginFiles(paths, options.cache)) {
        const result = examinePlugin(listed.path, {
            ...options,
            policy,
            registry: undefined,
            resolvedRegistry: registry,
            listed,
            secureDirectories,
        });
        const skip = result.identity === undefined && listed.fromDirectory &&
            result.errors[0]?.code === "NOT_A_PLUGIN";
        if (skip)
            skipped++;
        else if (result.errors.length)
            failed++;
        else
            ok++;
        files.push({
            path: listed.path,
            realPath: result.realPath,
            viaSymlink: result.viaSymlink,
            status: skip ? "skipped" : result.errors.length ? "failed" : "ok",
            identity: result.identity,
            cached: result.cached,
            errors: result.errors,
        });
    }
    if (registry) {
        for (const missing of missingTrusted(paths, files, registry)) {
            failed++;
            files.push(missing);
        }
    }
    return { files, ok, failed, skipped };
});
var missingTrusted = (function missingTrusted(paths, files, registry) {
    const seen = new Set();
    for (const f of files) {
        seen.add(resolve(f.path));
        if (f.realPath)
            seen.add(f.realPath);
    }
    const dirs = new Set();
    const named = new Set();
    for (const p of paths) {
        let isDir = false;
        try {
            isDir = Deno.statSync(p).isDirectory;
        }
        catch {
            isDir = false;
        }
        (isDir ? dirs : named).add(resolve(p));
    }
    const out = [];
    for (const entry of registry.list()) {
        const where = registry.pathOf(entry);
        if (seen.has(where) || !(dirs.has(dirname(where)) || named.has(where)))
            continue;
        if (exists(where))
            continue;
        out.push({
            path: where,
            realPath: undefined,
            viaSymlink: false,
            status: "failed",
            identity: undefined,
            cached: false,
            errors: [
                new LoadError("NOT_FOUND", {
                    path: where,
                    what: `trusted plugin "${entry.name}@${entry.version}" is missing`,
                    expected: `the file recorded in the lockfile (SHA-256 ${entry.sha256.slice(0, 12)}…)`,
                    found: "no file",
                    hint: "rebuild it, or delete its entry from the lockfile if the plugin was removed on purpose",
                }),
            ],
        });
    }
    return out;
});
var exists = (function exists(path) {
    try {
        Deno.lstatSync(path);
        return true;
    }
    catch {
        return false;
    }
});
