/**
 * `openPlugin()`: load a plugboard plugin in this process, after checking
 * everything that can be checked without running it.
 *
 * The order of checks: the file (exists, regular, readable), its ELF header
 * (class, machine, type), the plugin's metadata (ABI version first, then the
 * rest), the registry's check (`registry` and `policy`: lockfile entry and
 * trust policy), the caller's `verify` hook, the
 * interfaces the host asked for, function by function, and the exported
 * symbols they need. Only then is the library mapped, from a sealed in-memory
 * copy of exactly the bytes that were checked, and its in-memory metadata is
 * compared with the file's before its init hook, the first plugin code that
 * plugboard calls, runs. (The dynamic linker runs the library's ELF
 * constructors during the load itself, as it does for any library.)
 *
 * @module
 */

import { checkInterface, parseDeclarations } from "../abi/define_interface.ts";
import type { InterfaceSpec } from "../abi/define_interface.ts";
import { readMetadata } from "../abi/read_metadata.ts";
import type { PluginMetadata } from "../abi/read_metadata.ts";
import {
  canonicalSignature,
  type FunctionsOf,
  type Signature,
  type SignatureRecord,
} from "../abi/signature.ts";
import { type ElfInfo, readElf } from "../elf/read_elf.ts";
import { CallError, LoadError, PluginError } from "../errors/plugin_error.ts";
import {
  type BindContext,
  type BoundRaw,
  ffiDeclaration,
  type HandleState,
  type LibraryState,
  makeWrapper,
  newHandleState,
} from "./_bind.ts";
import { closeFd, objectBase, sealedCopy } from "./_libc.ts";
import { type PluginFile, readPluginFile } from "./_preflight.ts";
import { dlopenError, findExported, nearestNames } from "./_symbols.ts";
import { Registry } from "../registry/registry.ts";
import {
  type IsolatedPlugin,
  openIsolatedPlugin,
  type OpenIsolatedPluginOptions,
} from "../isolate/open_isolated_plugin.ts";
import type { TrustPolicy } from "../registry/trust_policy.ts";

export type { PluginFile } from "./_preflight.ts";

/** How a plugin's bytes are mapped. */
export type LoadMode = "memfd" | "path";

/** What the `verify` hook of {@linkcode OpenPluginOptions} is shown. */
export interface PluginCandidate {
  /** The file as read: path, real path, bytes, SHA-256, stat. */
  readonly file: PluginFile;
  /** The parsed ELF file. */
  readonly elf: ElfInfo;
  /** The plugin's metadata. */
  readonly metadata: PluginMetadata;
}

/** Options of {@linkcode openPlugin}. */
export interface OpenPluginOptions {
  /**
   * Interfaces the host needs; each is checked (version, then function by
   * function) before the library is loaded.
   * @default []
   */
  interfaces?: readonly InterfaceSpec[];
  /**
   * `"memfd"`: map a sealed in-memory copy of exactly the bytes that were
   * checked, so replacing the file afterwards changes nothing, and a rebuilt
   * file at the same path is new code. `"path"`: let the dynamic linker open
   * the path itself (the classic way; glibc then hands back an already-loaded
   * library of the same path even if the file changed).
   * @default "memfd"
   */
  load?: LoadMode;
  /**
   * Called with the checked candidate before anything is loaded; throw to
   * refuse it. The registry's lockfile checks plug in here.
   */
  verify?: (candidate: PluginCandidate) => void;
  /**
   * Where the plugin runs: `"none"` in this process. (`"process"`, in a
   * child process, is the other overload of openPlugin and returns an
   * IsolatedPlugin.)
   * @default "none"
   */
  isolation?: "none";
  /**
   * The trusted plugins: a lockfile path or a {@linkcode Registry}. The
   * plugin is checked against it and `policy` before the `verify` hook, and
   * refused (`UNTRUSTED`, `VERSION_MISMATCH`, `CHECKSUM_MISMATCH`, ...)
   * before anything is loaded.
   * @default undefined (no registry check, unless `policy` is given: then an empty registry)
   */
  registry?: Registry | string;
  /**
   * What the host requires of the plugin against `registry`.
   * @default {} (strict: only trusted plugins, exact bytes; see TrustPolicy)
   */
  policy?: TrustPolicy;
  /**
   * Load a plugin file even when it, or a directory above it, is writable by
   * group or others or owned by another user (otherwise `INSECURE_PERMISSIONS`).
   * @default false
   */
  allowInsecurePermissions?: boolean;
  /**
   * Run the plugin's init hook after loading.
   * @default true
   */
  init?: boolean;
}

/** What {@linkcode Plugin.close} reports. */
export interface CloseResult {
  /** Whether the library was unmapped (false while other handles hold it, or when it cannot unload). */
  unloaded: boolean;
  /** Why it was not unloaded, when it was not. */
  reason?: string;
}

