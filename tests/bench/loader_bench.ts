/**
 * In-process loader benchmarks: plugboard against raw `Deno.dlopen` calls of
 * the same C functions (plugins/noop.c, plugins/wide32.c). `deno task bench`
 * runs this file with the others under tests/bench/ and turns the results
 * into docs/performance.md; the rows it reads are picked by the names below.
 *
 * Call benchmarks run {@linkcode CALLS} calls per iteration (deno bench's own
 * per-iteration cost would otherwise dominate nanosecond calls), so their
 * times are per {@linkcode CALLS} calls. Open benchmarks time the open only;
 * the close of each iteration runs outside the timer.
 *
 * Besides timings, the file measures what the greet calls allocate (bytes
 * per call, and what stays after 1e6 calls and a full GC) and prints each
 * figure on stderr as `plugboard-metric {json}`; run with
 * `--v8-flags=--expose-gc` for the GC-dependent figures.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { defineInterface, openLibrary, openPluginSync } from "../../mod.ts";
import { readMetadata } from "../../src/abi/read_metadata.ts";
import { readElf } from "../../src/elf/read_elf.ts";
import { closeFd, sealedCopy } from "../../src/loader/_memfd.ts";
import { readFile as readPluginFile } from "../../src/file/read_file.ts";
import { sha256Hex } from "../../src/file/sha256.ts";
import { checkPlugin } from "../../src/check/check_plugin.ts";
import { loadNative } from "../../src/loader/open_native.ts";
import { BUILD, fixture, plugin } from "../_paths.ts";

/** Calls per iteration of every call benchmark. */
export const CALLS = 10_000;

const NOOP = plugin("noop");
const WIDE = plugin("wide32");

// Private copies for the open benchmarks: a file that is already open (as
// NOOP is, below) is shared, not loaded again. Copied to a temporary name
// and renamed, never overwritten in place (a process that has the old file
// mapped would crash).
function privateCopy(path: string): string {
  const dir = `${BUILD}/bench`;
  Deno.mkdirSync(dir, { recursive: true });
  const out = `${dir}/${path.slice(path.lastIndexOf("/") + 1)}`;
  Deno.copyFileSync(path, `${out}.tmp-${Deno.pid}`);
  Deno.renameSync(`${out}.tmp-${Deno.pid}`, out);
  return out;
}
const NOOP_COPY = privateCopy(NOOP);
const WIDE_COPY = privateCopy(WIDE);

// Copies whose bytes were never seen before (a distinct suffix after the ELF
// data, which the loader ignores): every open of one of them parses the file
// afresh, as the first open of a new build does.
const COLD_OPENS = 300;
function coldCopies(path: string): string[] {
  const dir = `${BUILD}/bench/cold`;
  Deno.mkdirSync(dir, { recursive: true });
  const bytes = Deno.readFileSync(path);
  const name = path.slice(path.lastIndexOf("/") + 1, -3);
  const stamp = `${Deno.pid}-${Date.now()}`;
  return Array.from({ length: COLD_OPENS * 2 }, (_, i) => {
    const out = `${dir}/${name}-${i}.so`;
    const data = new Uint8Array(bytes.length + 32);
    data.set(bytes);
    data.set(new TextEncoder().encode(`${stamp}-${i}`.padEnd(32).slice(0, 32)), bytes.length);
    Deno.writeFileSync(`${out}.tmp`, data);
    Deno.renameSync(`${out}.tmp`, out);
    return out;
  });
}
const NOOP_COLD = coldCopies(NOOP);
const WIDE_COLD = coldCopies(WIDE);

const Bench = defineInterface("bench", "1.0", {
  noop: "void noop()",
  add: "i32 add(i32 a, i32 b)",
  upper: "usize upper(buffer data, usize len)",
  greet: "cstring greet(cstring name)",
});

