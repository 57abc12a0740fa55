/**
 * The C library calls plugboard makes through Deno's FFI, in groups bound
 * on first use: the calls of every open (reading a file through a
 * descriptor, making a sealed memfd, safe copies and signals, all through
 * one `syscall`; the dynamic linker's `dlopen`, `dlclose` and `dladdr`;
 * errno) in one `Deno.dlopen` of `libc.so.6`; error texts (`strerror`) in
 * another; `strncmp` (the pointer path of text results) alone, when first
 * needed. Each symbol bound costs start-up time (Deno compiles a trampoline
 * for it, 0.1-0.2 ms cold), each `Deno.dlopen` more; see
 * docs/performance.md. A group is never closed, so nothing bound here
 * can be used after a dlclose.
 *
 * Every group is bound only when Deno grants FFI without a prompt; callers
 * fall back to Deno's own APIs when it is not.
 *
 * @module
 */

/**
 * The symbols of every open. The file and memfd calls all go through
 * `syscall`: Deno compiles a trampoline for each symbol it binds (a
 * few hundred µs cold), so binding one `syscall` instead of seven
 * functions saves the first open of a process most of that. glibc's `syscall` is written
 * in assembly on x86_64 and aarch64 and takes its arguments in registers
 * like any function, so declaring it with fixed parameters is sound there.
 */
