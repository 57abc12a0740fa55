/**
 * The classes of attacks of the hostile-input suite, each a list of
 * attempts with the outcomes that are right for them. A class is built at
 * one of three sizes: `test` (a small deterministic subset for the committed
 * test), `quick` and `full` (the task). Expectations are written here from
 * what issue 11 asks, independently of the implementation: where a fix may
 * choose between codes (a note range that runs into unmapped memory may be
 * `METADATA_MISMATCH` or `BAD_METADATA`), every acceptable code is listed.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { Case } from "./_kit.ts";
import {
  addressOf,
  loadSegments,
  moveNotes,
  noteRecords,
  noteSegment,
  pageEnd,
  type Phdr,
  stretchNote,
} from "./_elf_patch.ts";
import type { CraftSpec, WireValue } from "./_ops.ts";
import { SEQUENCE_NAMES } from "./_ops.ts";
import { METADATA_VARIANTS, type Workshop } from "./_workshop.ts";
import { mulberry32, mutate } from "./_mutate.ts";

/** How many attempts a class makes. */
export type Size = "test" | "quick" | "full";

/** A class of attacks. */
export interface AttackClass {
  /** Its name, for `--class`. */
  name: string;
  /** What it attacks, in one line. */
  title: string;
  /**
   * Attempts per child process in the task (1: each attempt in a process
   * of its own); the committed test may batch more.
   */
  batch: number;
  /** The attempts. */
  cases(shop: Workshop, size: Size): Case[];
}

const pick = <T>(size: Size, sizes: Record<Size, T>): T => sizes[size];

/** Codes a malformed file may be refused with. */
const FILE_CODES = [
  "NOT_ELF",
  "TRUNCATED",
  "MALFORMED",
  "WRONG_ELF_CLASS",
  "WRONG_ARCH",
  "NOT_SHARED_OBJECT",
  "NOT_A_PLUGIN",
  "BAD_METADATA",
  "ABI_MISMATCH",
  "SYMBOL_MISSING",
];
/** Codes a load of a (checked) malformed file may fail with. */
const LOAD_CODES = ["METADATA_MISMATCH", "LOAD_FAILED", "INIT_FAILED"];
/** Codes an isolated load may fail with besides. */
const ISOLATED_CODES = ["PLUGIN_CRASHED", "PLUGIN_TIMEOUT", "HANDSHAKE_FAILED"];
/** Codes a note range outside the loaded segments must be refused with. */
export const NOTE_REFUSALS: readonly string[] = ["METADATA_MISMATCH", "BAD_METADATA", "MALFORMED"];
/** Codes plugin.variable() may refuse a symbol with. */
export const VARIABLE_REFUSALS: readonly string[] = [
  "SYMBOL_MISSING",
  "SIGNATURE_MISMATCH",
  "USAGE",
];

// ---------------------------------------------------------------------------
// malformed ELF

const malformedElf: AttackClass = {
  name: "malformed-elf",
  title: "truncations, flipped bytes and corrupt header fields of real plugins",
  batch: 1,
  cases(shop, size) {
    const n = pick(size, { test: 6, quick: 30, full: 120 });
    const bases = [shop.greeter, shop.greeterGaps].map((path) => ({
      path,
      bytes: Deno.readFileSync(path),
    }));
    const out: Case[] = [];
    for (let i = 0; i < n; i++) {
      const base = bases[i % 2];
      const seed = 0x4057_0000 + i;
      const craft: CraftSpec = { kind: "mutate", base: base.path, seed };
      const { what } = mutate(base.bytes, seed);
      const label = `seed 0x${seed.toString(16)} of ${base.path.split("/").pop()} (${what})`;
      out.push({
        label: `inspect ${label}`,
        op: "inspect",
        args: { craft },
        expect: ["ok", ...FILE_CODES],
      });
      // In this process only what a check could refuse: headers, tables,
      // records, truncations. A flipped byte of code is another plugin,
      // whose crash only isolation survives (below).
      if (!/\bbyte \d+=/.test(what)) {
        out.push({
          label: `open ${label}`,
          op: "open",
          args: { craft, call: { fn: "greet", args: ["x"] } },
          expect: ["ok", ...FILE_CODES, ...LOAD_CODES],
          triage: {
            label: "raw Deno.dlopen of the same file",
            op: "raw-dlopen",
            args: { craft },
            expect: ["ok"],
          },
        });
      }
      if (i % 4 === 0 || /\bbyte \d+=/.test(what)) {
        out.push({
          label: `open isolated ${label}`,
          op: "open",
          args: { craft, options: { isolation: "process" }, call: { fn: "greet", args: ["x"] } },
          expect: ["ok", ...FILE_CODES, ...LOAD_CODES, ...ISOLATED_CODES],
        });
      }
    }
    return out;
  },
};

// ---------------------------------------------------------------------------
// note ranges near page boundaries

/** One crafted note layout and what plugboard must do with it. */
export interface NoteLayout {
  /** What was done. */
  label: string;
  /** How to make it. */
  craft: CraftSpec;
  /** The right outcomes of opening it. */
  expect: readonly string[];
}

