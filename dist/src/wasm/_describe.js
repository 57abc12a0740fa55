// Generated from src/wasm/_describe.ts by tasks/dist.ts (deno task dist): do not edit.
const DEFAULT_HINT = "this is not a compiled WebAssembly module; build the plugin with " +
    "`clang --target=wasm32 -nostdlib -Wl,--no-entry -Wl,--export-table -o plugin.wasm plugin.c`";
export function describeNonWasm(bytes) {
    if (bytes.length === 0)
        return { found: "an empty file", hint: DEFAULT_HINT };
    const head = bytes.subarray(0, 64);
    if (startsWith(head, [0x7f, 0x45, 0x4c, 0x46])) {
        return {
            found: "an ELF file (a native library or program)",
            hint: "load a native plugin (.so) with openPlugin(), not as WebAssembly",
        };
    }
    const text = asText(head);
    if (text !== undefined) {
        if (/^\s*(;;[^\n]*\n\s*)*\(\s*(module|component)\b/.test(text)) {
            return {
                found: "WebAssembly text format (.wat)",
                hint: "assemble the text into a binary module first, e.g. with `wat2wasm` or " +
                    "`wasm-tools parse`",
            };
        }
        return {
            found: `text beginning ${JSON.stringify(Array.from(text).slice(0, 8).join(""))}`,
            hint: DEFAULT_HINT,
        };
    }
    const hex = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, "0"));
    const found = bytes.length < 4
        ? `only ${bytes.length} byte${bytes.length === 1 ? "" : "s"}: ${hex.join(" ")}`
        : `binary data beginning ${hex.join(" ")}`;
    return { found, hint: DEFAULT_HINT };
}
function startsWith(bytes, prefix) {
    if (bytes.length < prefix.length)
        return false;
    for (let i = 0; i < prefix.length; i++) {
        if (bytes[i] !== prefix[i])
            return false;
    }
    return true;
}
function asText(head) {
    for (const b of head) {
        const printable = b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d ||
            (b >= 0x20 && b !== 0x7f);
        if (!printable)
            return undefined;
    }
    try {
        return new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: true });
    }
    catch {
        return undefined;
    }
}
