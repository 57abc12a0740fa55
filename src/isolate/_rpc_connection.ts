/**
 * One running subprocess plugin speaking plugboard-rpc/1 (docs/subprocess.md):
 * the process (through the launcher by default), the handshake checked
 * against the sidecar, calls multiplexed by id (replies in any order),
 * per-call deadlines, crash and protocol-violation detection, stderr to the
 * log, and close with a grace period.
 *
 * Deadlines cost no timer per call: one timer is armed for the earliest
 * deadline known and re-armed lazily when it fires (a call that completes
 * leaves it alone). A call that outlives its deadline rejects at the
 * deadline, with the program still being killed.
 *
 * @module
 */

import type { InterfaceSpec } from "../abi/define_interface.ts";
import type { AsyncFunctionsOf, Signature, SignatureRecord } from "../abi/signature.ts";
import { CallError, LoadError, PluginError, quote } from "../errors/plugin_error.ts";
import { type LogLevel, logRecord, type LogSink } from "../log/log_record.ts";
import { type ChildExit, CrashError, describeChildExit } from "../errors/crash_error.ts";
import { Fairness, LineBuffer } from "./_rpc_lines.ts";
import {
  checkProgram,
  drain,
  LAUNCHER_DEFAULT,
  ProgramProcess,
  readStderr,
  type SandboxSpec,
} from "./_rpc_process.ts";
import {
  compareRpcMetadata,
  decodeBuffers,
  decodeResult,
  DEFAULT_MAX_LINE_BYTES,
  encodeRequest,
  parseReply,
  parseRpcMetadata,
  ProtocolViolation,
  quoteShort,
  RPC_PROTOCOL,
  RPC_VERSIONS,
  type RpcFunction,
  type RpcMetadata,
  SIDECAR_SUFFIX,
} from "./_rpc_protocol.ts";
import { bindFunction, type RpcTarget, useInterface } from "./_rpc_target.ts";

/** Options of {@linkcode openRpcConnection}. */
export interface RpcConnectionOptions {
  /**
   * Arguments for the program.
   * @default []
   */
  args?: readonly string[];
  /**
   * Environment variables added to the host's (the protocol's own win).
   * @default {}
   */
  env?: Readonly<Record<string, string>>;
  /**
   * The program's working directory.
   * @default the host's
   */
  cwd?: string;
  /**
   * The sidecar's metadata ({@linkcode readSidecar}): the handshake must say
   * the same, else the program is refused with `METADATA_MISMATCH`.
   * @default undefined (the handshake is only checked for validity)
   */
  expected?: RpcMetadata;
  /**
   * The sidecar's path, for messages.
   * @default the program's path followed by `.plugboard.json`
   */
  sidecarPath?: string;
  /**
   * Refuse the program unless its SHA-256 (hex) is this (`CHECKSUM_MISMATCH`).
   * @default undefined (not checked)
   */
  sha256?: string;
  /**
   * The handshake must arrive within this (`HANDSHAKE_FAILED`).
   * @default 5000
   */
  startTimeoutMs?: number;
  /**
   * The longest a call may wait for its reply; then it rejects with
   * `PLUGIN_TIMEOUT` and the program is killed.
   * @default Infinity
   */
  timeoutMs?: number;
  /**
   * How long close() waits for the program to exit after its stdin closed,
   * before killing it.
   * @default 2000
   */
  closeGraceMs?: number;
  /**
   * The longest line either side may write, in bytes; a longer line from
   * the program is a protocol error that kills it.
   * @default 1048576 (1 MiB)
   */
  maxLineBytes?: number;
  /**
   * Start the program through the launcher, so that it and everything it
   * starts die with the host, even on SIGKILL (Linux). Costs a Deno start
   * (about 20-30 ms) when the plugin starts, nothing per call.
   * @default true on Linux (the launcher needs prctl), false elsewhere
   */
  launcher?: boolean;
  /**
   * A sandbox the launcher applies before the plugin starts.
   * @default undefined (none)
   */
  sandbox?: SandboxSpec;
  /**
   * Where stderr lines (event `stderr`) and lifecycle records (`crash`,
   * `timeout`, `close`) go.
   * @default stderr lines, warnings and errors to the host's stderr
   */
  log?: LogSink;
}

