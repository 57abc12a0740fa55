/**
 * `PluginHost`: finds plugins in search paths, loads those it can (eagerly
 * or on first use), skips the others with a log record saying which file and
 * why, hands out plugins by interface, reloads rebuilt files while calls go
 * on, and closes everything in reverse order.
 *
 * Search paths come from code (`paths`), from `PLUGBOARD_PATH`
 * (colon-separated) and from CLI flags (which the CLI passes as `paths`). A
 * directory contributes its `*.so` files; other files are ignored. Plugins
 * are taken in a deterministic order: by file name, then by path. Every
 * load goes through {@linkcode openPlugin} with the host's `loadOptions`
 * (load mode, verify hook, and whatever else openPlugin accepts), and the
 * host's own check, that the plugin provides one of the host's
 * `interfaces`, runs in the verify step, so a plugin the host would not
 * take is never mapped.
 *
 * @example Hosting every calculator operation of a directory
 * ```ts ignore
 * import { defineInterface } from "@plugboard/plugboard";
 * import { PluginHost, prettySink } from "@plugboard/plugboard/host";
 *
 * const CalcOp = defineInterface("calc.op", "1.0", {
 *   name: "cstring name()",
 *   apply: "fallible f64 apply(f64 a, f64 b)",
 * });
 * await using host = new PluginHost({
 *   paths: ["build"],
 *   interfaces: [CalcOp],
 *   log: prettySink((line) => console.error(line)),
 * });
 * const summary = await host.discover();
 * console.log(summary.loaded, "loaded,", summary.skipped.length, "skipped");
 * for (const p of host.plugins("calc.op/1")) {
 *   const op = await p.use(CalcOp);
 *   console.log(`6 ${op.name()} 3 = ${op.apply(6, 3)}`);
 * }
 * ```
 *
 * @module
 */

import type { InterfaceSpec } from "../abi/define_interface.ts";
import { CallError, type ErrorCode, LoadError, PluginError } from "../errors/plugin_error.ts";
import { type LogLevel, type LogRecord, logRecord, type LogSink } from "../log/log_record.ts";
import { type Candidate, scan, searchPaths } from "./discover.ts";
import {
  asPluginError,
  type HostContext,
  type HostIsolation,
  type HostLoadOptions,
  PluginEntry,
  skipMessage,
} from "./_entry.ts";
import { isForOtherInterfaces } from "../check/check_plugin.ts";
import { parseSemVer, type SemVer } from "../abi/semver.ts";
import type { PluginMetadata } from "../abi/read_metadata.ts";
import { interfaceRef } from "./_select.ts";
import {
  admits,
  type CheckedRule,
  checkRule,
  disabledError,
  parsePluginSpec,
  pick,
  type PluginSpec,
  type Rollout,
  type RolloutRule,
  RoundRobin,
} from "./_rollout.ts";
import { HostedPlugin } from "./hosted_plugin.ts";
import { HostWatcher, type WatchOptions } from "./host_watcher.ts";

export type { HostLoadOptions, Rollout, RolloutRule };

/** When a host loads its plugins. */
export type HostMode = "eager" | "lazy";

/** Options of {@linkcode PluginHost}; `I` follows `loadOptions.isolation`. */
export interface PluginHostOptions<I extends HostIsolation = "none"> {
  /**
   * Search paths given in code: directories (their `*.so` files are
   * candidates) or plugin files.
   * @default []
   */
  paths?: readonly string[];
  /**
   * Also search the paths of the `PLUGBOARD_PATH` environment variable
   * (colon-separated), after `paths`.
   * @default true
   */
  env?: boolean;
  /**
   * `"eager"`: load every plugin at discovery, running init hooks in
   * discovery order. `"lazy"`: check each file at discovery without running
   * it, load it on first use.
   * @default "eager"
   */
  mode?: HostMode;
  /**
   * The interfaces the host works with. When given, a plugin must provide at
   * least one of them, and each it claims must match (version, then
   * signatures), or it is skipped before it is loaded.
   * @default [] (every valid plugin is taken)
   */
  interfaces?: readonly InterfaceSpec[];
  /**
   * Where log records go (load, skip, init, reload, close, and calls with
   * `logCalls`). Use `jsonLinesSink` or `prettySink`.
   * @default records are dropped
   */
  log?: LogSink;
  /**
   * Log every call made through the host's functions, with its duration.
   * Costs a timer read and a record per call.
   * @default false
   */
  logCalls?: boolean;
  /**
   * Passed to {@linkcode openPlugin} for every load and reload: `load`
   * mode, `verify` hook (runs before the host's interface check),
   * `registry` and `policy`, and any other option openPlugin takes. With
   * `isolation: "process"` every plugin runs in child processes (and the
   * options of openIsolatedPlugin apply; its `log` defaults to the host's).
   * @default {}
   */
  loadOptions?: HostLoadOptions<I>;
  /**
   * Feature flags and A/B rollout by plugin name: `{ enabled: false }`
   * disables a plugin without removing its file (it is not loaded, and asking
   * for it throws `DISABLED`); `weights` shares
   * {@linkcode PluginHost.select} between versions by semver range.
   * {@linkcode PluginHost.setRollout} changes a rule at run time.
   * @default {} (every plugin enabled; selection picks the highest version)
   */
  rollout?: Rollout;
}