const CORE_SYMBOLS = {
  syscall: { parameters: ["i64", "i64", "i64", "i64", "i64", "i64", "i64"], result: "i64" },
  dlopen: { parameters: ["buffer", "i32"], result: "pointer" },
  dlclose: { parameters: ["pointer"], result: "i32" },
  dladdr: { parameters: ["pointer", "buffer"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

/** System call numbers, by architecture. */
const SYSCALLS: Record<string, Record<SyscallName, number>> = {
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

type SyscallName =
  | "read"
  | "write"
  | "close"
  | "kill"
  | "fcntl"
  | "openat"
  | "process_vm_readv"
  | "memfd_create"
  | "statx";

/** The calls of every open: files, memfds, the dynamic linker's names, errno. */
export interface FileCalls {
  /** `open(2)`; returns the descriptor or -1 (errno set). */
  open(path: Uint8Array, flags: number): number;
  /** `read(2)`; returns the count or -1. */
  read(fd: number, buf: Uint8Array, count: bigint): number;
  /** `write(2)`; returns the count or -1. */
  write(fd: number, buf: Uint8Array, count: bigint): number;
  /** `close(2)`. */
  close(fd: number): number;
  /** `statx(2)` into a 256-byte buffer. */
  statx(dirfd: number, path: Uint8Array, flags: number, mask: number, out: Uint8Array): number;
  /** `fcntl(2)` with an integer argument. */
  fcntl(fd: number, cmd: number, arg: number): number;
  /** `memfd_create(2)`. */
  memfd_create(name: Uint8Array, flags: number): number;
  /** `process_vm_readv(2)` with the iovec arrays as bytes. */
  process_vm_readv(
    pid: number,
    local: Uint8Array,
    localCount: bigint,
    remote: Uint8Array,
    remoteCount: bigint,
    flags: bigint,
  ): number;
  /** `kill(2)`. */
  kill(pid: number, signal: number): number;
  /** The dynamic linker's `dlopen`. */
  dlopen(name: Uint8Array, flags: number): Deno.PointerValue;
  /** The dynamic linker's `dlclose`. */
  dlclose(handle: Deno.PointerObject): number;
  /** The dynamic linker's `dladdr`, into a 32-byte `Dl_info`. */
  dladdr(address: Deno.PointerObject, info: Uint8Array): number;
  /** The calling thread's errno location. */
  __errno_location(): Deno.PointerValue;
}

/** The address of a buffer's first byte, for a system call. */
function addressOf(buf: Uint8Array): bigint | number {
  return Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf));
}

/** The file calls over one bound `syscall` and the linker's own functions. */
function syscallFileCalls(
  symbols: Deno.DynamicLibrary<typeof CORE_SYMBOLS>["symbols"],
  nr: Record<SyscallName, number>,
): FileCalls {
  const sys = symbols.syscall;
  // Arguments as 64-bit integers; the result is a small integer (a count,
  // a descriptor, -1).
  const call = (
    n: number,
    a: bigint | number = 0,
    b: bigint | number = 0,
    c: bigint | number = 0,
    d: bigint | number = 0,
    e: bigint | number = 0,
    f: bigint | number = 0,
  ) => Number(sys(BigInt(n), BigInt(a), BigInt(b), BigInt(c), BigInt(d), BigInt(e), BigInt(f)));
  // A buffer is passed by its address, so nothing in the call's arguments
  // keeps it alive: a temporary one (an encoded path) could be collected,
  // and its memory freed, by a GC the argument conversions trigger before
  // the kernel reads it. Each is held in `pinned` until the call returns.
  const pinned: (Uint8Array | undefined)[] = [undefined, undefined];
  const release = (r: number) => {
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
      return release(
        call(
          nr.process_vm_readv,
          pid,
          addressOf(local),
          localCount,
          addressOf(remote),
          remoteCount,
          flags,
        ),
      );
    },
    kill: (pid, signal) => call(nr.kill, pid, signal),
    dlopen: (name, flags) => symbols.dlopen(name, flags),
    dlclose: (handle) => symbols.dlclose(handle),
    dladdr: (address, info) => symbols.dladdr(address, info),
    __errno_location: () => symbols.__errno_location(),
  };
}

const RARE_CALLS = {
  strerror: { parameters: ["i32"], result: "pointer" },
} as const;

/** The calls of rarer paths: error texts. */
export type RareCalls = Deno.DynamicLibrary<typeof RARE_CALLS>["symbols"];

/** libc's strncmp, as the pointer path of `cstring` results calls it. */
export type Strncmp = (a: Deno.PointerValue, b: Uint8Array, n: bigint) => number;

let strncmpCall: Strncmp | null | undefined;

/**
 * libc's `strncmp`, bound on first use: only `cstring` results read through
 * their pointer need it (plugins without `NAME__into`), so the binding of
 * every open leaves it out (each symbol bound costs ~0.1 ms the first time).
 *
 * @example
 * ```ts ignore
 * import { getStrncmp } from "./libc.ts";
 *
 * console.log(getStrncmp() !== null); // true where libc can be opened
 * ```
 *
 * @returns the function, or null where libc cannot be opened
 */
export function getStrncmp(): Strncmp | null {
  if (strncmpCall !== undefined) return strncmpCall;
  strncmpCall = null;
  if (getFileCalls() === null) return strncmpCall;
  try {
    strncmpCall = Deno.dlopen("libc.so.6", {
      strncmp: { parameters: ["pointer", "buffer", "usize"], result: "i32" },
    }).symbols.strncmp;
  } catch {
    strncmpCall = null;
  }
  return strncmpCall;
}

let rareCalls: RareCalls | undefined;

/**
 * The rarer calls, bound on first use. Callers have FFI (they got here
 * through a loaded library or {@linkcode getFileCalls}).
 *
 * @returns the bound calls
 * @throws {Error} when libc cannot be opened
 */
export function getRareCalls(): RareCalls {
  rareCalls ??= Deno.dlopen("libc.so.6", RARE_CALLS).symbols;
  return rareCalls;
}

let fileCalls: FileCalls | null | undefined;

/**
 * Whether Deno grants FFI without a prompt (an unrestricted `--allow-ffi`).
 *
 * @returns whether libc may be called
 */
export function ffiGranted(): boolean {
  try {
    return Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  } catch {
    return false;
  }
}

/**
 * The file calls, or `null` where libc cannot be called (no FFI permission,
 * not glibc).
 *
 * @returns the bound calls
 */
export function getFileCalls(): FileCalls | null {
  if (fileCalls !== undefined) return fileCalls;
  fileCalls = null;
  if (Deno.build.os !== "linux" || !ffiGranted()) return fileCalls;
  const nr = SYSCALLS[Deno.build.arch];
  if (nr === undefined) return fileCalls;
  try {
    fileCalls = syscallFileCalls(Deno.dlopen("libc.so.6", CORE_SYMBOLS).symbols, nr);
  } catch {
    fileCalls = null;
  }
  return fileCalls;
}

/**
 * The calling thread's errno, read through the file calls.
 *
 * @param calls the bound file calls
 * @returns errno
 */
export function errnoOf(calls: FileCalls): number {
  const p = calls.__errno_location();
  return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32();
}

const ERRNO_NAMES: Record<number, string> = {
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

/**
 * A short name for an errno value, e.g. `ENOENT`.
 *
 * @param errno the value
 * @returns its name, or `errno N`
 */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

/** `open(2)` flags. */
export const O_RDONLY = 0;
/** Do not block opening a FIFO or a device. */
export const O_NONBLOCK = 0o4000;
/** Close on exec. */
export const O_CLOEXEC = 0o2000000;
/** `statx(2)`: the path is empty, stat the descriptor itself. */
export const AT_EMPTY_PATH = 0x1000;
/** `statx(2)`: do not follow a final symlink. */
export const AT_SYMLINK_NOFOLLOW = 0x100;
/** `statx(2)`: relative to the current directory. */
export const AT_FDCWD = -100;
/** `statx(2)`: every basic field. */
export const STATX_BASIC_STATS = 0x7ff;

/**
 * Send a signal to a process group (a negative pid) or a process, with the
 * best means the host has: `Deno.kill` when `--allow-run` is granted in
 * full (Deno requires that for any kill), else libc's `kill` through FFI
 * when that is granted. Never throws.
 *
 * @example Killing what is left of a child's process group
 * ```ts ignore
 * import { signalProcess } from "./libc.ts";
 *
 * signalProcess(-child.pid, "SIGKILL"); // to the group the child leads
 * ```
 *
 * @param pid a pid, or minus a process group id
 * @param signal the signal
 * @returns whether the signal was sent
 */
export function signalProcess(pid: number, signal: "SIGKILL" | "SIGTERM"): boolean {
  try {
    if (Deno.permissions.querySync({ name: "run" }).state === "granted") {
      Deno.kill(pid, signal);
      return true;
    }
  } catch {
    return false; // no such process or group: nothing left to signal
  }
  const calls = getFileCalls();
  return calls !== null && calls.kill(pid, signal === "SIGKILL" ? 9 : 15) === 0;
}
