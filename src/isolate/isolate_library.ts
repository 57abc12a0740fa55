/**
 * `isolateLibrary()`: run an ordinary shared library (no plugboard metadata)
 * in child processes, with the signatures its caller declares, so that a
 * segfault, an `abort()`, an `exit()` or a hang in it (its constructors
 * included) cannot take the host down. `openLibrary(path, symbols,
 * { isolation: "process" })` comes here.
 *
 * The file goes through the same checks as in this process (`checkLibrary`:
 * the file, its format, each declared function exported), then each child
 * checks it again, refuses bytes whose SHA-256 differs from what the host
 * checked, and maps those bytes from a sealed memfd. The children are the
 * isolation children of native plugins, with the same timeouts, restarts,
 * pool, log and sandbox; every function returns a Promise.
 *
 * @module
 */

import { parseDeclarations } from "../abi/define_interface.ts";
import type { SignatureRecord } from "../abi/signature.ts";
import { checkLibrary } from "../check/check_plugin.ts";
import { PluginError } from "../errors/plugin_error.ts";
import { assertPlainSignatures, Library } from "../loader/open_library.ts";
import { assertIsolatable } from "./_protocol.ts";
import { type IsolationOptions, PooledBackend, startPool } from "./isolate_native.ts";

/**
 * Open an ordinary shared library in child processes. Declarations are
 * checked first (a pointer cannot cross a process boundary, `fallible` needs
 * plugboard's error channel: both `USAGE`), then the file and its declared
 * functions, then the children start and load it.
 *
 * The host needs `--allow-read` for the library (and for Deno's executable)
 * and `--allow-run` for Deno's executable (`Deno.execPath()`).
 *
 * @example A vendor library that may crash
 * ```ts ignore
 * import { isolateLibrary } from "./isolate_library.ts";
 *
 * await using lib = await isolateLibrary("vendor/libfoo.so", {
 *   add: "i32 add(i32 a, i32 b)",
 * }, { timeoutMs: 1000, restart: true });
 * console.log(await lib.symbols.add(2, 3)); // 5
 * ```
 *
 * @param path the library file (a path: a bare soname cannot be checked and pinned)
 * @param declarations function name to signature text
 * @param options timeouts, restarts, pool, log, sandbox, the permission check
 * @returns the library, once every child has loaded it
 * @throws {PluginError} `USAGE` for a soname, an option out of range, or a declaration that cannot be isolated
 * @throws {LoadError} `NOT_FOUND`, `NOT_ELF`, `SYMBOL_MISSING`, `SANDBOX_UNAVAILABLE`, `HANDSHAKE_FAILED`, `PLUGIN_TIMEOUT`...
 * @throws {CrashError} `PLUGIN_CRASHED` when the library crashes its child while loading
 */
export async function isolateLibrary<const F extends SignatureRecord>(
  path: string,
  declarations: F,
  options: IsolationOptions & { allowInsecurePermissions?: boolean } = {},
): Promise<Library<F, "async">> {
  const signatures = parseDeclarations(declarations);
  assertPlainSignatures(signatures.values(), path);
  for (const sig of signatures.values()) assertIsolatable(sig, path, "library");
  if (!path.includes("/")) {
    throw new PluginError(
      "USAGE",
      `Cannot isolate library ${
        JSON.stringify(path)
      }: expected a file path, found a soname that only the dynamic linker can resolve`,
      {
        path,
        hint: "pass the library's path (e.g. \"/usr/lib/x86_64-linux-gnu/" + path +
          '"), so its bytes can be checked and pinned',
      },
    );
  }
  const checked = checkLibrary(path, signatures.keys(), options);
  const pool = await startPool({
    path,
    file: checked.file,
    name: path.slice(path.lastIndexOf("/") + 1),
    version: "",
    load: {
      kind: "library",
      functions: [...signatures.keys()],
      load: "memfd",
      init: false,
      allowInsecurePermissions: options.allowInsecurePermissions ?? false,
    },
    options,
  });
  const backend = new PooledBackend(pool, path, "library");
  try {
    return new Library<F, "async">({
      path,
      signatures,
      backend,
      calls: "async",
      isolation: "process",
    });
  } catch (e) {
    await backend.close();
    throw e;
  }
}
