/**
 * One plugin file under a host: its current build, its lazy load, its
 * routed functions and its reloads. {@linkcode HostedPlugin} is the public
 * face of an entry; the host drives the rest.
 *
 * @module
 */

import { checkInterface, type InterfaceSpec } from "../abi/define_interface.ts";
import { formatVersionPair } from "../abi/abi_version.ts";
import type { PluginMetadata } from "../abi/read_metadata.ts";
import type { PluginKind } from "../abi/identity.ts";
import type { FunctionsOf, SignatureRecord } from "../abi/signature.ts";
import {
  asPluginError,
  examinePlugin,
  formatOf,
  type PluginCandidate,
} from "../check/check_plugin.ts";
import { CallError, LoadError, PluginError } from "../errors/plugin_error.ts";
import { readFile } from "../file/read_file.ts";
import type { CloseResult, Plugin } from "../handle/plugin.ts";
import type { LogLevel, LogRecord, LogSink } from "../log/log_record.ts";
import {
  openCandidate,
  type OpenIsolatedOptions,
  type OpenPluginOptions,
  type OpenWorkerOptions,
} from "../open/open_plugin.ts";
import { type Candidate, skipMessage } from "./discover.ts";
import {
  type AnyFunction,
  closedFunction,
  failingFunction,
  routeFunction,
  type RouteHooks,
  type Slot,
} from "./_route.ts";
import { disabledCallError, disabledError } from "./_rollout.ts";
import { type InterfaceRef, isNodelete, provides } from "./_select.ts";

export { asPluginError, skipMessage };

/**
 * Where a host runs its plugins: `"none"` every one in this process
 * (executables are skipped: they can only run as processes); `"process"`
 * every one isolated: libraries and executables in child processes,
 * WebAssembly modules in Workers (where `timeoutMs` can stop them);
 * `"auto"` each where it runs best: libraries and WebAssembly modules in
 * this process (a trap in a module cannot take the host down), executables
 * as processes.
 */
export type HostIsolation = "none" | "process" | "auto";

/**
 * Options passed through to `openPlugin` for every load and reload:
 * `load`, `verify`, `registry`, `policy`, ..., and with `isolation:
 * "process"` or `"auto"` the options of isolated plugins (`timeoutMs`,
 * `restart`, `pool`, ...). `interfaces` and `init` are the host's own.
 */
export type HostLoadOptions<I extends HostIsolation = HostIsolation> =
  & Omit<OpenPluginOptions, "interfaces" | "init" | "isolation">
  & (I extends "none" ? unknown : Omit<OpenIsolatedOptions, "interfaces" | "init" | "isolation">)
  & {
    /**
     * `"process"`: every plugin isolated, libraries and executables in
     * child processes, WebAssembly modules in Workers (a crash or hang
     * cannot take the host down; its functions return Promises). `"auto"`:
     * libraries and WebAssembly modules in this process, executables
     * (subprocess plugins) as processes; functions may return Promises.
     * `"none"`: every plugin in this process; executables are skipped.
     * @default "none"
     */
    isolation?: I;
  };

/** A loaded build: in this process, or in child processes. */
export type Handle = Plugin<"sync"> | Plugin<"async">;

/** Where a hosted plugin is in its life. */
export type HostedState = "lazy" | "loaded" | "failed" | "closed";

/** What an entry needs from its host. */
export interface HostContext {
  /** The host's declared interfaces. */
  readonly interfaces: readonly InterfaceSpec[];
  /** Passed through to openPlugin. */
  readonly loadOptions: HostLoadOptions;
  /** The host's log sink, handed to isolated plugins that have none of their own. */
  readonly sink: LogSink | undefined;
  /** Whether every call is logged. */
  readonly logCalls: boolean;
  /** Emit a record. */
  log(level: LogLevel, event: string, message: string, fields?: Partial<LogRecord>): void;
  /** Keep track of a replaced build being closed in the background. */
  retire(closing: Promise<unknown>): void;
  /** Whether the rollout rules enable a plugin name. */
  enabled(name: string): boolean;
}

