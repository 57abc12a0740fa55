// Generated from src/wasm/_custom.ts by tasks/dist.ts (deno task dist): do not edit.
import { hex, malformed } from "./_reader.js";
const MAX_OWNER = 4096;
const lenient = new TextDecoder("utf-8");
export function readNotes(r, start, end, notes) {
    for (let p = start; p < end;) {
        const left = end - p;
        if (left < 12)
            badNote(r, start, end, p, `${left} byte${left === 1 ? "" : "s"} left`);
        const namesz = r.view.getUint32(p, true);
        const descsz = r.view.getUint32(p + 4, true);
        const descOffset = 12 + alignUp(namesz);
        const descEnd = descOffset + descsz;
        if (descEnd > left)
            badNote(r, start, end, p, `namesz ${namesz} and descsz ${descsz}`);
        const size = Math.min(alignUp(descEnd), left);
        notes.push({
            owner: owner(r.bytes, p + 12, p + 12 + Math.min(namesz, MAX_OWNER)),
            type: r.view.getUint32(p + 8, true),
            desc: r.bytes.subarray(p + descOffset, p + descEnd),
            vaddr: -1,
            offset: p,
            size,
        });
        p += size;
    }
}
function owner(b, start, limit) {
    let end = start;
    while (end < limit && b[end] !== 0)
        end++;
    let s = "";
    for (let i = start; i < end; i++) {
        if (b[i] >= 0x80)
            return lenient.decode(b.subarray(start, end));
        s += String.fromCharCode(b[i]);
    }
    return s;
}
function badNote(r, start, end, p, found) {
    return malformed(r, `note at offset ${hex(p)} in the plugboard section at offset ${hex(start)}`, `a note record inside the section's ${end - start} bytes`, found);
}
function alignUp(n) {
    return Math.ceil(n / 4) * 4;
}
export function readNames(bytes, start, end) {
    const names = { module: undefined, dataSegments: new Map() };
    const at = { pos: start };
    while (at.pos < end) {
        const id = bytes[at.pos++];
        const size = leb(bytes, at, end);
        if (size === undefined || size > end - at.pos)
            break;
        const subEnd = at.pos + size;
        if (id === 0) {
            names.module = text(bytes, at, subEnd);
        }
        else if (id === 9) {
            const n = leb(bytes, at, subEnd);
            for (let i = 0; n !== undefined && i < n && at.pos < subEnd; i++) {
                const index = leb(bytes, at, subEnd);
                const name = text(bytes, at, subEnd);
                if (index === undefined || name === undefined)
                    break;
                names.dataSegments.set(index, name);
            }
        }
        at.pos = subEnd;
    }
    return names;
}
function leb(bytes, at, end) {
    let value = 0;
    for (let i = 0; i < 5 && at.pos < end; i++) {
        const x = bytes[at.pos++];
        value += (x & 0x7f) * 2 ** (7 * i);
        if ((x & 0x80) === 0)
            return value <= 4294967295 ? value : undefined;
    }
    return undefined;
}
function text(bytes, at, end) {
    const length = leb(bytes, at, end);
    if (length === undefined || length > end - at.pos)
        return undefined;
    const s = lenient.decode(bytes.subarray(at.pos, at.pos + length));
    at.pos += length;
    return s;
}
