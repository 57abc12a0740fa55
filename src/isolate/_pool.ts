/**
 * The processes serving one isolated plugin: starting them, handing each
 * call to the least busy live one, queueing calls while a crashed process
 * is replaced (with backoff, up to a limit), recording the last crash, and
 * stopping them all on close.
 *
 * @module
 */

import type { Signature } from "../abi/signature.ts";
import { type ChildExit, CrashError, describeChildExit } from "../errors/crash_error.ts";
import { CallError, type PluginError } from "../errors/plugin_error.ts";
import type { CrashInfo, IsolationStatus, ProcessesState } from "../handle/plugin.ts";
import { type LogLevel, type LogRecord, logRecord, type LogSink } from "../log/log_record.ts";
import type { ConnectionEnd, Transport } from "./_connection.ts";

type Timer = ReturnType<typeof setTimeout>;

/** When and how often a crashed process is replaced. */
export interface RestartOptions {
  /**
   * How many times, over the handle's life, a process may be replaced.
   * @default 5
   */
  maxRestarts?: number;
  /**
   * The wait before a restart; it doubles with each failure in a row (a
   * process that ran for 10 s resets the count).
   * @default 100
   */
  backoffMs?: number;
  /**
   * The longest wait between restarts.
   * @default 5000
   */
  maxBackoffMs?: number;
}

/** A function bound in the processes, as the pool calls it. */
export interface PoolFunction {
  /** Its index in each process's table. */
  readonly index: number;
  /** Its signature. */
  readonly sig: Signature;
  /** Indexes of its buffer parameters, copied back after the call. */
  readonly buffers: readonly number[];
}

/** One process speaking to the pool. */
export interface PoolConnection {
  /** Its process id. */
  readonly pid: number;
  /** Whether it is alive and not being stopped. */
  readonly alive: boolean;
  /** Calls sent and not answered yet. */
  readonly pending: number;
  /** Start it: handshake and load, within the start timeout. */
  start(): Promise<void>;
  /** Bind functions in it. */
  bind(fns: readonly PoolFunction[]): Promise<unknown>;
  /** Call a bound function. */
  call(f: PoolFunction, args: unknown[], timeoutMs: number): Promise<unknown>;
  /** Call a bound function and wait for the reply here (kinds that can: native plugins on shared memory). */
  callSync?(f: PoolFunction, args: unknown[], timeoutMs: number): unknown;
  /** How requests and replies travel, for kinds that have a choice. */
  readonly transport?: Transport;
  /** Ask it to stop, killing it after `graceMs`. */
  shutdown(graceMs: number): Promise<ConnectionEnd>;
  /** Kill it now. */
  kill(): Promise<ConnectionEnd>;
}

/** What the pool needs to know and do. */
export interface PoolInit {
  /** The plugin file, for messages. */
  path: string;
  /** The plugin's name and version, for log records. */
  plugin: { name: string; version: string; sha256: string };
  /** How many processes. */
  size: number;
  /** The deadline of a call. */
  timeoutMs: number;
  /** How long close() waits before killing. */
  graceMs: number;
  /** The restart policy, or none. */
  restart: Required<RestartOptions> | undefined;
  /** Where records go. */
  log: LogSink;
  /**
   * Start a new process (not yet started).
   *
   * @param onEnd called once when it is gone
   * @param onStderr called for each stderr line
   */
  connect(
    onEnd: (c: PoolConnection, end: ConnectionEnd) => void,
    onStderr: (line: string, pid: number) => void,
  ): PoolConnection;
}

interface Slot {
  conn: PoolConnection | undefined;
  status: "starting" | "ready" | "restarting" | "dead";
  startedAt: number;
  timer: Timer | undefined;
  lastExit: ChildExit | undefined;
}