/** What the checks before a load found. */
interface Checked {
  metadata: PluginMetadata;
  sha256: string;
  nodelete: boolean;
  kind: PluginKind;
  isolation: "none" | "process" | "worker";
}

interface Route {
  fns: Record<string, AnyFunction>;
  slots: Map<string, Slot>;
  /** The functions return Promises whatever their signatures say (another process). */
  async: boolean;
}

/** The calls running on one build, and who waits for them to return. */
interface BuildCalls {
  calls: number;
  drained: (() => void)[];
}

/** What {@linkcode PluginEntry.replace} did, with the error of a refused or failed build. */
export interface ReplaceOutcome {
  /** `reloaded` (a loaded plugin's new build serves), `updated` (a lazy one's file was re-checked), `refused`, `failed` or `unchanged`. */
  outcome: "reloaded" | "updated" | "refused" | "unchanged" | "failed";
  /** Why the new build was refused or failed. */
  error?: PluginError;
}

/**
 * Check a plugin file as the host takes it, without loading it: the one
 * pipeline's checks with the host's load options (registry, policy, verify
 * hook, permissions) and the host's interfaces, of which the plugin must
 * provide at least one, matching each it claims. Nothing of the file runs.
 *
 * @param path the plugin file
 * @param ctx the host
 * @returns the checked candidate
 * @throws {LoadError} with the code of the first check that failed
 */
export function precheck(path: string, ctx: HostContext): PluginCandidate {
  const result = examinePlugin(path, {
    ...ctx.loadOptions,
    interfaces: ctx.interfaces,
    interfaceRule: "any",
  });
  if (result.errors.length > 0) throw result.errors[0];
  const candidate = result.candidate!;
  if (candidate.kind === "executable" && (ctx.loadOptions.isolation ?? "none") === "none") {
    throw new PluginError(
      "USAGE",
      `Cannot host plugin ${
        JSON.stringify(path)
      } in this process: expected a library (.so) or a WebAssembly module, found an executable (a subprocess plugin)`,
      {
        path,
        hint:
          'create the host with loadOptions: { isolation: "auto" } (executables run as processes, libraries in this process) or { isolation: "process" }',
      },
    );
  }
  return candidate;
}

/** Where the host runs a plugin of this kind. */
function isolationOf(
  candidate: PluginCandidate,
  ctx: HostContext,
): "none" | "process" | "worker" {
  const isolation = ctx.loadOptions.isolation ?? "none";
  if (isolation === "auto") return candidate.kind === "executable" ? "process" : "none";
  if (isolation === "process" && candidate.kind === "wasm") return "worker";
  return isolation;
}

/** What the checks before a load found. */
function checkedOf(candidate: PluginCandidate, ctx: HostContext): Checked {
  const elf = formatOf(candidate).elf;
  return {
    metadata: candidate.metadata,
    sha256: candidate.file.sha256,
    // A build in child processes leaves nothing mapped here, whatever its flags.
    nodelete: elf !== undefined && isNodelete(elf) && isolationOf(candidate, ctx) === "none",
    kind: candidate.kind,
    isolation: isolationOf(candidate, ctx),
  };
}

/**
 * Check a plugin as the host takes it, then open it, so a plugin the host
 * would not take is refused before it is mapped.
 */
async function openChecked(
  path: string,
  ctx: HostContext,
  candidate: PluginCandidate = precheck(path, ctx),
): Promise<{ plugin: Handle; checked: Checked }> {
  const options = ctx.loadOptions;
  const isolation = isolationOf(candidate, ctx);
  const plugin = isolation !== "none"
    ? await openCandidate(
      candidate,
      {
        ...options as OpenIsolatedOptions,
        isolation,
        log: (options as OpenIsolatedOptions).log ?? ctx.sink,
      } as OpenIsolatedOptions | OpenWorkerOptions,
      path,
    )
    : await openCandidate(candidate, { ...options as OpenPluginOptions, isolation: "none" }, path);
  return { plugin, checked: checkedOf(candidate, ctx) };
}

