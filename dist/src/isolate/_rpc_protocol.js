// Generated from src/isolate/_rpc_protocol.ts by tasks/dist.ts (deno task dist): do not edit.
import { canonicalSignature } from "../abi/signature.js";
import { CallError, LoadError, PluginError, quote } from "../errors/plugin_error.js";
import { fits, invalidArgument } from "./_protocol.js";
import { compareRpcMetadata, DEFAULT_MAX_LINE_BYTES, DESCRIBE_ARG, describeJson, metadataToJson, parseRpcMetadata, quoteShort, RESERVED_CODES, RPC_COOKIE, RPC_COOKIE_ENV, RPC_MAX_LINE_ENV, RPC_MODE_ENV, RPC_PROTOCOL, RPC_VERSION_ENV, RPC_VERSIONS, SIDECAR_SUFFIX, toPluginMetadata, } from "../check/sidecar.js";
export { compareRpcMetadata, DEFAULT_MAX_LINE_BYTES, DESCRIBE_ARG, describeJson, metadataToJson, parseRpcMetadata, quoteShort, RESERVED_CODES, RPC_COOKIE, RPC_COOKIE_ENV, RPC_MAX_LINE_ENV, RPC_MODE_ENV, RPC_PROTOCOL, RPC_VERSION_ENV, RPC_VERSIONS, SIDECAR_SUFFIX, toPluginMetadata, };
export function bindRpcFunction(meta, sig, path) {
    if (sig.result === "pointer" || sig.parameters.includes("pointer")) {
        throw new PluginError("USAGE", `Cannot call ${quote(sig.name)} of plugin ${quote(path)} in a subprocess: a pointer cannot cross a process boundary`, { path, hint: "declare the data as buffer parameters (copied both ways)" });
    }
    if (meta.mode === "oneshot" && sig.parameters.includes("buffer")) {
        throw new PluginError("USAGE", `Cannot call ${quote(sig.name)} of one-shot plugin ${quote(path)}: a buffer parameter cannot be copied back from a one-shot call`, { path, hint: 'declare the plugin with "mode": "rpc" to pass buffers' });
    }
    const theirs = meta.functions.get(sig.name);
    if (!theirs) {
        throw new LoadError("SYMBOL_MISSING", {
            path,
            what: `plugin ${quote(meta.name)} does not provide function ${quote(sig.name)}`,
            expected: canonicalSignature(sig),
            found: `functions ${[...meta.functions.keys()].join(", ")}`,
            hint: "check the function's name, or use a plugin that provides it",
        });
    }
    const a = canonicalSignature(sig);
    const b = canonicalSignature(theirs);
    if (a !== b) {
        throw new LoadError("SIGNATURE_MISMATCH", {
            path,
            what: `function ${quote(sig.name)} of interface ${quote(theirs.interface)} has another signature`,
            expected: a,
            found: b,
            hint: "host and plugin disagree on the interface: declare it as the plugin's metadata does",
        });
    }
    const buffers = [];
    sig.parameters.forEach((t, i) => t === "buffer" && buffers.push(i));
    return Object.freeze({
        sig,
        buffers: Object.freeze(buffers),
        head: `,"call":${JSON.stringify(sig.name)},"args":[`,
    });
}
export function encodeRequest(id, fn, args, path) {
    checkArguments(fn, args, path);
    const params = fn.sig.parameters;
    let line = `{"id":${id}${fn.head}`;
    for (let i = 0; i < params.length; i++) {
        if (i > 0)
            line += ",";
        line += valueToJson(params[i], args[i]);
    }
    return line + "]}";
}
export function checkArguments(fn, args, path) {
    const params = fn.sig.parameters;
    if (args.length !== params.length) {
        throw new CallError("INVALID_ARGUMENT", path, fn.sig.name, `expected ${params.length} argument(s), found ${args.length}`, { hint: `call it as ${fn.sig.name}(${params.join(", ")})` });
    }
    for (let i = 0; i < params.length; i++) {
        if (!fits(params[i], args[i]))
            throw invalidArgument(path, fn.sig.name, i, params[i], args[i]);
    }
}
export function valueToJson(t, v) {
    switch (t) {
        case "bool":
            return v ? "true" : "false";
        case "i64":
        case "u64":
        case "isize":
        case "usize":
            return `"${typeof v === "bigint" ? v : BigInt(v)}"`;
        case "f32":
            return floatToJson(Math.fround(v));
        case "f64":
            return floatToJson(v);
        case "cstring": {
            const s = v;
            return JSON.stringify(s.isWellFormed() ? s : s.toWellFormed());
        }
        case "buffer":
            return `"${v.toBase64()}"`;
        default:
            return String(v);
    }
}
function floatToJson(v) {
    if (Number.isNaN(v))
        return '"NaN"';
    if (v === Infinity)
        return '"Infinity"';
    if (v === -Infinity)
        return '"-Infinity"';
    return Object.is(v, -0) ? "-0.0" : String(v);
}
export class ProtocolViolation extends Error {
    found;
    constructor(found) {
        super(found);
        this.found = found;
    }
}
const MIN_I32 = -(2 ** 31);
const MAX_I32 = 2 ** 31 - 1;
export function parseReply(line) {
    let v;
    try {
        v = JSON.parse(line);
    }
    catch {
        throw new ProtocolViolation(`a line that is not JSON: ${quoteShort(line)}`);
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
        throw new ProtocolViolation(`a line that is not a JSON object: ${quoteShort(line)}`);
    }
    const o = v;
    if (!Number.isSafeInteger(o.id) || o.id < 1) {
        throw new ProtocolViolation(`a reply without a valid "id": ${quoteShort(line)}`);
    }
    const id = o.id;
    if (o.error !== undefined) {
        if (o.result !== undefined || o.buffers !== undefined) {
            throw new ProtocolViolation(`a reply to request ${id} with both "error" and a result`);
        }
        const e = o.error;
        if (typeof e !== "object" || e === null || !Number.isInteger(e.code) || e.code === 0 ||
            e.code < MIN_I32 || e.code > MAX_I32 ||
            (e.message !== undefined && typeof e.message !== "string")) {
            throw new ProtocolViolation(`a reply to request ${id} whose "error" is not {"code": non-zero int32, "message": string}: ${quoteShort(JSON.stringify(o.error))}`);
        }
        return { id, error: { code: e.code, message: e.message ?? "" } };
    }
    return { id, error: undefined, result: o.result, buffers: o.buffers };
}
const I64_TEXT = /^-?\d{1,20}$/;
const RANGES = {
    i8: [-128, 127],
    u8: [0, 255],
    i16: [-32768, 32767],
    u16: [0, 65535],
    i32: [MIN_I32, MAX_I32],
    u32: [0, 2 ** 32 - 1],
};
const RANGES_64 = {
    i64: [-(1n << 63n), (1n << 63n) - 1n],
    isize: [-(1n << 63n), (1n << 63n) - 1n],
    u64: [0n, (1n << 64n) - 1n],
    usize: [0n, (1n << 64n) - 1n],
};
export function decodeResult(t, v) {
    const wrong = () => {
        throw new ProtocolViolation(`a result that is not ${expectedJson(t)}: ${v === undefined ? "none" : quoteShort(JSON.stringify(v))}`);
    };
    switch (t) {
        case "void":
            return v === undefined || v === null ? undefined : wrong();
        case "bool":
            return typeof v === "boolean" ? v : wrong();
        case "f32":
        case "f64": {
            const n = typeof v === "number"
                ? v
                : v === "NaN"
                    ? NaN
                    : v === "Infinity"
                        ? Infinity
                        : v === "-Infinity"
                            ? -Infinity
                            : wrong();
            return t === "f32" ? Math.fround(n) : n;
        }
        case "i64":
        case "u64":
        case "isize":
        case "usize": {
            let b;
            if (typeof v === "string" && I64_TEXT.test(v))
                b = BigInt(v);
            else if (Number.isSafeInteger(v))
                b = BigInt(v);
            else
                return wrong();
            const [lo, hi] = RANGES_64[t];
            return b >= lo && b <= hi ? b : wrong();
        }
        case "cstring":
            return v === null ? null : typeof v === "string" && v.indexOf("\0") === -1 ? v : wrong();
        default: {
            const range = RANGES[t];
            if (!range)
                return wrong();
            return Number.isInteger(v) && v >= range[0] && v <= range[1]
                ? v
                : wrong();
        }
    }
}
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
export function decodeBuffers(fn, args, v) {
    const n = fn.buffers.length;
    if (v === undefined || v === null)
        return new Array(n).fill(undefined);
    if (!Array.isArray(v) || v.length !== n) {
        throw new ProtocolViolation(`"buffers" that is not an array of ${n} entr${n === 1 ? "y" : "ies"} (one per buffer parameter): ${quoteShort(JSON.stringify(v))}`);
    }
    return v.map((entry, k) => {
        if (entry === null)
            return undefined;
        const index = fn.buffers[k];
        const sent = args[index].length;
        if (typeof entry !== "string" || !BASE64.test(entry)) {
            throw new ProtocolViolation(`buffer ${k + 1} (argument ${index + 1}) that is not padded base64: ${quoteShort(JSON.stringify(entry))}`);
        }
        const bytes = Uint8Array.fromBase64(entry);
        if (bytes.length !== sent) {
            throw new ProtocolViolation(`buffer ${k + 1} (argument ${index + 1}) of ${bytes.length} bytes; it was sent with ${sent}`);
        }
        return bytes;
    });
}
export function valueToText(t, v) {
    switch (t) {
        case "bool":
            return v ? "true" : "false";
        case "f32":
        case "f64": {
            const n = t === "f32" ? Math.fround(v) : v;
            return Object.is(n, -0) ? "-0" : String(n);
        }
        case "cstring": {
            const s = v;
            return s.isWellFormed() ? s : s.toWellFormed();
        }
        default:
            return String(v);
    }
}
const FLOAT_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
export function decodeTextResult(t, text) {
    const wrong = () => {
        throw new ProtocolViolation(`a standard output that is not ${expectedText(t)}: ${quoteShort(text)}`);
    };
    const s = t === "cstring" ? text : text.trim();
    switch (t) {
        case "void":
            return undefined;
        case "cstring":
            return s.indexOf("\0") === -1 ? s : wrong();
        case "bool":
            return s === "true" || s === "1" ? true : s === "false" || s === "0" ? false : wrong();
        case "f32":
        case "f64": {
            const lower = s.toLowerCase();
            const n = FLOAT_TEXT.test(s)
                ? Number(s)
                : lower === "nan" || lower === "-nan" || lower === "+nan"
                    ? NaN
                    : lower === "inf" || lower === "+inf" || lower === "infinity" || lower === "+infinity"
                        ? Infinity
                        : lower === "-inf" || lower === "-infinity"
                            ? -Infinity
                            : wrong();
            return t === "f32" ? Math.fround(n) : n;
        }
        default: {
            if (!/^[+-]?\d{1,20}$/.test(s))
                return wrong();
            const b = BigInt(s);
            const r64 = RANGES_64[t];
            if (r64)
                return b >= r64[0] && b <= r64[1] ? b : wrong();
            const range = RANGES[t];
            const n = Number(b);
            return n >= range[0] && n <= range[1] ? n : wrong();
        }
    }
}
function expectedJson(t) {
    switch (t) {
        case "void":
            return "null or absent (void)";
        case "bool":
            return "true or false";
        case "f32":
        case "f64":
            return `a number or "NaN", "Infinity", "-Infinity" (${t})`;
        case "i64":
        case "u64":
        case "isize":
        case "usize":
            return `a decimal string or a safe integer in the ${t} range`;
        case "cstring":
            return "a string without NUL, or null";
        default:
            return `an integer in the ${t} range ${RANGES[t][0]} to ${RANGES[t][1]}`;
    }
}
function expectedText(t) {
    switch (t) {
        case "bool":
            return "true, false, 1 or 0";
        case "f32":
        case "f64":
            return `a decimal number, NaN or (-)Infinity (${t})`;
        case "cstring":
            return "text without NUL";
        default:
            return `a decimal integer in the ${t} range`;
    }
}