const wideNames = Array.from({ length: 32 }, (_, i) => `f${String(i).padStart(2, "0")}`);
const Wide = defineInterface(
  "wide",
  "1.0",
  Object.fromEntries(wideNames.map((n) => [n, `i32 ${n}(i32 x)`])) as Record<
    string,
    "i32 f(i32 x)"
  >,
);

const RAW_SYMBOLS = {
  noop: { parameters: [], result: "void" },
  add: { parameters: ["i32", "i32"], result: "i32" },
  upper: { parameters: ["buffer", "usize"], result: "usize" },
  greet: { parameters: ["buffer"], result: "pointer" },
} as const;

// Both stay open for the whole run.
const raw = Deno.dlopen(NOOP, RAW_SYMBOLS).symbols;
const pb = openPluginSync(NOOP, { interfaces: [Bench] }).use(Bench);

let sink = 0;
/** Keep results alive so no loop is optimized away. */
function consume(x: unknown): void {
  if (x === sink) sink++;
}

// ---------------------------------------------------------------- calls

Deno.bench({
  name: "add: raw Deno FFI",
  group: "call add",
  baseline: true,
  fn(b) {
    let s = 0;
    b.start();
    for (let i = 0; i < CALLS; i++) s = raw.add(s, i) | 0;
    b.end();
    consume(s);
  },
});
Deno.bench({
  name: "add: plugboard",
  group: "call add",
  fn(b) {
    const add = pb.add;
    let s = 0;
    b.start();
    for (let i = 0; i < CALLS; i++) s = add(s, i) | 0;
    b.end();
    consume(s);
  },
});

Deno.bench({
  name: "noop: raw Deno FFI",
  group: "call noop",
  baseline: true,
  fn(b) {
    b.start();
    for (let i = 0; i < CALLS; i++) raw.noop();
    b.end();
  },
});
Deno.bench({
  name: "noop: plugboard",
  group: "call noop",
  fn(b) {
    const noop = pb.noop;
    b.start();
    for (let i = 0; i < CALLS; i++) noop();
    b.end();
  },
});

const text = new Uint8Array(64).fill(0x61);
const LEN = 64n;
let len = 64; // a plain number, as most callers pass it

Deno.bench({
  name: "upper 64 B: raw Deno FFI, bigint length",
  group: "call upper",
  baseline: true,
  fn(b) {
    let s = 0n;
    b.start();
    for (let i = 0; i < CALLS; i++) s += raw.upper(text, LEN);
    b.end();
    consume(s);
  },
});
Deno.bench({
  name: "upper 64 B: raw Deno FFI, number length",
  group: "call upper",
  fn(b) {
    let s = 0n;
    // Deno's types ask for a bigint; a number works, off the fast path.
    const upper = raw.upper as unknown as (data: Uint8Array, len: number) => bigint;
    b.start();
    for (let i = 0; i < CALLS; i++) s += upper(text, len);
    b.end();
    consume(s);
    len = 64;
  },
});
Deno.bench({
  name: "upper 64 B: plugboard, number length",
  group: "call upper",
  fn(b) {
    const upper = pb.upper;
    let s = 0n;
    b.start();
    for (let i = 0; i < CALLS; i++) s += upper(text, len);
    b.end();
    consume(s);
    len = 64;
  },
});
Deno.bench({
  name: "upper 64 B: plugboard, bigint length",
  group: "call upper",
  fn(b) {
    const upper = pb.upper;
    let s = 0n;
    b.start();
    for (let i = 0; i < CALLS; i++) s += upper(text, LEN);
    b.end();
    consume(s);
  },
});

const encoder = new TextEncoder();
const nameBuf = new Uint8Array(256);
/** What a careful raw-FFI caller writes: encodeInto a reused buffer, then getCString. */
function rawGreet(name: string): string {
  const { written } = encoder.encodeInto(name, nameBuf);
  nameBuf[written] = 0;
  return Deno.UnsafePointerView.getCString(raw.greet(nameBuf)!);
}
/** The plain raw-FFI way: a new encoded buffer per call. */
function rawGreetEncode(name: string): string {
  return Deno.UnsafePointerView.getCString(raw.greet(encoder.encode(name + "\0"))!);
}
const names = Array.from({ length: 64 }, (_, i) => `user${i}`);