/**
 * The functions of an interface of a build.
 *
 * @param handle the build
 * @param spec the interface
 * @returns its functions, by name
 */
function useHandle(handle: Handle, spec: InterfaceSpec): Record<string, AnyFunction> {
  return handle.use(spec) as unknown as Record<string, AnyFunction>;
}

/** A hosted plugin's state and machinery. */
export class PluginEntry {
  readonly path: string;
  realPath: string | undefined;
  stamp: string;
  metadata: PluginMetadata;
  sha256: string;
  nodelete: boolean;
  kind: PluginKind;
  isolation: "none" | "process" | "worker";
  state: HostedState;
  plugin: Handle | undefined;
  error: PluginError | undefined;
  generation = 0;
  #ctx: HostContext;
  #loading: Promise<Handle> | undefined;
  #routes = new Map<InterfaceSpec, Route>();
  #inflight = 0;
  #drained: (() => void)[] = [];
  #builds = new Map<Handle, BuildCalls>();
  #enabled: boolean;
  #op: Promise<unknown> = Promise.resolve();
  #closedWhy = "the plugin is closed";
  #hooks: RouteHooks;
  #announce: (() => void) | undefined;

  private constructor(c: Candidate, ctx: HostContext, checked: Checked, plugin?: Handle) {
    this.path = c.path;
    this.realPath = c.realPath;
    this.stamp = c.stamp;
    this.metadata = checked.metadata;
    this.sha256 = checked.sha256;
    this.nodelete = checked.nodelete;
    this.kind = checked.kind;
    this.isolation = checked.isolation;
    this.plugin = plugin;
    this.state = plugin ? "loaded" : "lazy";
    this.#ctx = ctx;
    this.#enabled = ctx.enabled(checked.metadata.name);
    this.#hooks = {
      track: (p) => this.#track(p),
      ...(ctx.logCalls
        ? { logCall: (fn: string, ms: number, err: unknown) => this.#logCall(fn, ms, err) }
        : {}),
    };
  }

  /**
   * Take a new candidate: check it (nothing of the file runs), then load it
   * now when the host is eager and the plugin's name is enabled, else leave
   * it to be loaded on first use (lazy mode, or disabled by configuration).
   *
   * @param c the file
   * @param ctx the host
   * @param eager whether the host loads plugins at discovery
   * @returns the entry
   * @throws {PluginError} when a check, the load or the init fails
   */
  static async take(c: Candidate, ctx: HostContext, eager: boolean): Promise<PluginEntry> {
    const t0 = performance.now();
    const candidate = precheck(c.path, ctx);
    if (!eager || !ctx.enabled(candidate.metadata.name)) {
      const entry = new PluginEntry(c, ctx, checkedOf(candidate, ctx));
      entry.#announce = () => entry.#logDeferred();
      return entry;
    }
    const { plugin, checked } = await openChecked(c.path, ctx, candidate);
    const entry = new PluginEntry(c, ctx, checked, plugin);
    const ms = performance.now() - t0;
    entry.#announce = () => entry.#logLoad(ms, "eager");
    return entry;
  }

  /** Log the load (or, lazy, the check) of a new entry, once the host has it. */
  announce(): void {
    const announce = this.#announce;
    this.#announce = undefined;
    announce?.();
  }

  /** The record fields that identify the current build. */
  fields(): Partial<LogRecord> {
    return {
      plugin: this.metadata.name,
      version: this.metadata.version,
      path: this.path,
      buildId: this.metadata.buildId || undefined,
      sha256: this.sha256.slice(0, 12),
    };
  }

  /** Whether the rollout rules enable the plugin's name. */
  get enabled(): boolean {
    return this.#enabled;
  }