/**
 * What opening a file with these notes must give: the plugboard notes'
 * range in memory (from the first to the end of the last) inside a
 * segment's `memsz`: it loads; inside the segment's last page: it loads or
 * is refused; reaching past it (unmapped memory), or outside every
 * segment: refused (a range no segment maps is never read, so it may also
 * load).
 *
 * @param bytes the crafted file
 * @returns the right outcomes
 */
export function noteExpectation(bytes: Uint8Array): readonly string[] {
  const notes = noteRecords(bytes).filter((n) => n.owner === "plugboard");
  if (notes.length === 0) return ["NOT_A_PLUGIN"];
  const first = notes[0];
  const last = notes.at(-1)!;
  const start = addressOf(bytes, first.offset);
  if (!start) return ["ok", ...NOTE_REFUSALS];
  const end = start.vaddr + (last.offset + last.size - first.offset);
  const seg: Phdr = start.seg;
  if (end <= seg.vaddr + seg.memsz) return ["ok"];
  if (end <= pageEnd(seg)) return ["ok", ...NOTE_REFUSALS];
  return NOTE_REFUSALS;
}

/**
 * Note layouts of a plugin linked with holes between its segments: the
 * last plugboard note stretched to end near the first segment's end and
 * its page's end; the notes moved to the end of many pages of the first
 * and the read-only data segment (the segment grown to map them) and
 * stretched across the page boundary by a few bytes to a page and more;
 * notes in no segment; a claimed `p_vaddr` in a hole; the GNU note
 * stretched over the plugboard notes.
 *
 * @param base the plugin's bytes
 * @param basePath its path
 * @param size how many
 * @returns the layouts
 */
export function noteLayouts(base: Uint8Array, basePath: string, size: Size): NoteLayout[] {
  const out: NoteLayout[] = [];
  const add = (label: string, craft: CraftSpec, bytes: Uint8Array) =>
    out.push({ label, craft, expect: noteExpectation(bytes) });
  const seg = noteSegment(base);
  const loads = loadSegments(base);
  const first = loads[0];
  const noteEnd = seg.offset + seg.filesz;
  const ks = pick(size, {
    test: [0, 4],
    quick: [-8, -1, 0, 1, 4, 64, 4096],
    full: [-64, -8, -4, -1, 0, 1, 2, 3, 4, 8, 64, 512, 4096, 8192],
  });
  // In place: around the end of the segment and of its page.
  for (const edge of [first.offset + first.filesz, pageEnd(first)]) {
    for (const k of ks) {
      const end = edge + k;
      if (end <= noteEnd) continue;
      const craft: CraftSpec = { kind: "stretch", base: basePath, end };
      add(`last note stretched to 0x${end.toString(16)}`, craft, stretchNote(base, end));
    }
  }
  // Moved to the end of a page, the segment grown to map them, then stretched across it.
  const rodata = loads.find((l) => l.flags === 4 && l.offset > 0);
  const pages: [Phdr, number][] = [];
  for (const p of pick(size, { test: [1], quick: [1, 4, 15], full: [1, 2, 4, 8, 15] })) {
    pages.push([first, first.offset + p * 4096]);
  }
  if (rodata) {
    for (const p of pick(size, { test: [1], quick: [1, 3], full: [1, 2, 3, 7] })) {
      pages.push([
        rodata,
        Math.ceil((rodata.offset + rodata.filesz) / 4096) * 4096 + (p - 1) * 4096,
      ]);
    }
  }
  const next = (l: Phdr) => loads.find((x) => x.offset > l.offset);
  for (const [load, boundary] of pages) {
    const to = boundary - seg.filesz - 16;
    const limit = next(load)?.offset ?? base.length;
    if (boundary + 8192 + 64 > limit) continue;
    const moved = moveNotes(base, to, true);
    for (const k of ks) {
      const end = boundary + k;
      if (end <= to + seg.filesz) continue;
      const craft: CraftSpec = { kind: "move", base: basePath, to, grow: true, stretchTo: end };
      add(
        `notes moved to 0x${to.toString(16)} (${
          load === first ? "first segment" : "read-only data"
        }), last stretched to 0x${end.toString(16)}`,
        craft,
        stretchNote(moved, end),
      );
    }
  }
  // Notes in no segment (file padding between segments).
  const gap = first.offset + 2 * 4096;
  add(
    `notes at 0x${gap.toString(16)}, in no segment`,
    { kind: "move", base: basePath, to: gap, grow: false },
    moveNotes(base, gap, false),
  );
  // The first (GNU) note swallowing the plugboard notes.
  add(
    "first note stretched over the others",
    { kind: "stretch", base: basePath, end: noteEnd, which: "first" },
    stretchNote(base, noteEnd, "first"),
  );
  return out;
}

/**
 * Random note layouts (seeded): the notes left in place or moved to a
 * random 4-aligned offset before a page boundary of the first or the
 * read-only data segment, then the last note stretched to end a random
 * distance around that boundary (mostly within 64 bytes of it, sometimes
 * pages past it, sometimes unaligned).
 *
 * @param base the plugin's bytes (linked with holes between segments)
 * @param basePath its path
 * @param seed the first seed
 * @param count how many
 * @returns the layouts
 */