interface Waiter {
  f: PoolFunction;
  args: unknown[];
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** A process that ran this long before crashing resets the backoff. */
const STABLE_MS = 10_000;

/** The processes of one isolated plugin. */
export class ProcessPool {
  #init: PoolInit;
  #slots: Slot[];
  #binds: PoolFunction[] = [];
  #waiting: Waiter[] = [];
  #restarts = 0;
  #failuresInRow = 0;
  #lastCrash: CrashInfo | undefined;
  #started = false;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(init: PoolInit) {
    this.#init = init;
    this.#slots = Array.from({ length: init.size }, () => ({
      conn: undefined,
      status: "starting" as const,
      startedAt: 0,
      timer: undefined,
      lastExit: undefined,
    }));
  }

  /** The processes' state. */
  state(): ProcessesState {
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
    const state: ProcessesState = {
      status,
      restarts: this.#restarts,
      lastCrash: this.#lastCrash,
      pids: ready.map((s) => s.conn!.pid),
      pending: this.#slots.reduce((n, s) => n + (s.conn?.pending ?? 0), 0) + this.#waiting.length,
    };
    if (ready.some((s) => s.conn!.transport !== undefined)) {
      return { ...state, transports: ready.map((s) => s.conn!.transport ?? "pipe") };
    }
    return state;
  }

  /** Start every process; on a failure, kill the others and throw it. */
  async start(): Promise<void> {
    const results = await Promise.allSettled(this.#slots.map((s) => this.#startSlot(s)));
    const failed = results.find((r) => r.status === "rejected");
    if (failed) {
      this.#closed = true;
      await Promise.all(this.#slots.map((s) => s.conn?.kill()));
      throw (failed as PromiseRejectedResult).reason;
    }
    this.#started = true;
  }

  /** Bind new functions in every live process (and in those started later). */
  bind(fns: readonly PoolFunction[]): void {
    this.#binds.push(...fns);
    for (const s of this.#slots) {
      if (s.status === "ready" && s.conn?.alive) this.#sendBinds(s.conn, fns);
    }
  }

  /** Call a function on the least busy process, or queue it while one restarts. */
  call(f: PoolFunction, args: unknown[]): Promise<unknown> {
    if (this.#closed) return Promise.reject(this.#closedError(f.sig.name));
    const conn = this.#pick();
    if (conn) return conn.call(f, args, this.#init.timeoutMs);
    if (this.#slots.some((s) => s.status === "restarting" || s.status === "starting")) {
      return new Promise((resolve, reject) => this.#waiting.push({ f, args, resolve, reject }));
    }
    return Promise.reject(this.#crashedError(f.sig.name));
  }

  /**
   * Call a function on the least busy process and wait for its reply without
   * returning to the event loop. A call cannot wait for a restart: while no
   * process is ready it throws `PLUGIN_CRASHED`.
   */
  callSync(f: PoolFunction, args: unknown[]): unknown {
    if (this.#closed) throw this.#closedError(f.sig.name);
    const conn = this.#pick();
    if (conn) return conn.callSync!(f, args, this.#init.timeoutMs);
    // A child that ended during a synchronous call is not reported yet (the
    // event loop has not run): say so, rather than blame an older crash.
    const ending = this.#slots.find((s) => s.status === "ready" && s.conn && !s.conn.alive)?.conn;
    const starting = this.#slots.some((s) => s.status === "restarting" || s.status === "starting");
    if (!ending && !starting) throw this.#crashedError(f.sig.name);
    const r = this.#init.restart;
    const left = r !== undefined && this.#restarts < r.maxRestarts;
    const exit = ending ? { ...noExit(), pid: ending.pid } : this.#lastCrash?.exit ?? noExit();
    const found = ending
      ? `none: the child (pid ${ending.pid}) has just ended${
        left
          ? `, and a new one will start (restart ${this.#restarts + 1} of ${r!.maxRestarts})`
          : r
          ? `, and all ${r.maxRestarts} restart(s) are used`
          : ", and restarts are off"
      }`
      : `none: a new child is starting (restart ${this.#restarts} of ${r?.maxRestarts ?? 0})`;
    throw new CrashError({
      ...exit,
      path: this.#init.path,
      expected: `a running child to call ${f.sig.name}()`,
      function: f.sig.name,
      found,
      hint: ending && !left
        ? "open the plugin again, or open it with { restart: true } to replace crashed children"
        : 'a synchronous call cannot wait for a restart: call again once plugin.processes.status is "ready"',
    });
  }

  /** Stop every process: finish their calls and shutdown hooks, or kill them after the grace period. */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    for (const w of this.#waiting.splice(0)) w.reject(this.#closedError(w.f.sig.name));
    const ends: Promise<unknown>[] = [];
    for (const slot of this.#slots) {
      clearTimeout(slot.timer);
      slot.timer = undefined;
      if (slot.conn) ends.push(slot.conn.shutdown(this.#init.graceMs));
    }
    this.#closing = Promise.all(ends).then(() => {
      this.#emit(
        "info",
        "close",
        `closed ${this.#init.plugin.name} (${this.#slots.length} child(ren))`,
      );
    });
    return this.#closing;
  }

  async #startSlot(slot: Slot): Promise<void> {
    slot.status = "starting";
    const conn = this.#init.connect(
      (c, end) => this.#onEnd(slot, c, end),
      (line, pid) => this.#emit("info", "stderr", line, { pid }),
    );
    slot.conn = conn;
    slot.startedAt = performance.now();
    this.#emit("debug", "spawn", `started child ${conn.pid} for ${this.#init.plugin.name}`, {
      pid: conn.pid,
    });
    try {
      await conn.start();
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

  #onEnd(slot: Slot, conn: PoolConnection, end: ConnectionEnd): void {
    // A process that fails to start is handled by #startSlot's caller.
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
    const name = this.#init.plugin.name;
    const what = end.function ? ` during ${end.function}()` : end.error ? "" : " while idle";
    this.#emit(
      "error",
      reason === "timeout" ? "timeout" : "crash",
      reason === "timeout"
        ? `${name}: a call to ${end.function}() timed out; killed the child (pid ${end.exit.pid})`
        : `${name} crashed${what}: ${describeChildExit(end.exit)}`,
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
    const r = this.#init.restart;
    const name = this.#init.plugin.name;
    if (!r || this.#restarts >= r.maxRestarts) {
      if (r) {
        this.#emit(
          "error",
          "restart",
          `${name}: not restarting, ${this.#restarts} restart(s) used of ${r.maxRestarts}`,
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
      `${name}: starting a new child in ${delay} ms (restart ${this.#restarts} of ${r.maxRestarts})`,
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
        this.#emit("error", "restart", `${name}: restart failed: ${err.summary ?? err}`, {
          code: err.code,
        });
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
      conn.call(w.f, w.args, this.#init.timeoutMs).then(w.resolve, w.reject);
    }
  }

  #pick(): PoolConnection | undefined {
    const slots = this.#slots;
    if (slots.length === 1) {
      const s = slots[0];
      return s.status === "ready" && s.conn?.alive ? s.conn : undefined;
    }
    let best: PoolConnection | undefined;
    for (const s of slots) {
      if (s.status !== "ready" || !s.conn?.alive) continue;
      if (!best || s.conn.pending < best.pending) best = s.conn;
    }
    return best;
  }

  #sendBinds(conn: PoolConnection, fns: readonly PoolFunction[]): void {
    conn.bind(fns).catch((e: PluginError) => {
      if (!conn.alive) return;
      this.#emit("error", "bind", `binding in child ${conn.pid} failed: ${e.summary ?? e}`, {
        pid: conn.pid,
        code: e.code,
      });
    });
  }

  #closedError(fn: string): CallError {
    return new CallError("CLOSED", this.#init.path, fn, "the plugin handle is closed", {
      hint: "open the plugin again; functions of a closed handle cannot be called",
    });
  }

  #crashedError(fn: string): PluginError {
    const last = this.#lastCrash;
    const exit = last?.exit ?? noExit();
    const r = this.#init.restart;
    const why = r ? `all ${r.maxRestarts} restart(s) are used` : "restarts are off";
    return new CrashError({
      ...exit,
      path: this.#init.path,
      expected: `a running child to call ${fn}()`,
      function: fn,
      found: `none: ${describeChildExit(exit)} earlier${
        last?.function ? ` during ${last.function}()` : ""
      }, and ${why}`,
      hint: r
        ? "fix the plugin, or open it again"
        : "open the plugin again, or open it with { restart: true } to replace crashed children",
    });
  }

  #emit(level: LogLevel, event: string, message: string, fields: Partial<LogRecord> = {}): void {
    try {
      const p = this.#init.plugin;
      this.#init.log(logRecord(level, event, message, {
        plugin: p.name,
        version: p.version,
        path: this.#init.path,
        sha256: p.sha256.slice(0, 12),
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