  /**
   * Follow the rollout rules after they changed: a plugin disabled now
   * makes every function it handed out fail with `DISABLED` (calls already
   * running finish); one enabled again routes them to its current build.
   *
   * @returns whether the plugin is enabled now
   */
  applyRollout(): boolean {
    const enabled = this.#ctx.enabled(this.metadata.name);
    if (enabled === this.#enabled) return enabled;
    this.#enabled = enabled;
    if (this.state === "closed") return enabled;
    for (const [spec, route] of this.#routes) {
      // A route exists only once the plugin was loaded; a reload keeps it loaded.
      const current = enabled && this.plugin ? useHandle(this.plugin, spec) : undefined;
      for (const [name, slot] of route.slots) {
        slot.fn = current ? current[name] : this.#disabledFunction(spec, name, route.async);
      }
    }
    return enabled;
  }

  /**
   * Whether the plugin provides an interface.
   *
   * @param ref the interface
   * @returns whether it does
   */
  provides(ref: InterfaceRef): boolean {
    return provides(this.metadata, ref);
  }

  /**
   * Open the plugin if it is lazy; concurrent callers share one load.
   *
   * @returns the current handle
   */
  ensureLoaded(): Promise<Handle> {
    if (this.state !== "closed" && !this.#enabled) {
      return Promise.reject(disabledError(this.metadata.name, this.path));
    }
    if (this.state === "loaded") return Promise.resolve(this.plugin!);
    if (this.state === "failed") return Promise.reject(this.error);
    if (this.state === "closed") return Promise.reject(this.#closedError("load"));
    this.#loading ??= this.#serial(() => this.#lazyOpen()).finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  /**
   * The routed functions of an interface, opening the plugin first if needed.
   *
   * @param spec the interface
   * @returns functions that always call the current build
   */
  async use<const F extends SignatureRecord>(spec: InterfaceSpec<F>): Promise<FunctionsOf<F>> {
    if (this.state !== "closed" && !this.#enabled) {
      throw disabledError(this.metadata.name, this.path);
    }
    const route = this.#routes.get(spec);
    if (route && this.state === "loaded") return route.fns as FunctionsOf<F>;
    if (this.state !== "closed") checkInterface(this.metadata, spec, this.path);
    await this.ensureLoaded();
    return this.#bind(spec);
  }

  /**
   * The routed functions of an interface of a loaded plugin, synchronously.
   *
   * @param spec the interface
   * @returns functions that always call the current build
   */
  useLoaded<const F extends SignatureRecord>(spec: InterfaceSpec<F>): FunctionsOf<F> {
    if (this.state !== "closed" && !this.#enabled) {
      throw disabledError(this.metadata.name, this.path);
    }
    if (this.state !== "loaded") {
      if (this.state === "failed") throw this.error;
      if (this.state === "closed") throw this.#closedError("use");
      throw new PluginError(
        "USAGE",
        `Plugin ${JSON.stringify(this.path)} is not loaded yet: it is lazy`,
        { path: this.path, hint: "await hosted.use(spec), which loads it on first use" },
      );
    }
    return this.#bind(spec);
  }

  /**
   * Take a changed file: reload a loaded plugin (new calls go to the new
   * build once it passed every check and its init; the old one finishes its
   * calls, then closes), or re-check a lazy or failed one.
   *
   * @param c the file as scanned now
   * @returns what happened
   */
  replace(c: Candidate): Promise<ReplaceOutcome> {
    return this.#serial(async () => {
      if (this.state === "closed") return { outcome: "unchanged" };
      this.stamp = c.stamp;
      this.realPath = c.realPath;
      if (this.state !== "loaded") return this.#recheck();
      return await this.#reload();
    });
  }

  /**
   * Stop routing calls to the plugin: every function handed out throws
   * `CLOSED` from now on. Calls already running go on.
   *
   * @param why the reason, for the error message
   */
  seal(why: string): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.#closedWhy = why;
    for (const [spec, route] of this.#routes) {
      for (const [name, slot] of route.slots) {
        slot.fn = closedFunction(spec.signatures.get(name)!, this.path, why);
      }
    }
  }

