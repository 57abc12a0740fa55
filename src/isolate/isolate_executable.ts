/**
 * `isolateExecutable()`: run a checked subprocess plugin (any executable
 * speaking plugboard-rpc/1, docs/subprocess.md) behind the one plugin
 * handle. `openPlugin(program, { isolation: "process" })` comes here after
 * the check pipeline has read the program and its metadata sidecar.
 *
 * An `rpc` plugin runs as long-lived processes (a pool, with deadlines,
 * restarts and crash reports, as for isolated native plugins); a `oneshot`
 * plugin is run once per call (`PROGRAM FUNCTION ARG...`). Either way the
 * program is started through the launcher, so that it and everything it
 * starts die with the host, and each handshake must say what the sidecar
 * says.
 *
 * @module
 */

import type { Signature } from "../abi/signature.ts";
import { formatOf, type PluginCandidate } from "../check/check_plugin.ts";
import { CallError } from "../errors/plugin_error.ts";
import {
  type CloseResult,
  type HandleState,
  Plugin,
  type PluginBackend,
} from "../handle/plugin.ts";
import type { LogRecord } from "../log/log_record.ts";
import type { ConnectionEnd } from "./_connection.ts";
import { type PoolConnection, type PoolFunction, ProcessPool } from "./_pool.ts";
import { RpcConnection } from "./_rpc_connection.ts";
import { OneShotProgram } from "./_rpc_oneshot.ts";
import { ensureLauncherCached, type SandboxSpec } from "./_rpc_process.ts";
import { resolveSandbox, type Sandbox, SANDBOX_MODULE } from "./sandbox.ts";
import { dirname } from "../file/paths.ts";
import { assertIsolatable } from "./_protocol.ts";
import { bindRpcFunction, type RpcFunction, type RpcMetadata } from "./_rpc_protocol.ts";
import { type IsolationOptions, PooledBackend, resolveIsolation } from "./isolate_native.ts";

/** Options of a subprocess plugin, beyond those of any isolated plugin. */
export interface ExecutableOptions extends IsolationOptions {
  /**
   * Arguments for the program (rpc mode).
   * @default []
   */
  args?: readonly string[];
  /**
   * Environment variables added to the host's.
   * @default {}
   */
  env?: Readonly<Record<string, string>>;
  /**
   * The longest line either side may write, in bytes; a longer line from
   * the program is a protocol error that kills it.
   * @default 1048576 (1 MiB)
   */
  maxLineBytes?: number;
  /**
   * Start the program through the launcher, so that it and everything it
   * starts die with the host, even on SIGKILL (Linux; about 30 ms more at
   * start, nothing per call).
   * @default true on Linux
   */
  launcher?: boolean;
}

/**
 * Start a checked subprocess plugin.
 *
 * @param candidate what `checkPlugin` returned for the program
 * @param options timeouts, restarts, pool, log, arguments, environment
 * @param path the path as the caller gave it
 * @returns the handle, once the program's handshake matched its sidecar (rpc)
 * @throws {LoadError} `HANDSHAKE_FAILED`, `METADATA_MISMATCH`, `CHECKSUM_MISMATCH`, `PLUGIN_TIMEOUT`
 */
export async function isolateExecutable(
  candidate: PluginCandidate,
  options: ExecutableOptions,
  path: string = candidate.file.path,
): Promise<Plugin<"async">> {
  const o = resolveIsolation(options);
  const sidecar = formatOf(candidate).sidecar!;
  const sandbox = programSandbox(candidate.file, options.sandbox, path);
  const rpc = sidecar.rpc;
  const program = candidate.file.path;
  const sha256 = candidate.file.sha256;
  await ensureLauncherCached();
  // Only the sink's stderr lines reach the pool's log; the pool reports
  // crashes, timeouts and restarts itself.
  const quietLog = (onStderr: (line: string, pid: number) => void) => (r: LogRecord) => {
    if (r.event === "stderr") onStderr(r.message, r.pid as number);
  };
  if (rpc.mode === "oneshot") {
    const oneShot = new OneShotProgram(program, rpc, {
      env: options.env,
      sha256,
      timeoutMs: o.timeoutMs,
      maxOutputBytes: options.maxLineBytes,
      launcher: options.launcher,
      sandbox,
      log: o.log,
    });
    return new Plugin({
      candidate,
      backend: new OneShotBackend(oneShot, rpc, path),
      calls: "async",
      isolation: "process",
      path,
    });
  }
  const pool = new ProcessPool({
    path,
    plugin: { ...candidate.metadata, sha256 },
    size: o.pool,
    timeoutMs: o.timeoutMs,
    graceMs: o.graceMs,
    restart: o.restart,
    log: o.log,
    connect: (onEnd, onStderr) =>
      new RpcPoolConnection(
        new RpcConnection(program, {
          args: options.args,
          env: options.env,
          expected: rpc,
          sidecarPath: sidecar.path,
          sha256,
          startTimeoutMs: o.startTimeoutMs,
          closeGraceMs: o.graceMs,
          maxLineBytes: options.maxLineBytes,
          launcher: options.launcher,
          sandbox,
          log: quietLog(onStderr),
        }),
        rpc,
        path,
        onEnd,
      ),
  });
  await pool.start();
  return new Plugin({
    candidate,
    backend: new PooledBackend(pool, path),
    calls: "async",
    isolation: "process",
    path,
  });
}

