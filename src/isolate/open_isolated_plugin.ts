/**
 * `openIsolatedPlugin()`: load a plugin in a child process, so that a
 * segfault, an `abort()`, an `exit()` or a hang in the plugin cannot take the
 * host down. `openPlugin(path, { isolation: "process" })` is the same call.
 *
 * The host checks everything it can without running the plugin (file, ELF,
 * metadata, the `verify` hook, interfaces, symbols) before a child is
 * started, so a mismatched plugin is refused at once. The child, a Deno
 * process with only `--allow-ffi`, read access to the plugin and one
 * environment variable, then loads exactly the bytes the host checked (it
 * refuses a file whose SHA-256 changed) with the in-process loader, and
 * serves calls over its stdin and stdout in a compact binary protocol
 * (docs/isolation.md). The functions handed out have the same types as
 * in-process ones, except that each returns a Promise.
 *
 * @module
 */

import { checkInterface, type InterfaceSpec, parseDeclarations } from "../abi/define_interface.ts";
import { type PluginMetadata, readMetadata } from "../abi/read_metadata.ts";
import {
  type AsyncFunctionsOf,
  canonicalSignature,
  type Signature,
  type SignatureRecord,
} from "../abi/signature.ts";
import { type ElfInfo, readElf } from "../elf/read_elf.ts";
import { CallError, LoadError, PluginError } from "../errors/plugin_error.ts";
import type { OpenPluginOptions } from "../loader/open_plugin.ts";
import { readPluginFile } from "../loader/_preflight.ts";
import { findExported } from "../loader/_symbols.ts";
import { Registry } from "../registry/registry.ts";
import { type LogLevel, type LogRecord, logRecord, type LogSink } from "../log/log_record.ts";
import { type ChildExit, CrashError, describeChildExit } from "./crash_error.ts";
import {
  type BoundFunction,
  type ChildCommand,
  childCommand,
  ChildConnection,
  type ConnectionEnd,
} from "./_connection.ts";
import { assertIsolatable, type LoadRequest } from "./_protocol.ts";

type Timer = ReturnType<typeof setTimeout>;

/** When and how often a crashed child is replaced. */
export interface RestartOptions {
  /**
   * How many times, over the handle's life, a child may be replaced.
   * @default 5
   */
  maxRestarts?: number;
  /**
   * The wait before a restart; it doubles with each failure in a row (a
   * child that ran for 10 s resets the count).
   * @default 100
   */
  backoffMs?: number;
  /**
   * The longest wait between restarts.
   * @default 5000
   */
  maxBackoffMs?: number;
}

/** Options of {@linkcode openIsolatedPlugin}. */
export interface OpenIsolatedPluginOptions extends Omit<OpenPluginOptions, "isolation"> {
  /**
   * The longest a call may wait for its reply, queueing in the child
   * included. A call that takes longer rejects with `PLUGIN_TIMEOUT`, and its
   * child is killed (and restarted, if `restart` is set).
   * @default Infinity
   */
  timeoutMs?: number;
  /**
   * Starting a child (Deno's start-up, the handshake, loading the plugin and
   * its init hook) must be done within this; otherwise `HANDSHAKE_FAILED`
   * (no handshake) or `PLUGIN_TIMEOUT` (the load hangs).
   * @default 10000
   */
  startTimeoutMs?: number;
  /**
   * How long close() waits for a child to finish its calls and shutdown hook
   * before killing it.
   * @default 2000
   */
  closeGraceMs?: number;
  /**
   * Replace a child that crashed or timed out: `true` for the defaults of
   * {@linkcode RestartOptions}, `false` to leave the handle crashed.
   * @default false
   */
  restart?: boolean | RestartOptions;
  /**
   * How many children serve the plugin; calls go to the least busy one.
   * Each child loads its own copy of the plugin (its own globals).
   * @default 1
   */
  pool?: number;
  /**
   * Where the children's stderr lines (event `stderr`) and the lifecycle
   * records (`spawn`, `crash`, `timeout`, `restart`, `close`) go.
   * @default writes stderr lines, warnings and errors to the host's stderr
   */
  log?: LogSink;
}

/** The state of an isolated plugin's children, as a whole. */
export type IsolationStatus = "starting" | "ready" | "restarting" | "crashed" | "closed";

