/**
 * plugboard: load native C plugins into Deno safely and fast.
 *
 * A plugin is a shared library built against `native/plugboard.h`. Its
 * metadata (identity, ABI version, interfaces, signatures, build id,
 * compiler) sits in ELF notes that plugboard reads without running the file;
 * a mismatched build is refused, with expected, found and a fix, before any
 * of its code runs. Calls are typed from the declared signatures, and a call
 * after close throws instead of crashing.
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
 * @module
 */

export * from "./src/errors/plugin_error.ts";
export * from "./src/abi/abi_version.ts";
export * from "./src/abi/signature.ts";
export * from "./src/abi/read_metadata.ts";
export * from "./src/abi/define_interface.ts";
export * from "./src/elf/read_elf.ts";
export * from "./src/loader/open_plugin.ts";
export * from "./src/loader/open_library.ts";
export * from "./src/loader/inspect_plugin.ts";
export * from "./src/log/log_record.ts";
export * from "./src/log/sinks.ts";
export * from "./src/host/plugin_host.ts";
export * from "./src/host/hosted_plugin.ts";
export * from "./src/host/host_watcher.ts";
export * from "./src/registry/lockfile.ts";
export * from "./src/registry/registry.ts";
export * from "./src/registry/trust_policy.ts";
export * from "./src/registry/hash_cache.ts";
export * from "./src/registry/verify_files.ts";
export * from "./src/isolate/crash_error.ts";
export * from "./src/isolate/open_isolated_plugin.ts";
export * from "./src/isolate/open_exec_plugin.ts";
export * from "./src/isolate/probe_plugin.ts";
export * from "./src/isolate/quarantine.ts";