/** How a connection ended. */
export interface RpcEnd {
  /** How the direct child ended. */
  readonly exit: ChildExit;
  /** Why: it died on its own, was killed for a deadline, closed as asked, killed for a protocol violation, or never completed its handshake. */
  readonly reason: "crash" | "timeout" | "closed" | "protocol" | "handshake";
  /** The error given to the calls that were pending (or that open threw). */
  readonly error: PluginError | undefined;
  /** Whether the host killed the program. */
  readonly killed: boolean;
}

type Cause =
  | { kind: "none" }
  | { kind: "timeout"; fn: string; ms: number }
  | { kind: "closed"; graceMs: number }
  | { kind: "handshake"; found: string }
  | { kind: "protocol"; found: string };

interface Pending {
  fn: RpcFunction;
  args: readonly unknown[];
  deadline: number;
  timeoutMs: number;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

type Timer = ReturnType<typeof setTimeout>;

const encoder = new TextEncoder();
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Start a subprocess plugin and wait for its handshake.
 *
 * The host needs `--allow-run` for Deno's executable (the launcher; for the
 * program itself with `launcher: false`), and `--allow-read` for the program
 * when `sha256` is given.
 *
 * @example Calling the Python operator
 * ```ts ignore
 * const sidecar = readSidecar("plugins/rpc/calc_mul.py");
 * await using conn = await openRpcConnection(sidecar.program, { expected: sidecar.metadata });
 * const { name, apply } = conn.use(CalcOp);
 * console.log(await name(), await apply(6, 7)); // "*" 42
 * ```
 *
 * @param path the program
 * @param options sidecar metadata, timeouts, line cap, launcher, log
 * @returns the running plugin, its handshake checked
 * @throws {LoadError} `NOT_FOUND`, `PERMISSION_DENIED`, `CHECKSUM_MISMATCH`,
 *   `HANDSHAKE_FAILED`, `ABI_MISMATCH` or `METADATA_MISMATCH`
 * @throws {PluginError} `USAGE` when the sidecar declares another mode
 */
export async function openRpcConnection(
  path: string,
  options: RpcConnectionOptions = {},
): Promise<RpcConnection> {
  if (options.expected && options.expected.mode !== "rpc") {
    throw new PluginError(
      "USAGE",
      `Cannot start plugin ${quote(path)} as a process: its sidecar declares mode ${
        quote(options.expected.mode)
      }`,
      { path, hint: "open one-shot plugins with openOneShot(), which runs the program per call" },
    );
  }
  checkProgram(path, options.sha256);
  const conn = new RpcConnection(path, options);
  await conn.start();
  return conn;
}

/**
 * One running subprocess plugin. Calls go out as request lines and may be
 * answered in any order; a crash, a hang or a protocol violation rejects the
 * pending calls with `PLUGIN_CRASHED` or `PLUGIN_TIMEOUT` and leaves the
 * host running.
 */
export class RpcConnection implements RpcTarget, AsyncDisposable {
  /** The program, as given. */
  readonly path: string;
  /** The direct child's pid (the launcher's, when there is one), also its process group. */
  readonly pid: number;
  /** Resolves once the program is gone and every call is settled. */
  readonly ended: Promise<RpcEnd>;
  #opts: RpcConnectionOptions;
  #proc: ProgramProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #out: Uint8Array[] = [];
  #flushQueued = false;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #timeoutMs: number;
  #maxLine: number;
  #timer: Timer | undefined;
  #timerAt = Infinity;
  #meta: RpcMetadata | undefined;
  #cause: Cause = { kind: "none" };
  #startError: PluginError | undefined;
  #handshake: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  #handshakeDone: Promise<void>;
  #dead = false;
  #closing: Promise<RpcEnd> | undefined;
  #refd = true;
  #tail: string[] = [];
  #log: LogSink;
  #resolveEnded!: (end: RpcEnd) => void;

