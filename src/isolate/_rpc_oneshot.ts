/**
 * One-shot subprocess plugins (docs/subprocess.md, "One-shot mode"): a
 * seed-style command-line tool run once per call as
 * `PROGRAM FUNCTION ARG...`, its result read from stdout, its exit status
 * the success or the error code. The sidecar is its only metadata.
 *
 * @module
 */

import type { InterfaceSpec } from "../abi/define_interface.ts";
import type { AsyncFunctionsOf, Signature, SignatureRecord } from "../abi/signature.ts";
import { CallError, PluginError, quote } from "../errors/plugin_error.ts";
import type { LogSink } from "../log/log_record.ts";
import { logRecord } from "../log/log_record.ts";
import { type ChildExit, CrashError, describeChildExit } from "../errors/crash_error.ts";
import { defaultLog } from "./_rpc_connection.ts";
import {
  checkProgram,
  LAUNCHER_DEFAULT,
  type ProgramProcess,
  runOnce,
  type RunResult,
  type SandboxSpec,
} from "./_rpc_process.ts";
import {
  checkArguments,
  decodeTextResult,
  DEFAULT_MAX_LINE_BYTES,
  ProtocolViolation,
  type RpcFunction,
  type RpcMetadata,
  valueToText,
} from "./_rpc_protocol.ts";
import { bindFunction, type RpcTarget, useInterface } from "./_rpc_target.ts";

/** Options of {@linkcode openOneShot}. */
export interface OneShotOptions {
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
   * Refuse the program unless its SHA-256 (hex) is this (`CHECKSUM_MISMATCH`).
   * @default undefined (not checked)
   */
  sha256?: string;
  /**
   * The longest a call may run; then the program is killed with everything
   * it started, and the call rejects with `PLUGIN_TIMEOUT`.
   * @default Infinity
   */
  timeoutMs?: number;
  /**
   * The most a call may write to stdout; more is a protocol error.
   * @default 1048576 (1 MiB)
   */
  maxOutputBytes?: number;
  /**
   * Run each call through the launcher (see `RpcConnectionOptions.launcher`).
   * @default true on Linux (the launcher needs prctl), false elsewhere
   */
  launcher?: boolean;
  /**
   * A sandbox the launcher applies before each call's program starts.
   * @default undefined (none)
   */
  sandbox?: SandboxSpec;
  /**
   * Where stderr lines (event `stderr`) go.
   * @default the host's stderr
   */
  log?: LogSink;
}

/**
 * Prepare a one-shot plugin; nothing runs until a call.
 *
 * @example The one-shot "%" operator
 * ```ts ignore
 * const sidecar = readSidecar("plugins/rpc/calc_mod.sh");
 * await using mod = openOneShot(sidecar.program, sidecar.metadata);
 * const { apply } = mod.use(CalcOp);
 * console.log(await apply(7, 2)); // 1
 * ```
 *
 * @param path the program
 * @param metadata its sidecar's metadata (`"mode": "oneshot"`)
 * @param options environment, timeout, output cap, launcher, log
 * @returns the plugin
 * @throws {LoadError} `NOT_FOUND`, `NOT_A_FILE`, `PERMISSION_DENIED` or `CHECKSUM_MISMATCH`
 * @throws {PluginError} `USAGE` when the metadata is not for one-shot mode
 */
export function openOneShot(
  path: string,
  metadata: RpcMetadata,
  options: OneShotOptions = {},
): OneShotProgram {
  if (metadata.mode !== "oneshot") {
    throw new PluginError(
      "USAGE",
      `Cannot run plugin ${quote(path)} once per call: its metadata declares mode ${
        quote(metadata.mode)
      }`,
      { path, hint: "start rpc plugins with openRpcConnection()" },
    );
  }
  checkProgram(path, options.sha256);
  return new OneShotProgram(path, metadata, options);
}

/** A one-shot plugin: each call is a run of the program. */
export class OneShotProgram implements RpcTarget, AsyncDisposable {
  /** The program, as given. */
  readonly path: string;
  /** Its metadata (from the sidecar). */
  readonly metadata: RpcMetadata;
  #opts: OneShotOptions;
  #running = new Set<ProgramProcess>();
  #calls = new Set<Promise<unknown>>();
  #closed = false;

  /**
   * Use {@linkcode openOneShot}.
   *
   * @param path the program
   * @param metadata its metadata
   * @param options the options
   */
  constructor(path: string, metadata: RpcMetadata, options: OneShotOptions = {}) {
    this.path = path;
    this.metadata = metadata;
    this.#opts = options;
  }

  /** Calls running now. */
  get running(): number {
    return this.#calls.size;
  }

  /**
   * A function of the plugin, checked against the host's declaration.
   *
   * @param sig the host's declaration
   * @returns the function
   */
  function(sig: Signature | string): RpcFunction {
    return bindFunction(this, sig);
  }

  /**
   * The typed functions of an interface the plugin provides.
   *
   * @param spec the interface
   * @returns the functions, each returning a Promise
   */
  use<const F extends SignatureRecord>(spec: InterfaceSpec<F>): AsyncFunctionsOf<F> {
    return useInterface(this, spec);
  }