Deno.bench({
  name: "greet: raw Deno FFI, encodeInto + getCString",
  group: "call greet",
  baseline: true,
  fn(b) {
    let s = "";
    b.start();
    for (let i = 0; i < CALLS; i++) s = rawGreet("World");
    b.end();
    consume(s);
  },
});
Deno.bench({
  name: "greet: raw Deno FFI, encode per call + getCString",
  group: "call greet",
  fn(b) {
    let s = "";
    b.start();
    for (let i = 0; i < CALLS; i++) s = rawGreetEncode("World");
    b.end();
    consume(s);
  },
});
Deno.bench({
  name: "greet: plugboard",
  group: "call greet",
  fn(b) {
    const greet = pb.greet;
    let s: string | null = "";
    b.start();
    for (let i = 0; i < CALLS; i++) s = greet("World");
    b.end();
    consume(s);
  },
});
Deno.bench({
  name: "greet 64 names: raw Deno FFI, encodeInto + getCString",
  group: "call greet 64 names",
  baseline: true,
  fn(b) {
    let s = "";
    b.start();
    for (let i = 0; i < CALLS; i++) s = rawGreet(names[i & 63]);
    b.end();
    consume(s);
  },
});
Deno.bench({
  name: "greet 64 names: plugboard",
  group: "call greet 64 names",
  fn(b) {
    const greet = pb.greet;
    let s: string | null = "";
    b.start();
    for (let i = 0; i < CALLS; i++) s = greet(names[i & 63]);
    b.end();
    consume(s);
  },
});

// The same greet without NAME__into (a plugin built before it, or by the Go
// or Rust SDK): plugboard reads the returned pointer.
const Texts = defineInterface("texts", "1.0", { greet: "cstring greet(cstring name)" });
const pointerGreet = openPluginSync(fixture("into_none"), { interfaces: [Texts] }).use(Texts).greet;
Deno.bench({
  name: "greet 64 names: plugboard, pointer path (no NAME__into)",
  group: "call greet 64 names",
  fn(b) {
    let s: string | null = "";
    b.start();
    for (let i = 0; i < CALLS; i++) s = pointerGreet(names[i & 63]);
    b.end();
    consume(s);
  },
});

// ------------------------------------ call patterns: (a) look up per call, (b) cached function, (c) cached handle

const handle = openPluginSync(NOOP, { interfaces: [Bench] });
Deno.bench({
  name: "pattern: raw Deno FFI, cached function",
  group: "patterns",
  baseline: true,
  fn(b) {
    let s = 0;
    b.start();
    for (let i = 0; i < CALLS; i++) s = raw.add(s, i) | 0;
    b.end();
    consume(s);
  },
});
Deno.bench({
  name: "pattern: plugboard, cached function",
  group: "patterns",
  fn(b) {
    const add = pb.add;
    let s = 0;
    b.start();
    for (let i = 0; i < CALLS; i++) s = add(s, i) | 0;
    b.end();
    consume(s);
  },
});
Deno.bench({
  name: "pattern: plugboard, look up per call",
  group: "patterns",
  fn(b) {
    let s = 0;
    b.start();
    for (let i = 0; i < CALLS; i++) s = (handle.function("add")(s, i) as number) | 0;
    b.end();
    consume(s);
  },
});
Deno.bench({
  name: "pattern: plugboard, cached handle",
  group: "patterns",
  fn(b) {
    let s = 0;
    b.start();
    for (let i = 0; i < CALLS; i++) s = handle.use(Bench).add(s, i) | 0;
    b.end();
    consume(s);
  },
});
// ---------------------------------------------------------------- hashing

