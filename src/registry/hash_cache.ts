/**
 * A cache of plugin files' hashes and metadata, keyed as GStreamer's registry
 * keys its cache: by device and inode, valid while size, modification time
 * and change time are the same. Verifying an unchanged file again then needs
 * one `lstat` instead of reading, hashing and parsing it; a changed file
 * (new inode, size or times) is read and hashed again.
 *
 * A file modified within {@linkcode RACY_WINDOW_MS} of being hashed could be
 * changed again without its size or timestamps changing (timestamps have a
 * coarse granularity), so such an entry is not trusted: the file is hashed
 * again on the next lookup, as git does with "racily clean" entries.
 *
 * Only `verifyFiles()` (discovery, `plugboard verify`) uses the cache. The
 * loader never does: it hashes the very bytes it maps, every time.
 *
 * @module
 */

import { dirname } from "../file/paths.ts";
import type { PluginIdentity } from "../abi/identity.ts";
import { PluginError } from "../errors/plugin_error.ts";
import { readFile } from "../file/read_file.ts";
import { type FileStamp, stampOf } from "../file/stamp.ts";
import { writeError, writeFileAtomic } from "../file/write_file.ts";

export type { FileStamp };

/** What is cached about a plugin file: its hash and the metadata the registry compares. */
export type CachedPlugin = Omit<PluginIdentity, "path" | "realPath">;

/** Options of {@linkcode HashCache.store}. */
export interface StoreOptions {
  /** When the file's stat was taken, before its bytes were read. @default Date.now() */
  hashedAtMs?: number;
  /** The file's path, kept for people reading the cache file. @default "" */
  path?: string;
}

/** The cache file's format version. */
export const HASH_CACHE_VERSION = 1;

/** A file modified this close to being hashed is hashed again next time. */
export const RACY_WINDOW_MS = 20;

/** The largest cache file read; a larger one is ignored (and rebuilt). */
export const MAX_CACHE_BYTES = 256 << 20;

/** The most entries kept when saving; the least recently hashed go first. */
export const MAX_CACHE_ENTRIES = 100_000;

interface Listing {
  path: string;
  mtimeMs: number;
  ctimeMs: number;
  listedAtMs: number;
  names: readonly string[];
}

interface Entry {
  path: string;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  hashedAtMs: number;
  plugin: CachedPlugin;
}

/**
 * Hashes and metadata of plugin files, by device and inode.
 *
 * @example Verify a directory twice; the second time reads no file
 * ```ts ignore
 * import { HashCache, verifyFiles } from "@plugboard/plugboard/registry";
 *
 * const cache = HashCache.load(".cache/plugboard-hashes.json");
 * verifyFiles(["build/"], "plugboard.lock", { cache });
 * verifyFiles(["build/"], "plugboard.lock", { cache });
 * console.log(cache.hits); // the number of files in build/
 * cache.save();
 * ```
 */
export class HashCache {
  /** The file the cache is loaded from and saved to, if any. */
  readonly path: string | undefined;
  /** Why the cache file was not used, when it was not (unreadable, insecure, malformed). */
  readonly ignored: string | undefined;
  /** Entries as loaded (validated on first use) or stored. */
  #entries = new Map<string, Entry | { raw: unknown }>();
  #listings = new Map<string, Listing>();
  #dirty = false;
  #hits = 0;
  #misses = 0;

  /**
   * An empty cache.
   *
   * @param path where {@linkcode HashCache.save} writes it
   * @param ignored why a cache file was not used
   */
  constructor(path?: string, ignored?: string) {
    this.path = path;
    this.ignored = ignored;
  }

  /**
   * Load a cache file. Never fails: a missing file gives an empty cache, and
   * so does a malformed one or one others could write to (reason in
   * {@linkcode HashCache.ignored}); a cache can always be rebuilt.
   *
   * @example
   * ```ts
   * import { HashCache } from "@plugboard/plugboard/registry";
   *
   * const cache = HashCache.load("/nonexistent/hashes.json");
   * console.log(cache.size, cache.ignored); // 0 undefined
   * ```
   *
   * @param path the cache file
   * @returns the cache
   */
  static load(path: string): HashCache {
    let text: string;
    try {
      const file = readFile(path, {
        subject: "hash cache",
        maxBytes: MAX_CACHE_BYTES,
        hash: false,
      });
      text = new TextDecoder().decode(file.bytes);
    } catch (e) {
      if (e instanceof PluginError && e.code === "NOT_FOUND") return new HashCache(path);
      return new HashCache(path, e instanceof PluginError ? e.summary : String(e));
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      return new HashCache(path, `not JSON: ${(e as Error).message}`);
    }
    const d = data as { version?: unknown; files?: unknown; directories?: unknown };
    if (d?.version !== HASH_CACHE_VERSION || typeof d.files !== "object" || !d.files) {
      return new HashCache(path, `not a version ${HASH_CACHE_VERSION} cache file`);
    }
    const cache = new HashCache(path);
    for (const [key, raw] of Object.entries(d.files as Record<string, unknown>)) {
      cache.#entries.set(key, { raw });
    }
    if (typeof d.directories === "object" && d.directories) {
      for (const [key, value] of Object.entries(d.directories as Record<string, unknown>)) {
        const listing = parseListing(value);
        if (listing) cache.#listings.set(key, listing);
      }
    }
    return cache;
  }