/** Options of {@linkcode PluginHost.select}. */
export interface SelectOptions {
  /**
   * Who the selection is for (a user id, a tenant, a request's session):
   * with rollout weights, the same key always gets the same version while
   * the rule and the hosted versions stay the same.
   * @default undefined (unkeyed selections take the weighted ranges in smooth round robin)
   */
  key?: string;
}

/** A file the host did not load, and why. */
export interface SkippedPlugin {
  /** The file. */
  path: string;
  /** The error code of the check that failed. */
  code: ErrorCode;
  /** The error's summary line. */
  message: string;
  /** How to fix it, when known. */
  hint?: string;
  /** True when the file is a valid plugin that provides none of the host's interfaces. */
  forOtherInterfaces?: boolean;
}

/** What {@linkcode PluginHost.discover} found. */
export interface DiscoverySummary {
  /** The search paths, in the order given. */
  paths: string[];
  /** Search paths that do not exist. */
  missing: string[];
  /** Candidate files found. */
  found: number;
  /** Plugins loaded. */
  loaded: number;
  /** Plugins checked and waiting for their first use (lazy mode). */
  deferred: number;
  /** Plugins disabled by the rollout rules (counted neither as loaded nor as deferred). */
  disabled: number;
  /** Files that could not be loaded, in discovery order. */
  skipped: SkippedPlugin[];
}

/** What {@linkcode PluginHost.refresh} changed. */
export interface RefreshSummary {
  /** Files taken for the first time. */
  added: string[];
  /** Files whose new build now serves (or, lazy, will serve on first use). */
  reloaded: string[];
  /** Files gone from the search paths; their plugins were closed. */
  removed: string[];
  /** New builds refused; the previous build keeps serving. */
  refused: SkippedPlugin[];
  /** New or changed files that could not be loaded. */
  skipped: SkippedPlugin[];
}

/** What {@linkcode PluginHost.close} did. */
export interface HostCloseResult {
  /** Plugins closed. */
  closed: number;
  /** Plugins whose library stayed mapped, with the loader's reason. */
  kept: { path: string; reason: string }[];
}

type Slot =
  | { kind: "hosted"; entry: PluginEntry; plugin: HostedPlugin<HostIsolation>; name: string }
  | { kind: "skipped"; stamp: string; skip: SkippedPlugin; name: string };

/**
 * A set of plugins found in search paths. See the module documentation.
 *
 * @example A lazy host over PLUGBOARD_PATH
 * ```ts ignore
 * import { PluginHost } from "@plugboard/plugboard/host";
 *
 * await using host = new PluginHost({ mode: "lazy" }); // PLUGBOARD_PATH=build:plugins
 * const summary = await host.discover(); // checks every file; nothing runs yet
 * const [greeter] = host.plugins("greeter/1");
 * const { greet } = await greeter.use(Greeter); // loads and inits it now
 * console.log(greet("Ada"));
 * ```
 */
