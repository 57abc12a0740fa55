// @ts-self-types="../../../src/isolate/mod.ts"
// Generated from src/isolate/mod.ts by tasks/dist.ts (deno task dist): do not edit.
export { probePlugin, } from "./probe_plugin.js";
export { defaultQuarantinePath, describeQuarantineReason, openQuarantine, Quarantine, } from "./quarantine.js";
