/**
 * `HostedPlugin`: a plugin file as a {@linkcode PluginHost} holds it. Its
 * identity (name, version, build id, SHA-256) is the current build's and
 * changes when the host reloads the file; the functions it hands out stay
 * the same objects and always call the current build.
 *
 * @module
 */

import type { InterfaceSpec } from "../abi/define_interface.ts";
import type { PluginKind } from "../abi/identity.ts";
import type { PluginMetadata } from "../abi/read_metadata.ts";
import type { AsyncFunctionsOf, FunctionsOf, SignatureRecord } from "../abi/signature.ts";
import type { PluginError } from "../errors/plugin_error.ts";
import type { HostedState, HostIsolation, PluginEntry } from "./_entry.ts";
import { interfaceRef } from "./_select.ts";

export type { HostedState, HostIsolation };

/**
 * The functions a hosted plugin hands out for an interface: synchronous in
 * this process, Promise-returning when the host isolates its plugins, and
 * either (await them) when the host runs each plugin where it runs best.
 */
export type HostedFunctions<I extends HostIsolation, F extends SignatureRecord> = I extends
  "process" ? AsyncFunctionsOf<F>
  : I extends "auto" ? MaybeAsyncFunctionsOf<F>
  : FunctionsOf<F>;

/** Functions that return their result, or a Promise of it: await each call. */
export type MaybeAsyncFunctionsOf<F extends SignatureRecord> = {
  readonly [K in keyof F]: FunctionsOf<F>[K] extends (...args: infer A) => infer R
    ? (...args: A) => Awaited<R> | Promise<Awaited<R>>
    : never;
};

/**
 * A plugin held by a host. Made by the host; ask for them with
 * {@linkcode PluginHost.plugins}.
 *
 * In eager mode it is loaded at discovery; in lazy mode it is checked at
 * discovery (nothing of it runs) and loaded by the first
 * {@linkcode HostedPlugin.use} or {@linkcode HostedPlugin.load}, one load
 * shared by every concurrent caller.
 *
 * @example Functions that follow reloads
 * ```ts ignore
 * const [add] = host.plugins(CalcOp);
 * const op = await add.use(CalcOp);
 * console.log(add.version, op.apply(1, 2));
 * // ... the file is rebuilt and host.refresh() (or a watcher) reloads it ...
 * console.log(add.version, op.apply(1, 2)); // the same function, the new build
 * ```
 */
export class HostedPlugin<I extends HostIsolation = "none"> {
  #entry: PluginEntry;

  /**
   * Hosted plugins are made by their host.
   *
   * @param entry the host's entry
   * @internal
   */
  constructor(entry: PluginEntry) {
    this.#entry = entry;
  }

  /** The file, as found in the search path. */
  get path(): string {
    return this.#entry.path;
  }

  /** The plugin's name, from the current build's metadata. */
  get name(): string {
    return this.#entry.metadata.name;
  }

  /** The plugin's version, from the current build's metadata. */
  get version(): string {
    return this.#entry.metadata.version;
  }

  /** The current build's build id (`""` when it has none). */
  get buildId(): string {
    return this.#entry.metadata.buildId;
  }

  /** SHA-256 of the current build's bytes, hex. */
  get sha256(): string {
    return this.#entry.sha256;
  }

  /** The current build's metadata, read from the file. */
  get metadata(): PluginMetadata {
    return this.#entry.metadata;
  }

  /**
   * `lazy`: checked, not loaded yet; `loaded`; `failed`: its load failed
   * (see {@linkcode HostedPlugin.error}); `closed`: removed or its host closed.
   */
  get state(): HostedState {
    return this.#entry.state;
  }

  /** The error of a failed load, when `state` is `failed`. */
  get error(): PluginError | undefined {
    return this.#entry.error;
  }

  /**
   * Whether the host's rollout rules enable this plugin's name. A disabled
   * plugin stays in place (and loaded, if it was) but `use()`, `load()` and
   * its functions fail with `DISABLED`; see {@linkcode PluginHost.setRollout}.
   */
  get enabled(): boolean {
    return this.#entry.enabled;
  }