const big = new Uint8Array(10 * 1024 * 1024);
for (let i = 0; i < big.length; i += 65536) crypto.getRandomValues(big.subarray(i, i + 65536));

// The native reference, in this process under the same load: OpenSSL's
// SHA256() through FFI, when libcrypto is installed.
const LIBCRYPTO = {
  SHA256: { parameters: ["buffer", "usize", "buffer"], result: "pointer" },
} as const;
let libcrypto: Deno.DynamicLibrary<typeof LIBCRYPTO> | undefined;
try {
  libcrypto = Deno.dlopen("libcrypto.so.3", LIBCRYPTO);
} catch {
  libcrypto = undefined;
}
const digest = new Uint8Array(32);
if (libcrypto) {
  const sha256 = libcrypto.symbols.SHA256;
  Deno.bench({
    name: "sha256 10 MiB: OpenSSL SHA256() via FFI",
    group: "hash",
    baseline: true,
    fn() {
      sha256(big, BigInt(big.length), digest);
    },
  });
}
Deno.bench({
  name: "sha256 10 MiB: plugboard (node:crypto)",
  group: "hash",
  fn() {
    consume(createHash("sha256").update(big).digest("hex"));
  },
});
Deno.bench({
  name: "sha256 10 MiB: crypto.subtle",
  group: "hash",
  async fn() {
    consume(await crypto.subtle.digest("SHA-256", big));
  },
});

// ---------------------------------------------------------------- open stages

// Where an open's time goes, stage by stage (noop.so), each alone and hot.
const noopBytes = Deno.readFileSync(NOOP);
const wideBytes = Deno.readFileSync(WIDE);
Deno.bench({
  name: "sha256 of noop.so (inside open)",
  group: "open",
  fn() {
    consume(sha256Hex(noopBytes));
  },
});
Deno.bench({
  name: "sha256 of wide32.so (inside open)",
  group: "open",
  fn() {
    consume(sha256Hex(wideBytes));
  },
});

Deno.bench({
  name: "stage: read, stat and hash the file",
  group: "open stages",
  fn() {
    consume(readPluginFile(NOOP));
  },
});
const noopElf = readElf(noopBytes, NOOP);
const wideElf = readElf(wideBytes, WIDE);
Deno.bench({
  name: "stage: readElf noop.so",
  group: "open stages",
  fn() {
    consume(readElf(noopBytes, NOOP));
  },
});
Deno.bench({
  name: "stage: readElf wide32.so",
  group: "open stages",
  fn() {
    consume(readElf(wideBytes, WIDE));
  },
});
Deno.bench({
  name: "stage: readMetadata noop.so",
  group: "open stages",
  fn() {
    consume(readMetadata(noopElf, NOOP));
  },
});
Deno.bench({
  name: "stage: readMetadata wide32.so",
  group: "open stages",
  fn() {
    consume(readMetadata(wideElf, WIDE));
  },
});
Deno.bench({
  name: "stage: sealed memfd copy (and close)",
  group: "open stages",
  fn() {
    closeFd(sealedCopy("bench", noopBytes).fd);
  },
});
// ---------------------------------------------------------------- open

// Every Deno.dlopen of a function symbol leaves its compiled trampoline in
// the process (Deno keeps symbol functions alive after close), which slows
// later loads a little: from here on every benchmark runs a fixed number of
// iterations, raw and plugboard alike, and the 32-symbol one runs last.