/**
 * The launcher's sandbox for a program: it may execute the program and, for
 * a script, its interpreter (and read the interpreter's installation), read
 * the program's sidecar, and what the host grants. Without new processes the
 * launcher confines itself and becomes the program (execve). Also used to
 * run a program's describe mode confined (`plugboard describe --run`).
 *
 * @example Confining a program the host starts itself
 * ```ts ignore
 * import { readFile } from "../file/read_file.ts";
 *
 * const spec = programSandbox(readFile("plugins/rpc/calc_sub.sh"), true, "calc_sub.sh");
 * console.log(spec?.exec); // true: the launcher confines itself, then becomes the program
 * ```
 *
 * @param file the program as read: its real path and bytes (for a `#!` line)
 * @param option the host's option: `true` for the defaults, a policy, or nothing
 * @param path the program as the caller named it, for messages
 * @returns the spec for the launcher, or undefined when no sandbox was asked for
 * @throws {LoadError} `SANDBOX_UNAVAILABLE` when the kernel cannot enforce it
 */
export function programSandbox(
  file: Pick<PluginCandidate["file"], "realPath" | "bytes">,
  option: boolean | Sandbox | undefined,
  path: string,
): SandboxSpec | undefined {
  if (option === undefined || option === false) return undefined;
  const program = file.realPath;
  const interpreter = interpreterOf(file.bytes);
  const o: Sandbox = option === true ? {} : option;
  const resolved = resolveSandbox({
    ...o,
    read: [...(o.read ?? []), ...interpreter.map((i) => dirname(dirname(i)))],
  }, { path, realPath: program, execute: [program, ...interpreter] })!;
  return {
    module: SANDBOX_MODULE,
    policy: resolved.policy,
    options: {
      bestEffort: resolved.bestEffort,
      allowUnconfined: resolved.allowUnconfined,
      allowExec: !resolved.policy.processes,
      path,
    },
    exec: !resolved.policy.processes,
  };
}

/**
 * A script's interpreter from its `#!` line, with the program `env` runs
 * resolved in PATH: the files the kernel executes besides the script.
 */
function interpreterOf(bytes: Uint8Array): string[] {
  if (bytes[0] !== 0x23 || bytes[1] !== 0x21) return [];
  const end = bytes.indexOf(0x0a);
  const line = new TextDecoder().decode(
    bytes.subarray(2, end === -1 ? Math.min(bytes.length, 256) : end),
  );
  const [interpreter, arg] = line.trim().split(/\s+/);
  if (!interpreter) return [];
  const out = [realOrSelf(interpreter)];
  if (interpreter.endsWith("/env") && arg && !arg.startsWith("-")) {
    for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
      try {
        if (Deno.statSync(`${dir}/${arg}`).isFile) {
          out.push(realOrSelf(`${dir}/${arg}`));
          break;
        }
      } catch {
        // not in this directory
      }
    }
  }
  return out;
}

function realOrSelf(path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch {
    return path;
  }
}

/** A running rpc program as the process pool drives it. */
class RpcPoolConnection implements PoolConnection {
  #conn: RpcConnection;
  #rpc: RpcMetadata;
  #path: string;
  #fns = new Map<number, RpcFunction>();

  constructor(
    conn: RpcConnection,
    rpc: RpcMetadata,
    path: string,
    onEnd: (c: PoolConnection, end: ConnectionEnd) => void,
  ) {
    this.#conn = conn;
    this.#rpc = rpc;
    this.#path = path;
    conn.ended.then((end) => onEnd(this, { ...end, function: undefined }));
  }

  get pid(): number {
    return this.#conn.pid;
  }

  get alive(): boolean {
    return this.#conn.alive;
  }

  get pending(): number {
    return this.#conn.pending;
  }

  start(): Promise<void> {
    return this.#conn.start();
  }

  /** Functions need no binding in the program: a request names its function. */
  bind(fns: readonly PoolFunction[]): Promise<unknown> {
    for (const f of fns) this.#fns.set(f.index, bindRpcFunction(this.#rpc, f.sig, this.#path));
    return Promise.resolve();
  }

  call(f: PoolFunction, args: unknown[], timeoutMs: number): Promise<unknown> {
    let fn = this.#fns.get(f.index);
    if (!fn) {
      try {
        fn = bindRpcFunction(this.#rpc, f.sig, this.#path);
      } catch (e) {
        return Promise.reject(e);
      }
      this.#fns.set(f.index, fn);
    }
    return this.#conn.call(fn, args, timeoutMs);
  }

  async shutdown(): Promise<ConnectionEnd> {
    return { ...await this.#conn.close(), function: undefined };
  }

  async kill(): Promise<ConnectionEnd> {
    return { ...await this.#conn.kill(), function: undefined };
  }
}

/** A one-shot program as its handle sees it: each call runs it once. */
class OneShotBackend implements PluginBackend {
  #program: OneShotProgram;
  #rpc: RpcMetadata;
  #path: string;

  constructor(program: OneShotProgram, rpc: RpcMetadata, path: string) {
    this.#program = program;
    this.#rpc = rpc;
    this.#path = path;
  }

  checkBindable(sigs: readonly Signature[], path: string): void {
    for (const sig of sigs) assertIsolatable(sig, path);
  }

  bind(sigs: readonly Signature[], state: HandleState): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const sig of sigs) {
      const fn = bindRpcFunction(this.#rpc, sig, this.#path);
      const path = this.#path;
      out[sig.name] = Object.defineProperty(
        (...args: unknown[]) =>
          state.closed
            ? Promise.reject(
              new CallError("CLOSED", path, sig.name, "the plugin handle is closed", {
                hint: "open the plugin again; functions of a closed handle cannot be called",
              }),
            )
            : this.#program.call(fn, args),
        "name",
        { value: sig.name },
      );
    }
    return Object.freeze(out);
  }

  async close(): Promise<CloseResult> {
    await this.#program[Symbol.asyncDispose]();
    return { unloaded: true };
  }
}
