// @ts-self-types="../../../src/host/mod.ts"
// Generated from src/host/mod.ts by tasks/dist.ts (deno task dist): do not edit.
export { PluginHost, } from "./plugin_host.js";
export { HostedPlugin, } from "./hosted_plugin.js";
export { HostWatcher } from "./host_watcher.js";
export { logRecord } from "../log/log_record.js";
export { jsonLinesSink, prettySink } from "../log/sinks.js";
