/**
 * `WasmRuntime`: one WebAssembly plugin instance and the typed functions
 * that call into it, in whatever thread it runs (this one, or a Worker).
 *
 * The instance gets no imports but WASI, and WASI only when the host grants
 * it. `plugboard_entry()` runs first (it runs the module's constructors),
 * then the descriptor is checked against the file's metadata and the init
 * hook runs through the function table.
 *
 * Values cross linear memory: integers, floats and `bool` directly,
 * `i64`/`u64` as bigint, `isize`/`usize` as 32-bit integers (returned as
 * bigint, as a native plugin's are), `cstring` and `buffer` arguments
 * copied into a scratch block the plugin allocated (`plugboard_alloc`),
 * buffers copied back after the call, `cstring` results read up to their
 * NUL within the memory's bounds. A fallible function's error comes from
 * `plugboard_take_error()`, its record bounds-checked.
 *
 * A trap (`unreachable`, an access out of bounds, a division by zero, a
 * stack overflow, `exit()` through WASI) throws `PLUGIN_TRAPPED` (or
 * `MEMORY_LIMIT` when a `memory.grow` had failed first) and the instance is
 * replaced by a fresh one from the same compiled module before the error is
 * thrown: its memory, globals and open files are gone, as after a process
 * restart, and its init hook runs again. The host goes on.
 *
 * @module
 */

import type { AbiVersion } from "../abi/abi_version.ts";
import { WASM32_DESCRIPTOR } from "../abi/layout.ts";
import type { Signature, TypeName } from "../abi/signature.ts";
import { CallError, LoadError, PluginError } from "../errors/plugin_error.ts";
import { fits, invalidArgument } from "../handle/arguments.ts";
import type { HandleState } from "../handle/plugin.ts";
import { GROW_FAILED_EXPORT, INTERRUPT_EXPORT } from "../wasm/prepare_wasm.ts";
import { Wasi, WASI_MODULE, WasiExit, type WasiOptions, type WasiPreopen } from "./_wasi.ts";
import { small } from "./_bind.ts";

export type { WasiOptions, WasiPreopen };

/** Options of a WebAssembly plugin, wherever it runs. */
export interface WasmOptions {
  /**
   * The most linear memory the plugin may have, in bytes (rounded down to
   * 64 KiB pages). A module that starts with more is refused
   * (`MEMORY_LIMIT`); growth past it fails inside the plugin (malloc returns
   * NULL), and a trap after such a failure is `MEMORY_LIMIT`.
   * @default 268435456 (256 MiB)
   */
  maxMemoryBytes?: number;
  /**
   * WASI preview 1 for modules that import it, with only what is granted
   * here. Without it, a module that imports WASI is refused (`IMPORT_DENIED`).
   * @default undefined (no WASI)
   */
  wasi?: WasiOptions;
}

/** What a runtime is started from. */
export interface WasmRuntimeInit {
  /** The plugin file, for messages. */
  path: string;
  /** The compiled module (prepared: memory capped, failed growth recorded). */
  module: WebAssembly.Module;
  /** The ABI in the file's metadata, which the descriptor must repeat. */
  abi: AbiVersion;
  /** Whether the metadata declares an init hook / a shutdown hook. */
  hooks: { readonly init: boolean; readonly shutdown: boolean };
  /** The memory limit in bytes. */
  maxBytes: number;
  /** The WASI grants, when the module imports WASI. */
  wasi: WasiOptions | undefined;
  /** Run the init hook. */
  init: boolean;
  /**
   * Called with each new instance's interrupt flag (when the module has
   * one), right after instantiation and before any of its code runs, so
   * another thread can stop even its constructors.
   */
  onInstance?: (interrupt: Int32Array | undefined) => void;
}

/** The last result of a function returning `cstring`, kept to return the same string for the same bytes. */
interface StringCache {
  n: number;
  bytes: Uint8Array;
  text: string | null;
}

/** A function of the current instance, as wrappers call it; replaced on a restart. */
interface Slot {
  // deno-lint-ignore ban-types
  f: Function;
}

