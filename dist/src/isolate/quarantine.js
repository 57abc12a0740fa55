// Generated from src/isolate/quarantine.ts by tasks/dist.ts (deno task dist): do not edit.
import { dirname, join, resolve } from "../file/paths.js";
import { LoadError, PluginError, quote } from "../errors/plugin_error.js";
import { readFile } from "../file/read_file.js";
import { withFileLock, writeError, writeFileAtomic } from "../file/write_file.js";
export function defaultQuarantinePath(env = processEnv()) {
    if (env.PLUGBOARD_QUARANTINE)
        return env.PLUGBOARD_QUARANTINE;
    if (env.XDG_STATE_HOME)
        return join(env.XDG_STATE_HOME, "plugboard", "quarantine.json");
    if (env.HOME)
        return join(env.HOME, ".local", "state", "plugboard", "quarantine.json");
    throw new PluginError("USAGE", "Cannot find a place for the quarantine list: HOME is not set", {
        hint: "set PLUGBOARD_QUARANTINE to a file path, or pass one (--quarantine FILE)",
    });
}
function processEnv() {
    const get = (variable) => Deno.permissions.querySync({ name: "env", variable }).state === "granted"
        ? Deno.env.get(variable)
        : undefined;
    return {
        PLUGBOARD_QUARANTINE: get("PLUGBOARD_QUARANTINE"),
        XDG_STATE_HOME: get("XDG_STATE_HOME"),
        HOME: get("HOME"),
    };
}
export function openQuarantine(path = defaultQuarantinePath()) {
    return new Quarantine(path);
}
export class Quarantine {
    path;
    constructor(path) {
        this.path = resolve(path);
    }
    list() {
        return Object.values(this.#read().plugins).sort((a, b) => a.time < b.time ? -1 : 1);
    }
    get(sha256) {
        return this.#read().plugins[sha256];
    }
    find(fileOrHash) {
        const all = Object.values(this.#read().plugins);
        const hash = fileHash(fileOrHash);
        const abs = resolve(fileOrHash);
        const prefix = /^[0-9a-f]{8,64}$/i.test(fileOrHash) ? fileOrHash.toLowerCase() : undefined;
        return all.filter((r) => r.sha256 === hash || r.path === abs || (prefix !== undefined && r.sha256.startsWith(prefix)));
    }
    add(record) {
        this.#edit((data) => {
            data.plugins[record.sha256] = record;
            return true;
        });
    }
    remove(sha256s) {
        let n = 0;
        this.#edit((data) => {
            for (const h of sha256s) {
                if (h in data.plugins) {
                    delete data.plugins[h];
                    n++;
                }
            }
            return n > 0;
        });
        return n;
    }
    clear() {
        let n = 0;
        this.#edit((data) => {
            n = Object.keys(data.plugins).length;
            data.plugins = {};
            return n > 0;
        });
        return n;
    }
    check(path) {
        const hash = fileHash(path);
        const record = hash === undefined ? undefined : this.get(hash);
        if (record)
            throw quarantinedError(path, record);
    }
    #read() {
        let text;
        try {
            const file = readFile(this.path, {
                subject: "quarantine list",
                maxBytes: MAX_QUARANTINE_BYTES,
                allowInsecurePermissions: true,
                hash: false,
            });
            text = new TextDecoder().decode(file.bytes);
        }
        catch (e) {
            if (e instanceof PluginError && e.code === "NOT_FOUND")
                return { version: 1, plugins: {} };
            const inner = e instanceof PluginError ? e : undefined;
            throw new PluginError("QUARANTINE_INVALID", inner
                ? inner.summary
                : `Cannot read the quarantine list ${quote(this.path)}: ${e.message}`, {
                path: this.path,
                hint: inner?.hint ?? "choose another file with --quarantine FILE",
                cause: e,
            });
        }
        let data;
        try {
            data = JSON.parse(text);
        }
        catch (e) {
            throw invalid(this.path, "JSON", "text that is not JSON", e);
        }
        const d = data;
        if (typeof d !== "object" || d === null || d.version !== 1 || typeof d.plugins !== "object" ||
            d.plugins === null) {
            throw invalid(this.path, `{ "version": 1, "plugins": {...} }`, `another shape`);
        }
        for (const [key, record] of Object.entries(d.plugins)) {
            const problem = recordProblem(key, record);
            if (problem) {
                throw invalid(this.path, "records of the documented shape", `record ${quote(key)}: ${problem}`);
            }
        }
        return d;
    }
    #edit(change) {
        this.#read();
        try {
            Deno.mkdirSync(dirname(this.path), { recursive: true });
        }
        catch (e) {
            throw writeError(e, this.path);
        }
        withFileLock(this.path, () => {
            const data = this.#read();
            if (change(data))
                writeFileAtomic(this.path, JSON.stringify(data, null, 2) + "\n");
        });
    }
}
export function quarantinedError(path, record) {
    return new LoadError("QUARANTINED", {
        path,
        what: "the plugin is quarantined",
        expected: "a plugin that did not crash or hang when probed",
        found: `${describeReason(record.reason)} on ${record.time} (SHA-256 ${record.sha256.slice(0, 12)})`,
        hint: `fix and rebuild it (a new build is probed again), or run \`plugboard quarantine clear ${path}\` to probe it again`,
    });
}
export function describeQuarantineReason(reason) {
    return describeReason(reason);
}
function describeReason(reason) {
    const doing = reason.phase === "load"
        ? "while loading"
        : reason.phase === "shutdown"
            ? "while shutting down"
            : `in ${reason.function ?? "a call"}()`;
    if (reason.kind === "timeout")
        return `a hang ${doing}`;
    const how = reason.signal !== null
        ? `killed by ${reason.signal}${reason.signalNumber !== null ? ` (signal ${reason.signalNumber})` : ""}`
        : `exited with code ${reason.exitCode}`;
    return `a crash ${doing}: ${how}`;
}
function fileHash(path) {
    try {
        return readFile(path, { allowInsecurePermissions: true }).sha256;
    }
    catch {
        return undefined;
    }
}
const MAX_QUARANTINE_BYTES = 16 << 20;
function recordProblem(key, r) {
    if (typeof r !== "object" || r === null || Array.isArray(r))
        return "not an object";
    const x = r;
    if (!/^[0-9a-f]{64}$/.test(key) || x.sha256 !== key)
        return "its key is not its SHA-256";
    if (typeof x.path !== "string")
        return '"path" is not a string';
    if (typeof x.time !== "string")
        return '"time" is not a string';
    for (const f of ["name", "version"]) {
        if (x[f] !== undefined && typeof x[f] !== "string")
            return `"${f}" is not a string`;
    }
    const reason = x.reason;
    if (typeof reason !== "object" || reason === null)
        return '"reason" is not an object';
    if (reason.kind !== "crash" && reason.kind !== "timeout") {
        return '"reason.kind" is not crash or timeout';
    }
    if (!["load", "call", "shutdown"].includes(reason.phase)) {
        return '"reason.phase" is not load, call or shutdown';
    }
    if (typeof reason.message !== "string")
        return '"reason.message" is not a string';
    if (reason.signal !== null && typeof reason.signal !== "string") {
        return '"reason.signal" is not a string or null';
    }
    if (reason.signalNumber !== null && typeof reason.signalNumber !== "number") {
        return '"reason.signalNumber" is not a number or null';
    }
    if (reason.exitCode !== null && typeof reason.exitCode !== "number") {
        return '"reason.exitCode" is not a number or null';
    }
    if (!Array.isArray(reason.stderrTail) || !reason.stderrTail.every((l) => typeof l === "string")) {
        return '"reason.stderrTail" is not a list of strings';
    }
    if (reason.function !== undefined && typeof reason.function !== "string") {
        return '"reason.function" is not a string';
    }
    return undefined;
}
function invalid(path, expected, found, cause) {
    return new PluginError("QUARANTINE_INVALID", `Cannot read the quarantine list ${quote(path)}: expected ${expected}, found ${found}`, {
        path,
        hint: `delete or fix the file, or choose another with --quarantine FILE`,
        cause,
    });
}
