/**
 * Everything checked about a plugin file before dlopen: that it exists, is a
 * regular readable file, and what its bytes and their SHA-256 are. The bytes
 * read here are the bytes later parsed, hashed and loaded.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { LoadError } from "../errors/plugin_error.ts";

/** A file read for loading. */
export interface PluginFile {
  /** The path as the caller gave it. */
  path: string;
  /** The absolute path with every symlink resolved. */
  realPath: string;
  /** Whether `path` went through a symlink. */
  viaSymlink: boolean;
  /** The file's bytes. */
  bytes: Uint8Array;
  /** SHA-256 of `bytes`, hex. */
  sha256: string;
  /** The file's stat at read time. */
  stat: Deno.FileInfo;
}

/** Files larger than this are refused: no plugin is 1 GiB. */
export const MAX_PLUGIN_BYTES = 1 << 30;

/** Options of {@linkcode readPluginFile}. */
export interface ReadPluginFileOptions {
  /**
   * Skip the permission check of {@linkcode checkPermissions}.
   * @default false
   */
  allowInsecurePermissions?: boolean;
  /** Directories already found secure, shared between calls to check each once. */
  secureDirectories?: Set<string>;
}

/**
 * Resolve, check and read a plugin file.
 *
 * @param path the path given by the caller
 * @param options the permission check
 * @returns the file and its hash
 * @throws {LoadError} `NOT_FOUND`, `NOT_A_FILE`, `PERMISSION_DENIED`,
 *   `INSECURE_PERMISSIONS`
 */
export function readPluginFile(
  path: string,
  options: ReadPluginFileOptions = {},
): PluginFile {
  const realPath = realPathOf(path);
  let stat: Deno.FileInfo;
  try {
    stat = Deno.statSync(realPath);
  } catch (e) {
    throw fileError(e, path);
  }
  if (!stat.isFile) {
    throw new LoadError("NOT_A_FILE", {
      path,
      what: "not a regular file",
      expected: "a shared library file (.so)",
      found: stat.isDirectory ? "a directory" : "a special file (device, socket or pipe)",
      hint: stat.isDirectory
        ? `name a .so file inside it, e.g. ${
          path.replace(/\/$/, "")
        }/NAME.so, or let a PluginHost scan the directory`
        : "name a shared library file",
    });
  }
  if (stat.size > MAX_PLUGIN_BYTES) {
    throw new LoadError("NOT_A_FILE", {
      path,
      what: "file too large to be a plugin",
      expected: `at most ${MAX_PLUGIN_BYTES} bytes`,
      found: `${stat.size} bytes`,
      hint: "check that the path names a plugin",
    });
  }
  if (!options.allowInsecurePermissions) {
    checkPermissions({ path, realPath, stat }, options);
  }
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(realPath);
  } catch (e) {
    throw fileError(e, path);
  }
  return {
    path,
    realPath,
    viaSymlink: realPath !== resolve(path),
    bytes,
    sha256: sha256Hex(bytes),
    stat,
  };
}

/**
 * SHA-256 of bytes, hex, at native speed.
 *
 * @param bytes the data
 * @returns the hex digest
 */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * The absolute path with symlinks resolved.
 *
 * @param path the path
 * @returns the real path
 * @throws {LoadError} `NOT_FOUND` or `PERMISSION_DENIED`
 */
export function realPathOf(path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch (e) {
    throw fileError(e, path);
  }
}

/**
 * Refuse a plugin file that someone else could change: the file, every
 * directory from it up to `/`, and (for a path through a symlink) the
 * directory holding the link and its parents, must not be writable by group
 * or others, nor owned by a user other than root or the current user. A
 * directory writable by others is accepted when it has the sticky bit (like
 * `/tmp`): others cannot rename or remove what they do not own in it.
 * Directories Deno may not read (`--allow-read` scoped) are not checked.
 *
 * @param file the path given by the caller, the real path and its stat
 * @param options directories already found secure (filled in), and the
 *   given path made absolute when the caller knows it
 * @throws {LoadError} `INSECURE_PERMISSIONS`, naming the path and its mode
 */
export function checkPermissions(
  file: { path: string; realPath: string; stat: { mode: number | null; uid: number | null } },
  options: { secureDirectories?: Set<string>; absolutePath?: string } = {},
): void {
  const { path, realPath } = file;
  const secure = options.secureDirectories ?? new Set<string>();
  const uid = currentUid();
  insecurity(path, realPath, file.stat, false, uid);
  checkDirectories(path, parentOf(realPath), uid, secure);
  const given = options.absolutePath ?? absolutePath(path);
  if (realPath !== given) {
    // Whoever can write the directory holding the link can redirect it.
    let linkDir: string | undefined;
    try {
      if (mayRead(parentOf(given))) linkDir = Deno.realPathSync(parentOf(given));
    } catch {
      linkDir = undefined;
    }
    if (linkDir !== undefined) checkDirectories(path, linkDir, uid, secure);
  }
}

