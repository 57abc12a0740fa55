import assert from "node:assert/strict";
import { type ElfInfo, readElf } from "../../src/elf/read_elf.ts";
import { type ErrorCode, PluginError } from "../../src/errors/plugin_error.ts";
import { fixtures, layout } from "./_fixtures.ts";

const fx = await fixtures();

/** Cases per base file; the bases below make this about 12,000 inputs in all. */
const CASES_PER_BASE = 2_000;
const FIRST_SEED = 0x5eed_0000;
const ALLOWED: ReadonlySet<ErrorCode> = new Set([
  "NOT_ELF",
  "TRUNCATED",
  "MALFORMED",
  "WRONG_ELF_CLASS",
  "WRONG_ARCH",
  "NOT_SHARED_OBJECT",
]);

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

/** A field: its offset in the file and its width in bytes. */
type Field = [offset: number, width: 1 | 2 | 4 | 8];

/** Values that break parsers: zero, all ones, around the file size, huge. */
function nasty(rng: Rng, size: number, width: number): bigint {
  const max = (1n << BigInt(width * 8)) - 1n;
  const v = pick(rng, [
    0n,
    1n,
    0xffn,
    0xffffn,
    0xffff_ffffn,
    0xffff_ffff_ffff_ffffn,
    0x8000_0000_0000_0000n,
    0x7fff_ffffn,
    BigInt(size),
    BigInt(size - 1),
    BigInt(size + 1),
    BigInt(size - 8),
    BigInt(size - 64),
    BigInt(size) * 2n,
    BigInt(int(rng, 64)),
    BigInt(int(rng, size)),
    BigInt(int(rng, 0x1_0000_0000)),
    2n ** 53n,
    2n ** 32n,
  ]);
  return v & max;
}

function write(v: DataView, [offset, width]: Field, value: bigint) {
  if (offset + width > v.byteLength) return;
  if (width === 1) v.setUint8(offset, Number(value));
  else if (width === 2) v.setUint16(offset, Number(value), true);
  else if (width === 4) v.setUint32(offset, Number(value), true);
  else v.setBigUint64(offset, value, true);
}

interface Base {
  name: string;
  bytes: Uint8Array;
  /** Fields worth corrupting, by kind. */
  header: Field[];
  sections: Field[][];
  segments: Field[][];
  records: Field[][];
}

const HEADER_FIELDS: Field[] = [
  [4, 1], // EI_CLASS
  [5, 1], // EI_DATA
  [16, 2], // e_type
  [18, 2], // e_machine
  [32, 8], // e_phoff
  [40, 8], // e_shoff
  [54, 2], // e_phentsize
  [56, 2], // e_phnum
  [58, 2], // e_shentsize
  [60, 2], // e_shnum
  [62, 2], // e_shstrndx
];

function base(name: string, bytes: Uint8Array): Base {
  const b: Base = { name, bytes, header: HEADER_FIELDS, sections: [], segments: [], records: [] };
  if (bytes.length < 64 || bytes[4] !== 2) return b;
  const l = layout(bytes);
  for (const s of l.sections) {
    const h = s.headerOffset;
    // sh_name, sh_type, sh_offset, sh_size, sh_link, sh_info, sh_addralign, sh_entsize
    b.sections.push([[h, 4], [h + 4, 4], [h + 24, 8], [h + 32, 8], [h + 40, 4], [h + 44, 4], [
      h + 48,
      8,
    ], [h + 56, 8]]);
    if (s.type === 2 || s.type === 11) {
      // symbols: st_name, st_info, st_shndx, st_value, st_size
      for (let p = s.offset; p + 24 <= s.offset + s.size; p += 24) {
        b.records.push([[p, 4], [p + 4, 1], [p + 6, 2], [p + 8, 8], [p + 16, 8]]);
      }
    }
    if (s.type === 6) {
      // dynamic entries: d_tag, d_val
      for (let p = s.offset; p + 16 <= s.offset + s.size; p += 16) {
        b.records.push([[p, 8], [p + 8, 8]]);
      }
    }
    if (s.type === 7) {
      // notes: namesz, descsz, type
      const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let p = s.offset; p + 12 <= s.offset + s.size;) {
        b.records.push([[p, 4], [p + 4, 4], [p + 8, 4]]);
        p += 12 + Math.ceil(v.getUint32(p, true) / 4) * 4 +
          Math.ceil(v.getUint32(p + 4, true) / 4) * 4;
      }
    }
  }
  for (const p of l.segments) {
    const h = p.headerOffset;
    // p_type, p_flags, p_offset, p_vaddr, p_filesz, p_memsz, p_align
    b.segments.push([[h, 4], [h + 4, 4], [h + 8, 8], [h + 16, 8], [h + 32, 8], [h + 40, 8], [
      h + 48,
      8,
    ]]);
  }
  return b;
}