/** The last crash of an isolated plugin. */
export interface CrashInfo {
  /** `crash`: the child died; `timeout`: it was killed for a deadline; `protocol`: for a malformed reply. */
  readonly reason: "crash" | "timeout" | "protocol";
  /** When, as an ISO 8601 timestamp. */
  readonly time: string;
  /** How the child ended. */
  readonly exit: ChildExit;
  /** The function whose call was pending, if any. */
  readonly function: string | undefined;
  /** The error the pending calls were given, if any were pending. */
  readonly error: PluginError | undefined;
}

/** What {@linkcode IsolatedPlugin.state} reports. */
export interface IsolatedPluginState {
  /**
   * `starting` until the first children are up; `ready` when children serve
   * calls; `restarting` while a crashed child is being replaced; `crashed`
   * when no child is left and none will be started; `closed` after close().
   */
  readonly status: IsolationStatus;
  /** How many children were replaced so far. */
  readonly restarts: number;
  /** The last crash or timeout, if any. */
  readonly lastCrash: CrashInfo | undefined;
  /** Process ids of the children serving calls. */
  readonly pids: readonly number[];
  /** Calls sent and not answered yet, over all children. */
  readonly pending: number;
}

interface Slot {
  conn: ChildConnection | undefined;
  status: "starting" | "ready" | "restarting" | "dead";
  startedAt: number;
  timer: Timer | undefined;
  lastExit: ChildExit | undefined;
}

interface Waiter {
  f: BoundFunction;
  args: unknown[];
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

const STABLE_MS = 10_000;

let startPlugin: (p: IsolatedPlugin) => Promise<void>;

/**
 * Open a plugin in a child process. The same as
 * `openPlugin(path, { ...options, isolation: "process" })`.
 *
 * The host needs `--allow-read` for the plugin (and for Deno's executable)
 * and `--allow-run` for Deno's executable (`Deno.execPath()`).
 *
 * @example Surviving a crashing plugin
 * ```ts ignore
 * import { defineInterface, openIsolatedPlugin } from "@plugboard/plugboard";
 *
 * const Faulty = defineInterface("faulty", "1.0", {
 *   ok: "i32 ok(i32 x)",
 *   crash: "i32 crash(i32 x)",
 * });
 * await using plugin = await openIsolatedPlugin("build/crash_call.so", {
 *   interfaces: [Faulty],
 *   restart: true,
 * });
 * const { ok, crash } = plugin.use(Faulty);
 * console.log(await ok(1)); // 2
 * await crash(1).catch((e) => console.log(e.code)); // "PLUGIN_CRASHED"
 * console.log(await ok(2)); // 3, from a fresh child
 * ```
 *
 * @param path the plugin file
 * @param options interfaces, verify hook, timeouts, restart policy, pool size, log sink
 * @returns the open plugin, once its children have loaded it
 * @throws {LoadError} when a check fails (before any child starts), `HANDSHAKE_FAILED`, `PLUGIN_TIMEOUT`
 * @throws {CrashError} `PLUGIN_CRASHED` when the plugin crashes while loading
 */
export async function openIsolatedPlugin(
  path: string,
  options: OpenIsolatedPluginOptions = {},
): Promise<IsolatedPlugin> {
  const file = readPluginFile(path, {
    allowInsecurePermissions: options.allowInsecurePermissions,
  });
  const elf = readElf(file.bytes, path);
  const metadata = readMetadata(elf, path);
  if (options.registry !== undefined || options.policy !== undefined) {
    const registry = typeof options.registry === "string"
      ? Registry.fromLockfile(options.registry)
      : options.registry ?? new Registry();
    registry.check({ file, elf, metadata }, options.policy);
  }
  options.verify?.({ file, elf, metadata });
  for (const spec of options.interfaces ?? []) {
    checkInterface(metadata, spec, path);
    for (const [name, sig] of spec.signatures) {
      findExported(elf, name, path, "function");
      assertIsolatable(sig, path);
    }
  }
  const plugin = new IsolatedPlugin({
    path,
    metadata,
    elf,
    sha256: file.sha256,
    realPath: file.realPath,
    options,
  });
  await startPlugin(plugin);
  return plugin;
}

/** What {@linkcode IsolatedPlugin} is made from; made by {@linkcode openIsolatedPlugin}. */
export interface IsolatedPluginInit {
  /** The path as given. */
  path: string;
  /** The metadata read by the host. */
  metadata: PluginMetadata;
  /** The parsed file. */
  elf: ElfInfo;
  /** SHA-256 of the checked bytes. */
  sha256: string;
  /** The real path. */
  realPath: string;
  /** The options. */
  options: OpenIsolatedPluginOptions;
}

/**
 * A plugin loaded in one or more child processes. Its functions return
 * Promises; a crash or a timeout rejects the pending calls with
 * `PLUGIN_CRASHED` or `PLUGIN_TIMEOUT` and never touches the host.
 */
export class IsolatedPlugin implements AsyncDisposable, Disposable {
  /** The path as given. */
  readonly path: string;
  /** The plugin's metadata, read by the host from the file. */
  readonly metadata: PluginMetadata;
  /** SHA-256 of the bytes that were checked (the children load only these). */
  readonly sha256: string;
  /** The absolute path with symlinks resolved. */
  readonly realPath: string;
  #elf: ElfInfo;
  #slots: Slot[];
  #binds: BoundFunction[] = [];
  #bindKeys = new Map<string, BoundFunction>();
  #uses = new Map<InterfaceSpec, unknown>();
  #waiting: Waiter[] = [];
  #restarts = 0;
  #failuresInRow = 0;
  #lastCrash: CrashInfo | undefined;
  #started = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  #timeoutMs: number;
  #startTimeoutMs: number;
  #graceMs: number;
  #restart: Required<RestartOptions> | undefined;
  #log: LogSink;
  #load: LoadRequest;
  #command: ChildCommand;