  /**
   * Spawn the program; use {@linkcode openRpcConnection}, which also waits
   * for the handshake.
   *
   * @param path the program
   * @param options the options
   */
  constructor(path: string, options: RpcConnectionOptions = {}) {
    this.path = path;
    this.#opts = options;
    this.#timeoutMs = options.timeoutMs ?? Infinity;
    this.#maxLine = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.#log = options.log ?? defaultLog;
    this.ended = new Promise((r) => this.#resolveEnded = r);
    this.#handshakeDone = new Promise<void>((resolve, reject) => {
      this.#handshake = { resolve, reject };
    });
    // Observed by start(); a connection nobody starts must not reject unhandled.
    this.#handshakeDone.catch(() => {});
    this.#proc = new ProgramProcess(path, {
      args: options.args ?? [],
      env: options.env ?? {},
      cwd: options.cwd,
      mode: "rpc",
      maxLineBytes: this.#maxLine,
      stdin: "piped",
      launcher: options.launcher ?? LAUNCHER_DEFAULT,
      sandbox: options.sandbox,
    });
    this.pid = this.#proc.pid;
    this.#writer = this.#proc.child.stdin.getWriter();
    const stdoutDone = this.#readStdout();
    const stderrDone = readStderr(this.#proc.child.stderr, this.#tail, (line) => {
      this.#emit("info", "stderr", line, { pid: this.pid });
    });
    void this.#watch(Promise.all([stdoutDone, stderrDone]));
  }

  /** What the program said in its handshake (after {@linkcode RpcConnection.start}). */
  get metadata(): RpcMetadata {
    if (!this.#meta) {
      throw new PluginError("USAGE", `Plugin ${quote(this.path)} has not completed its handshake`, {
        path: this.path,
        hint: "open subprocess plugins with openRpcConnection(), which waits for the handshake",
      });
    }
    return this.#meta;
  }

  /** Calls sent and not answered yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Whether the program runs and is not being stopped or closed. */
  get alive(): boolean {
    return !this.#dead && this.#cause.kind === "none" && this.#closing === undefined;
  }

  /**
   * Wait for the handshake, within `startTimeoutMs`; check it, and check it
   * against the sidecar's metadata when given.
   *
   * @returns when the plugin is ready
   * @throws {LoadError} `HANDSHAKE_FAILED`, `ABI_MISMATCH` or `METADATA_MISMATCH`
   */
  async start(): Promise<void> {
    const ms = this.#opts.startTimeoutMs ?? 5_000;
    const timer = setTimeout(() => {
      if (!this.#meta) this.#stop({ kind: "handshake", found: `nothing within ${ms} ms` });
    }, ms);
    try {
      await this.#handshakeDone;
    } finally {
      clearTimeout(timer);
    }
    this.#emit("debug", "spawn", `started subprocess plugin ${this.#meta!.name}`, {
      pid: this.pid,
    });
    this.#setRef(false);
  }

  /**
   * A function of the plugin, checked against the host's declaration.
   *
   * @param sig the host's declaration (a signature or its text)
   * @returns the function, for {@linkcode RpcConnection.call}
   * @throws {LoadError} `SYMBOL_MISSING` or `SIGNATURE_MISMATCH`
   * @throws {PluginError} `USAGE` for pointer types
   */
  function(sig: Signature | string): RpcFunction {
    return bindFunction(this, sig);
  }

  /**
   * The typed functions of an interface the plugin provides, each returning
   * a Promise.
   *
   * @param spec the interface
   * @returns the functions
   * @throws {LoadError} `INTERFACE_MISSING`, `INTERFACE_MISMATCH` or `SIGNATURE_MISMATCH`
   */
  use<const F extends SignatureRecord>(spec: InterfaceSpec<F>): AsyncFunctionsOf<F> {
    return useInterface(this, spec);
  }

  /**
   * Call a function. Arguments are checked first, by the in-process rules;
   * buffers are copied back after the call.
   *
   * @param fn the function
   * @param args its arguments
   * @param timeoutMs the deadline, from now
   * @returns its result
   * @throws {CallError} `INVALID_ARGUMENT`, `CALL_FAILED` (with the plugin's
   *   code), `PLUGIN_TIMEOUT` or `CLOSED`
   * @throws {CrashError} `PLUGIN_CRASHED`
   */
  call(fn: RpcFunction, args: readonly unknown[], timeoutMs = this.#timeoutMs): Promise<unknown> {
    if (!this.alive) return Promise.reject(this.#goneError(fn.sig.name));
    const id = this.#nextId;
    let bytes: Uint8Array;
    try {
      bytes = encoder.encode(encodeRequest(id, fn, args, this.path) + "\n");
    } catch (e) {
      return Promise.reject(e);
    }
    if (bytes.length - 1 > this.#maxLine) {
      return Promise.reject(
        new CallError(
          "INVALID_ARGUMENT",
          this.path,
          fn.sig.name,
          `the request would be a line of ${
            bytes.length - 1
          } bytes, longer than the limit of ${this.#maxLine}`,
          { hint: "pass less data per call, or raise maxLineBytes" },
        ),
      );
    }
    this.#nextId = id === Number.MAX_SAFE_INTEGER ? 1 : id + 1;
    this.#out.push(bytes);
    this.#scheduleFlush();
    return new Promise((resolve, reject) => {
      const deadline = timeoutMs === Infinity ? Infinity : performance.now() + timeoutMs;
      if (this.#pending.size === 0) this.#setRef(true);
      this.#pending.set(id, { fn, args, deadline, timeoutMs, resolve, reject });
      if (deadline < this.#timerAt) {
        clearTimeout(this.#timer);
        this.#arm(deadline);
      }
    });
  }

  /**
   * Close the plugin: its stdin is closed (it answers what it has read and
   * exits), and it is killed with everything it started if it has not
   * exited after `closeGraceMs`. Calls made after close reject with
   * `CLOSED`; calls still pending when it is gone reject with `CLOSED`.
   * Closing twice is harmless.
   *
   * @returns how it ended
   */
  close(): Promise<RpcEnd> {
    if (this.#closing) return this.#closing;
    const graceMs = this.#opts.closeGraceMs ?? 2_000;
    this.#setRef(true);
    this.#closing = this.ended;
    if (!this.#dead) {
      this.#flush();
      this.#writer.close().catch(() => {});
      const timer = setTimeout(() => this.#stop({ kind: "closed", graceMs }), graceMs);
      void this.ended.then(() => clearTimeout(timer));
    }
    return this.#closing;
  }

  /**
   * Kill the program now (and everything it started); pending calls reject
   * with `CLOSED`.
   *
   * @returns how it ended
   */
  kill(): Promise<RpcEnd> {
    this.#closing ??= this.ended;
    this.#stop({ kind: "closed", graceMs: 0 });
    return this.ended;
  }

  /** Same as {@linkcode RpcConnection.close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // -------------------------------------------------------------------------

  #setRef(on: boolean): void {
    if (this.#refd === on || this.#dead) return;
    this.#refd = on;
    if (on) this.#proc.child.ref();
    else this.#proc.child.unref();
  }

  #scheduleFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#flushQueued = false;
    const out = this.#out;
    if (out.length === 0 || this.#dead) return;
    this.#out = [];
    let bytes = out[0];
    if (out.length > 1) {
      bytes = new Uint8Array(out.reduce((n, b) => n + b.length, 0));
      let at = 0;
      for (const b of out) {
        bytes.set(b, at);
        at += b.length;
      }
    }
    this.#writer.write(bytes).catch(() => {
      // The program is gone; its exit settles every call.
    });
  }

  #arm(deadline: number): void {
    this.#timerAt = deadline;
    const t = setTimeout(() => this.#checkDeadlines(), Math.max(0, deadline - performance.now()));
    Deno.unrefTimer(t);
    this.#timer = t;
  }

  #checkDeadlines(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    if (this.#dead || this.#cause.kind !== "none") return;
    const now = performance.now();
    let next = Infinity;
    for (const [id, p] of this.#pending) {
      if (p.deadline <= now) {
        this.#timeout(id, p);
        return;
      }
      if (p.deadline < next) next = p.deadline;
    }
    if (next !== Infinity) this.#arm(next);
  }

  /** A call outlived its deadline: reject everything now, then kill. */
  #timeout(id: number, late: Pending): void {
    const fn = late.fn.sig.name;
    this.#cause = { kind: "timeout", fn, ms: late.timeoutMs };
    const pending = [...this.#pending.entries()];
    this.#pending.clear();
    const error = new CallError(
      "PLUGIN_TIMEOUT",
      this.path,
      fn,
      `expected a reply within ${late.timeoutMs} ms, found none: the program (pid ${this.pid}) was killed`,
      { hint: "the plugin hangs or is slower than timeoutMs allows; fix it or raise timeoutMs" },
    );
    this.#emit("error", "timeout", error.summary, { pid: this.pid, code: error.code });
    for (const [pid, p] of pending) {
      p.reject(
        pid === id ? error : new CallError(
          "PLUGIN_TIMEOUT",
          this.path,
          p.fn.sig.name,
          `expected a reply, found none: the program (pid ${this.pid}) was killed because the call ${fn}() timed out after ${late.timeoutMs} ms`,
          { hint: "call it again once the plugin is restarted" },
        ),
      );
    }
    this.#setRef(true);
    this.#proc.stop();
  }

  /** Stop the program for a reason of the host's; calls settle when it is gone. */
  #stop(cause: Cause): void {
    if (this.#dead || this.#cause.kind !== "none") return;
    this.#cause = cause;
    this.#setRef(true);
    this.#proc.stop();
  }

  async #readStdout(): Promise<void> {
    const reader = this.#proc.child.stdout.getReader();
    const lines = new LineBuffer(this.#maxLine, "error");
    const onLine = (bytes: Uint8Array) => this.#onLine(bytes);
    const fairness = new Fairness();
    let stopped = false;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const r = lines.push(value, onLine);
        if (r === "ok") {
          // Deadlines fire on time even while the program floods stdout.
          if (performance.now() >= this.#timerAt) this.#checkDeadlines();
          await fairness.turn();
          continue;
        }
        if (r === "overflow") {
          this.#violation(`a line longer than the limit of ${this.#maxLine} bytes`);
        }
        stopped = true;
        break;
      }
    } catch {
      // The pipe broke: the program is gone.
    }
    if (stopped) await reader.cancel().catch(() => {});
    else reader.releaseLock();
  }

  /** Handle one line; false when the stream cannot be trusted any more. */
  #onLine(bytes: Uint8Array): boolean {
    if (this.#cause.kind !== "none") return false;
    if (bytes.length === 0) return true;
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      this.#violation("a line that is not UTF-8");
      return false;
    }
    if (text.trim() === "") return true;
    if (!this.#meta) return this.#onHandshake(text);
    try {
      const reply = parseReply(text);
      const p = this.#pending.get(reply.id);
      if (!p) {
        throw new ProtocolViolation(`a reply to request ${reply.id}, which is not pending`);
      }
      if (reply.error) {
        this.#settled(reply.id);
        const { code, message } = reply.error;
        p.reject(
          new CallError(
            "CALL_FAILED",
            this.path,
            p.fn.sig.name,
            message || `the plugin reported error ${code}`,
            {
              pluginCode: code,
              hint: code <= -32600 && code >= -32700
                ? `the plugin did not understand the request (code ${code}); host and plugin disagree on the protocol or the interface`
                : "the plugin reported this error; check the arguments or the plugin's documentation",
            },
          ),
        );
        return true;
      }
      // Check everything before touching the caller's buffers.
      const result = decodeResult(p.fn.sig.result, reply.result);
      const buffers = decodeBuffers(p.fn, p.args, reply.buffers);
      this.#settled(reply.id);
      for (let k = 0; k < buffers.length; k++) {
        const b = buffers[k];
        const target = p.args[p.fn.buffers[k]] as Uint8Array;
        if (b && target.length > 0) target.set(b);
      }
      p.resolve(result);
      return true;
    } catch (e) {
      if (!(e instanceof ProtocolViolation)) throw e;
      this.#violation(e.found);
      return false;
    }
  }

  #settled(id: number): void {
    this.#pending.delete(id);
    if (this.#pending.size === 0 && this.#meta && !this.#closing) this.#setRef(false);
  }

  #onHandshake(text: string): boolean {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.#violation(`a first line that is not JSON: ${quoteShort(text)}`);
      return false;
    }
    let meta: RpcMetadata;
    try {
      meta = parseRpcMetadata(value, this.path, "handshake");
      const expected = this.#opts.expected;
      if (expected) {
        compareRpcMetadata(
          expected,
          meta,
          this.path,
          this.#opts.sidecarPath ?? this.path + SIDECAR_SUFFIX,
        );
      }
    } catch (e) {
      if (!(e instanceof PluginError)) throw e;
      this.#startError = e;
      this.#stop({ kind: "handshake", found: e.summary });
      return false;
    }
    this.#meta = meta;
    this.#handshake?.resolve();
    this.#handshake = undefined;
    return true;
  }

  #violation(found: string): void {
    this.#stop(this.#meta ? { kind: "protocol", found } : { kind: "handshake", found });
  }

  async #watch(pipes: Promise<unknown>): Promise<void> {
    const status = await this.#proc.child.status;
    this.#dead = true;
    // Whatever the program left in its group (a grandchild holding the
    // pipes) goes now; then the replies and stderr lines written just before
    // the end are read.
    this.#proc.exited();
    await drain(pipes);
    clearTimeout(this.#timer);
    this.#writer.close().catch(() => {});
    const exit: ChildExit = Object.freeze({
      pid: this.pid,
      exitCode: status.signal === null ? status.code : null,
      signal: status.signal,
      signalNumber: status.signal === null ? null : status.code - 128,
      stderrTail: Object.freeze([...this.#tail]),
    });
    const end = this.#settle(exit);
    this.#resolveEnded(end);
  }

  /** Reject everything still pending, by cause; returns the end report. */
  #settle(exit: ChildExit): RpcEnd {
    const cause = this.#cause;
    const killed = cause.kind !== "none";
    const program = describeChildExit(exit).replace("the child", "the program");
    if (!this.#meta) {
      const error = this.#startError ?? new LoadError("HANDSHAKE_FAILED", {
        path: this.path,
        what: `the program did not complete the ${RPC_PROTOCOL} handshake`,
        expected: `a first line {"${RPC_PROTOCOL}": ${
          RPC_VERSIONS.join(" or ")
        }, "name": ..., "interfaces": [...]} on stdout`,
        found: cause.kind === "handshake"
          ? cause.found
          : `${program} before answering${tailNote(exit)}`,
        hint: cause.kind === "handshake" && cause.found.startsWith("nothing")
          ? "the program must print its handshake first (docs/subprocess.md); if it is only slow to start, raise startTimeoutMs"
          : "the program must print its handshake line first, and only protocol lines on stdout (docs/subprocess.md)",
      });
      this.#handshake?.reject(error);
      this.#handshake = undefined;
      return Object.freeze({ exit, reason: "handshake", error, killed });
    }
    const reason: RpcEnd["reason"] = cause.kind === "none"
      ? (this.#closing ? "closed" : "crash")
      : cause.kind === "closed"
      ? "closed"
      : cause.kind === "handshake"
      ? "protocol"
      : cause.kind;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    let first: PluginError | undefined;
    for (const p of pending) {
      const err = this.#errorFor(p, reason, cause, exit, program);
      first ??= err;
      p.reject(err);
    }
    if (reason === "closed") {
      this.#emit("info", "close", `closed subprocess plugin ${this.#meta.name}`, {
        pid: this.pid,
        exitCode: exit.exitCode,
        signal: exit.signal,
      });
    } else if (reason !== "timeout") {
      const summary = first?.summary ??
        (reason === "protocol"
          ? `Plugin ${quote(this.path)} broke the protocol: ${
            (cause as { found: string }).found
          }; the program (pid ${this.pid}) was killed`
          : `Plugin ${quote(this.path)} crashed: ${program}`);
      this.#emit("error", "crash", summary, {
        pid: this.pid,
        exitCode: exit.exitCode,
        signal: exit.signal,
        stderrTail: exit.stderrTail,
        code: "PLUGIN_CRASHED",
      });
    }
    return Object.freeze({ exit, reason, error: first, killed });
  }

  #errorFor(
    p: Pending,
    reason: RpcEnd["reason"],
    cause: Cause,
    exit: ChildExit,
    program: string,
  ): PluginError {
    const fn = p.fn.sig.name;
    if (reason === "closed" && (exit.signal === null || cause.kind === "closed")) {
      return new CallError(
        "CLOSED",
        this.path,
        fn,
        cause.kind === "closed" && cause.graceMs > 0
          ? `the plugin was closed before the call returned: the program (pid ${exit.pid}) did not exit within ${cause.graceMs} ms and was killed`
          : cause.kind === "closed"
          ? `the plugin was closed before the call returned: the program (pid ${exit.pid}) was killed`
          : `the plugin was closed before the call returned: ${program} without answering`,
        { hint: "wait for pending calls before closing, or raise closeGraceMs" },
      );
    }
    return new CrashError({
      ...exit,
      path: this.path,
      expected: `a reply to ${fn}()`,
      function: fn,
      found: cause.kind === "protocol"
        ? `${cause.found}; the program (pid ${exit.pid}) was killed`
        : program,
      hint: cause.kind === "protocol"
        ? "the program must answer each request with one JSON reply line on stdout, and write nothing else there (docs/subprocess.md)"
        : "the host kept running; fix the plugin (its stderr above may say why) and open it again",
    });
  }

  #goneError(fn: string): PluginError {
    if (this.#closing || this.#cause.kind === "closed") {
      return new CallError("CLOSED", this.path, fn, "the plugin is closed", {
        hint: "open it again; a closed plugin cannot be called",
      });
    }
    return new CallError(
      "CLOSED",
      this.path,
      fn,
      `the program (pid ${this.pid}) is gone${
        this.#cause.kind === "timeout"
          ? `: it was killed after a call to ${this.#cause.fn}() timed out`
          : this.#cause.kind === "protocol"
          ? ": it was killed for breaking the protocol"
          : ": it crashed"
      }`,
      { hint: "open the plugin again" },
    );
  }

  #emit(level: LogLevel, event: string, message: string, fields: Record<string, unknown>): void {
    try {
      this.#log(logRecord(level, event, message, {
        plugin: this.#meta?.name,
        version: this.#meta?.version,
        path: this.path,
        ...fields,
      }));
    } catch {
      // A failing sink must not break the plugin.
    }
  }
}

function tailNote(exit: ChildExit): string {
  const tail = exit.stderrTail.filter((l) => l.trim() !== "").slice(-3);
  return tail.length ? `; its stderr ended with ${quoteShort(tail.join(" / "), 300)}` : "";
}

/**
 * The default log: stderr lines and warnings to the host's stderr.
 *
 * @param r the record
 */
export function defaultLog(r: ReturnType<typeof logRecord>): void {
  if (r.event === "stderr") console.error(`[${r.plugin ?? r.path} ${r.pid}] ${r.message}`);
  else if (r.level === "warn" || r.level === "error") console.error(`plugboard: ${r.message}`);
}
