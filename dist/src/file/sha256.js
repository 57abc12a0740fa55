// Generated from src/file/sha256.ts by tasks/dist.ts (deno task dist): do not edit.
import { SHA256_WASM } from "./_sha256_wasm.js";
import { nodeCrypto, nodeCryptoLoaded } from "./node_crypto.js";
var instance = (function instance() {
    if (wasm)
        return wasm;
    const bytes = Uint8Array.from(atob(SHA256_WASM), (c) => c.charCodeAt(0));
    const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), {})
        .exports;
    const needed = exports.heap() + CHUNK + 128;
    const have = exports.memory.buffer.byteLength;
    if (needed > have)
        exports.memory.grow(Math.ceil((needed - have) / 65536));
    wasm = exports;
    return exports;
});
export var sha256Hex = (function sha256Hex(bytes) {
    if (bytes.length >= NATIVE_FROM || nodeCryptoLoaded() || hashedElsewhere >= NATIVE_FROM) {
        return nodeCrypto().createHash("sha256").update(bytes).digest("hex");
    }
    hashedElsewhere += bytes.length;
    if (bytes.length < WASM_FROM && wasm === undefined)
        return sha256Js(bytes);
    const e = instance();
    e.init();
    const heap = e.heap();
    const whole = bytes.length - (bytes.length % 64);
    for (let off = 0; off < whole; off += CHUNK) {
        const n = Math.min(CHUNK, whole - off);
        new Uint8Array(e.memory.buffer, heap, n).set(bytes.subarray(off, off + n));
        e.update(heap, n);
    }
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
    for (let i = 0; i < 8; i++)
        hex += state[i].toString(16).padStart(8, "0");
    return hex;
});
export var sha256HexAsync = (async function sha256HexAsync(bytes) {
    if (bytes.length >= NATIVE_FROM || nodeCryptoLoaded())
        return sha256Hex(bytes);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    let hex = "";
    for (const b of digest)
        hex += b.toString(16).padStart(2, "0");
    return hex;
});
var sha256Js = (function sha256Js(bytes) {
    const h = new Uint32Array([
        0x6a09e667,
        0xbb67ae85,
        0x3c6ef372,
        0xa54ff53a,
        0x510e527f,
        0x9b05688c,
        0x1f83d9ab,
        0x5be0cd19,
    ]);
    const whole = bytes.length - (bytes.length % 64);
    const tail = new Uint8Array(bytes.length - whole < 56 ? 64 : 128);
    tail.set(bytes.subarray(whole));
    tail[bytes.length - whole] = 0x80;
    const view = new DataView(tail.buffer);
    const bits = bytes.length * 8;
    view.setUint32(tail.length - 8, Math.floor(bits / 2 ** 32));
    view.setUint32(tail.length - 4, bits >>> 0);
    const w = new Uint32Array(64);
    const block = (d, off) => {
        for (let i = 0; i < 16; i++)
            w[i] = d.getUint32(off + i * 4);
        for (let i = 16; i < 64; i++) {
            const a = w[i - 15], b = w[i - 2];
            const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
            const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
            w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
        }
        let a = h[0], b = h[1], c = h[2], d2 = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
        for (let i = 0; i < 64; i++) {
            const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
            const t1 = (hh + s1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
            const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
            const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
            hh = g;
            g = f;
            f = e;
            e = (d2 + t1) | 0;
            d2 = c;
            c = b;
            b = a;
            a = (t1 + t2) | 0;
        }
        h[0] += a;
        h[1] += b;
        h[2] += c;
        h[3] += d2;
        h[4] += e;
        h[5] += f;
        h[6] += g;
        h[7] += hh;
    };
    const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let off = 0; off < whole; off += 64)
        block(data, off);
    for (let off = 0; off < tail.length; off += 64)
        block(view, off);
    let hex = "";
    for (let i = 0; i < 8; i++)
        hex += h[i].toString(16).padStart(8, "0");
    return hex;
});
export var sha256Text = (function sha256Text(text) {
    return sha256Hex(new TextEncoder().encode(text));
});
export const NATIVE_FROM = 4 * 1024 * 1024;
export const WASM_FROM = 4 * 1024;
const CHUNK = 64 * 1024;
let wasm;
let hashedElsewhere = 0;
const K = new Uint32Array([
    0x428a2f98,
    0x71374491,
    0xb5c0fbcf,
    0xe9b5dba5,
    0x3956c25b,
    0x59f111f1,
    0x923f82a4,
    0xab1c5ed5,
    0xd807aa98,
    0x12835b01,
    0x243185be,
    0x550c7dc3,
    0x72be5d74,
    0x80deb1fe,
    0x9bdc06a7,
    0xc19bf174,
    0xe49b69c1,
    0xefbe4786,
    0x0fc19dc6,
    0x240ca1cc,
    0x2de92c6f,
    0x4a7484aa,
    0x5cb0a9dc,
    0x76f988da,
    0x983e5152,
    0xa831c66d,
    0xb00327c8,
    0xbf597fc7,
    0xc6e00bf3,
    0xd5a79147,
    0x06ca6351,
    0x14292967,
    0x27b70a85,
    0x2e1b2138,
    0x4d2c6dfc,
    0x53380d13,
    0x650a7354,
    0x766a0abb,
    0x81c2c92e,
    0x92722c85,
    0xa2bfe8a1,
    0xa81a664b,
    0xc24b8b70,
    0xc76c51a3,
    0xd192e819,
    0xd6990624,
    0xf40e3585,
    0x106aa070,
    0x19a4c116,
    0x1e376c08,
    0x2748774c,
    0x34b0bcb5,
    0x391c0cb3,
    0x4ed8aa4a,
    0x5b9cca4f,
    0x682e6ff3,
    0x748f82ee,
    0x78a5636f,
    0x84c87814,
    0x8cc70208,
    0x90befffa,
    0xa4506ceb,
    0xbef9a3f7,
    0xc67178f2,
]);