export class PluginHost<I extends HostIsolation = "none"> implements Disposable, AsyncDisposable {
  #paths: string[];
  #mode: HostMode;
  #ctx: HostContext;
  #slots = new Map<string, Slot>();
  #missing = new Set<string>();
  #queue: Promise<unknown> = Promise.resolve();
  #retiring = new Set<Promise<unknown>>();
  #watchers = new Set<HostWatcher>();
  #closing: Promise<HostCloseResult> | undefined;
  #order: Slot[] | undefined;
  #specs = new Map<string, PluginSpec>();
  #rules = new Map<string, CheckedRule>();
  #roundRobins = new Map<string, RoundRobin>();

  /**
   * Make a host; nothing is read until {@linkcode PluginHost.discover}.
   *
   * @param options search paths, mode, interfaces, log, load options and rollout rules
   * @throws {PluginError} `PERMISSION_DENIED` when `PLUGBOARD_PATH` cannot be read
   * @throws {PluginError} `USAGE` when a rollout rule is malformed
   */
  constructor(options: PluginHostOptions<I> = {}) {
    for (const [name, rule] of Object.entries(options.rollout ?? {})) {
      this.#rules.set(name, checkRule(name, rule));
    }
    this.#paths = searchPaths(options.paths ?? [], options.env ?? true);
    this.#mode = options.mode ?? "eager";
    const sink = options.log;
    const interfaces = Object.freeze([...(options.interfaces ?? [])]);
    this.#ctx = {
      interfaces,
      loadOptions: { ...(options.loadOptions ?? {}) } as HostLoadOptions,
      sink,
      logCalls: options.logCalls ?? false,
      log: sink
        ? (level: LogLevel, event: string, message: string, fields: Partial<LogRecord> = {}) => {
          try {
            sink(logRecord(level, event, message, dropUndefined(fields)));
          } catch {
            // A failing sink must not break the host.
          }
        }
        : () => {},
      retire: (closing: Promise<unknown>) => {
        const p = closing.catch(() => {}).finally(() => this.#retiring.delete(p));
        this.#retiring.add(p);
      },
      enabled: (name: string) => this.#rules.get(name)?.enabled ?? true,
    };
  }

  /** The search paths: those given in code, then those of `PLUGBOARD_PATH`. */
  get paths(): readonly string[] {
    return this.#paths;
  }

  /** `"eager"` or `"lazy"`. */
  get mode(): HostMode {
    return this.#mode;
  }

