/**
 * `isolateNative()`: run a checked native plugin in child processes, so that
 * a segfault, an `abort()`, an `exit()` or a hang in it cannot take the host
 * down. `openPlugin(path, { isolation: "process" })` comes here after the
 * one check pipeline has accepted the file.
 *
 * Each child is a Deno process with `--allow-ffi`, read access to the plugin
 * and one environment variable; it checks the file again with the same
 * pipeline, refuses bytes whose SHA-256 differs from what the host checked,
 * loads them with the in-process loader and serves calls in a compact
 * binary protocol (docs/isolation.md), over shared memory the host offers
 * after the handshake (or its stdin and stdout when that cannot be had). The
 * handle's functions have the same types as in-process ones, except that
 * each returns a Promise; with `calls: "sync"` they return their values,
 * the caller waiting for the reply without returning to the event loop.
 *
 * @module
 */

import type { Signature } from "../abi/signature.ts";
import type { PluginCandidate } from "../check/check_plugin.ts";
import { PluginError } from "../errors/plugin_error.ts";
import {
  type CloseResult,
  type HandleState,
  Plugin,
  type PluginBackend,
  type ProcessesState,
} from "../handle/plugin.ts";
import { CallError } from "../errors/plugin_error.ts";
import type { LogRecord, LogSink } from "../log/log_record.ts";
import {
  childCommand,
  ChildConnection,
  ensureChildCached,
  type TransportChoice,
} from "./_connection.ts";
import { type PoolFunction, ProcessPool, type RestartOptions } from "./_pool.ts";
import { assertIsolatable, type LoadRequest } from "./_protocol.ts";
import { shmSupported } from "./_shm.ts";
import { resolveSandbox, type Sandbox } from "./sandbox.ts";

export type { RestartOptions, Sandbox, TransportChoice };

/** Options of a plugin isolated in child processes. */
export interface IsolationOptions {
  /**
   * The longest a call may wait for its reply, queueing in the child
   * included. A call that takes longer rejects with `PLUGIN_TIMEOUT`, and its
   * process is killed (and restarted, if `restart` is set).
   * @default Infinity
   */
  timeoutMs?: number;
  /**
   * Starting a process (start-up, the handshake, loading the plugin and its
   * init hook) must be done within this; otherwise `HANDSHAKE_FAILED` (no
   * handshake) or `PLUGIN_TIMEOUT` (the load hangs).
   * @default 10000
   */
  startTimeoutMs?: number;
  /**
   * How long close() waits for a process to finish its calls and shutdown
   * hook before killing it.
   * @default 2000
   */
  closeGraceMs?: number;
  /**
   * Replace a process that crashed or timed out: `true` for the defaults of
   * {@linkcode RestartOptions}, `false` to leave the handle crashed.
   * @default false
   */
  restart?: boolean | RestartOptions;
  /**
   * How many processes serve the plugin; calls go to the least busy one.
   * Each loads its own copy of the plugin (its own globals).
   * @default 1
   */
  pool?: number;
  /**
   * Where the processes' stderr lines (event `stderr`) and the lifecycle
   * records (`spawn`, `crash`, `timeout`, `restart`, `close`) go.
   * @default writes stderr lines, warnings and errors to the host's stderr
   */
  log?: LogSink;
  /**
   * Confine each process with the OS sandbox (Linux Landlock and seccomp)
   * before any code of the plugin runs: `true` lets it read only its own
   * file (and the system's shared libraries), with no network and no new
   * processes; a {@linkcode Sandbox} grants more. A sandbox the kernel
   * cannot enforce is refused with `SANDBOX_UNAVAILABLE` unless it says
   * `bestEffort` or `allowUnconfined`.
   * @default false
   */
  sandbox?: boolean | Sandbox;
}

