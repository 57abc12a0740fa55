// Generated from src/abi/read_metadata.ts by tasks/dist.ts (deno task dist): do not edit.
import { sha256Text } from "../file/sha256.js";
import { LoadError, PluginError } from "../errors/plugin_error.js";
import { formatVersionPair, HOST_ABI, isAbiCompatible, parseVersionPair, } from "./abi_version.js";
import { resolveCompiler } from "./_compiler.js";
import { parseSemVer } from "./semver.js";
import { canonicalSignature, parseSignature, structsUsed } from "./signature.js";
export var readMetadata = (function readMetadata(source, path, options = {}) {
    const hostAbi = options.hostAbi ?? HOST_ABI;
    const notes = source.notes.filter((n) => n.owner === NOTE_OWNER);
    const plugin = notes.filter((n) => n.type === NOTE_PLUGIN);
    if (plugin.length === 0) {
        throw new LoadError("NOT_A_PLUGIN", {
            path,
            what: "no plugboard metadata",
            expected: options.metadataPlace ?? "the plugin record written by PLUGBOARD_PLUGIN(...)",
            found: options.withoutMetadata ?? "a file without plugboard metadata",
            hint: "declare the plugin with PLUGBOARD_PLUGIN(name, version) from plugboard.h (docs/abi.md for other languages); to call an ordinary library, use openLibrary() with declared signatures",
        });
    }
    if (plugin.length > 1) {
        throw badMetadata(path, "exactly one PLUGBOARD_PLUGIN note", `${plugin.length}`);
    }
    const identity = fields(plugin[0].desc, path);
    const abi = parseVersionPair(identity.get("abi") ?? "");
    if (!abi) {
        throw badMetadata(path, "an abi=MAJOR.MINOR field", JSON.stringify(identity.get("abi") ?? ""));
    }
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
                ? `rebuild the plugin against plugboard.h ${hostAbi.major}.x (PLUGBOARD_ABI_MAJOR ${hostAbi.major})`
                : `upgrade the host to plugboard ABI ${formatVersionPair(abi)} or newer, or rebuild the plugin against plugboard.h ${formatVersionPair(hostAbi)}`,
        });
    }
    const name = required(identity, "name", path);
    if (!NAME.test(name)) {
        throw badMetadata(path, "a plugin name of 1 to 128 characters from [a-z0-9._-]", JSON.stringify(name));
    }
    const version = required(identity, "version", path);
    if (!parseSemVer(version) || !/^\d/.test(version) || version.trim() !== version) {
        throw badMetadata(path, "a semantic version MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], each number a safe integer", JSON.stringify(version.length > 60 ? version.slice(0, 60) + "…" : version));
    }
    const buildId = identity.get("build_id") ?? "";
    const author = readAuthor(identity.get("author"), path);
    const declaredCompiler = identity.get("compiler");
    const toolchain = resolveCompiler(source.comment ?? [], declaredCompiler);
    const structs = readStructs(notes, path);
    const ifaceBySymbol = new Map();
    for (const n of notes.filter((n) => n.type === NOTE_INTERFACE)) {
        const f = fields(n.desc, path);
        const symbol = required(f, "symbol", path);
        const id = required(f, "id", path);
        const v = parseVersionPair(f.get("version") ?? "");
        if (!v) {
            throw badMetadata(path, `interface "${id}" version MAJOR.MINOR`, f.get("version") ?? "");
        }
        if (ifaceBySymbol.has(symbol))
            throw badMetadata(path, "unique interface names", symbol);
        ifaceBySymbol.set(symbol, { id, version: v });
    }
    const functions = new Map();
    const bySymbol = new Map();
    for (const n of notes.filter((n) => n.type === NOTE_FUNCTION)) {
        const f = fields(n.desc, path);
        const iface = required(f, "interface", path);
        let sig;
        try {
            sig = parseSignature((f.get("fallible") === "1" ? "fallible " : "") + required(f, "signature", path));
        }
        catch (e) {
            const detail = e instanceof PluginError ? e.summary : String(e);
            throw badMetadata(path, "signatures over pb_ types", detail, e);
        }
        const owner = ifaceBySymbol.get(iface);
        if (!owner)
            throw badMetadata(path, `a declared interface "${iface}"`, "none");
        if (functions.has(sig.name))
            throw badMetadata(path, "unique function names", sig.name);
        for (const used of structsUsed(sig)) {
            if (!structs.has(used)) {
                throw badMetadata(path, `a layout of struct ${used}, which "${sig.name}" passes by value (PLUGBOARD_STRUCT(${used}, ...))`, "none");
            }
        }
        functions.set(sig.name, Object.freeze({ ...sig, interface: owner.id }));
        const list = bySymbol.get(iface);
        if (list)
            list.push(sig);
        else
            bySymbol.set(iface, [sig]);
    }
    const interfaces = [];
    for (const [symbol, { id, version }] of ifaceBySymbol) {
        const fns = (bySymbol.get(symbol) ?? []).sort((a, b) => a.name < b.name ? -1 : 1);
        interfaces.push(Object.freeze({
            id,
            version,
            symbol,
            functions: Object.freeze(fns),
            hash: interfaceHash(id, version, fns),
        }));
    }
    interfaces.sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    const hooks = { init: false, shutdown: false };
    for (const n of notes.filter((n) => n.type === NOTE_HOOK)) {
        const hook = fields(n.desc, path).get("hook");
        if (hook === "init" || hook === "shutdown")
            hooks[hook] = true;
    }
    return Object.freeze({
        abi,
        name,
        version,
        buildId,
        author,
        compiler: toolchain.compiler,
        compilerSource: toolchain.source,
        declaredCompiler,
        commentCompilers: toolchain.commentCompilers,
        interfaces: Object.freeze(interfaces),
        functions,
        hooks: Object.freeze(hooks),
        structs,
    });
});
export var interfaceHash = (function interfaceHash(id, version, functions) {
    const lines = [`${id}/${formatVersionPair(version)}`];
    for (const s of [...functions].sort((a, b) => a.name < b.name ? -1 : 1)) {
        lines.push(canonicalSignature(s));
    }
    return sha256Text(lines.join("\n"));
});
var fields = (function fields(desc, path) {
    const out = new Map();
    for (const [key, value] of lines(desc, path)) {
        if (out.has(key))
            throw badMetadata(path, `each key once in a record`, `a second "${key}="`);
        out.set(key, value);
    }
    return out;
});
var lines = (function lines(desc, path) {
    const end = desc.indexOf(0);
    let text;
    try {
        text = decoder.decode(end === -1 ? desc : desc.subarray(0, end));
    }
    catch (e) {
        throw badMetadata(path, "records in UTF-8", "invalid UTF-8 bytes", e);
    }
    const out = [];
    for (const line of text.split("\n")) {
        if (line === "")
            continue;
        const eq = line.indexOf("=");
        if (eq <= 0)
            throw badMetadata(path, "key=value lines", JSON.stringify(line));
        if (CONTROL.test(line)) {
            throw badMetadata(path, "text without control characters", JSON.stringify(line.slice(0, 80)));
        }
        out.push([line.slice(0, eq), line.slice(eq + 1)]);
    }
    return out;
});
var readAuthor = (function readAuthor(value, path) {
    if (value === undefined || value === "")
        return undefined;
    const bytes = new TextEncoder().encode(value).length;
    if (bytes > MAX_AUTHOR_BYTES || CONTROL.test(value) || value.trim() !== value) {
        const shown = value.length > 60 ? value.slice(0, 60) + "…" : value;
        throw badMetadata(path, `an author of at most ${MAX_AUTHOR_BYTES} bytes of UTF-8, without control characters or spaces around it`, `${JSON.stringify(shown)} (${bytes} bytes)`);
    }
    return value;
});
var readStructs = (function readStructs(notes, path) {
    const out = new Map();
    const texts = new Map();
    for (const n of notes) {
        if (n.type !== NOTE_STRUCT)
            continue;
        const entries = lines(n.desc, path);
        const get = (key) => entries.find(([k]) => k === key)?.[1];
        const name = get("struct") ?? "";
        const bad = (expected, found) => badMetadata(path, `struct ${name || "?"}: ${expected}`, found);
        if (!IDENT.test(name)) {
            throw badMetadata(path, 'a struct note whose "struct" is a C identifier', JSON.stringify(name));
        }
        const size = get("size") ?? "";
        const align = get("align") ?? "";
        if (!DECIMAL.test(size) || +size < 1 || +size > MAX_STRUCT_SIZE) {
            throw bad(`a size from 1 to ${MAX_STRUCT_SIZE}`, JSON.stringify(size));
        }
        if (!DECIMAL.test(align) || +align < 1 || (+align & (+align - 1)) !== 0 || +size % +align) {
            throw bad(`a power-of-two alignment dividing the size ${size}`, JSON.stringify(align));
        }
        const fields = [];
        for (const [key, value] of entries) {
            if (key !== "field")
                continue;
            const parts = value.split(" ");
            const [field, offset, fsize, type] = parts;
            if (parts.length !== 4 || !IDENT.test(field) || !DECIMAL.test(offset) ||
                !DECIMAL.test(fsize) || !Object.hasOwn(NOTE_FIELD_SIZES, type)) {
                throw bad("fields as `field=NAME OFFSET SIZE TYPE`", JSON.stringify(value));
            }
            const previous = fields[fields.length - 1];
            const start = previous ? previous.offset + previous.size : 0;
            if (+offset < start || +offset + +fsize > +size || +fsize < 1 ||
                (NOTE_FIELD_SIZES[type] !== 0 && NOTE_FIELD_SIZES[type] !== +fsize) ||
                fields.some((f) => f.name === field) || fields.length === MAX_STRUCT_FIELDS) {
                throw bad(`at most ${MAX_STRUCT_FIELDS} uniquely named fields, in order, inside its ${size} bytes, each of its type's size`, JSON.stringify(value));
            }
            fields.push(Object.freeze({ name: field, offset: +offset, size: +fsize, type }));
        }
        if (fields.length === 0)
            throw bad("at least one field", "none");
        const text = entries.map(([k, v]) => `${k}=${v}`).join("\n");
        const seen = texts.get(name);
        if (seen !== undefined) {
            if (seen === text)
                continue;
            throw bad("one layout per struct", "two different layouts (translation units built from different definitions)");
        }
        texts.set(name, text);
        out.set(name, Object.freeze({ name, size: +size, align: +align, fields: Object.freeze(fields) }));
    }
    return out;
});
var required = (function required(f, key, path) {
    const v = f.get(key);
    if (v === undefined || v === "")
        throw badMetadata(path, `a "${key}" field`, "none");
    return v;
});
var badMetadata = (function badMetadata(path, expected, found, cause) {
    return new LoadError("BAD_METADATA", {
        path,
        what: "malformed plugboard metadata",
        expected,
        found,
        hint: HEADER_HINT,
        cause,
    });
});
export const NOTE_OWNER = "plugboard";
export const NOTE_PLUGIN = 1;
export const NOTE_INTERFACE = 2;
export const NOTE_FUNCTION = 3;
export const NOTE_HOOK = 4;
export const NOTE_STRUCT = 5;
const HEADER_HINT = "rebuild the plugin with plugboard's SDK (plugboard.h, or the Rust or Go SDK); the records are specified in docs/abi.md";
const NAME = /^[a-z0-9._-]{1,128}$/;
const MAX_AUTHOR_BYTES = 256;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const decoder = new TextDecoder("utf-8", { fatal: true });
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DECIMAL = /^(?:0|[1-9][0-9]{0,9})$/;
const NOTE_FIELD_SIZES = Object.freeze({
    bool: 1,
    i8: 1,
    u8: 1,
    i16: 2,
    u16: 2,
    i32: 4,
    u32: 4,
    i64: 8,
    u64: 8,
    isize: 8,
    usize: 8,
    f32: 4,
    f64: 8,
    pointer: 8,
    struct: 0,
    bytes: 0,
});
const MAX_STRUCT_SIZE = 1 << 30;
const MAX_STRUCT_FIELDS = 1024;
