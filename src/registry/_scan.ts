/**
 * Reading plugin files for the registry, without running them: the list of
 * files named by arguments (a directory stands for its `*.so` files), and
 * one file's identity, from the hash cache when the file is unchanged.
 *
 * The cached path is the hot path of discovery: one `lstat` per file, the
 * directory resolved once, no file read.
 *
 * @module
 */

import { formatVersionPair } from "../abi/abi_version.ts";
import { readMetadata } from "../abi/read_metadata.ts";
import { canonicalSignature } from "../abi/signature.ts";
import { readElf } from "../elf/read_elf.ts";
import { absolutePath, checkPermissions, readPluginFile } from "../loader/_preflight.ts";
import { lstamp, stamp } from "./_stat.ts";
import type { CachedPlugin, FileStamp, HashCache } from "./hash_cache.ts";
import type { PluginIdentity } from "./registry.ts";

/** A plugin file as read for the registry. */
export interface ScannedPlugin extends PluginIdentity {
  /** The file with symlinks resolved. */
  readonly realPath: string;
  /** Whether the path went through a symlink. */
  readonly viaSymlink: boolean;
  /** Whether the identity came from the hash cache (the file was not read). */
  readonly cached: boolean;
}

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

/** Options of {@linkcode scanPlugin}. */
export interface ScanOptions {
  /** Where unchanged files' identities are found and new ones stored. */
  cache?: HashCache;
  /** Skip the permission check. */
  allowInsecurePermissions?: boolean;
  /** Directories already found secure (shared across a scan). */
  secureDirectories?: Set<string>;
}

/**
 * The files named by arguments: a directory stands for its `*.so` files (not
 * recursive, sorted by name), anything else for itself.
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
        if ((e.isFile || e.isSymlink) && e.name.endsWith(".so")) found.push(e.name);
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

/**
 * Read a plugin's identity without running it: from the cache when the
 * file's stat is unchanged, else by reading, hashing and parsing it.
 *
 * @param file the file, as listed or as a path
 * @param options cache and permission check
 * @returns the identity
 * @throws {LoadError} as the loader's preflight and metadata checks
 */
export function scanPlugin(file: ListedFile | string, options: ScanOptions = {}): ScannedPlugin {
  const listed = typeof file === "string" ? { path: file, fromDirectory: false } : file;
  const path = listed.path;
  const secureDirectories = options.secureDirectories ?? new Set<string>();
  // Taken before the stat: a file changed within the racy window of it is not trusted later.
  const hashedAtMs = Date.now();
  let before: FileStamp | undefined;
  if (options.cache) {
    const probe = probeFile(listed);
    if (probe) {
      if (!options.allowInsecurePermissions) {
        checkPermissions({ path, realPath: probe.realPath, stat: probe.stamp }, {
          secureDirectories,
          absolutePath: probe.abs,
        });
      }
      const hit = options.cache.lookup(probe.stamp);
      if (hit) {
        return {
          path,
          realPath: probe.realPath,
          viaSymlink: probe.realPath !== probe.abs,
          cached: true,
          ...hit,
        };
      }
      before = probe.stamp;
    }
  }
  const read = readPluginFile(path, {
    allowInsecurePermissions: options.allowInsecurePermissions,
    secureDirectories,
  });
  const meta = readMetadata(readElf(read.bytes, path), path);
  const plugin: CachedPlugin = Object.freeze({
    sha256: read.sha256,
    name: meta.name,
    version: meta.version,
    abi: formatVersionPair(meta.abi),
    buildId: meta.buildId,
    compiler: meta.compiler,
    interfaces: Object.freeze(meta.interfaces.map((i) =>
      Object.freeze({
        id: i.id,
        version: formatVersionPair(i.version),
        hash: i.hash,
        functions: Object.freeze(i.functions.map(canonicalSignature)),
      })
    )),
  });
  if (before) options.cache?.store(before, plugin, { hashedAtMs, path: read.realPath });
  return { path, realPath: read.realPath, viaSymlink: read.viaSymlink, cached: false, ...plugin };
}

/** Where a file is and its stamp, from one lstat; `undefined` when that fails (the read will say why). */
function probeFile(
  listed: ListedFile,
): { abs: string; realPath: string; stamp: FileStamp } | undefined {
  try {
    let abs: string;
    let realDir: string;
    let name: string;
    if (listed.dir && listed.name !== undefined) {
      name = listed.name;
      realDir = listed.dir.real;
      abs = under(listed.dir.abs, name);
    } else {
      abs = absolutePath(listed.path);
      const slash = abs.lastIndexOf("/");
      name = abs.slice(slash + 1);
      realDir = Deno.realPathSync(slash === 0 ? "/" : abs.slice(0, slash));
    }
    const link = lstamp(abs);
    if (!link.isSymlink) {
      return link.isFile ? { abs, realPath: under(realDir, name), stamp: link } : undefined;
    }
    const realPath = Deno.realPathSync(abs);
    const target = stamp(realPath);
    return target.isFile ? { abs, realPath, stamp: target } : undefined;
  } catch {
    return undefined;
  }
}

function under(dir: string, name: string): string {
  return dir === "/" ? `/${name}` : `${dir}/${name}`;
}