  /** How many files are cached. */
  get size(): number {
    return this.#entries.size;
  }

  /** Lookups answered from the cache. */
  get hits(): number {
    return this.#hits;
  }

  /** Lookups that need the file read and hashed. */
  get misses(): number {
    return this.#misses;
  }

  /** Whether entries changed since loading or saving. */
  get dirty(): boolean {
    return this.#dirty;
  }

  /**
   * The cached plugin of a file, if its stat is unchanged and the entry is
   * not racy.
   *
   * @example
   * ```ts
   * import { HashCache } from "@plugboard/plugboard/registry";
   *
   * const cache = new HashCache();
   * console.log(cache.lookup(Deno.statSync(Deno.execPath()))); // undefined
   * ```
   *
   * @param stat the file's current stat
   * @returns the plugin, or `undefined` when the file must be read
   */
  lookup(stat: FileStamp | Deno.FileInfo): CachedPlugin | undefined {
    const s = toStamp(stat);
    const e = s.isFile && s.ino >= 0 ? this.#entry(`${s.dev}:${s.ino}`) : undefined;
    if (
      e && e.size === s.size && e.mtimeMs === s.mtimeMs && e.ctimeMs === s.ctimeMs &&
      e.mtimeMs < e.hashedAtMs - RACY_WINDOW_MS
    ) {
      this.#hits++;
      return e.plugin;
    }
    this.#misses++;
    return undefined;
  }

