// Generated from src/abi/struct_type.ts by tasks/dist.ts (deno task dist): do not edit.
import { PluginError } from "../errors/plugin_error.js";
import { describeType, fits, showValue } from "./values.js";
export var struct = (function struct(name, fields) {
    const usage = (detail, hint) => new PluginError("USAGE", `Invalid struct ${JSON.stringify(name)}: ${detail}`, { hint });
    if (typeof name !== "string" || !IDENT.test(name)) {
        throw usage("expected a C identifier as its name", 'name it as its C tag: struct("point", ...) for struct point');
    }
    const entries = Object.entries(fields ?? {});
    if (entries.length === 0 || entries.length > MAX_FIELDS) {
        throw usage(`expected 1 to ${MAX_FIELDS} fields, found ${entries.length}`, "declare every field of the C struct, in order");
    }
    const layout = [];
    const codecs = [];
    let offset = 0;
    let align = 1;
    for (const [field, type] of entries) {
        if (!IDENT.test(field)) {
            throw usage(`field ${JSON.stringify(field)} is not a C identifier`, "name each field as in the C struct");
        }
        let size;
        let fieldAlign;
        let typeName;
        if (typeof type === "string" && Object.hasOwn(SCALAR_SIZES, type)) {
            size = fieldAlign = SCALAR_SIZES[type];
            typeName = type;
        }
        else if (isStructType(type)) {
            size = type.size;
            fieldAlign = type.align;
            typeName = `struct ${type.name}`;
        }
        else {
            throw usage(`field ${JSON.stringify(field)} has type ${typeof type === "string" ? JSON.stringify(type) : typeof type}`, `use one of ${Object.keys(SCALAR_SIZES).join(", ")}, or another struct(...)`);
        }
        offset = alignUp(offset, fieldAlign);
        layout.push(Object.freeze({ name: field, offset, size, type: typeName }));
        codecs.push({
            name: field,
            offset,
            type: typeof type === "string" ? type : undefined,
            nested: typeof type === "string" ? undefined : type,
        });
        offset += size;
        align = Math.max(align, fieldAlign);
    }
    const size = alignUp(offset, align);
    const ffi = Object.freeze({
        struct: Object.freeze(entries.map(([, t]) => typeof t === "string" ? t : t.ffi)),
    });
    const codec = compile(codecs);
    const self = Object.freeze({
        name,
        size,
        align,
        fields: Object.freeze(layout),
        declaration: fields,
        ffi,
        encode(value) {
            const out = new Uint8Array(size);
            if (!codec.write(value, new DataView(out.buffer), 0))
                encodeError(self, value);
            return out;
        },
        encodeInto(value, target, at = 0) {
            checkRoom(self, target, at, "encode into");
            const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
            if (!codec.write(value, view, at))
                encodeError(self, value);
        },
        decode(bytes, at = 0) {
            checkRoom(self, bytes, at, "decode");
            return codec.read(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), at);
        },
    });
    codecsOf.set(self, codecs);
    compiled.set(self, codec);
    return self;
});
export var codecOf = (function codecOf(type) {
    const c = compiled.get(type);
    if (!c)
        throw new Error("unreachable: a struct type not made by struct()");
    return c;
});
var compile = (function compile(codecs) {
    const env = {
        fits,
        pointerValue: (p) => p === null ? 0n : BigInt(Deno.UnsafePointer.value(p)),
        pointerOf: (v) => Deno.UnsafePointer.create(v),
    };
    const le = String(LITTLE_ENDIAN);
    const write = [
        'if (typeof v !== "object" || v === null || v instanceof Uint8Array) return false;',
    ];
    const read = [];
    codecs.forEach((c, i) => {
        const f = `f${i}`;
        const at = `at + ${c.offset}`;
        write.push(`const ${f} = v.${c.name};`);
        if (c.nested) {
            env[`n${i}`] = codecOf(c.nested);
            write.push(`if (!n${i}.write(${f}, view, ${at})) return false;`);
            read.push(`${c.name}: n${i}.read(view, ${at})`);
            return;
        }
        const t = c.type;
        const check = CHECKS[t];
        write.push(`if (!(${check ? check(f) : `fits("${t}", ${f})`})) return false;`);
        const set = SETTERS[t];
        if (t === "bool")
            write.push(`view.setUint8(${at}, ${f} ? 1 : 0);`);
        else if (t === "pointer")
            write.push(`view.${set}(${at}, pointerValue(${f}), ${le});`);
        else if (set.startsWith("setBig"))
            write.push(`view.${set}(${at}, BigInt(${f}), ${le});`);
        else
            write.push(`view.${set}(${at}, ${f}, ${le});`);
        const get = set.replace("set", "get");
        read.push(t === "bool"
            ? `${c.name}: view.getUint8(${at}) !== 0`
            : t === "pointer"
                ? `${c.name}: pointerOf(view.getBigUint64(${at}, ${le}))`
                : `${c.name}: view.${get}(${at}, ${le})`);
    });
    write.push("return true;");
    const names = Object.keys(env);
    const source = `"use strict";\nreturn {\n  write(v, view, at) {\n    ${write.join("\n    ")}\n  },\n  read(view, at) {\n    return { ${read.join(", ")} };\n  },\n};`;
    return new Function(...names, source)(...names.map((n) => env[n]));
});
var encodeError = (function encodeError(type, value) {
    throw new PluginError("INVALID_ARGUMENT", `Cannot encode struct "${type.name}": ${structValueProblem(type, value) ?? `found ${showValue(value)}`}`, { hint: "pass a value of the declared type for every field" });
});
export var structFromLayout = (function structFromLayout(layout) {
    const fields = {};
    for (const f of layout.fields) {
        if (!Object.hasOwn(SCALAR_SIZES, f.type)) {
            throw new PluginError("USAGE", `struct ${layout.name} has field "${f.name}" of type ${f.type}, which its recorded layout does not describe field by field`, { hint: `declare struct ${layout.name} on the host with struct(...)` });
        }
        fields[f.name] = f.type;
    }
    const t = struct(layout.name, fields);
    const d = compareLayouts(t, layout);
    if (d) {
        throw new PluginError("USAGE", `struct ${layout.name} is not laid out as C lays out its fields (packed or over-aligned), which Deno FFI cannot pass by value: expected ${d.expected}, found ${d.found}`, { hint: "pass a pointer to the struct instead" });
    }
    return t;
});
export var isStructType = (function isStructType(value) {
    return typeof value === "object" && value !== null && codecsOf.has(value);
});
export var structValueProblem = (function structValueProblem(type, value) {
    if (typeof value !== "object" || value === null || value instanceof Uint8Array) {
        return `expected an object with the fields of struct ${type.name} (${type.fields.map((f) => f.name).join(", ")}), found ${showValue(value)}`;
    }
    for (const c of codecsOf.get(type) ?? []) {
        const v = value[c.name];
        if (c.nested) {
            const inner = structValueProblem(c.nested, v);
            if (inner !== undefined) {
                return inner.startsWith('field "')
                    ? `field "${c.name}.${inner.slice(7)}`
                    : `field "${c.name}": ${inner}`;
            }
        }
        else if (!fits(c.type, v)) {
            return `field "${c.name}" does not fit ${c.type}: expected ${describeType(c.type)}, found ${showValue(v)}`;
        }
    }
    return undefined;
});
var checkRoom = (function checkRoom(type, bytes, at, verb) {
    if (!(bytes instanceof Uint8Array) || !Number.isSafeInteger(at) || at < 0) {
        throw new PluginError("INVALID_ARGUMENT", `Cannot ${verb} struct "${type.name}": expected a Uint8Array and an offset from 0, found ${showValue(bytes)} and ${showValue(at)}`, { hint: `pass a Uint8Array of at least ${type.size} bytes` });
    }
    if (bytes.byteLength - at < type.size) {
        throw new PluginError("INVALID_ARGUMENT", `Cannot ${verb} struct "${type.name}": expected ${type.size} bytes from offset ${at}, found ${Math.max(0, bytes.byteLength - at)}`, { hint: `pass a Uint8Array of at least ${at + type.size} bytes` });
    }
});
var alignUp = (function alignUp(n, align) {
    return Math.ceil(n / align) * align;
});
export var compareLayouts = (function compareLayouts(expected, found) {
    const n = Math.max(expected.fields.length, found.fields.length);
    for (let i = 0; i < n; i++) {
        const e = expected.fields[i];
        const f = found.fields[i];
        if (e && f) {
            if (e.name !== f.name || comparable(e.type) !== comparable(f.type) || e.offset !== f.offset ||
                e.size !== f.size) {
                return { field: e.name, expected: describeField(e), found: describeField(f) };
            }
        }
        else if (e) {
            return {
                field: e.name,
                expected: describeField(e),
                found: `no field ${e.name}${i > 0 ? ` (struct ${found.name} ends after ${found.fields[i - 1].name})` : ""}`,
            };
        }
        else {
            return {
                field: f.name,
                expected: `no field after ${expected.fields[i - 1].name} (struct ${expected.name} ends at byte ${expected.size})`,
                found: describeField(f),
            };
        }
    }
    if (expected.size !== found.size || expected.align !== found.align) {
        return {
            field: undefined,
            expected: `${expected.size} bytes aligned to ${expected.align}`,
            found: `${found.size} bytes aligned to ${found.align}`,
        };
    }
    return undefined;
});
export var describeLayout = (function describeLayout(layout) {
    const fields = layout.fields.map((f) => `${f.type} ${f.name}${f.type === "struct" || f.type === "bytes" ? ` (${f.size} bytes)` : ""}; `).join("");
    return `struct ${layout.name} { ${fields}} (${layout.size} bytes, align ${layout.align})`;
});
var comparable = (function comparable(type) {
    if (type === "isize")
        return "i64";
    if (type === "usize")
        return "u64";
    if (type.startsWith("struct"))
        return "struct";
    return type;
});
var describeField = (function describeField(f) {
    const sized = f.type === "bytes" || f.type.startsWith("struct");
    return `${f.type} ${f.name} at offset ${f.offset}${sized ? ` (${f.size} bytes)` : ""}`;
});
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SCALAR_SIZES = Object.freeze({
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
});
const MAX_FIELDS = 32;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const codecsOf = new WeakMap();
const compiled = new WeakMap();
const CHECKS = {
    i8: (v) => `typeof ${v} === "number" && ((${v} << 24) >> 24) === ${v}`,
    u8: (v) => `typeof ${v} === "number" && (${v} & 0xff) === ${v}`,
    i16: (v) => `typeof ${v} === "number" && ((${v} << 16) >> 16) === ${v}`,
    u16: (v) => `typeof ${v} === "number" && (${v} & 0xffff) === ${v}`,
    i32: (v) => `typeof ${v} === "number" && (${v} | 0) === ${v}`,
    u32: (v) => `typeof ${v} === "number" && (${v} >>> 0) === ${v}`,
    f32: (v) => `typeof ${v} === "number"`,
    f64: (v) => `typeof ${v} === "number"`,
    bool: (v) => `typeof ${v} === "boolean"`,
};
const SETTERS = {
    bool: "setUint8",
    i8: "setInt8",
    u8: "setUint8",
    i16: "setInt16",
    u16: "setUint16",
    i32: "setInt32",
    u32: "setUint32",
    i64: "setBigInt64",
    u64: "setBigUint64",
    isize: "setBigInt64",
    usize: "setBigUint64",
    f32: "setFloat32",
    f64: "setFloat64",
    pointer: "setBigUint64",
};
