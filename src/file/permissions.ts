/**
 * Who could have changed a file: the rule that a plugin (or a lockfile, or a
 * hash cache) is refused when someone other than the user and root could
 * have replaced it.
 *
 * @module
 */

import { resolve } from "./paths.ts";
import { LoadError } from "../errors/plugin_error.ts";

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
