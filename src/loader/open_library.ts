/**
 * `openLibrary()`: the raw mode, for ordinary shared libraries that carry no
 * plugboard metadata (the system's `libz.so.1`, say). The caller declares the
 * signatures; plugboard checks the file and its symbols first where it can,
 * translates dlopen's errors, and makes calls after close throw instead of
 * crashing.
 *
 * @module
 */

import { parseDeclarations, structRecord } from "../abi/define_interface.ts";
import type { FunctionsOf, SignatureRecord } from "../abi/signature.ts";
import type { StructType } from "../abi/struct_type.ts";
import { checkLibrary } from "../check/check_plugin.ts";
import { dlopenError } from "../check/symbols.ts";
import type { ElfInfo } from "../elf/read_elf.ts";
import type { CloseResult, HandleState } from "../handle/plugin.ts";
import { ffiDeclaration, makeWrapper } from "./_bind.ts";

/**
 * An open ordinary library with typed functions. After
 * {@linkcode Library.close} every function throws `CLOSED`; close waits for
 * nonblocking calls in flight before it unloads the library.
 */
export class Library<
  F extends SignatureRecord,
  S extends readonly StructType[] = [],
> implements Disposable, AsyncDisposable {
  /** The path or soname as given. */
  readonly path: string;
  /** The typed functions. */
  readonly symbols: FunctionsOf<F, { readonly [T in S[number] as T["name"]]: T }>;
  #lib: Deno.DynamicLibrary<Record<string, Deno.ForeignFunction>>;
  #handle: HandleState = { closed: false };
  #state = { inflight: 0, drained: () => this.#finish() };
  #done: ((r: CloseResult) => void) | undefined;
  #closing: Promise<CloseResult> | undefined;

  /**
   * Libraries are made by {@linkcode openLibrary}.
   *
   * @param path the path or soname
   * @param declarations the signatures
   * @param elf the parsed file, when a path was given
   * @param structs the structs the signatures pass by value
   * @internal
   */
  constructor(
    path: string,
    declarations: F,
    elf: ElfInfo | undefined,
    structs: S | undefined = undefined,
  ) {
    this.path = path;
    const sigs = parseDeclarations(declarations, structRecord(structs ?? []));
    const decls: Record<string, Deno.ForeignFunction> = {};
    for (const sig of sigs.values()) decls[sig.name] = ffiDeclaration(sig);
    try {
      this.#lib = Deno.dlopen(path, decls);
    } catch (e) {
      throw dlopenError(e, path, path, elf);
    }
    const out: Record<string, unknown> = {};
    for (const sig of sigs.values()) {
      out[sig.name] = makeWrapper(sig, this.#lib.symbols[sig.name] as () => unknown, {
        path,
        handle: this.#handle,
        library: this.#state,
      });
    }
    this.symbols = Object.freeze(out) as FunctionsOf<
      F,
      { readonly [T in S[number] as T["name"]]: T }
    >;
  }

  /** Whether {@linkcode Library.close} was called. */
  get closed(): boolean {
    return this.#handle.closed;
  }

  /**
   * Close: functions throw `CLOSED` from now on; the library is unloaded once
   * nonblocking calls in flight have returned.
   *
   * @returns when the library is unloaded
   */
  close(): Promise<CloseResult> {
    if (this.#closing) return this.#closing;
    this.#handle.closed = true;
    this.#closing = new Promise<CloseResult>((resolve) => this.#done = resolve);
    this.#finish();
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

  #finish(): void {
    if (!this.#done || this.#state.inflight > 0) return;
    const done = this.#done;
    this.#done = undefined;
    this.#lib.close();
    done({ unloaded: true });
  }
}

/** Options of {@linkcode openLibrary}. */
export interface OpenLibraryOptions<S extends readonly StructType[] = readonly StructType[]> {
  /**
   * Open a library file even when it, or a directory above it, is writable by
   * group or others (otherwise `INSECURE_PERMISSIONS`). Sonames are not checked.
   * @default false
   */
  allowInsecurePermissions?: boolean;
  /**
   * The structs the declarations pass by value (`struct point f(struct point p)`),
   * made by `struct(...)`. An ordinary library records no layouts: these
   * are trusted as declared.
   * @default []
   */
  structs?: S;
}

/**
 * Open an ordinary shared library with declared signatures. A path (with a
 * `/`) is checked first: it must exist, be a 64-bit shared object for this
 * machine, and export each declared function. A bare soname such as
 * `libz.so.1` goes to the dynamic linker's search as it is.
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
 * @throws {PluginError} `USAGE` for a declaration passing a struct not in `structs`
 */
export function openLibrary<
  const F extends SignatureRecord,
  const S extends readonly StructType[] = [],
>(
  path: string,
  declarations: F,
  options: OpenLibraryOptions<S> = {},
): Library<F, S> {
  const elf = path.includes("/")
    ? checkLibrary(path, Object.keys(declarations), options).elf
    : undefined;
  return new Library(path, declarations, elf, options.structs);
}
