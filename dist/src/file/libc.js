// Generated from src/file/libc.ts by tasks/dist.ts (deno task dist): do not edit.
var addressOf = (function addressOf(buf) {
    return Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf));
});
var syscallFileCalls = (function syscallFileCalls(symbols, nr) {
    const sys = symbols.syscall;
    const call = (n, a = 0, b = 0, c = 0, d = 0, e = 0, f = 0) => Number(sys(BigInt(n), BigInt(a), BigInt(b), BigInt(c), BigInt(d), BigInt(e), BigInt(f)));
    const pinned = [undefined, undefined];
    const release = (r) => {
        pinned[0] = pinned[1] = undefined;
        return r;
    };
    return {
        open: (path, flags) => {
            pinned[0] = path;
            return release(call(nr.openat, AT_FDCWD, addressOf(path), flags, 0));
        },
        read: (fd, buf, count) => {
            pinned[0] = buf;
            return release(call(nr.read, fd, addressOf(buf), count));
        },
        write: (fd, buf, count) => {
            pinned[0] = buf;
            return release(call(nr.write, fd, addressOf(buf), count));
        },
        close: (fd) => call(nr.close, fd),
        statx: (dirfd, path, flags, mask, out) => {
            pinned[0] = path;
            pinned[1] = out;
            return release(call(nr.statx, dirfd, addressOf(path), flags, mask, addressOf(out)));
        },
        fcntl: (fd, cmd, arg) => call(nr.fcntl, fd, cmd, arg),
        memfd_create: (name, flags) => {
            pinned[0] = name;
            return release(call(nr.memfd_create, addressOf(name), flags));
        },
        process_vm_readv: (pid, local, localCount, remote, remoteCount, flags) => {
            pinned[0] = local;
            pinned[1] = remote;
            return release(call(nr.process_vm_readv, pid, addressOf(local), localCount, addressOf(remote), remoteCount, flags));
        },
        kill: (pid, signal) => call(nr.kill, pid, signal),
        dlopen: (name, flags) => symbols.dlopen(name, flags),
        dlclose: (handle) => symbols.dlclose(handle),
        dladdr: (address, info) => symbols.dladdr(address, info),
        __errno_location: () => symbols.__errno_location(),
    };
});
export var getStrncmp = (function getStrncmp() {
    if (strncmpCall !== undefined)
        return strncmpCall;
    strncmpCall = null;
    if (getFileCalls() === null)
        return strncmpCall;
    try {
        strncmpCall = Deno.dlopen("libc.so.6", {
            strncmp: { parameters: ["pointer", "buffer", "usize"], result: "i32" },
        }).symbols.strncmp;
    }
    catch {
        strncmpCall = null;
    }
    return strncmpCall;
});
export var getRareCalls = (function getRareCalls() {
    rareCalls ??= Deno.dlopen("libc.so.6", RARE_CALLS).symbols;
    return rareCalls;
});
export var ffiGranted = (function ffiGranted() {
    try {
        return Deno.permissions.querySync({ name: "ffi" }).state === "granted";
    }
    catch {
        return false;
    }
});
export var getFileCalls = (function getFileCalls() {
    if (fileCalls !== undefined)
        return fileCalls;
    fileCalls = null;
    if (Deno.build.os !== "linux" || !ffiGranted())
        return fileCalls;
    const nr = SYSCALLS[Deno.build.arch];
    if (nr === undefined)
        return fileCalls;
    try {
        fileCalls = syscallFileCalls(Deno.dlopen("libc.so.6", CORE_SYMBOLS).symbols, nr);
    }
    catch {
        fileCalls = null;
    }
    return fileCalls;
});
export var errnoOf = (function errnoOf(calls) {
    const p = calls.__errno_location();
    return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32();
});
export var errnoName = (function errnoName(errno) {
    return ERRNO_NAMES[errno] ?? `errno ${errno}`;
});
export var signalProcess = (function signalProcess(pid, signal) {
    try {
        if (Deno.permissions.querySync({ name: "run" }).state === "granted") {
            Deno.kill(pid, signal);
            return true;
        }
    }
    catch {
        return false;
    }
    const calls = getFileCalls();
    return calls !== null && calls.kill(pid, signal === "SIGKILL" ? 9 : 15) === 0;
});
const CORE_SYMBOLS = {
    syscall: { parameters: ["i64", "i64", "i64", "i64", "i64", "i64", "i64"], result: "i64" },
    dlopen: { parameters: ["buffer", "i32"], result: "pointer" },
    dlclose: { parameters: ["pointer"], result: "i32" },
    dladdr: { parameters: ["pointer", "buffer"], result: "i32" },
    __errno_location: { parameters: [], result: "pointer" },
};
const SYSCALLS = {
    x86_64: {
        read: 0,
        write: 1,
        close: 3,
        kill: 62,
        fcntl: 72,
        openat: 257,
        process_vm_readv: 310,
        memfd_create: 319,
        statx: 332,
    },
    aarch64: {
        read: 63,
        write: 64,
        close: 57,
        kill: 129,
        fcntl: 25,
        openat: 56,
        process_vm_readv: 270,
        memfd_create: 279,
        statx: 291,
    },
};
const RARE_CALLS = {
    strerror: { parameters: ["i32"], result: "pointer" },
};
let strncmpCall;
let rareCalls;
let fileCalls;
const ERRNO_NAMES = {
    1: "EPERM",
    2: "ENOENT",
    4: "EINTR",
    5: "EIO",
    6: "ENXIO",
    9: "EBADF",
    11: "EAGAIN",
    12: "ENOMEM",
    13: "EACCES",
    20: "ENOTDIR",
    21: "EISDIR",
    22: "EINVAL",
    24: "EMFILE",
    36: "ENAMETOOLONG",
    40: "ELOOP",
};
export const O_RDONLY = 0;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const AT_EMPTY_PATH = 0x1000;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_FDCWD = -100;
export const STATX_BASIC_STATS = 0x7ff;
