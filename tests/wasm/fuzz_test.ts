import assert from "node:assert/strict";
import { type ErrorCode, PluginError } from "../../src/errors/plugin_error.ts";
import { readWasm, type WasmInfo } from "../../src/wasm/read_wasm.ts";
import { fullModule, uleb } from "./_builder.ts";
import { NEEDS_TOOLCHAIN, sample } from "./_build.ts";

/** Random cases per base; with the truncations this is about 8,000 inputs. */
const CASES_PER_BASE = 1_000;
const FIRST_SEED = 0x3a5d_0000;
const ALLOWED: ReadonlySet<ErrorCode> = new Set(["NOT_WASM", "TRUNCATED", "MALFORMED"]);

/** mulberry32: a small, fast, seeded PRNG returning numbers in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const int = (rng: Rng, n: number) => Math.floor(rng() * n);
const pick = <T>(rng: Rng, items: readonly T[]): T => items[int(rng, items.length)];

/** Where a section is: its id byte, its size LEB128 and its content. */
interface SectionAt {
  id: number;
  sizeStart: number;
  contentStart: number;
  contentEnd: number;
}

/** The sections of a valid module. */
function sectionsOf(bytes: Uint8Array): SectionAt[] {
  const out: SectionAt[] = [];
  for (let p = 8; p < bytes.length;) {
    const id = bytes[p];
    let size = 0;
    let q = p + 1;
    for (let shift = 1;; shift *= 128) {
      size += (bytes[q] & 0x7f) * shift;
      if ((bytes[q++] & 0x80) === 0) break;
    }
    out.push({ id, sizeStart: p + 1, contentStart: q, contentEnd: q + size });
    p = q + size;
  }
  return out;
}

function lebLength(bytes: Uint8Array, at: number): number {
  let n = 1;
  while (at + n - 1 < bytes.length && bytes[at + n - 1] & 0x80 && n < 10) n++;
  return n;
}

function splice(
  bytes: Uint8Array,
  at: number,
  remove: number,
  insert: number[],
): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes.length - remove + insert.length);
  out.set(bytes.subarray(0, at));
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.length);
  return out;
}

/** LEB128 encodings that break readers. */
const BAD_LEBS: number[][] = [
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x00], // too long
  [0xff, 0xff, 0xff, 0xff, 0x7f], // more than 32 bits
  [0xff, 0xff, 0xff, 0xff, 0x0f], // 2^32-1
  [0x80], // runs into the next byte
  [0x80, 0x80, 0x80, 0x80, 0x00], // zero, padded
  [0x81, 0x80, 0x80, 0x80, 0x00], // one, padded
  [0xff, 0xff, 0xff, 0x07], // 2^28-1
];

interface Base {
  name: string;
  bytes: Uint8Array<ArrayBuffer>;
  sections: SectionAt[];
}

/** Make one input from a base; returns it and a description of what was done. */
function mutate(rng: Rng, b: Base): [Uint8Array<ArrayBuffer>, string] {
  const kinds = ["truncate", "flip", "leb", "size", "id", "splice", "mix"] as const;
  const kind = pick(rng, kinds);
  if (kind === "truncate") {
    const n = int(rng, b.bytes.length + 1);
    return [b.bytes.subarray(0, n), `truncate to ${n}`];
  }
  let bytes = b.bytes.slice();
  const done: string[] = [];
  const steps = kind === "mix" ? 2 + int(rng, 3) : 1;
  for (let i = 0; i < steps; i++) {
    const k = kind === "mix" ? pick(rng, kinds.slice(1, -1)) : kind;
    const s = pick(rng, b.sections);
    if (k === "flip" || s === undefined || s.contentEnd > bytes.length) {
      const flips = 1 + int(rng, 8);
      for (let j = 0; j < flips && bytes.length > 0; j++) {
        const at = int(rng, bytes.length);
        bytes[at] = rng() < 0.5 ? bytes[at] ^ (1 << int(rng, 8)) : int(rng, 256);
        done.push(`byte ${at}=${bytes[at]}`);
      }
    } else if (k === "leb") {
      // A count (the content's first byte) or any byte of the section.
      const at = rng() < 0.5
        ? s.contentStart
        : s.contentStart + int(rng, s.contentEnd - s.contentStart);
      const bad = pick(rng, BAD_LEBS);
      bytes = splice(bytes, at, Math.min(lebLength(bytes, at), bytes.length - at), bad);
      done.push(`leb @${at}=${bad.map((x) => x.toString(16)).join(" ")}`);
    } else if (k === "size") {
      const size = s.contentEnd - s.contentStart;
      const value = pick(rng, [
        0,
        1,
        size - 1,
        size + 1,
        size * 2,
        bytes.length,
        bytes.length - s.contentStart,
        0xffff_ffff,
        int(rng, 0x1_0000_0000),
      ]);
      const encoded = uleb(Math.max(0, value), rng() < 0.3 ? 5 : 0);
      bytes = splice(bytes, s.sizeStart, s.contentStart - s.sizeStart, encoded);
      done.push(`size of section ${s.id} @${s.sizeStart}=${value}`);
    } else if (k === "id") {
      const id = int(rng, 20);
      bytes[s.sizeStart - 1] = id;
      done.push(`id @${s.sizeStart - 1}=${id}`);
    } else {
      // Duplicate, drop or move a whole section.
      const whole = b.bytes.subarray(s.sizeStart - 1, s.contentEnd);
      const op = pick(rng, ["duplicate", "drop", "move"] as const);
      if (op === "drop") {
        bytes = splice(bytes, s.sizeStart - 1, whole.length, []);
      } else {
        const at = pick(rng, b.sections).sizeStart - 1;
        if (op === "move") bytes = splice(bytes, s.sizeStart - 1, whole.length, []);
        bytes = splice(bytes, Math.min(at, bytes.length), 0, [...whole]);
      }
      done.push(`${op} section ${s.id} @${s.sizeStart - 1}`);
    }
  }
  return [bytes, `${kind}: ${done.join(", ")}`];
}

