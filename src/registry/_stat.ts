/**
 * A file's stat as the hash cache keys it, taken as cheaply as the platform
 * allows. On Linux with glibc and FFI permission, `statx(2)` through Deno's
 * FFI: half the cost of `Deno.lstatSync` (which builds a full `FileInfo`
 * with four `Date`s), and nanosecond times (`Deno.FileInfo.ctime` has whole
 * seconds). Elsewhere, `Deno.lstatSync` / `Deno.statSync`. A cache must be
 * filled and read through the same source; the scanner always uses this one.
 *
 * @module
 */

import type { FileStamp } from "./hash_cache.ts";

const SYMBOLS = {
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
} as const;

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const STATX_BASIC_STATS = 0x7ff;
const S_IFMT = 0o170000;

let statx:
  | ((dirfd: number, path: Uint8Array, flags: number, mask: number, buf: Uint8Array) => number)
  | null
  | undefined;
const buf = new Uint8Array(256);
const view = new DataView(buf.buffer);
let pathBuf = new Uint8Array(4096);
const encoder = new TextEncoder();

function load(): typeof statx {
  if (statx !== undefined) return statx;
  statx = null;
  if (Deno.build.os !== "linux") return statx;
  try {
    // Never prompt: without FFI permission, Deno's stat does the job.
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return statx;
    // Opened once and never closed, so nothing bound here outlives its library.
    const lib = Deno.dlopen("libc.so.6", SYMBOLS);
    statx = lib.symbols.statx;
  } catch {
    // No FFI permission, or no glibc: Deno's own stat.
  }
  return statx;
}

/**
 * The stamp of a path, not following a final symlink.
 *
 * @param path the path
 * @returns its stamp
 * @throws {Deno.errors.NotFound} and the other errors of `Deno.lstatSync`
 */
export function lstamp(path: string): FileStamp {
  return viaStatx(path, AT_SYMLINK_NOFOLLOW) ?? stampOf(Deno.lstatSync(path));
}

/**
 * The stamp of a path, following symlinks.
 *
 * @param path the path
 * @returns its stamp
 * @throws {Deno.errors.NotFound} and the other errors of `Deno.statSync`
 */
export function stamp(path: string): FileStamp {
  return viaStatx(path, 0) ?? stampOf(Deno.statSync(path));
}

/**
 * A stamp from a `Deno.FileInfo`.
 *
 * @param info the stat
 * @returns the stamp
 */
export function stampOf(info: Deno.FileInfo): FileStamp {
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
}

function viaStatx(path: string, flags: number): FileStamp | undefined {
  const call = load();
  if (!call || path.includes("\0")) return undefined;
  if (path.length * 3 + 1 > pathBuf.length) pathBuf = new Uint8Array(path.length * 3 + 1);
  const { written } = encoder.encodeInto(path, pathBuf);
  pathBuf[written] = 0;
  if (call(AT_FDCWD, pathBuf, flags, STATX_BASIC_STATS, buf) !== 0) return undefined;
  const mode = view.getUint16(28, true);
  const type = mode & S_IFMT;
  return {
    // struct statx: stx_dev_major at 136, stx_dev_minor at 140.
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
}

/** A statx_timestamp as milliseconds with a fraction (sub-microsecond precision today). */
function time(offset: number): number {
  return Number(view.getBigInt64(offset, true)) * 1000 + view.getUint32(offset + 8, true) / 1e6;
}
