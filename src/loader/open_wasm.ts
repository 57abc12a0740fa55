/**
 * `loadWasm()`: run a checked WebAssembly plugin in this process, behind the
 * same handle as a native one. Calls are synchronous and typed from the same
 * declarations; a trap cannot take the host down (`PLUGIN_TRAPPED`, and a
 * fresh instance serves the next call).
 *
 * The module gets no imports: a module that imports anything is refused
 * (`IMPORT_DENIED`), except WASI preview 1 when the host grants it
 * (`wasm: { wasi: {...} }`, with the arguments, environment, clock and
 * directories it names). Its memory is capped at `wasm.maxMemoryBytes`.
 *
 * Compiling is done once per file content and options: compiled modules are
 * kept in memory by SHA-256 (at most 32 modules, 64 MiB of code), so
 * reopening the same bytes (a reload, an open per call, a second handle)
 * only instantiates. Each handle has an instance of its own (its own memory
 * and globals): `plugin.shared` is always false.
 *
 * @module
 */

import type { PluginCandidate } from "../check/check_plugin.ts";
import { formatOf } from "../check/check_plugin.ts";
import { LoadError, PluginError } from "../errors/plugin_error.ts";
import type { Signature } from "../abi/signature.ts";
import {
  type CloseResult,
  type HandleState,
  Plugin,
  type PluginBackend,
} from "../handle/plugin.ts";
import { prepareWasm } from "../wasm/prepare_wasm.ts";
import type { WasmInfo } from "../wasm/read_wasm.ts";
import { WASI_MODULE } from "./_wasi.ts";
import { type WasiOptions, type WasmOptions, WasmRuntime } from "./wasm_runtime.ts";

export type { WasiOptions, WasmOptions };
export type { WasiPreopen } from "./wasm_runtime.ts";

/** How a WebAssembly plugin is loaded: its init hook, memory limit and WASI grants. */
export interface WasmLoadOptions {
  /**
   * Run the plugin's init hook after loading.
   * @default true
   */
  init?: boolean;
  /** The sandbox: memory limit and WASI grants. @default {} */
  wasm?: WasmOptions;
}

/** The default memory limit: 256 MiB. */
export const DEFAULT_MAX_MEMORY_BYTES = 256 * 1024 * 1024;
const PAGE = 65536;

/** A module compiled for one set of options, ready to instantiate. */
export interface CompiledWasm {
  /** The compiled module (memory capped, failed growth recorded, maybe interruptible). */
  readonly module: WebAssembly.Module;
  /** The memory limit in bytes (whole pages). */
  readonly maxBytes: number;
  /** The WASI grants, when the module imports WASI; else undefined. */
  readonly wasi: WasiOptions | undefined;
  /** How long compiling took, in ms; 0 when the module came from the cache. */
  readonly compileMs: number;
}

interface CacheEntry {
  module: WebAssembly.Module;
  size: number;
}

const compiled = new Map<string, CacheEntry>();
let compiledBytes = 0;
const MAX_MODULES = 32;
const MAX_BYTES = 64 << 20;

/**
 * Check a WebAssembly plugin's imports and memory against the options, and
 * compile it (or take it from the cache).
 *
 * @param candidate the checked file
 * @param wasm the options
 * @param interrupt add the interrupt checks (for a worker that must be stoppable)
 * @param path the path as the caller gave it
 * @returns the compiled module and the resolved limits
 * @throws {LoadError} `IMPORT_DENIED`, `MEMORY_LIMIT`, `MALFORMED` (code that does not compile)
 * @throws {PluginError} `USAGE` for an invalid option
 */