export function randomNoteLayouts(
  base: Uint8Array,
  basePath: string,
  seed: number,
  count: number,
): NoteLayout[] {
  const rng = mulberry32(seed);
  const int = (n: number) => Math.floor(rng() * n);
  const seg = noteSegment(base);
  const loads = loadSegments(base);
  const first = loads[0];
  const rodata = loads.find((l) => l.flags === 4 && l.offset > 0);
  const out: NoteLayout[] = [];
  while (out.length < count) {
    const distance = rng() < 0.7 ? int(129) - 64 : rng() < 0.5 ? int(8192) : -int(512);
    const inPlace = rng() < 0.3;
    let bytes = base;
    let to: number | undefined;
    let boundary: number;
    let where = "in place";
    if (inPlace) {
      boundary = rng() < 0.5 ? first.offset + first.filesz : pageEnd(first);
    } else {
      const load = rodata && rng() < 0.4 ? rodata : first;
      const next = loads.find((x) => x.offset > load.offset)?.offset ?? base.length;
      const firstPage = Math.ceil((load.offset + load.filesz + seg.filesz + 4) / 4096);
      const lastPage = Math.floor((next - 8192 - 64) / 4096);
      if (lastPage < firstPage) continue;
      boundary = (firstPage + int(lastPage - firstPage + 1)) * 4096;
      to = boundary - seg.filesz - 4 * (1 + int(64));
      if (to < load.offset + load.filesz) continue;
      bytes = moveNotes(base, to, true);
      where = `moved to 0x${to.toString(16)}`;
    }
    const lastNote = noteRecords(bytes).filter((n) => n.owner === "plugboard").at(-1)!;
    const end = boundary + distance;
    if (end < lastNote.offset + lastNote.size || end > base.length) continue;
    const stretched = stretchNote(bytes, end);
    const craft: CraftSpec = to === undefined
      ? { kind: "stretch", base: basePath, end }
      : { kind: "move", base: basePath, to, grow: true, stretchTo: end };
    out.push({
      label: `notes ${where}, last stretched to 0x${end.toString(16)} (boundary 0x${
        boundary.toString(16)
      } ${distance >= 0 ? "+" : "-"} ${Math.abs(distance)})`,
      craft,
      expect: noteExpectation(stretched),
    });
  }
  return out;
}

const noteRanges: AttackClass = {
  name: "note-ranges",
  title: "plugboard notes stretched or moved across page and segment ends (64 KiB pages)",
  batch: 1,
  cases(shop, size) {
    const base = Deno.readFileSync(shop.greeterGaps);
    const out: Case[] = [];
    const random = pick(size, { test: 0, quick: 20, full: 100 });
    for (const l of randomNoteLayouts(base, shop.greeterGaps, 0x9a6e_0000, random)) {
      out.push({
        label: `openPlugin: ${l.label}`,
        op: "open",
        args: { craft: l.craft, call: { fn: "greet", args: ["x"] } },
        expect: l.expect,
      });
    }
    for (const l of noteLayouts(base, shop.greeterGaps, size)) {
      out.push({
        label: `inspect: ${l.label}`,
        op: "inspect",
        args: { craft: l.craft },
        expect: ["ok", ...NOTE_REFUSALS, "NOT_A_PLUGIN"],
      });
      out.push({
        label: `openPlugin: ${l.label}`,
        op: "open",
        args: { craft: l.craft, call: { fn: "greet", args: ["x"] } },
        expect: l.label.startsWith("first note") ? ["NOT_A_PLUGIN"] : l.expect,
      });
      out.push({
        label: `PluginHost.discover: ${l.label}`,
        op: "discover",
        args: { craft: l.craft },
        expect: l.label.startsWith("first note") ? ["NOT_A_PLUGIN"] : l.expect,
      });
    }
    // The canonical case (the issue's), through the other entry points.
    const stretched: CraftSpec = {
      kind: "stretch",
      base: shop.greeterGaps,
      end: pageEnd(loadSegments(base)[0]) + 8,
    };
    out.push({
      label: "PluginHost.refresh: a loaded plugin replaced by one whose last note runs into a hole",
      op: "reload",
      args: { craft: stretched, good: shop.greeterGaps },
      expect: NOTE_REFUSALS,
    });
    out.push({
      label: "openPlugin isolated: the last note runs into a hole (the host survives)",
      op: "open",
      args: {
        craft: stretched,
        options: { isolation: "process" },
        call: { fn: "greet", args: ["x"] },
      },
      expect: [...NOTE_REFUSALS, "PLUGIN_CRASHED", "HANDSHAKE_FAILED"],
    });
    // A p_vaddr claimed in a hole: readers must not trust it.
    out.push({
      label: "openPlugin: PT_NOTE claims p_vaddr 0x8000 (a hole)",
      op: "open",
      args: { craft: { kind: "claim", base: shop.greeterGaps, vaddr: 0x8000 } },
      expect: ["ok", ...NOTE_REFUSALS],
    });
    return out;
  },
};

// ---------------------------------------------------------------------------
// variables

