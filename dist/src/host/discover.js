// Generated from src/host/discover.ts by tasks/dist.ts (deno task dist): do not edit.
import { join, resolve } from "../file/paths.js";
import { PluginError } from "../errors/plugin_error.js";
export const PATH_VARIABLE = "PLUGBOARD_PATH";
export function searchPaths(paths, env) {
    const all = [...paths];
    if (env) {
        let value;
        try {
            value = Deno.env.get(PATH_VARIABLE);
        }
        catch (e) {
            throw new PluginError("PERMISSION_DENIED", `Cannot read ${PATH_VARIABLE}: ${e instanceof Error ? e.message : String(e)}`, {
                hint: `grant --allow-env=${PATH_VARIABLE}, or create the host with { env: false }`,
                cause: e,
            });
        }
        if (value)
            all.push(...value.split(":"));
    }
    return [...new Set(all.filter((p) => p !== ""))];
}
const SO_NAME = /\.so(\.\d+)*$/;
const WASM_NAME = /\.wasm$/;
const SIDECAR = ".plugboard.json";
export function scan(paths) {
    const candidates = [];
    const missing = [];
    for (const dir of paths) {
        let info;
        try {
            info = Deno.statSync(dir);
        }
        catch {
            missing.push(dir);
            continue;
        }
        if (!info.isDirectory) {
            candidates.push(candidate(dir, baseName(dir), "so", info));
            continue;
        }
        let entries;
        try {
            entries = [...Deno.readDirSync(dir)];
        }
        catch {
            missing.push(dir);
            continue;
        }
        const names = new Set(entries.map((e) => e.name));
        for (const e of entries) {
            if (e.name.startsWith(".") || e.isDirectory || e.name.endsWith(SIDECAR))
                continue;
            const path = join(dir, e.name);
            const isSo = SO_NAME.test(e.name);
            const isWasm = WASM_NAME.test(e.name);
            const described = !isSo && !isWasm && names.has(e.name + SIDECAR);
            if (!isSo && !isWasm && !described)
                continue;
            let st;
            try {
                st = Deno.statSync(path);
            }
            catch {
            }
            if (st && !st.isFile)
                continue;
            candidates.push(candidate(path, e.name, isSo ? "so" : isWasm ? "wasm" : "exec", st));
        }
    }
    candidates.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
    return { candidates, missing };
}
export function stampOf(path) {
    try {
        return stamp(Deno.statSync(path));
    }
    catch {
        return "missing";
    }
}
function candidate(path, name, kind, st) {
    let realPath;
    try {
        realPath = Deno.realPathSync(path);
    }
    catch {
        realPath = undefined;
    }
    let change = st ? stamp(st) : "missing";
    if (kind === "exec") {
        try {
            change += `+${stamp(Deno.statSync(path + SIDECAR))}`;
        }
        catch {
            change += "+nosidecar";
        }
    }
    return { path, name, realPath, stamp: change, kind };
}
function stamp(st) {
    return `${st.dev}:${st.ino}:${st.size}:${st.mtime?.getTime() ?? 0}`;
}
function baseName(path) {
    const r = resolve(path);
    return r.slice(r.lastIndexOf("/") + 1);
}
export function skipMessage(err, path) {
    return err.summary.includes(path)
        ? err.summary
        : `Skipped ${JSON.stringify(path)}: ${err.summary}`;
}