function checkInfo(info: WasmInfo, input: Uint8Array) {
  for (const n of info.notes) {
    assert.equal(n.desc.buffer, input.buffer, "note descriptors are views of the input");
    assert.ok(n.size >= 12 && n.offset >= 8 && n.offset + n.size <= input.length);
  }
  for (const s of info.customSections) assert.ok(s.offset + s.size <= input.length);
  for (const d of info.dataSegments) assert.ok(d.fileOffset + d.size <= input.length);
  for (const e of info.exports) {
    if (e.kind === "function") assert.ok(info.types.includes(e.type));
  }
  assert.ok(info.summary.codeBytes <= input.length);
}

interface Outcome {
  outcome: string;
  ms: number;
  /** The error is about a record of a plugboard custom section. */
  inPlugboardSection: boolean;
}

function attempt(input: Uint8Array, where: () => string): Outcome {
  const t0 = performance.now();
  let outcome: string;
  let inPlugboardSection = false;
  try {
    checkInfo(readWasm(input, "fuzz.wasm"), input);
    outcome = "ok";
  } catch (err) {
    if (!(err instanceof PluginError)) {
      assert.fail(`readWasm() threw ${err} (not a PluginError) at ${where()}`);
    }
    assert.ok(ALLOWED.has(err.code), `unexpected code ${err.code} at ${where()}`);
    assert.equal(err.cause, undefined, `safety net caught ${err.cause} at ${where()}`);
    outcome = err.code;
    inPlugboardSection = / in the plugboard section at offset /.test(err.summary);
  }
  const ms = performance.now() - t0;
  assert.ok(ms < 100, `readWasm() took ${ms.toFixed(0)} ms at ${where()}`);
  return { outcome, ms, inPlugboardSection };
}

Deno.test("readWasm() survives corrupt and truncated modules", NEEDS_TOOLCHAIN, async () => {
  const bases: Base[] = [];
  const add = (name: string, bytes: Uint8Array<ArrayBuffer>) =>
    bases.push({ name, bytes, sections: sectionsOf(bytes) });
  add("hand-assembled", fullModule());
  for (const name of ["calc_add", "greeter", "myfunction"]) {
    add(`${name}.wasm`, await Deno.readFile(await sample(name)));
  }
  add("calc_add.nolibc.wasm", await Deno.readFile(await sample("calc_add", { libc: false })));

  const start = performance.now();
  const outcomes = new Map<string, number>();
  let slowest = 0;
  let n = 0;
  let engineAccepted = 0;
  const count = ({ outcome, ms }: Outcome) => {
    slowest = Math.max(slowest, ms);
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    n++;
  };
  // Every truncation of the two smallest bases.
  for (const b of [bases[0], bases[4]]) {
    for (let length = 0; length < b.bytes.length; length++) {
      count(attempt(b.bytes.subarray(0, length), () => `${b.name} truncated to ${length}`));
    }
  }
  for (const b of bases) {
    for (let i = 0; i < CASES_PER_BASE; i++) {
      const seed = FIRST_SEED + n;
      const [input, what] = mutate(mulberry32(seed), b);
      const where = () => `seed 0x${seed.toString(16)}, base ${b.name}, ${what}`;
      const result = attempt(input, where);
      count(result);
      // What the engine accepts, the reader must read (every 4th case: validating
      // costs), except a broken plugboard section: plugboard's own format is read
      // strictly, where engines ignore what custom sections hold.
      if (
        i % 4 === 0 && result.outcome !== "ok" && !result.inPlugboardSection &&
        WebAssembly.validate(input)
      ) {
        assert.fail(`V8 validates the module readWasm() refused at ${where()}`);
      }
      if (i % 4 === 0 && result.outcome === "ok") engineAccepted++;
    }
  }
  const elapsed = performance.now() - start;
  assert.ok(n >= 5_000, `${n} inputs`);
  // Figures for people, with PLUGBOARD_TIMINGS=1; a test run prints nothing.
  if (Deno.env.get("PLUGBOARD_TIMINGS")) {
    console.log(
      `${n} inputs in ${elapsed.toFixed(0)} ms (slowest ${slowest.toFixed(2)} ms):`,
      Object.fromEntries([...outcomes].sort()),
    );
  }
  for (const code of ["ok", "NOT_WASM", "TRUNCATED", "MALFORMED"]) {
    assert.ok((outcomes.get(code) ?? 0) > 0, `no input produced ${code}`);
  }
  assert.ok(engineAccepted > 0);
});
