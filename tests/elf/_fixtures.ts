/**
 * Fixtures for the ELF reader tests: real files built with `cc` in a temporary
 * directory, read into memory, and a small independent ELF64 layout reader
 * the tests use to find the bytes they patch.
 *
 * @module
 */

/** A C plugin with one of each kind of symbol the tests look for, and a custom note. */
export const PLUGIN_C = `
#include <stdint.h>
#include <stdlib.h>

__attribute__((used, section(".note.plugboard"), aligned(4)))
static const struct { uint32_t namesz, descsz, type; char name[12]; char desc[8]; } n =
  { 10, 6, 1, "plugboard", "hello" };

int counter = 3;
__thread int tls_counter;

__attribute__((noinline)) static int helper(int x) { return x * 2; }
__attribute__((visibility("hidden"))) int hidden_fn(int x) { return helper(x) + 1; }
__attribute__((weak)) int maybe(void) { return 1; }

int greet(const char *who) {
  return (getenv(who) != 0) + hidden_fn(counter) + tls_counter + maybe();
}
`;

const MAIN_C = "int main(void) { return 0; }\n";
/** No includes, so that `cc -m32 -c` works without 32-bit headers. */
const PLAIN_C = "int value = 1;\nint get(void) { return value; }\n";

/** The files the tests read, as bytes. */
export interface Fixtures {
  /** `-shared -fPIC -Wl,-soname,libx.so.1 -Wl,--build-id=0x0123456789abcdef`. */
  lib: Uint8Array;
  /** `-shared -fPIC` with the default build id. */
  libDefault: Uint8Array;
  /** What `readelf -n` prints as the build id of `libDefault`. */
  libDefaultBuildId: string;
  /** `-shared -fPIC -s`: no .symtab. */
  libStripped: Uint8Array;
  /** `-shared -fPIC -Wl,--hash-style=sysv`: DT_HASH, no DT_GNU_HASH. */
  libSysvHash: Uint8Array;
  /** `-no-pie` executable. */
  exe: Uint8Array;
  /** Default (PIE) executable. */
  pie: Uint8Array;
  /** `-static-pie` executable (no PT_INTERP, DF_1_PIE), if the toolchain can build one. */
  staticPie: Uint8Array | undefined;
  /** `cc -c` of the plugin. */
  obj: Uint8Array;
  /** `cc -m32 -c`, or a hand-made ELFCLASS32 header if multilib is missing. */
  obj32: Uint8Array;
  /** Whether `obj32` came from the compiler. */
  obj32Built: boolean;
  /** A text file. */
  text: Uint8Array;
  /** An empty file. */
  empty: Uint8Array;
}

let cached: Promise<Fixtures> | undefined;

/**
 * Build the fixtures once per test file.
 *
 * @returns the fixtures' bytes
 */
export function fixtures(): Promise<Fixtures> {
  cached ??= build();
  return cached;
}

