/**
 * The plugin files named by command-line arguments: a directory stands for
 * the plugin files in it (not recursive, sorted by name), anything else for
 * itself.
 *
 * @module
 */

import { absolutePath } from "../file/permissions.ts";
import { type FileStamp, stamp } from "../file/stamp.ts";
import type { HashCache } from "../registry/hash_cache.ts";

/** A file to scan, and whether it was found by listing a directory. */
export interface ListedFile {
  /** The file. */
  readonly path: string;
  /** True when a directory argument named it (non-plugins are then skipped). */
  readonly fromDirectory: boolean;
  /** For a listed file: its name in the directory. */
  readonly name?: string;
  /** For a listed file: its directory, absolute and real (shared by the directory's files). */
  readonly dir?: { readonly abs: string; readonly real: string };
}

/**
 * The files named by arguments: a directory stands for its `*.so` and
 * `*.wasm` files (not recursive, sorted by name), anything else for itself.
 *
 * @param args files and directories
 * @param cache where unchanged directories' listings are found and new ones stored
 * @returns the files, in argument order
 */
export function listPluginFiles(args: readonly string[], cache?: HashCache): ListedFile[] {
  const out: ListedFile[] = [];
  for (const arg of args) {
    const listedAtMs = Date.now();
    let realDir: string | undefined;
    let dirStamp: FileStamp | undefined;
    try {
      dirStamp = stamp(arg);
      if (dirStamp.isDirectory) realDir = Deno.realPathSync(arg);
    } catch {
      // reported when the file is scanned
    }
    if (realDir === undefined || dirStamp === undefined) {
      out.push({ path: arg, fromDirectory: false });
      continue;
    }
    let names = cache?.lookupListing(dirStamp);
    if (!names) {
      const found: string[] = [];
      for (const e of Deno.readDirSync(arg)) {
        if ((e.isFile || e.isSymlink) && /\.(?:so|wasm)$/.test(e.name)) found.push(e.name);
      }
      names = found.sort();
      cache?.storeListing(dirStamp, names, { listedAtMs, path: realDir });
    }
    const base = arg === "." || arg === "./" ? "" : arg.endsWith("/") ? arg : `${arg}/`;
    const dir = { abs: absolutePath(arg), real: realDir };
    for (const name of names) out.push({ path: base + name, fromDirectory: true, name, dir });
  }
  return out;
}
