/**
 * plugboard: load plugins into Deno programs safely and fast.
 *
 * A plugin is a shared library built with plugboard's SDK (`plugboard.h`, or
 * the Rust or Go SDK; the contract is in docs/abi.md). Its metadata
 * (identity, ABI version, interfaces, signatures, build id, compiler) is read
 * without running the file; a mismatched build is refused, with expected,
 * found and a fix, before any of its code runs. Calls are typed from the
 * declared signatures, and a call after close throws instead of crashing.
 * The same handle serves a plugin in this process or in child processes
 * (`isolation: "process"`), where a crash or a hang cannot take the host
 * down.
 *
 * This entry point is the core: opening, checking and inspecting plugins.
 * Hosts of many plugins are in `@plugboard/plugboard/host`, the lockfile and
 * trust policies in `@plugboard/plugboard/registry`, probing and quarantine
 * in `@plugboard/plugboard/isolate`, the command line in
 * `@plugboard/plugboard/cli`.
 *
 * @example Calling a plugin through an interface
 * ```ts ignore
 * import { defineInterface, openPlugin } from "@plugboard/plugboard";
 *
 * const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" });
 * await using plugin = await openPlugin("build/greeter.so", { interfaces: [Greeter] });
 * console.log(plugin.use(Greeter).greet("World")); // "Hello, World"
 * ```
 *
 * @example Refusing what is not a plugin, without running it
 * ```ts
 * import { checkPlugin, PluginError } from "@plugboard/plugboard";
 *
 * try {
 *   checkPlugin("/nonexistent/plugin.so");
 * } catch (e) {
 *   if (e instanceof PluginError) console.log(e.code); // NOT_FOUND
 * }
 * ```
 *
 * @module
 */

export {
  type OpenIsolatedOptions,
  type OpenIsolatedSyncOptions,
  openPlugin,
  type OpenPluginOptions,
  openPluginSync,
  type OpenWorkerOptions,
} from "./src/open/open_plugin.ts";
export {
  type CallMode,
  type CloseResult,
  type CrashInfo,
  type FunctionByName,
  type FunctionsIn,
  type FunctionsOptions,
  type Isolation,
  type IsolationStatus,
  Plugin,
  type PluginVariable,
  type ProcessesState,
  type VariableType,
  type VariableValue,
} from "./src/handle/plugin.ts";
export type {
  IsolationOptions,
  NativeIsolationOptions,
  RestartOptions,
  Sandbox,
  TransportChoice,
} from "./src/isolate/isolate_native.ts";
export type { ExecutableOptions } from "./src/isolate/isolate_executable.ts";
export type { LoadMode, NativeLoadOptions } from "./src/loader/open_native.ts";
export type {
  WasiOptions,
  WasiPreopen,
  WasmLoadOptions,
  WasmOptions,
} from "./src/loader/open_wasm.ts";
export type { WasmWorkerOptions } from "./src/isolate/isolate_wasm.ts";
export { type CheckOptions, checkPlugin, type PluginCandidate } from "./src/check/check_plugin.ts";
export { inspectPlugin, type PluginReport } from "./src/check/inspect_plugin.ts";
export { Library, type OpenLibraryOptions } from "./src/loader/open_library.ts";
export { type OpenIsolatedLibraryOptions, openLibrary } from "./src/open/open_library.ts";
export {
  defineInterface,
  type DefineInterfaceOptions,
  type InterfaceSpec,
} from "./src/abi/define_interface.ts";
export { struct, type StructLayout, type StructType } from "./src/abi/struct_type.ts";
export type {
  AsyncFunctionsOf,
  FunctionsOf,
  Signature,
  SignatureRecord,
  TypeName,
} from "./src/abi/signature.ts";
export type { InterfaceInfo, PluginMetadata } from "./src/abi/read_metadata.ts";
export type { InterfaceIdentity, PluginIdentity, PluginKind } from "./src/abi/identity.ts";
export { type AbiVersion, HOST_ABI } from "./src/abi/abi_version.ts";
export {
  CallError,
  type ErrorCode,
  LoadError,
  type MismatchDetails,
  PluginError,
  type PluginErrorOptions,
} from "./src/errors/plugin_error.ts";
export { type ChildExit, type CrashDetails, CrashError } from "./src/errors/crash_error.ts";
