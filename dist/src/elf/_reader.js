// Generated from src/elf/_reader.ts by tasks/dist.ts (deno task dist): do not edit.
import { LoadError } from "../errors/plugin_error.js";
export var createReader = (function createReader(bytes, path) {
    return {
        path,
        bytes,
        view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        size: bytes.length,
        le: true,
        nameBudget: 4 * bytes.length + 65536,
    };
});
export var u16 = (function u16(r, offset) {
    return r.view.getUint16(offset, r.le);
});
export var u32 = (function u32(r, offset) {
    return r.view.getUint32(offset, r.le);
});
export var u64 = (function u64(r, offset) {
    const lo = r.view.getUint32(offset + (r.le ? 0 : 4), r.le);
    const hi = r.view.getUint32(offset + (r.le ? 4 : 0), r.le);
    return hi * 4294967296 + lo;
});
export var fail = (function fail(r, code, what, expected, found, hint = MALFORMED_HINT) {
    throw new LoadError(code, { path: r.path, what, expected, found, hint });
});
export var malformed = (function malformed(r, part, expected, found) {
    return fail(r, "MALFORMED", `malformed ELF file (${part})`, expected, found);
});
export var readName = (function readName(r, table, offset, what) {
    const length = table.end - table.start;
    if (offset >= length) {
        if (offset === 0)
            return "";
        malformed(r, `name of ${what}`, `a string table offset below ${length}`, `${offset}`);
    }
    const start = table.start + offset;
    return decodeName(r, start, Math.min(table.end, start + MAX_NAME));
});
export var decodeName = (function decodeName(r, start, limit) {
    const b = r.bytes;
    let end = start;
    let ascii = true;
    while (end < limit && b[end] !== 0) {
        if (b[end] > 127)
            ascii = false;
        end++;
    }
    if (end === start)
        return "";
    r.nameBudget -= end - start;
    if (r.nameBudget < 0) {
        malformed(r, "string tables", `names totalling at most ${4 * r.size + 65536} bytes`, "more, from names that overlap");
    }
    if (ascii && end - start <= 64) {
        let name = "";
        for (let i = start; i < end; i++)
            name += String.fromCharCode(b[i]);
        return name;
    }
    return decoder.decode(b.subarray(start, end));
});
export const MAX_NAME = 4096;
export const MALFORMED_HINT = "the file is corrupt or was not produced by a standard linker; " +
    "rebuild the plugin with `cc -shared -fPIC`";
export const TRUNCATED_HINT = "the file was cut short (an interrupted build, copy or download); " +
    "rebuild it or copy it again";
const decoder = new TextDecoder("utf-8");
