/**
 * `probePlugin()`: try an unknown plugin in a throwaway child process before
 * the host loads it, as GStreamer's plugin scanner does. The child loads the
 * plugin (its constructors and init hook run), then shuts it down (its
 * shutdown hook runs). A plugin that crashes or hangs on the way is recorded
 * in the quarantine list, keyed by the SHA-256 of its bytes, with the reason;
 * later probes of the same bytes answer from the list without running
 * anything, and a rebuilt file (new hash) is probed again.
 *
 * An ordinary shared library (no plugboard metadata: a vendor's `.so`) is
 * probed the same way, as a plain library: the child maps it (its ELF
 * constructors run), then unloads it (its destructors run), so a library
 * whose constructor segfaults is quarantined with the signal rather than
 * refused as `NOT_A_PLUGIN` before anything is tried.
 *
 * @module
 */

import { resolve } from "../file/paths.ts";
import {
  checkLibrary,
  type CheckOptions,
  checkPlugin,
  type PluginCandidate,
} from "../check/check_plugin.ts";
import { compileWasm, type WasmOptions } from "../loader/open_wasm.ts";
import { WorkerConnection } from "./_wasm_connection.ts";
import { wasmStart } from "./isolate_wasm.ts";
import type { ElfInfo } from "../elf/read_elf.ts";
import { PluginError } from "../errors/plugin_error.ts";
import type { ReadFile } from "../file/read_file.ts";
import { logRecord, type LogSink } from "../log/log_record.ts";
import {
  childCommand,
  ChildConnection,
  type ConnectionEnd,
  ensureChildCached,
} from "./_connection.ts";
import type { LoadRequest } from "./_protocol.ts";
import { type ResolvedSandbox, resolveSandbox, type Sandbox } from "./sandbox.ts";
import {
  openQuarantine,
  type Quarantine,
  quarantinedError,
  type QuarantineReason,
  type QuarantineRecord,
} from "./quarantine.ts";

/** Options of {@linkcode probePlugin}: the checks of openPlugin, and the probe's own. */
export interface ProbePluginOptions extends CheckOptions {
  /**
   * The quarantine list to consult and to add crashing or hanging plugins
   * to: a {@linkcode Quarantine}, a file path, or `false` for none.
   * @default openQuarantine() (the default file)
   */
  quarantine?: Quarantine | string | false;
  /**
   * How long starting the child and loading the plugin may take, and again
   * how long shutting it down may take, before it counts as hung.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * Probe a file even when its hash is quarantined (a clean probe does not
   * remove the record; `Quarantine.remove` does).
   * @default false
   */
  force?: boolean;
  /**
   * Confine the throwaway child with the OS sandbox before the plugin's
   * code runs (it may read its own file and the system's libraries, no
   * network, no new processes): an unknown plugin is probed confined. A
   * sandbox the kernel cannot enforce is refused with `SANDBOX_UNAVAILABLE`
   * unless it says `allowUnconfined`; `false` probes unconfined.
   * @default true
   */
  sandbox?: boolean | Sandbox;
  /**
   * The sandbox of a WebAssembly plugin (its memory limit and WASI grants),
   * which loads in a Worker rather than a child process.
   * @default {}
   */
  wasm?: WasmOptions;
  /**
   * Where the child's stderr lines go (event `stderr`).
   * @default nowhere (they are kept in the result's `stderrTail`)
   */
  log?: LogSink;
}

/**
 * The verdict of a probe: `ok` loaded and shut down cleanly; `crashed` or
 * `hung` (now quarantined); `refused` by a check or by the plugin itself
 * (e.g. `INIT_FAILED`; not quarantined); `quarantined` already, so not run.
 */
export type ProbeStatus = "ok" | "crashed" | "hung" | "refused" | "quarantined";

/** What {@linkcode probePlugin} found. */
export interface ProbeResult {
  /** The path as given. */
  readonly path: string;
  /** SHA-256 of the file's bytes, when it could be read. */
  readonly sha256: string | undefined;
  /** The plugin's name and version, when its metadata could be read. */
  readonly plugin: { readonly name: string; readonly version: string } | undefined;
  /**
   * Set when the file is a plain library (an ELF shared object with no
   * plugboard metadata), probed as such: how many functions it exports.
   */
  readonly library: { readonly functions: number } | undefined;
  /** The verdict. */
  readonly status: ProbeStatus;
  /** Why, unless `ok`. */
  readonly error: PluginError | undefined;
  /** The quarantine record, for `crashed`, `hung` and `quarantined`. */
  readonly record: QuarantineRecord | undefined;
  /** The child's last stderr lines (empty when no child ran). */
  readonly stderrTail: readonly string[];
  /** How long the probe took, in milliseconds. */
  readonly durationMs: number;
}