  /** How many times the host reloaded a new build of the file. */
  get generation(): number {
    return this.#entry.generation;
  }

  /** What kind of plugin the current build is: a shared library, a WebAssembly module or an executable. */
  get kind(): PluginKind {
    return this.#entry.kind;
  }

  /**
   * Where the host runs the current build: `"none"` in this process (its
   * functions return their results), `"process"` in child processes or
   * `"worker"` in Workers (a WebAssembly plugin; its functions return
   * Promises). Follows the host's `isolation` option (with `"auto"`,
   * executables run as processes and the rest in this process).
   */
  get isolation(): "none" | "process" | "worker" {
    return this.#entry.isolation;
  }

  /**
   * Whether the current build is linked with `-z nodelete` (DT_FLAGS_1
   * DF_1_NODELETE): dlclose never unmaps it, so each reload leaves the
   * old build in memory.
   */
  get nodelete(): boolean {
    return this.#entry.nodelete;
  }

  /**
   * Whether the current build provides an interface.
   *
   * @example Checking what a plugin provides
   * ```ts ignore
   * const [add] = host.plugins("calc.op/1");
   * console.log(add.provides("calc.op/1.0"), add.provides("text.processor/1")); // true false
   * ```
   *
   * @param ref `"id/MAJOR"`, `"id/MAJOR.MINOR"` or an interface spec (signatures checked too)
   * @returns whether it does
   */
  provides(ref: string | InterfaceSpec): boolean {
    return this.#entry.provides(interfaceRef(ref));
  }

  /**
   * The typed functions of an interface. A lazy plugin is loaded first (one
   * load for all concurrent callers). The functions call through the host's
   * routing: after a reload they call the new build, and after the plugin is
   * removed or the host closed they throw `CLOSED`. The same spec always
   * gives the same object. With `loadOptions: { isolation: "process" }`
   * every function returns a Promise.
   *
   * @example Calling every calculator operation
   * ```ts ignore
   * const CalcOp = defineInterface("calc.op", "1.0", {
   *   name: "cstring name()",
   *   apply: "fallible f64 apply(f64 a, f64 b)",
   * });
   * for (const p of host.plugins(CalcOp)) {
   *   const op = await p.use(CalcOp);
   *   console.log(op.name(), op.apply(6, 3));
   * }
   * ```
   *
   * @param spec the interface
   * @returns its routed functions
   * @throws {LoadError} when the plugin does not provide the interface, or its load fails
   * @throws {PluginError} `DISABLED` when the host's rollout rules disable it
   * @throws {CallError} `CLOSED` when the plugin was removed or the host closed
   */
  use<const F extends SignatureRecord>(spec: InterfaceSpec<F>): Promise<HostedFunctions<I, F>> {
    return this.#entry.use(spec) as Promise<HostedFunctions<I, F>>;
  }

  /**
   * The typed functions of an interface of a plugin that is already loaded,
   * without awaiting: for eager hosts and after a first
   * {@linkcode HostedPlugin.use}.
   *
   * @example Binding without awaiting
   * ```ts ignore
   * const op = host.plugins(CalcOp)[0].useLoaded(CalcOp);
   * console.log(op.apply(2, 3));
   * ```
   *
   * @param spec the interface
   * @returns its routed functions
   * @throws {PluginError} `USAGE` when the plugin is lazy and not loaded yet, `DISABLED` when
   *   the host's rollout rules disable it
   */
  useLoaded<const F extends SignatureRecord>(spec: InterfaceSpec<F>): HostedFunctions<I, F> {
    return this.#entry.useLoaded(spec) as HostedFunctions<I, F>;
  }

  /**
   * Load a lazy plugin now; nothing happens when it is loaded already.
   *
   * @example Loading every lazy plugin now
   * ```ts ignore
   * await Promise.all(host.plugins().map((p) => p.load()));
   * ```
   *
   * @returns when loaded
   * @throws {LoadError} when the load fails (the plugin is then `failed`)
   * @throws {PluginError} `DISABLED` when the host's rollout rules disable it
   */
  async load(): Promise<void> {
    await this.#entry.ensureLoaded();
  }
}
