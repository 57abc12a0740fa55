// Generated from src/abi/define_interface.ts by tasks/dist.ts (deno task dist): do not edit.
import { LoadError, PluginError } from "../errors/plugin_error.js";
import { formatVersionPair, parseVersionPair } from "./abi_version.js";
import { canonicalSignature, parseSignature, structsUsed, } from "./signature.js";
import { compareLayouts, describeLayout, isStructType, } from "./struct_type.js";
export var defineInterface = (function defineInterface(id, version, declarations, options = {}) {
    const v = parseVersionPair(version);
    if (!v) {
        throw new PluginError("USAGE", `Invalid interface version ${JSON.stringify(version)}`, {
            hint: 'write it as "MAJOR.MINOR", e.g. "1.0"',
        });
    }
    const layouts = options.layouts ?? "required";
    if (layouts !== "required" && layouts !== "when-declared") {
        throw new PluginError("USAGE", `Invalid option "layouts": ${JSON.stringify(layouts)}`, {
            hint: 'use "required" or "when-declared"',
        });
    }
    const structs = structRecord(options.structs ?? []);
    return Object.freeze({
        id,
        version: v,
        declarations,
        signatures: parseDeclarations(declarations, structs),
        structs: structs,
        layouts,
    });
});
export var structRecord = (function structRecord(list) {
    const out = {};
    const add = (t) => {
        if (!isStructType(t)) {
            throw new PluginError("USAGE", 'Invalid option "structs": expected struct types', {
                hint: 'make each with struct(name, fields), e.g. struct("point", { x: "i32", y: "i32" })',
            });
        }
        const seen = out[t.name];
        if (seen === t)
            return;
        if (seen !== undefined) {
            throw new PluginError("USAGE", `Two different declarations of struct ${JSON.stringify(t.name)}`, { hint: "declare each struct once and share the declaration" });
        }
        out[t.name] = t;
        for (const f of Object.values(t.declaration))
            if (typeof f !== "string")
                add(f);
    };
    if (!Array.isArray(list))
        add(list);
    for (const t of list)
        add(t);
    return Object.freeze(out);
});
export var parseDeclarations = (function parseDeclarations(declarations, structs) {
    const out = new Map();
    for (const [key, text] of Object.entries(declarations)) {
        let sig;
        try {
            sig = parseSignature(text);
        }
        catch (e) {
            throw new PluginError("USAGE", e.summary, {
                hint: e.hint,
                cause: e,
            });
        }
        if (sig.name !== key) {
            throw new PluginError("USAGE", `Declaration ${JSON.stringify(key)} names function ${JSON.stringify(sig.name)}`, { hint: `use the function's name as the key: { ${sig.name}: ${JSON.stringify(text)} }` });
        }
        if (key === "then") {
            throw new PluginError("USAGE", 'Cannot bind a function named "then": expected a name JavaScript does not reserve, found "then", which makes the functions object look like a Promise to `await`', {
                hint: "export the function under another name as well (e.g. then_), and declare that one",
            });
        }
        const used = structsUsed(sig);
        if (structs && used.length > 0) {
            const layouts = new Map();
            for (const name of used) {
                const t = Object.hasOwn(structs, name) ? structs[name] : undefined;
                if (!t) {
                    throw new PluginError("USAGE", `Declaration ${JSON.stringify(key)} passes struct ${name}, which is not declared`, {
                        hint: `declare it and pass it with the declarations: { structs: [struct("${name}", { ... })] }`,
                    });
                }
                layouts.set(name, t);
            }
            sig = Object.freeze({ ...sig, structs: layouts });
        }
        out.set(key, sig);
    }
    return out;
});
export var checkInterface = (function checkInterface(meta, spec, path) {
    const wanted = `${spec.id}/${formatVersionPair(spec.version)}`;
    const found = meta.interfaces.find((i) => i.id === spec.id);
    if (!found) {
        const has = meta.interfaces.map((i) => `${i.id}/${formatVersionPair(i.version)}`);
        throw new LoadError("INTERFACE_MISSING", {
            path,
            what: `plugin "${meta.name}" does not provide interface "${spec.id}"`,
            expected: wanted,
            found: has.length ? has.join(", ") : "no interfaces",
            hint: `implement ${spec.id} in the plugin (PLUGBOARD_INTERFACE(..., "${spec.id}", ${spec.version.major}, ${spec.version.minor})) or load a plugin that does`,
        });
    }
    const got = `${found.id}/${formatVersionPair(found.version)}`;
    if (found.version.major !== spec.version.major) {
        throw new LoadError("INTERFACE_MISMATCH", {
            path,
            what: `interface "${spec.id}" major version mismatch`,
            expected: wanted,
            found: got,
            hint: found.version.major > spec.version.major
                ? `update the host to ${spec.id}/${found.version.major}.x, or use a plugin built for ${wanted}`
                : `rebuild the plugin against ${spec.id} ${spec.version.major}.x`,
        });
    }
    const byName = new Map(found.functions.map((f) => [f.name, f]));
    const missing = [...spec.signatures.keys()].filter((n) => !byName.has(n));
    if (found.version.minor < spec.version.minor || missing.length > 0) {
        throw new LoadError("INTERFACE_MISMATCH", {
            path,
            what: `interface "${spec.id}" is older than the host needs`,
            expected: `${wanted} with ${[...spec.signatures.keys()].join(", ")}`,
            found: `${got}${missing.length ? ` without ${missing.join(", ")}` : ""}`,
            hint: `rebuild the plugin against ${wanted} or newer`,
        });
    }
    for (const [name, sig] of spec.signatures) {
        const theirs = byName.get(name);
        const a = canonicalSignature(sig);
        const b = canonicalSignature(theirs);
        if (a !== b) {
            throw new LoadError("SIGNATURE_MISMATCH", {
                path,
                what: `function "${name}" of interface "${spec.id}" has another signature`,
                expected: a,
                found: b,
                hint: sig.fallible !== theirs.fallible
                    ? `declare it ${theirs.fallible ? "with" : "without"} "fallible" on the host, matching PLUGBOARD_${theirs.fallible ? "FALLIBLE_" : ""}FN in the plugin`
                    : `host and plugin disagree on ${spec.id}/${spec.version.major}; a changed signature needs a new interface major: rebuild the plugin from the same interface definition as the host, or update the host's declaration`,
            });
        }
    }
    checkStructs(meta, spec.structs, path, {
        interfaceId: spec.id,
        required: spec.layouts === "required",
        byValue: new Set([...spec.signatures.values()].flatMap(structsUsed)),
    });
    return found;
});
export var checkStructs = (function checkStructs(meta, structs, path, options = {}) {
    const of = options.interfaceId ? ` of interface "${options.interfaceId}"` : "";
    for (const expected of Object.values(structs)) {
        const found = meta.structs.get(expected.name);
        if (!found) {
            if (options.required === false && !options.byValue?.has(expected.name))
                continue;
            throw new LoadError("STRUCT_MISMATCH", {
                path,
                what: `struct "${expected.name}"${of} has no layout in plugin "${meta.name}"`,
                expected: describeLayout(expected),
                found: "no layout declared",
                hint: `record it in the plugin with PLUGBOARD_STRUCT(${expected.name}, ${expected.fields.map((f) => f.name).join(", ")}) after the struct's definition, and rebuild it${options.byValue?.has(expected.name)
                    ? ""
                    : '; to accept plugins without layouts, declare the interface with layouts: "when-declared"'}`,
            });
        }
        const d = compareLayouts(expected, found);
        if (!d)
            continue;
        throw new LoadError("STRUCT_MISMATCH", {
            path,
            what: d.field === undefined
                ? `struct "${expected.name}"${of} has another size or alignment`
                : `struct "${expected.name}"${of} differs at field "${d.field}"`,
            expected: d.expected,
            found: d.found,
            hint: `host and plugin were built from different definitions of struct ${expected.name}; rebuild the plugin against the interface's current header, or update the host's struct("${expected.name}", ...)`,
        });
    }
});