/** An exported variable of a plugin. Every access after close throws `CLOSED`. */
export interface PluginVariable<T extends number | bigint> {
  /** Read the current value from the plugin's memory. */
  get(): T;
  /** Write a value into the plugin's memory. */
  set(value: T): void;
}

/** Numeric types a variable can be read as. */
export type VariableType =
  | "i8"
  | "u8"
  | "i16"
  | "u16"
  | "i32"
  | "u32"
  | "i64"
  | "u64"
  | "f32"
  | "f64";

/** The TypeScript type a variable of a numeric type reads as. */
export type VariableValue<T extends VariableType> = T extends "i64" | "u64" ? bigint : number;

const loaded = new Map<string, LoadedLibrary>();

/**
 * Files parsed and checked before, by SHA-256: the same bytes always parse to
 * the same ELF info and metadata, so reopening a file (a reload, an open per
 * call, a host's lazy discovery) skips both parsers. Only successes are kept,
 * at most 64 files and 16 MiB of file bytes (the ELF info holds views into
 * them), least recently used first out.
 */
const parsed = new Map<string, { elf: ElfInfo; metadata: PluginMetadata; size: number }>();
let parsedBytes = 0;
const PARSED_MAX_FILES = 64;
const PARSED_MAX_BYTES = 16 << 20;

function parseChecked(file: PluginFile): { elf: ElfInfo; metadata: PluginMetadata } {
  const hit = parsed.get(file.sha256);
  if (hit) {
    parsed.delete(file.sha256);
    parsed.set(file.sha256, hit);
    return hit;
  }
  const elf = readElf(file.bytes, file.path);
  const metadata = readMetadata(elf, file.path);
  const size = file.bytes.length;
  if (size <= PARSED_MAX_BYTES) {
    parsed.set(file.sha256, { elf, metadata, size });
    parsedBytes += size;
    for (const [key, entry] of parsed) {
      if (parsed.size <= PARSED_MAX_FILES && parsedBytes <= PARSED_MAX_BYTES) break;
      parsed.delete(key);
      parsedBytes -= entry.size;
    }
  }
  return { elf, metadata };
}

/**
 * Open a plugin in this process.
 *
 * @example Calling the greeter sample
 * ```ts ignore
 * import { defineInterface, openPlugin } from "@plugboard/plugboard";
 *
 * const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" });
 * await using plugin = await openPlugin("build/greeter.so", { interfaces: [Greeter] });
 * console.log(plugin.use(Greeter).greet("World")); // "Hello, World"
 * ```
 *
 * @param path the plugin file
 * @param options interfaces to check, load mode, verify hook
 * @returns the open plugin
 * @throws {LoadError} with a code saying which check failed
 */
export function openPlugin(path: string, options?: OpenPluginOptions): Promise<Plugin>;
/**
 * Open a plugin in a child process, so that a crash or a hang in it cannot
 * take the host down: the same as {@linkcode openIsolatedPlugin}. Its
 * functions have the same types as in-process ones, but return Promises.
 *
 * @example Isolating a plugin
 * ```ts ignore
 * import { defineInterface, openPlugin } from "@plugboard/plugboard";
 *
 * const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" });
 * await using plugin = await openPlugin("build/greeter.so", {
 *   isolation: "process",
 *   interfaces: [Greeter],
 *   timeoutMs: 1000,
 * });
 * console.log(await plugin.use(Greeter).greet("World")); // "Hello, World"
 * ```
 *
 * @param path the plugin file
 * @param options `isolation: "process"`, plus the options of openIsolatedPlugin
 * @returns the isolated plugin
 * @throws {LoadError} with a code saying which check failed
 */
