/**
 * `@plugboard/plugboard/isolate`: trying unknown plugins where they cannot
 * hurt. {@linkcode probePlugin} loads a plugin in a throwaway child process
 * (its constructors, init and shutdown hooks run there); one that crashes or
 * hangs goes to a quarantine list keyed by the SHA-256 of its bytes, with the
 * reason, and is not run again until it is rebuilt or cleared.
 *
 * (To run a plugin in child processes for good, pass
 * `isolation: "process"` to `openPlugin` from the core entry point.)
 *
 * @example Probe before loading
 * ```ts ignore
 * import { openPlugin } from "@plugboard/plugboard";
 * import { probePlugin } from "@plugboard/plugboard/isolate";
 *
 * const probe = await probePlugin("plugins/unknown.so", { timeoutMs: 5000 });
 * if (probe.status === "ok") await openPlugin("plugins/unknown.so");
 * else console.error(probe.error?.message);
 * ```
 *
 * @example Where the quarantine list lives
 * ```ts
 * import { defaultQuarantinePath } from "@plugboard/plugboard/isolate";
 *
 * console.log(defaultQuarantinePath({ HOME: "/home/ada" }));
 * // /home/ada/.local/state/plugboard/quarantine.json
 * ```
 *
 * @module
 */

export {
  probePlugin,
  type ProbePluginOptions,
  type ProbeResult,
  type ProbeStatus,
} from "./probe_plugin.ts";
export {
  defaultQuarantinePath,
  describeQuarantineReason,
  openQuarantine,
  Quarantine,
  type QuarantineEnv,
  type QuarantineReason,
  type QuarantineRecord,
} from "./quarantine.ts";