  /**
   * Run the program once for a call: `PROGRAM FUNCTION ARG...`.
   *
   * @param fn the function
   * @param args its arguments
   * @param timeoutMs the deadline, from now
   * @returns the result parsed from stdout
   * @throws {CallError} `INVALID_ARGUMENT`, `CALL_FAILED` (its code is the
   *   exit status), `PLUGIN_TIMEOUT` or `CLOSED`
   * @throws {CrashError} `PLUGIN_CRASHED` (killed by a signal, or output that
   *   is not a value of the result type)
   */
  call(
    fn: RpcFunction,
    args: readonly unknown[],
    timeoutMs = this.#opts.timeoutMs ?? Infinity,
  ): Promise<unknown> {
    const name = fn.sig.name;
    if (this.#closed) {
      return Promise.reject(
        new CallError("CLOSED", this.path, name, "the plugin is closed", {
          hint: "open it again; a closed plugin cannot be called",
        }),
      );
    }
    try {
      checkArguments(fn, args, this.path);
    } catch (e) {
      return Promise.reject(e);
    }
    const params = fn.sig.parameters;
    const argv = [name, ...params.map((t, i) => valueToText(t, args[i]))];
    const log = this.#opts.log ?? defaultLog;
    let proc: ProgramProcess | undefined;
    const run = runOnce(this.path, {
      args: argv,
      env: this.#opts.env ?? {},
      cwd: this.#opts.cwd,
      mode: "oneshot",
      maxLineBytes: this.#opts.maxOutputBytes ?? DEFAULT_MAX_LINE_BYTES,
      stdin: "null",
      launcher: this.#opts.launcher ?? LAUNCHER_DEFAULT,
      sandbox: this.#opts.sandbox,
      timeoutMs,
      maxOutputBytes: this.#opts.maxOutputBytes ?? DEFAULT_MAX_LINE_BYTES,
      onStderr: (line, pid) => {
        try {
          log(logRecord("info", "stderr", line, {
            plugin: this.metadata.name,
            version: this.metadata.version,
            path: this.path,
            pid,
          }));
        } catch {
          // A failing sink must not break the call.
        }
      },
      onStart: (p) => {
        proc = p;
        this.#running.add(p);
      },
    });
    const call = run.then((r) => this.#result(fn, r, timeoutMs));
    this.#calls.add(call);
    const forget = () => {
      this.#calls.delete(call);
      if (proc) this.#running.delete(proc);
    };
    call.then(forget, forget);
    return call;
  }

  /**
   * Close: new calls reject with `CLOSED`; calls running are killed (with
   * everything they started) and reject with `CLOSED`.
   *
   * @returns when every call is settled
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const p of this.#running) p.stop();
    await Promise.allSettled([...this.#calls]);
  }

  /** Same as {@linkcode OneShotProgram.close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #result(fn: RpcFunction, r: RunResult, timeoutMs: number): unknown {
    const name = fn.sig.name;
    const exit: ChildExit = Object.freeze({
      pid: r.pid,
      exitCode: r.status.signal === null ? r.status.code : null,
      signal: r.status.signal,
      signalNumber: r.status.signal === null ? null : r.status.code - 128,
      stderrTail: Object.freeze([...r.stderrTail]),
    });
    const program = describeChildExit(exit).replace("the child", "the program");
    const crash = (found: string, hint: string) =>
      new CrashError({
        ...exit,
        path: this.path,
        expected: `a result of ${name}()`,
        function: name,
        found,
        hint,
      });
    if (r.timedOut) {
      throw new CallError(
        "PLUGIN_TIMEOUT",
        this.path,
        name,
        `expected a result within ${timeoutMs} ms, found none: the program (pid ${r.pid}) was killed`,
        { hint: "the plugin hangs or is slower than timeoutMs allows; fix it or raise timeoutMs" },
      );
    }
    if (this.#closed && (r.status.signal !== null || r.status.code !== 0)) {
      throw new CallError(
        "CLOSED",
        this.path,
        name,
        `the plugin was closed before the call returned: the program (pid ${r.pid}) was killed`,
        { hint: "wait for calls before closing" },
      );
    }
    if (r.overflow) {
      throw crash(
        `a standard output longer than the limit of ${
          this.#opts.maxOutputBytes ?? DEFAULT_MAX_LINE_BYTES
        } bytes; the program (pid ${r.pid}) was killed`,
        "a one-shot call prints one result on stdout; raise maxOutputBytes if it is really that large",
      );
    }
    if (r.status.signal !== null) {
      throw crash(program, "the host kept running; fix the plugin (its stderr above may say why)");
    }
    if (r.status.code !== 0) {
      const last = r.stderrTail.filter((l) => l.trim() !== "").at(-1)?.trim();
      throw new CallError(
        "CALL_FAILED",
        this.path,
        name,
        last ?? `the program exited with status ${r.status.code}`,
        {
          pluginCode: r.status.code,
          hint:
            `the plugin reported this error (exit status ${r.status.code}); check the arguments or the plugin's documentation`,
        },
      );
    }
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(r.stdout);
    } catch {
      throw crash("a standard output that is not UTF-8", ONE_RESULT);
    }
    text = text.endsWith("\r\n")
      ? text.slice(0, -2)
      : text.endsWith("\n")
      ? text.slice(0, -1)
      : text;
    try {
      return decodeTextResult(fn.sig.result, text);
    } catch (e) {
      if (!(e instanceof ProtocolViolation)) throw e;
      throw crash(e.found, ONE_RESULT);
    }
  }
}

const ONE_RESULT =
  'a one-shot call prints its result as text on stdout (docs/subprocess.md, "One-shot mode"), and diagnostics on stderr';