const variables: AttackClass = {
  name: "variables",
  title: "plugin.variable() on absolute, untyped, sized-0, code, TLS and read-only symbols",
  batch: 1,
  cases(shop, size) {
    const v = shop.vars;
    const refuse = VARIABLE_REFUSALS;
    const all: [string, Record<string, unknown>, readonly string[]][] = [
      ["counter get (control)", { name: "counter", type: "i32", op: "get" }, ["ok"]],
      ["counter set (control)", { name: "counter", type: "i32", op: "set", value: 9 }, ["ok"]],
      ["zeroed (.bss) set", { name: "zeroed", type: "i64", op: "set", value: 5 }, ["ok"]],
      ["ro_value (.rodata) get", { name: "ro_value", type: "i32", op: "get" }, ["ok"]],
      ["ro_value (.rodata) set", { name: "ro_value", type: "i32", op: "set" }, refuse],
      ["relro_ptr (RELRO) set", { name: "relro_ptr", type: "u64", op: "set" }, refuse],
      ["evil = 0x100000000000 (absolute) get", { name: "evil", type: "i64", op: "get" }, refuse],
      ["evil2 = 0x8 (absolute, in the ELF header) get", {
        name: "evil2",
        type: "i32",
        op: "get",
      }, refuse],
      ["evil2 = 0x8 set", { name: "evil2", type: "i32", op: "set" }, refuse],
      ["evil_notype (absolute, no type) get", {
        name: "evil_notype",
        type: "i32",
        op: "get",
      }, refuse],
      ["zero_size (size 0) get", { name: "zero_size", type: "i32", op: "get" }, refuse],
      ["touch (a function) get", { name: "touch", type: "i32", op: "get" }, refuse],
      ["touch (a function) set", { name: "touch", type: "i32", op: "set" }, refuse],
      ["picked (an IFUNC) get", { name: "picked", type: "i64", op: "get" }, refuse],
      ["tls_value (thread-local) get", { name: "tls_value", type: "i32", op: "get" }, refuse],
      ["counter read as i64 (too small)", { name: "counter", type: "i64", op: "get" }, refuse],
      ["tail moved to straddle the last page", {
        name: "tail",
        type: "i64",
        op: "get",
        craft: { kind: "symbol", base: v, name: "tail", patch: { value: 0x4ffc, size: 8 } },
      }, refuse],
      ["tail typed as an object but inside .text, set", {
        name: "tail",
        type: "i64",
        op: "set",
        craft: { kind: "symbol", base: v, name: "tail", patch: { value: 0x1300, size: 8 } },
      }, refuse],
    ];
    const chosen = size === "test" ? all.filter((_, i) => [0, 4, 6, 7, 10, 16].includes(i)) : all;
    return chosen.map(([label, args, expect]) => ({
      label,
      op: "variable",
      args: { path: v, ...args },
      expect,
    }));
  },
};

// ---------------------------------------------------------------------------
// special files

const files: AttackClass = {
  name: "file-swaps",
  title: "a FIFO, a device, a directory, a huge sparse file, a symlink loop for each file read",
  batch: 1,
  cases(shop, size) {
    const out: Case[] = [];
    const kinds = ["fifo", "device", "dir", "sparse", "loop", "dangling"] as const;
    const roles: Record<string, { actions: string[]; sparse: number; name?: string }> = {
      plugin: { actions: ["open", "inspect", "trust", "discover"], sparse: 2 ** 31, name: "x.so" },
      lockfile: { actions: ["verify", "trust", "open", "edit"], sparse: 100 << 20 },
      cache: { actions: ["verify"], sparse: 300 << 20 },
      quarantine: { actions: ["probe", "list", "clear", "check"], sparse: 20 << 20 },
    };
    for (const [role, r] of Object.entries(roles)) {
      for (const kind of kinds) {
        for (const action of r.actions) {
          if (size === "test" && !(action === r.actions[0] && kind !== "loop")) continue;
          out.push({
            label: `${role} is a ${kind}: ${action}`,
            op: "special",
            args: {
              role,
              kind,
              action,
              name: r.name,
              sparseBytes: r.sparse,
              plugin: shop.greeter,
            },
            expect: specialExpectation(role, kind, action),
            timeoutMs: 20_000,
          });
        }
      }
    }
    return out;
  },
};

function specialExpectation(role: string, kind: string, action: string): readonly string[] {
  const missing = kind === "dangling";
  if (role === "plugin") {
    // A host scanning a directory may skip what is not a regular file, or report it.
    if (action === "discover") return ["ok", missing ? "NOT_FOUND" : "NOT_A_FILE"];
    // trust DIR trusts the plugins inside it: none.
    if (action === "trust" && kind === "dir") return ["ok"];
    return missing ? ["NOT_FOUND"] : ["NOT_A_FILE"];
  }
  if (role === "lockfile") {
    // A lockfile that does not exist yet is created by trust and edit (through the link).
    if (missing) return action === "trust" || action === "edit" ? ["ok"] : ["NOT_FOUND"];
    return ["NOT_A_FILE"];
  }
  // A hash cache is never needed: an unusable one is ignored (with a warning).
  if (role === "cache") return ["ok"];
  // The quarantine list: nothing to clear or list in a missing one.
  if (missing) return ["ok"];
  return ["QUARANTINE_INVALID"];
}