/** Make one input from a base; returns it and a description of what was done. */
function mutate(rng: Rng, b: Base): [Uint8Array, string] {
  const kinds = ["truncate", "flip", "header", "section", "segment", "record", "mix"] as const;
  const kind = pick(rng, kinds);
  if (kind === "truncate") {
    const n = int(rng, b.bytes.length + 1);
    return [b.bytes.subarray(0, n), `truncate to ${n}`];
  }
  const bytes = b.bytes.slice();
  const v = new DataView(bytes.buffer);
  const done: string[] = [];
  const steps = kind === "mix" ? 2 + int(rng, 3) : 1;
  for (let i = 0; i < steps; i++) {
    const k = kind === "mix" ? pick(rng, kinds.slice(1, -1)) : kind;
    if (k === "flip" || bytes.length < 64) {
      const flips = 1 + int(rng, 8);
      for (let j = 0; j < flips && bytes.length > 0; j++) {
        const at = int(rng, bytes.length);
        bytes[at] = rng() < 0.5 ? bytes[at] ^ (1 << int(rng, 8)) : int(rng, 256);
        done.push(`byte ${at}=${bytes[at]}`);
      }
      continue;
    }
    const groups = k === "header"
      ? [b.header]
      : k === "section"
      ? b.sections
      : k === "segment"
      ? b.segments
      : b.records;
    if (groups.length === 0) continue;
    const field = pick(rng, pick(rng, groups));
    const value = nasty(rng, bytes.length, field[1]);
    write(v, field, value);
    done.push(`${k} @${field[0]}/${field[1]}=${value}`);
  }
  return [bytes, `${kind}: ${done.join(", ")}`];
}

function checkInfo(info: ElfInfo, input: Uint8Array) {
  for (const s of [...info.symbols, ...info.localSymbols]) {
    assert.equal(typeof s.name, "string");
    assert.ok(s.name.length <= 4096, "symbol name longer than 4096");
    assert.ok(Number.isFinite(s.value) && Number.isFinite(s.size));
  }
  for (const n of info.notes) {
    assert.ok(n.owner.length <= 4096);
    assert.equal(n.desc.buffer, input.buffer, "note descriptors are views of the input");
    assert.ok(n.size >= 12 && n.offset >= 0 && n.offset + n.size <= input.length);
  }
  for (const name of info.needed) assert.ok(name.length <= 4096);
}

Deno.test("readElf() survives corrupt and truncated input", () => {
  const bareLib = fx.lib.slice();
  const bare = new DataView(bareLib.buffer);
  bare.setBigUint64(40, 0n, true);
  bare.setUint16(60, 0, true);
  bare.setUint16(62, 0, true);
  const bases = [
    base("lib.so", fx.lib),
    base("lib.so without section headers", bareLib),
    base("libsysv.so", fx.libSysvHash),
    base("pie", fx.pie),
    base("plugin.o", fx.obj),
    base("notes.txt", fx.text),
  ];
  const start = performance.now();
  const outcomes = new Map<string, number>();
  let slowest = 0;
  let n = 0;
  for (const b of bases) {
    for (let i = 0; i < CASES_PER_BASE; i++, n++) {
      const seed = FIRST_SEED + n;
      const rng = mulberry32(seed);
      const [input, what] = mutate(rng, b);
      const requireSharedObject = rng() < 0.5;
      const where = `case ${n}, seed 0x${seed.toString(16)}, base ${b.name}, ${what}`;
      const t0 = performance.now();
      let outcome: string;
      try {
        const info = readElf(input, "fuzz.so", { requireSharedObject });
        checkInfo(info, input);
        outcome = "ok";
      } catch (err) {
        if (!(err instanceof PluginError)) {
          assert.fail(`readElf() threw ${err} (not a PluginError) at ${where}`);
        }
        assert.ok(ALLOWED.has(err.code), `unexpected code ${err.code} at ${where}`);
        assert.equal(err.cause, undefined, `safety net caught ${err.cause} at ${where}`);
        outcome = err.code;
      }
      const ms = performance.now() - t0;
      slowest = Math.max(slowest, ms);
      // A hang guard, not a performance claim: a hostile input must not make readElf spin.
      assert.ok(ms < 5_000, `readElf() took ${ms.toFixed(0)} ms at ${where}`);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
  }
  const elapsed = performance.now() - start;
  assert.ok(n >= 10_000);
  // Figures for people, with PLUGBOARD_TIMINGS=1; a test run prints nothing.
  if (Deno.env.get("PLUGBOARD_TIMINGS")) {
    console.log(
      `${n} inputs in ${elapsed.toFixed(0)} ms (slowest ${slowest.toFixed(2)} ms):`,
      Object.fromEntries([...outcomes].sort()),
    );
  }
  // Every kind of outcome the corpus should reach.
  for (const code of ["ok", "NOT_ELF", "TRUNCATED", "MALFORMED", "WRONG_ELF_CLASS", "WRONG_ARCH"]) {
    assert.ok((outcomes.get(code) ?? 0) > 0, `no input produced ${code}`);
  }
});
