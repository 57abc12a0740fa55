/**
 * The raw mode, for ordinary shared libraries that carry no plugboard
 * metadata (the system's `libz.so.1`, say): the {@linkcode Library} handle,
 * whose functions the caller declares, and {@linkcode loadLibrary}, which
 * opens one in this process. plugboard checks the file and its symbols first
 * where it can, translates dlopen's errors, and makes calls after close throw
 * instead of crashing. (`openLibrary()` in `src/open/` is the public door: in
 * this process, or in child processes through `src/isolate/`.)
 *
 * @module
 */

import { parseDeclarations, structRecord } from "../abi/define_interface.ts";
import type { Signature, SignatureRecord } from "../abi/signature.ts";
import type { StructType } from "../abi/struct_type.ts";
import { type CheckedLibrary, checkLibrary } from "../check/check_plugin.ts";
import { dlopenError } from "../check/symbols.ts";
import type { ElfInfo } from "../elf/read_elf.ts";
import { LoadError, PluginError, quote } from "../errors/plugin_error.ts";
import {
  type CallMode,
  type CloseResult,
  type FunctionsIn,
  type HandleState,
  type Isolation,
  newHandleState,
  type PluginBackend,
  type ProcessesState,
} from "../handle/plugin.ts";
import { ffiDeclaration, type LibraryState, makeWrapper } from "./_bind.ts";
import type { LoadMode } from "./_loaded_library.ts";
import { assertFfi, closeFd, sealedCopy } from "./_memfd.ts";

/** What a {@linkcode Library} is made of; made by the openers. */
export interface LibraryInit<M extends CallMode> {
  /** The path or soname as the caller gave it. */
  readonly path: string;
  /** The signatures, parsed. */
  readonly signatures: ReadonlyMap<string, Signature>;
  /** What runs the library: in this process, or a pool of child processes. */
  readonly backend: PluginBackend;
  /** How calls are made. */
  readonly calls: M;
  /** Where the library runs. */
  readonly isolation: Isolation;
}

/**
 * An open ordinary library with typed functions, declared by the caller.
 * After {@linkcode Library.close} every function throws (or rejects with)
 * `CLOSED` instead of reaching unloaded code.
 *
 * `M` is `"sync"` for a library in this process and `"async"` for one in
 * child processes (`isolation: "process"`), whose every function returns a
 * Promise.
 */
export class Library<
  F extends SignatureRecord,
  M extends CallMode = "sync",
  S extends readonly StructType[] = [],
