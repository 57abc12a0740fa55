// Generated from src/cli/_wasi_stubs.ts by tasks/dist.ts (deno task dist): do not edit.
export const WASI_MODULE = "wasi_snapshot_preview1";
export function wasiStubSource(imports) {
    const ctype = (t) => t === "i64" ? "int64_t" : t === "f32" ? "float" : t === "f64" ? "double" : "int32_t";
    const lines = [
        "/* WASI stubs written by plugboard build: this plugin imports no WASI. */",
        "#include <stdint.h>",
    ];
    for (const i of imports) {
        if (i.kind !== "function" || i.module !== WASI_MODULE || !/^\w+$/.test(i.name))
            continue;
        const params = i.type.params.map((t, k) => `${ctype(t)} a${k}`);
        const result = i.type.results.length ? ctype(i.type.results[0]) : "void";
        const unused = i.type.params.map((_, k) => `(void)a${k};`).join(" ");
        let body;
        if (i.name === "proc_exit") {
            body = `${unused} __builtin_trap();`;
        }
        else if (result === "void") {
            body = unused;
        }
        else if (i.name === "args_sizes_get" || i.name === "environ_sizes_get") {
            body = "*(int32_t *)(uintptr_t)a0 = 0; *(int32_t *)(uintptr_t)a1 = 0; return 0;";
        }
        else {
            body = `${unused} return ${i.name === "fd_prestat_get" ? 8 : 52};`;
        }
        lines.push(`__attribute__((visibility("hidden"))) ${result} __imported_${WASI_MODULE}_${i.name}(${params.length ? params.join(", ") : "void"}) { ${body} }`);
    }
    return lines.join("\n") + "\n";
}
