// Generated from src/registry/hash_cache.ts by tasks/dist.ts (deno task dist): do not edit.
import { dirname } from "../file/paths.js";
import { PluginError } from "../errors/plugin_error.js";
import { readFile } from "../file/read_file.js";
import { stampOf } from "../file/stamp.js";
import { writeError, writeFileAtomic } from "../file/write_file.js";
export const HASH_CACHE_VERSION = 1;
export const RACY_WINDOW_MS = 20;
export const MAX_CACHE_BYTES = 256 << 20;
export const MAX_CACHE_ENTRIES = 100000;
export class HashCache {
    path;
    ignored;
    #entries = new Map();
    #listings = new Map();
    #dirty = false;
    #hits = 0;
    #misses = 0;
    constructor(path, ignored) {
        this.path = path;
        this.ignored = ignored;
    }
    static load(path) {
        let text;
        try {
            const file = readFile(path, {
                subject: "hash cache",
                maxBytes: MAX_CACHE_BYTES,
                hash: false,
            });
            text = new TextDecoder().decode(file.bytes);
        }
        catch (e) {
            if (e instanceof PluginError && e.code === "NOT_FOUND")
                return new HashCache(path);
            return new HashCache(path, e instanceof PluginError ? e.summary : String(e));
        }
        let data;
        try {
            data = JSON.parse(text);
        }
        catch (e) {
            return new HashCache(path, `not JSON: ${e.message}`);
        }
        const d = data;
        if (d?.version !== HASH_CACHE_VERSION || typeof d.files !== "object" || !d.files) {
            return new HashCache(path, `not a version ${HASH_CACHE_VERSION} cache file`);
        }
        const cache = new HashCache(path);
        for (const [key, raw] of Object.entries(d.files)) {
            cache.#entries.set(key, { raw });
        }
        if (typeof d.directories === "object" && d.directories) {
            for (const [key, value] of Object.entries(d.directories)) {
                const listing = parseListing(value);
                if (listing)
                    cache.#listings.set(key, listing);
            }
        }
        return cache;
    }
    get size() {
        return this.#entries.size;
    }
    get hits() {
        return this.#hits;
    }
    get misses() {
        return this.#misses;
    }
    get dirty() {
        return this.#dirty;
    }
    lookup(stat) {
        const s = toStamp(stat);
        const e = s.isFile && s.ino >= 0 ? this.#entry(`${s.dev}:${s.ino}`) : undefined;
        if (e && e.size === s.size && e.mtimeMs === s.mtimeMs && e.ctimeMs === s.ctimeMs &&
            e.mtimeMs < e.hashedAtMs - RACY_WINDOW_MS) {
            this.#hits++;
            return e.plugin;
        }
        this.#misses++;
        return undefined;
    }
    store(stat, plugin, options = {}) {
        const s = toStamp(stat);
        if (!s.isFile || s.ino < 0 || s.mtimeMs < 0)
            return;
        this.#entries.set(`${s.dev}:${s.ino}`, {
            path: options.path ?? "",
            size: s.size,
            mtimeMs: s.mtimeMs,
            ctimeMs: s.ctimeMs,
            hashedAtMs: options.hashedAtMs ?? Date.now(),
            plugin,
        });
        this.#dirty = true;
    }
    #entry(key) {
        const e = this.#entries.get(key);
        if (!e || !("raw" in e))
            return e;
        const parsed = parseEntry(e.raw);
        if (parsed)
            this.#entries.set(key, parsed);
        else
            this.#entries.delete(key);
        return parsed;
    }
    lookupListing(stat) {
        const s = toStamp(stat);
        const l = s.isDirectory && s.ino >= 0 ? this.#listings.get(`${s.dev}:${s.ino}`) : undefined;
        return l && l.mtimeMs === s.mtimeMs && l.ctimeMs === s.ctimeMs &&
            l.mtimeMs < l.listedAtMs - RACY_WINDOW_MS
            ? l.names
            : undefined;
    }
    storeListing(stat, names, options = {}) {
        const s = toStamp(stat);
        if (!s.isDirectory || s.ino < 0 || s.mtimeMs < 0)
            return;
        this.#listings.set(`${s.dev}:${s.ino}`, {
            path: options.path ?? "",
            mtimeMs: s.mtimeMs,
            ctimeMs: s.ctimeMs,
            listedAtMs: options.listedAtMs ?? Date.now(),
            names: Object.freeze([...names]),
        });
        this.#dirty = true;
    }
    save(path = this.path) {
        if (path === undefined || (!this.#dirty && path === this.path))
            return false;
        if (this.ignored !== undefined && path === this.path)
            return false;
        let entries = [];
        for (const key of this.#entries.keys()) {
            const e = this.#entry(key);
            if (e)
                entries.push([key, e]);
        }
        if (entries.length > MAX_CACHE_ENTRIES) {
            entries = entries.sort((a, b) => b[1].hashedAtMs - a[1].hashedAtMs)
                .slice(0, MAX_CACHE_ENTRIES);
            this.#entries = new Map(entries);
        }
        entries.sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
        const files = {};
        for (const [key, e] of entries) {
            files[key] = {
                path: e.path,
                size: e.size,
                mtimeMs: e.mtimeMs,
                ctimeMs: e.ctimeMs,
                hashedAtMs: e.hashedAtMs,
                ...e.plugin,
            };
        }
        const directories = {};
        for (const key of [...this.#listings.keys()].sort())
            directories[key] = this.#listings.get(key);
        try {
            Deno.mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
        }
        catch (e) {
            throw writeError(e, path);
        }
        writeFileAtomic(path, JSON.stringify({ version: HASH_CACHE_VERSION, files, directories }) + "\n", 0o600);
        this.#dirty = false;
        return true;
    }
}
function toStamp(stat) {
    return "mtimeMs" in stat ? stat : stampOf(stat);
}
function parseListing(v) {
    if (typeof v !== "object" || v === null)
        return undefined;
    const l = v;
    const num = (x) => typeof x === "number" && Number.isFinite(x);
    if (typeof l.path !== "string" || !num(l.mtimeMs) || !num(l.ctimeMs) || !num(l.listedAtMs) ||
        !Array.isArray(l.names) || !l.names.every((n) => typeof n === "string")) {
        return undefined;
    }
    return {
        path: l.path,
        mtimeMs: l.mtimeMs,
        ctimeMs: l.ctimeMs,
        listedAtMs: l.listedAtMs,
        names: Object.freeze([...l.names]),
    };
}
function parseEntry(v) {
    if (typeof v !== "object" || v === null)
        return undefined;
    const e = v;
    const num = (x) => typeof x === "number" && Number.isFinite(x);
    const str = (x) => typeof x === "string";
    if (!str(e.path) || !num(e.size) || !num(e.mtimeMs) || !num(e.hashedAtMs) ||
        !num(e.ctimeMs) || !str(e.sha256) || !str(e.name) ||
        !str(e.version) || !str(e.abi) || !str(e.buildId) || !str(e.compiler) ||
        !Array.isArray(e.interfaces)) {
        return undefined;
    }
    const interfaces = [];
    for (const i of e.interfaces) {
        if (typeof i !== "object" || i === null || !str(i.id) || !str(i.version) ||
            !str(i.hash) || !Array.isArray(i.functions) ||
            !i.functions.every(str)) {
            return undefined;
        }
        interfaces.push(Object.freeze({
            id: i.id,
            version: i.version,
            hash: i.hash,
            functions: Object.freeze([...i.functions]),
        }));
    }
    return {
        path: e.path,
        size: e.size,
        mtimeMs: e.mtimeMs,
        ctimeMs: e.ctimeMs,
        hashedAtMs: e.hashedAtMs,
        plugin: Object.freeze({
            kind: e.kind === "wasm" || e.kind === "executable" ? e.kind : "native",
            sha256: e.sha256,
            name: e.name,
            version: e.version,
            abi: e.abi,
            buildId: e.buildId,
            compiler: e.compiler,
            interfaces: Object.freeze(interfaces),
        }),
    };
}
