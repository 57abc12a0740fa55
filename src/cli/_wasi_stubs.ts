/**
 * Stubs for the WASI functions a C plugin built with wasi-libc imports, so
 * that by default a WebAssembly plugin imports nothing and runs without any
 * grant (docs/wasm.md): `plugboard build --target wasm32` links the module,
 * reads its imports, and links it again with these stubs.
 *
 * @module
 */

import type { WasmImport } from "../wasm/read_wasm.ts";

/** The module WASI preview 1 functions are imported from. */
export const WASI_MODULE = "wasi_snapshot_preview1";

/**
 * The C source of stubs for WASI imports: each defines the symbol wasi-libc
 * imports the function through (`__imported_wasi_snapshot_preview1_NAME`),
 * with the import's exact type, so the linker resolves it locally and the
 * module no longer imports it. Each fails with ENOSYS, except `proc_exit`
 * (traps), `fd_prestat_get` (EBADF: no preopened directories) and the two
 * `*_sizes_get` (no arguments, no environment).
 *
 * @example
 * ```ts
 * import { wasiStubSource } from "./_wasi_stubs.ts";
 *
 * const c = wasiStubSource([{
 *   module: "wasi_snapshot_preview1",
 *   name: "fd_close",
 *   kind: "function",
 *   typeIndex: 0,
 *   type: { params: ["i32"], results: ["i32"] },
 * }]);
 * console.log(c.includes("__imported_wasi_snapshot_preview1_fd_close")); // true
 * ```
 *
 * @param imports the module's WASI function imports
 * @returns the C source
 */
export function wasiStubSource(imports: readonly WasmImport[]): string {
  const ctype = (t: string) =>
    t === "i64" ? "int64_t" : t === "f32" ? "float" : t === "f64" ? "double" : "int32_t";
  const lines = [
    "/* WASI stubs written by plugboard build: this plugin imports no WASI. */",
    "#include <stdint.h>",
  ];
  for (const i of imports) {
    if (i.kind !== "function" || i.module !== WASI_MODULE || !/^\w+$/.test(i.name)) continue;
    const params = i.type.params.map((t, k) => `${ctype(t)} a${k}`);
    const result = i.type.results.length ? ctype(i.type.results[0]) : "void";
    const unused = i.type.params.map((_, k) => `(void)a${k};`).join(" ");
    let body: string;
    if (i.name === "proc_exit") {
      body = `${unused} __builtin_trap();`;
    } else if (result === "void") {
      body = unused;
    } else if (i.name === "args_sizes_get" || i.name === "environ_sizes_get") {
      body = "*(int32_t *)(uintptr_t)a0 = 0; *(int32_t *)(uintptr_t)a1 = 0; return 0;";
    } else {
      body = `${unused} return ${i.name === "fd_prestat_get" ? 8 : 52};`;
    }
    lines.push(
      `__attribute__((visibility("hidden"))) ${result} __imported_${WASI_MODULE}_${i.name}(${
        params.length ? params.join(", ") : "void"
      }) { ${body} }`,
    );
  }
  return lines.join("\n") + "\n";
}
