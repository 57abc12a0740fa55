/**
 * One Worker serving a WebAssembly plugin, as the pool of an isolated
 * plugin sees it (`PoolConnection`): start, bind, call with a deadline,
 * shutdown, kill.
 *
 * Calls are sent one at a time (the worker runs one at a time anyway), so
 * the host always knows which call runs and on which instance. At a call's
 * deadline the call is rejected with `PLUGIN_TIMEOUT` and the module's
 * interrupt flag is set: the module was compiled with a check at the head
 * of every loop, so the running code traps within one iteration, the worker
 * replaces the instance and goes on with the next call. Terminating the
 * worker is not enough: Deno's `Worker.terminate()` does not stop a thread
 * busy in a loop (it keeps one core spinning until the process exits,
 * denoland/deno#35657). Only when the worker does not answer within the
 * grace period after the flag (code that cannot be interrupted) is it
 * terminated and reported as ended, for the pool to start another.
 *
 * @module
 */

import type { ChildExit } from "../errors/crash_error.ts";
import { CallError, LoadError, type PluginError } from "../errors/plugin_error.ts";
import { fits, invalidArgument } from "../handle/arguments.ts";
import type { ConnectionEnd } from "./_connection.ts";
import type { PoolConnection, PoolFunction } from "./_pool.ts";
import { errorFromData } from "./_protocol.ts";
import type { FromWorker, ToWorker } from "./_wasm_worker.ts";

type Timer = ReturnType<typeof setTimeout>;

const WORKER_URL = new URL("./_wasm_worker.ts", import.meta.url);

/** What a worker connection starts from. */
export interface WorkerConnectionOptions {
  /** The plugin file, for messages. */
  path: string;
  /** The start message (module and runtime options). */
  start: Extract<ToWorker, { type: "start" }>;
  /** Starting must be done within this. */
  startTimeoutMs: number;
  /** How long to wait for the worker after interrupting a call, before terminating it. */
  interruptGraceMs: number;
  /** Standard output and error of the plugin, when forwarded. */
  onOutput: ((fd: 1 | 2, bytes: Uint8Array) => void) | undefined;
  /** Called once when the worker is gone. */
  onEnd: (conn: PoolConnection, end: ConnectionEnd) => void;
}

interface Call {
  id: number;
  f: PoolFunction;
  args: unknown[];
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  timer: Timer | undefined;
  /** Rejected already (deadline): the worker's answer is dropped. */
  settled: boolean;
}

/** The Worker of one WebAssembly plugin. */
export class WorkerConnection implements PoolConnection {
  /** The process serving the calls: this one (a worker is a thread). */
  readonly pid: number = Deno.pid;
  /** Resolves once the worker is gone. */
  readonly ended: Promise<ConnectionEnd>;
  #opts: WorkerConnectionOptions;
  #worker: Worker | undefined;
  #queue: Call[] = [];
  #running: Call | undefined;
  #nextId = 1;
  #interrupt: Int32Array | undefined;
  #graceTimer: Timer | undefined;
  #dead = false;
  #startExpired = false;
  #starting: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  #closing: { resolve: () => void } | undefined;
  #resolveEnded!: (end: ConnectionEnd) => void;

  /**
   * Prepare the connection; {@linkcode WorkerConnection.start} starts the worker.
   *
   * @param opts the module, deadlines and callbacks
   */
  constructor(opts: WorkerConnectionOptions) {
    this.#opts = opts;
    this.ended = new Promise((r) => this.#resolveEnded = r);
  }

  /** Calls sent or queued and not answered yet. */
  get pending(): number {
    return this.#queue.length + (this.#running ? 1 : 0);
  }

  /** Whether the worker is alive and not being stopped. */
  get alive(): boolean {
    return !this.#dead && this.#closing === undefined;
  }

  /**
   * Start the worker and instantiate the module in it.
   *
   * @returns when the plugin is loaded (its init hook has run)
   * @throws {LoadError} `PLUGIN_TIMEOUT` when it takes longer than the start
   *   timeout, or what instantiating threw (`INIT_FAILED`, ...)
   */
  start(): Promise<void> {
    const worker = new Worker(WORKER_URL, { type: "module" });
    this.#worker = worker;
    worker.onmessage = (e: MessageEvent<FromWorker>) => this.#onMessage(e.data);
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.#end("crash", undefined);
    };
    return new Promise<void>((resolve, reject) => {
      const ms = this.#opts.startTimeoutMs;
      const timer = setTimeout(() => {
        const err = new LoadError("PLUGIN_TIMEOUT", {
          path: this.#opts.path,
          what: "the plugin did not finish loading in time",
          expected: `its worker to start and load it within ${ms} ms`,
          found: "no answer; the worker was stopped",
          hint: "a constructor or the init hook loops; fix the plugin, or raise startTimeoutMs",
        });
        this.#starting = undefined;
        this.#startExpired = true;
        reject(err);
        this.#end("handshake", err);
      }, ms);
      this.#starting = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      worker.postMessage(this.#opts.start);
    });
  }