interface Instance {
  exports: Record<string, unknown>;
  memory: WebAssembly.Memory;
  table: WebAssembly.Table;
  take: () => number;
  alloc: (size: number) => number;
  free: (ptr: number, size: number) => void;
  grow: WebAssembly.Global | undefined;
  interrupt: Int32Array | undefined;
  wasi: Wasi | undefined;
  shutdown: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MAX_U64 = (1n << 64n) - 1n;
const MIN_I64 = -(1n << 63n);
const MAX_I64 = (1n << 63n) - 1n;
/** Results up to this many bytes are remembered for the comparison with the next. */
const STRING_CACHE_BYTES = 1024;
/** The first scratch block, for string and buffer arguments. */
const SCRATCH_BYTES = 4096;

/**
 * One plugin instance and the calls into it. Made by the WebAssembly loader
 * (in process) and by the worker of `isolation: "worker"`.
 */
export class WasmRuntime {
  /** The plugin file, for messages. */
  readonly path: string;
  /** A view of the instance's memory; empty (detached) after the memory grew: see view(). */
  m: Uint8Array = new Uint8Array(0);
  /** The current instance's `plugboard_take_error`. */
  take: () => number = () => 0;
  /** Where the next string or buffer argument goes. */
  top = 0;
  /** How many times the instance was replaced after a trap. */
  restarts = 0;
  #init: WasmRuntimeInit;
  #instance: Instance | undefined;
  #slots = new Map<string, Slot>();
  #base = 0;
  #size = 0;
  #retired: [number, number][] = [];
  #dead: PluginError | undefined;
  #closed = false;
  #code = new Map<string, string>();

  /**
   * Instantiate the module and run its entry point and init hook.
   *
   * @param init the module, its metadata and the grants
   * @throws {LoadError} `METADATA_MISMATCH` (descriptor), `INIT_FAILED`,
   *   `PLUGIN_TRAPPED` (a trap while loading), `MEMORY_LIMIT`
   */
  constructor(init: WasmRuntimeInit) {
    this.path = init.path;
    this.#init = init;
    this.#instance = this.#start("load");
  }

  /** The interrupt flag of the current instance (`isolation: "worker"`), if the module has one. */
  get interruptFlag(): Int32Array | undefined {
    return this.#instance?.interrupt;
  }

  /** The current memory's size in bytes (0 once closed). */
  get memoryBytes(): number {
    return this.#instance?.memory.buffer.byteLength ?? 0;
  }