/** Options of a native plugin isolated in child processes, besides {@linkcode IsolationOptions}. */
export interface NativeIsolationOptions extends IsolationOptions {
  /**
   * How calls travel between the host and each child: `"shared-memory"`, a
   * memfd both map, holding rings of requests and replies (a round trip of
   * a few microseconds while calls keep coming); `"pipe"`, the child's stdin
   * and stdout; `"auto"`, shared memory when the host has an unrestricted
   * `--allow-ffi` on Linux and the child can map it, else pipes. With
   * `"shared-memory"` a child that cannot map it fails the open
   * (`HANDSHAKE_FAILED`).
   * @default "auto"
   */
  transport?: TransportChoice;
  /**
   * `"async"`: every function returns a Promise. `"sync"`: every function
   * returns its value; the caller spins, then sleeps on a futex, until the
   * reply comes, without returning to the event loop (nothing else in this
   * thread runs meanwhile). A crash still throws `PLUGIN_CRASHED`, and a call
   * that outlives `timeoutMs` (which must be finite) kills the child and
   * throws `PLUGIN_TIMEOUT`. Needs shared memory: Linux and an unrestricted
   * `--allow-ffi`. For small, fast functions.
   * @default "async"
   */
  calls?: "async" | "sync";
}

/** The resolved options of an isolated plugin, shared by every kind that runs in processes. */
export interface ResolvedIsolation {
  /** Call deadline. */
  timeoutMs: number;
  /** Start deadline. */
  startTimeoutMs: number;
  /** Grace period on close. */
  graceMs: number;
  /** Pool size. */
  pool: number;
  /** Restart policy. */
  restart: Required<RestartOptions> | undefined;
  /** Log sink. */
  log: LogSink;
}

/**
 * Check and fill in the isolation options.
 *
 * @param o the options
 * @returns every field set
 * @throws {PluginError} `USAGE` for a value out of range
 */
export function resolveIsolation(o: IsolationOptions): ResolvedIsolation {
  const pool = positive(o.pool, 1, "pool");
  if (!Number.isInteger(pool)) throw usage("pool", o.pool);
  const r = o.restart === true ? {} : o.restart || undefined;
  return {
    timeoutMs: positive(o.timeoutMs, Infinity, "timeoutMs"),
    startTimeoutMs: positive(o.startTimeoutMs, 10_000, "startTimeoutMs"),
    graceMs: positive(o.closeGraceMs, 2_000, "closeGraceMs", true),
    pool,
    restart: r && {
      maxRestarts: positive(r.maxRestarts, 5, "restart.maxRestarts", true),
      backoffMs: positive(r.backoffMs, 100, "restart.backoffMs", true),
      maxBackoffMs: positive(r.maxBackoffMs, 5_000, "restart.maxBackoffMs", true),
    },
    log: o.log ?? defaultLog,
  };
}

/**
 * Start a checked native plugin in child processes.
 *
 * The host needs `--allow-read` for the plugin (and for Deno's executable)
 * and `--allow-run` for Deno's executable (`Deno.execPath()`).
 *
 * @param candidate what `checkPlugin` returned for the file
 * @param options the child's load mode and init, timeouts, restarts, pool, log
 * @param path the path as the caller gave it
 * @returns the handle, once every child has loaded the plugin
 * @throws {LoadError} `HANDSHAKE_FAILED`, `PLUGIN_TIMEOUT`, or what the child's checks threw
 * @throws {CrashError} `PLUGIN_CRASHED` when the plugin crashes while loading
 */
