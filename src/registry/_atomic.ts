/**
 * Atomic file replacement: write a temporary file in the same directory,
 * flush it to disk, rename it over the target. A reader sees the old file or
 * the new one, never half of either, and a crash leaves at worst a stray
 * temporary file.
 *
 * @module
 */

import { basename, dirname, join, resolve } from "node:path";

let counter = 0;

/**
 * Replace `path` with `text`, atomically.
 *
 * @param path the file to write
 * @param text its new content
 * @param mode permission bits of a new file (an existing file keeps its own)
 */
export function writeFileAtomic(path: string, text: string, mode = 0o644): void {
  const target = resolve(path);
  const dir = dirname(target);
  let keep: number | undefined;
  try {
    keep = Deno.statSync(target).mode ?? undefined;
  } catch {
    // A new file.
  }
  const tmp = join(
    dir,
    `.${basename(target)}.tmp-${Deno.pid}-${++counter}-${Math.random().toString(36).slice(2, 8)}`,
  );
  const bytes = new TextEncoder().encode(text);
  const file = Deno.openSync(tmp, {
    write: true,
    createNew: true,
    mode: (keep ?? mode) & 0o777,
  });
  try {
    let off = 0;
    while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
    file.syncSync();
  } catch (e) {
    file.close();
    removeQuietly(tmp);
    throw e;
  }
  file.close();
  try {
    Deno.renameSync(tmp, target);
  } catch (e) {
    removeQuietly(tmp);
    throw e;
  }
  // Make the rename itself durable; not every system lets a directory be
  // opened, and the data is already safe, so failures are ignored.
  try {
    using d = Deno.openSync(dir, { read: true });
    d.syncSync();
  } catch {
    // ignored
  }
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // already gone
  }
}