  /**
   * Scan the search paths and take every plugin found: load it (eager) or
   * check it (lazy). A file that cannot be taken is skipped with a `skip`
   * record and never stops the others. Calling it again rescans, like
   * {@linkcode PluginHost.refresh}.
   *
   * @example Listing what was skipped
   * ```ts ignore
   * const host = new PluginHost({ paths: ["build"], env: false });
   * const { found, loaded, skipped } = await host.discover();
   * for (const s of skipped) console.log(s.path, s.code, s.message);
   * await host.close();
   * ```
   *
   * @returns how many files were found, loaded, deferred and skipped
   * @throws {CallError} `CLOSED` when the host is closed
   */
  async discover(): Promise<DiscoverySummary> {
    this.#assertOpen("discover");
    await this.#enqueue(() => this.#sync());
    const entries = this.#ordered();
    const skipped: SkippedPlugin[] = [];
    let loaded = 0;
    let deferred = 0;
    let disabled = 0;
    for (const slot of entries) {
      if (slot.kind === "skipped") skipped.push(slot.skip);
      else if (!slot.entry.enabled && slot.entry.state !== "closed") disabled++;
      else if (slot.entry.state === "loaded") loaded++;
      else if (slot.entry.state === "lazy") deferred++;
      else if (slot.entry.state === "failed" && slot.entry.error) {
        skipped.push(skipOf(slot.entry.error, slot.entry.path));
      }
    }
    const summary: DiscoverySummary = {
      paths: [...this.#paths],
      missing: [...this.#missing],
      found: entries.length,
      loaded,
      deferred,
      disabled,
      skipped,
    };
    const parts = [`${loaded} loaded`];
    if (this.#mode === "lazy") parts.push(`${deferred} deferred to first use`);
    if (disabled > 0) parts.push(`${disabled} disabled by configuration`);
    const others = skipped.filter((s) => s.forOtherInterfaces).length;
    parts.push(`${skipped.length} skipped${others ? ` (${others} for other interfaces)` : ""}`);
    this.#ctx.log(
      "info",
      "discover",
      `found ${summary.found} plugin file${
        summary.found === 1 ? "" : "s"
      } in ${this.#paths.length} search path${this.#paths.length === 1 ? "" : "s"}: ${
        parts.join(", ")
      }`,
      { found: summary.found, loaded, deferred, disabled, skipped: skipped.length },
    );
    return summary;
  }

  /**
   * Rescan the search paths and apply what changed: load added files, reload
   * replaced ones (the new build must pass every check and its init, else it
   * is refused and the old one keeps serving), close removed ones. The
   * watcher calls this after a quiet period.
   *
   * @example Applying changes by hand
   * ```ts ignore
   * const { added, reloaded, removed, refused } = await host.refresh();
   * ```
   *
   * @returns what changed
   * @throws {CallError} `CLOSED` when the host is closed
   */
  async refresh(): Promise<RefreshSummary> {
    this.#assertOpen("refresh");
    return await this.#enqueue(() => this.#sync());
  }

  /**
   * The hosted plugins, in discovery order: all of them, or those that
   * provide an interface. Failed and closed ones are left out, and so are
   * those the rollout rules disable.
   *
   * @example Plugins of one interface
   * ```ts ignore
   * for (const p of host.plugins("calc.op/1")) console.log(p.name, p.version, p.path);
   * ```
   *
   * @param ref `"id/MAJOR"`, `"id/MAJOR.MINOR"`, or an interface spec (signatures checked too)
   * @returns the plugins
   * @throws {PluginError} `USAGE` when the reference has no version
   */
  plugins(ref?: string | InterfaceSpec): HostedPlugin<I>[] {
    const want = ref === undefined ? undefined : interfaceRef(ref);
    const out: HostedPlugin<I>[] = [];
    for (const slot of this.#ordered()) {
      if (slot.kind !== "hosted") continue;
      const state = slot.entry.state;
      if (state !== "loaded" && state !== "lazy") continue;
      if (!slot.entry.enabled) continue;
      if (want && !slot.entry.provides(want)) continue;
      out.push(slot.plugin as HostedPlugin<I>);
    }
    return out;
  }

  /**
   * One hosted plugin by name and semver range (`"greeter@^0.2"`, or
   * `"greeter"` for any release), following the rollout rules: a disabled
   * name throws `DISABLED`; with `weights`, a weighted range is picked among
   * those that admit a hosted version in the asked range (by the hash of
   * `key`, or without one in smooth round robin), then the highest version
   * in it; without weights, the highest version in the range. Versions of
   * the same name in different files are told apart by their metadata
   * version; two files with the same version go by discovery order. Lazy
   * plugins are returned unloaded: `use()` loads them.
   *
   * @example Two versions side by side, picked by range
   * ```ts ignore
   * const v1 = await host.select("greeter@^0.1").use(Greeter);
   * const v2 = await host.select("greeter@^0.2").use(Greeter);
   * console.log(v1.greet("Ada"), v2.greet("Ada")); // Hello, Ada  Hi, Ada!
   * ```
   *
   * @example Ten percent of users on the new version, each user always on the same one
   * ```ts ignore
   * const host = new PluginHost({
   *   paths: ["plugins"],
   *   rollout: { greeter: { weights: { "^0.1": 90, "^0.2": 10 } } },
   * });
   * await host.discover();
   * const plugin = host.select("greeter", { key: user.id });
   * const { greet } = await plugin.use(Greeter);
   * ```
   *
   * @param spec `NAME@RANGE` or `NAME`
   * @param options the caller's key, for sticky weighted selection
   * @returns the plugin picked
   * @throws {PluginError} `USAGE` when the spec is malformed; `DISABLED`
   *   when the rules disable the name; `NOT_FOUND` when no plugin has the
   *   name; `VERSION_MISMATCH` when none of its versions is in the range
   * @throws {CallError} `CLOSED` when the host is closed
   */
  select(spec: string, options: SelectOptions = {}): HostedPlugin<I> {
    this.#assertOpen("select");
    let parsed = this.#specs.get(spec);
    if (!parsed) {
      parsed = parsePluginSpec(spec);
      // Specs are mostly literals; a program that builds them from data must not grow this forever.
      if (this.#specs.size >= 256) this.#specs.clear();
      this.#specs.set(spec, parsed);
    }
    const { name, rangeText, range } = parsed;
    const rule = this.#rules.get(name);
    if (rule && !rule.enabled) throw disabledError(name);
    const named: HostedPlugin<I>[] = [];
    const choices = [];
    for (const slot of this.#ordered()) {
      if (slot.kind !== "hosted" || slot.entry.metadata.name !== name) continue;
      const state = slot.entry.state;
      if (state !== "loaded" && state !== "lazy") continue;
      named.push(slot.plugin as HostedPlugin<I>);
      const version = semverOf(slot.entry.metadata);
      if (version && admits(range, version)) {
        choices.push({ item: slot.plugin as HostedPlugin<I>, version });
      }
    }
    if (named.length === 0) {
      throw new PluginError(
        "NOT_FOUND",
        `Cannot select plugin ${JSON.stringify(spec)}: expected a hosted plugin named ${
          JSON.stringify(name)
        }, found none`,
        {
          hint:
            "check the name (the one PLUGBOARD_PLUGIN declares) and the host's search paths; discover() must have run",
        },
      );
    }
    if (choices.length === 0) {
      throw new PluginError(
        "VERSION_MISMATCH",
        `Cannot select plugin ${JSON.stringify(spec)}: expected a version in ${rangeText}, found ${
          named.map((p) => p.version).join(", ")
        }`,
        { hint: `ask for a range one of them is in, or add a build of ${name} in ${rangeText}` },
      );
    }
    let rr = this.#roundRobins.get(name);
    if (!rr) this.#roundRobins.set(name, rr = new RoundRobin());
    return pick(name, choices, rule, options.key, rr);
  }

  /** The rollout rules in force, by plugin name. */
  get rollout(): Rollout {
    return Object.freeze(Object.fromEntries([...this.#rules].map(([n, r]) => [n, r.rule])));
  }

  /**
   * Replace the rollout rule of a plugin name at run time, or remove it
   * (`undefined`: enabled, highest version). Disabling takes effect at once:
   * every function the plugin handed out fails with `DISABLED` (calls already
   * running finish), and it stays loaded, so enabling it again is immediate.
   * A plugin disabled before it was loaded loads on its first `use()` once
   * enabled. New weights restart the round robin of unkeyed selections.
   *
   * @example Turning a plugin off and on
   * ```ts ignore
   * host.setRollout("greeter", { enabled: false }); // greet() now throws DISABLED
   * host.setRollout("greeter", undefined); // enabled again
   * ```
   *
   * @example Moving a quarter of users to 0.2
   * ```ts ignore
   * host.setRollout("greeter", { weights: { "^0.1": 75, "^0.2": 25 } });
   * ```
   *
   * @param name the plugin name (its metadata name)
   * @param rule the new rule, or `undefined` to remove it
   * @throws {PluginError} `USAGE` when the rule is malformed
   * @throws {CallError} `CLOSED` when the host is closed
   */
  setRollout(name: string, rule: RolloutRule | undefined): void {
    this.#assertOpen("setRollout");
    const checked = rule === undefined ? undefined : checkRule(name, rule);
    if (checked) this.#rules.set(name, checked);
    else this.#rules.delete(name);
    this.#roundRobins.delete(name);
    for (const slot of this.#slots.values()) {
      if (slot.kind === "hosted" && slot.entry.metadata.name === name) slot.entry.applyRollout();
    }
    const enabled = checked?.enabled ?? true;
    const weights = checked?.weights?.map((w) => `${w.text} ${w.weight}`).join(", ");
    this.#ctx.log(
      "info",
      "rollout",
      `${name}: ${enabled ? "enabled" : "disabled by configuration"}${
        weights ? `, weights ${weights}` : ""
      }`,
      { plugin: name },
    );
  }

  /**
   * Watch the search directories and refresh after each burst of changes:
   * added plugin files are loaded, replaced ones reloaded, removed ones
   * closed. Search paths that do not exist are not watched.
   *
   * @example Reloading on changes
   * ```ts ignore
   * await using watcher = host.watch({ debounceMs: 50 });
   * // rebuild a plugin into the directory; new calls go to the new build
   * ```
   *
   * @param options the quiet period
   * @returns the watcher; closing the host closes it too
   * @throws {CallError} `CLOSED` when the host is closed
   */
  watch(options: WatchOptions = {}): HostWatcher {
    this.#assertOpen("watch");
    const dirs = new Set<string>();
    for (const p of this.#paths) {
      try {
        const st = Deno.statSync(p);
        dirs.add(st.isDirectory ? p : parentOf(p));
      } catch {
        this.#ctx.log("warn", "watch", `not watching ${JSON.stringify(p)}: it does not exist`, {
          path: p,
          code: "NOT_FOUND",
        });
      }
    }
    const watcher = new HostWatcher(
      [...dirs],
      () =>
        this.#closing ? Promise.resolve() : this.refresh().catch((e) => {
          if (this.#closing) return;
          this.#ctx.log(
            "error",
            "watch",
            `refresh failed: ${e instanceof Error ? e.message : String(e)}`,
            {
              ...(e instanceof PluginError ? { code: e.code } : {}),
            },
          );
        }),
      options,
      (w) => this.#watchers.delete(w),
    );
    this.#watchers.add(watcher);
    this.#ctx.log(
      "info",
      "watch",
      `watching ${[...dirs].map((d) => JSON.stringify(d)).join(", ")}`,
      {
        directories: [...dirs],
      },
    );
    return watcher;
  }