export async function isolateNative(
  candidate: PluginCandidate,
  options: NativeIsolationOptions & {
    load?: "memfd" | "path";
    init?: boolean;
    allowInsecurePermissions?: boolean;
  },
  path: string = candidate.file.path,
): Promise<Plugin<"async"> | Plugin<"sync">> {
  const calls = options.calls ?? "async";
  const transport = resolveTransport(options, path);
  const withDeadline = calls === "sync"
    ? { ...options, timeoutMs: options.timeoutMs ?? SYNC_TIMEOUT_MS }
    : options;
  if (calls === "sync" && withDeadline.timeoutMs === Infinity) {
    throw new PluginError(
      "USAGE",
      `Invalid option timeoutMs: expected a finite number with calls: "sync", found Infinity`,
      {
        path,
        hint: "a synchronous call that never returns would freeze this thread: give it a deadline",
      },
    );
  }
  const pool = await startPool({
    path,
    file: candidate.file,
    name: candidate.metadata.name,
    version: candidate.metadata.version,
    load: {
      load: options.load ?? "memfd",
      init: options.init ?? true,
      allowInsecurePermissions: options.allowInsecurePermissions ?? false,
    },
    options: withDeadline,
    transport,
  });
  const backend = new PooledBackend(pool, path, "plugin", calls);
  return calls === "sync"
    ? new Plugin({ candidate, backend, calls: "sync", isolation: "process", path })
    : new Plugin({ candidate, backend, calls: "async", isolation: "process", path });
}

/** The default deadline of a synchronous isolated call (ms). */
const SYNC_TIMEOUT_MS = 1000;

/** The transport asked for, checked against what the options need and the host can do. */
function resolveTransport(options: NativeIsolationOptions, path: string): TransportChoice {
  const t = options.transport ?? "auto";
  if (t !== "auto" && t !== "shared-memory" && t !== "pipe") {
    throw new PluginError(
      "USAGE",
      `Invalid option transport: expected "auto", "shared-memory" or "pipe", found ${String(t)}`,
      { path, hint: "leave it out for the default" },
    );
  }
  const calls = options.calls ?? "async";
  if (calls !== "async" && calls !== "sync") {
    throw new PluginError(
      "USAGE",
      `Invalid option calls: expected "async" or "sync", found ${String(calls)}`,
      { path, hint: "leave it out for the default" },
    );
  }
  const needs = calls === "sync"
    ? 'calls: "sync"'
    : t === "shared-memory"
    ? `transport: "shared-memory"`
    : undefined;
  if (needs === undefined) return t;
  if (t === "pipe") {
    throw new PluginError(
      "USAGE",
      `Cannot open plugin ${
        JSON.stringify(path)
      } with calls: "sync" over pipes: expected transport "auto" or "shared-memory", found "pipe"`,
      { path, hint: "a synchronous call waits on shared memory: leave transport out" },
    );
  }
  if (!shmSupported()) {
    throw new PluginError(
      "USAGE",
      `Cannot open plugin ${
        JSON.stringify(path)
      } with ${needs}: expected shared memory between the host and its children, found ${
        Deno.build.os !== "linux" ? `${Deno.build.os}, not Linux` : "no unrestricted --allow-ffi"
      }`,
      {
        path,
        hint: Deno.build.os !== "linux"
          ? "leave the option out: calls then return Promises over pipes"
          : "run the host with --allow-ffi (without a path list), or leave the option out",
      },
    );
  }
  return "shared-memory";
}

/** What {@linkcode startPool} starts. */
export interface PoolStart {
  /** The path as the caller gave it. */
  path: string;
  /** The checked file: its real path and the SHA-256 every child must find. */
  file: { realPath: string; sha256: string };
  /** Its name, for log records. */
  name: string;
  /** Its version, for log records (empty for an ordinary library). */
  version: string;
  /** What each child loads, beyond the path, the hash and the sandbox. */
  load: Omit<LoadRequest, "path" | "sha256" | "sandbox">;
  /** Timeouts, restarts, pool size, log, sandbox. */
  options: IsolationOptions;
  /** How calls travel to each child. @default "auto" */
  transport?: TransportChoice;
}

/**
 * Start the processes that serve one checked file, each loading it as the
 * request says: the one start-up of isolated native plugins and isolated
 * ordinary libraries.
 *
 * @param start the file, the load request and the isolation options
 * @returns the pool, once every child has loaded the file
 * @throws {PluginError} `USAGE` for an option out of range
 * @throws {LoadError} `SANDBOX_UNAVAILABLE`, `HANDSHAKE_FAILED`, `PLUGIN_TIMEOUT`, or what the child's checks threw
 * @throws {CrashError} `PLUGIN_CRASHED` when the file crashes its child while loading
 */