export function openPlugin(
  path: string,
  options: OpenIsolatedPluginOptions & { isolation: "process" },
): Promise<IsolatedPlugin>;
export function openPlugin(
  path: string,
  options: OpenPluginOptions | (OpenIsolatedPluginOptions & { isolation: "process" }) = {},
): Promise<Plugin | IsolatedPlugin> {
  if (options.isolation === "process") return openIsolatedPlugin(path, options);
  try {
    return Promise.resolve(openPluginSync(path, options));
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * Open a plugin in this process, synchronously. Same checks as
 * {@linkcode openPlugin}.
 *
 * @example
 * ```ts ignore
 * import { openPluginSync } from "@plugboard/plugboard";
 *
 * using plugin = openPluginSync("build/greeter.so");
 * console.log(plugin.metadata.version);
 * ```
 *
 * @param path the plugin file
 * @param options interfaces to check, load mode, verify hook
 * @returns the open plugin
 * @throws {LoadError} with a code saying which check failed
 */
export function openPluginSync(path: string, options: OpenPluginOptions = {}): Plugin {
  const mode = options.load ?? "memfd";
  const file = readPluginFile(path, {
    allowInsecurePermissions: options.allowInsecurePermissions,
  });
  const { elf, metadata } = parseChecked(file);
  for (const name of ["plugboard_entry", "plugboard_take_error"]) {
    try {
      findExported(elf, name, path, "function");
    } catch (e) {
      throw new LoadError("BAD_METADATA", {
        path,
        what: "the plugin's runtime is missing",
        expected: `an exported ${name}() (defined by PLUGBOARD_PLUGIN)`,
        found: (e as LoadError).found,
        hint:
          "rebuild the plugin with native/plugboard.h; do not strip or hide plugboard_* symbols",
        cause: e,
      });
    }
  }
  if (options.registry !== undefined || options.policy !== undefined) {
    const registry = typeof options.registry === "string"
      ? Registry.fromLockfile(options.registry, {
        allowInsecurePermissions: options.allowInsecurePermissions,
      })
      : options.registry ?? new Registry();
    registry.check({ file, elf, metadata }, options.policy);
  }
  options.verify?.({ file, elf, metadata });
  for (const spec of options.interfaces ?? []) {
    checkInterface(metadata, spec, path);
    for (const name of spec.signatures.keys()) findExported(elf, name, path, "function");
  }
  const key = `${file.realPath}\0${file.sha256}`;
  const existing = loaded.get(key);
  if (existing) {
    if (existing.mode !== mode) {
      throw new LoadError("ALREADY_OPEN", {
        path,
        what: "the same file is already open with another load mode",
        expected: `load: "${mode}"`,
        found: `it is open with load: "${existing.mode}"`,
        hint: "open it with the same options, or close the other handle first",
      });
    }
    return new Plugin(existing, path, true);
  }
  if (mode === "path") {
    for (const other of loaded.values()) {
      if (other.mode === "path" && other.file.realPath === file.realPath) {
        throw new LoadError("ALREADY_OPEN", {
          path,
          what: "an older build of this file is still loaded by path",
          expected: `the file as loaded (SHA-256 ${other.file.sha256.slice(0, 12)})`,
          found: `a changed file (SHA-256 ${
            file.sha256.slice(0, 12)
          }); glibc would hand back the old code`,
          hint:
            'close every handle on the old build first, or load with { load: "memfd" } (the default)',
        });
      }
    }
  }
  const lib = LoadedLibrary.load(file, elf, metadata, mode, options.init ?? true);
  loaded.set(key, lib);
  return new Plugin(lib, path, false);
}

/**
 * An open plugin. Functions handed out by it check on every call that the
 * handle is still open: after {@linkcode Plugin.close} they throw `CLOSED`
 * instead of jumping into unmapped code.
 */
export class Plugin implements Disposable, AsyncDisposable {
  /** The path as given to openPlugin. */
  readonly path: string;
  /** The plugin's metadata, read from the file. */
  readonly metadata: PluginMetadata;
  /** SHA-256 of the bytes that were checked and loaded. */
  readonly sha256: string;
  /** The absolute path with symlinks resolved. */
  readonly realPath: string;
  /** True when this file was already open and this handle shares the loaded library. */
  readonly shared: boolean;
  #lib: LoadedLibrary;
  #state: HandleState = newHandleState();
  #uses = new Map<InterfaceSpec, unknown>();
  #byName = new Map<string, (...args: unknown[]) => unknown>();
  #closing: Promise<CloseResult> | undefined;

  /**
   * Handles are made by {@linkcode openPlugin}.
   *
   * @param lib the loaded library
   * @param path the path as given
   * @param shared whether the library was already loaded
   * @internal
   */
  constructor(lib: LoadedLibrary, path: string, shared: boolean) {
    this.#lib = lib;
    this.path = path;
    this.metadata = lib.metadata;
    this.sha256 = lib.file.sha256;
    this.realPath = lib.file.realPath;
    this.shared = shared;
    lib.leases++;
  }

  /** Whether {@linkcode Plugin.close} was called. */
  get closed(): boolean {
    return this.#state.closed;
  }

  /**
   * The typed functions of an interface. The interface is checked (again, if
   * it was given to openPlugin), with every function's signature and symbol,
   * on first use; later calls return the same object. Each function is
   * compiled and bound to its symbol when it is first read from the object
   * (a `LoadError` from binding surfaces there), so this costs the same
   * whatever the interface's size.
   *
   * @example
   * ```ts ignore
   * const CalcOp = defineInterface("calc.op", "1.0", {
   *   name: "cstring name()",
   *   apply: "fallible f64 apply(f64 a, f64 b)",
   * });
   * const op = plugin.use(CalcOp);
   * console.log(op.name(), op.apply(10, 5));
   * ```
   *
   * @param spec the interface
   * @returns its functions
   * @throws {LoadError} `INTERFACE_MISSING`, `INTERFACE_MISMATCH`, `SIGNATURE_MISMATCH`, `SYMBOL_MISSING`
   * @throws {CallError} `CLOSED`
   */
  use<const F extends SignatureRecord>(spec: InterfaceSpec<F>): FunctionsOf<F> {
    this.#assertOpen("use");
    const cached = this.#uses.get(spec);
    if (cached) return cached as FunctionsOf<F>;
    checkInterface(this.metadata, spec, this.path);
    const fns = this.#bind([...spec.signatures.values()]) as FunctionsOf<F>;
    this.#uses.set(spec, fns);
    return fns;
  }

  /**
   * Typed functions declared ad hoc, by signature. Each must be declared by
   * the plugin with the same canonical signature.
   *
   * @example
   * ```ts ignore
   * const { greet } = plugin.functions({ greet: "cstring greet(cstring name)" });
   * console.log(greet("World"));
   * ```
   *
   * @param declarations function name to signature text
   * @returns the functions
   * @throws {LoadError} `SYMBOL_MISSING` or `SIGNATURE_MISMATCH`
   * @throws {CallError} `CLOSED`
   */
  functions<const F extends SignatureRecord>(declarations: F): FunctionsOf<F> {
    this.#assertOpen("functions");
    const sigs = [...parseDeclarations(declarations).values()];
    for (const sig of sigs) this.#checkDeclared(sig);
    return this.#bind(sigs) as FunctionsOf<F>;
  }

  /**
   * A function by name, with the signature the plugin declares; for tools
   * that learn signatures at run time (the CLI's `call`).
   *
   * @example
   * ```ts ignore
   * const f = plugin.function("MyFunction");
   * console.log(f("hello")); // 42
   * ```
   *
   * @param name the function's name
   * @returns the function
   * @throws {LoadError} `SYMBOL_MISSING`
   * @throws {CallError} `CLOSED`
   */
  function(name: string): (...args: unknown[]) => unknown {
    this.#assertOpen(name);
    let fn = this.#byName.get(name);
    if (fn === undefined) {
      const sig = this.metadata.functions.get(name);
      if (!sig) this.#checkDeclared({ name } as Signature);
      fn = this.#bind([sig!])[name] as (...args: unknown[]) => unknown;
      this.#byName.set(name, fn);
    }
    return fn;
  }

  /**
   * An exported variable, read and written in the plugin's memory. Its
   * address comes from the file's symbol table (nothing is looked up or run).
   *
   * @example
   * ```ts ignore
   * const counter = plugin.variable("counter_value", "i32");
   * console.log(counter.get());
   * ```
   *
   * @param name the variable's exported name
   * @param type how to read it
   * @returns get/set accessors that throw `CLOSED` after close
   * @throws {LoadError} `SYMBOL_MISSING`
   */
  variable<T extends VariableType>(name: string, type: T): PluginVariable<VariableValue<T>> {
    this.#assertOpen(name);
    const sym = findExported(this.#lib.elf, name, this.path, "variable");
    const size = SIZES[type];
    if (sym.size !== 0 && sym.size < size) {
      throw new LoadError("SIGNATURE_MISMATCH", {
        path: this.path,
        what: `variable "${name}" is smaller than ${type}`,
        expected: `${size} bytes`,
        found: `${sym.size} bytes`,
        hint: "read it with the type it is declared with in the plugin",
      });
    }
    const ptr = this.#lib.address(sym.value);
    const state = this.#state;
    const path = this.path;
    const check = () => {
      if (state.closed) {
        throw new CallError("CLOSED", path, name, "the plugin handle is closed", {
          hint: "open the plugin again; variables of a closed handle cannot be read",
        });
      }
    };
    const view = () => new DataView(Deno.UnsafePointerView.getArrayBuffer(ptr, size));
    return {
      get: () => {
        check();
        return readNumber(view(), type) as VariableValue<T>;
      },
      set: (value: VariableValue<T>) => {
        check();
        writeNumber(view(), type, value);
      },
    };
  }

  /**
   * Close the handle. From this moment every function and variable obtained
   * from it throws `CLOSED`. When it is the last handle on the library, the
   * library is unloaded as soon as in-flight nonblocking calls have returned:
   * the plugin's shutdown hook runs, then dlclose. Closing twice is harmless.
   *
   * @returns whether the library was unloaded, and if not, why
   */
  close(): Promise<CloseResult> {
    if (this.#closing) return this.#closing;
    this.#state.closed = true;
    this.#closing = this.#lib.release();
    return this.#closing;
  }

  /** Same as {@linkcode Plugin.close}, without waiting. */
  [Symbol.dispose](): void {
    void this.close();
  }

  /** Same as {@linkcode Plugin.close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #assertOpen(what: string): void {
    if (this.#state.closed) {
      throw new CallError("CLOSED", this.path, what, "the plugin handle is closed", {
        hint: "open the plugin again",
      });
    }
  }

  #checkDeclared(sig: Signature): void {
    const theirs = this.metadata.functions.get(sig.name);
    if (!theirs) {
      const near = nearestNames(sig.name, [...this.metadata.functions.keys()]);
      // Not declared by the plugin: say whether the symbol exists at all, and why not.
      findExported(this.#lib.elf, sig.name, this.path, "function");
      throw new LoadError("SYMBOL_MISSING", {
        path: this.path,
        what: `function "${sig.name}" is exported but not declared with PLUGBOARD_FN`,
        expected: "a function declared in the plugin's metadata",
        found: `an exported symbol with no declared signature${
          near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(" or ")}?` : ""
        }`,
        hint:
          "declare it with PLUGBOARD_FN(...) so its signature is checked, or use openLibrary() for undeclared symbols",
      });
    }
    if (sig.parameters === undefined) return;
    const a = canonicalSignature(sig);
    const b = canonicalSignature(theirs);
    if (a !== b) {
      throw new LoadError("SIGNATURE_MISMATCH", {
        path: this.path,
        what: `function "${sig.name}" has another signature`,
        expected: a,
        found: b,
        hint: "declare the function on the host exactly as the plugin does",
      });
    }
  }

  #bind(sigs: Signature[]): Record<string, unknown> {
    // Everything that can fail is checked now. The rest is paid per function
    // when it is first read from the object, so use() costs the same whatever
    // the interface's size: the wrapper is compiled (~15 µs) and its symbol
    // bound (one Deno.dlopen per symbol, ~60 µs). Binding on read, not on the
    // first call, keeps the call path free of a "bound yet?" check.
    const lib = this.#lib;
    const path = this.path;
    const state = this.#state;
    lib.checkBindable(sigs, path);
    const out: Record<string, unknown> = {};
    for (const sig of sigs) {
      let wrapper: unknown;
      const make = () => {
        // A closed handle binds nothing: its functions only throw CLOSED.
        const bound = state.closed
          ? { raw: neverCalled, takeError: undefined }
          : lib.bindRaw(sig, path);
        const ctx: BindContext = {
          path,
          handle: state,
          library: lib.state,
          takeError: bound.takeError,
          code: lib.code,
        };
        return makeWrapper(sig, bound.raw, ctx);
      };
      Object.defineProperty(out, sig.name, {
        enumerable: true,
        get: () => wrapper ??= make(),
      });
    }
    return Object.freeze(out);
  }
}

const SIZES: Record<VariableType, number> = {
  i8: 1,
  u8: 1,
  i16: 2,
  u16: 2,
  i32: 4,
  u32: 4,
  i64: 8,
  u64: 8,
  f32: 4,
  f64: 8,
};

function readNumber(v: DataView, t: VariableType): number | bigint {
  switch (t) {
    case "i8":
      return v.getInt8(0);
    case "u8":
      return v.getUint8(0);
    case "i16":
      return v.getInt16(0, true);
    case "u16":
      return v.getUint16(0, true);
    case "i32":
      return v.getInt32(0, true);
    case "u32":
      return v.getUint32(0, true);
    case "i64":
      return v.getBigInt64(0, true);
    case "u64":
      return v.getBigUint64(0, true);
    case "f32":
      return v.getFloat32(0, true);
    case "f64":
      return v.getFloat64(0, true);
  }
}

function writeNumber(v: DataView, t: VariableType, x: number | bigint): void {
  switch (t) {
    case "i8":
      return v.setInt8(0, Number(x));
    case "u8":
      return v.setUint8(0, Number(x));
    case "i16":
      return v.setInt16(0, Number(x), true);
    case "u16":
      return v.setUint16(0, Number(x), true);
    case "i32":
      return v.setInt32(0, Number(x), true);
    case "u32":
      return v.setUint32(0, Number(x), true);
    case "i64":
      return v.setBigInt64(0, BigInt(x), true);
    case "u64":
      return v.setBigUint64(0, BigInt(x), true);
    case "f32":
      return v.setFloat32(0, Number(x), true);
    case "f64":
      return v.setFloat64(0, Number(x), true);
  }
}

/** The raw function of a wrapper made after close: its closed check throws first. */
function neverCalled(): never {
  throw new Error("unreachable: a function of a closed handle was called");
}

function rawKey(sig: Signature): string {
  return sig.nonblocking ? `${sig.name}__nonblocking` : sig.name;
}

/**
 * One loaded library, shared by every handle on the same file and bytes.
 * @internal
 */
class LoadedLibrary {
  readonly state: LibraryState = {
    inflight: 0,
    drained: (): void => this.#maybeUnload(),
  };
  leases = 0;
  takeError: (() => Deno.PointerValue) | undefined;
  /** Wrapper code compiled for this library's functions, shared by its handles. */
  readonly code: Map<string, string> = new Map();
  #entry: Deno.DynamicLibrary<{ plugboard_entry: { type: "pointer" } }>;
  #groups: Deno.DynamicLibrary<Record<string, Deno.ForeignFunction>>[] = [];
  #raw = new Map<string, BoundRaw["raw"]>();
  #base: bigint;
  #descriptor: Deno.PointerObject;
  #memfd: number | undefined;
  #initialized = false;
  #unloading: { resolve: (r: CloseResult) => void; promise: Promise<CloseResult> } | undefined;

  private constructor(
    readonly file: PluginFile,
    readonly elf: ElfInfo,
    readonly metadata: PluginMetadata,
    readonly mode: LoadMode,
    readonly loadPath: string,
    entry: Deno.DynamicLibrary<{ plugboard_entry: { type: "pointer" } }>,
    base: bigint,
    descriptor: Deno.PointerObject,
    memfd: number | undefined,
  ) {
    this.#entry = entry;
    this.#base = base;
    this.#descriptor = descriptor;
    this.#memfd = memfd;
  }

  static load(
    file: PluginFile,
    elf: ElfInfo,
    metadata: PluginMetadata,
    mode: LoadMode,
    runInit: boolean,
  ): LoadedLibrary {
    const path = file.path;
    let memfd: number | undefined;
    let loadPath = file.realPath;
    if (mode === "memfd") {
      try {
        const copy = sealedCopy(metadata.name, file.bytes);
        memfd = copy.fd;
        loadPath = copy.path;
      } catch (e) {
        throw new LoadError("LOAD_FAILED", {
          path,
          what: "could not make a sealed in-memory copy",
          expected: "memfd_create, write and F_ADD_SEALS to succeed",
          found: (e as Error).message,
          hint: 'load with { load: "path" } on systems without memfd_create',
          cause: e,
        });
      }
    }
    let entry: Deno.DynamicLibrary<{ plugboard_entry: { type: "pointer" } }>;
    try {
      entry = Deno.dlopen(loadPath, { plugboard_entry: { type: "pointer" } } as const);
    } catch (e) {
      if (memfd !== undefined) closeFd(memfd);
      throw dlopenError(e, path, loadPath, elf);
    }
    const fail = (err: PluginError): never => {
      entry.close();
      if (memfd !== undefined) closeFd(memfd);
      throw err;
    };
    const entrySym = elf.symbols.find((s) => s.name === "plugboard_entry")!;
    const entryAddr = Deno.UnsafePointer.value(entry.symbols.plugboard_entry);
    const base = BigInt(entryAddr) - BigInt(entrySym.value);
    // Before reading any plugin memory at addresses computed from the file,
    // make sure the loaded object has the file's layout: the dynamic linker
    // may have handed back another library loaded earlier from the same path,
    // and reading it at the file's offsets could touch unmapped memory.
    if (!sameLayout(entry.symbols.plugboard_entry!, base, file.bytes)) {
      fail(
        new LoadError("METADATA_MISMATCH", {
          path,
          what: "the library in memory is not the file that was checked",
          expected: `the layout of the file (SHA-256 ${file.sha256.slice(0, 12)})`,
          found:
            "another layout in memory: the file changed after it was checked, or the dynamic linker returned a library loaded earlier from the same path",
          hint:
            'close every handle on the old build before reopening it by path, or load with { load: "memfd" }',
        }),
      );
    }
    // Cross-check: the notes in memory must be the notes in the file. Notes
    // that follow each other in the file and in memory are compared as one
    // range (one view instead of one per note).
    for (const note of noteRanges(elf)) {
      const mem = new Uint8Array(
        Deno.UnsafePointerView.getArrayBuffer(
          Deno.UnsafePointer.create(base + BigInt(note.vaddr))!,
          note.size,
        ),
      );
      const disk = file.bytes.subarray(note.offset, note.offset + note.size);
      if (!equalBytes(mem, disk)) {
        fail(
          new LoadError("METADATA_MISMATCH", {
            path,
            what: "the library in memory is not the file that was checked",
            expected: `the ${note.owner} note of the file (SHA-256 ${file.sha256.slice(0, 12)})`,
            found:
              "different bytes in memory: the file changed after it was checked, or the dynamic linker returned a library loaded earlier from the same path",
            hint:
              'close every handle on the old build before reopening it by path, or load with { load: "memfd" }',
          }),
        );
      }
    }
    // The descriptor, through the entry function.
    const descriptor = callNoArgs(entry.symbols.plugboard_entry!, "pointer");
    if (descriptor === null) {
      fail(badDescriptor(path, "a descriptor", "plugboard_entry() returned NULL"));
    }
    const view = new Deno.UnsafePointerView(descriptor!);
    const size = view.getUint32(0);
    const major = view.getUint16(4);
    const minor = view.getUint16(6);
    if (size < 32) fail(badDescriptor(path, "a descriptor of at least 32 bytes", `${size} bytes`));
    if (major !== metadata.abi.major || minor !== metadata.abi.minor) {
      fail(
        badDescriptor(
          path,
          `ABI ${metadata.abi.major}.${metadata.abi.minor} (as in the file's note)`,
          `ABI ${major}.${minor} in the loaded descriptor`,
        ),
      );
    }
    const lib = new LoadedLibrary(
      file,
      elf,
      metadata,
      mode,
      loadPath,
      entry,
      base,
      descriptor!,
      memfd,
    );
    if (runInit && metadata.hooks.init) {
      const init = view.getPointer(8);
      if (init !== null) {
        const status = callNoArgs(init, "i32");
        if (status !== 0) {
          const message = lib.#takeErrorSlow() ?? `init returned ${status}`;
          lib.#closeAll();
          throw new LoadError("INIT_FAILED", {
            path,
            what: `the plugin's init hook failed`,
            expected: "init to return 0",
            found: `${status}: ${message}`,
            hint: "the plugin refused to start; fix what its message says, then load it again",
          });
        }
      }
    }
    // Shutdown runs whenever the host ran (or would have run) init, hook or not.
    lib.#initialized = runInit;
    return lib;
  }

  /** The address of a file virtual address in the loaded library. */
  address(vaddr: number): Deno.PointerObject {
    return Deno.UnsafePointer.create(this.#base + BigInt(vaddr))!;
  }

  /** Check that every signature can be bound (without binding any). */
  checkBindable(sigs: Signature[], path: string): void {
    for (const sig of sigs) {
      if (sig.fallible && sig.nonblocking) {
        throw new PluginError(
          "USAGE",
          `Function ${JSON.stringify(sig.name)} is fallible and cannot be called nonblocking`,
          {
            path,
            hint:
              "a fallible function reports errors in thread-local storage of the calling thread; call it synchronously, or isolate the plugin in a child process",
          },
        );
      }
      if (!this.#raw.has(rawKey(sig))) findExported(this.elf, sig.name, path, "function");
    }
  }

  /** The raw function of a signature if it is bound already. */
  bound(sig: Signature): BoundRaw | undefined {
    const raw = this.#raw.get(rawKey(sig));
    if (raw === undefined || (sig.fallible && !this.takeError)) return undefined;
    return { raw, takeError: sig.fallible ? this.takeError : undefined };
  }

  /**
   * Bind one signature (and `plugboard_take_error` with the first fallible
   * one), in one Deno.dlopen; already bound ones come from the cache.
   */
  bindRaw(sig: Signature, path: string): BoundRaw {
    const ready = this.bound(sig);
    if (ready) return ready;
    const decls: Record<string, Deno.ForeignFunction & { name: string }> = {};
    if (!this.#raw.has(rawKey(sig))) {
      decls[rawKey(sig)] = { name: sig.name, ...ffiDeclaration(sig) };
    }
    if (sig.fallible && !this.takeError) {
      decls.__plugboard_take_error = {
        name: "plugboard_take_error",
        parameters: [],
        result: "pointer",
      };
    }
    let group: Deno.DynamicLibrary<Record<string, Deno.ForeignFunction>>;
    try {
      group = Deno.dlopen(this.loadPath, decls);
    } catch (e) {
      throw dlopenError(e, path, this.loadPath, this.elf);
    }
    this.#groups.push(group);
    for (const [k, f] of Object.entries(group.symbols)) {
      if (k === "__plugboard_take_error") {
        this.takeError = f as () => Deno.PointerValue;
      } else this.#raw.set(k, f as BoundRaw["raw"]);
    }
    return this.bound(sig)!;
  }

  /** One handle is done with the library. */
  release(): Promise<CloseResult> {
    this.leases--;
    if (this.leases > 0) {
      return Promise.resolve({
        unloaded: false,
        reason: `${this.leases} other handle(s) still open`,
      });
    }
    let resolve!: (r: CloseResult) => void;
    const promise = new Promise<CloseResult>((r) => resolve = r);
    this.#unloading = { resolve, promise };
    loaded.delete(`${this.file.realPath}\0${this.file.sha256}`);
    this.#maybeUnload();
    return promise;
  }

  #maybeUnload(): void {
    if (!this.#unloading || this.state.inflight > 0) return;
    const unloading = this.#unloading;
    this.#unloading = undefined;
    if (this.#initialized && this.metadata.hooks.shutdown) {
      const fn = new Deno.UnsafePointerView(this.#descriptor).getPointer(16);
      if (fn !== null) {
        callNoArgs(fn, "void");
      }
    }
    unloading.resolve(this.#closeAll());
  }

  #takeErrorSlow(): string | undefined {
    const fn = new Deno.UnsafePointerView(this.#descriptor).getPointer(24);
    if (fn === null) return undefined;
    const e = callNoArgs(fn, "pointer");
    return e === null ? undefined : new Deno.UnsafePointerView(e).getCString(8);
  }

  #closeAll(): CloseResult {
    for (const g of this.#groups) g.close();
    this.#groups = [];
    this.#raw.clear();
    this.#entry.close();
    const kept = this.mode === "memfd" ? keptByLinker(this.elf) : this.#stillMappedByPath();
    if (kept !== undefined) {
      // The library stays. Keep its memfd open for ever, so that its number,
      // and with it the path glibc knows the library by, is never reused for
      // another plugin.
      return { unloaded: false, reason: kept };
    }
    if (this.#memfd !== undefined) closeFd(this.#memfd);
    return { unloaded: true };
  }

  /**
   * Loaded by path, the file may also be held by a handle outside plugboard:
   * ask /proc/self/maps whether the inode that was read is still mapped.
   */
  #stillMappedByPath(): string | undefined {
    const ino = this.file.stat.ino;
    if (ino === null || !isInodeMapped(String(ino))) return undefined;
    return keptByLinker(this.elf) ??
      "the dynamic linker kept the library mapped after dlclose: another handle outside plugboard still holds it; its code and state stay in memory";
  }
}

/** Call a `T f(void)` function pointer (slow path; used for hooks only). */
function callNoArgs<R extends "void" | "i32" | "pointer">(
  fn: Deno.PointerObject,
  result: R,
): Deno.StaticForeignSymbolReturnType<{ parameters: []; result: R }> {
  const def = { parameters: [], result } as { parameters: []; result: R };
  return new Deno.UnsafeFnPointer(fn as Deno.PointerObject<typeof def>, def).call();
}

function badDescriptor(path: string, expected: string, found: string): LoadError {
  return new LoadError("METADATA_MISMATCH", {
    path,
    what: "the loaded descriptor disagrees with the file's metadata",
    expected,
    found,
    hint: "rebuild the plugin with native/plugboard.h; do not edit the plugboard notes",
  });
}

/** The plugboard and GNU notes to compare, adjacent ones merged into one range. */
function noteRanges(
  elf: ElfInfo,
): { owner: string; vaddr: number; offset: number; size: number }[] {
  const out: { owner: string; vaddr: number; offset: number; size: number }[] = [];
  for (const note of elf.notes) {
    if (note.vaddr < 0 || (note.owner !== "plugboard" && note.owner !== "GNU")) continue;
    const last = out[out.length - 1];
    if (
      last && last.owner === note.owner && note.offset === last.offset + last.size &&
      note.vaddr === last.vaddr + last.size
    ) {
      last.size += note.size;
    } else {
      out.push({ owner: note.owner, vaddr: note.vaddr, offset: note.offset, size: note.size });
    }
  }
  return out;
}

/**
 * Whether the object loaded at `base` (as dladdr reports it for the entry
 * point) starts with the file's ELF header and program headers. Only the
 * start of the object's mapping is read, which is always mapped.
 */
function sameLayout(entryPtr: Deno.PointerObject, base: bigint, bytes: Uint8Array): boolean {
  if (objectBase(entryPtr) !== base) return false;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const phEnd = Number(dv.getBigUint64(32, true)) + dv.getUint16(54, true) * dv.getUint16(56, true);
  const n = phEnd <= 4096 && phEnd <= bytes.length ? phEnd : 64;
  const mem = new Uint8Array(
    Deno.UnsafePointerView.getArrayBuffer(Deno.UnsafePointer.create(base)!, n),
  );
  return equalBytes(mem, bytes.subarray(0, n));
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Why the dynamic linker will keep a library mapped after its last dlclose,
 * read from the file: `-z nodelete` (DF_1_NODELETE), or STB_GNU_UNIQUE
 * symbols (C++ inline statics and templates), which make glibc mark the
 * library not unloadable.
 *
 * @param elf the parsed file
 * @returns the reason, or undefined when it will unload
 */
function keptByLinker(elf: ElfInfo): string | undefined {
  if ((elf.flags1 & DF_1_NODELETE) !== 0) {
    return "linked with -z nodelete (DF_1_NODELETE): the dynamic linker never unloads it; its code and state stay in memory until the process exits";
  }
  const unique = elf.symbols.find((s) => s.defined && s.binding === "unique");
  if (unique) {
    return `it defines the STB_GNU_UNIQUE symbol "${unique.name}" (a C++ inline static or template): glibc never unloads such a library; its code and state stay in memory until the process exits`;
  }
  return undefined;
}

const DF_1_NODELETE = 0x8;

function isInodeMapped(ino: string): boolean {
  try {
    const maps = Deno.readTextFileSync("/proc/self/maps");
    for (const line of maps.split("\n")) {
      const cols = line.split(/\s+/);
      if (cols[4] === ino && cols[5]) return true;
    }
  } catch {
    // No /proc: assume unloaded.
  }
  return false;
}