> implements Disposable, AsyncDisposable {
  /** The path or soname as given. */
  readonly path: string;
  /** The typed functions. */
  readonly symbols: FunctionsIn<M, F, { readonly [T in S[number] as T["name"]]: T }>;
  /** Where it runs: `"none"` (this process) or `"process"` (child processes). */
  readonly isolation: Isolation;
  /** How its functions are called. */
  readonly calls: M;
  #backend: PluginBackend;
  #state: HandleState = newHandleState();
  #closing: Promise<CloseResult> | undefined;

  /**
   * Libraries are made by `openLibrary`.
   *
   * @param init the path, the signatures, the backend and the call mode
   * @internal
   */
  constructor(init: LibraryInit<M>) {
    this.path = init.path;
    this.isolation = init.isolation;
    this.calls = init.calls;
    this.#backend = init.backend;
    const sigs = [...init.signatures.values()];
    init.backend.checkBindable(sigs, init.path);
    this.symbols = init.backend.bind(sigs, this.#state) as FunctionsIn<
      M,
      F,
      { readonly [T in S[number] as T["name"]]: T }
    >;
  }

  /** Whether {@linkcode Library.close} was called. */
  get closed(): boolean {
    return this.#state.closed;
  }

  /**
   * The processes serving a library opened with `isolation: "process"`:
   * status, restarts, the last crash, pids and pending calls; `undefined`
   * in this process.
   */
  get processes(): ProcessesState | undefined {
    return this.#backend.processes?.();
  }

  /**
   * Close: functions throw `CLOSED` from now on. In this process the
   * library is unloaded once nonblocking calls in flight have returned; in
   * child processes each child finishes its calls and exits (or is killed
   * after the grace period).
   *
   * @returns when the library is unloaded
   */
  close(): Promise<CloseResult> {
    if (this.#closing) return this.#closing;
    this.#state.closed = true;
    this.#closing = this.#backend.close();
    return this.#closing;
  }

  /** Same as {@linkcode Library.close}, without waiting. */
  [Symbol.dispose](): void {
    void this.close();
  }

  /** Same as {@linkcode Library.close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Refuse declarations an ordinary library cannot honour: `fallible` needs
 * plugboard's error channel (`plugboard_take_error`), which only plugins have.
 *
 * @param sigs the signatures
 * @param path the library, for messages
 * @throws {PluginError} `USAGE`
 */
export function assertPlainSignatures(sigs: Iterable<Signature>, path: string): void {
  for (const sig of sigs) {
    if (!sig.fallible) continue;
    throw new PluginError(
      "USAGE",
      `Cannot declare ${quote(sig.name)} of library ${
        quote(path)
      } fallible: expected a plain signature, found "fallible", which needs plugboard's error channel (plugboard_take_error) that only plugins export`,
      {
        path,
        hint:
          "drop `fallible` and check the function's own error result, or build the library as a plugin",
      },
    );
  }
}

/**
 * An ordinary library mapped into this process: loaded once (its ELF
 * constructors run then), its functions bound on demand by their declared
 * signatures, unloaded once it is closed and no nonblocking call is in
 * flight.
 */
export class LibraryBackend implements PluginBackend {
  readonly #state: LibraryState = { inflight: 0, drained: () => this.#finish() };
  readonly #path: string;
  readonly #loadPath: string;
  readonly #elf: ElfInfo | undefined;
  readonly #memfd: number | undefined;
  readonly #anchor: Deno.DynamicLibrary<Record<string, never>>;
  #groups: Deno.DynamicLibrary<Record<string, Deno.ForeignFunction>>[] = [];
  #done: ((r: CloseResult) => void) | undefined;
  #closing: Promise<CloseResult> | undefined;

  private constructor(
    path: string,
    loadPath: string,
    elf: ElfInfo | undefined,
    memfd: number | undefined,
  ) {
    this.#path = path;
    this.#loadPath = loadPath;
    this.#elf = elf;
    this.#memfd = memfd;
    try {
      this.#anchor = Deno.dlopen(loadPath, {});
    } catch (e) {
      if (memfd !== undefined) closeFd(memfd);
      throw dlopenError(e, path, loadPath, elf);
    }
  }

  /**
   * Load a library: a checked file from a sealed in-memory copy of exactly
   * the bytes that were checked (`"memfd"`) or by its path (`"path"`), or,
   * without a checked file, a soname through the dynamic linker's search.
   *
   * @param path the path or soname as given
   * @param checked the checked file, when a path was given
   * @param mode how a checked file is mapped
   * @returns the loaded library
   * @throws {LoadError} `LOAD_FAILED` (translated from dlopen), ...
   */
  static load(path: string, checked: CheckedLibrary | undefined, mode: LoadMode): LibraryBackend {
    if (checked === undefined || mode === "path") {
      return new LibraryBackend(path, path, checked?.elf, undefined);
    }
    let copy;
    try {
      copy = sealedCopy(path.slice(path.lastIndexOf("/") + 1), checked.file.bytes);
    } catch (e) {
      throw new LoadError("LOAD_FAILED", {
        path,
        what: "could not make a sealed in-memory copy",
        expected: "memfd_create, write and F_ADD_SEALS to succeed",
        found: (e as Error).message,
        hint: "this kernel lacks memfd_create; open the library in this process instead",
        cause: e,
      });
    }
    return new LibraryBackend(path, copy.path, checked.elf, copy.fd);
  }

  /** Declarations an ordinary library cannot honour are refused (`fallible`). */
  checkBindable(sigs: readonly Signature[], path: string): void {
    assertPlainSignatures(sigs, path);
  }

  bind(sigs: readonly Signature[], state: HandleState): Record<string, unknown> {
    const decls: Record<string, Deno.ForeignFunction> = {};
    for (const sig of sigs) decls[sig.name] = ffiDeclaration(sig);
    let lib;
    try {
      // The same name as the anchor: the dynamic linker hands back the
      // library already loaded, so this only looks the symbols up.
      lib = Deno.dlopen(this.#loadPath, decls);
    } catch (e) {
      throw dlopenError(e, this.#path, this.#loadPath, this.#elf);
    }
    this.#groups.push(lib);
    const out: Record<string, unknown> = {};
    for (const sig of sigs) {
      out[sig.name] = makeWrapper(sig, lib.symbols[sig.name] as () => unknown, {
        path: this.#path,
        handle: state,
        library: this.#state,
      });
    }
    return Object.freeze(out);
  }

  close(): Promise<CloseResult> {
    if (this.#closing) return this.#closing;
    this.#closing = new Promise<CloseResult>((resolve) => this.#done = resolve);
    this.#finish();
    return this.#closing;
  }

  #finish(): void {
    if (!this.#done || this.#state.inflight > 0) return;
    const done = this.#done;
    this.#done = undefined;
    for (const g of this.#groups) g.close();
    this.#groups = [];
    this.#anchor.close();
    if (this.#memfd !== undefined) closeFd(this.#memfd);
    done({ unloaded: true });
  }
}

/** Options of an ordinary library opened in this process. */
export interface OpenLibraryOptions<S extends readonly StructType[] = readonly StructType[]> {
  /**
   * Open a library file even when it, or a directory above it, is writable by
   * group or others (otherwise `INSECURE_PERMISSIONS`). Sonames are not checked.
   * @default false
   */
  allowInsecurePermissions?: boolean;
  /**
   * Where the library runs: `"none"`, in this process (calls are
   * synchronous; a crash in the library is a crash of the host).
   * @default "none"
   */
  isolation?: "none";
  /**
   * The structs the declarations pass by value (`struct point f(struct point p)`),
   * made by `struct(...)`. An ordinary library records no layouts: these
   * are trusted as declared.
   * @default []
   */
  structs?: S;
}

/**
 * Open an ordinary shared library in this process with declared signatures.
 * A path (with a `/`) is checked first: it must exist, be a 64-bit shared
 * object for this machine, and export each declared function. A bare soname
 * such as `libz.so.1` goes to the dynamic linker's search as it is.
 *
 * @example zlib's version string
 * ```ts
 * import { loadLibrary } from "./open_library.ts";
 *
 * using zlib = loadLibrary("libz.so.1", { zlibVersion: "cstring zlibVersion()" });
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
export function loadLibrary<
  const F extends SignatureRecord,
  const S extends readonly StructType[] = [],
>(
  path: string,
  declarations: F,
  options: OpenLibraryOptions<S> = {},
): Library<F, "sync", S> {
  const signatures = parseDeclarations(declarations, structRecord(options.structs ?? []));
  assertFfi(path);
  assertPlainSignatures(signatures.values(), path);
  const checked = path.includes("/") ? checkLibrary(path, signatures.keys(), options) : undefined;
  const backend = LibraryBackend.load(path, checked, "path");
  try {
    return new Library<F, "sync", S>({
      path,
      signatures,
      backend,
      calls: "sync",
      isolation: "none",
    });
  } catch (e) {
    void backend.close();
    throw e;
  }
}