export function compileWasm(
  candidate: PluginCandidate,
  wasm: WasmOptions = {},
  interrupt: boolean,
  path: string = candidate.file.path,
): CompiledWasm {
  const info = formatOf(candidate).wasm;
  if (!info) throw new Error("unreachable: compileWasm() of a plugin that is not WebAssembly");
  const maxBytes = resolveMaxBytes(wasm.maxMemoryBytes);
  const maxPages = maxBytes / PAGE;
  checkImports(info, wasm.wasi, path);
  const wasi = info.imports.length > 0 ? checkWasi(wasm.wasi!) : undefined;
  for (const m of info.memories) {
    if (m.initial > maxPages) {
      throw new LoadError("MEMORY_LIMIT", {
        path,
        what: "the module needs more memory than it may have",
        expected: `at most ${maxBytes} bytes (wasm.maxMemoryBytes, ${maxPages} pages)`,
        found: `memory ${m.index} starting at ${m.initial * PAGE} bytes (${m.initial} pages)`,
        hint: "raise wasm.maxMemoryBytes, or build the plugin with a smaller stack and data",
      });
    }
  }
  const key = `${candidate.file.sha256}:${maxPages}:${interrupt ? 1 : 0}`;
  const hit = compiled.get(key);
  if (hit) {
    compiled.delete(key);
    compiled.set(key, hit);
    return { module: hit.module, maxBytes, wasi, compileMs: 0 };
  }
  const t0 = performance.now();
  const prepared = prepareWasm(candidate.file.bytes, info, path, {
    maxPages,
    growFlag: true,
    interrupt,
  });
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(prepared.bytes);
  } catch (e) {
    throw new LoadError("MALFORMED", {
      path,
      what: "the module does not compile",
      expected: "valid WebAssembly code",
      found: e instanceof Error ? e.message : String(e),
      hint:
        "the file's structure and metadata are fine but its code is not; rebuild the plugin (inspect reads it without compiling)",
      cause: e,
    });
  }
  const compileMs = performance.now() - t0;
  const size = candidate.file.bytes.length;
  if (size <= MAX_BYTES) {
    compiled.set(key, { module, size });
    compiledBytes += size;
    for (const [k, entry] of compiled) {
      if (compiled.size <= MAX_MODULES && compiledBytes <= MAX_BYTES) break;
      compiled.delete(k);
      compiledBytes -= entry.size;
    }
  }
  return { module, maxBytes, wasi, compileMs };
}

/**
 * Load a checked WebAssembly plugin in this process.
 *
 * @example
 * ```ts ignore
 * import { checkPlugin } from "../check/check_plugin.ts";
 * import { loadWasm } from "./open_wasm.ts";
 *
 * const plugin = loadWasm(checkPlugin("build/wasm/calc_add.wasm"), { wasm: { maxMemoryBytes: 1 << 24 } });
 * console.log(plugin.function("apply")(2, 3)); // 5
 * ```
 *
 * @param candidate what `checkPlugin` returned for the file
 * @param options init, memory limit and WASI grants
 * @param path the path as the caller gave it, for messages
 * @returns the handle
 * @throws {LoadError} `IMPORT_DENIED`, `MEMORY_LIMIT`, `MALFORMED`, `METADATA_MISMATCH`,
 *   `INIT_FAILED`, `PLUGIN_TRAPPED` (a trap while loading)
 */
export function loadWasm(
  candidate: PluginCandidate,
  options: WasmLoadOptions = {},
  path: string = candidate.file.path,
): Plugin<"sync"> {
  const c = compileWasm(candidate, options.wasm, false, path);
  const runtime = new WasmRuntime({
    path,
    module: c.module,
    abi: candidate.metadata.abi,
    hooks: candidate.metadata.hooks,
    maxBytes: c.maxBytes,
    wasi: c.wasi,
    init: options.init ?? true,
  });
  return new Plugin({
    candidate,
    backend: new WasmBackend(runtime, candidate),
    calls: "sync",
    isolation: "none",
    path,
  });
}

/** A WebAssembly plugin in this process, as its handle sees it. */
class WasmBackend implements PluginBackend {
  #runtime: WasmRuntime;
  #candidate: PluginCandidate;

  constructor(runtime: WasmRuntime, candidate: PluginCandidate) {
    this.#runtime = runtime;
    this.#candidate = candidate;
  }

