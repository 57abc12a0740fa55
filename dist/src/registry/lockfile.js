// Generated from src/registry/lockfile.ts by tasks/dist.ts (deno task dist): do not edit.
import { PluginError, quote } from "../errors/plugin_error.js";
import { readFile } from "../file/read_file.js";
import { publicKeyOf } from "./signature.js";
import { writeFileAtomic } from "../file/write_file.js";
import { compareEntries } from "../abi/semver.js";
export const LOCKFILE_VERSION = 2;
export const MAX_LOCKFILE_BYTES = 64 << 20;
export const DEFAULT_LOCKFILE = "plugboard.lock";
export function lockKey(e) {
    const kind = e.kind ?? "native";
    return kind === "native" ? `${e.name}@${e.version}` : `${e.name}@${e.version}:${kind}`;
}
const ENTRY_KEYS = [
    "name",
    "version",
    "kind",
    "abi",
    "interfaces",
    "compiler",
    "buildId",
    "sha256",
    "path",
];
const INTERFACE_KEYS = ["version", "hash", "functions"];
const HEX64 = /^[0-9a-f]{64}$/;
const PAIR = /^\d{1,5}\.\d{1,5}$/;
export function readLockfile(path, options = {}) {
    const file = readFile(path, {
        subject: "lockfile",
        maxBytes: MAX_LOCKFILE_BYTES,
        allowInsecurePermissions: options.allowInsecurePermissions,
        hash: false,
    });
    let text;
    try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(file.bytes);
    }
    catch (e) {
        throw invalid(path, "the file", "UTF-8 text", "invalid UTF-8 bytes", e);
    }
    return parseLockfile(text, { path });
}
export function parseLockfile(text, options = {}) {
    const path = options.path ?? DEFAULT_LOCKFILE;
    let data;
    try {
        data = JSON.parse(text);
    }
    catch (e) {
        throw invalid(path, "the file", "JSON", e.message, e);
    }
    if (!isObject(data))
        throw invalid(path, "the file", "a JSON object", kind(data));
    if (data.version !== LOCKFILE_VERSION && data.version !== 1) {
        const newer = typeof data.version === "number" &&
            data.version > LOCKFILE_VERSION;
        throw new PluginError("LOCKFILE_INVALID", `Cannot read lockfile ${quote(path)}: unsupported format version: expected 1 or ${LOCKFILE_VERSION}, found ${kind(data.version)}`, {
            path,
            hint: newer
                ? "it was written by a newer plugboard: upgrade plugboard"
                : `write "version": ${LOCKFILE_VERSION}, or recreate it with plugboard trust`,
        });
    }
    onlyKeys(path, "the file", data, ["version", "plugins", "publishers"]);
    if (!isObject(data.plugins)) {
        throw invalid(path, "plugins", "an object", kind(data.plugins));
    }
    const plugins = {};
    for (const [key, value] of Object.entries(data.plugins)) {
        const entry = parseEntry(path, `plugins[${quote(key)}]`, value);
        if (key !== lockKey(entry)) {
            throw invalid(path, `plugins[${quote(key)}]`, `the key ${quote(lockKey(entry))}`, quote(key));
        }
        plugins[key] = entry;
    }
    const publishers = {};
    if (data.publishers !== undefined) {
        if (!isObject(data.publishers)) {
            throw invalid(path, "publishers", "an object", kind(data.publishers));
        }
        for (const [id, value] of Object.entries(data.publishers)) {
            publishers[id] = parsePublisher(path, `publishers[${quote(id)}]`, id, value);
        }
    }
    return Object.freeze({
        version: LOCKFILE_VERSION,
        plugins: Object.freeze(plugins),
        ...(Object.keys(publishers).length ? { publishers: Object.freeze(publishers) } : {}),
    });
}
function parsePublisher(path, where, id, v) {
    if (!isObject(v))
        throw invalid(path, where, "an object", kind(v));
    onlyKeys(path, where, v, ["key", "name", "trusts", "retired"]);
    let key;
    try {
        key = typeof v.key === "string" ? publicKeyOf(v.key) : undefined;
    }
    catch {
        key = undefined;
    }
    if (!key)
        throw invalid(path, `${where}.key`, "a plugboard-ed25519 public key", kind(v.key));
    if (key.id !== id)
        throw invalid(path, where, `the key id ${quote(key.id)}`, quote(id));
    if (v.name !== undefined && typeof v.name !== "string") {
        throw invalid(path, `${where}.name`, "a string", kind(v.name));
    }
    if (!Array.isArray(v.trusts) || !v.trusts.every((t) => typeof t === "string")) {
        throw invalid(path, `${where}.trusts`, 'an array of "NAME@RANGE"', kind(v.trusts));
    }
    let retired;
    if (v.retired !== undefined) {
        const r = v.retired;
        if (!isObject(r) || typeof r.time !== "string" || typeof r.reason !== "string") {
            throw invalid(path, `${where}.retired`, "{ time, reason }", kind(v.retired));
        }
        retired = Object.freeze({ time: r.time, reason: r.reason });
    }
    return Object.freeze({
        key: key.key,
        ...(v.name !== undefined ? { name: v.name } : {}),
        trusts: Object.freeze([...v.trusts]),
        ...(retired ? { retired } : {}),
    });
}
export function formatLockfile(lock) {
    const entries = Object.values(lock.plugins).sort(compareEntries);
    const plugins = {};
    for (const e of entries) {
        const interfaces = {};
        for (const id of Object.keys(e.interfaces).sort()) {
            const i = e.interfaces[id];
            interfaces[id] = {
                version: i.version,
                hash: i.hash,
                functions: [...i.functions].sort(byFunctionName),
            };
        }
        plugins[lockKey(e)] = {
            name: e.name,
            version: e.version,
            kind: e.kind,
            abi: e.abi,
            interfaces,
            compiler: e.compiler,
            buildId: e.buildId,
            sha256: e.sha256,
            path: e.path,
        };
    }
    const publishers = {};
    for (const id of Object.keys(lock.publishers ?? {}).sort()) {
        const p = lock.publishers[id];
        publishers[id] = {
            key: p.key,
            ...(p.name !== undefined ? { name: p.name } : {}),
            trusts: [...p.trusts],
            ...(p.retired ? { retired: { time: p.retired.time, reason: p.retired.reason } } : {}),
        };
    }
    return JSON.stringify({
        version: LOCKFILE_VERSION,
        plugins,
        ...(Object.keys(publishers).length ? { publishers } : {}),
    }, null, 2) + "\n";
}
export function writeLockfile(path, lock) {
    writeFileAtomic(path, formatLockfile(lock));
}
function parseEntry(path, where, v) {
    if (!isObject(v))
        throw invalid(path, where, "an object", kind(v));
    onlyKeys(path, where, v, ENTRY_KEYS);
    const str = (key, test, expected) => {
        const x = v[key];
        if (typeof x !== "string" || (test && !test.test(x))) {
            throw invalid(path, `${where}.${key}`, expected ?? "a string", kind(x));
        }
        return x;
    };
    const name = str("name", /./, "a non-empty string");
    const version = str("version", /./, "a non-empty string");
    const pluginKind = v.kind === undefined ? "native" : v.kind;
    if (pluginKind !== "native" && pluginKind !== "wasm" && pluginKind !== "executable") {
        throw invalid(path, `${where}.kind`, '"native", "wasm" or "executable"', kind(v.kind));
    }
    const abi = str("abi", PAIR, "MAJOR.MINOR");
    if (!isObject(v.interfaces)) {
        throw invalid(path, `${where}.interfaces`, "an object", kind(v.interfaces));
    }
    const interfaces = {};
    for (const [id, i] of Object.entries(v.interfaces)) {
        const at = `${where}.interfaces[${quote(id)}]`;
        if (!isObject(i))
            throw invalid(path, at, "an object", kind(i));
        onlyKeys(path, at, i, INTERFACE_KEYS);
        if (typeof i.version !== "string" || !PAIR.test(i.version)) {
            throw invalid(path, `${at}.version`, "MAJOR.MINOR", kind(i.version));
        }
        if (typeof i.hash !== "string" || !HEX64.test(i.hash)) {
            throw invalid(path, `${at}.hash`, "64 hex digits", kind(i.hash));
        }
        if (!Array.isArray(i.functions) ||
            !i.functions.every((f) => typeof f === "string")) {
            throw invalid(path, `${at}.functions`, "an array of signatures", kind(i.functions));
        }
        interfaces[id] = Object.freeze({
            version: i.version,
            hash: i.hash,
            functions: Object.freeze([...i.functions]),
        });
    }
    return Object.freeze({
        name,
        version,
        kind: pluginKind,
        abi,
        interfaces: Object.freeze(interfaces),
        compiler: str("compiler"),
        buildId: str("buildId"),
        sha256: str("sha256", HEX64, "64 hex digits"),
        path: str("path", /./, "a non-empty string"),
    });
}
function byFunctionName(a, b) {
    const na = functionName(a);
    const nb = functionName(b);
    return na < nb ? -1 : na > nb ? 1 : 0;
}
function functionName(sig) {
    const paren = sig.indexOf("(");
    if (paren === -1)
        return sig;
    let end = paren;
    while (end > 0 && /\s/.test(sig[end - 1]))
        end--;
    let start = end;
    while (start > 0 && /[A-Za-z0-9_]/.test(sig[start - 1]))
        start--;
    return start < end && /[A-Za-z_]/.test(sig[start]) ? sig.slice(start, end) : sig;
}
function onlyKeys(path, where, v, keys) {
    for (const k of Object.keys(v)) {
        if (!keys.includes(k)) {
            throw invalid(path, `${where}.${k}`, `one of ${keys.join(", ")}`, "an unknown field");
        }
    }
}
function isObject(v) {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}
function kind(v) {
    if (v === undefined)
        return "nothing";
    if (Array.isArray(v))
        return "an array";
    if (typeof v === "object" && v !== null)
        return "an object";
    const s = JSON.stringify(v);
    return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
function invalid(path, where, expected, found, cause) {
    return new PluginError("LOCKFILE_INVALID", `Cannot read lockfile ${quote(path)}: ${where}: expected ${expected}, found ${found}`, {
        path,
        hint: "fix the entry by hand, or remove it and trust the plugin again: plugboard trust FILE",
        cause,
    });
}
