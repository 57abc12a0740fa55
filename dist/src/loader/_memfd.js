// Generated from src/loader/_memfd.ts by tasks/dist.ts (deno task dist): do not edit.
import { ffiGranted, getFileCalls, getRareCalls } from "../file/libc.js";
import { LoadError } from "../errors/plugin_error.js";
export var assertFfi = (function assertFfi(path) {
    if (ffiGranted())
        return;
    throw new LoadError("PERMISSION_DENIED", {
        path,
        what: "Deno's permissions do not allow loading native code",
        expected: "--allow-ffi (without a path list: a list disables the pointer views plugboard needs)",
        found: "no FFI permission",
        hint: 'run Deno with --allow-ffi, or open it with { isolation: "process" }: the host then needs no FFI',
    });
});
var core = (function core() {
    const calls = getFileCalls();
    if (!calls)
        throw new Error("libc cannot be called: FFI is not granted");
    return calls;
});
export var lastOsError = (function lastOsError() {
    const p = core().__errno_location();
    const errno = p ? new Deno.UnsafePointerView(p).getInt32() : 0;
    const s = getRareCalls().strerror(errno);
    return `${s ? Deno.UnsafePointerView.getCString(s) : "unknown error"} (errno ${errno})`;
});
export var sealedCopy = (function sealedCopy(name, bytes) {
    const c = core();
    const nameBytes = new TextEncoder().encode(`plugboard:${name}\0`);
    const fd = c.memfd_create(nameBytes, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        throw new Error(`memfd_create failed: ${lastOsError()}`);
    try {
        let off = 0;
        while (off < bytes.length) {
            const n = Number(c.write(fd, bytes.subarray(off), BigInt(bytes.length - off)));
            if (n <= 0)
                throw new Error(`write to memfd failed: ${lastOsError()}`);
            off += n;
        }
        if (c.fcntl(fd, F_ADD_SEALS, SEALS_ALL) !== 0) {
            throw new Error(`sealing the memfd failed: ${lastOsError()}`);
        }
    }
    catch (e) {
        c.close(fd);
        throw e;
    }
    const moved = [];
    let current = fd;
    try {
        while (isNameLoaded(`/proc/self/fd/${current}`)) {
            moved.push(current);
            current = c.fcntl(current, F_DUPFD_CLOEXEC, current + 1);
            if (current < 0)
                throw new Error(`fcntl(F_DUPFD) failed: ${lastOsError()}`);
        }
    }
    finally {
        for (const m of moved)
            c.close(m);
    }
    return { fd: current, path: `/proc/self/fd/${current}` };
});
export var isNameLoaded = (function isNameLoaded(name) {
    const c = core();
    const handle = c.dlopen(new TextEncoder().encode(name + "\0"), RTLD_LAZY | RTLD_NOLOAD);
    if (handle === null)
        return false;
    c.dlclose(handle);
    return true;
});
export var closeFd = (function closeFd(fd) {
    core().close(fd);
});
export var objectBase = (function objectBase(addr) {
    const info = new BigUint64Array(4);
    if (core().dladdr(addr, new Uint8Array(info.buffer)) === 0)
        return undefined;
    return info[1];
});
export var safeRead = (function safeRead(address, length) {
    if (address <= 0n || length <= 0)
        return length === 0 ? new Uint8Array(0) : undefined;
    const out = new Uint8Array(length);
    const local = new BigUint64Array(2);
    local[0] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(out)));
    local[1] = BigInt(length);
    const remote = new BigUint64Array([address, BigInt(length)]);
    const n = Number(core().process_vm_readv(Deno.pid, new Uint8Array(local.buffer), 1n, new Uint8Array(remote.buffer), 1n, 0n));
    return n === length ? out : undefined;
});
const MFD_CLOEXEC = 0x1;
const F_DUPFD_CLOEXEC = 1030;
const RTLD_LAZY = 1;
const RTLD_NOLOAD = 4;
const MFD_ALLOW_SEALING = 0x2;
const F_ADD_SEALS = 1033;
const SEALS_ALL = 0x1 | 0x2 | 0x4 | 0x8;
