/**
 * The libc calls the loader makes, through Deno's FFI (bound once, in
 * `src/file/libc.ts`, and never closed, so nothing bound here can be used
 * after a dlclose): sealed memfds, the dynamic linker's names and
 * addresses, safe copies of memory a plugin points at.
 *
 * @module
 */

import { ffiGranted, type FileCalls, getFileCalls, getRareCalls } from "../file/libc.ts";
import { LoadError } from "../errors/plugin_error.ts";

/**
 * Refuse a load in this process when Deno does not grant FFI: say so
 * before anything is tried, with the two ways out.
 *
 * @param path the file, as the caller gave it
 * @throws {LoadError} `PERMISSION_DENIED`
 */
export function assertFfi(path: string): void {
  if (ffiGranted()) return;
  throw new LoadError("PERMISSION_DENIED", {
    path,
    what: "Deno's permissions do not allow loading native code",
    expected:
      "--allow-ffi (without a path list: a list disables the pointer views plugboard needs)",
    found: "no FFI permission",
    hint:
      'run Deno with --allow-ffi, or open it with { isolation: "process" }: the host then needs no FFI',
  });
}

/** The calls of every open; loading a plugin needs FFI, so they are there. */
function core(): FileCalls {
  const calls = getFileCalls();
  if (!calls) throw new Error("libc cannot be called: FFI is not granted");
  return calls;
}

/**
 * The calling thread's errno as `"ENAME: text"`-ish description.
 *
 * @returns the error text
 */
export function lastOsError(): string {
  const p = core().__errno_location();
  const errno = p ? new Deno.UnsafePointerView(p).getInt32() : 0;
  const s = getRareCalls().strerror(errno);
  return `${s ? Deno.UnsafePointerView.getCString(s) : "unknown error"} (errno ${errno})`;
}

const MFD_CLOEXEC = 0x1;
const F_DUPFD_CLOEXEC = 1030;
const RTLD_LAZY = 1;
const RTLD_NOLOAD = 4;
const MFD_ALLOW_SEALING = 0x2;
const F_ADD_SEALS = 1033;
const SEALS_ALL = 0x1 | 0x2 | 0x4 | 0x8; // SEAL_SEAL | SHRINK | GROW | WRITE

/** A sealed in-memory copy of a file's bytes, loadable by path. */
export interface SealedCopy {
  /** The file descriptor of the memfd. */
  fd: number;
  /** `/proc/self/fd/N`: what to pass to dlopen. */
  path: string;
}

/**
 * Copy bytes into a sealed memfd: afterwards nobody, this process included,
 * can change them, so what dlopen maps is exactly what was hashed.
 *
 * @param name a name for the memfd (shown in /proc/self/maps)
 * @param bytes the exact bytes to load
 * @returns the memfd and its path
 * @throws {Error} with the OS error when a step fails
 */
export function sealedCopy(name: string, bytes: Uint8Array): SealedCopy {
  const c = core();
  const nameBytes = new TextEncoder().encode(`plugboard:${name}\0`);
  const fd = c.memfd_create(nameBytes, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) throw new Error(`memfd_create failed: ${lastOsError()}`);
  try {
    let off = 0;
    while (off < bytes.length) {
      const n = Number(c.write(fd, bytes.subarray(off), BigInt(bytes.length - off)));
      if (n <= 0) throw new Error(`write to memfd failed: ${lastOsError()}`);
      off += n;
    }
    if (c.fcntl(fd, F_ADD_SEALS, SEALS_ALL) !== 0) {
      throw new Error(`sealing the memfd failed: ${lastOsError()}`);
    }
  } catch (e) {
    c.close(fd);
    throw e;
  }
  // The dynamic linker knows libraries by name: if one loaded earlier under
  // this descriptor's /proc/self/fd/N name is still mapped (a thread-local
  // destructor can keep a closed library for as long as a thread lives),
  // dlopen would hand it back instead of loading these bytes. Move to
  // another number until the name is free.
  const moved: number[] = [];
  let current = fd;
  try {
    while (isNameLoaded(`/proc/self/fd/${current}`)) {
      moved.push(current);
      current = c.fcntl(current, F_DUPFD_CLOEXEC, current + 1);
      if (current < 0) throw new Error(`fcntl(F_DUPFD) failed: ${lastOsError()}`);
    }
  } finally {
    for (const m of moved) c.close(m);
  }
  return { fd: current, path: `/proc/self/fd/${current}` };
}

/**
 * Whether the dynamic linker has a library loaded under this name
 * (`dlopen(name, RTLD_NOLOAD)`, which loads nothing).
 *
 * @param name the path the library was opened by
 * @returns whether it is loaded
 */
export function isNameLoaded(name: string): boolean {
  const c = core();
  const handle = c.dlopen(new TextEncoder().encode(name + "\0"), RTLD_LAZY | RTLD_NOLOAD);
  if (handle === null) return false;
  c.dlclose(handle);
  return true;
}

/**
 * Close a file descriptor.
 *
 * @param fd the descriptor
 */
export function closeFd(fd: number): void {
  core().close(fd);
}

/**
 * The load address of the shared object that contains `addr`, as the dynamic
 * linker knows it (`dladdr`'s `dli_fbase`): the start of its mapping, which
 * is always readable.
 *
 * @param addr an address inside a loaded library
 * @returns the object's base address, or undefined if no object contains it
 */
export function objectBase(addr: Deno.PointerObject): bigint | undefined {
  const info = new BigUint64Array(4);
  if (core().dladdr(addr, new Uint8Array(info.buffer)) === 0) return undefined;
  return info[1];
}

/**
 * Copy memory at an address the plugin gave (an error record, say) without
 * trusting it: `process_vm_readv` on this very process copies what is
 * readable and stops at the first page that is not, where a plain read
 * would be a SIGSEGV. For the error path only: a system call per read.
 *
 * @param address where to read
 * @param length how many bytes
 * @returns the bytes, or `undefined` when not all of them can be read
 */
export function safeRead(address: bigint, length: number): Uint8Array | undefined {
  if (address <= 0n || length <= 0) return length === 0 ? new Uint8Array(0) : undefined;
  const out = new Uint8Array(length);
  const local = new BigUint64Array(2);
  local[0] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(out)));
  local[1] = BigInt(length);
  const remote = new BigUint64Array([address, BigInt(length)]);
  const n = Number(
    core().process_vm_readv(
      Deno.pid,
      new Uint8Array(local.buffer),
      1n,
      new Uint8Array(remote.buffer),
      1n,
      0n,
    ),
  );
  return n === length ? out : undefined;
}