Deno.bench({
  name: "stage: dlopen the memfd, entry symbol only",
  n: 1000,
  warmup: 100,
  group: "open stages",
  fn(b) {
    const copy = sealedCopy("bench", noopBytes);
    b.start();
    const lib = Deno.dlopen(copy.path, { plugboard_entry: { type: "pointer" } });
    b.end();
    lib.close();
    closeFd(copy.fd);
  },
});
Deno.bench({
  name: "open: raw Deno.dlopen, 1 symbol",
  n: 1000,
  warmup: 100,
  group: "open",
  baseline: true,
  fn(b) {
    b.start();
    const lib = Deno.dlopen(NOOP_COPY, { add: RAW_SYMBOLS.add });
    b.end();
    lib.close();
  },
});
Deno.bench({
  name: "open noop (4 functions): plugboard",
  n: 1000,
  warmup: 100,
  group: "open",
  fn(b) {
    b.start();
    const p = openPluginSync(NOOP_COPY, { interfaces: [Bench] });
    b.end();
    p.close();
  },
});
Deno.bench({
  name: "open wide32 (32 functions): plugboard",
  n: 1000,
  warmup: 100,
  group: "open",
  fn(b) {
    b.start();
    const p = openPluginSync(WIDE_COPY, { interfaces: [Wide] });
    b.end();
    p.close();
  },
});
let noopCold = 0;
Deno.bench({
  name: "open noop (4 functions), new bytes: plugboard",
  n: COLD_OPENS,
  warmup: 10,
  group: "open",
  fn(b) {
    const path = NOOP_COLD[noopCold++ % NOOP_COLD.length];
    b.start();
    const p = openPluginSync(path, { interfaces: [Bench] });
    b.end();
    p.close();
  },
});
let wideCold = 0;
Deno.bench({
  name: "open wide32 (32 functions), new bytes: plugboard",
  n: COLD_OPENS,
  warmup: 10,
  group: "open",
  fn(b) {
    const path = WIDE_COLD[wideCold++ % WIDE_COLD.length];
    b.start();
    const p = openPluginSync(path, { interfaces: [Wide] });
    b.end();
    p.close();
  },
});
Deno.bench({
  name: "open noop, load: path: plugboard",
  n: 1000,
  warmup: 100,
  group: "open",
  fn(b) {
    b.start();
    const p = openPluginSync(NOOP_COPY, { interfaces: [Bench], load: "path" });
    b.end();
    p.close();
  },
});

Deno.bench({
  name: "stage: bind one function (dlopen of a loaded library)",
  n: 500,
  warmup: 50,
  group: "open stages",
  fn(b) {
    const keep = Deno.dlopen(NOOP_COPY, {});
    b.start();
    const lib = Deno.dlopen(NOOP_COPY, { add: RAW_SYMBOLS.add });
    b.end();
    lib.close();
    keep.close();
  },
});

Deno.bench({
  name: "open + first call: raw Deno.dlopen",
  n: 500,
  warmup: 50,
  group: "open and first call",
  baseline: true,
  fn(b) {
    b.start();
    const lib = Deno.dlopen(NOOP_COPY, { add: RAW_SYMBOLS.add });
    consume(lib.symbols.add(1, 2));
    b.end();
    lib.close();
  },
});
Deno.bench({
  name: "open + use + first call, noop: plugboard",
  n: 500,
  warmup: 50,
  group: "open and first call",
  fn(b) {
    b.start();
    const p = openPluginSync(NOOP_COPY, { interfaces: [Bench] });
    consume(p.use(Bench).add(1, 2));
    b.end();
    p.close();
  },
});
Deno.bench({
  name: "open + use + first call, wide32: plugboard",
  n: 500,
  warmup: 50,
  group: "open and first call",
  fn(b) {
    b.start();
    const p = openPluginSync(WIDE_COPY, { interfaces: [Wide] });
    consume(p.use(Wide).f31(1));
    b.end();
    p.close();
  },
});

// Where an open's time goes, stage by stage (noop.so).
// ---------------------------------------------------- call patterns: (d) open, call, close per call