// ---------------------------------------------------------------------------
// swaps during open

const race: AttackClass = {
  name: "swap-race",
  title: "the plugin path swapped (rename loop) for a FIFO, /dev/zero, a directory, other code",
  batch: 1,
  cases(shop, size) {
    const iterations = pick(size, { test: 40, quick: 150, full: 400 });
    const greetings = {
      [sha256Of(shop.greeter)]: "Hello",
      [sha256Of(shop.greeterAlt)]: "Howdy",
      [sha256Of(shop.twins[0])]: "Hello",
      [sha256Of(shop.twins[1])]: "Howdy",
    };
    const swaps: [string, string[], Record<string, unknown>, string[]][] = [
      ["a FIFO", [`link:${shop.greeter}`, "fifo:"], {}, ["ok", "NOT_A_FILE", "NOT_FOUND"]],
      ["/dev/zero", [`link:${shop.greeter}`, "symlink:/dev/zero"], {}, ["ok", "NOT_A_FILE"]],
      ["a directory", [`link:${shop.greeter}`, "dir:"], {}, ["ok", "NOT_A_FILE", "NOT_FOUND"]],
      ["another build", [`link:${shop.greeter}`, `link:${shop.greeterAlt}`], {}, ["ok"]],
      // Not "a FIFO, loading by path": by path, the dynamic linker opens the
      // file itself, after the loader's last check; a FIFO renamed in between
      // blocks that open for good. Only someone who may write the plugin's
      // directory can do it (directories others can write are refused), and
      // the default, load: "memfd", has no such window (docs/architecture.md).
      ["another build, loading by path", [`link:${shop.greeter}`, `link:${shop.greeterAlt}`], {
        load: "path",
      }, ["ok", "CHECKSUM_MISMATCH", "METADATA_MISMATCH", "LOAD_FAILED"]],
      [
        "a twin with the same notes, loading by path",
        [
          `link:${shop.twins[0]}`,
          `link:${shop.twins[1]}`,
        ],
        { load: "path" },
        ["ok", "CHECKSUM_MISMATCH", "METADATA_MISMATCH", "LOAD_FAILED"],
      ],
    ];
    const chosen = size === "test" ? swaps.slice(0, 4) : swaps;
    // Deterministic: the swap made by the verify hook, between the checks and the load.
    const swapped: Case[] = [];
    const verifySwaps: [string, string, Record<string, unknown>, string[]][] = [
      ["a FIFO", "fifo", {}, ["ok"]],
      ["/dev/zero", "zero", {}, ["ok"]],
      ["another build", shop.greeterAlt, {}, ["ok"]],
      // By path the loader checks the path again just before the dynamic
      // linker opens it, then asks the kernel which file it mapped.
      ["a FIFO, loading by path", "fifo", { load: "path" }, ["NOT_A_FILE"]],
      ["/dev/zero, loading by path", "zero", { load: "path" }, ["NOT_A_FILE"]],
      ["another build, loading by path", shop.greeterAlt, { load: "path" }, ["CHECKSUM_MISMATCH"]],
      ["a twin with the same notes, loading by path", shop.twins[1], { load: "path" }, [
        "CHECKSUM_MISMATCH",
      ]],
    ];
    for (
      const [what, to, options, expect] of size === "test" ? verifySwaps.slice(0, 3) : verifySwaps
    ) {
      swapped.push({
        label: `the path replaced by ${what} between the checks and the load`,
        op: "verify-swap",
        args: {
          plugin: what.startsWith("a twin") ? shop.twins[0] : shop.greeter,
          to,
          options,
          greetings,
        },
        expect,
        timeoutMs: 10_000,
      });
    }
    return swapped.concat(chosen.map(([what, entries, options, allowed]) => ({
      label: `${iterations} opens while the path is swapped with ${what}`,
      op: "race",
      args: {
        swapper: shop.swapper,
        greeter: entries[0].slice(5),
        entries,
        options,
        iterations,
        greetings,
        allowed,
      },
      expect: ["ok"],
      timeoutMs: 60_000,
    })));
  },
};

function sha256Of(path: string): string {
  return createHash("sha256").update(Deno.readFileSync(path)).digest("hex");
}

// ---------------------------------------------------------------------------
// arguments

/** A hostile value, its wire form, and which parameter types it fits. */
interface HostileValue {
  label: string;
  wire: WireValue;
  /** The types it fits (so the call must succeed); INVALID_ARGUMENT for the others. */
  fits: readonly string[];
  /** Types where either outcome is right, as long as both modes agree. */
  either?: readonly string[];
}

const INTS = ["i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64", "isize", "usize"];
const FLOATS = ["f32", "f64"];

