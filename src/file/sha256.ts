/**
 * SHA-256 of bytes, the hash plugboard pins plugins by, without importing
 * `node:crypto` at start-up (it costs about 20 ms and 9 MiB before the first
 * hash: docs/performance.md).
 *
 * Up to {@linkcode NATIVE_FROM} bytes the digest is computed by a 1 KiB
 * WebAssembly module compiled from `tasks/sha256/sha256.c` (instantiated on
 * first use in about 0.1 ms; a few hundred MB/s). Larger inputs, where
 * native speed pays for Node's set-up, go to `node:crypto`, loaded then
 * through `process.getBuiltinModule` (synchronously), and so does every
 * input once it is loaded.
 *
 * @module
 */

import { SHA256_WASM } from "./_sha256_wasm.ts";
import { nodeCrypto, nodeCryptoLoaded } from "./node_crypto.ts";

/** From this many bytes on, the native hasher is worth loading. */
export const NATIVE_FROM: number = 4 * 1024 * 1024;

/** The module's exports (see tasks/sha256/sha256.c). */
interface Sha256Exports {
  memory: WebAssembly.Memory;
  init(): void;
  update(ptr: number, n: number): void;
  state(): number;
  heap(): number;
}

/** Bytes copied into the module's memory per `update` call. */
const CHUNK = 64 * 1024;

let wasm: Sha256Exports | undefined;

function instance(): Sha256Exports {
  if (wasm) return wasm;
  const bytes = Uint8Array.from(atob(SHA256_WASM), (c) => c.charCodeAt(0));
  const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), {})
    .exports as unknown as Sha256Exports;
  const needed = exports.heap() + CHUNK + 128;
  const have = exports.memory.buffer.byteLength;
  if (needed > have) exports.memory.grow(Math.ceil((needed - have) / 65536));
  wasm = exports;
  return exports;
}

/**
 * SHA-256 of bytes, hex.
 *
 * @example
 * ```ts
 * import { sha256Hex } from "./sha256.ts";
 *
 * console.log(sha256Hex(new TextEncoder().encode("abc")));
 * // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 * ```
 *
 * @param bytes the data
 * @returns the hex digest
 */
export function sha256Hex(bytes: Uint8Array): string {
  if (bytes.length >= NATIVE_FROM || nodeCryptoLoaded()) {
    return nodeCrypto().createHash("sha256").update(bytes).digest("hex");
  }
  const e = instance();
  e.init();
  const heap = e.heap();
  const whole = bytes.length - (bytes.length % 64);
  for (let off = 0; off < whole; off += CHUNK) {
    const n = Math.min(CHUNK, whole - off);
    new Uint8Array(e.memory.buffer, heap, n).set(bytes.subarray(off, off + n));
    e.update(heap, n);
  }
  // The padding: 0x80, zeros, and the length in bits as a big-endian u64.
  const rest = bytes.length - whole;
  const tail = new Uint8Array(e.memory.buffer, heap, rest < 56 ? 64 : 128);
  tail.fill(0);
  tail.set(bytes.subarray(whole));
  tail[rest] = 0x80;
  const view = new DataView(e.memory.buffer, heap, tail.length);
  const bits = bytes.length * 8;
  view.setUint32(tail.length - 8, Math.floor(bits / 2 ** 32));
  view.setUint32(tail.length - 4, bits >>> 0);
  e.update(heap, tail.length);
  const state = new Uint32Array(e.memory.buffer, e.state(), 8);
  let hex = "";
  for (let i = 0; i < 8; i++) hex += state[i].toString(16).padStart(8, "0");
  return hex;
}

/**
 * SHA-256 of a text's UTF-8 bytes, hex.
 *
 * @example
 * ```ts
 * import { sha256Text } from "./sha256.ts";
 *
 * console.log(sha256Text("abc").slice(0, 8)); // "ba7816bf"
 * ```
 *
 * @param text the text
 * @returns the hex digest
 */
export function sha256Text(text: string): string {
  return sha256Hex(new TextEncoder().encode(text));
}
