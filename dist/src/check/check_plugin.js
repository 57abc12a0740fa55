// Generated from src/check/check_plugin.ts by tasks/dist.ts (deno task dist): do not edit.
import { checkInterface } from "../abi/define_interface.js";
import { formatVersionPair } from "../abi/abi_version.js";
import { identityOf } from "../abi/identity.js";
import { LoadError, PluginError } from "../errors/plugin_error.js";
import { knownSha256, readFile, rememberSha256 } from "../file/read_file.js";
import { sha256HexAsync } from "../file/sha256.js";
import { Registry } from "../registry/registry.js";
import { parseSignatureFile, SIGNATURE_SUFFIX, } from "../registry/signature.js";
import { parseFormat } from "./formats.js";
import { parseChecked } from "./_parse_cache.js";
import { cachedIdentity } from "./_scan.js";
import { SIDECAR_SUFFIX } from "./sidecar.js";
export var checkPlugin = (function checkPlugin(path, options = {}) {
    const result = examinePlugin(path, options);
    if (result.errors.length > 0)
        throw result.errors[0];
    return result.candidate;
});
export var checkPluginAsync = (async function checkPluginAsync(path, options = {}) {
    let file;
    try {
        const read = readFile(programOf(path), {
            allowInsecurePermissions: options.allowInsecurePermissions,
            hash: false,
        });
        const sha256 = knownSha256(read.realPath, read.bytes) ??
            rememberSha256(read.realPath, read.bytes, await sha256HexAsync(read.bytes));
        file = { ...read, sha256 };
    }
    catch {
    }
    return checkPlugin(path, { ...options, file });
});
var programOf = (function programOf(path) {
    return path.endsWith(SIDECAR_SUFFIX) ? path.slice(0, -SIDECAR_SUFFIX.length) : path;
});
export var examinePlugin = (function examinePlugin(path, options = {}) {
    const registry = () => options.resolvedRegistry ?? resolveRegistry(options.registry, options);
    if (options.cache && !options.verify && !options.interfaces?.length) {
        let hit;
        try {
            hit = cachedIdentity(options.listed ?? { path, fromDirectory: false }, options.cache, options);
        }
        catch (e) {
            return failed(path, asPluginError(e, path));
        }
        if (hit) {
            return {
                path,
                realPath: hit.realPath,
                viaSymlink: hit.viaSymlink,
                identity: hit.identity,
                candidate: undefined,
                cached: true,
                errors: registryErrors(hit.identity, registry, options),
            };
        }
    }
    let file;
    let format;
    let metadata;
    try {
        const hashedAtMs = Date.now();
        const program = programOf(path);
        file = options.file?.path === program ? options.file : readFile(program, {
            allowInsecurePermissions: options.allowInsecurePermissions,
            secureDirectories: options.secureDirectories,
        });
        const sidecar = readSidecarOf(program, file, options);
        ({ format, metadata } = parseChecked(file, sidecar));
        for (const name of format.runtime)
            requireRuntime(format, name, path);
        if (options.cache) {
            options.cache.store(file.stat, identityOf(metadata, { ...file, kind: format.kind }), {
                hashedAtMs,
                path: file.realPath,
            });
        }
    }
    catch (e) {
        return failed(path, asPluginError(e, path));
    }
    const identity = identityOf(metadata, { ...file, kind: format.kind });
    const candidate = Object.freeze({
        file,
        kind: format.kind,
        metadata,
        identity,
        requireFunction: (name) => format.requireFunction(name, path, metadata.functions.get(name)),
    });
    formats.set(candidate, format);
    const errors = registryErrors(identity, registry, options);
    if (errors.length === 0 && options.verify) {
        try {
            options.verify(candidate);
        }
        catch (e) {
            errors.push(asPluginError(e, path));
        }
    }
    if (options.interfaces?.length) {
        errors.push(...interfaceErrors(metadata, format, options.interfaces, options.interfaceRule ?? "all", path));
    }
    return {
        path,
        realPath: file.realPath,
        viaSymlink: file.viaSymlink,
        identity,
        candidate,
        cached: false,
        errors,
    };
});
export var checkLibrary = (function checkLibrary(path, functions, options = {}) {
    const file = readFile(path, {
        subject: "library",
        allowInsecurePermissions: options.allowInsecurePermissions,
    });
    const format = parseFormat(file.bytes, path);
    if (!format.elf) {
        throw new LoadError("NOT_ELF", {
            path,
            what: "not a shared library",
            expected: "an ELF shared library (.so)",
            found: `a ${format.kind} plugin`,
            hint: "open plugboard plugins with openPlugin(); openLibrary() is for ordinary shared libraries",
        });
    }
    for (const name of functions)
        format.requireFunction(name, path);
    return { file, elf: format.elf };
});
var readSidecarOf = (function readSidecarOf(program, file, options) {
    if (SELF_DESCRIBED.test(program))
        return undefined;
    const path = program + SIDECAR_SUFFIX;
    let exists = true;
    try {
        Deno.lstatSync(path);
    }
    catch {
        exists = false;
    }
    const executable = (file.stat.mode & 0o111) !== 0;
    if (!exists) {
        const script = file.bytes[0] === 0x23 && file.bytes[1] === 0x21;
        if (!executable || !script)
            return undefined;
        throw new LoadError("NOT_A_PLUGIN", {
            path: program,
            what: "an executable without plugboard metadata",
            expected: `its metadata sidecar ${JSON.stringify(path)}`,
            found: "no sidecar",
            hint: "if it speaks plugboard-rpc (docs/subprocess.md), write its sidecar with `plugboard describe PROGRAM --run --write`, which runs it once, confined, to ask",
        });
    }
    if (!executable) {
        throw new LoadError("NOT_A_FILE", {
            path: program,
            what: "the program of a subprocess plugin is not executable",
            expected: "an executable file (a mode with x bits)",
            found: `mode 0${(file.stat.mode & 0o777).toString(8)}`,
            hint: `chmod +x ${program}`,
        });
    }
    return readFile(path, {
        subject: "metadata sidecar",
        maxBytes: MAX_SIDECAR_BYTES,
        allowInsecurePermissions: options.allowInsecurePermissions,
        secureDirectories: options.secureDirectories,
    });
});
export var formatOf = (function formatOf(candidate) {
    const f = formats.get(candidate);
    if (!f)
        throw new Error("unreachable: a candidate not made by the check pipeline");
    return f;
});
export var resolveRegistry = (function resolveRegistry(registry, options) {
    if (typeof registry === "string") {
        return Registry.fromLockfile(registry, {
            allowInsecurePermissions: options.allowInsecurePermissions,
        });
    }
    return registry ?? (options.policy !== undefined ? new Registry() : undefined);
});
var registryErrors = (function registryErrors(identity, registry, options) {
    if (options.resolvedRegistry === undefined && options.registry === undefined &&
        options.policy === undefined) {
        return [];
    }
    try {
        const r = registry();
        return r
            ? r.differences(identity, options.policy, {
                signature: () => readSignature(identity.path, options),
            })
            : [];
    }
    catch (e) {
        return [asPluginError(e, identity.path)];
    }
});
var readSignature = (function readSignature(path, options) {
    const sigPath = path + SIGNATURE_SUFFIX;
    let file;
    try {
        file = readFile(sigPath, {
            subject: "signature",
            maxBytes: MAX_SIGNATURE_BYTES,
            allowInsecurePermissions: options.allowInsecurePermissions,
            secureDirectories: options.secureDirectories,
            hash: false,
        });
    }
    catch (e) {
        if (e instanceof PluginError && e.code === "NOT_FOUND")
            return undefined;
        throw e;
    }
    let text;
    try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(file.bytes);
    }
    catch {
        text = "";
    }
    return parseSignatureFile(text, sigPath);
});
export var isForOtherInterfaces = (function isForOtherInterfaces(err) {
    return typeof err === "object" && err !== null && forOthers.has(err);
});
var interfaceErrors = (function interfaceErrors(metadata, format, specs, rule, path) {
    const accept = (spec) => {
        checkInterface(metadata, spec, path);
        for (const name of spec.signatures.keys()) {
            format.requireFunction(name, path, metadata.functions.get(name));
        }
    };
    if (rule === "all") {
        for (const spec of specs) {
            try {
                accept(spec);
            }
            catch (e) {
                return [asPluginError(e, path)];
            }
        }
        return [];
    }
    let accepted = 0;
    for (const id of new Set(specs.map((s) => s.id))) {
        if (!metadata.interfaces.some((i) => i.id === id))
            continue;
        let first;
        for (const spec of specs.filter((s) => s.id === id)) {
            try {
                accept(spec);
                accepted++;
                first = undefined;
                break;
            }
            catch (e) {
                first ??= e;
            }
        }
        if (first !== undefined)
            return [asPluginError(first, path)];
    }
    if (accepted > 0)
        return [];
    const wanted = specs.map((s) => `${s.id}/${formatVersionPair(s.version)}`);
    const has = metadata.interfaces.map((i) => `${i.id}/${formatVersionPair(i.version)}`);
    const err = new LoadError("INTERFACE_MISSING", {
        path,
        what: `plugin "${metadata.name}" provides none of the host's interfaces`,
        expected: wanted.join(" or "),
        found: has.length ? has.join(", ") : "no interfaces",
        hint: `implement ${wanted[0]} in the plugin, or remove the file from the search path`,
    });
    forOthers.add(err);
    return [err];
});
var requireRuntime = (function requireRuntime(format, name, path) {
    try {
        format.requireFunction(name, path);
    }
    catch (e) {
        throw new LoadError("BAD_METADATA", {
            path,
            what: "the plugin's runtime is missing",
            expected: `${format.runtimeExpected?.[name] ?? `an exported ${name}()`} (defined by PLUGBOARD_PLUGIN; see docs/abi.md)`,
            found: e.found ?? String(e),
            hint: "build the plugin with plugboard's SDK and export its plugboard_* functions (do not strip or hide them)",
            cause: e,
        });
    }
});
var failed = (function failed(path, error) {
    return {
        path,
        realPath: undefined,
        viaSymlink: false,
        identity: undefined,
        candidate: undefined,
        cached: false,
        errors: [error],
    };
});
export var asPluginError = (function asPluginError(e, path) {
    if (e instanceof PluginError)
        return e;
    return new PluginError("LOAD_FAILED", `Cannot load plugin ${JSON.stringify(path)}: ${e instanceof Error ? e.message : String(e)}`, { path, cause: e });
});
const formats = new WeakMap();
const SELF_DESCRIBED = /\.(?:so(?:\.\d+)*|wasm)$/;
const MAX_SIDECAR_BYTES = 1 << 20;
const MAX_SIGNATURE_BYTES = 64 << 10;
const forOthers = new WeakSet();
