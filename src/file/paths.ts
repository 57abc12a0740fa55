/**
 * POSIX path arithmetic, the part of `node:path` plugboard uses, without
 * importing `node:path` (which costs a few milliseconds of start-up: see
 * docs/performance.md). Paths are strings with `/` separators; nothing here
 * touches the file system except {@linkcode resolve}, which reads the
 * current directory when its arguments are relative.
 *
 * @module
 */

/**
 * Normalise a path: collapse repeated `/`, drop `.` segments, resolve `..`
 * against the segment before it (never above the root of an absolute
 * path), and drop a trailing `/`.
 *
 * @example
 * ```ts
 * import { normalize } from "./paths.ts";
 *
 * console.log(normalize("/a//b/./c/../d/")); // "/a/b/d"
 * console.log(normalize("../x/../y")); // "../y"
 * ```
 *
 * @param path the path
 * @returns the normal form; `"."` for an empty relative path
 */
export function normalize(path: string): string {
  const absolute = path.startsWith("/");
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
      continue;
    }
    out.push(part);
  }
  const joined = out.join("/");
  return absolute ? `/${joined}` : joined === "" ? "." : joined;
}

/**
 * Whether a path is absolute.
 *
 * @example
 * ```ts
 * import { isAbsolute } from "./paths.ts";
 *
 * console.log(isAbsolute("/usr/lib"), isAbsolute("build")); // true false
 * ```
 *
 * @param path the path
 * @returns whether it starts with `/`
 */
export function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

/**
 * Join path segments and normalise the result.
 *
 * @example
 * ```ts
 * import { join } from "./paths.ts";
 *
 * console.log(join("build", "fixtures", "../greeter.so")); // "build/greeter.so"
 * ```
 *
 * @param parts the segments; empty ones are skipped
 * @returns the joined path
 */
export function join(...parts: string[]): string {
  const present = parts.filter((p) => p !== "");
  return present.length === 0 ? "." : normalize(present.join("/"));
}

/**
 * Resolve segments to an absolute path, right to left until one is
 * absolute, then against the current directory.
 *
 * @example
 * ```ts
 * import { resolve } from "./paths.ts";
 *
 * console.log(resolve("/srv", "plugins", "../build")); // "/srv/build"
 * ```
 *
 * @param parts the segments
 * @returns the absolute, normalised path
 */
export function resolve(...parts: string[]): string {
  let path = "";
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i];
    if (part === "") continue;
    path = path === "" ? part : `${part}/${path}`;
    if (part.startsWith("/")) return normalize(path);
  }
  return normalize(path === "" ? Deno.cwd() : `${Deno.cwd()}/${path}`);
}

/**
 * The directory part of a path.
 *
 * @example
 * ```ts
 * import { dirname } from "./paths.ts";
 *
 * console.log(dirname("/a/b/c.so"), dirname("c.so"), dirname("/c.so")); // "/a/b" "." "/"
 * ```
 *
 * @param path the path
 * @returns everything before the last segment
 */
export function dirname(path: string): string {
  // node:path's algorithm, so that both agree on every input.
  if (path === "") return ".";
  const hasRoot = path.startsWith("/");
  let end = -1;
  let matchedSlash = true;
  for (let i = path.length - 1; i >= 1; i--) {
    if (path[i] === "/") {
      if (!matchedSlash) {
        end = i;
        break;
      }
    } else {
      matchedSlash = false;
    }
  }
  if (end === -1) return hasRoot ? "/" : ".";
  if (hasRoot && end === 1) return "//";
  return path.slice(0, end);
}

/**
 * The last segment of a path, without a trailing `/`.
 *
 * @example
 * ```ts
 * import { basename } from "./paths.ts";
 *
 * console.log(basename("/a/b/c.so")); // "c.so"
 * ```
 *
 * @param path the path
 * @param suffix an ending to remove, e.g. `".so"` (not when it is the whole name)
 * @returns its last segment
 */
export function basename(path: string, suffix?: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, "") : path;
  const base = trimmed.slice(trimmed.lastIndexOf("/") + 1);
  return suffix && base !== suffix && base.endsWith(suffix) ? base.slice(0, -suffix.length) : base;
}

/**
 * The extension of a path's last segment, from its last `.` (not a leading one).
 *
 * @example
 * ```ts
 * import { extname } from "./paths.ts";
 *
 * console.log(extname("greeter.so"), extname(".hidden"), extname("Makefile")); // ".so" "" ""
 * ```
 *
 * @param path the path
 * @returns the extension with its dot, or `""`
 */
export function extname(path: string): string {
  const base = basename(path);
  const dot = base.lastIndexOf(".");
  return dot <= 0 || base === ".." ? "" : base.slice(dot);
}

/**
 * The relative path from one place to another (both resolved first).
 *
 * @example
 * ```ts
 * import { relative } from "./paths.ts";
 *
 * console.log(relative("/srv/app", "/srv/plugins/a.so")); // "../plugins/a.so"
 * ```
 *
 * @param from where to start
 * @param to where to arrive
 * @returns the path from `from` to `to`; `""` when they are the same
 */
export function relative(from: string, to: string): string {
  const a = resolve(from).split("/").filter((p) => p !== "");
  const b = resolve(to).split("/").filter((p) => p !== "");
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => ".."), ...b.slice(i)].join("/");
}