/**
 * `resolve(path)`, without the work when the path is absolute and normal.
 *
 * @param path a path
 * @returns the absolute, normalized path
 */
export function absolutePath(path: string): string {
  return path.startsWith("/") && !/\/\.{0,2}(?:\/|$)/.test(path) ? path : resolve(path);
}

/** A directory and its parents up to `/`; a directory found secure had its parents checked too. */
function checkDirectories(
  path: string,
  dir: string,
  uid: number | null,
  secure: Set<string>,
): void {
  const checked: string[] = [];
  for (let d = dir;; d = parentOf(d)) {
    if (secure.has(d)) break;
    let st: Deno.FileInfo | undefined;
    try {
      st = mayRead(d) ? Deno.statSync(d) : undefined;
    } catch {
      st = undefined; // not readable under Deno's permissions: not checked
    }
    if (st) insecurity(path, d, st, true, uid);
    checked.push(d);
    if (d === "/") break;
  }
  // Only once the whole chain passed, so a secure entry implies secure parents.
  for (const d of checked) secure.add(d);
}

function parentOf(p: string): string {
  const i = p.lastIndexOf("/");
  return i <= 0 ? "/" : p.slice(0, i);
}

let cachedUid: number | null | undefined;

/** The current user's id, or null when Deno may not tell (then ownership is not checked). */
function currentUid(): number | null {
  if (cachedUid !== undefined) return cachedUid;
  cachedUid = null;
  try {
    // Ask only what is granted: a permission prompt in the middle of a load helps no one.
    if (Deno.permissions.querySync({ name: "sys", kind: "uid" }).state === "granted") {
      cachedUid = Deno.uid();
    } else if (mayRead("/proc/self")) {
      cachedUid = Deno.statSync("/proc/self").uid;
    }
  } catch {
    cachedUid = null;
  }
  return cachedUid;
}

/** Whether Deno may read a path without prompting. */
function mayRead(path: string): boolean {
  return Deno.permissions.querySync({ name: "read", path }).state === "granted";
}

function insecurity(
  path: string,
  subject: string,
  st: { mode: number | null; uid: number | null },
  isDir: boolean,
  uid: number | null,
): void {
  const mode = st.mode;
  if (mode === null) return;
  const owner = st.uid;
  const foreign = uid !== null && owner !== null && owner !== 0 && owner !== uid;
  const writable = mode & 0o022;
  const sticky = (mode & 0o1000) !== 0;
  if (!foreign && !(writable && !(isDir && sticky))) return;
  const what = isDir ? "directory" : "file";
  const octal = `0${(mode & 0o7777).toString(8).padStart(3, "0")}`;
  if (foreign) {
    throw new LoadError("INSECURE_PERMISSIONS", {
      path,
      what: `${what} ${subject} is owned by another user`,
      expected: `owner root or uid ${uid} (you)`,
      found: `owner uid ${owner}, mode ${octal}`,
      hint:
        `that user can replace the plugin; move it somewhere only you and root control, or pass { allowInsecurePermissions: true } if you trust uid ${owner}`,
    });
  }
  const who = (mode & 0o020) && (mode & 0o002)
    ? "group and others"
    : mode & 0o002
    ? "others"
    : "group";
  throw new LoadError("INSECURE_PERMISSIONS", {
    path,
    what: `${what} ${subject} is writable by ${who}`,
    expected: isDir
      ? "a directory not writable by group or others (or with the sticky bit, like /tmp)"
      : "a file not writable by group or others (e.g. mode 0644 or 0755)",
    found: `mode ${octal}`,
    hint:
      `chmod go-w ${subject}, or pass { allowInsecurePermissions: true } if you trust everyone who can write there`,
  });
}

function fileError(e: unknown, path: string): LoadError {
  if (e instanceof Deno.errors.NotFound) {
    return new LoadError("NOT_FOUND", {
      path,
      what: "no such file",
      expected: "an existing file",
      found: `nothing at ${resolve(path)}`,
      hint: path.startsWith("build/")
        ? "build the plugins first: deno task build"
        : "check the path, or build the plugin first",
      cause: e,
    });
  }
  if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
    return new LoadError("PERMISSION_DENIED", {
      path,
      what: "cannot read the file",
      expected: "a readable file",
      found: e.message,
      hint: "grant read access (chmod, or Deno's --allow-read for this path)",
      cause: e,
    });
  }
  return new LoadError("NOT_A_FILE", {
    path,
    what: "cannot read the file",
    expected: "a readable regular file",
    found: e instanceof Error ? e.message : String(e),
    hint: "check the path",
    cause: e,
  });
}