async function build(): Promise<Fixtures> {
  const dir = await Deno.makeTempDir({ prefix: "plugboard_elf_" });
  try {
    const at = (name: string) => `${dir}/${name}`;
    await Deno.writeTextFile(at("plugin.c"), PLUGIN_C);
    await Deno.writeTextFile(at("main.c"), MAIN_C);
    await Deno.writeTextFile(at("plain.c"), PLAIN_C);
    await Deno.writeTextFile(at("notes.txt"), "hello world, this is not a library\n");
    await Deno.writeFile(at("empty.so"), new Uint8Array());
    const so = ["-shared", "-fPIC", at("plugin.c"), "-o"];
    await Promise.all([
      cc(...so, at("lib.so"), "-Wl,-soname,libx.so.1", "-Wl,--build-id=0x0123456789abcdef"),
      cc(...so, at("libdefault.so")),
      cc(...so, at("libstripped.so"), "-s"),
      cc(...so, at("libsysv.so"), "-Wl,--hash-style=sysv"),
      cc("-no-pie", at("main.c"), "-o", at("exe")),
      cc("-pie", "-fPIE", at("main.c"), "-o", at("pie")),
      cc("-fPIC", "-c", at("plugin.c"), "-o", at("plugin.o")),
    ]);
    const staticPie = await cc("-static-pie", at("main.c"), "-o", at("spie")).then(
      () => Deno.readFile(at("spie")),
      () => undefined,
    );
    const obj32Built = await cc("-m32", "-c", at("plain.c"), "-o", at("plain32.o")).then(
      () => true,
      () => false,
    );
    const readelf = await new Deno.Command("readelf", { args: ["-n", at("libdefault.so")] })
      .output();
    const buildId = new TextDecoder().decode(readelf.stdout).match(/Build ID: ([0-9a-f]+)/);
    if (!buildId) throw new Error("readelf -n printed no build id");
    const read = (name: string) => Deno.readFile(at(name));
    return {
      lib: await read("lib.so"),
      libDefault: await read("libdefault.so"),
      libDefaultBuildId: buildId[1],
      libStripped: await read("libstripped.so"),
      libSysvHash: await read("libsysv.so"),
      exe: await read("exe"),
      pie: await read("pie"),
      staticPie,
      obj: await read("plugin.o"),
      obj32: obj32Built ? await read("plain32.o") : elf32Header(),
      obj32Built,
      text: await read("notes.txt"),
      empty: await read("empty.so"),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function cc(...args: string[]): Promise<void> {
  const out = await new Deno.Command("cc", { args, stderr: "piped", stdout: "piped" }).output();
  if (!out.success) {
    throw new Error(`cc ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
}

/** A 52-byte ELFCLASS32 little-endian i386 ET_REL header. */
function elf32Header(): Uint8Array {
  const b = new Uint8Array(52);
  const v = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  v.setUint16(16, 1, true); // ET_REL
  v.setUint16(18, 3, true); // EM_386
  v.setUint32(20, 1, true);
  v.setUint16(40, 52, true);
  return b;
}

/** A section header, as the tests need it. */
export interface SectionHeader {
  name: string;
  type: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
  /** Where this header itself is in the file. */
  headerOffset: number;
}

/** A program header, as the tests need it. */
export interface ProgramHeader {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
  /** Where this header itself is in the file. */
  headerOffset: number;
}

/** Where things are in a well-formed ELF64 little-endian file. */
export interface Layout {
  sections: SectionHeader[];
  segments: ProgramHeader[];
}

/**
 * Read the header tables of a well-formed ELF64 little-endian file.
 *
 * @param bytes the file
 * @returns its sections (with names) and segments
 */
export function layout(bytes: Uint8Array): Layout {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = (o: number) => Number(v.getBigUint64(o, true));
  const phoff = n(32), shoff = n(40);
  const phnum = v.getUint16(56, true), shnum = v.getUint16(60, true);
  const shstrndx = v.getUint16(62, true);
  const segments: ProgramHeader[] = [];
  for (let i = 0; i < phnum; i++) {
    const h = phoff + i * 56;
    segments.push({
      type: v.getUint32(h, true),
      offset: n(h + 8),
      vaddr: n(h + 16),
      filesz: n(h + 32),
      headerOffset: h,
    });
  }
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * 64;
    raw.push({
      nameOffset: v.getUint32(h, true),
      type: v.getUint32(h + 4, true),
      addr: n(h + 16),
      offset: n(h + 24),
      size: n(h + 32),
      link: v.getUint32(h + 40, true),
      entsize: n(h + 56),
      headerOffset: h,
    });
  }
  const names = raw[shstrndx];
  const sections = raw.map(({ nameOffset, ...s }) => {
    let end = names.offset + nameOffset;
    while (bytes[end] !== 0) end++;
    const name = new TextDecoder().decode(bytes.subarray(names.offset + nameOffset, end));
    return { name, ...s };
  });
  return { sections, segments };
}

/**
 * Find a section by name.
 *
 * @param bytes the file
 * @param name e.g. ".dynsym"
 * @returns its header
 */
export function section(bytes: Uint8Array, name: string): SectionHeader {
  const s = layout(bytes).sections.find((s) => s.name === name);
  if (!s) throw new Error(`no section ${name}`);
  return s;
}

/**
 * Find a byte sequence.
 *
 * @param bytes where to look
 * @param needle what to look for
 * @returns its first offset, or -1
 */
export function indexOf(bytes: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** A program header to write with {@linkcode craft}. */
export interface CraftSegment {
  type: number;
  offset: number;
  vaddr?: number;
  filesz: number;
  align?: number;
}

/** A section header to write with {@linkcode craft}. */
export interface CraftSection {
  type: number;
  offset: number;
  size: number;
  link?: number;
  entsize?: number;
}

/**
 * Build an ELF64 little-endian ET_DYN image for the host machine: the
 * header, `segments` at offset 64, `sections` after them, then `dataSize`
 * zero bytes starting at the returned `data` offset for the caller to fill.
 *
 * @param dataSize bytes after the tables
 * @param layoutOf the headers, given the offset where the data starts
 * @returns the image, a view of it and the data offset
 */
export function craft(
  dataSize: number,
  layoutOf: (data: number) => { segments: CraftSegment[]; sections: CraftSection[] },
): { bytes: Uint8Array; view: DataView; data: number } {
  const probe = layoutOf(0);
  const phnum = probe.segments.length;
  const shnum = probe.sections.length;
  const data = 64 + phnum * 56 + shnum * 64;
  const { segments, sections } = layoutOf(data);
  const bytes = new Uint8Array(data + dataSize);
  const v = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  v.setUint16(16, 3, true); // ET_DYN
  v.setUint16(18, Deno.build.arch === "aarch64" ? 183 : 62, true);
  v.setUint32(20, 1, true);
  v.setBigUint64(32, phnum ? 64n : 0n, true);
  v.setBigUint64(40, shnum ? BigInt(64 + phnum * 56) : 0n, true);
  v.setUint16(52, 64, true);
  v.setUint16(54, 56, true);
  v.setUint16(56, phnum, true);
  v.setUint16(58, 64, true);
  v.setUint16(60, shnum, true);
  segments.forEach((s, i) => {
    const h = 64 + i * 56;
    v.setUint32(h, s.type, true);
    v.setBigUint64(h + 8, BigInt(s.offset), true);
    v.setBigUint64(h + 16, BigInt(s.vaddr ?? s.offset), true);
    v.setBigUint64(h + 32, BigInt(s.filesz), true);
    v.setBigUint64(h + 40, BigInt(s.filesz), true);
    v.setBigUint64(h + 48, BigInt(s.align ?? 4), true);
  });
  sections.forEach((s, i) => {
    const h = 64 + phnum * 56 + i * 64;
    v.setUint32(h + 4, s.type, true);
    v.setBigUint64(h + 24, BigInt(s.offset), true);
    v.setBigUint64(h + 32, BigInt(s.size), true);
    v.setUint32(h + 40, s.link ?? 0, true);
    v.setBigUint64(h + 56, BigInt(s.entsize ?? 0), true);
  });
  return { bytes, view: v, data };
}
