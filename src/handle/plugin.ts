/**
 * `Plugin`: the one handle every kind of plugin is opened as, in this
 * process or in another: a native library, a WebAssembly module, a native
 * library in a child process, an executable speaking plugboard's protocol.
 * The contract is the same for all: `use(interface)`, `functions(...)`,
 * `function(name)`, `metadata`, `close()`; calls are typed from the
 * declarations, synchronous in this process and Promise-returning across a
 * process or worker boundary (`Plugin<"async">`). The checks every kind
 * shares are written here once: the interface against the metadata,
 * declared against provided signatures, "did you mean", caching by
 * interface and by name, and the closed state, after which every function
 * throws (or rejects with) `CLOSED` instead of reaching unloaded code.
 *
 * @module
 */

import {
  checkInterface,
  checkStructs,
  type InterfaceSpec,
  parseDeclarations,
  structRecord,
} from "../abi/define_interface.ts";
import type { PluginKind } from "../abi/identity.ts";
import type { PluginMetadata } from "../abi/read_metadata.ts";
import {
  type AsyncFunctionsOf,
  canonicalSignature,
  type FunctionsOf,
  type Signature,
  type SignatureRecord,
  structsUsed,
} from "../abi/signature.ts";
import { structFromLayout, type StructType } from "../abi/struct_type.ts";
import type { PluginCandidate } from "../check/check_plugin.ts";
import { nearestNames } from "../check/symbols.ts";
import type { ChildExit } from "../errors/crash_error.ts";
import { CallError, LoadError, PluginError } from "../errors/plugin_error.ts";

/** How a plugin's functions are called: directly, or through a Promise (another process or thread). */
export type CallMode = "sync" | "async";

/**
 * Where a plugin runs: `"none"` in this process and thread; `"process"` in
 * child processes (a crash or a hang cannot take the host down);
 * `"worker"` in a Worker (WebAssembly plugins: a loop can be stopped).
 */
export type Isolation = "none" | "process" | "worker";