  /**
   * Wait until no promise-returning call routed through the entry is running.
   *
   * @returns when drained
   */
  drain(): Promise<void> {
    if (this.#inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  /**
   * Close the current handle (after any pending load or reload): the loader
   * waits for its in-flight calls, runs the shutdown hook and unloads.
   *
   * @param reason why, for the record
   * @returns the loader's result, or undefined when nothing was loaded
   */
  closeHandle(reason: string): Promise<CloseResult | undefined> {
    return this.#serial(async () => {
      const plugin = this.plugin;
      if (!plugin) return undefined;
      this.plugin = undefined;
      return await this.#closePlugin(plugin, reason);
    });
  }

  #label(): string {
    return `${this.metadata.name} ${this.metadata.version}`;
  }

  /** Read through a method: the state changes across awaits. */
  #isClosed(): boolean {
    return this.state === "closed";
  }

  #closedError(what: string): CallError {
    return new CallError("CLOSED", this.path, what, this.#closedWhy, {
      hint: "ask the host for the plugin again",
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#op.then(fn, fn);
    this.#op = run.catch(() => {});
    return run;
  }

  async #lazyOpen(): Promise<Handle> {
    if (this.state === "loaded") return this.plugin!;
    if (this.state === "closed") throw this.#closedError("load");
    const t0 = performance.now();
    let opened: { plugin: Handle; checked: Checked };
    try {
      opened = await openChecked(this.path, this.#ctx);
    } catch (e) {
      const err = asPluginError(e, this.path);
      if (!this.#isClosed()) {
        this.state = "failed";
        this.error = err;
      }
      this.#ctx.log("warn", "skip", skipMessage(err, this.path), {
        ...this.fields(),
        code: err.code,
        hint: err.hint,
      });
      throw err;
    }
    if (this.#isClosed()) {
      await opened.plugin.close();
      throw this.#closedError("load");
    }
    this.#adopt(opened.plugin, opened.checked);
    this.state = "loaded";
    this.#logLoad(performance.now() - t0, "lazy");
    return opened.plugin;
  }

  #adopt(plugin: Handle, checked: Checked): void {
    this.plugin = plugin;
    this.metadata = plugin.metadata;
    this.sha256 = plugin.sha256;
    this.nodelete = checked.nodelete;
    this.kind = checked.kind;
    this.isolation = checked.isolation;
    this.error = undefined;
  }

  #logDeferred(): void {
    if (this.#enabled) {
      this.#ctx.log(
        "debug",
        "defer",
        `checked ${this.#label()}; it loads on first use`,
        this.fields(),
      );
    } else {
      this.#ctx.log(
        "info",
        "rollout",
        `${this.#label()} is disabled by configuration: checked, not loaded`,
        this.fields(),
      );
    }
  }

  #logLoad(durationMs: number, how: "eager" | "lazy"): void {
    const fields = {
      ...this.fields(),
      durationMs,
      mode: how,
      interfaces: this.metadata.interfaces.map((i) => `${i.id}/${formatVersionPair(i.version)}`),
      ...(this.nodelete ? { nodelete: true } : {}),
    };
    const note = this.nodelete
      ? " (linked with -z nodelete: it can never be unloaded, and each reload leaves the old build mapped)"
      : "";
    this.#ctx.log(
      this.nodelete ? "warn" : "info",
      "load",
      `loaded ${this.#label()}${note}`,
      fields,
    );
    const shared = this.plugin?.shared ?? false;
    if (this.metadata.hooks.init && !shared) {
      this.#ctx.log("info", "init", `init hook of ${this.#label()} returned 0`, this.fields());
    }
  }

  #bind<F extends SignatureRecord>(spec: InterfaceSpec<F>): FunctionsOf<F> {
    const existing = this.#routes.get(spec);
    if (existing) return existing.fns as FunctionsOf<F>;
    const current = useHandle(this.plugin!, spec);
    const async = this.plugin!.calls === "async";
    const fns: Record<string, AnyFunction> = {};
    const slots = new Map<string, Slot>();
    for (const [name, sig] of spec.signatures) {
      // Disabled while its load was awaited: the functions refuse until it is enabled.
      const slot: Slot = {
        fn: this.#enabled ? current[name] : this.#disabledFunction(spec, name, async),
      };
      slots.set(name, slot);
      fns[name] = routeFunction(sig, slot, this.#hooks, { async });
    }
    const route: Route = { fns: Object.freeze(fns), slots, async };
    this.#routes.set(spec, route);
    return route.fns as FunctionsOf<F>;
  }

  #disabledFunction(spec: InterfaceSpec, name: string, async: boolean): AnyFunction {
    return failingFunction(
      spec.signatures.get(name)!,
      () => disabledCallError(this.metadata.name, this.path, name),
      { async },
    );
  }

  /**
   * Count a call until it settles, for the entry and for the build it went
   * to: a routed function calls `track` in the same turn as the slot's
   * function, and a reload switches the slots and the current build in one
   * turn, so the current build is the one that took the call.
   */
  #track(p: Promise<unknown>): Promise<unknown> {
    this.#inflight++;
    const build = this.plugin;
    let calls: BuildCalls | undefined;
    if (build) {
      calls = this.#builds.get(build);
      if (!calls) this.#builds.set(build, calls = { calls: 0, drained: [] });
      calls.calls++;
    }
    return p.finally(() => {
      if (build && calls && --calls.calls === 0) {
        this.#builds.delete(build);
        for (const w of calls.drained) w();
      }
      if (--this.#inflight === 0) {
        const waiters = this.#drained;
        this.#drained = [];
        for (const w of waiters) w();
      }
    });
  }

  #logCall(fn: string, durationMs: number, error: unknown): void {
    const err = error === undefined ? undefined : asPluginError(error, this.path);
    this.#ctx.log(
      err ? "warn" : "info",
      "call",
      err ? `${fn}() of ${this.#label()} failed: ${err.summary}` : `${fn}() of ${this.#label()}`,
      { ...this.fields(), function: fn, durationMs, ...(err ? { code: err.code } : {}) },
    );
  }

  /** A lazy or failed entry's file changed: check it again, nothing is loaded. */
  #recheck(): ReplaceOutcome {
    let checked: Checked;
    try {
      checked = checkedOf(precheck(this.path, this.#ctx), this.#ctx);
    } catch (e) {
      const err = asPluginError(e, this.path);
      this.state = "failed";
      this.error = err;
      this.#ctx.log("warn", "skip", skipMessage(err, this.path), {
        path: this.path,
        code: err.code,
        hint: err.hint,
      });
      return { outcome: "failed", error: err };
    }
    const same = checked.sha256 === this.sha256 && this.state === "lazy";
    this.metadata = checked.metadata;
    this.sha256 = checked.sha256;
    this.nodelete = checked.nodelete;
    this.kind = checked.kind;
    this.isolation = checked.isolation;
    this.state = "lazy";
    this.error = undefined;
    this.applyRollout();
    if (same) return { outcome: "unchanged" };
    this.#ctx.log(
      "info",
      "reload",
      `checked the new build of ${this.#label()}; it loads on first use`,
      this.fields(),
    );
    return { outcome: "updated" };
  }

  async #reload(): Promise<ReplaceOutcome> {
    const old = this.plugin!;
    const t0 = performance.now();
    const refuse = (e: unknown): ReplaceOutcome => {
      const err = asPluginError(e, this.path);
      const result: ReplaceOutcome = { outcome: "refused", error: err };
      this.#ctx.log(
        "error",
        "reload",
        `refused the new build of ${
          JSON.stringify(this.path)
        }; ${this.#label()} keeps serving: ${err.summary}`,
        { ...this.fields(), code: err.code, hint: err.hint },
      );
      return result;
    };
    let sha: string;
    try {
      sha = readFile(this.path, {
        allowInsecurePermissions: this.#ctx.loadOptions.allowInsecurePermissions,
      }).sha256;
    } catch (e) {
      return refuse(e);
    }
    if (sha === old.sha256) return { outcome: "unchanged" };
    if (this.nodelete && this.#ctx.loadOptions.load === "path") {
      return refuse(
        new LoadError("ALREADY_OPEN", {
          path: this.path,
          what: "the loaded build is linked with -z nodelete and loaded by path",
          expected: "a build that can be unloaded, or memfd loading",
          found: "DF_1_NODELETE: glibc would hand back the old code for the same path",
          hint:
            'load with { load: "memfd" } (the default), or restart the host to pick up the new build',
        }),
      );
    }
    let next: { plugin: Handle; checked: Checked };
    try {
      next = await openChecked(this.path, this.#ctx);
    } catch (e) {
      return refuse(e);
    }
    if (next.plugin.sha256 === old.sha256) {
      await next.plugin.close();
      return { outcome: "unchanged" };
    }
    const bound = new Map<Route, Record<string, AnyFunction>>();
    try {
      for (const [spec, route] of this.#routes) {
        bound.set(route, useHandle(next.plugin, spec));
      }
    } catch (e) {
      await next.plugin.close();
      return refuse(e);
    }
    if (this.#isClosed()) {
      await next.plugin.close();
      return { outcome: "unchanged" };
    }
    // The switch: from here on every routed call goes to the new build
    // (unless the plugin is disabled: its functions keep refusing).
    if (this.#enabled) {
      for (const [route, fns] of bound) {
        for (const [name, slot] of route.slots) slot.fn = fns[name];
      }
    }
    const from = `${this.#label()}${
      this.metadata.buildId ? ` (build ${this.metadata.buildId})` : ""
    }`;
    const oldSha = this.sha256.slice(0, 12);
    this.#adopt(next.plugin, next.checked);
    this.generation++;
    this.#ctx.log(
      "info",
      "reload",
      `reloaded ${JSON.stringify(this.path)}: ${from} -> ${this.#label()}${
        this.metadata.buildId ? ` (build ${this.metadata.buildId})` : ""
      }`,
      {
        ...this.fields(),
        durationMs: performance.now() - t0,
        previousSha256: oldSha,
        generation: this.generation,
      },
    );
    // Calls still running on the old build finish there before it closes:
    // an isolated build's close would kill a call that outlives its grace period.
    this.#ctx.retire(
      this.#buildDrained(old).then(() => this.#closePlugin(old, "replaced by a new build")),
    );
    this.applyRollout();
    return { outcome: "reloaded" };
  }

  /** Resolves once no tracked call is running on a build. */
  #buildDrained(build: Handle): Promise<void> {
    const calls = this.#builds.get(build);
    if (!calls) return Promise.resolve();
    return new Promise((resolve) => calls.drained.push(resolve));
  }

  async #closePlugin(plugin: Handle, reason: string): Promise<CloseResult> {
    const meta = plugin.metadata;
    const fields = {
      plugin: meta.name,
      version: meta.version,
      path: this.path,
      buildId: meta.buildId || undefined,
      sha256: plugin.sha256.slice(0, 12),
    };
    const t0 = performance.now();
    let result: CloseResult;
    try {
      // An isolated build's close() stops its children: nothing stays in this process.
      result = (await plugin.close()) ?? { unloaded: true };
    } catch (e) {
      const err = asPluginError(e, this.path);
      this.#ctx.log(
        "error",
        "close",
        `closing ${meta.name} ${meta.version} failed: ${err.summary}`,
        {
          ...fields,
          code: err.code,
        },
      );
      return { unloaded: false, reason: err.summary };
    }
    this.#ctx.log(
      result.unloaded ? "info" : "warn",
      "close",
      result.unloaded
        ? `closed ${meta.name} ${meta.version} (${reason}, ${
          plugin.calls === "sync" ? "unloaded" : "child processes stopped"
        })`
        : `closed ${meta.name} ${meta.version} (${reason}), still mapped: ${result.reason}`,
      {
        ...fields,
        durationMs: performance.now() - t0,
        unloaded: result.unloaded,
        reason: result.reason ?? reason,
      },
    );
    return result;
  }
}
