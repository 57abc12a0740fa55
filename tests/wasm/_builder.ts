/**
 * A small byte builder for hand-assembled WebAssembly modules: LEB128
 * integers, names, vectors, sections, note records. Every function returns
 * plain byte arrays so tests can splice and corrupt them freely.
 *
 * @module
 */

/** Byte lists: what the builders return and take. */
export type Bytes = number[];

/** Value type bytes. */
export const T = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
  funcref: 0x70,
  externref: 0x6f,
} as const;

/** Section ids. */
export const S = {
  custom: 0,
  type: 1,
  import: 2,
  function: 3,
  table: 4,
  memory: 5,
  global: 6,
  export: 7,
  start: 8,
  element: 9,
  code: 10,
  data: 11,
  dataCount: 12,
  tag: 13,
} as const;

/** The module header: magic and version 1. */
export const HEADER: Bytes = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** An unsigned LEB128 integer, minimal, or padded to `width` bytes. */
export function uleb(n: number, width = 0): Bytes {
  const out: Bytes = [];
  let v = n;
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v > 0 || out.length + 1 < width) b |= 0x80;
    out.push(b);
  } while (v > 0 || out.length < width);
  return out;
}

/** A signed LEB128 integer (|n| below 2**31), minimal. */
export function sleb(n: number): Bytes {
  const out: Bytes = [];
  let v = n | 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

/** A name: its UTF-8 length and bytes. */
export function str(s: string): Bytes {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
}

/** A vector: the count, then the items. */
export function vec(items: Bytes[]): Bytes {
  return [...uleb(items.length), ...items.flat()];
}

/** A section: id, size, content. */
export function section(id: number, content: Bytes): Bytes {
  return [id, ...uleb(content.length), ...content];
}

/** A custom section. */
export function custom(name: string, payload: Bytes): Bytes {
  return section(S.custom, [...str(name), ...payload]);
}

/** A module: the header, then the sections as given. */
export function module(...sections: Bytes[]): Uint8Array<ArrayBuffer> {
  return new Uint8Array([...HEADER, ...sections.flat()]);
}

/** A function type. */
export function funcType(params: number[], results: number[]): Bytes {
  return [0x60, ...uleb(params.length), ...params, ...uleb(results.length), ...results];
}

/** A u32, little-endian. */
export function u32(n: number): Bytes {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

function pad4(b: Bytes): Bytes {
  return [...b, ...Array((4 - (b.length % 4)) % 4).fill(0)];
}

/** An ELF note record as plugboard.h writes it: owner padded to 4, text and NUL padded to 4. */
export function note(type: number, text: string, owner = "plugboard"): Bytes {
  const name = [...new TextEncoder().encode(owner), 0];
  const desc = [...new TextEncoder().encode(text), 0];
  return [...u32(name.length), ...u32(desc.length), ...u32(type), ...pad4(name), ...pad4(desc)];
}

/** An `i32.const n; end` constant expression. */
export function i32Const(n: number): Bytes {
  return [0x41, ...sleb(n), 0x0b];
}

/** A function body with no locals that does nothing. */
export const EMPTY_BODY: Bytes = [0x02, 0x00, 0x0b];

/** A subsection of the name section. */
export function subsection(id: number, content: Bytes): Bytes {
  return [id, ...uleb(content.length), ...content];
}

/** A module with every kind of section, custom sections among them. */
export function fullModule(): Uint8Array<ArrayBuffer> {
  return module(
    custom("plugboard", [...note(1, "abi=1.0\nname=demo\n"), ...note(9, "x", "other")]),
    section(
      S.type,
      vec([
        funcType([], []),
        funcType([T.i32, T.i32], [T.i32]),
        funcType([T.f64], [T.f64, T.i32]),
        funcType([T.v128, T.funcref, T.externref, T.i64, T.f32], []),
      ]),
    ),
    section(
      S.import,
      vec([
        [...str("env"), ...str("log"), 0x00, ...uleb(1)],
        [...str("env"), ...str("table"), 0x01, T.funcref, 0x01, ...uleb(1), ...uleb(10)],
        [...str("env"), ...str("memory"), 0x02, 0x03, ...uleb(1), ...uleb(2)],
        [...str("env"), ...str("g"), 0x03, T.i32, 0x00],
        [...str("env"), ...str("oops"), 0x04, 0x00, ...uleb(3)],
      ]),
    ),
    section(S.function, vec([uleb(0), uleb(1), uleb(2)])),
    section(S.table, vec([[T.externref, 0x00, ...uleb(0)]])),
    section(S.memory, vec([[0x04, ...uleb(1)], [0x01, ...uleb(0), ...uleb(65536)]])),
    section(S.tag, vec([[0x00, ...uleb(0)]])),
    section(
      S.global,
      vec([
        [T.i64, 0x01, 0x42, 0x05, 0x0b],
        [T.f32, 0x00, 0x43, 0, 0, 0x80, 0x3f, 0x0b],
        [T.i32, 0x00, 0x23, 0x00, 0x41, 0x01, 0x6a, 0x0b],
      ]),
    ),
    section(
      S.export,
      vec([
        [...str("run"), 0x00, ...uleb(2)],
        [...str("log"), 0x00, ...uleb(0)],
        [...str("memory"), 0x02, ...uleb(0)],
        [...str("memory64"), 0x02, ...uleb(1)],
        [...str("also_memory"), 0x02, ...uleb(0)],
        [...str("refs"), 0x01, ...uleb(1)],
        [...str("counter"), 0x03, ...uleb(1)],
        [...str("oops"), 0x04, ...uleb(1)],
      ]),
    ),
    section(S.start, uleb(1)),
    section(
      S.element,
      vec([
        [0x00, ...i32Const(0), ...vec([uleb(1), uleb(2)])],
        [0x05, T.funcref, ...vec([[0xd2, 0x03, 0x0b], [0xd0, T.funcref, 0x0b]])],
      ]),
    ),
    section(S.dataCount, uleb(3)),
    section(S.code, vec([EMPTY_BODY, EMPTY_BODY, [0x04, 0x00, 0x01, 0x01, 0x0b]])),
    custom("name", [
      ...subsection(0, str("demo")),
      ...subsection(9, vec([[0, ...str(".rodata")], [2, ...str(".data")]])),
    ]),
    section(
      S.data,
      vec([
        [0x00, ...i32Const(1024), ...str("hello")],
        [0x01, ...str("xy")],
        [0x02, ...uleb(1), 0x23, 0x00, 0x0b, ...str("")],
      ]),
    ),
    custom("plugboard", note(3, "interface=demo\n")),
    custom("plugboard", []),
  );
}
