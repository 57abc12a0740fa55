// Generated from src/abi/signature.ts by tasks/dist.ts (deno task dist): do not edit.
import { PluginError } from "../errors/plugin_error.js";
export var parseSignature = (function parseSignature(text) {
    if (text.length > MAX_SIGNATURE_LENGTH) {
        throw bad(text.slice(0, 60) + "…", `expected at most ${MAX_SIGNATURE_LENGTH} characters, found ${text.length}`);
    }
    let rest = text.trim().replace(/\s+/g, " ");
    let fallible = false;
    let nonblocking = false;
    for (;;) {
        if (rest.startsWith("fallible ")) {
            fallible = true;
            rest = rest.slice(9);
        }
        else if (rest.startsWith("nonblocking ")) {
            nonblocking = true;
            rest = rest.slice(12);
        }
        else
            break;
    }
    const m = /^((?:struct )?[A-Za-z_][A-Za-z0-9_]*)(?: ?\* ?| )([A-Za-z_][A-Za-z0-9_]*) ?\((.*)\)$/
        .exec(rest);
    if (!m)
        throw bad(text, "expected the form `TYPE NAME(TYPE [NAME], ...)`");
    const result = typeName(m[1], text);
    const inner = m[3].trim();
    const parameters = [];
    const parameterNames = [];
    if (inner !== "" && inner !== "void") {
        for (const part of inner.split(",")) {
            const words = part.trim().split(" ");
            if (words[0] === "struct" && words.length > 1)
                words.splice(0, 2, `struct ${words[1]}`);
            if (words.length > 2 || (words.length === 2 && !IDENT.test(words[1]))) {
                throw bad(text, `parameter ${JSON.stringify(part.trim())} is not \`TYPE [NAME]\``);
            }
            const t = typeName(words[0], text);
            if (t === "void")
                throw bad(text, "a parameter cannot be void");
            parameters.push(t);
            parameterNames.push(words[1] ?? "");
        }
    }
    if (result === "buffer") {
        throw bad(text, "buffer is an argument type only; return a pointer instead");
    }
    return Object.freeze({
        name: m[2],
        result,
        parameters: Object.freeze(parameters),
        parameterNames: Object.freeze(parameterNames),
        fallible,
        nonblocking,
    });
});
export var canonicalSignature = (function canonicalSignature(sig) {
    return `${sig.fallible ? "fallible " : ""}${sig.result} ${sig.name}(${sig.parameters.join(", ")})`;
});
export var declaredSignature = (function declaredSignature(sig) {
    const params = sig.parameters.map((t, i) => {
        const name = sig.parameterNames?.[i];
        return name ? `${t} ${name}` : t;
    });
    return `${sig.fallible ? "fallible " : ""}${sig.result} ${sig.name}(${params.join(", ")})`;
});
var typeName = (function typeName(word, text) {
    if (word.startsWith("struct ")) {
        if (IDENT.test(word.slice(7)))
            return word;
        throw bad(text, `${JSON.stringify(word)} is not \`struct NAME\` with NAME a C identifier`);
    }
    const t = word.startsWith("pb_") ? word.slice(3) : word;
    if (TYPE_NAMES.includes(t))
        return t;
    throw bad(text, `unknown type ${JSON.stringify(word)}; use one of ${TYPE_NAMES.map((n) => `pb_${n}`).join(", ")}, or struct NAME`);
});
export var structsUsed = (function structsUsed(sig) {
    const out = [];
    for (const t of [sig.result, ...sig.parameters]) {
        if (t.startsWith("struct ") && !out.includes(t.slice(7)))
            out.push(t.slice(7));
    }
    return out;
});
var bad = (function bad(text, detail) {
    return new PluginError("BAD_METADATA", `Invalid signature ${JSON.stringify(text)}: ${detail}`, {
        hint: "declare functions with PLUGBOARD_FN(iface, pb_TYPE, name, (pb_TYPE a, ...)) from plugboard.h (the grammar: docs/abi.md)",
    });
});
export const TYPE_NAMES = Object.freeze([
    "void",
    "bool",
    "i8",
    "u8",
    "i16",
    "u16",
    "i32",
    "u32",
    "i64",
    "u64",
    "isize",
    "usize",
    "f32",
    "f64",
    "pointer",
    "buffer",
    "cstring",
]);
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const MAX_SIGNATURE_LENGTH = 4096;
