/**
 * Writing files others read: atomic replacement (a temporary file in the same
 * directory, flushed, renamed over the target: a reader sees the old file or
 * the new one, never half of either, and a crash leaves at worst a stray
 * temporary file), and an advisory lock around a read-modify-write so that
 * concurrent writers lose nothing.
 *
 * @module
 */

import { basename, dirname, join, resolve } from "./paths.ts";
import { PluginError, quote } from "../errors/plugin_error.ts";

let counter = 0;

/**
 * Replace `path` with `text`, atomically. When `path` is a symbolic link,
 * the file it points to is replaced (the link stays a link).
 *
 * @param path the file to write
 * @param text its new content
 * @param mode permission bits of a new file (an existing file keeps its own)
 */
export function writeFileAtomic(path: string, text: string, mode = 0o644): void {
  try {
    writeAtomic(path, text, mode);
  } catch (e) {
    throw writeError(e, path);
  }
}

function writeAtomic(path: string, text: string, mode: number): void {
  const target = linkTarget(resolve(path));
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

/** Where a write to `path` lands: the final target of a symlink chain, else the path. */
function linkTarget(path: string): string {
  let p = path;
  for (let i = 0; i < 40; i++) {
    let link: string;
    try {
      if (!Deno.lstatSync(p).isSymlink) return p;
      link = Deno.readLinkSync(p);
    } catch {
      return p; // a new file, or one we may not inspect: write it where it was named
    }
    p = resolve(dirname(p), link);
  }
  return p;
}

/**
 * Run `fn` while holding an exclusive advisory lock (`flock`) on a sidecar
 * of `path` (`.NAME.lock` in the same directory), so that concurrent
 * read-modify-write cycles of the same file, in this process or others, run
 * one after the other and none is lost. The sidecar is left in place:
 * removing it would race with the next writer.
 *
 * @param path the file to be changed
 * @param fn the read-modify-write
 * @returns what `fn` returns
 */
export function withFileLock<T>(path: string, fn: () => T): T {
  const target = linkTarget(resolve(path));
  const sidecar = join(dirname(target), `.${basename(target)}.lock`);
  let lock: Deno.FsFile;
  try {
    lock = Deno.openSync(sidecar, { read: true, write: true, create: true, mode: 0o600 });
  } catch (e) {
    throw writeError(e, path);
  }
  try {
    lock.lockSync(true);
    return fn();
  } finally {
    lock.close(); // closing the descriptor releases the lock
  }
}

/**
 * Translate an error of writing `path` into plugboard's: `NOT_FOUND` when its
 * directory is missing, `PERMISSION_DENIED` naming Deno's missing
 * `--allow-write` flag or the operating system's refusal.
 *
 * @param e what was thrown
 * @param path the file being written
 * @returns the error (a PluginError is returned as it is)
 */
export function writeError(e: unknown, path: string): PluginError {
  if (e instanceof PluginError) return e;
  const dir = dirname(resolve(path));
  if (e instanceof Deno.errors.NotFound) {
    return new PluginError(
      "NOT_FOUND",
      `Cannot write ${
        quote(path)
      }: no such directory: expected an existing directory, found nothing at ${dir}`,
      {
        path,
        hint: `create the directory first (mkdir -p ${dir}), or write the file elsewhere`,
        cause: e,
      },
    );
  }
  if (e instanceof Deno.errors.NotCapable) {
    return new PluginError(
      "PERMISSION_DENIED",
      `Cannot write ${
        quote(path)
      }: Deno's permissions do not allow writing there: expected write permission for ${dir}, found none`,
      { path, hint: `run Deno with --allow-write=${dir}`, cause: e },
    );
  }
  if (e instanceof Deno.errors.PermissionDenied) {
    return new PluginError(
      "PERMISSION_DENIED",
      `Cannot write ${
        quote(path)
      }: the operating system refused: expected a directory you may write, found ${
        (e as Error).message
      }`,
      { path, hint: `check the permissions of ${dir} (ls -ld ${dir})`, cause: e },
    );
  }
  return new PluginError(
    "NOT_A_FILE",
    `Cannot write ${quote(path)}: ${e instanceof Error ? e.message : String(e)}`,
    { path, hint: "check the path", cause: e },
  );
}