  static {
    startPlugin = (p) => p.#start();
  }

  /**
   * Handles are made by {@linkcode openIsolatedPlugin}.
   *
   * @param init the checked file and the options
   */
  constructor(init: IsolatedPluginInit) {
    const o = init.options;
    this.path = init.path;
    this.metadata = init.metadata;
    this.sha256 = init.sha256;
    this.realPath = init.realPath;
    this.#elf = init.elf;
    this.#timeoutMs = positive(o.timeoutMs, Infinity, "timeoutMs");
    this.#startTimeoutMs = positive(o.startTimeoutMs, 10_000, "startTimeoutMs");
    this.#graceMs = positive(o.closeGraceMs, 2_000, "closeGraceMs", true);
    const pool = positive(o.pool, 1, "pool");
    if (!Number.isInteger(pool)) throw usage("pool", o.pool);
    const r = o.restart === true ? {} : o.restart || undefined;
    this.#restart = r && {
      maxRestarts: positive(r.maxRestarts, 5, "restart.maxRestarts", true),
      backoffMs: positive(r.backoffMs, 100, "restart.backoffMs", true),
      maxBackoffMs: positive(r.maxBackoffMs, 5_000, "restart.maxBackoffMs", true),
    };
    this.#log = o.log ?? defaultLog;
    this.#load = {
      path: init.path,
      sha256: init.sha256,
      load: o.load ?? "memfd",
      init: o.init ?? true,
      allowInsecurePermissions: o.allowInsecurePermissions ?? false,
    };
    this.#command = childCommand(init.path, init.realPath);
    this.#slots = Array.from({ length: pool }, () => ({
      conn: undefined,
      status: "starting" as const,
      startedAt: 0,
      timer: undefined,
      lastExit: undefined,
    }));
  }

  /** Whether {@linkcode IsolatedPlugin.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The children's state, restarts and last crash. */
  get state(): IsolatedPluginState {
    const ready = this.#slots.filter((s) => s.status === "ready" && s.conn?.alive);
    const status: IsolationStatus = this.#closed
      ? "closed"
      : !this.#started
      ? "starting"
      : this.#slots.some((s) => s.status === "restarting" || s.status === "starting")
      ? "restarting"
      : ready.length === 0
      ? "crashed"
      : "ready";
    return {
      status,
      restarts: this.#restarts,
      lastCrash: this.#lastCrash,
      pids: ready.map((s) => s.conn!.pid),
      pending: this.#slots.reduce((n, s) => n + (s.conn?.pending ?? 0), 0) + this.#waiting.length,
    };
  }

  /**
   * The typed functions of an interface, each returning a Promise. The
   * interface is checked against the plugin's metadata first.
   *
   * @example
   * ```ts ignore
   * const CalcOp = defineInterface("calc.op", "1.0", {
   *   name: "cstring name()",
   *   apply: "fallible f64 apply(f64 a, f64 b)",
   * });
   * const op = plugin.use(CalcOp);
   * console.log(await op.name(), await op.apply(10, 5));
   * ```
   *
   * @param spec the interface
   * @returns its functions
   * @throws {LoadError} `INTERFACE_MISSING`, `INTERFACE_MISMATCH`, `SIGNATURE_MISMATCH`, `SYMBOL_MISSING`
   * @throws {PluginError} `USAGE` for a pointer parameter or result
   * @throws {CallError} `CLOSED`
   */
  use<const F extends SignatureRecord>(spec: InterfaceSpec<F>): AsyncFunctionsOf<F> {
    this.#assertOpen("use");
    const cached = this.#uses.get(spec);
    if (cached) return cached as AsyncFunctionsOf<F>;
    checkInterface(this.metadata, spec, this.path);
    const fns = this.#bind([...spec.signatures.values()]) as AsyncFunctionsOf<F>;
    this.#uses.set(spec, fns);
    return fns;
  }

  /**
   * Typed functions declared ad hoc, by signature; each must be declared by
   * the plugin with the same canonical signature.
   *
   * @example
   * ```ts ignore
   * const { greet } = plugin.functions({ greet: "cstring greet(cstring name)" });
   * console.log(await greet("World"));
   * ```
   *
   * @param declarations function name to signature text
   * @returns the functions
   * @throws {LoadError} `SYMBOL_MISSING` or `SIGNATURE_MISMATCH`
   * @throws {CallError} `CLOSED`
   */
  functions<const F extends SignatureRecord>(declarations: F): AsyncFunctionsOf<F> {
    this.#assertOpen("functions");
    const sigs = [...parseDeclarations(declarations).values()];
    for (const sig of sigs) this.#checkDeclared(sig);
    return this.#bind(sigs) as AsyncFunctionsOf<F>;
  }

  /**
   * A function by name, with the signature the plugin declares.
   *
   * @example
   * ```ts ignore
   * const f = plugin.function("MyFunction");
   * console.log(await f("hello")); // 42
   * ```
   *
   * @param name the function's name
   * @returns the function
   * @throws {LoadError} `SYMBOL_MISSING`
   * @throws {CallError} `CLOSED`
   */
  function(name: string): (...args: unknown[]) => Promise<unknown> {
    this.#assertOpen(name);
    const sig = this.metadata.functions.get(name);
    if (!sig) this.#checkDeclared({ name } as Signature);
    return this.#bind([sig!])[name] as (...args: unknown[]) => Promise<unknown>;
  }

  /**
   * Close the plugin: every function obtained from it rejects with `CLOSED`
   * from now on; each child finishes the calls it has, runs the plugin's
   * shutdown hook and exits, or is killed after `closeGraceMs`. Calls still
   * pending then reject with `CLOSED`. Closing twice is harmless.
   *
   * @returns when every child is gone
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    for (const w of this.#waiting.splice(0)) w.reject(this.#closedError(w.f.sig.name));
    const ends: Promise<unknown>[] = [];
    for (const slot of this.#slots) {
      clearTimeout(slot.timer);
      slot.timer = undefined;
      if (slot.conn) ends.push(slot.conn.shutdown(this.#graceMs));
    }
    this.#closing = Promise.all(ends).then(() => {
      this.#emit(
        "info",
        "close",
        `closed ${this.metadata.name} (${this.#slots.length} child(ren))`,
      );
    });
    return this.#closing;
  }

  /** Same as {@linkcode IsolatedPlugin.close}, without waiting. */
  [Symbol.dispose](): void {
    void this.close();
  }

  /** Same as {@linkcode IsolatedPlugin.close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // -------------------------------------------------------------------------

  async #start(): Promise<void> {
    const results = await Promise.allSettled(this.#slots.map((s) => this.#startSlot(s)));
    const failed = results.find((r) => r.status === "rejected");
    if (failed) {
      this.#closed = true;
      await Promise.all(this.#slots.map((s) => s.conn?.kill()));
      throw (failed as PromiseRejectedResult).reason;
    }
    this.#started = true;
  }

  async #startSlot(slot: Slot): Promise<void> {
    slot.status = "starting";
    const conn = new ChildConnection({
      ...this.#command,
      path: this.path,
      startTimeoutMs: this.#startTimeoutMs,
      onStderr: (line, pid) => this.#emit("info", "stderr", line, { pid }),
      onEnd: (c, end) => this.#onEnd(slot, c, end),
    });
    slot.conn = conn;
    slot.startedAt = performance.now();
    this.#emit("debug", "spawn", `started child ${conn.pid} for ${this.metadata.name}`, {
      pid: conn.pid,
    });
    try {
      await conn.start(this.#load);
    } catch (e) {
      slot.conn = undefined;
      slot.status = "dead";
      slot.lastExit = (await conn.kill()).exit;
      throw e;
    }
    if (this.#closed) return;
    if (this.#binds.length > 0) this.#sendBinds(conn, this.#binds);
    slot.status = "ready";
    this.#drainWaiting();
  }

  #onEnd(slot: Slot, conn: ChildConnection, end: ConnectionEnd): void {
    // A child that fails to start is handled by #startSlot's caller.
    if (slot.conn !== conn || slot.status === "starting") return;
    slot.conn = undefined;
    slot.status = "dead";
    if (this.#closed || end.reason === "closed" || end.reason === "handshake") return;
    this.#recordCrash(end);
    if (performance.now() - slot.startedAt >= STABLE_MS) this.#failuresInRow = 0;
    this.#scheduleRestart(slot);
  }

  #recordCrash(end: ConnectionEnd): void {
    const reason = end.reason === "timeout" || end.reason === "protocol" ? end.reason : "crash";
    this.#lastCrash = Object.freeze({
      reason,
      time: new Date().toISOString(),
      exit: end.exit,
      function: end.function,
      error: end.error,
    });
    const what = end.function ? ` during ${end.function}()` : end.error ? "" : " while idle";
    this.#emit(
      "error",
      reason === "timeout" ? "timeout" : "crash",
      reason === "timeout"
        ? `${this.metadata.name}: a call to ${end.function}() timed out; killed the child (pid ${end.exit.pid})`
        : `${this.metadata.name} crashed${what}: ${describeChildExit(end.exit)}`,
      {
        pid: end.exit.pid,
        signal: end.exit.signal,
        exitCode: end.exit.exitCode,
        stderrTail: end.exit.stderrTail,
        code: end.error?.code,
      },
    );
  }

  #scheduleRestart(slot: Slot): void {
    const r = this.#restart;
    if (!r || this.#restarts >= r.maxRestarts) {
      if (r) {
        this.#emit(
          "error",
          "restart",
          `${this.metadata.name}: not restarting, ${this.#restarts} restart(s) used of ${r.maxRestarts}`,
        );
      }
      this.#failWaitingIfHopeless();
      return;
    }
    const delay = Math.min(r.backoffMs * 2 ** this.#failuresInRow, r.maxBackoffMs);
    this.#failuresInRow++;
    this.#restarts++;
    slot.status = "restarting";
    this.#emit(
      "warn",
      "restart",
      `${this.metadata.name}: starting a new child in ${delay} ms (restart ${this.#restarts} of ${r.maxRestarts})`,
      { delayMs: delay, restarts: this.#restarts },
    );
    slot.timer = setTimeout(async () => {
      slot.timer = undefined;
      if (this.#closed) return;
      try {
        await this.#startSlot(slot);
      } catch (e) {
        if (this.#closed) return;
        const err = e as PluginError;
        this.#lastCrash = Object.freeze({
          reason: err.code === "PLUGIN_TIMEOUT" ? "timeout" as const : "crash" as const,
          time: new Date().toISOString(),
          exit: slot.lastExit ?? noExit(),
          function: undefined,
          error: err,
        });
        this.#emit(
          "error",
          "restart",
          `${this.metadata.name}: restart failed: ${err.summary ?? err}`,
          {
            code: err.code,
          },
        );
        this.#scheduleRestart(slot);
      }
    }, delay);
  }

  #failWaitingIfHopeless(): void {
    const hope = this.#slots.some((s) =>
      s.status === "ready" || s.status === "starting" || s.status === "restarting"
    );
    if (hope) {
      this.#drainWaiting();
      return;
    }
    for (const w of this.#waiting.splice(0)) w.reject(this.#crashedError(w.f.sig.name));
  }

  #drainWaiting(): void {
    while (this.#waiting.length > 0) {
      const conn = this.#pick();
      if (!conn) return;
      const w = this.#waiting.shift()!;
      conn.call(w.f, w.args, this.#timeoutMs).then(w.resolve, w.reject);
    }
  }

  #pick(): ChildConnection | undefined {
    const slots = this.#slots;
    if (slots.length === 1) {
      const s = slots[0];
      return s.status === "ready" && s.conn?.alive ? s.conn : undefined;
    }
    let best: ChildConnection | undefined;
    for (const s of slots) {
      if (s.status !== "ready" || !s.conn?.alive) continue;
      if (!best || s.conn.pending < best.pending) best = s.conn;
    }
    return best;
  }

  #call(f: BoundFunction, args: unknown[]): Promise<unknown> {
    if (this.#closed) return Promise.reject(this.#closedError(f.sig.name));
    const conn = this.#pick();
    if (conn) return conn.call(f, args, this.#timeoutMs);
    if (this.#slots.some((s) => s.status === "restarting" || s.status === "starting")) {
      return new Promise((resolve, reject) => this.#waiting.push({ f, args, resolve, reject }));
    }
    return Promise.reject(this.#crashedError(f.sig.name));
  }

  #bind(sigs: readonly Signature[]): Record<string, unknown> {
    const fresh: BoundFunction[] = [];
    const out: Record<string, unknown> = {};
    for (const sig of sigs) {
      assertIsolatable(sig, this.path);
      findExported(this.#elf, sig.name, this.path, "function");
      const key = canonicalSignature(sig);
      let f = this.#bindKeys.get(key);
      if (!f) {
        const buffers: number[] = [];
        sig.parameters.forEach((t, i) => t === "buffer" && buffers.push(i));
        f = Object.freeze({ index: this.#binds.length, sig, buffers });
        this.#binds.push(f);
        this.#bindKeys.set(key, f);
        fresh.push(f);
      }
      const bound = f;
      out[sig.name] = Object.defineProperty(
        (...args: unknown[]) => this.#call(bound, args),
        "name",
        { value: sig.name },
      );
    }
    if (fresh.length > 0) {
      for (const s of this.#slots) {
        if (s.status === "ready" && s.conn?.alive) this.#sendBinds(s.conn, fresh);
      }
    }
    return Object.freeze(out);
  }

  #sendBinds(conn: ChildConnection, fns: readonly BoundFunction[]): void {
    conn.bind(fns).catch((e: PluginError) => {
      if (!conn.alive) return;
      this.#emit("error", "bind", `binding in child ${conn.pid} failed: ${e.summary ?? e}`, {
        pid: conn.pid,
        code: e.code,
      });
    });
  }

  #checkDeclared(sig: Signature): void {
    const theirs = this.metadata.functions.get(sig.name);
    if (!theirs) {
      findExported(this.#elf, sig.name, this.path, "function");
      throw new LoadError("SYMBOL_MISSING", {
        path: this.path,
        what: `function "${sig.name}" is exported but not declared with PLUGBOARD_FN`,
        expected: "a function declared in the plugin's metadata",
        found: "an exported symbol with no declared signature",
        hint: "declare it with PLUGBOARD_FN(...) so its signature is checked",
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

  #assertOpen(what: string): void {
    if (this.#closed) throw this.#closedError(what);
  }

  #closedError(fn: string): CallError {
    return new CallError("CLOSED", this.path, fn, "the plugin handle is closed", {
      hint: "open the plugin again; functions of a closed handle cannot be called",
    });
  }

  #crashedError(fn: string): PluginError {
    const last = this.#lastCrash;
    const exit = last?.exit ?? noExit();
    const why = this.#restart
      ? `all ${this.#restart.maxRestarts} restart(s) are used`
      : "restarts are off";
    return new CrashError({
      ...exit,
      path: this.path,
      expected: `a running child to call ${fn}()`,
      function: fn,
      found: `none: ${describeChildExit(exit)} earlier${
        last?.function ? ` during ${last.function}()` : ""
      }, and ${why}`,
      hint: this.#restart
        ? "fix the plugin, or open it again"
        : "open the plugin again, or open it with { restart: true } to replace crashed children",
    });
  }

  #emit(level: LogLevel, event: string, message: string, fields: Partial<LogRecord> = {}): void {
    try {
      this.#log(logRecord(level, event, message, {
        plugin: this.metadata.name,
        version: this.metadata.version,
        path: this.path,
        sha256: this.sha256.slice(0, 12),
        ...fields,
      }));
    } catch {
      // A failing sink must not break the plugin.
    }
  }
}

function noExit(): ChildExit {
  return { pid: 0, exitCode: null, signal: null, signalNumber: null, stderrTail: [] };
}

function defaultLog(r: LogRecord): void {
  if (r.event === "stderr") console.error(`[${r.plugin} ${r.pid}] ${r.message}`);
  else if (r.level === "warn" || r.level === "error") console.error(`plugboard: ${r.message}`);
}

function positive(v: number | undefined, fallback: number, name: string, zeroOk = false): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || Number.isNaN(v) || v < 0 || (!zeroOk && v === 0)) {
    throw usage(name, v);
  }
  return v;
}

function usage(name: string, v: unknown): PluginError {
  return new PluginError(
    "USAGE",
    `Invalid option ${name}: expected a positive number, found ${String(v)}`,
    {
      hint: `pass ${name} as a positive number, or leave it out for the default`,
    },
  );
}