/** What {@linkcode Plugin.close} reports. */
export interface CloseResult {
  /** Whether the plugin's code is gone (false while other handles hold it, or when it cannot unload). */
  unloaded: boolean;
  /** Why it was not unloaded, when it was not. */
  reason?: string;
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

/** An exported variable of a plugin. Every access after close throws `CLOSED`. */
export interface PluginVariable<T extends number | bigint> {
  /** Read the current value from the plugin's memory. */
  get(): T;
  /** Write a value into the plugin's memory. */
  set(value: T): void;
}

/** The state of the processes (or worker) serving an isolated plugin, as a whole. */
export type IsolationStatus = "starting" | "ready" | "restarting" | "crashed" | "closed";

/** The last crash of an isolated plugin. */
export interface CrashInfo {
  /** `crash`: the process died; `timeout`: it was killed for a deadline; `protocol`: for a malformed reply. */
  readonly reason: "crash" | "timeout" | "protocol";
  /** When, as an ISO 8601 timestamp. */
  readonly time: string;
  /** How the process ended. */
  readonly exit: ChildExit;
  /** The function whose call was pending, if any. */
  readonly function: string | undefined;
  /** The error the pending calls were given, if any were pending. */
  readonly error: PluginError | undefined;
}

/** What {@linkcode Plugin.processes} reports about an isolated plugin. */
export interface ProcessesState {
  /**
   * `starting` until the first processes are up; `ready` when they serve
   * calls; `restarting` while a crashed one is being replaced; `crashed`
   * when none is left and none will be started; `closed` after close().
   */
  readonly status: IsolationStatus;
  /** How many processes were replaced so far. */
  readonly restarts: number;
  /** The last crash or timeout, if any. */
  readonly lastCrash: CrashInfo | undefined;
  /** Process ids of the processes serving calls. */
  readonly pids: readonly number[];
  /** Calls sent and not answered yet, over all processes. */
  readonly pending: number;
  /**
   * How each process in `pids` exchanges calls with the host (native plugins):
   * `shared-memory` or `pipe`.
   */
  readonly transports?: readonly ("shared-memory" | "pipe")[];
}

/** The typed functions of an interface, in a call mode; `S` holds its structs by name. */
export type FunctionsIn<
  M extends CallMode,
  F extends SignatureRecord,
  S extends Readonly<Record<string, StructType>> = Record<never, never>,
> = M extends "async" ? AsyncFunctionsOf<F, S> : FunctionsOf<F, S>;

/** Options of {@linkcode Plugin.functions}. */
export interface FunctionsOptions<S extends readonly StructType[] = readonly StructType[]> {
  /**
   * The structs the declarations pass by value, made by `struct(...)`; each
   * is compared with the layout the plugin records (`STRUCT_MISMATCH`).
   * Without it, a struct type is bound with the plugin's own recorded
   * layout, and its values are untyped objects.
   * @default []
   */
  structs?: S;
}

/** A function looked up by name, in a call mode. */
export type FunctionByName<M extends CallMode> = M extends "async"
  ? (...args: unknown[]) => Promise<unknown>
  : (...args: unknown[]) => unknown;

/** The state a handle shares with its functions. */
export interface HandleState {
  /** Set by close(): every call throws CLOSED from then on. */
  closed: boolean;
}

/**
 * A new handle state, open. Each is an instance of a class of its own, so
 * each has a hidden class of its own: V8 treats a field that was never
 * written after creation as a constant of its hidden class, and with one
 * class per handle, closing other handles leaves this handle's `closed`
 * check foldable in the callers' optimized code (with a shared class, the
 * first close anywhere made every check a real load, ~0.5 ns per call).
 *
 * @returns the state
 */
export function newHandleState(): HandleState {
  return new (class HandleFlag {
    closed = false;
  })();
}

/** What a kind of plugin provides to its handle. */
export interface PluginBackend {
  /**
   * Check that these signatures can be bound here, binding nothing (a
   * fallible function cannot be nonblocking in process; a pointer cannot
   * cross a process boundary).
   *
   * @param sigs the signatures
   * @param path the plugin, for messages
   */
  checkBindable(sigs: readonly Signature[], path: string): void;
  /**
   * The functions of these signatures, as a frozen record; each checks
   * `state.closed` on every call. The backend may bind each on first read.
   *
   * @param sigs the signatures, already checked
   * @param state the handle's state
   * @returns the functions by name
   */
  bind(sigs: readonly Signature[], state: HandleState): Record<string, unknown>;
  /** Unload, stop or release: called once, after the handle is marked closed. */
  close(): Promise<CloseResult>;
  /** The processes serving the plugin, for kinds that run it in other processes. */
  processes?(): ProcessesState;
  /** Exported variables, for kinds that can reach the plugin's memory. */
  variable?(
    name: string,
    type: VariableType,
    state: HandleState,
    path: string,
  ): PluginVariable<number | bigint>;
}

/** What a handle is made of; made by the openers. */
export interface PluginInit<M extends CallMode> {
  /** The checked file. */
  readonly candidate: PluginCandidate;
  /** The kind's machinery. */
  readonly backend: PluginBackend;
  /** How calls are made. */
  readonly calls: M;
  /** Where the plugin runs. */
  readonly isolation: Isolation;
  /** The path as the caller gave it. @default candidate.file.path */
  readonly path?: string;
  /** Whether the plugin was already loaded and this handle shares it. @default false */
  readonly shared?: boolean;
}

/**
 * An open plugin. Functions handed out by it check on every call that the
 * handle is still open: after {@linkcode Plugin.close} they throw `CLOSED`
 * (or, when they return Promises, reject with it) instead of reaching
 * unloaded code.
 *
 * `M` is `"sync"` for plugins running in this thread (native and WebAssembly
 * plugins opened in process) and `"async"` for those behind a process or
 * worker boundary, whose every function returns a Promise.
 */
export class Plugin<M extends CallMode = "sync"> implements Disposable, AsyncDisposable {
  /** The path as given to openPlugin. */
  readonly path: string;
  /** The absolute path with symlinks resolved. */
  readonly realPath: string;
  /** SHA-256 of the bytes that were checked (and loaded). */
  readonly sha256: string;
  /** The plugin's metadata, read from the file. */
  readonly metadata: PluginMetadata;
  /** What kind of plugin it is. */
  readonly kind: PluginKind;
  /** Where it runs. */
  readonly isolation: Isolation;
  /** How its functions are called. */
  readonly calls: M;
  /** True when this file was already open and this handle shares its code and state. */
  readonly shared: boolean;
  #backend: PluginBackend;
  #candidate: PluginCandidate;
  #state: HandleState = newHandleState();
  #uses = new Map<InterfaceSpec, unknown>();
  #byName = new Map<string, unknown>();
  #closing: Promise<CloseResult> | undefined;