Deno.bench({
  name: "pattern: raw Deno FFI, dlopen per call",
  n: 500,
  warmup: 50,
  group: "open per call",
  baseline: true,
  fn() {
    const lib = Deno.dlopen(NOOP_COPY, { add: RAW_SYMBOLS.add });
    consume(lib.symbols.add(1, 2));
    lib.close();
  },
});
Deno.bench({
  name: "pattern: plugboard, open per call",
  n: 500,
  warmup: 50,
  group: "open per call",
  fn() {
    using p = openPluginSync(NOOP_COPY, { interfaces: [Bench] });
    consume(p.use(Bench).add(1, 2));
  },
});

Deno.bench({
  name: "pattern: openLibrary, open per call",
  n: 500,
  warmup: 50,
  group: "open per call",
  fn() {
    using lib = openLibrary(NOOP_COPY, { add: "i32 add(i32 a, i32 b)" });
    consume(lib.symbols.add(1, 2));
  },
});

Deno.bench({
  name: "open: raw Deno.dlopen, 32 symbols (wide32)",
  n: 50,
  warmup: 5,
  group: "open, every symbol bound up front",
  fn(b) {
    const decls = Object.fromEntries(
      wideNames.map((n) => [n, { parameters: ["i32"], result: "i32" } as const]),
    );
    b.start();
    const lib = Deno.dlopen(WIDE_COPY, decls);
    b.end();
    lib.close();
  },
});

// ---------------------------------------------------------------- allocation

// deno-lint-ignore no-explicit-any
const gc = (globalThis as any).gc as (() => void) | undefined;

/** Bytes allocated per call: the smallest heap growth over 10,000 calls with no GC in between. */
function bytesPerCall(fn: (n: number) => void): number {
  fn(50_000);
  let best = Infinity;
  for (let r = 0; r < 9; r++) {
    gc?.();
    const before = Deno.memoryUsage().heapUsed;
    fn(10_000);
    const after = Deno.memoryUsage().heapUsed;
    if (after >= before) best = Math.min(best, (after - before) / 10_000);
  }
  return best === Infinity ? NaN : Math.round(best * 10) / 10;
}

/** Heap growth that survives a full GC after 1e6 calls, in bytes (needs --expose-gc). */
function retainedAfter(fn: (n: number) => void): number {
  if (!gc) return NaN;
  fn(10_000);
  gc();
  const before = Deno.memoryUsage().heapUsed;
  fn(1_000_000);
  gc();
  return Deno.memoryUsage().heapUsed - before;
}

function metric(name: string, value: number, unit: string): void {
  console.error(`plugboard-metric ${JSON.stringify({ name, value, unit, gc: gc !== undefined })}`);
}

const greetPb = (n: number) => {
  const greet = pb.greet;
  for (let i = 0; i < n; i++) consume(greet("World"));
};
const greetRaw = (n: number) => {
  for (let i = 0; i < n; i++) consume(rawGreet("World"));
};
const greetRawEncode = (n: number) => {
  for (let i = 0; i < n; i++) consume(rawGreetEncode("World"));
};
const rawPointerOnly = (n: number) => {
  for (let i = 0; i < n; i++) consume(raw.greet(nameBuf));
};
metric("greet allocation: plugboard", bytesPerCall(greetPb), "B/call");
metric("greet allocation: raw Deno FFI, encodeInto + getCString", bytesPerCall(greetRaw), "B/call");
metric("greet allocation: raw Deno FFI, encode per call", bytesPerCall(greetRawEncode), "B/call");
metric(
  "greet allocation: raw Deno FFI, returned pointer only",
  bytesPerCall(rawPointerOnly),
  "B/call",
);
// A different text every call: the string returned is new each time. Its
// size is what making the same strings costs without any FFI (one
// String.fromCharCode of their bytes, as plugboard makes short ASCII ones).
const greetPb64 = (n: number) => {
  const greet = pb.greet;
  for (let i = 0; i < n; i++) consume(greet(names[i & 63]));
};
const resultBytes = names.map((n) => Array.from(encoder.encode(`Hello, ${n}`)));
const stringsAlone = (n: number) => {
  for (let i = 0; i < n; i++) {
    const b = resultBytes[i & 63];
    consume(
      b.length === 12
        ? String.fromCharCode(
          b[0],
          b[1],
          b[2],
          b[3],
          b[4],
          b[5],
          b[6],
          b[7],
          b[8],
          b[9],
          b[10],
          b[11],
        )
        : String.fromCharCode(
          b[0],
          b[1],
          b[2],
          b[3],
          b[4],
          b[5],
          b[6],
          b[7],
          b[8],
          b[9],
          b[10],
          b[11],
          b[12],
        ),
    );
  }
};
metric("greet 64 names allocation: plugboard", bytesPerCall(greetPb64), "B/call");
metric("greet 64 names allocation: the result strings alone", bytesPerCall(stringsAlone), "B/call");
metric("greet retained after 1e6 calls + GC: plugboard", retainedAfter(greetPb), "B");
metric("greet retained after 1e6 calls + GC: raw Deno FFI", retainedAfter(greetRaw), "B");

