/**
 * Which file the dynamic linker mapped at an address, from this process's
 * `/proc/self/maps`, read through libc (Deno's permissions need not cover
 * /proc: loading a plugin already needs FFI).
 *
 * @module
 */

import { getFileCalls, O_CLOEXEC, O_RDONLY } from "../file/libc.ts";

/** Where a mapping comes from: the device as `major:minor` and the inode. */
export interface MappedFile {
  /** The device, as /proc prints it: hex `major:minor`. */
  readonly dev: string;
  /** The inode. */
  readonly ino: number;
}

/** The most of /proc/self/maps read: a process with more mappings is not checked. */
const MAX_MAPS_BYTES = 16 * 1024 * 1024;

/**
 * The file mapped at an address, or `undefined` when it cannot be told (no
 * FFI, no /proc, an anonymous mapping, or more mappings than the cap).
 *
 * @param address an address inside the mapping
 * @returns its device and inode
 */
export function mappedFileAt(address: bigint): MappedFile | undefined {
  const text = readMaps();
  if (text === undefined) return undefined;
  for (const line of text.split("\n")) {
    // start-end perms offset dev inode path
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ [0-9a-f]+ ([0-9a-f]+:[0-9a-f]+) (\d+)/.exec(line);
    if (!m) continue;
    const start = BigInt(`0x${m[1]}`);
    const end = BigInt(`0x${m[2]}`);
    if (address >= start && address < end) {
      const ino = Number(m[4]);
      return ino === 0 ? undefined : { dev: m[3], ino };
    }
  }
  return undefined;
}

/**
 * A device number as /proc/self/maps prints it. plugboard's stamps hold it
 * as statx gives it (`major * 2^32 + minor`) or, without FFI, as Deno's
 * `stat` does (glibc's `st_dev` encoding): both readings are returned.
 *
 * @param dev the device number of a stamp
 * @returns hex `major:minor` texts it may stand for
 */
export function deviceTexts(dev: number): string[] {
  const d = BigInt(dev);
  const hex = (n: bigint) => n.toString(16).padStart(2, "0");
  const statx = `${hex(d >> 32n)}:${hex(d & 0xffffffffn)}`;
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
  const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn);
  return [statx, `${hex(major)}:${hex(minor)}`];
}

function readMaps(): string | undefined {
  const calls = getFileCalls();
  if (!calls) return undefined;
  const fd = calls.open(new TextEncoder().encode("/proc/self/maps\0"), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return undefined;
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const buf = new Uint8Array(64 * 1024);
      const n = Number(calls.read(fd, buf, BigInt(buf.length)));
      if (n < 0) return undefined;
      if (n === 0) break;
      total += n;
      if (total > MAX_MAPS_BYTES) return undefined;
      chunks.push(buf.subarray(0, n));
    }
    const all = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      all.set(c, off);
      off += c.length;
    }
    return new TextDecoder().decode(all);
  } finally {
    calls.close(fd);
  }
}