const VALUES: readonly HostileValue[] = [
  { label: "-0", wire: { t: "num", v: "-0" }, fits: [...INTS, ...FLOATS] },
  { label: "1n", wire: { t: "big", v: "1" }, fits: ["i64", "u64", "isize", "usize"] },
  { label: "-1n", wire: { t: "big", v: "-1" }, fits: ["i64", "isize"] },
  { label: "2n**64n", wire: { t: "big", v: String(2n ** 64n) }, fits: [] },
  { label: "Symbol()", wire: { t: "sym" }, fits: [] },
  { label: "NaN", wire: { t: "num", v: "NaN" }, fits: FLOATS },
  { label: "Infinity", wire: { t: "num", v: "Infinity" }, fits: FLOATS },
  { label: "1e300", wire: { t: "num", v: 1e300 }, fits: FLOATS },
  { label: "2**53", wire: { t: "num", v: 2 ** 53 }, fits: FLOATS },
  {
    label: "2**53-1",
    wire: { t: "num", v: 2 ** 53 - 1 },
    fits: [...FLOATS, "i64", "u64", "isize", "usize"],
  },
  { label: "-1", wire: { t: "num", v: -1 }, fits: [...FLOATS, "i8", "i16", "i32", "i64", "isize"] },
  { label: "2.5", wire: { t: "num", v: 2.5 }, fits: FLOATS },
  { label: '"1"', wire: { t: "str", v: "1" }, fits: ["cstring"] },
  { label: '"a\\0b" (NUL)', wire: { t: "str", v: "a\0b" }, fits: [] },
  {
    label: '"a\\ud800b" (lone surrogate)',
    wire: { t: "str", v: "a\ud800b" },
    fits: [],
    either: ["cstring"],
  },
  { label: "a 1 MB string", wire: { t: "str", v: "x".repeat(1 << 20) }, fits: ["cstring"] },
  { label: "null", wire: { t: "null" }, fits: [] },
  { label: "undefined", wire: { t: "undef" }, fits: [] },
  { label: "true", wire: { t: "bool", v: true }, fits: ["bool"] },
  { label: "{ valueOf }", wire: { t: "obj" }, fits: [] },
  { label: "[1]", wire: { t: "arr" }, fits: [] },
  { label: "new Date(0)", wire: { t: "date" }, fits: [] },
];

const FUNCTIONS: Record<string, string> = {
  bool: "not_bool",
  i8: "neg_i8",
  u8: "inc_u8",
  i16: "neg_i16",
  u16: "inc_u16",
  i32: "neg_i32",
  u32: "inc_u32",
  i64: "neg_i64",
  u64: "inc_u64",
  isize: "neg_isize",
  usize: "inc_usize",
  f32: "half_f32",
  f64: "half_f64",
  cstring: "describe",
};

const argumentsClass: AttackClass = {
  name: "arguments",
  title:
    "-0, bigints, Symbols, NaN, huge numbers, NUL and lone surrogates, in process and isolated",
  batch: 1000,
  cases(shop, size) {
    const out: Case[] = [];
    const types = size === "test" ? ["i8", "u32", "i64", "f32", "cstring"] : Object.keys(FUNCTIONS);
    const values = size === "test"
      ? VALUES.filter((v) => ["-0", "1n", "Symbol()", "NaN", '"a\\0b" (NUL)'].includes(v.label))
      : VALUES;
    for (const type of types) {
      for (const v of values) {
        const expect = v.fits.includes(type)
          ? ["ok"]
          : v.either?.includes(type)
          ? ["ok", "INVALID_ARGUMENT"]
          : ["INVALID_ARGUMENT"];
        out.push({
          label: `${type} <- ${v.label}`,
          op: "call-both",
          args: { path: shop.isoTypes, fn: FUNCTIONS[type], value: v.wire },
          expect,
        });
      }
    }
    // Pointers and buffers (hostile_args.c).
    const pointerValues: [string, WireValue][] = [
      ["{ valueOf }", { t: "obj" }],
      ["[1]", { t: "arr" }],
      ["a Uint8Array", { t: "u8", n: 4 }],
      ["new Date(0)", { t: "date" }],
    ];
    for (const [label, value] of size === "test" ? pointerValues.slice(0, 1) : pointerValues) {
      out.push({
        label: `pointer <- ${label}, in process`,
        op: "call-one",
        args: { path: shop.args, fn: "is_null", value },
        expect: ["INVALID_ARGUMENT"],
      });
    }
    const after = { fn: "next", value: { t: "num", v: 1 } };
    if (size !== "test") {
      out.push({
        label: "buffer <- a Uint8Array of a detached ArrayBuffer, then another call (new)",
        op: "call-both",
        args: { path: shop.args, fn: "first_byte", value: { t: "detached" }, after, fresh: true },
        expect: ["INVALID_ARGUMENT", "ok"],
        timeoutMs: 10_000,
      });
      out.push({
        label: "buffer <- an empty Uint8Array: the plugin sees the same in both modes (new)",
        op: "call-both",
        args: { path: shop.args, fn: "first_byte", value: { t: "u8", n: 0 }, after, fresh: true },
        expect: ["ok", "INVALID_ARGUMENT"],
        timeoutMs: 10_000,
      });
    }
    // The same on the command line: plugboard call FILE FN ARG.
    const cli: [string, string, string[]][] = [
      ["-0", "neg_i32", ["ok"]],
      ["2147483648", "neg_i32", ["INVALID_ARGUMENT", "USAGE"]],
      ["NaN", "neg_i32", ["INVALID_ARGUMENT", "USAGE"]],
      ["1e999", "half_f64", ["ok", "INVALID_ARGUMENT", "USAGE"]],
      ["a\u0000b", "describe", ["INVALID_ARGUMENT", "USAGE"]],
    ];
    for (const [arg, fn, expect] of size === "test" ? cli.slice(0, 2) : cli) {
      out.push({
        label: `plugboard call ${fn} ${JSON.stringify(arg)}`,
        op: "cli",
        args: { args: ["call", shop.isoTypes, fn, "--", arg] },
        expect,
      });
    }
    return out;
  },
};

