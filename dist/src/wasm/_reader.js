// Generated from src/wasm/_reader.ts by tasks/dist.ts (deno task dist): do not edit.
import { LoadError } from "../errors/plugin_error.js";
export const MALFORMED_HINT = "the file is corrupt or was not produced by a standard " +
    "WebAssembly toolchain; rebuild the plugin with `clang --target=wasm32` and wasm-ld";
export const TRUNCATED_HINT = "the file was cut short (an interrupted build, copy or download); " +
    "rebuild it or copy it again";
export function createReader(bytes, path) {
    return {
        path,
        bytes,
        view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        size: bytes.length,
    };
}
export function hex(n) {
    return `0x${n.toString(16)}`;
}
export function fail(r, code, what, expected, found, hint = MALFORMED_HINT) {
    throw new LoadError(code, { path: r.path, what, expected, found, hint });
}
export function malformed(r, part, expected, found) {
    return fail(r, "MALFORMED", `malformed WebAssembly module (${part})`, expected, found);
}
export function pastEnd(r, c, what) {
    if (c.isFile) {
        return fail(r, "TRUNCATED", `truncated WebAssembly module (${c.where})`, `${what} at offset ${hex(c.pos)}`, `the end of the file at offset ${hex(r.size)}`, TRUNCATED_HINT);
    }
    return malformed(r, c.where, `${what} inside it`, `its end at offset ${hex(c.end)}`);
}
export function byte(r, c, what) {
    if (c.pos >= c.end)
        pastEnd(r, c, what);
    return r.bytes[c.pos++];
}
export function uleb(r, c, what, bits = 32) {
    const start = c.pos;
    const maxBytes = Math.ceil(bits / 7);
    const b = r.bytes;
    let value = 0;
    let scale = 1;
    for (let i = 0;; i++) {
        if (c.pos >= c.end)
            pastEnd(r, c, `a LEB128 integer (${what})`);
        const x = b[c.pos++];
        if (i === maxBytes - 1) {
            const usedBits = bits - 7 * i;
            if (x & 0x80) {
                malformed(r, `${what} at offset ${hex(start)}`, `a u${bits} LEB128 integer of at most ${maxBytes} bytes`, "a longer encoding");
            }
            if (x >> usedBits !== 0) {
                malformed(r, `${what} at offset ${hex(start)}`, `a u${bits} LEB128 integer (last byte below ${hex(1 << usedBits)})`, `last byte ${hex(x)}, a value of more than ${bits} bits`);
            }
        }
        value += (x & 0x7f) * scale;
        if ((x & 0x80) === 0)
            return value;
        scale *= 128;
    }
}
export function sleb(r, c, what, bits) {
    const start = c.pos;
    const maxBytes = Math.ceil(bits / 7);
    const b = r.bytes;
    let value = 0;
    let scale = 1;
    for (let i = 0;; i++) {
        if (c.pos >= c.end)
            pastEnd(r, c, `a LEB128 integer (${what})`);
        const x = b[c.pos++];
        if (i === maxBytes - 1) {
            const usedBits = bits - 7 * i;
            const rest = (x & 0x7f) >> (usedBits - 1);
            const allowed = 0x7f >> (usedBits - 1);
            if ((x & 0x80) || (rest !== 0 && rest !== allowed)) {
                malformed(r, `${what} at offset ${hex(start)}`, `an s${bits} LEB128 integer of at most ${maxBytes} bytes`, x & 0x80 ? "a longer encoding" : `last byte ${hex(x)}, a value of more than ${bits} bits`);
            }
        }
        value += (x & 0x7f) * scale;
        scale *= 128;
        if ((x & 0x80) === 0) {
            if (x & 0x40)
                value -= scale;
            return i < 7 ? value : undefined;
        }
    }
}
export function count(r, c, what, minBytes) {
    const n = uleb(r, c, `${what} count`);
    const left = c.end - c.pos;
    if (n * minBytes > left) {
        malformed(r, c.where, `at most ${Math.floor(left / minBytes)} ${what} in the ${left} byte${left === 1 ? "" : "s"} left`, `a count of ${n}`);
    }
    return n;
}
const utf8 = new TextDecoder("utf-8", { fatal: true });
export function name(r, c, what) {
    const start = c.pos;
    const length = uleb(r, c, `length of ${what}`);
    if (length > c.end - c.pos)
        pastEnd(r, c, `${length} bytes of ${what}`);
    const from = c.pos;
    c.pos += length;
    return decodeUtf8(r, from, c.pos, `${what} at offset ${hex(start)}`);
}
export function decodeUtf8(r, start, end, part) {
    const b = r.bytes;
    if (end - start <= 64) {
        let s = "";
        let i = start;
        for (; i < end && b[i] < 0x80; i++)
            s += String.fromCharCode(b[i]);
        if (i === end)
            return s;
    }
    try {
        return utf8.decode(b.subarray(start, end));
    }
    catch {
        return malformed(r, part, "UTF-8 text", "invalid UTF-8");
    }
}
export function expectEnd(r, c) {
    if (c.pos !== c.end) {
        const extra = c.end - c.pos;
        malformed(r, c.where, `its content to end at offset ${hex(c.end)}, as its size says`, `${extra} byte${extra === 1 ? "" : "s"} left over at offset ${hex(c.pos)}`);
    }
}
