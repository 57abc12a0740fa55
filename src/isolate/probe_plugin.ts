/**
 * `probePlugin()`: try an unknown plugin in a throwaway child process before
 * the host loads it, as GStreamer's plugin scanner does. The child loads the
 * plugin (its constructors and init hook run), then shuts it down (its
 * shutdown hook runs). A plugin that crashes or hangs on the way is recorded
 * in the quarantine list, keyed by the SHA-256 of its bytes, with the reason;
 * later probes of the same bytes answer from the list without running
 * anything, and a rebuilt file (new hash) is probed again.
 *
 * @module
 */

import { resolve } from "node:path";
import type { PluginMetadata } from "../abi/read_metadata.ts";
import { type CheckOptions, checkPlugin, type PluginCandidate } from "../check/check_plugin.ts";
import { compileWasm, type WasmOptions } from "../loader/open_wasm.ts";
import { WorkerConnection } from "./_wasm_connection.ts";
import { wasmStart } from "./isolate_wasm.ts";
import { PluginError } from "../errors/plugin_error.ts";
import { logRecord, type LogSink } from "../log/log_record.ts";
import { childCommand, ChildConnection, type ConnectionEnd } from "./_connection.ts";
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
      error: undefined,
      record: undefined,
      stderrTail: [],
      ...fields,
      status,
      durationMs: performance.now() - started,
    });

  let sha256: string;
  let realPath: string;
  let metadata: PluginMetadata;
  let candidate: PluginCandidate;
  try {
    candidate = checkPlugin(path, options);
    sha256 = candidate.file.sha256;
    realPath = candidate.file.realPath;
    metadata = candidate.metadata;
  } catch (e) {
    if (e instanceof PluginError) return result("refused", { error: e });
    throw e;
  }
  const plugin = Object.freeze({ name: metadata.name, version: metadata.version });
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
      record: known,
      error: quarantinedError(path, known),
      stderrTail: known.reason.stderrTail,
    });
  }

  const log = options.log;
  let conn: ChildConnection | WorkerConnection;
  if (candidate.kind === "wasm") {
    // A WebAssembly plugin cannot crash this process; a Worker can stop one that hangs.
    try {
      const compiled = compileWasm(candidate, options.wasm, true, path);
      conn = new WorkerConnection({
        path,
        start: wasmStart(candidate, compiled, path),
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
        path,
        sha256,
        load: "memfd",
        init: true,
        allowInsecurePermissions: options.allowInsecurePermissions ?? false,
      },
      startTimeoutMs: timeoutMs,
      onStderr: (line, pid) =>
        log?.(logRecord("info", "stderr", line, {
          plugin: metadata.name,
          version: metadata.version,
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
      ? result("refused", { sha256, plugin, error, stderrTail })
      : result("ok", { sha256, plugin, stderrTail });
  }
  const summary = error?.summary ??
    (hung
      ? `Plugin "${path}" hung: expected the plugin to shut down within ${timeoutMs} ms, found no exit`
      : `Plugin "${path}" crashed while shutting down`);
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
    name: metadata.name,
    version: metadata.version,
    reason,
    time: new Date().toISOString(),
  };
  quarantine?.add(record);
  return result(hung ? "hung" : "crashed", {
    sha256,
    plugin,
    record,
    error: error ?? new PluginError(hung ? "PLUGIN_TIMEOUT" : "PLUGIN_CRASHED", summary, { path }),
    stderrTail,
  });
}