  checkBindable(sigs: readonly Signature[], path: string): void {
    WasmRuntime.checkBindable(sigs, path);
    // Each export's type against its signature, however the function was asked for.
    for (const sig of sigs) this.#candidate.requireFunction(sig.name);
  }

  bind(sigs: readonly Signature[], state: HandleState): Record<string, unknown> {
    // As the native loader does, each wrapper is generated when first read.
    const out: Record<string, unknown> = {};
    for (const sig of sigs) {
      let wrapper: unknown;
      Object.defineProperty(out, sig.name, {
        enumerable: true,
        get: () => wrapper ??= this.#runtime.bind(sig, state),
      });
    }
    return Object.freeze(out);
  }

  close(): Promise<CloseResult> {
    const problem = this.#runtime.close();
    return Promise.resolve(problem ? { unloaded: true, reason: problem } : { unloaded: true });
  }
}

/**
 * Refuse a module whose imports the host does not grant: WASI preview 1
 * functions need `wasm.wasi`; nothing else is ever provided.
 */
function checkImports(info: WasmInfo, wasi: WasiOptions | undefined, path: string): void {
  const other = info.imports.filter((i) => i.module !== WASI_MODULE || i.kind !== "function");
  const names = (list: typeof info.imports) =>
    list.slice(0, 8).map((i) => `${i.module}.${i.name}`).join(", ") +
    (list.length > 8 ? `, and ${list.length - 8} more` : "");
  if (other.length > 0) {
    throw new LoadError("IMPORT_DENIED", {
      path,
      what: "the module imports what the host does not provide",
      expected: `no imports but WASI preview 1 functions (${WASI_MODULE})`,
      found: `${other.length} other import${other.length === 1 ? "" : "s"}: ${names(other)}`,
      hint:
        "build the plugin without undefined functions (plugboard gives a plugin nothing but what WASI grants)",
    });
  }
  if (info.imports.length > 0 && wasi === undefined) {
    throw new LoadError("IMPORT_DENIED", {
      path,
      what: "the module imports WASI, which the host did not grant",
      expected: "no imports (WASI only with the option wasm: { wasi: {...} })",
      found: `${info.imports.length} WASI import${info.imports.length === 1 ? "" : "s"}: ${
        names(info.imports)
      }`,
      hint:
        "grant WASI with { wasm: { wasi: { ... } } } (args, env, clock and preopened directories are opt-in), or build it with plugboard build --target wasm32, which links stubs for the WASI calls libc needs",
    });
  }
}

function resolveMaxBytes(v: number | undefined): number {
  if (v === undefined) return DEFAULT_MAX_MEMORY_BYTES;
  if (typeof v !== "number" || !(v >= PAGE) || v > 2 ** 32) {
    throw new PluginError(
      "USAGE",
      `Invalid option wasm.maxMemoryBytes: expected a number of bytes from 65536 to 4294967296, found ${
        String(v)
      }`,
      { hint: "pass the limit in bytes; it is rounded down to 64 KiB pages" },
    );
  }
  return Math.floor(v / PAGE) * PAGE;
}

/** Check the WASI grants up front: each preopened directory must exist. */
function checkWasi(wasi: WasiOptions): WasiOptions {
  for (const [guest, grant] of Object.entries(wasi.preopens ?? {})) {
    const dir = typeof grant === "string" ? grant : grant?.path;
    let ok = false;
    let why = "";
    try {
      ok = typeof dir === "string" && Deno.statSync(dir).isDirectory;
      if (!ok) why = "not a directory";
    } catch (e) {
      why = e instanceof Error ? e.message : String(e);
    }
    if (!ok || !guest.startsWith("/")) {
      throw new PluginError(
        "USAGE",
        `Invalid option wasm.wasi.preopens[${JSON.stringify(guest)}]: expected ${
          guest.startsWith("/") ? "a directory" : "an absolute guest path"
        }, found ${JSON.stringify(dir)}${why ? ` (${why})` : ""}`,
        { hint: 'map an absolute guest path to a host directory: { "/data": "./data" }' },
      );
    }
  }
  return wasi;
}
