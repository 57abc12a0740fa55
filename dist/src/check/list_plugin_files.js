// Generated from src/check/list_plugin_files.ts by tasks/dist.ts (deno task dist): do not edit.
import { absolutePath } from "../file/permissions.js";
import { stamp } from "../file/stamp.js";
export var listPluginFiles = (function listPluginFiles(args, cache) {
    const out = [];
    for (const arg of args) {
        const listedAtMs = Date.now();
        let realDir;
        let dirStamp;
        try {
            dirStamp = stamp(arg);
            if (dirStamp.isDirectory)
                realDir = Deno.realPathSync(arg);
        }
        catch {
        }
        if (realDir === undefined || dirStamp === undefined) {
            out.push({ path: arg, fromDirectory: false });
            continue;
        }
        let names = cache?.lookupListing(dirStamp);
        if (!names) {
            const found = [];
            for (const e of Deno.readDirSync(arg)) {
                if ((e.isFile || e.isSymlink) && /\.(?:so|wasm)$/.test(e.name))
                    found.push(e.name);
            }
            names = found.sort();
            cache?.storeListing(dirStamp, names, { listedAtMs, path: realDir });
        }
        const base = arg === "." || arg === "./" ? "" : arg.endsWith("/") ? arg : `${arg}/`;
        const dir = { abs: absolutePath(arg), real: realDir };
        for (const name of names)
            out.push({ path: base + name, fromDirectory: true, name, dir });
    }
    return out;
});