  /**
   * Bind functions in the worker (it answers nothing; calls come after).
   *
   * @param fns the functions
   * @returns at once
   */
  bind(fns: readonly PoolFunction[]): Promise<unknown> {
    if (!this.alive) return Promise.resolve();
    this.#post({ type: "bind", fns: fns.map((f) => ({ index: f.index, sig: f.sig })) });
    return Promise.resolve();
  }

  /**
   * Call a bound function. Arguments are checked here first, by the rules
   * of every other kind of handle; buffers are copied back after the call.
   *
   * @param f the function
   * @param args its arguments
   * @param timeoutMs the deadline, from now (queueing included)
   * @returns its result
   */
  call(f: PoolFunction, args: unknown[], timeoutMs: number): Promise<unknown> {
    const sig = f.sig;
    const params = sig.parameters;
    const path = this.#opts.path;
    if (args.length !== params.length) {
      return Promise.reject(
        new CallError(
          "INVALID_ARGUMENT",
          path,
          sig.name,
          `expected ${params.length} argument(s), found ${args.length}`,
          { hint: `call it as ${sig.name}(${params.join(", ")})` },
        ),
      );
    }
    for (let i = 0; i < params.length; i++) {
      if (!fits(params[i], args[i])) {
        return Promise.reject(invalidArgument(path, sig.name, i, params[i], args[i]));
      }
    }
    if (!this.alive) return Promise.reject(this.#deadError(sig.name));
    return new Promise((resolve, reject) => {
      const call: Call = {
        id: this.#nextId++,
        f,
        args,
        resolve,
        reject,
        timer: undefined,
        settled: false,
      };
      if (timeoutMs !== Infinity) {
        call.timer = setTimeout(() => this.#deadline(call, timeoutMs), timeoutMs);
      }
      this.#queue.push(call);
      this.#next();
    });
  }

  /**
   * Run the shutdown hook and stop the worker once the calls sent are
   * answered; terminate it after `graceMs`.
   *
   * @param graceMs how long to wait
   * @returns how it ended
   */
  shutdown(graceMs: number): Promise<ConnectionEnd> {
    if (this.#dead) return this.ended;
    if (!this.#closing) {
      const timer = setTimeout(() => this.#end("closed", undefined, undefined, true), graceMs);
      this.#closing = {
        resolve: () => {
          clearTimeout(timer);
          this.#end("closed", undefined, undefined, false);
        },
      };
      for (const c of this.#queue.splice(0)) this.#settle(c, undefined, this.#closedError(c));
      if (!this.#running) this.#post({ type: "close" });
    }
    return this.ended;
  }

  /**
   * Terminate the worker now; pending calls reject with `CLOSED`.
   *
   * @returns how it ended
   */
  kill(): Promise<ConnectionEnd> {
    this.#end("closed", undefined, undefined, true);
    return this.ended;
  }

  // -------------------------------------------------------------------------

  #post(msg: ToWorker): void {
    this.#worker?.postMessage(msg);
  }

  /** Send the next queued call when none runs. */
  #next(): void {
    if (this.#running || this.#dead) return;
    const call = this.#queue.shift();
    if (!call) {
      if (this.#closing) this.#post({ type: "close" });
      return;
    }
    this.#running = call;
    try {
      this.#post({
        type: "call",
        id: call.id,
        index: call.f.index,
        args: call.args,
        buffers: call.f.buffers,
      });
    } catch (e) {
      // A value that cannot be cloned (checked above, so not expected).
      this.#running = undefined;
      this.#settle(call, undefined, e);
      this.#next();
    }
  }

  #onMessage(msg: FromWorker): void {
    switch (msg.type) {
      case "instance":
        this.#interrupt = msg.interrupt ? new Int32Array(msg.interrupt) : undefined;
        // A new instance while its call's deadline has passed (a restart
        // after the interrupt), or after the start deadline: stop it too.
        if (this.#interrupt && (this.#running?.settled || this.#startExpired)) {
          Atomics.store(this.#interrupt, 0, 1);
        }
        return;
      case "started":
        this.#starting?.resolve();
        this.#starting = undefined;
        return;
      case "start-failed": {
        const err = errorFromData(msg.error);
        this.#starting?.reject(err);
        this.#starting = undefined;
        this.#end("handshake", err);
        return;
      }
      case "output":
        this.#opts.onOutput?.(msg.fd, msg.bytes);
        return;
      case "closed":
        this.#closing?.resolve();
        return;
      case "result":
      case "error": {
        const call = this.#running;
        if (!call || call.id !== msg.id) return;
        this.#running = undefined;
        clearTimeout(this.#graceTimer);
        this.#graceTimer = undefined;
        // An interrupted call is over: whatever instance serves now starts
        // the next call with its flag clear (also when the call returned
        // before it saw the flag).
        if (call.settled && this.#interrupt) Atomics.store(this.#interrupt, 0, 0);
        if (msg.type === "result") {
          for (let k = 0; k < call.f.buffers.length; k++) {
            (call.args[call.f.buffers[k]] as Uint8Array).set(msg.buffers[k]);
          }
          this.#settle(call, msg.value, undefined);
        } else {
          this.#settle(call, undefined, errorFromData(msg.error));
        }
        this.#next();
        return;
      }
    }
  }

  #settle(call: Call, value: unknown, error: unknown): void {
    clearTimeout(call.timer);
    if (call.settled) return;
    call.settled = true;
    if (error !== undefined) call.reject(error);
    else call.resolve(value);
  }

  /** A call's deadline: reject it; stop it if it runs, and the worker if that fails. */
  #deadline(call: Call, ms: number): void {
    call.timer = undefined;
    const path = this.#opts.path;
    this.#settle(
      call,
      undefined,
      new CallError(
        "PLUGIN_TIMEOUT",
        path,
        call.f.sig.name,
        `no result within ${ms} ms${
          this.#running === call
            ? "; the call was interrupted and a fresh instance serves the next call"
            : "; it had not started (an earlier call was still running)"
        }`,
        { hint: "raise timeoutMs if the function is only slow, or fix the plugin's loop" },
      ),
    );
    if (this.#running !== call) {
      this.#queue = this.#queue.filter((c) => c !== call);
      return;
    }
    if (this.#interrupt) Atomics.store(this.#interrupt, 0, 1);
    this.#graceTimer = setTimeout(() => {
      this.#graceTimer = undefined;
      if (this.#running === call) this.#end("timeout", undefined, call.f.sig.name);
    }, this.#opts.interruptGraceMs);
  }

  #closedError(call: Call): CallError {
    return new CallError(
      "CLOSED",
      this.#opts.path,
      call.f.sig.name,
      "the plugin handle is closed",
      {
        hint: "open the plugin again; functions of a closed handle cannot be called",
      },
    );
  }

  #deadError(fn: string): CallError {
    return new CallError("PLUGIN_CRASHED", this.#opts.path, fn, "its worker has stopped", {
      hint: "the pool starts another worker when restarts are on; open the plugin again",
    });
  }

