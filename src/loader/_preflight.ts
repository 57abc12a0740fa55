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

/**
 * Resolve, check and read a plugin file.
 *
 * @param path the path given by the caller
 * @returns the file and its hash
 * @throws {LoadError} `NOT_FOUND`, `NOT_A_FILE`, `PERMISSION_DENIED`
 */
export function readPluginFile(path: string): PluginFile {
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
        ? `name a .so file inside it, e.g. ${path.replace(/\/$/, "")}/NAME.so, or let a PluginHost scan the directory`
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
