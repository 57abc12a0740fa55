/**
 * The C library calls plugboard makes through Deno's FFI, in two groups
 * bound on first use: the calls of every open (reading a file through a
 * descriptor, making a sealed memfd, asking the dynamic linker about a
 * name) in one `Deno.dlopen` of `libc.so.6`, and the calls of rarer paths
 * (error texts, unload checks, safe copies, signals) in another; `strncmp`
 * (the pointer path of text results) alone, when first needed. Each
 * symbol bound costs start-up time (about 0.1 ms), each `Deno.dlopen` more;
 * see docs/performance.md. A group is never closed, so nothing bound here
 * can be used after a dlclose.
 *
 * Every group is bound only when Deno grants FFI without a prompt; callers
 * fall back to Deno's own APIs when it is not.
 *
 * @module
 */

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
} as const;

/** The calls of every open: files, memfds, the dynamic linker's names, errno. */
export type FileCalls = Deno.DynamicLibrary<typeof FILE_CALLS>["symbols"];

const RARE_CALLS = {
  strerror: { parameters: ["i32"], result: "pointer" },
  dladdr: { parameters: ["pointer", "buffer"], result: "i32" },
  process_vm_readv: {
    parameters: ["i32", "buffer", "u64", "buffer", "u64", "u64"],
    result: "isize",
  },
  kill: { parameters: ["i32", "i32"], result: "i32" },
} as const;

/** The calls of rarer paths: error texts, unload checks, safe copies, signals. */
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
  try {
    fileCalls = Deno.dlopen("libc.so.6", FILE_CALLS).symbols;
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

let killCall: ((pid: number, signal: number) => number) | null | undefined;

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
  if (killCall === undefined) {
    killCall = null;
    if (Deno.build.os === "linux" && ffiGranted()) {
      try {
        const lib = Deno.dlopen("libc.so.6", {
          kill: { parameters: ["i32", "i32"], result: "i32" },
        });
        killCall = lib.symbols.kill;
      } catch {
        killCall = null;
      }
    }
  }
  return killCall !== null && killCall(pid, signal === "SIGKILL" ? 9 : 15) === 0;
}