// ---------------------------------------------------------------------------
// concurrent trust

const trust: AttackClass = {
  name: "concurrent-trust",
  title: "20 `plugboard trust` processes into one lockfile, and into a symlinked one",
  batch: 1,
  cases(shop, size) {
    const n = pick(size, { test: 6, quick: 20, full: 20 });
    const rounds = pick(size, { test: 1, quick: 1, full: 3 });
    const out: Case[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const symlink of size === "test" ? [true] : [false, true]) {
        out.push({
          label: `${n} concurrent trust runs into ${symlink ? "a symlinked" : "one"} lockfile${
            rounds > 1 ? ` (round ${r + 1})` : ""
          }`,
          op: "trust-concurrent",
          args: { plugin: shop.greeter, n, symlink },
          expect: ["ok"],
          timeoutMs: 120_000,
        });
      }
    }
    return out;
  },
};

// ---------------------------------------------------------------------------
// metadata

const metadata: AttackClass = {
  name: "metadata",
  title: "names with invalid UTF-8 and other bytes, absurd versions, repeated fields",
  batch: 1,
  cases(shop, size) {
    const out: Case[] = [];
    const variants = size === "test"
      ? METADATA_VARIANTS.filter((v) =>
        ["valid", "invalid UTF-8 name", "huge version with a control character"].includes(v.label)
      )
      : METADATA_VARIANTS;
    for (const v of variants) {
      const path = shop.metadata[v.label];
      const ops: [string, string, Record<string, unknown>][] = [
        ["inspect", "inspect", { path }],
        ["openPlugin", "open", { path }],
        ["trust", "cli", { args: ["trust", path, "--lock", "meta.lock"] }],
        ["discover", "discover", { path }],
      ];
      for (const [what, op, args] of size === "test" ? ops.slice(1, 2) : ops) {
        out.push({ label: `${what}: ${v.label}`, op, args, expect: [v.expect] });
      }
    }
    if (size !== "test") {
      for (const args of [["inspect", shop.escape], ["trust", shop.escape, "--lock", "e.lock"]]) {
        out.push({
          label: `plugboard ${args[0]} prints no terminal control sequences from metadata (new)`,
          op: "cli-clean",
          args: { args },
          expect: ["ok", "BAD_METADATA"],
        });
      }
      out.push({
        label:
          "inspect: a signature of 300,000 characters with no closing parenthesis, within 10 s (new)",
        op: "inspect",
        args: {
          craft: {
            kind: "notes",
            base: shop.greeter,
            notes: [{
              type: 3,
              text: `interface=greeter\nsignature=${"a".repeat(300_000)}(\nfallible=0\n`,
            }],
          },
        },
        expect: ["BAD_METADATA"],
        timeoutMs: 10_000,
      });
      out.push({
        label: "trust into a lockfile listing a function signature of 300,000 characters (new)",
        op: "lockfile-long-function",
        args: { plugin: shop.greeter, length: 300_000 },
        expect: ["ok", "LOCKFILE_INVALID"],
        timeoutMs: 10_000,
      });
      out.push({
        label: "inspect: 200,000 function notes (17 MB) within 10 s (new)",
        op: "inspect",
        args: { craft: { kind: "function-notes", base: shop.greeter, count: 200_000 } },
        expect: ["ok", "BAD_METADATA"],
        timeoutMs: 10_000,
      });
    }
    return out;
  },
};

// ---------------------------------------------------------------------------
// thread-local destructors

const tls: AttackClass = {
  name: "tls-destructors",
  title: "plugins registering thread-local destructors, opened and closed many times",
  batch: 1,
  cases(shop, size) {
    const cycles = pick(size, { test: 2, quick: 5, full: 25 });
    const cpp = {
      fn: "remember",
      decl: { remember: "cstring remember(cstring s)" },
      arg: "x",
    };
    const c = { fn: "keep", decl: { keep: "i32 keep(i32 n)" }, arg: 10 };
    const pool = { fn: "keep", decl: { keep: "nonblocking i32 keep(i32 n)" }, arg: 10 };
    const all: [string, string, Record<string, unknown>, Record<string, unknown>][] = [
      ["C++ thread_local std::string", shop.tlsCpp, cpp, {}],
      ["C __cxa_thread_atexit_impl (as Rust does)", shop.tlsC, c, {}],
      ["C __cxa_thread_atexit_impl on a pool thread", shop.tlsC, pool, {}],
      ["C++ thread_local std::string, loaded by path", shop.tlsCpp, cpp, { load: "path" }],
    ];
    return (size === "test" ? all.slice(0, 2) : all).map(([label, path, call, options]) => ({
      label: `${label}: ${cycles} cycles of open, call, close, open another`,
      op: "tls",
      args: { path, other: shop.greeter, cycles, options, ...call },
      expect: ["ok"],
    }));
  },
};

