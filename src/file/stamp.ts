/**
 * A file's stat as plugboard keys caches by it, taken as cheaply as the
 * platform allows. On Linux with glibc and FFI permission, `statx(2)`
 * through Deno's FFI: half the cost of `Deno.lstatSync` (which builds a full
 * `FileInfo` with four `Date`s), and nanosecond times (`Deno.FileInfo.ctime`
 * has whole seconds). Elsewhere, `Deno.lstatSync` / `Deno.statSync`. A cache
 * must be filled and read through the same source.
 *
 * @module
 */

import {
  AT_EMPTY_PATH,
  AT_FDCWD,
  AT_SYMLINK_NOFOLLOW,
  type FileCalls,
  getFileCalls,
  STATX_BASIC_STATS,
} from "./libc.ts";

/**
 * What a cache keys a file by: device and inode, and what must not have
 * changed: size, modification and change times; and what the permission
 * check reads: mode and owner.
 */
export interface FileStamp {
  /** Device number. */
  readonly dev: number;
  /** Inode number. */
  readonly ino: number;
  /** Size in bytes. */
  readonly size: number;
  /** Permission bits and file type. */
  readonly mode: number;
  /** Owner. */
  readonly uid: number;
  /** Last modification, in milliseconds since the epoch (may have a fraction). */
  readonly mtimeMs: number;
  /** Last status change, in milliseconds since the epoch (may have a fraction). */
  readonly ctimeMs: number;
  /** A regular file. */
  readonly isFile: boolean;
  /** A symbolic link. */
  readonly isSymlink: boolean;
  /** A directory. */
  readonly isDirectory: boolean;
}

const S_IFMT = 0o170000;
const buf = new Uint8Array(256);
const view = new DataView(buf.buffer);
let pathBuf = new Uint8Array(4096);
const encoder = new TextEncoder();
const EMPTY = new Uint8Array(1);

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
 * The stamp of an open descriptor (`statx` with `AT_EMPTY_PATH`).
 *
 * @param calls the bound file calls
 * @param fd the descriptor
 * @returns its stamp, or `undefined` when statx fails
 */
export function fdStamp(calls: FileCalls, fd: number): FileStamp | undefined {
  if (calls.statx(fd, EMPTY, AT_EMPTY_PATH, STATX_BASIC_STATS, buf) !== 0) return undefined;
  return decode();
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
  const calls = getFileCalls();
  if (!calls || path.includes("\0")) return undefined;
  // Deno's permission check, which a direct statx would bypass.
  if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") return undefined;
  if (path.length * 3 + 1 > pathBuf.length) pathBuf = new Uint8Array(path.length * 3 + 1);
  const { written } = encoder.encodeInto(path, pathBuf);
  pathBuf[written] = 0;
  if (calls.statx(AT_FDCWD, pathBuf, flags, STATX_BASIC_STATS, buf) !== 0) return undefined;
  return decode();
}

function decode(): FileStamp {
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