  /**
   * Handles are made by `openPlugin`.
   *
   * @param init the checked file, the kind's backend and the call mode
   * @internal
   */
  constructor(init: PluginInit<M>) {
    const c = init.candidate;
    this.path = init.path ?? c.file.path;
    this.realPath = c.file.realPath;
    this.sha256 = c.file.sha256;
    this.metadata = c.metadata;
    this.kind = c.kind;
    this.isolation = init.isolation;
    this.calls = init.calls;
    this.shared = init.shared ?? false;
    this.#backend = init.backend;
    this.#candidate = c;
  }

  /** Whether {@linkcode Plugin.close} was called. */
  get closed(): boolean {
    return this.#state.closed;
  }

  /**
   * The processes serving an isolated plugin: status, restarts, the last
   * crash, pids and pending calls; `undefined` for a plugin in this process.
   */
  get processes(): ProcessesState | undefined {
    return this.#backend.processes?.();
  }

  /**
   * The typed functions of an interface. The interface is checked against
   * the plugin's metadata (version, then function by function) and the
   * exported functions on first use; later calls with the same spec return
   * the same object.
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
   * @throws {LoadError} `INTERFACE_MISSING`, `INTERFACE_MISMATCH`, `SIGNATURE_MISMATCH`,
   *   `STRUCT_MISMATCH`, `SYMBOL_MISSING`
   * @throws {CallError} `CLOSED`
   * @throws {PluginError} `USAGE` for a function that cannot be called in this mode
   *   (a struct by value across a process boundary)
   */
  use<const F extends SignatureRecord, S extends Readonly<Record<string, StructType>>>(
    spec: InterfaceSpec<F, S>,
  ): FunctionsIn<M, F, S> {
    this.#assertOpen("use");
    const cached = this.#uses.get(spec);
    if (cached) return cached as FunctionsIn<M, F, S>;
    checkInterface(this.metadata, spec, this.path);
    const sigs = [...spec.signatures.values()];
    for (const sig of sigs) this.#candidate.requireFunction(sig.name);
    const fns = this.#bind(sigs) as FunctionsIn<M, F, S>;
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
   * @example A struct by value
   * ```ts ignore
   * const Point = struct("point", { x: "i32", y: "i32" });
   * const { move } = plugin.functions(
   *   { move: "struct point move(struct point p, i32 dx)" },
   *   { structs: [Point] },
   * );
   * console.log(move({ x: 1, y: 2 }, 3)); // { x: 4, y: 2 }
   * ```
   *
   * @param declarations function name to signature text
   * @param options the structs the declarations pass by value
   * @returns the functions
   * @throws {LoadError} `SYMBOL_MISSING`, `SIGNATURE_MISMATCH` or `STRUCT_MISMATCH`
   * @throws {CallError} `CLOSED`
   * @throws {PluginError} `USAGE` for a struct by value that cannot be bound
   */
  functions<const F extends SignatureRecord, const S extends readonly StructType[] = []>(
    declarations: F,
    options: FunctionsOptions<S> = {},
  ): FunctionsIn<M, F, { readonly [T in S[number] as T["name"]]: T }> {
    this.#assertOpen("functions");
    const structs = options.structs ? structRecord(options.structs) : undefined;
    const sigs = [...parseDeclarations(declarations, structs).values()];
    for (const sig of sigs) this.#checkDeclared(sig);
    if (structs) checkStructs(this.metadata, structs, this.path);
    return this.#bind(sigs) as FunctionsIn<M, F, { readonly [T in S[number] as T["name"]]: T }>;
  }

  /**
   * A function by name, with the signature the plugin declares; for tools
   * that learn signatures at run time (the CLI's `call`). The same name
   * always gives the same function.
   *
   * @example
   * ```ts ignore
   * const f = plugin.function("MyFunction");
   * console.log(f("hello")); // 42
   * ```
   *
   * @param name the function's name
   * @returns the function
   * @throws {LoadError} `SYMBOL_MISSING`, saying why and suggesting near names
   * @throws {CallError} `CLOSED`
   */
  function(name: string): FunctionByName<M> {
    this.#assertOpen(name);
    let fn = this.#byName.get(name);
    if (fn === undefined) {
      const sig = this.#declared(name);
      fn = this.#bind([sig])[name];
      this.#byName.set(name, fn);
    }
    return fn as FunctionByName<M>;
  }

  /**
   * An exported variable, read and written in the plugin's memory (native
   * plugins in this process only). Its address comes from the file's symbol
   * table, and only a defined data object inside a loaded segment is
   * accepted.
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
   * @throws {LoadError} `SYMBOL_MISSING` or `SIGNATURE_MISMATCH`
   * @throws {PluginError} `USAGE` for a plugin whose memory is out of reach
   */
  variable<T extends VariableType>(name: string, type: T): PluginVariable<VariableValue<T>> {
    this.#assertOpen(name);
    if (!this.#backend.variable) {
      throw new PluginError(
        "USAGE",
        `Cannot read variable ${JSON.stringify(name)} of plugin ${
          JSON.stringify(this.path)
        }: expected a native plugin in this process, found a ${this.kind} plugin with isolation "${this.isolation}"`,
        {
          path: this.path,
          hint: "export a function that returns the value, and call it instead",
        },
      );
    }
    return this.#backend.variable(name, type, this.#state, this.path) as PluginVariable<
      VariableValue<T>
    >;
  }

  /**
   * Close the handle. From this moment every function and variable obtained
   * from it throws (or rejects with) `CLOSED`. In process, when it is the
   * last handle on the library, the library is unloaded as soon as in-flight
   * nonblocking calls have returned (the shutdown hook runs, then dlclose);
   * isolated, every child finishes its calls, runs the shutdown hook and
   * exits (or is killed after the grace period). Closing twice is harmless.
   *
   * @returns whether the code was unloaded, and if not, why
   */
  close(): Promise<CloseResult> {
    if (this.#closing) return this.#closing;
    this.#state.closed = true;
    this.#closing = this.#backend.close();
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

  /** The plugin's signature of a function it declares, or why there is none. */
  #declared(name: string): Signature {
    const theirs = this.metadata.functions.get(name);
    if (theirs) return theirs;
    const near = nearestNames(name, [...this.metadata.functions.keys()]);
    // Not declared: say whether it exists at all, and why not.
    this.#candidate.requireFunction(name);
    throw new LoadError("SYMBOL_MISSING", {
      path: this.path,
      what: `function "${name}" is exported but not declared with PLUGBOARD_FN`,
      expected: "a function declared in the plugin's metadata",
      found: `an exported symbol with no declared signature${
        near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(" or ")}?` : ""
      }`,
      hint:
        "declare it with PLUGBOARD_FN(...) so its signature is checked, or use openLibrary() for undeclared symbols",
    });
  }

  #checkDeclared(sig: Signature): void {
    const theirs = this.#declared(sig.name);
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

  #bind(sigs: readonly Signature[]): Record<string, unknown> {
    this.#backend.checkBindable(sigs, this.path);
    return this.#backend.bind(sigs.map((sig) => this.#withStructs(sig)), this.#state);
  }

  /**
   * A signature with the layout of every struct it passes by value: the
   * host's declarations where given (checked against the plugin's), else
   * the plugin's own recorded layouts.
   */
  #withStructs(sig: Signature): Signature {
    const used = structsUsed(sig).filter((name) => !sig.structs?.has(name));
    if (used.length === 0) return sig;
    const structs = new Map(sig.structs);
    for (const name of used) {
      const layout = this.metadata.structs.get(name);
      if (!layout) {
        throw new PluginError(
          "USAGE",
          `Cannot bind ${JSON.stringify(sig.name)} of plugin ${
            JSON.stringify(this.path)
          }: struct ${name} has no layout`,
          {
            path: this.path,
            hint:
              `declare it on the host: functions({...}, { structs: [struct("${name}", { ... })] })`,
          },
        );
      }
      try {
        structs.set(name, structFromLayout(layout));
      } catch (e) {
        const detail = e instanceof PluginError ? e.summary : String(e);
        throw new PluginError(
          "USAGE",
          `Cannot bind ${JSON.stringify(sig.name)} of plugin ${
            JSON.stringify(this.path)
          }: ${detail}`,
          {
            path: this.path,
            hint:
              `declare the struct on the host: functions({...}, { structs: [struct("${name}", { ... })] })`,
            cause: e,
          },
        );
      }
    }
    return Object.freeze({ ...sig, structs });
  }
}