// ---------------------------------------------------------------------------
// orderings

const ORDERING_EXPECT: Record<string, string[]> = {
  "call after close": ["CLOSED"],
  "use() after close": ["CLOSED"],
  "variable after close": ["CLOSED"],
  "close twice": ["ok"],
  "two handles, close one, call the other": ["ok"],
  "close during a nonblocking call": ["ok"],
  "call after close while a nonblocking call is pending": ["CLOSED"],
  "memfd and path modes at once": ["ALREADY_OPEN"],
  "open and close 2000 times": ["ok"],
  "host closed, then a hosted plugin used": ["CLOSED"],
  "isolated: call after close": ["CLOSED"],
  "isolated: close during a call": ["ok", "CLOSED"],
  "fallible function declared nonblocking": ["USAGE"],
  "dispose, then call": ["CLOSED"],
  "isolated: a grandchild forked by the plugin is gone after close": ["ok"],
  "await use() of an interface with a function named then": ["ok", "USAGE"],
};

const orderings: AttackClass = {
  name: "orderings",
  title: "open, use and close in every order: after close, during calls, twice, disposed",
  batch: 1,
  cases(shop, size) {
    const names = size === "test"
      ? ["call after close", "variable after close", "close during a nonblocking call"]
      : SEQUENCE_NAMES;
    return names.map((name) => ({
      label: name,
      op: "sequence",
      args: {
        name,
        greeter: shop.greeter,
        counter: shop.counter,
        hangCall: shop.hangCall,
        isoTypes: shop.isoTypes,
        forker: shop.forker,
        args: shop.args,
      },
      expect: ORDERING_EXPECT[name] ?? ["ok"],
    }));
  },
};

// ---------------------------------------------------------------------------
// error codes (items 9, 10, 12)

const errorCodes: AttackClass = {
  name: "error-codes",
  title: "errors that must carry plugboard's codes: lockfile paths, libraries, hooks",
  batch: 1,
  cases(shop, size) {
    const all: Case[] = [
      {
        label: "trust --lock /nonexistent/dir/x.lock",
        op: "cli",
        args: { args: ["trust", shop.greeter, "--lock", "/nonexistent/dir/x.lock"] },
        expect: ["NOT_FOUND"],
      },
      {
        label: 'openLibrary("libz.so.1", { no_such_fn })',
        op: "library",
        args: { path: "libz.so.1", fn: "no_such_fn" },
        expect: ["SYMBOL_MISSING"],
      },
      {
        label: "a hook note without descriptor.init",
        op: "hooks",
        args: { path: shop.hookNoteOnly, descriptorInit: false },
        expect: ["ok", "METADATA_MISMATCH", "BAD_METADATA"],
      },
      {
        label: "descriptor.init without a hook note",
        op: "hooks",
        args: { path: shop.initNoNote, descriptorInit: true },
        expect: ["ok", "METADATA_MISMATCH", "BAD_METADATA"],
      },
    ];
    for (
      const [what, body] of [["a null record", '{"version":1,"plugins":{"x":null}}'], [
        "a record of the wrong shape",
        '{"version":1,"plugins":{"x":{"reason":7}}}',
      ]]
    ) {
      all.push({
        label: `quarantine list with ${what} (new)`,
        op: "quarantine-garbage",
        args: { body, plugin: shop.greeter },
        expect: ["QUARANTINE_INVALID"],
      });
    }
    return size === "test" ? all.slice(0, 2) : all;
  },
};

// ---------------------------------------------------------------------------
// pointers handed back by the plugin

const pluginPointers: AttackClass = {
  name: "plugin-pointers",
  title: "a descriptor, an init hook and error records at addresses outside the object (new)",
  batch: 1,
  cases(shop, size) {
    const table: [number, string, readonly string[]][] = [
      [1, "plugboard_entry() returns (void *)8", ["METADATA_MISMATCH"]],
      [2, "the descriptor ends 8 bytes before an unmapped page", [
        "CALL_FAILED",
        "METADATA_MISMATCH",
      ]],
      [3, "descriptor.init is (void *)16", ["METADATA_MISMATCH", "INIT_FAILED"]],
      [4, "take_error() returns (void *)8", ["CALL_FAILED", "METADATA_MISMATCH"]],
      [5, "take_error()'s message runs into an unmapped page", [
        "CALL_FAILED",
        "METADATA_MISMATCH",
      ]],
      [6, "descriptor.size is 0xffffffff (control)", ["CALL_FAILED"]],
    ];
    return (size === "test" ? table.filter(([k]) => k === 1 || k === 6) : table).map((
      [kind, label, expect],
    ) => ({
      label,
      op: "open",
      args: { path: shop.descriptors[kind], call: { fn: "fail", args: [] } },
      expect,
    }));
  },
};

/** Every class, in report order. */
export const CLASSES: readonly AttackClass[] = [
  malformedElf,
  noteRanges,
  variables,
  files,
  race,
  argumentsClass,
  trust,
  metadata,
  tls,
  orderings,
  errorCodes,
  pluginPointers,
];