/**
 * Probe a plugin in a throwaway child process. Never throws for what the
 * plugin does; the verdict is in the result.
 *
 * @example Loading only plugins that survive a probe
 * ```ts ignore
 * import { openPlugin } from "@plugboard/plugboard";
 * import { probePlugin } from "@plugboard/plugboard/isolate";
 *
 * for (const entry of Deno.readDirSync("plugins")) {
 *   const path = `plugins/${entry.name}`;
 *   const probe = await probePlugin(path, { timeoutMs: 5000 });
 *   if (probe.status === "ok") await openPlugin(path);
 *   else console.error(probe.error?.message);
 * }
 * ```
 *
 * @param path the plugin file
 * @param options quarantine list, timeout, force, interfaces, log sink
 * @returns the verdict, with the error and the quarantine record
 * @throws {LoadError} `HANDSHAKE_FAILED` when no child can be started at all (not the plugin's fault)
 * @throws {PluginError} `QUARANTINE_INVALID` when the quarantine list cannot be read
 */
export async function probePlugin(
  path: string,
  options: ProbePluginOptions = {},
): Promise<ProbeResult> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const result = (
    status: ProbeStatus,
    fields: Partial<ProbeResult> = {},
  ): ProbeResult =>
    Object.freeze({
      path,
      sha256: undefined,
      plugin: undefined,
      library: undefined,
      error: undefined,
      record: undefined,
      stderrTail: [],
      ...fields,
      status,
      durationMs: performance.now() - started,
    });

  let target: Target;
  let sandbox: ResolvedSandbox | undefined;
  try {
    target = checkTarget(path, options);
    // A WebAssembly plugin cannot reach the system at all (a Worker, no imports ungranted).
    sandbox = target.candidate?.kind === "wasm"
      ? undefined
      : resolveSandbox(options.sandbox ?? true, { path, realPath: target.file.realPath });
  } catch (e) {
    if (e instanceof PluginError) return result("refused", { error: e });
    throw e;
  }
  const { sha256, realPath } = target.file;
  const plugin = target.plugin;
  const library = target.library;
  const quarantine = options.quarantine === false
    ? undefined
    : typeof options.quarantine === "string"
    ? openQuarantine(options.quarantine)
    : options.quarantine ?? openQuarantine();
  const known = quarantine?.get(sha256);
  if (known && !options.force) {
    return result("quarantined", {
      sha256,
      plugin,
      library,
      record: known,
      error: quarantinedError(path, known),
      stderrTail: known.reason.stderrTail,
    });
  }

  const log = options.log;
  await ensureChildCached();
  let conn: ChildConnection | WorkerConnection;
  if (target.candidate?.kind === "wasm") {
    // A WebAssembly plugin cannot crash this process; a Worker can stop one that hangs.
    try {
      const compiled = compileWasm(target.candidate, options.wasm, true, path);
      conn = new WorkerConnection({
        path,
        start: wasmStart(target.candidate, compiled, path),
        startTimeoutMs: timeoutMs,
        interruptGraceMs: 1000,
        onOutput: undefined,
        onEnd: () => {},
      });
    } catch (e) {
      if (e instanceof PluginError) return result("refused", { sha256, plugin, error: e });
      throw e;
    }
  } else {
    conn = new ChildConnection({
      ...childCommand(path, realPath),
      path,
      load: {
        ...target.load,
        path,
        sha256,
        load: "memfd",
        allowInsecurePermissions: options.allowInsecurePermissions ?? false,
        ...(sandbox ? { sandbox } : {}),
      },
      startTimeoutMs: timeoutMs,
      onStderr: (line, pid) =>
        log?.(logRecord("info", "stderr", line, {
          plugin: plugin?.name ?? path.slice(path.lastIndexOf("/") + 1),
          version: plugin?.version ?? "",
          path,
          sha256: sha256.slice(0, 12),
          pid,
        })),
      onEnd: () => {},
    });
  }
  let phase: "load" | "shutdown" = "load";
  let error: PluginError | undefined;
  let end: ConnectionEnd;
  try {
    await conn.start();
    phase = "shutdown";
    end = await conn.shutdown(timeoutMs);
    error = end.error;
  } catch (e) {
    end = await conn.kill();
    if (!(e instanceof PluginError)) throw e;
    if (e.code === "HANDSHAKE_FAILED") throw e;
    error = e;
  }
  const stderrTail = end.exit.stderrTail;
  const hung = error?.code === "PLUGIN_TIMEOUT" || (phase === "shutdown" && end.killed);
  const crashed = !hung && (error?.code === "PLUGIN_CRASHED" || error?.code === "PLUGIN_TRAPPED") ||
    (phase === "shutdown" && !end.killed && end.reason === "crash");
  if (!hung && !crashed) {
    return error
      ? result("refused", { sha256, plugin, library, error, stderrTail })
      : result("ok", { sha256, plugin, library, stderrTail });
  }
  const what = library ? "library" : "plugin";
  const subject = library ? "Library" : "Plugin";
  const summary = error?.summary ??
    (hung
      ? `${subject} "${path}" hung: expected the ${what} to shut down within ${timeoutMs} ms, found no exit`
      : `${subject} "${path}" crashed while shutting down`);
  const reason: QuarantineReason = {
    kind: hung ? "timeout" : "crash",
    phase,
    signal: end.exit.signal,
    signalNumber: end.exit.signalNumber,
    exitCode: end.exit.exitCode,
    stderrTail: [...stderrTail],
    message: summary,
  };
  const record: QuarantineRecord = {
    sha256,
    path: resolve(path),
    ...(plugin ? { name: plugin.name, version: plugin.version } : {}),
    reason,
    time: new Date().toISOString(),
  };
  quarantine?.add(record);
  return result(hung ? "hung" : "crashed", {
    sha256,
    plugin,
    library,
    record,
    error: error ?? new PluginError(hung ? "PLUGIN_TIMEOUT" : "PLUGIN_CRASHED", summary, { path }),
    stderrTail,
  });
}

