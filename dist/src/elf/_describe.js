// Generated from src/elf/_describe.ts by tasks/dist.ts (deno task dist): do not edit.
export var describeNonElf = (function describeNonElf(bytes) {
    if (bytes.length === 0)
        return { found: "empty file", hint: DEFAULT_HINT };
    const head = bytes.subarray(0, 64);
    if (startsWith(head, [0x21, 0x3c, 0x61, 0x72, 0x63, 0x68, 0x3e, 0x0a])) {
        return {
            found: 'a static library archive (begins "!<arch>")',
            hint: "a static library (.a) cannot be loaded; build a shared library with " +
                "`cc -shared -fPIC -o plugin.so plugin.c`",
        };
    }
    if (startsWith(head, [0x00, 0x61, 0x73, 0x6d])) {
        return {
            found: "a WebAssembly module",
            hint: "load WebAssembly with WebAssembly.instantiate(), or build a native shared library " +
                "with `cc -shared -fPIC`",
        };
    }
    const otherOs = startsWith(head, [0x4d, 0x5a])
        ? 'a Windows PE file (begins "MZ")'
        : isMachO(head)
            ? "a Mach-O file (macOS)"
            : undefined;
    if (otherOs) {
        return {
            found: otherOs,
            hint: "this library was built for another operating system; build it on Linux with " +
                "`cc -shared -fPIC`",
        };
    }
    const text = asText(head);
    if (text !== undefined) {
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
});
var startsWith = (function startsWith(bytes, prefix) {
    if (bytes.length < prefix.length)
        return false;
    for (let i = 0; i < prefix.length; i++) {
        if (bytes[i] !== prefix[i])
            return false;
    }
    return true;
});
var isMachO = (function isMachO(head) {
    return startsWith(head, [0xfe, 0xed, 0xfa, 0xce]) ||
        startsWith(head, [0xfe, 0xed, 0xfa, 0xcf]) ||
        startsWith(head, [0xce, 0xfa, 0xed, 0xfe]) ||
        startsWith(head, [0xcf, 0xfa, 0xed, 0xfe]);
});
var asText = (function asText(head) {
    for (const b of head) {
        const printable = b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d ||
            (b >= 0x20 && b !== 0x7f);
        if (!printable)
            return undefined;
    }
    try {
        return new TextDecoder("utf-8", { fatal: true }).decode(head, {
            stream: true,
        });
    }
    catch {
        return undefined;
    }
});
const DEFAULT_HINT = "this is not a compiled shared library; build it with `cc -shared -fPIC -o plugin.so plugin.c`";