export async function startPool(start: PoolStart): Promise<ProcessPool> {
  const { path, file } = start;
  const o = resolveIsolation(start.options);
  const command = childCommand(path, file.realPath);
  const sandbox = resolveSandbox(start.options.sandbox, { path, realPath: file.realPath });
  const load: LoadRequest = {
    ...start.load,
    path,
    sha256: file.sha256,
    ...(sandbox ? { sandbox } : {}),
  };
  const pool = new ProcessPool({
    path,
    plugin: { name: start.name, version: start.version, sha256: file.sha256 },
    size: o.pool,
    timeoutMs: o.timeoutMs,
    graceMs: o.graceMs,
    restart: o.restart,
    log: o.log,
    connect: (onEnd, onStderr) =>
      new ChildConnection({
        ...command,
        path,
        load,
        startTimeoutMs: o.startTimeoutMs,
        onStderr,
        onEnd,
        transport: start.transport ?? "auto",
      }),
  });
  await ensureChildCached();
  await pool.start();
  return pool;
}

/**
 * A plugin served by a pool of processes, as its handle sees it: each
 * function is bound once per canonical signature (in every process), and a
 * call is a request to the least busy process.
 */
export class PooledBackend implements PluginBackend {
  #pool: ProcessPool;
  #path: string;
  #subject: "plugin" | "library";
  #calls: "async" | "sync";
  #binds = new Map<string, PoolFunction>();

  /**
   * @param pool the processes
   * @param path the plugin, for messages
   * @param subject what the file is, for messages
   * @param calls whether functions return Promises or wait for their replies
   */
  constructor(
    pool: ProcessPool,
    path: string,
    subject: "plugin" | "library" = "plugin",
    calls: "async" | "sync" = "async",
  ) {
    this.#pool = pool;
    this.#path = path;
    this.#subject = subject;
    this.#calls = calls;
  }

  /** Values that cannot cross a process boundary are refused before anything is bound. */
  checkBindable(sigs: readonly Signature[], path: string): void {
    for (const sig of sigs) assertIsolatable(sig, path, this.#subject);
  }

  bind(sigs: readonly Signature[], state: HandleState): Record<string, unknown> {
    const fresh: PoolFunction[] = [];
    const out: Record<string, unknown> = {};
    const path = this.#path;
    const pool = this.#pool;
    for (const sig of sigs) {
      const key = signatureKey(sig);
      let f = this.#binds.get(key);
      if (!f) {
        const buffers: number[] = [];
        sig.parameters.forEach((t, i) => t === "buffer" && buffers.push(i));
        f = Object.freeze({ index: this.#binds.size, sig, buffers });
        this.#binds.set(key, f);
        fresh.push(f);
      }
      const bound = f;
      const closed = () =>
        new CallError("CLOSED", path, sig.name, "the plugin handle is closed", {
          hint: "open the plugin again; functions of a closed handle cannot be called",
        });
      const fn = this.#calls === "sync"
        ? (...args: unknown[]) => {
          if (state.closed) throw closed();
          return pool.callSync(bound, args);
        }
        : (...args: unknown[]) => state.closed ? Promise.reject(closed()) : pool.call(bound, args);
      out[sig.name] = Object.defineProperty(fn, "name", { value: sig.name });
    }
    if (fresh.length > 0) pool.bind(fresh);
    return Object.freeze(out);
  }

  async close(): Promise<CloseResult> {
    await this.#pool.close();
    return { unloaded: true };
  }

  processes(): ProcessesState {
    return this.#pool.state();
  }
}

function signatureKey(sig: Signature): string {
  return `${sig.fallible ? "fallible " : ""}${sig.result} ${sig.name}(${sig.parameters.join(",")})`;
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
    { hint: `pass ${name} as a positive number, or leave it out for the default` },
  );
}
