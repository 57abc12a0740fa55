/**
 * The malformed-ELF generator of `tests/elf/fuzz_test.ts` and the hostile-input suite: one
 * seeded mutation of a well-formed ELF64 little-endian file (a truncation,
 * flipped bytes, a header field, a section or segment header field, a
 * symbol, dynamic entry or note record field, or a mix), set to values that
 * break parsers (zero, all ones, around the file size, huge). The same seed
 * and base always give the same bytes, so a failing attempt can be replayed.
 *
 * @module
 */

/** mulberry32: a small, fast, seeded PRNG returning numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
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

interface Fields {
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

const cache = new WeakMap<Uint8Array, Fields>();

/** The fields worth corrupting in a well-formed file. */
function fieldsOf(bytes: Uint8Array): Fields {
  const known = cache.get(bytes);
  if (known) return known;
  const f: Fields = { header: HEADER_FIELDS, sections: [], segments: [], records: [] };
  cache.set(bytes, f);
  if (bytes.length < 64 || bytes[4] !== 2) return f;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = (o: number) => Number(v.getBigUint64(o, true));
  const phoff = n(32), shoff = n(40);
  const phnum = v.getUint16(56, true), shnum = v.getUint16(60, true);
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * 64;
    const type = v.getUint32(h + 4, true);
    const offset = n(h + 24), size = n(h + 32);
    // sh_name, sh_type, sh_offset, sh_size, sh_link, sh_info, sh_addralign, sh_entsize
    f.sections.push([[h, 4], [h + 4, 4], [h + 24, 8], [h + 32, 8], [h + 40, 4], [h + 44, 4], [
      h + 48,
      8,
    ], [h + 56, 8]]);
    if (type === 2 || type === 11) {
      // symbols: st_name, st_info, st_shndx, st_value, st_size
      for (let p = offset; p + 24 <= offset + size; p += 24) {
        f.records.push([[p, 4], [p + 4, 1], [p + 6, 2], [p + 8, 8], [p + 16, 8]]);
      }
    }
    if (type === 6) {
      // dynamic entries: d_tag, d_val
      for (let p = offset; p + 16 <= offset + size; p += 16) f.records.push([[p, 8], [p + 8, 8]]);
    }
    if (type === 7) {
      // notes: namesz, descsz, type
      for (let p = offset; p + 12 <= offset + size;) {
        f.records.push([[p, 4], [p + 4, 4], [p + 8, 4]]);
        p += 12 + Math.ceil(v.getUint32(p, true) / 4) * 4 +
          Math.ceil(v.getUint32(p + 4, true) / 4) * 4;
      }
    }
  }
  for (let i = 0; i < phnum; i++) {
    const h = phoff + i * 56;
    // p_type, p_flags, p_offset, p_vaddr, p_filesz, p_memsz, p_align
    f.segments.push([[h, 4], [h + 4, 4], [h + 8, 8], [h + 16, 8], [h + 32, 8], [h + 40, 8], [
      h + 48,
      8,
    ]]);
  }
  return f;
}

/** The kinds of mutation. */
export const MUTATIONS = [
  "truncate",
  "flip",
  "header",
  "section",
  "segment",
  "record",
  "mix",
] as const;

/**
 * One mutation of a file.
 *
 * @example
 * ```ts ignore
 * const { bytes, what } = mutate(Deno.readFileSync("build/greeter.so"), 0x5eed);
 * ```
 *
 * @param base the well-formed file (not changed)
 * @param seed the seed
 * @returns the mutated copy and what was done
 */
export function mutate(base: Uint8Array, seed: number): { bytes: Uint8Array; what: string } {
  const rng = mulberry32(seed);
  const b = fieldsOf(base);
  const kind = pick(rng, MUTATIONS);
  if (kind === "truncate") {
    const n = int(rng, base.length + 1);
    return { bytes: base.slice(0, n), what: `truncate to ${n}` };
  }
  const bytes = base.slice();
  const v = new DataView(bytes.buffer);
  const done: string[] = [];
  const steps = kind === "mix" ? 2 + int(rng, 3) : 1;
  for (let i = 0; i < steps; i++) {
    const k = kind === "mix" ? pick(rng, MUTATIONS.slice(1, -1)) : kind;
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
  return { bytes, what: `${kind}: ${done.join(", ")}` };
}
