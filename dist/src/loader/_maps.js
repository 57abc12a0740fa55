// Generated from src/loader/_maps.ts by tasks/dist.ts (deno task dist): do not edit.
import { getFileCalls, O_CLOEXEC, O_RDONLY } from "../file/libc.js";
export var mappedFileAt = (function mappedFileAt(address) {
    const text = readMaps();
    if (text === undefined)
        return undefined;
    for (const line of text.split("\n")) {
        const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ [0-9a-f]+ ([0-9a-f]+:[0-9a-f]+) (\d+)/.exec(line);
        if (!m)
            continue;
        const start = BigInt(`0x${m[1]}`);
        const end = BigInt(`0x${m[2]}`);
        if (address >= start && address < end) {
            const ino = Number(m[4]);
            return ino === 0 ? undefined : { dev: m[3], ino };
        }
    }
    return undefined;
});
export var deviceTexts = (function deviceTexts(dev) {
    const d = BigInt(dev);
    const hex = (n) => n.toString(16).padStart(2, "0");
    const statx = `${hex(d >> 32n)}:${hex(d & 0xffffffffn)}`;
    const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
    const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn);
    return [statx, `${hex(major)}:${hex(minor)}`];
});
var readMaps = (function readMaps() {
    const calls = getFileCalls();
    if (!calls)
        return undefined;
    const fd = calls.open(new TextEncoder().encode("/proc/self/maps\0"), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return undefined;
    try {
        const chunks = [];
        let total = 0;
        for (;;) {
            const buf = new Uint8Array(64 * 1024);
            const n = Number(calls.read(fd, buf, BigInt(buf.length)));
            if (n < 0)
                return undefined;
            if (n === 0)
                break;
            total += n;
            if (total > MAX_MAPS_BYTES)
                return undefined;
            chunks.push(buf.subarray(0, n));
        }
        const all = new Uint8Array(total);
        let off = 0;
        for (const c of chunks) {
            all.set(c, off);
            off += c.length;
        }
        return new TextDecoder().decode(all);
    }
    finally {
        calls.close(fd);
    }
});
const MAX_MAPS_BYTES = 16 * 1024 * 1024;
