// Generated from src/abi/values.ts by tasks/dist.ts (deno task dist): do not edit.
export var describeType = (function describeType(type) {
    switch (type) {
        case "i8":
            return "an integer from -128 to 127";
        case "u8":
            return "an integer from 0 to 255";
        case "i16":
            return "an integer from -32768 to 32767";
        case "u16":
            return "an integer from 0 to 65535";
        case "i32":
            return "an integer from -2147483648 to 2147483647";
        case "u32":
            return "an integer from 0 to 4294967295";
        case "u64":
        case "usize":
            return "a non-negative safe integer or a bigint below 2^64";
        case "i64":
        case "isize":
            return "a safe integer or a bigint in the 64-bit signed range";
        case "bool":
            return "a boolean";
        case "f32":
        case "f64":
            return "a number";
        case "cstring":
            return "a string without NUL characters";
        case "buffer":
            return "a Uint8Array";
        case "pointer":
            return "a pointer or null";
        default:
            return type.startsWith("struct ")
                ? `an object with the fields of ${type}, or a Uint8Array of its bytes`
                : "nothing (void)";
    }
});
export var fits = (function fits(t, v) {
    switch (t) {
        case "i8":
            return typeof v === "number" && ((v << 24) >> 24) === v;
        case "u8":
            return typeof v === "number" && (v & 0xff) === v;
        case "i16":
            return typeof v === "number" && ((v << 16) >> 16) === v;
        case "u16":
            return typeof v === "number" && (v & 0xffff) === v;
        case "i32":
            return typeof v === "number" && (v | 0) === v;
        case "u32":
            return typeof v === "number" && (v >>> 0) === v;
        case "f32":
        case "f64":
            return typeof v === "number";
        case "bool":
            return typeof v === "boolean";
        case "u64":
        case "usize":
            return typeof v === "bigint"
                ? v >= 0n && v <= MAX_U64
                : Number.isSafeInteger(v) && v >= 0;
        case "i64":
        case "isize":
            return typeof v === "bigint" ? v >= MIN_I64 && v <= MAX_I64 : Number.isSafeInteger(v);
        case "cstring":
            return typeof v === "string" && v.indexOf("\0") === -1;
        case "buffer":
            return v instanceof Uint8Array;
        case "pointer":
            return v === null || (typeof v === "object" && v !== null);
        default:
            return false;
    }
});
export var showValue = (function showValue(value) {
    const shown = typeof value === "string"
        ? JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)
        : typeof value === "bigint"
            ? `${value}n`
            : typeof value === "symbol"
                ? value.toString()
                : value instanceof Uint8Array
                    ? "a Uint8Array"
                    : shownObject(value);
    return `${typeof value} ${shown}`;
});
var shownObject = (function shownObject(value) {
    try {
        return String(value);
    }
    catch {
        return Object.getPrototypeOf(value) === null ? "[object with no prototype]" : "[object]";
    }
});
const MAX_U64 = (1n << 64n) - 1n;
const MIN_I64 = -(1n << 63n);
const MAX_I64 = (1n << 63n) - 1n;
