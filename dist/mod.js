// @ts-self-types="../mod.ts"
// Generated from mod.ts by tasks/dist.ts (deno task dist): do not edit.
export { openPlugin, openPluginSync, } from "./src/open/open_plugin.js";
export { Plugin, } from "./src/handle/plugin.js";
export { checkPlugin } from "./src/check/check_plugin.js";
export { inspectPlugin } from "./src/check/inspect_plugin.js";
export { Library } from "./src/loader/open_library.js";
export { openLibrary } from "./src/open/open_library.js";
export { defineInterface, } from "./src/abi/define_interface.js";
export { struct } from "./src/abi/struct_type.js";
export { HOST_ABI } from "./src/abi/abi_version.js";
export { CallError, LoadError, PluginError, } from "./src/errors/plugin_error.js";
export { CrashError } from "./src/errors/crash_error.js";
