/**
 * Describe the first bytes of a file that is not ELF, for the `found` part
 * of a `NOT_ELF` error, and say how to get a loadable library instead.
 *
 * @module
 */

const DEFAULT_HINT =
  "this is not a compiled shared library; build it with `cc -shared -fPIC -o plugin.so plugin.c`";

/** What a non-ELF file looks like and how to fix it. */
export interface NonElfDescription {
  /** E.g. `text beginning "hello wo"`, "empty file", "bytes 00 01 02 03". */
  found: string;
  /** How to get a loadable library. */
  hint: string;
}

/**
 * Describe a file whose first four bytes are not `\x7fELF`.
 *
 * @param bytes the whole file (only the first 64 bytes are looked at)
 * @returns what was found and a hint
 */
export function describeNonElf(bytes: Uint8Array): NonElfDescription {
  if (bytes.length === 0) return { found: "empty file", hint: DEFAULT_HINT };
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
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    if (bytes[i] !== prefix[i]) return false;
  }
  return true;
}

function isMachO(head: Uint8Array): boolean {
  return startsWith(head, [0xfe, 0xed, 0xfa, 0xce]) ||
    startsWith(head, [0xfe, 0xed, 0xfa, 0xcf]) ||
    startsWith(head, [0xce, 0xfa, 0xed, 0xfe]) ||
    startsWith(head, [0xcf, 0xfa, 0xed, 0xfe]);
}

/** The bytes as text if they are printable UTF-8 (a cut-off last character is fine). */
function asText(head: Uint8Array): string | undefined {
  for (const b of head) {
    const printable = b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d ||
      (b >= 0x20 && b !== 0x7f);
    if (!printable) return undefined;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(head, {
      stream: true,
    });
  } catch {
    return undefined;
  }
}