  /**
   * Remember a file's plugin, under the stat taken before its bytes were read.
   *
   * @example
   * ```ts ignore
   * import { HashCache } from "@plugboard/plugboard/registry";
   *
   * const cache = new HashCache();
   * const stat = Deno.statSync("build/greeter.so");
   * cache.store(stat, { sha256: "…", name: "greeter", version: "0.1.0", abi: "1.0", buildId: "", compiler: "gcc 12.2.0", interfaces: [] });
   * ```
   *
   * @param stat the file's stat, taken before reading it
   * @param plugin its hash and metadata
   * @param options when it was hashed, and its path
   */
  store(stat: FileStamp | Deno.FileInfo, plugin: CachedPlugin, options: StoreOptions = {}): void {
    const s = toStamp(stat);
    if (!s.isFile || s.ino < 0 || s.mtimeMs < 0) return;
    this.#entries.set(`${s.dev}:${s.ino}`, {
      path: options.path ?? "",
      size: s.size,
      mtimeMs: s.mtimeMs,
      ctimeMs: s.ctimeMs,
      hashedAtMs: options.hashedAtMs ?? Date.now(),
      plugin,
    });
    this.#dirty = true;
  }

  #entry(key: string): Entry | undefined {
    const e = this.#entries.get(key);
    if (!e || !("raw" in e)) return e;
    const parsed = parseEntry(e.raw);
    if (parsed) this.#entries.set(key, parsed);
    else this.#entries.delete(key);
    return parsed;
  }

  /**
   * The `*.so` and `*.wasm` names of a directory as last listed, if the directory is
   * unchanged (an entry added, removed or renamed changes its times) and the
   * listing is not racy.
   *
   * @example
   * ```ts
   * import { HashCache } from "@plugboard/plugboard/registry";
   *
   * console.log(new HashCache().lookupListing(Deno.statSync("."))); // undefined
   * ```
   *
   * @param stat the directory's current stat
   * @returns the names, sorted, or `undefined` when it must be read
   */
  lookupListing(stat: FileStamp | Deno.FileInfo): readonly string[] | undefined {
    const s = toStamp(stat);
    const l = s.isDirectory && s.ino >= 0 ? this.#listings.get(`${s.dev}:${s.ino}`) : undefined;
    return l && l.mtimeMs === s.mtimeMs && l.ctimeMs === s.ctimeMs &&
        l.mtimeMs < l.listedAtMs - RACY_WINDOW_MS
      ? l.names
      : undefined;
  }

  /**
   * Remember a directory's `*.so` and `*.wasm` names, under the stat taken before listing it.
   *
   * @example
   * ```ts
   * import { HashCache } from "@plugboard/plugboard/registry";
   *
   * const cache = new HashCache();
   * cache.storeListing(Deno.statSync("."), ["a.so"], { listedAtMs: Date.now() });
   * ```
   *
   * @param stat the directory's stat, taken before listing it
   * @param names the names, sorted
   * @param options when it was listed, and its path
   */
  storeListing(
    stat: FileStamp | Deno.FileInfo,
    names: readonly string[],
    options: { listedAtMs?: number; path?: string } = {},
  ): void {
    const s = toStamp(stat);
    if (!s.isDirectory || s.ino < 0 || s.mtimeMs < 0) return;
    this.#listings.set(`${s.dev}:${s.ino}`, {
      path: options.path ?? "",
      mtimeMs: s.mtimeMs,
      ctimeMs: s.ctimeMs,
      listedAtMs: options.listedAtMs ?? Date.now(),
      names: Object.freeze([...names]),
    });
    this.#dirty = true;
  }

  /**
   * Write the cache atomically (mode 0600, its directory created 0700),
   * when it changed. Keeps at most {@linkcode MAX_CACHE_ENTRIES} entries.
   * A cache file that was ignored when loading (not a regular file, too
   * large, malformed, writable by others) is never overwritten: what it
   * holds is not plugboard's to destroy; remove it to start a new cache.
   *
   * @example
   * ```ts ignore
   * import { HashCache } from "@plugboard/plugboard/registry";
   *
   * const cache = HashCache.load(".cache/plugboard-hashes.json");
   * cache.save();
   * ```
   *
   * @param path where to write
   * @returns whether it was written
   */
  save(path: string | undefined = this.path): boolean {
    if (path === undefined || (!this.#dirty && path === this.path)) return false;
    if (this.ignored !== undefined && path === this.path) return false;
    let entries: [string, Entry][] = [];
    for (const key of this.#entries.keys()) {
      const e = this.#entry(key);
      if (e) entries.push([key, e]);
    }
    if (entries.length > MAX_CACHE_ENTRIES) {
      entries = entries.sort((a, b) => b[1].hashedAtMs - a[1].hashedAtMs)
        .slice(0, MAX_CACHE_ENTRIES);
      this.#entries = new Map(entries);
    }
    entries.sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
    const files: Record<string, unknown> = {};
    for (const [key, e] of entries) {
      files[key] = {
        path: e.path,
        size: e.size,
        mtimeMs: e.mtimeMs,
        ctimeMs: e.ctimeMs,
        hashedAtMs: e.hashedAtMs,
        ...e.plugin,
      };
    }
    const directories: Record<string, unknown> = {};
    for (const key of [...this.#listings.keys()].sort()) directories[key] = this.#listings.get(key);
    try {
      Deno.mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    } catch (e) {
      throw writeError(e, path);
    }
    writeFileAtomic(
      path,
      JSON.stringify({ version: HASH_CACHE_VERSION, files, directories }) + "\n",
      0o600,
    );
    this.#dirty = false;
    return true;
  }
}

function toStamp(stat: FileStamp | Deno.FileInfo): FileStamp {
  return "mtimeMs" in stat ? stat : stampOf(stat);
}

function parseListing(v: unknown): Listing | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const l = v as Record<string, unknown>;
  const num = (x: unknown) => typeof x === "number" && Number.isFinite(x);
  if (
    typeof l.path !== "string" || !num(l.mtimeMs) || !num(l.ctimeMs) || !num(l.listedAtMs) ||
    !Array.isArray(l.names) || !l.names.every((n) => typeof n === "string")
  ) {
    return undefined;
  }
  return {
    path: l.path,
    mtimeMs: l.mtimeMs as number,
    ctimeMs: l.ctimeMs as number,
    listedAtMs: l.listedAtMs as number,
    names: Object.freeze([...l.names as string[]]),
  };
}

function parseEntry(v: unknown): Entry | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const e = v as Record<string, unknown>;
  const num = (x: unknown) => typeof x === "number" && Number.isFinite(x);
  const str = (x: unknown) => typeof x === "string";
  if (
    !str(e.path) || !num(e.size) || !num(e.mtimeMs) || !num(e.hashedAtMs) ||
    !num(e.ctimeMs) || !str(e.sha256) || !str(e.name) ||
    !str(e.version) || !str(e.abi) || !str(e.buildId) || !str(e.compiler) ||
    !Array.isArray(e.interfaces)
  ) {
    return undefined;
  }
  const interfaces = [];
  for (const i of e.interfaces as Record<string, unknown>[]) {
    if (
      typeof i !== "object" || i === null || !str(i.id) || !str(i.version) ||
      !str(i.hash) || !Array.isArray(i.functions) ||
      !(i.functions as unknown[]).every(str)
    ) {
      return undefined;
    }
    interfaces.push(Object.freeze({
      id: i.id as string,
      version: i.version as string,
      hash: i.hash as string,
      functions: Object.freeze([...i.functions as string[]]),
    }));
  }
  return {
    path: e.path as string,
    size: e.size as number,
    mtimeMs: e.mtimeMs as number,
    ctimeMs: e.ctimeMs as number,
    hashedAtMs: e.hashedAtMs as number,
    plugin: Object.freeze({
      kind: e.kind === "wasm" || e.kind === "executable" ? e.kind : "native",
      sha256: e.sha256 as string,
      name: e.name as string,
      version: e.version as string,
      abi: e.abi as string,
      buildId: e.buildId as string,
      compiler: e.compiler as string,
      interfaces: Object.freeze(interfaces),
    }),
  };
}