  /**
   * Resolves once no refresh is running or queued and every replaced build
   * has finished closing.
   *
   * @returns when settled
   */
  async settled(): Promise<void> {
    for (;;) {
      const queue = this.#queue;
      await queue.catch(() => {});
      await Promise.all([...this.#retiring]);
      if (queue === this.#queue && this.#retiring.size === 0) return;
    }
  }

  /**
   * Close the host: stop its watchers, make every function it handed out
   * throw `CLOSED`, wait for calls in flight (nonblocking ones) to return,
   * then close the plugins in reverse discovery order, so shutdown hooks run
   * in reverse order of the init hooks. Closing twice returns the same
   * result.
   *
   * @returns how many plugins were closed, and which stayed mapped
   */
  close(): Promise<HostCloseResult> {
    if (!this.#closing) {
      // Refuse new calls at once, before anything is awaited.
      for (const slot of this.#slots.values()) {
        if (slot.kind === "hosted") slot.entry.seal("the plugin host is closed");
      }
      this.#closing = this.#close();
    }
    return this.#closing;
  }

  /** Same as {@linkcode PluginHost.close}, without waiting. */
  [Symbol.dispose](): void {
    void this.close();
  }

  /** Same as {@linkcode PluginHost.close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(): Promise<HostCloseResult> {
    await Promise.all([...this.#watchers].map((w) => w.close()));
    await this.#queue.catch(() => {});
    const entries = this.#ordered().flatMap((s) => s.kind === "hosted" ? [s.entry] : []);
    for (const e of entries) e.seal("the plugin host is closed");
    await Promise.all(entries.map((e) => e.drain()));
    await this.settled();
    const result: HostCloseResult = { closed: 0, kept: [] };
    for (const e of entries.reverse()) {
      const r = await e.closeHandle("host closed");
      if (!r) continue;
      result.closed++;
      if (!r.unloaded) result.kept.push({ path: e.path, reason: r.reason ?? "unknown" });
    }
    this.#ctx.log(
      "info",
      "close",
      `host closed: ${result.closed} plugin${result.closed === 1 ? "" : "s"} closed${
        result.kept.length ? `, ${result.kept.length} still mapped` : ""
      }`,
      { closed: result.closed, kept: result.kept.length },
    );
    return result;
  }

  #assertOpen(what: string): void {
    if (this.#closing) {
      throw new CallError("CLOSED", this.#paths.join(":"), what, "the plugin host is closed", {
        hint: "make a new PluginHost",
      });
    }
  }

  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  #ordered(): Slot[] {
    // Cached: select() walks it on every request.
    return this.#order ??= [...this.#slots.entries()]
      .sort(([pa, a], [pb, b]) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : pa < pb ? -1 : pa > pb ? 1 : 0
      )
      .map(([, s]) => s);
  }

  /** Bring the host in line with the search paths. */
  async #sync(): Promise<RefreshSummary> {
    const out: RefreshSummary = { added: [], reloaded: [], removed: [], refused: [], skipped: [] };
    if (this.#closing) return out;
    const { candidates, missing } = scan(this.#paths);
    for (const m of missing) {
      if (!this.#missing.has(m)) {
        this.#ctx.log("warn", "path", `search path ${JSON.stringify(m)} does not exist`, {
          path: m,
          code: "NOT_FOUND",
        });
      }
    }
    this.#missing = new Set(missing);
    const present = new Set(candidates.map((c) => c.path));
    // Removed files first, so their plugins close before anything new loads.
    for (const [path, slot] of [...this.#slots]) {
      if (present.has(path)) continue;
      this.#slots.delete(path);
      this.#order = undefined;
      if (slot.kind !== "hosted") continue;
      out.removed.push(path);
      const label = `${slot.entry.metadata.name} ${slot.entry.metadata.version}`;
      this.#ctx.log(
        "info",
        "remove",
        `${JSON.stringify(path)} was removed; closing ${label}`,
        slot.entry.fields(),
      );
      slot.entry.seal(`the plugin file ${JSON.stringify(path)} was removed`);
      await slot.entry.drain();
      await slot.entry.closeHandle("file removed");
    }
    for (const c of candidates) {
      const slot = this.#slots.get(c.path);
      if (slot?.kind === "hosted") {
        if (slot.entry.stamp === c.stamp) continue;
        const { outcome, error } = await slot.entry.replace(c);
        if (outcome === "reloaded" || outcome === "updated") out.reloaded.push(c.path);
        else if (error && outcome === "refused") out.refused.push(skipOf(error, c.path));
        else if (error && outcome === "failed") out.skipped.push(skipOf(error, c.path));
        continue;
      }
      if (slot?.kind === "skipped" && slot.stamp === c.stamp) continue;
      const taken = await this.#take(c);
      if (taken.kind === "hosted") out.added.push(c.path);
      else out.skipped.push(taken.skip);
    }
    return out;
  }

  /** Load or check a new candidate; record it as hosted or skipped. */
  async #take(c: Candidate): Promise<Slot> {
    let slot: Slot;
    const dup = c.realPath === undefined
      ? undefined
      : [...this.#slots.entries()].find(([p, s]) =>
        p !== c.path && s.kind === "hosted" && s.entry.realPath === c.realPath
      );
    try {
      if (dup) {
        throw new LoadError("ALREADY_OPEN", {
          path: c.path,
          what: "the same file is reachable through two search paths",
          expected: "one path per plugin file",
          found: `the same file as ${JSON.stringify(dup[0])}`,
          hint: "remove one of the search paths, or the symlink",
        });
      }
      const entry = await PluginEntry.take(c, this.#ctx, this.#mode === "eager");
      slot = { kind: "hosted", entry, plugin: new HostedPlugin(entry), name: c.name };
    } catch (e) {
      const err = asPluginError(e, c.path);
      const skip = skipOf(err, c.path);
      // A plugin for other interfaces is expected in a shared directory: not a warning.
      const level = isForOtherInterfaces(err) ? "debug" : "warn";
      this.#ctx.log(level, "skip", skipMessage(err, c.path), {
        path: c.path,
        code: err.code,
        hint: err.hint,
      });
      slot = { kind: "skipped", stamp: c.stamp, skip, name: c.name };
    }
    this.#slots.set(c.path, slot);
    this.#order = undefined;
    if (slot.kind === "hosted") slot.entry.announce();
    return slot;
  }
}

function skipOf(err: PluginError, path: string): SkippedPlugin {
  return {
    path,
    code: err.code,
    message: err.summary,
    ...(err.hint ? { hint: err.hint } : {}),
    ...(isForOtherInterfaces(err) ? { forOtherInterfaces: true } : {}),
  };
}

const semvers = new WeakMap<PluginMetadata, SemVer | null>();

/** A build's version, parsed once per metadata object (a reload brings a new one). */
function semverOf(meta: PluginMetadata): SemVer | undefined {
  let v = semvers.get(meta);
  if (v === undefined) semvers.set(meta, v = parseSemVer(meta.version) ?? null);
  return v ?? undefined;
}

function dropUndefined(fields: Partial<LogRecord>): Partial<LogRecord> {
  const out: Partial<LogRecord> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v;
  return out;
}

function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? (i === 0 ? "/" : ".") : path.slice(0, i);
}
