/**
 * `openLibrary()`: the door to an ordinary shared library, one that carries
 * no plugboard metadata (the system's `libz.so.1`, a vendor's `.so`). The
 * caller declares the signatures; the file is checked first where it can be
 * (it exists, is a shared object for this machine, exports each declared
 * function), then loaded in this process, or, with `isolation: "process"`,
 * in child processes where a crash or a hang in it cannot take the host
 * down.
 *
 * @module
 */

import type { SignatureRecord } from "../abi/signature.ts";
import type { IsolationOptions } from "../isolate/isolate_native.ts";
import type { StructType } from "../abi/struct_type.ts";
import { type Library, loadLibrary, type OpenLibraryOptions } from "../loader/open_library.ts";

/** Options of {@linkcode openLibrary} for a library in child processes. */
export interface OpenIsolatedLibraryOptions
  extends IsolationOptions, Omit<OpenLibraryOptions, "isolation" | "structs"> {
  /**
   * `"process"`: in child processes, so that a crash or a hang in the
   * library (its constructors included) cannot take the host down. Every
   * function returns a Promise.
   */
  isolation: "process";
}

/**
 * Open an ordinary shared library in this process with declared signatures.
 * A path (with a `/`) is checked first: it must exist, be a 64-bit shared
 * object for this machine, and export each declared function. A bare soname
 * such as `libz.so.1` goes to the dynamic linker's search as it is.
 *
 * @example zlib's version string
 * ```ts
 * import { openLibrary } from "@plugboard/plugboard";
 *
 * using zlib = openLibrary("libz.so.1", { zlibVersion: "cstring zlibVersion()" });
 * console.log(zlib.symbols.zlibVersion()); // e.g. "1.2.13"
 * ```
 *
 * @param path a file path or a soname
 * @param declarations function name to signature text
 * @param options the permission check, the structs passed by value
 * @returns the library
 * @throws {LoadError} `NOT_FOUND`, `NOT_ELF`, `WRONG_ARCH`, `SYMBOL_MISSING`, `LOAD_FAILED`...
 * @throws {PluginError} `USAGE` for a declaration that cannot be parsed or is `fallible`, or
 *   passes a struct not in `structs`
 */
export function openLibrary<
  const F extends SignatureRecord,
  const S extends readonly StructType[] = [],
>(
  path: string,
  declarations: F,
  options?: OpenLibraryOptions<S>,
): Library<F, "sync", S>;
/**
 * Open an ordinary shared library in child processes, so that a crash or a
 * hang in it (its constructors included) cannot take the host down: a crash
 * rejects the pending calls with `PLUGIN_CRASHED` and the signal, a call
 * slower than `timeoutMs` with `PLUGIN_TIMEOUT`. The functions have the
 * types of the declarations, but return Promises. The file must be a path;
 * each child loads exactly the bytes the host checked. Pointers cannot cross
 * a process boundary: declare data as `buffer` parameters (copied both ways).
 *
 * @example A vendor library that may crash
 * ```ts ignore
 * import { openLibrary } from "@plugboard/plugboard";
 *
 * await using lib = await openLibrary("vendor/libfoo.so", { add: "i32 add(i32 a, i32 b)" }, {
 *   isolation: "process",
 *   timeoutMs: 1000,
 *   restart: true,
 * });
 * console.log(await lib.symbols.add(2, 3)); // 5
 * ```
 *
 * @param path the library file
 * @param declarations function name to signature text
 * @param options `isolation: "process"`, and timeouts, restarts, pool, log, sandbox
 * @returns the library, once every child has loaded it
 * @throws {PluginError} `USAGE` for a soname, an option out of range, or a declaration that cannot be isolated
 * @throws {LoadError} with a code saying which check failed (before any child starts)
 * @throws {CrashError} `PLUGIN_CRASHED` when the library crashes while loading
 */
export function openLibrary<const F extends SignatureRecord>(
  path: string,
  declarations: F,
  options: OpenIsolatedLibraryOptions,
): Promise<Library<F, "async">>;
export function openLibrary<const F extends SignatureRecord>(
  path: string,
  declarations: F,
  options: OpenLibraryOptions | OpenIsolatedLibraryOptions = {},
): Library<F, "sync", readonly StructType[]> | Promise<Library<F, "async">> {
  if (options.isolation === "process") return isolated(path, declarations, options);
  return loadLibrary(path, declarations, options);
}

/** Isolation's modules are loaded the first time a library is isolated, not at import. */
async function isolated<const F extends SignatureRecord>(
  path: string,
  declarations: F,
  options: OpenIsolatedLibraryOptions,
): Promise<Library<F, "async">> {
  const { isolateLibrary } = await import("../isolate/isolate_library.ts");
  return await isolateLibrary(path, declarations, options);
}
