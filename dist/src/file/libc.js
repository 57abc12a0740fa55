// Generated from src/file/libc.ts by tasks/dist.ts (deno task dist): do not edit.
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
    try {
        fileCalls = Deno.dlopen("libc.so.6", FILE_CALLS).symbols;
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
    if (killCall === undefined) {
        killCall = null;
        if (Deno.build.os === "linux" && ffiGranted()) {
            try {
                const lib = Deno.dlopen("libc.so.6", {
                    kill: { parameters: ["i32", "i32"], result: "i32" },
                });
                killCall = lib.symbols.kill;
            }
            catch {
                killCall = null;
            }
        }
    }
    return killCall !== null && killCall(pid, signal === "SIGKILL" ? 9 : 15) === 0;
});
const FILE_CALLS = {
    open: { parameters: ["buffer", "i32"], result: "i32" },
    read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
    write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
    close: { parameters: ["i32"], result: "i32" },
    statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
    fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
    memfd_create: { parameters: ["buffer", "u32"], result: "i32" },
    dlopen: { parameters: ["buffer", "i32"], result: "pointer" },
    dlclose: { parameters: ["pointer"], result: "i32" },
    __errno_location: { parameters: [], result: "pointer" },
};
const RARE_CALLS = {
    strerror: { parameters: ["i32"], result: "pointer" },
    dladdr: { parameters: ["pointer", "buffer"], result: "i32" },
    process_vm_readv: {
        parameters: ["i32", "buffer", "u64", "buffer", "u64", "u64"],
        result: "isize",
    },
    kill: { parameters: ["i32", "i32"], result: "i32" },
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
let killCall;