  /**
   * A fresh view of the memory, after it grew.
   *
   * @returns the view
   */
  view(): Uint8Array {
    const m = new Uint8Array(this.#instance!.memory.buffer);
    this.m = m;
    return m;
  }

  /**
   * Check that these signatures can be called in a WebAssembly plugin.
   *
   * @param sigs the signatures
   * @param path the plugin, for messages
   * @throws {PluginError} `USAGE` for a pointer parameter or result
   */
  static checkBindable(sigs: readonly Signature[], path: string): void {
    for (const sig of sigs) {
      if (sig.result === "pointer" || sig.parameters.includes("pointer")) {
        throw new PluginError(
          "USAGE",
          `Cannot call ${JSON.stringify(sig.name)} of plugin ${
            JSON.stringify(path)
          }: a pointer into a WebAssembly plugin's memory means nothing in the host`,
          {
            path,
            hint:
              "declare the data as buffer or cstring parameters (copied in), or an opaque handle as u32",
          },
        );
      }
    }
  }

  /**
   * The typed function of a signature: the argument checks every kind of
   * plugin makes, the conversions across linear memory, and the trap
   * handling, generated for the signature.
   *
   * @param sig the signature (declared by the plugin, checked against its export type)
   * @param handle the handle's state, checked on every call
   * @returns the function
   */
  // deno-lint-ignore ban-types
  bind(sig: Signature, handle: HandleState): Function {
    let slot = this.#slots.get(sig.name);
    if (!slot) {
      slot = { f: this.#raw(sig.name) };
      this.#slots.set(sig.name, slot);
    }
    return makeWrapper(sig, slot, this, handle, this.#code);
  }

  /**
   * Run the shutdown hook (when the init hook ran) and drop the instance.
   * Calls afterwards throw `CLOSED` from the handle; nothing reaches the
   * module again.
   *
   * @returns an error message when the shutdown hook trapped
   */
  close(): string | undefined {
    if (this.#closed) return undefined;
    this.#closed = true;
    const inst = this.#instance;
    this.#instance = undefined;
    if (!inst) return undefined;
    let problem: string | undefined;
    if (this.#init.init && this.#init.hooks.shutdown && inst.shutdown !== 0) {
      try {
        (inst.table.get(inst.shutdown) as () => void)();
      } catch (e) {
        problem = `the shutdown hook trapped: ${trapText(e)}`;
      }
    }
    inst.wasi?.close();
    for (const slot of this.#slots.values()) slot.f = closedRaw;
    return problem;
  }

  // ---- argument marshalling (called by the generated wrappers) ----------

  /** Start a call's arguments: the scratch block is reused from its start. */
  begin(): void {
    this.top = this.#base;
    if (this.#retired.length > 0) this.#freeRetired();
  }

  /**
   * Copy a string argument into the scratch block, NUL-terminated.
   *
   * @param s the argument
   * @param fn the function, for messages
   * @param i the argument's index
   * @returns its address
   */
  putString(s: unknown, fn: string, i: number): number {
    if (typeof s !== "string") throw invalidArgument(this.path, fn, i, "cstring", s);
    const n = s.length;
    let at = this.top;
    if (at + n + 1 > this.#base + this.#size) at = this.#reserve(n + 1, fn, i);
    let m = this.m;
    if (m.length === 0) m = this.view();
    let k = 0;
    for (; k < n; k++) {
      const c = s.charCodeAt(k);
      if (c > 127 || c === 0) break;
      m[at + k] = c;
    }
    if (k === n) {
      m[at + n] = 0;
      this.top = at + n + 1;
      return at;
    }
    if (s.indexOf("\0") !== -1) throw invalidArgument(this.path, fn, i, "cstring", s);
    const need = n * 3 + 1;
    if (at + need > this.#base + this.#size) {
      at = this.#reserve(need, fn, i);
      m = this.m;
    }
    const { written } = encoder.encodeInto(s, m.subarray(at, at + need - 1));
    m[at + written] = 0;
    this.top = at + written + 1;
    return at;
  }

  /**
   * Copy a buffer argument into the scratch block.
   *
   * @param b the argument
   * @param fn the function, for messages
   * @param i the argument's index
   * @returns its address
   */
  putBuffer(b: unknown, fn: string, i: number): number {
    if (!(b instanceof Uint8Array)) throw invalidArgument(this.path, fn, i, "buffer", b);
    const n = b.length;
    let at = this.top;
    if (at + n > this.#base + this.#size) at = this.#reserve(n, fn, i);
    let m = this.m;
    if (m.length === 0) m = this.view();
    m.set(b, at);
    this.top = at + n;
    return at;
  }

  /**
   * Copy a buffer argument back after the call (the plugin may have written it).
   *
   * @param b the caller's buffer
   * @param at where it was copied to
   */
  copyBack(b: Uint8Array, at: number): void {
    let m = this.m;
    if (m.length === 0) m = this.view();
    b.set(m.subarray(at, at + b.length));
  }

  /**
   * Read a `cstring` result: null for 0, else the bytes up to the NUL, which
   * must lie inside the memory; the same string as last time when the bytes
   * are the same.
   *
   * @param r the returned address
   * @param cache this function's last result
   * @param fn the function, for messages
   * @returns the string
   */
  readString(r: number, cache: StringCache, fn: string): string | null {
    if (r === 0) return null;
    let m = this.m;
    if (m.length === 0) m = this.view();
    const p = r >>> 0;
    // The same bytes as last time, NUL included: the same string, no search, no decoding.
    const last = cache.n;
    if (last >= 0 && p + last < m.length && m[p + last] === 0) {
      const b = cache.bytes;
      let i = 0;
      while (i < last && m[p + i] === b[i]) i++;
      if (i === last) return cache.text;
    }
    if (p >= m.length) {
      throw this.#badResult(fn, `the address 0x${p.toString(16)}, outside its memory`);
    }
    const end = m.indexOf(0, p);
    if (end === -1) {
      throw this.#badResult(
        fn,
        `a string at 0x${p.toString(16)} with no NUL before the end of its memory`,
      );
    }
    const n = end - p;
    let text: string;
    if (n <= 32) {
      text = "";
      let i = p;
      for (; i < end && m[i] < 0x80; i++) text += String.fromCharCode(m[i]);
      if (i !== end) text = decoder.decode(m.subarray(p, end));
    } else {
      text = decoder.decode(m.subarray(p, end));
    }
    if (n <= STRING_CACHE_BYTES) {
      cache.bytes = m.slice(p, end);
      cache.n = n;
      cache.text = text;
    }
    return text;
  }

  /**
   * Throw the plugin's error after a fallible call reported one.
   *
   * @param fn the function
   * @param e the error record's address
   */
  failed(fn: string, e: number): never {
    let m = this.m;
    if (m.length === 0) m = this.view();
    const at = e >>> 0;
    if (at + 8 > m.length) {
      throw this.#badResult(fn, `an error record at 0x${at.toString(16)}, outside its memory`);
    }
    const v = new DataView(m.buffer, at, 8);
    const code = v.getInt32(0, true);
    const declared = Math.min(v.getUint32(4, true), 511);
    const start = at + 8;
    const end = Math.min(start + declared, m.length);
    const nul = m.subarray(start, end).indexOf(0);
    const message = decoder.decode(m.subarray(start, nul === -1 ? end : start + nul));
    throw new CallError("CALL_FAILED", this.path, fn, message, {
      pluginCode: code,
      hint: "the plugin reported this error; check the arguments or the plugin's documentation",
    });
  }

  /**
   * Turn what a call threw into the error the caller gets, and replace the
   * instance when it trapped.
   *
   * @param fn the function
   * @param e what was thrown
   */
  trapped(fn: string, e: unknown): never {
    if (e instanceof PluginError) throw e;
    if (this.#dead) throw this.#deadError(fn);
    const inst = this.#instance;
    const interrupted = inst?.interrupt !== undefined && Atomics.load(inst.interrupt, 0) !== 0;
    const grew = inst?.grow !== undefined && inst.grow.value !== 0;
    const bytes = inst?.memory.buffer.byteLength ?? 0;
    let err: CallError;
    if (interrupted) {
      err = new CallError("PLUGIN_TIMEOUT", this.path, fn, "the call was interrupted", {
        hint: "raise timeoutMs if the function is only slow; a fresh instance serves the next call",
        cause: e,
      });
    } else if (grew) {
      err = new CallError(
        "MEMORY_LIMIT",
        this.path,
        fn,
        `the plugin ran out of memory: it could not grow past ${bytes} bytes (limit ${this.#init.maxBytes}) and then trapped: ${
          trapText(e)
        }`,
        {
          hint:
            "raise wasm.maxMemoryBytes, or make the plugin use less memory; a fresh instance serves the next call",
          cause: e,
        },
      );
    } else {
      err = new CallError("PLUGIN_TRAPPED", this.path, fn, `the plugin trapped: ${trapText(e)}`, {
        hint:
          "the host kept running and a fresh instance serves the next call (its state is reset); fix the plugin",
        cause: e,
      });
    }
    this.#restart();
    throw err;
  }

  /**
   * `MEMORY_LIMIT` for an argument that does not fit in the plugin's memory.
   *
   * @param fn the function
   * @param i the argument
   * @param bytes its size
   * @returns the error
   */
  #noRoom(fn: string, i: number, bytes: number): CallError {
    return new CallError(
      "MEMORY_LIMIT",
      this.path,
      fn,
      `argument ${
        i + 1
      } (${bytes} bytes) does not fit in the plugin's memory: plugboard_alloc returned NULL with ${this.memoryBytes} bytes in use (limit ${this.#init.maxBytes})`,
      { hint: "raise wasm.maxMemoryBytes, or pass smaller arguments" },
    );
  }

  #badResult(fn: string, found: string): CallError {
    return new CallError("CALL_FAILED", this.path, fn, `the plugin returned ${found}`, {
      hint: "the plugin returned a bad address; fix the plugin",
    });
  }

  #deadError(fn: string): CallError {
    return new CallError(
      "PLUGIN_TRAPPED",
      this.path,
      fn,
      `the plugin is down: after a trap, a fresh instance failed to start: ${this.#dead!.summary}`,
      { hint: "open the plugin again once the cause is fixed", cause: this.#dead },
    );
  }

  /** A block of at least `need` bytes for the rest of this call's arguments. */
  #reserve(need: number, fn: string, i: number): number {
    let size = Math.max(SCRATCH_BYTES, this.#size * 2);
    while (size < need) size *= 2;
    const inst = this.#instance!;
    let at: number;
    try {
      at = inst.alloc(size) >>> 0;
    } catch (e) {
      this.trapped(fn, e);
    }
    if (at === 0) throw this.#noRoom(fn, i, need);
    if (this.#size > 0) this.#retired.push([this.#base, this.#size]);
    this.#base = at;
    this.#size = size;
    this.view();
    return at;
  }

  #freeRetired(): void {
    const inst = this.#instance!;
    try {
      for (const [at, size] of this.#retired.splice(0)) inst.free(at, size);
    } catch (e) {
      this.trapped("plugboard_free", e);
    }
  }

  // deno-lint-ignore ban-types
  #raw(name: string): Function {
    if (this.#dead || !this.#instance) return deadRaw;
    const f = this.#instance.exports[name];
    if (typeof f !== "function") {
      throw new Error(`unreachable: export ${name} was checked to be a function`);
    }
    return f;
  }

  /** A fresh instance after a trap, or the plugin marked down when it cannot start. */
  #restart(): void {
    const old = this.#instance;
    this.#instance = undefined;
    old?.wasi?.close();
    this.#base = 0;
    this.#size = 0;
    this.#retired = [];
    this.m = new Uint8Array(0);
    this.restarts++;
    try {
      this.#instance = this.#start("restart");
    } catch (e) {
      this.#dead = e instanceof PluginError ? e : new PluginError(
        "PLUGIN_TRAPPED",
        `Plugin ${JSON.stringify(this.path)} could not be restarted: ${String(e)}`,
        { path: this.path },
      );
      this.take = () => 0;
      for (const slot of this.#slots.values()) slot.f = deadRaw;
      return;
    }
    for (const [name, slot] of this.#slots) slot.f = this.#raw(name);
  }

  /** Instantiate, run the entry point, check the descriptor, run the init hook. */
  #start(phase: "load" | "restart"): Instance {
    const init = this.#init;
    const path = init.path;
    let wasi: Wasi | undefined;
    // The WASI functions read the memory of the instance made below.
    const holder: { memory?: WebAssembly.Memory } = {};
    const imports: WebAssembly.Imports = {};
    if (init.wasi) {
      wasi = new Wasi(init.wasi, () => holder.memory!);
      imports[WASI_MODULE] = wasi.imports();
    }
    const trapAt = (what: string, e: unknown): never => {
      wasi?.close();
      throw new LoadError("PLUGIN_TRAPPED", {
        path,
        what: `the plugin trapped while ${phase === "load" ? "loading" : "restarting"}`,
        expected: `${what} to return`,
        found: `a trap: ${trapText(e)}`,
        hint: "the host kept running; fix the plugin's constructors or init hook",
        cause: e,
      });
    };
    let instance: WebAssembly.Instance;
    try {
      instance = new WebAssembly.Instance(init.module, imports);
    } catch (e) {
      // Instantiation traps only in a data or element segment out of bounds.
      trapAt("instantiation", e);
    }
    const exports = instance!.exports as Record<string, unknown>;
    const irq = exports[INTERRUPT_EXPORT] as WebAssembly.Memory | undefined;
    const interrupt = irq ? new Int32Array(irq.buffer) : undefined;
    init.onInstance?.(interrupt);
    const memory = exports.memory as WebAssembly.Memory;
    holder.memory = memory;
    const table = exports.__indirect_function_table as WebAssembly.Table;
    let entry: number;
    try {
      entry = (exports.plugboard_entry as () => number)() >>> 0;
    } catch (e) {
      trapAt("plugboard_entry()", e);
    }
    const bytes = memory.buffer.byteLength;
    const bad = (expected: string, found: string): never => {
      wasi?.close();
      throw new LoadError("METADATA_MISMATCH", {
        path,
        what: "the plugin's descriptor disagrees with the file's metadata",
        expected,
        found,
        hint: "rebuild the plugin with plugboard.h; do not edit the plugboard section",
      });
    };
    const D = WASM32_DESCRIPTOR;
    if (entry! === 0 || entry! + D.bytes > bytes) {
      bad(
        `a ${D.bytes}-byte descriptor inside the module's memory (${bytes} bytes)`,
        `plugboard_entry() returned 0x${entry!.toString(16)}`,
      );
    }
    const v = new DataView(memory.buffer, entry!, D.bytes);
    const size = v.getUint32(D.size, true);
    const major = v.getUint16(D.abiMajor, true);
    const minor = v.getUint16(D.abiMinor, true);
    if (size < D.bytes) bad(`a descriptor of at least ${D.bytes} bytes`, `${size} bytes`);
    if (major !== init.abi.major || minor !== init.abi.minor) {
      bad(
        `ABI ${init.abi.major}.${init.abi.minor} (as in the file's plugboard section)`,
        `ABI ${major}.${minor} in the descriptor`,
      );
    }
    const hook = (offset: number, name: string): number => {
      const index = v.getUint32(offset, true);
      if (index !== 0 && (index >= table.length || typeof table.get(index) !== "function")) {
        bad(
          `descriptor.${name} 0 or a function of the table (${table.length} entries)`,
          `table index ${index}`,
        );
      }
      return index;
    };
    const initIndex = hook(D.init, "init");
    const shutdown = hook(D.shutdown, "shutdown");
    hook(D.takeError, "take_error");
    // A hook is declared twice, by its record and by its table index: they must agree.
    for (const [name, index] of [["init", initIndex], ["shutdown", shutdown]] as const) {
      const noted = init.hooks[name];
      if (noted !== (index !== 0)) {
        bad(
          noted
            ? `descriptor.${name} set, as the plugin's ${name} hook record says`
            : `descriptor.${name} 0, as the plugin declares no ${name} hook`,
          noted
            ? `descriptor.${name} 0: the hook record is there, the function is not`
            : `descriptor.${name} set (table index ${index}) with no ${name} hook record: it would never run`,
        );
      }
    }
    const take = exports.plugboard_take_error as () => number;
    if (init.init && init.hooks.init && initIndex !== 0) {
      let status: number;
      try {
        status = (table.get(initIndex) as () => number)();
      } catch (e) {
        trapAt("the init hook", e);
      }
      if (status! !== 0) {
        let message = `init returned ${status!}`;
        const e = take() >>> 0;
        if (e !== 0) {
          const m = new Uint8Array(memory.buffer);
          const end = Math.min(
            e + 8 + Math.min(new DataView(memory.buffer).getUint32(e + 4, true), 511),
            m.length,
          );
          const nul = m.subarray(e + 8, end).indexOf(0);
          message = decoder.decode(m.subarray(e + 8, nul === -1 ? end : e + 8 + nul));
        }
        wasi?.close();
        throw new LoadError("INIT_FAILED", {
          path,
          what: "the plugin's init hook failed",
          expected: "init to return 0",
          found: `${status!}: ${message}`,
          hint: "the plugin refused to start; fix what its message says, then load it again",
        });
      }
    }
    const inst: Instance = {
      exports,
      memory,
      table,
      take,
      alloc: exports.plugboard_alloc as (size: number) => number,
      free: exports.plugboard_free as (ptr: number, size: number) => void,
      grow: exports[GROW_FAILED_EXPORT] as WebAssembly.Global | undefined,
      interrupt,
      wasi,
      shutdown,
    };
    this.take = take;
    this.m = new Uint8Array(memory.buffer);
    return inst;
  }
}

function closedRaw(): never {
  throw new Error("unreachable: a function of a closed WebAssembly plugin was called");
}

/** Thrown by every function of a plugin whose restart failed; the wrapper turns it into its error. */
function deadRaw(): never {
  throw new Error("plugboard: the plugin is down");
}

/**
 * What a trap says: the engine's message (`unreachable`, `memory access out
 * of bounds`, `divide by zero`, `Maximum call stack size exceeded`), or the
 * exit code of a WASI `proc_exit`.
 *
 * @param e what was thrown
 * @returns the text
 */
export function trapText(e: unknown): string {
  if (e instanceof WasiExit) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

// ---------------------------------------------------------------------------
// Generated wrappers.
// ---------------------------------------------------------------------------

function invalid(path: string, fn: string, i: number, t: TypeName, v: unknown): never {
  throw invalidArgument(path, fn, i, t, v);
}

/** The argument error of an `isize`/`usize` value that fits 64 bits but not wasm32's 32. */
function invalidSize(path: string, fn: string, i: number, t: TypeName, v: unknown): never {
  // A value that fits the type on a 64-bit host, but not in 32 bits.
  if (t === "usize" && fits(t, v)) {
    const shown = typeof v === "bigint" ? `${v}n` : String(v);
    throw new CallError(
      "INVALID_ARGUMENT",
      path,
      fn,
      `argument ${
        i + 1
      } does not fit usize: expected an integer from 0 to 4294967295 (usize is 32 bits on wasm32), found ${typeof v} ${shown}`,
      { hint: "pass a value of the declared type" },
    );
  }
  if (t === "isize" && fits(t, v)) {
    const shown = typeof v === "bigint" ? `${v}n` : String(v);
    throw new CallError(
      "INVALID_ARGUMENT",
      path,
      fn,
      `argument ${
        i + 1
      } does not fit isize: expected an integer from -2147483648 to 2147483647 (isize is 32 bits on wasm32), found ${typeof v} ${shown}`,
      { hint: "pass a value of the declared type" },
    );
  }
  return invalid(path, fn, i, t, v);
}

function toU64(path: string, fn: string, i: number, t: TypeName, v: unknown): bigint {
  if (typeof v === "number") {
    if (v >= 0 && v < 65536 && (v | 0) === v) return small(v);
    if (Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  } else if (typeof v === "bigint" && v >= 0n && v <= MAX_U64) return v;
  return invalid(path, fn, i, t, v);
}

function toI64(path: string, fn: string, i: number, t: TypeName, v: unknown): bigint {
  if (typeof v === "number") {
    if (v >= 0 && v < 65536 && (v | 0) === v) return small(v);
    if (Number.isSafeInteger(v)) return BigInt(v);
  } else if (typeof v === "bigint" && v >= MIN_I64 && v <= MAX_I64) return v;
  return invalid(path, fn, i, t, v);
}

function sizeResult(r: number): bigint {
  return r >= 0 && r < 65536 ? small(r) : BigInt(r);
}

function closedError(path: string, fn: string): never {
  throw new CallError("CLOSED", path, fn, "the plugin handle is closed", {
    hint: "open the plugin again; functions of a closed handle cannot be called",
  });
}

/** Wrappers compiled from a source of their own so far (see loader/_bind.ts). */
let fresh = 0;
const MAX_FRESH = 4096;

/**
 * The typed wrapper of one function of a runtime, generated for its
 * signature. As the native loader does, wrappers of different functions get
 * sources of their own (a number in the name), so each call site in V8 sees
 * one target.
 */
function makeWrapper(
  sig: Signature,
  slot: Slot,
  rt: WasmRuntime,
  handle: HandleState,
  code: Map<string, string>,
  // deno-lint-ignore ban-types
): Function {
  const fn = sig.name;
  const path = rt.path;
  const args: string[] = [];
  const body: string[] = ["if (h.closed) closed(PATH, FN);"];
  const passed: string[] = [];
  const after: string[] = [];
  const env: Record<string, unknown> = {
    rt,
    slot,
    h: handle,
    PATH: path,
    FN: fn,
    closed: closedError,
    invalid,
    invalidSize,
    toU64,
    toI64,
    sizeResult,
  };
  const memoryArgs = sig.parameters.some((t) => t === "cstring" || t === "buffer");
  if (memoryArgs) body.push("rt.begin();");
  sig.parameters.forEach((t, i) => {
    const a = `a${i}`;
    args.push(a);
    switch (t) {
      case "i8":
        body.push(
          `if (typeof ${a} !== "number" || ((${a} << 24) >> 24) !== ${a}) invalid(PATH, FN, ${i}, "i8", ${a});`,
        );
        break;
      case "u8":
        body.push(
          `if (typeof ${a} !== "number" || (${a} & 0xff) !== ${a}) invalid(PATH, FN, ${i}, "u8", ${a});`,
        );
        break;
      case "i16":
        body.push(
          `if (typeof ${a} !== "number" || ((${a} << 16) >> 16) !== ${a}) invalid(PATH, FN, ${i}, "i16", ${a});`,
        );
        break;
      case "u16":
        body.push(
          `if (typeof ${a} !== "number" || (${a} & 0xffff) !== ${a}) invalid(PATH, FN, ${i}, "u16", ${a});`,
        );
        break;
      case "i32":
        body.push(
          `if (typeof ${a} !== "number" || (${a} | 0) !== ${a}) invalid(PATH, FN, ${i}, "i32", ${a});`,
        );
        break;
      case "u32":
        body.push(
          `if (typeof ${a} !== "number" || (${a} >>> 0) !== ${a}) invalid(PATH, FN, ${i}, "u32", ${a});`,
        );
        break;
      case "f32":
      case "f64":
        body.push(`if (typeof ${a} !== "number") invalid(PATH, FN, ${i}, "${t}", ${a});`);
        break;
      case "bool":
        body.push(`if (typeof ${a} !== "boolean") invalid(PATH, FN, ${i}, "bool", ${a});`);
        break;
      case "u64":
        body.push(
          `if (typeof ${a} !== "bigint") ${a} = toU64(PATH, FN, ${i}, "u64", ${a}); else if (${a} < 0n || ${a} > 18446744073709551615n) invalid(PATH, FN, ${i}, "u64", ${a});`,
        );
        break;
      case "i64":
        body.push(
          `if (typeof ${a} !== "bigint" || ${a} < -9223372036854775808n || ${a} > 9223372036854775807n) ${a} = toI64(PATH, FN, ${i}, "i64", ${a});`,
        );
        break;
      case "usize":
        body.push(
          `if (typeof ${a} === "number") { if ((${a} >>> 0) !== ${a}) invalidSize(PATH, FN, ${i}, "usize", ${a}); } else if (typeof ${a} === "bigint" && ${a} >= 0n && ${a} <= 4294967295n) ${a} = Number(${a}); else invalidSize(PATH, FN, ${i}, "usize", ${a});`,
        );
        break;
      case "isize":
        body.push(
          `if (typeof ${a} === "number") { if ((${a} | 0) !== ${a}) invalidSize(PATH, FN, ${i}, "isize", ${a}); } else if (typeof ${a} === "bigint" && ${a} >= -2147483648n && ${a} <= 2147483647n) ${a} = Number(${a}); else invalidSize(PATH, FN, ${i}, "isize", ${a});`,
        );
        break;
      case "cstring":
        body.push(`const p${i} = rt.putString(${a}, FN, ${i});`);
        passed.push(`p${i}`);
        return;
      case "buffer":
        body.push(`const p${i} = rt.putBuffer(${a}, FN, ${i});`);
        passed.push(`p${i}`);
        after.push(`rt.copyBack(${a}, p${i});`);
        return;
      default:
        throw new Error(`unreachable: parameter type ${t}`);
    }
    passed.push(a);
  });
  body.push(
    "let r;",
    `try { r = slot.f(${passed.join(", ")}); } catch (e) { rt.trapped(FN, e); }`,
    ...after,
  );
  if (sig.fallible) body.push("const e = rt.take(); if (e !== 0) rt.failed(FN, e);");
  // A nonblocking function returns a Promise; in process it runs at once.
  const ret = (x: string) =>
    body.push(sig.nonblocking ? `return Promise.resolve(${x});` : `return ${x};`);
  switch (sig.result) {
    case "void":
      ret("undefined");
      break;
    case "i8":
      ret("(r << 24) >> 24");
      break;
    case "u8":
      ret("r & 0xff");
      break;
    case "i16":
      ret("(r << 16) >> 16");
      break;
    case "u16":
      ret("r & 0xffff");
      break;
    case "u32":
      ret("r >>> 0");
      break;
    case "bool":
      ret("(r & 0xff) !== 0");
      break;
    case "u64":
      ret("BigInt.asUintN(64, r)");
      break;
    case "usize":
      ret("sizeResult(r >>> 0)");
      break;
    case "isize":
      ret("r >= 0 ? sizeResult(r) : BigInt(r)");
      break;
    case "cstring":
      env.cache = { n: -1, bytes: new Uint8Array(0), text: null } satisfies StringCache;
      ret("rt.readString(r, cache, FN)");
      break;
    default: // i32, i64, f32, f64
      ret("r");
  }
  const inner = sig.nonblocking
    ? `try {\n    ${body.join("\n    ")}\n  } catch (e) {\n    return Promise.reject(e);\n  }`
    : body.join("\n  ");
  const src = (id: string) =>
    `"use strict";\nreturn function ${fn}$pbw${id}(${args.join(", ")}) {\n  ${inner}\n};`;
  const shape = src("");
  let id = code.get(shape);
  if (id === undefined) {
    id = fresh < MAX_FRESH ? String(++fresh) : "";
    code.set(shape, id);
  }
  const names = Object.keys(env);
  // deno-lint-ignore ban-types
  const wrapper = new Function(...names, src(id))(...names.map((n) => env[n])) as Function;
  Object.defineProperty(wrapper, "name", { value: fn });
  return wrapper;
}
