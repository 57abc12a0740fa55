// Generated from src/check/sidecar.ts by tasks/dist.ts (deno task dist): do not edit.
import { formatVersionPair, HOST_ABI, isAbiCompatible, parseVersionPair, } from "../abi/abi_version.js";
import { interfaceHash } from "../abi/read_metadata.js";
import { canonicalSignature, parseSignature, structsUsed, } from "../abi/signature.js";
import { LoadError, quote } from "../errors/plugin_error.js";
export const RPC_PROTOCOL = "plugboard-rpc";
export const RPC_VERSIONS = Object.freeze([1]);
export const RPC_VERSION_ENV = "PLUGBOARD_RPC";
export const RPC_COOKIE_ENV = "PLUGBOARD_RPC_COOKIE";
export const RPC_COOKIE = "plugboard-rpc-7c1e5a93d0b24f68";
export const RPC_MODE_ENV = "PLUGBOARD_RPC_MODE";
export const RPC_MAX_LINE_ENV = "PLUGBOARD_RPC_MAX_LINE";
export const DEFAULT_MAX_LINE_BYTES = 1 << 20;
export const SIDECAR_SUFFIX = ".plugboard.json";
export const DESCRIBE_ARG = "--plugboard-describe";
export const RESERVED_CODES = Object.freeze({
    PARSE_ERROR: -32700,
    INVALID_REQUEST: -32600,
    UNKNOWN_FUNCTION: -32601,
    INVALID_ARGUMENTS: -32602,
    INTERNAL_ERROR: -32603,
});
const NAME = /^[a-z0-9._-]{1,128}$/;
const INTERFACE_ID = /^[a-z0-9][a-z0-9._-]{0,127}$/;
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
export function parseRpcMetadata(value, path, source, options = {}) {
    const versions = options.versions ?? RPC_VERSIONS;
    const hostAbi = options.hostAbi ?? HOST_ABI;
    const bad = (expected, found, hint) => metadataError(path, source, expected, found, options.file, hint);
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw bad("a JSON object", describeJson(value));
    }
    const o = value;
    const protocol = o[RPC_PROTOCOL];
    if (!Number.isSafeInteger(protocol) || protocol < 1) {
        throw bad(`a "${RPC_PROTOCOL}" field with the protocol version`, describeJson(protocol));
    }
    if (!versions.includes(protocol)) {
        throw bad(`${RPC_PROTOCOL} version ${versions.join(" or ")}`, `${RPC_PROTOCOL} version ${protocol}`, protocol > Math.max(...versions)
            ? `the plugin speaks a newer protocol than this host: update plugboard, or use a plugin version that speaks ${RPC_PROTOCOL}/${versions.join(",")}`
            : `the plugin speaks an old protocol: update the plugin to ${RPC_PROTOCOL}/${Math.max(...versions)}`);
    }
    const abi = typeof o.abi === "string" ? parseVersionPair(o.abi) : undefined;
    if (!abi)
        throw bad('an "abi" field "MAJOR.MINOR"', describeJson(o.abi));
    if (!isAbiCompatible(hostAbi, abi)) {
        const majorDiffers = abi.major !== hostAbi.major;
        throw new LoadError("ABI_MISMATCH", {
            path,
            what: majorDiffers ? "ABI major version mismatch" : "ABI minor version too new",
            expected: majorDiffers
                ? `ABI ${hostAbi.major}.x`
                : `ABI ${hostAbi.major}.0 to ${formatVersionPair(hostAbi)}`,
            found: `ABI ${formatVersionPair(abi)}`,
            hint: majorDiffers
                ? `the plugin was written for plugboard ABI ${abi.major}; use a plugin for ABI ${hostAbi.major}.x`
                : `upgrade the host to plugboard ABI ${formatVersionPair(abi)} or newer`,
        });
    }
    if (typeof o.name !== "string" || !NAME.test(o.name)) {
        throw bad('a "name" of 1 to 128 characters from [a-z0-9._-]', describeJson(o.name));
    }
    if (typeof o.version !== "string" || !SEMVER.test(o.version)) {
        throw bad('a semver "version" such as "0.1.0"', describeJson(o.version));
    }
    const mode = o.mode ?? "rpc";
    if (mode !== "rpc" && mode !== "oneshot") {
        throw bad('"mode" "rpc" or "oneshot" (or none: "rpc")', describeJson(o.mode));
    }
    if (source === "handshake" && mode !== "rpc") {
        throw bad('no "mode" or "mode": "rpc" in a handshake', describeJson(mode));
    }
    if (!Array.isArray(o.interfaces) || o.interfaces.length === 0) {
        throw bad('"interfaces": a non-empty array', describeJson(o.interfaces));
    }
    const interfaces = [];
    const functions = new Map();
    for (const [i, entry] of o.interfaces.entries()) {
        const at = `interfaces[${i}]`;
        if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
            throw bad(`${at}: an object { id, version, functions }`, describeJson(entry));
        }
        const e = entry;
        if (typeof e.id !== "string" || !INTERFACE_ID.test(e.id)) {
            throw bad(`${at}: an "id" from [a-z0-9._-], e.g. "calc.op"`, describeJson(e.id));
        }
        if (interfaces.some((x) => x.id === e.id)) {
            throw bad("unique interface ids", `${quote(e.id)} twice`);
        }
        const version = typeof e.version === "string" ? parseVersionPair(e.version) : undefined;
        if (!version) {
            throw bad(`${at}: a "version" "MAJOR.MINOR" for ${quote(e.id)}`, describeJson(e.version));
        }
        if (!Array.isArray(e.functions) || e.functions.length === 0) {
            throw bad(`${at}: "functions", a non-empty array of signatures`, describeJson(e.functions));
        }
        const sigs = [];
        for (const text of e.functions) {
            if (typeof text !== "string")
                throw bad(`${at}: signatures as strings`, describeJson(text));
            let sig;
            try {
                sig = parseSignature(text);
            }
            catch (err) {
                throw bad(`${at}: signatures such as "fallible f64 apply(f64 a, f64 b)"`, err.summary);
            }
            if (sig.nonblocking) {
                throw bad(`${at}: signatures without "nonblocking" (a host-side choice)`, quote(text));
            }
            if (sig.result === "pointer" || sig.parameters.includes("pointer")) {
                throw bad(`${at}: no pointer types (a pointer cannot cross a process boundary)`, quote(text), "pass data as buffer parameters (copied both ways) instead");
            }
            if (structsUsed(sig).length > 0) {
                throw bad(`${at}: no struct types (structs by value are for native plugins in process)`, quote(text), "pass the struct's bytes as a buffer parameter instead");
            }
            if (mode === "oneshot" && sig.parameters.includes("buffer")) {
                throw bad(`${at}: no buffer parameters in one-shot mode (a one-shot call cannot return them)`, quote(text), 'use "mode": "rpc" for functions with buffers');
            }
            if (functions.has(sig.name)) {
                throw bad("function names unique across interfaces", `${quote(sig.name)} twice`);
            }
            functions.set(sig.name, Object.freeze({ ...sig, interface: e.id }));
            sigs.push(sig);
        }
        interfaces.push(Object.freeze({ id: e.id, version, functions: Object.freeze(sigs) }));
    }
    return Object.freeze({
        protocol: protocol,
        name: o.name,
        version: o.version,
        abi,
        mode,
        interfaces: Object.freeze(interfaces),
        functions,
    });
}
export function metadataToJson(meta) {
    return {
        [RPC_PROTOCOL]: meta.protocol,
        name: meta.name,
        version: meta.version,
        abi: formatVersionPair(meta.abi),
        mode: meta.mode,
        interfaces: meta.interfaces.map((i) => ({
            id: i.id,
            version: formatVersionPair(i.version),
            functions: i.functions.map(canonicalSignature),
        })),
    };
}
export function compareRpcMetadata(expected, found, path, sidecar) {
    const differ = (what, e, f) => {
        throw new LoadError("METADATA_MISMATCH", {
            path,
            what: `the handshake differs from ${quote(sidecar)} in ${what}`,
            expected: e,
            found: f,
            hint: "the program or its sidecar changed: review the program, then rewrite the sidecar with `plugboard describe PROGRAM --run --write` and trust it again",
        });
    };
    if (expected.protocol !== found.protocol) {
        differ("the protocol version", `${expected.protocol}`, `${found.protocol}`);
    }
    if (expected.name !== found.name)
        differ("the name", quote(expected.name), quote(found.name));
    if (expected.version !== found.version) {
        differ("the version", quote(expected.version), quote(found.version));
    }
    const abiE = formatVersionPair(expected.abi);
    const abiF = formatVersionPair(found.abi);
    if (abiE !== abiF)
        differ("the ABI", abiE, abiF);
    const ids = (m) => m.interfaces.map((i) => `${i.id}/${formatVersionPair(i.version)}`).sort().join(", ");
    if (ids(expected) !== ids(found))
        differ("the interfaces", ids(expected), ids(found));
    for (const ie of expected.interfaces) {
        const iface = found.interfaces.find((i) => i.id === ie.id);
        const sigs = (i) => i.functions.map(canonicalSignature).sort().join("; ");
        if (sigs(ie) !== sigs(iface)) {
            differ(`the functions of ${quote(ie.id)}`, sigs(ie), sigs(iface));
        }
    }
}
export function toPluginMetadata(meta) {
    const interfaces = meta.interfaces.map((i) => {
        const fns = [...i.functions].sort((a, b) => a.name < b.name ? -1 : 1);
        return Object.freeze({
            id: i.id,
            version: i.version,
            symbol: i.id,
            functions: Object.freeze(fns),
            hash: interfaceHash(i.id, i.version, fns),
        });
    }).sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    return Object.freeze({
        abi: meta.abi,
        name: meta.name,
        version: meta.version,
        buildId: "",
        author: undefined,
        compiler: `${RPC_PROTOCOL}/${meta.protocol}`,
        compilerSource: "declared",
        declaredCompiler: undefined,
        commentCompilers: Object.freeze([]),
        interfaces: Object.freeze(interfaces),
        functions: meta.functions,
        hooks: Object.freeze({ init: false, shutdown: false }),
        structs: new Map(),
    });
}
export function describeJson(v) {
    if (v === undefined)
        return "none";
    if (v === null)
        return "null";
    if (Array.isArray(v))
        return `an array ${quoteShort(JSON.stringify(v))}`;
    if (typeof v === "object")
        return `an object ${quoteShort(JSON.stringify(v))}`;
    if (typeof v === "string")
        return quoteShort(v);
    return `the ${typeof v} ${String(v)}`;
}
export function quoteShort(s, max = 80) {
    return quote(s.length > max ? s.slice(0, max) + "…" : s);
}
function metadataError(path, source, expected, found, file, hint) {
    const code = source === "handshake" ? "HANDSHAKE_FAILED" : "BAD_METADATA";
    return new LoadError(code, {
        path,
        what: source === "handshake"
            ? "the program's handshake is invalid"
            : source === "sidecar"
                ? `the sidecar ${quote(file ?? path + SIDECAR_SUFFIX)} is invalid`
                : `the program's ${DESCRIBE_ARG} output is invalid`,
        expected,
        found,
        hint: hint ??
            (source === "sidecar"
                ? "rewrite the sidecar with `plugboard describe PROGRAM --run --write` (docs/subprocess.md describes the format)"
                : "fix the plugin's metadata object (docs/subprocess.md describes the format)"),
    });
}