/** What a probe runs: a checked plugin, or a checked plain library. */
interface Target {
  readonly file: ReadFile;
  /** The checked plugin, when the file is one. */
  readonly candidate: PluginCandidate | undefined;
  readonly plugin: { readonly name: string; readonly version: string } | undefined;
  readonly library: { readonly functions: number } | undefined;
  readonly load: Pick<LoadRequest, "kind" | "init">;
}

/**
 * Check a file as a plugin; one that is an ordinary shared library (refused
 * as `NOT_A_PLUGIN` for having no plugboard metadata) is checked as a plain
 * library instead, unless the caller asked for what only a plugin has
 * (interfaces, a registry or policy, a verify hook).
 */
function checkTarget(path: string, options: ProbePluginOptions): Target {
  try {
    const candidate = checkPlugin(path, options);
    return {
      file: candidate.file,
      candidate,
      plugin: Object.freeze({
        name: candidate.metadata.name,
        version: candidate.metadata.version,
      }),
      library: undefined,
      load: { kind: "plugin", init: true },
    };
  } catch (e) {
    const pluginOnly = options.interfaces?.length || options.registry !== undefined ||
      options.policy !== undefined || options.verify !== undefined;
    if (!(e instanceof PluginError) || e.code !== "NOT_A_PLUGIN" || pluginOnly) throw e;
    let checked;
    try {
      checked = checkLibrary(path, [], options);
    } catch {
      throw e; // not a shared library either: what it lacks is plugboard's metadata
    }
    return {
      file: checked.file,
      candidate: undefined,
      plugin: undefined,
      library: Object.freeze({ functions: exportedFunctions(checked.elf) }),
      load: { kind: "library", init: false },
    };
  }
}

/** The functions a shared object exports: defined, global or weak, visible. */
function exportedFunctions(elf: ElfInfo): number {
  return elf.symbols.filter((s) =>
    s.defined && s.binding !== "local" && (s.type === "func" || s.type === "ifunc") &&
    (s.visibility === "default" || s.visibility === "protected")
  ).length;
}
