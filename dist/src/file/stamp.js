// Generated from src/file/stamp.ts by tasks/dist.ts (deno task dist): do not edit.
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, getFileCalls, STATX_BASIC_STATS, } from "./libc.js";
export var lstamp = (function lstamp(path) {
    return viaStatx(path, AT_SYMLINK_NOFOLLOW) ?? stampOf(Deno.lstatSync(path));
});
export var stamp = (function stamp(path) {
    return viaStatx(path, 0) ?? stampOf(Deno.statSync(path));
});
export var fdStamp = (function fdStamp(calls, fd) {
    if (calls.statx(fd, EMPTY, AT_EMPTY_PATH, STATX_BASIC_STATS, buf) !== 0)
        return undefined;
    return decode();
});
export var stampOf = (function stampOf(info) {
    return {
        dev: info.dev,
        ino: info.ino ?? -1,
        size: info.size,
        mode: info.mode ?? 0,
        uid: info.uid ?? -1,
        mtimeMs: info.mtime?.getTime() ?? -1,
        ctimeMs: info.ctime?.getTime() ?? -1,
        isFile: info.isFile,
        isSymlink: info.isSymlink,
        isDirectory: info.isDirectory,
    };
});
var viaStatx = (function viaStatx(path, flags) {
    const calls = getFileCalls();
    if (!calls || path.includes("\0"))
        return undefined;
    if (Deno.permissions.querySync({ name: "read", path }).state !== "granted")
        return undefined;
    if (path.length * 3 + 1 > pathBuf.length)
        pathBuf = new Uint8Array(path.length * 3 + 1);
    const { written } = encoder.encodeInto(path, pathBuf);
    pathBuf[written] = 0;
    if (calls.statx(AT_FDCWD, pathBuf, flags, STATX_BASIC_STATS, buf) !== 0)
        return undefined;
    return decode();
});
var decode = (function decode() {
    const mode = view.getUint16(28, true);
    const type = mode & S_IFMT;
    return {
        dev: view.getUint32(136, true) * 0x100000000 + view.getUint32(140, true),
        ino: Number(view.getBigUint64(32, true)),
        size: Number(view.getBigUint64(40, true)),
        mode,
        uid: view.getUint32(20, true),
        mtimeMs: time(112),
        ctimeMs: time(96),
        isFile: type === 0o100000,
        isSymlink: type === 0o120000,
        isDirectory: type === 0o040000,
    };
});
var time = (function time(offset) {
    return Number(view.getBigInt64(offset, true)) * 1000 + view.getUint32(offset + 8, true) / 1e6;
});
const S_IFMT = 0o170000;
const buf = new Uint8Array(256);
const view = new DataView(buf.buffer);
let pathBuf = new Uint8Array(4096);
const encoder = new TextEncoder();
const EMPTY = new Uint8Array(1);
