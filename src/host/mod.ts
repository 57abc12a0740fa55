/**
 * `@plugboard/plugboard/host`: a host of many plugins. A
 * {@linkcode PluginHost} finds plugins in search paths (given in code,
 * `PLUGBOARD_PATH`, or the CLI's `--dir`), checks each with the same
 * pipeline as `openPlugin`, loads the ones that provide its interfaces
 * (eagerly or on first use), skips the others with a log record naming the
 * file, the error code and the reason, reloads rebuilt files while calls go
 * on, and closes everything in reverse order.
 *
 * @example Every calculator operation of a directory
 * ```ts ignore
 * import { defineInterface } from "@plugboard/plugboard";
 * import { PluginHost, prettySink } from "@plugboard/plugboard/host";
 *
 * const CalcOp = defineInterface("calc.op", "1.0", {
 *   name: "cstring name()",
 *   apply: "fallible f64 apply(f64 a, f64 b)",
 * });
 * await using host = new PluginHost({ paths: ["build"], interfaces: [CalcOp], log: prettySink(console.error) });
 * await host.discover();
 * for (const p of host.plugins(CalcOp)) {
 *   const op = await p.use(CalcOp);
 *   console.log(op.name(), op.apply(6, 3));
 * }
 * ```
 *
 * @example A host over no paths finds nothing
 * ```ts
 * import { PluginHost } from "@plugboard/plugboard/host";
 *
 * await using host = new PluginHost({ env: false });
 * const summary = await host.discover();
 * console.log(summary.found, summary.loaded); // 0 0
 * ```
 *
 * @module
 */

export {
  type DiscoverySummary,
  type HostCloseResult,
  type HostLoadOptions,
  type HostMode,
  PluginHost,
  type PluginHostOptions,
  type RefreshSummary,
  type Rollout,
  type RolloutRule,
  type SelectOptions,
  type SkippedPlugin,
} from "./plugin_host.ts";
export {
  type HostedFunctions,
  HostedPlugin,
  type HostedState,
  type HostIsolation,
  type MaybeAsyncFunctionsOf,
} from "./hosted_plugin.ts";
export { HostWatcher, type WatchOptions } from "./host_watcher.ts";
export { type LogLevel, type LogRecord, logRecord, type LogSink } from "../log/log_record.ts";
export { jsonLinesSink, prettySink, type PrettySinkOptions } from "../log/sinks.ts";
