// Generated from src/registry/registry.ts by tasks/dist.ts (deno task dist): do not edit.
import { dirname, isAbsolute, relative, resolve as resolvePath } from "../file/paths.js";
import { LoadError, PluginError, quote } from "../errors/plugin_error.js";
import { withFileLock } from "../file/write_file.js";
import { differences, interfaceDifferences, resolvePolicy, shortHashes, } from "./_check.js";
import { compareEntries, compareSemVer, parseRange, parseSemVer, satisfies, } from "../abi/semver.js";
import { DEFAULT_LOCKFILE, LOCKFILE_VERSION, lockKey, readLockfile, writeLockfile, } from "./lockfile.js";
import { publicKeyOf, SIGNATURE_SUFFIX, signatureProblem, } from "./signature.js";
export class Registry {
    lockfile;
    #entries = new Map();
    #publishers = new Map();
    constructor(entries = [], options = {}) {
        this.lockfile = options.lockfile;
        for (const e of entries)
            this.#entries.set(lockKey(e), e);
        for (const [id, p] of Object.entries(options.publishers ?? {}))
            this.#publishers.set(id, p);
    }
    static fromLockfile(path, options = {}) {
        let lock;
        try {
            lock = readLockfile(path, { allowInsecurePermissions: options.allowInsecurePermissions });
        }
        catch (e) {
            if (options.create && e instanceof PluginError && e.code === "NOT_FOUND") {
                return new Registry([], { lockfile: path });
            }
            throw e;
        }
        return new Registry(Object.values(lock.plugins), {
            lockfile: path,
            publishers: lock.publishers,
        });
    }
    static edit(path, options, fn) {
        return withFileLock(path, () => {
            let registry;
            let before;
            try {
                registry = Registry.fromLockfile(path, options);
                before = JSON.stringify(registry.toLockfile());
            }
            catch (e) {
                if (!(e instanceof PluginError && e.code === "NOT_FOUND"))
                    throw e;
                registry = new Registry([], { lockfile: path });
            }
            const result = fn(registry);
            if (JSON.stringify(registry.toLockfile()) !== before)
                registry.save();
            return result;
        });
    }
    get size() {
        return this.#entries.size;
    }
    get(name, version, kind = "native") {
        return this.#entries.get(lockKey({ name, version, kind }));
    }
    list() {
        return [...this.#entries.values()].sort(compareEntries);
    }
    resolve(spec) {
        const at = spec.indexOf("@");
        const name = at === -1 ? spec : spec.slice(0, at);
        const rangeText = at === -1 ? "*" : spec.slice(at + 1);
        const range = parseRange(rangeText);
        if (!range || name === "") {
            throw new PluginError("USAGE", `Invalid plugin spec ${quote(spec)}`, {
                hint: 'write NAME@RANGE, e.g. "greeter@^0.2", "greeter@~0.1.0", "greeter@>=0.1 <0.3" or "greeter"',
            });
        }
        let best;
        for (const entry of this.#entries.values()) {
            if (entry.name !== name)
                continue;
            const v = parseSemVer(entry.version);
            if (!v || !satisfies(v, range))
                continue;
            if (!best || compareSemVer(v, best.v) > 0)
                best = { entry, v };
        }
        return best?.entry;
    }
    pathOf(entry) {
        if (isAbsolute(entry.path))
            return entry.path;
        return this.lockfile
            ? resolvePath(dirname(resolvePath(this.lockfile)), entry.path)
            : resolvePath(entry.path);
    }
    trust(subject) {
        const { path, fingerprint: fp } = normalize(subject);
        const key = lockKey({ ...fp, kind: subject.kind ?? "native" });
        const entry = Object.freeze({
            ...fp,
            kind: subject.kind ?? "native",
            path: this.#entryPath(path),
        });
        const previous = this.#entries.get(key);
        this.#entries.set(key, entry);
        if (!previous)
            return Object.freeze({ kind: "added", key, entry, changes: [] });
        const changes = diffEntries(previous, entry);
        return Object.freeze({
            kind: changes.length ? "updated" : "unchanged",
            key,
            entry,
            previous,
            changes,
        });
    }
    check(subject, policy = {}, options = {}) {
        const errors = this.differences(subject, policy, options);
        if (errors.length)
            throw errors[0];
    }
    differences(subject, policy = {}, options = {}) {
        const { path, fingerprint: fp } = normalize(subject);
        const entry = this.get(fp.name, fp.version, subject.kind ?? "native");
        const otherVersions = entry ? [] : this.list()
            .filter((e) => e.name === fp.name && e.version !== fp.version)
            .map((e) => e.version);
        const signers = entry ? [] : this.#publishersFor(fp.name, fp.version);
        const signed = signers.length > 0
            ? this.#signatureErrors(subject, signers, options)
            : undefined;
        const errors = signed ?? [];
        return [
            ...errors,
            ...differences(path, fp, {
                entry,
                otherVersions,
                source: this.lockfile ?? "the registry",
                trustCommand: () => this.#trustCommand(path),
                trustedByPublisher: signed !== undefined,
            }, resolvePolicy(policy)),
        ];
    }
    trustPublisher(key, trusts, options = {}) {
        const pub = publicKeyOf(key);
        for (const spec of trusts)
            parseTrustSpec(spec);
        const previous = this.#publishers.get(pub.id);
        if (previous?.retired) {
            throw new PluginError("USAGE", `Cannot trust key ${pub.id}${previous.name ? ` (${previous.name})` : ""}: expected a key that is not retired, found one retired on ${previous.retired.time}: ${previous.retired.reason}`, {
                hint: "make a new key (plugboard keygen), trust it and sign the plugins again; a key retired by mistake is removed from the lockfile by hand",
            });
        }
        const all = [...new Set([...(previous?.trusts ?? []), ...trusts])].sort();
        const name = options.name ?? previous?.name;
        this.#publishers.set(pub.id, Object.freeze({
            key: pub.key,
            ...(name !== undefined ? { name } : {}),
            trusts: Object.freeze(all),
        }));
        return pub.id;
    }
    retirePublisher(id, reason, time = new Date().toISOString()) {
        const matches = [...this.#publishers.keys()].filter((k) => k.startsWith(id));
        if (matches.length !== 1 || id === "") {
            throw new PluginError("USAGE", `Cannot retire key ${quote(id)}: expected the id of one trusted publisher, found ${matches.length === 0 ? "none" : `${matches.length} (${matches.join(", ")})`}`, { hint: "list the trusted keys with `plugboard trust --list-publishers`" });
        }
        const p = this.#publishers.get(matches[0]);
        this.#publishers.set(matches[0], Object.freeze({ ...p, retired: Object.freeze({ time, reason }) }));
        return matches[0];
    }
    publishers() {
        return [...this.#publishers].sort(([a], [b]) => a < b ? -1 : 1).map(([id, p]) => ({
            ...p,
            id,
        }));
    }
    #publishersFor(name, version) {
        const v = parseSemVer(version);
        return this.publishers().filter((p) => p.trusts.some((spec) => {
            const t = parseTrustSpec(spec);
            return t.name.test(name) && v !== undefined && satisfies(v, t.range);
        }));
    }
    #signatureErrors(subject, signers, options) {
        const id = `${subject.name}@${subject.version}`;
        const path = subject.path;
        const label = (p) => `key ${p.id}${p.name ? ` (${p.name})` : ""}`;
        const active = signers.filter((p) => !p.retired);
        const wanted = active.length
            ? `a signature by ${active.map(label).join(" or ")}, which ${this.lockfile ?? "the registry"} trusts for ${id}`
            : `a signature by a key ${this.lockfile ?? "the registry"} trusts for ${id}`;
        const err = (code, what, found, hint) => new LoadError(code, { path, what: `plugin ${id}: ${what}`, expected: wanted, found, hint });
        let sig;
        try {
            sig = options.signature?.();
        }
        catch (e) {
            if (e instanceof PluginError) {
                return [err("BAD_SIGNATURE", "its signature file is invalid", e.summary, e.hint ?? "")];
            }
            throw e;
        }
        if (!sig) {
            return [
                err("UNTRUSTED", "not signed", `no signature file ${path}${SIGNATURE_SUFFIX}`, `sign it with the publisher's key (plugboard sign ${path} --key KEY), or trust this file itself: ${this.#trustCommand(path)}`),
            ];
        }
        const signer = signers.find((p) => p.id === sig.keyId);
        if (!signer) {
            return [
                err("UNTRUSTED", "signed by a key not trusted for it", `a signature by key ${sig.keyId}`, `trust that key for ${subject.name} (plugboard trust --publisher KEY.pub --for "${subject.name}@^${subject.version}"), or sign with a trusted key`),
            ];
        }
        if (signer.retired) {
            return [
                err("UNTRUSTED", `signed only by retired ${label(signer)}`, `its signature, by a key retired on ${signer.retired.time}: ${signer.retired.reason}`, "sign the plugin with a current key, or trust this file itself"),
            ];
        }
        const problem = signatureProblem(sig, subject);
        if (problem) {
            return [
                err("BAD_SIGNATURE", "its signature does not match it", `a signature by ${label(signer)}, but ${problem}`, "restore the file the publisher signed, or have it signed again"),
            ];
        }
        return [];
    }
    toLockfile() {
        const plugins = {};
        for (const e of this.list())
            plugins[lockKey(e)] = e;
        if (this.#publishers.size === 0)
            return { version: LOCKFILE_VERSION, plugins };
        return { version: LOCKFILE_VERSION, plugins, publishers: Object.fromEntries(this.#publishers) };
    }
    save(path = this.lockfile) {
        if (path === undefined) {
            throw new PluginError("USAGE", "Cannot save an in-memory registry without a path", {
                hint: 'pass the lockfile path: registry.save("plugboard.lock")',
            });
        }
        writeLockfile(path, this.toLockfile());
    }
    #entryPath(path) {
        const abs = resolvePath(path);
        if (!this.lockfile)
            return abs;
        const rel = relative(dirname(resolvePath(this.lockfile)), abs);
        return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? abs : rel;
    }
    #trustCommand(path) {
        const lock = this.lockfile;
        const lockArg = lock === undefined || resolvePath(lock) === resolvePath(DEFAULT_LOCKFILE)
            ? ""
            : ` --lock ${shellWord(lock)}`;
        return `plugboard trust ${shellWord(path)}${lockArg}`;
    }
}
const byId = new WeakMap();
function normalize(subject) {
    let interfaces = byId.get(subject.interfaces);
    if (!interfaces) {
        const record = {};
        for (const i of [...subject.interfaces].sort((a, b) => a.id < b.id ? -1 : 1)) {
            record[i.id] = Object.freeze({
                version: i.version,
                hash: i.hash,
                functions: Object.freeze([...i.functions]),
            });
        }
        interfaces = Object.freeze(record);
        if (Object.isFrozen(subject.interfaces))
            byId.set(subject.interfaces, interfaces);
    }
    return {
        path: subject.path,
        fingerprint: {
            name: subject.name,
            version: subject.version,
            abi: subject.abi,
            interfaces,
            compiler: subject.compiler,
            buildId: subject.buildId,
            sha256: subject.sha256,
        },
    };
}
function diffEntries(a, b) {
    const out = [];
    const add = (field, from, to) => {
        if (from !== to)
            out.push(Object.freeze({ field, from, to }));
    };
    add("kind", a.kind, b.kind);
    add("abi", a.abi, b.abi);
    for (const d of interfaceDifferences(a.interfaces, b.interfaces, "exact")) {
        out.push(Object.freeze({ field: `interface ${d.id}`, from: d.expected, to: d.found }));
    }
    add("compiler", a.compiler, b.compiler);
    add("build id", a.buildId || "(none)", b.buildId || "(none)");
    if (a.sha256 !== b.sha256) {
        const [from, to] = shortHashes(a.sha256, b.sha256);
        out.push(Object.freeze({ field: "sha256", from, to }));
    }
    add("path", a.path, b.path);
    return out;
}
function shellWord(s) {
    return /^[A-Za-z0-9_./@%+=:,-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}
function parseTrustSpec(spec) {
    const at = spec.indexOf("@");
    const name = at === -1 ? spec : spec.slice(0, at);
    const range = parseRange(at === -1 ? "*" : spec.slice(at + 1));
    if (!/^[a-z0-9._*-]+$/.test(name) || !range) {
        throw new PluginError("USAGE", `Invalid trust spec ${quote(spec)}`, {
            hint: 'write NAME@RANGE, e.g. "greeter@^0.2", "calc-*@>=1.0" or "greeter"',
        });
    }
    const pattern = name.replace(/[.]/g, "\\.").replaceAll("*", "[a-z0-9._-]*");
    return { name: new RegExp(`^${pattern}$`), range };
}