// ---------------------------------------------------------------- open, stage by stage

/**
 * Where an open's time goes: the stages openPlugin runs, timed one after the
 * other as an open runs them (each alone and hot, as the "stage:" benchmarks
 * do, they come out faster), on a private copy, N times; then the whole
 * openPlugin in the same loop, so that what the stages leave out shows.
 */
const STAGES = [
  "read, stat, check and hash",
  "ELF parse",
  "metadata parse",
  "sealed memfd copy",
  "dlopen of the memfd",
] as const;
function openStages(path: string, label: string): void {
  const N = 300;
  const total = STAGES.map(() => 0);
  let whole = 0;
  for (let i = 0; i < N + 30; i++) {
    const t = [performance.now()];
    const file = readPluginFile(path);
    t.push(performance.now());
    const elf = readElf(file.bytes, path);
    t.push(performance.now());
    readMetadata(elf, path);
    t.push(performance.now());
    const copy = sealedCopy(label, file.bytes);
    t.push(performance.now());
    const lib = Deno.dlopen(copy.path, { plugboard_entry: { type: "pointer" } });
    t.push(performance.now());
    lib.close();
    closeFd(copy.fd);
    // The whole open, in the same loop, for what the stages leave out.
    const before = performance.now();
    const p = openPluginSync(path);
    whole += performance.now() - before;
    p.close();
    if (i < 30) whole = 0;
    else STAGES.forEach((_, k) => total[k] += t[k + 1] - t[k]);
  }
  STAGES.forEach((stage, k) => {
    metric(`open stage in sequence, ${label}: ${stage}`, (total[k] * 1000) / N, "µs");
  });
  metric(`open stage in sequence, ${label}: whole openPlugin`, (whole * 1000) / N, "µs");
}
openStages(NOOP_COPY, "noop");
openStages(WIDE_COPY, "wide32");

/**
 * An open per call (the "open per call" rows), stage by stage, warm: the
 * check (the file read, compared with the bytes hashed last, the parse cache
 * hit), the load, binding the function on first read, its first call, close.
 */
function openPerCallStages(): void {
  const N = 300;
  const names = ["check", "load", "bind", "first call", "close"];
  const total = names.map(() => 0);
  for (let i = 0; i < N + 30; i++) {
    const t = [performance.now()];
    const candidate = checkPlugin(NOOP_COPY, { interfaces: [Bench] });
    t.push(performance.now());
    const p = loadNative(candidate);
    t.push(performance.now());
    const add = p.use(Bench).add;
    t.push(performance.now());
    consume(add(1, 2));
    t.push(performance.now());
    p.close();
    t.push(performance.now());
    if (i >= 30) names.forEach((_, k) => total[k] += t[k + 1] - t[k]);
  }
  names.forEach((name, k) => {
    metric(`open per call stage: ${name}`, (total[k] * 1000) / N, "µs");
  });
}
openPerCallStages();