  /** The worker is gone (or being made so): settle everything and tell the pool. */
  #end(
    reason: ConnectionEnd["reason"],
    error: PluginError | undefined,
    fn?: string,
    killed = reason !== "crash",
  ): void {
    if (this.#dead) return;
    this.#dead = true;
    clearTimeout(this.#graceTimer);
    // After the flag (or with no loop running) the thread is free, so this stops it.
    if (this.#interrupt) Atomics.store(this.#interrupt, 0, 1);
    this.#worker?.terminate();
    this.#worker = undefined;
    const pending = [...(this.#running ? [this.#running] : []), ...this.#queue.splice(0)];
    this.#running = undefined;
    let first: PluginError | undefined = error;
    for (const c of pending) {
      const err = reason === "closed" ? this.#closedError(c) : new CallError(
        reason === "timeout" ? "PLUGIN_TIMEOUT" : "PLUGIN_CRASHED",
        this.#opts.path,
        c.f.sig.name,
        reason === "timeout"
          ? "its worker did not stop after the call was interrupted; it was terminated"
          : "its worker stopped",
        { hint: "the pool starts another worker when restarts are on" },
      );
      first ??= err;
      this.#settle(c, undefined, err);
    }
    const exit: ChildExit = {
      pid: this.pid,
      exitCode: null,
      signal: null,
      signalNumber: null,
      stderrTail: [],
    };
    const end: ConnectionEnd = {
      exit,
      reason,
      error: first,
      function: fn ?? pending[0]?.f.sig.name,
      killed,
    };
    this.#resolveEnded(end);
    this.#opts.onEnd(this, end);
  }
}
