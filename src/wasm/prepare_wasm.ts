/**
 * Prepare a WebAssembly module for the host before it is compiled: a new
 * module, byte for byte the same except for three additions, each optional.
 * The file and its hash are untouched; only what is compiled differs.
 *
 * - **A memory ceiling.** Every memory the module defines gets a maximum of
 *   at most `maxPages`, so a `memory.grow` past it fails (returns -1, which
 *   malloc turns into NULL) instead of taking the host's memory.
 * - **A record of failed growth.** After each `memory.grow` the module sets
 *   the exported global {@linkcode GROW_FAILED_EXPORT} to 1 when the growth
 *   failed, so the host can tell that a trap followed running out of memory.
 * - **Interrupt checks.** At the start of every loop the module reads a
 *   flag in an added one-page shared memory, exported as
 *   {@linkcode INTERRUPT_EXPORT}, and traps (`unreachable`) when another
 *   thread has set it to non-zero. A loop is the only way code runs for
 *   ever without trapping (recursion overflows the stack), so setting the
 *   flag stops any call within one loop iteration. Costs an atomic load and
 *   a branch per iteration.
 *
 * Nothing is renumbered: the added globals and memory come after the
 * module's own, and the added exports after its exports. The module must
 * have been read by {@linkcode readWasm} (which checks its structure);
 * function bodies are decoded here, and an instruction that cannot be
 * decoded is `MALFORMED`.
 *
 * @module
 */

import { LoadError } from "../errors/plugin_error.ts";
import { walkCode } from "./_code.ts";
import { byte, createReader, type Cursor, hex, malformed, type Reader, uleb } from "./_reader.ts";
import { SECTIONS } from "./_sections.ts";
import type { WasmInfo } from "./read_wasm.ts";

/** The export name of the global set to 1 when a `memory.grow` failed. */
export const GROW_FAILED_EXPORT = "plugboard:grow_failed";
/** The export name of the shared memory whose first i32 interrupts the module's loops. */
export const INTERRUPT_EXPORT = "plugboard:interrupt";

/** What {@linkcode prepareWasm} adds. */
export interface PrepareOptions {
  /**
   * The largest maximum, in 64 KiB pages, of every memory the module
   * defines. Must be at least each memory's initial size.
   * @default undefined (maxima unchanged)
   */
  maxPages?: number;
  /**
   * Record failed `memory.grow` calls in {@linkcode GROW_FAILED_EXPORT}.
   * @default false
   */
  growFlag?: boolean;
  /**
   * Add the interrupt checks and export {@linkcode INTERRUPT_EXPORT}.
   * @default false
   */
  interrupt?: boolean;
}

/** What the prepared module has besides the original. */
export interface PreparedWasm {
  /** The module to compile. */
  bytes: Uint8Array<ArrayBuffer>;
  /** How many loops got an interrupt check. */
  loops: number;
  /** How many `memory.grow` got a failure check. */
  grows: number;
}

/**
 * Make the module to compile from a module's bytes.
 *
 * @example Capping a module's memory at 1 MiB
 * ```ts ignore
 * import { prepareWasm } from "./prepare_wasm.ts";
 * import { readWasm } from "./read_wasm.ts";
 *
 * const bytes = await Deno.readFile("build/wasm/greeter.wasm");
 * const prepared = prepareWasm(bytes, readWasm(bytes, "greeter.wasm"), "greeter.wasm", {
 *   maxPages: 16,
 *   growFlag: true,
 * });
 * const module = new WebAssembly.Module(prepared.bytes);
 * ```
 *
 * @param bytes the module as read (and checked by readWasm)
 * @param info what readWasm found in it
 * @param path the file, for messages
 * @param options what to add
 * @returns the new module's bytes and what was instrumented
 * @throws {LoadError} `MALFORMED` when a function body cannot be decoded
 */
export function prepareWasm(
  bytes: Uint8Array,
  info: WasmInfo,
  path: string,
  options: PrepareOptions = {},
): PreparedWasm {
  const r = createReader(bytes, path);
  const importedMemories = info.memories.filter((m) => m.imported).length;
  const memoryCount = info.memories.length;
  const globalCount = info.globals.length;
  const growFlag = options.growFlag ?? false;
  const interrupt = options.interrupt ?? false;
  for (const m of info.memories) {
    if (m.memory64 && (growFlag || interrupt)) {
      throw new LoadError("MALFORMED", {
        path,
        what: "a 64-bit memory",
        expected: "32-bit memories (a wasm32 plugin)",
        found: `memory ${m.index} with 64-bit addresses (memory64)`,
        hint: "build the plugin for wasm32 (clang --target=wasm32-wasi)",
      });
    }
  }
  const tmpGlobal = globalCount;
  const flagGlobal = globalCount + 1;
  const irqMemory = memoryCount;
  const loopCheck = interrupt ? interruptCheck(irqMemory) : [];
  const growCheck = growFlag ? growFailureCheck(tmpGlobal, flagGlobal) : [];

  const out = new Chunks();
  out.push(bytes.subarray(0, 8));
  let loops = 0;
  let grows = 0;
  const added = { memory: false, global: false, export: false };
  /** Sections the module lacks but the additions need, written before the first later one. */
  const addMissing = (beforeOrder: number) => {
    if (interrupt && !added.memory && ORDER.memory < beforeOrder) {
      out.section(5, vecOf([], [INTERRUPT_MEMORY]));
      added.memory = true;
    }
    if (growFlag && !added.global && ORDER.global < beforeOrder) {
      out.section(6, vecOf([], [FLAG_GLOBAL, FLAG_GLOBAL]));
      added.global = true;
    }
    if ((growFlag || interrupt) && !added.export && ORDER.export < beforeOrder) {
      out.section(7, vecOf([], newExports()));
      added.export = true;
    }
  };
  const newExports = (): number[][] => [
    ...(growFlag ? [[...nameBytes(GROW_FAILED_EXPORT), 0x03, ...leb(flagGlobal)]] : []),
    ...(interrupt ? [[...nameBytes(INTERRUPT_EXPORT), 0x02, ...leb(irqMemory)]] : []),
  ];

  let pos = 8;
  while (pos < bytes.length) {
    const start = pos;
    const id = bytes[pos++];
    const c: Cursor = { pos, end: bytes.length, where: "", isFile: true };
    const size = uleb(r, c, "section size");
    const body = { start: c.pos, end: c.pos + size };
    pos = body.end;
    const order = id === 0 ? undefined : SECTIONS.get(id)?.order;
    if (order !== undefined) addMissing(order);
    switch (id) {
      case 5: { // memory
        const entries = memories(r, body, options.maxPages, importedMemories);
        out.section(5, vecOf(entries, interrupt ? [INTERRUPT_MEMORY] : []));
        added.memory = true;
        break;
      }
      case 6: // global
        out.section(6, appendToVec(r, body, growFlag ? [FLAG_GLOBAL, FLAG_GLOBAL] : []));
        added.global = true;
        break;
      case 7: // export
        out.section(7, appendToVec(r, body, newExports()));
        added.export = true;
        break;
      case 10: { // code
        if (!growFlag && !interrupt) {
          out.push(bytes.subarray(start, body.end));
          break;
        }
        const code = rewriteCode(r, body, loopCheck, growCheck);
        loops += code.loops;
        grows += code.grows;
        out.section(10, code.bytes);
        break;
      }
      default:
        out.push(bytes.subarray(start, body.end));
    }
  }
  addMissing(Infinity);
  return { bytes: out.join(), loops, grows };
}

/** Section orders, by name. */
const ORDER = { memory: 5, global: 7, export: 8 } as const;

/** The interrupt memory: shared, one page, at most one page. */
const INTERRUPT_MEMORY = [0x03, 0x01, 0x01];
/** A mutable i32 global, initially 0. */
const FLAG_GLOBAL = [0x7f, 0x01, 0x41, 0x00, 0x0b];

/** `i32.const 0; i32.atomic.load (memory irq); if; unreachable; end` */
function interruptCheck(memory: number): number[] {
  const arg = memory === 0 ? [0x02, 0x00] : [0x42, ...leb(memory), 0x00];
  return [0x41, 0x00, 0xfe, 0x10, ...arg, 0x04, 0x40, 0x00, 0x0b];
}

/**
 * After `memory.grow` (its result on the stack):
 * `global.set tmp; global.get tmp; i32.const -1; i32.eq;
 *  if; i32.const 1; global.set flag; end; global.get tmp`.
 */
function growFailureCheck(tmp: number, flag: number): number[] {
  return [
    0x24,
    ...leb(tmp),
    0x23,
    ...leb(tmp),
    0x41,
    0x7f,
    0x46,
    0x04,
    0x40,
    0x41,
    0x01,
    0x24,
    ...leb(flag),
    0x0b,
    0x23,
    ...leb(tmp),
  ];
}

/** The memory section's entries, each with its maximum capped. */
function memories(
  r: Reader,
  body: { start: number; end: number },
  maxPages: number | undefined,
  imported: number,
): number[][] {
  const c: Cursor = { pos: body.start, end: body.end, where: "memory section", isFile: false };
  const n = uleb(r, c, "memory count");
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    const at = c.pos;
    const flags = r.bytes[c.pos++];
    const memory64 = (flags & 4) !== 0;
    const initial = uleb(r, c, "initial size", memory64 ? 64 : 32);
    const maximum = flags & 1 ? uleb(r, c, "maximum size", memory64 ? 64 : 32) : undefined;
    if (maxPages === undefined || memory64) {
      out.push([...r.bytes.subarray(at, c.pos)]);
      continue;
    }
    if (initial > maxPages) {
      throw new Error(
        `unreachable: memory ${
          imported + i
        } starts at ${initial} pages, above the cap of ${maxPages}`,
      );
    }
    const capped = Math.min(maximum ?? Infinity, maxPages);
    out.push([flags | 1, ...leb(initial), ...leb(capped)]);
  }
  return out;
}

/** A vector section's entries as they are, then more entries. */
function appendToVec(r: Reader, body: { start: number; end: number }, more: number[][]): number[] {
  const c: Cursor = { pos: body.start, end: body.end, where: "section", isFile: false };
  const n = uleb(r, c, "entry count");
  if (more.length === 0) return [...r.bytes.subarray(body.start, body.end)];
  return [...leb(n + more.length), ...r.bytes.subarray(c.pos, body.end), ...more.flat()];
}

function vecOf(entries: number[][], more: number[][]): number[] {
  return [...leb(entries.length + more.length), ...entries.flat(), ...more.flat()];
}

/** The code section with the checks inserted in every body. */
function rewriteCode(
  r: Reader,
  body: { start: number; end: number },
  loopCheck: number[],
  growCheck: number[],
): { bytes: Chunks; loops: number; grows: number } {
  const c: Cursor = { pos: body.start, end: body.end, where: "code section", isFile: false };
  const n = uleb(r, c, "function body count");
  const out = new Chunks();
  out.push(new Uint8Array(leb(n)));
  let loops = 0;
  let grows = 0;
  for (let i = 0; i < n; i++) {
    const size = uleb(r, c, `size of function body ${i}`);
    const end = c.pos + size;
    if (end > body.end) {
      malformed(
        r,
        `function body ${i} at offset ${hex(c.pos)}`,
        `a body inside the code section (which ends at ${hex(body.end)})`,
        `${size} bytes, past its end`,
      );
    }
    const fc: Cursor = {
      pos: c.pos,
      end,
      where: `function body ${i}`,
      isFile: false,
    };
    // Locals: (count, type) pairs, copied as they are.
    const groups = uleb(r, fc, "local group count");
    for (let g = 0; g < groups; g++) {
      uleb(r, fc, "local count");
      const t = byte(r, fc, "a local's type");
      if (t === 0x63 || t === 0x64) {
        throw new LoadError("MALFORMED", {
          path: r.path,
          what: `malformed WebAssembly module (${fc.where})`,
          expected: "locals of value types",
          found: `a typed reference local (${hex(t)}) of the GC proposals`,
          hint: "build the plugin for wasm32 with clang or rustc",
        });
      }
    }
    const parts: Uint8Array[] = [];
    let from = c.pos;
    walkCode(r, fc, (kind, offset) => {
      const insert = kind === "loop" ? loopCheck : growCheck;
      if (insert.length === 0) return;
      if (kind === "loop") loops++;
      else grows++;
      parts.push(r.bytes.subarray(from, offset), new Uint8Array(insert));
      from = offset;
    });
    parts.push(r.bytes.subarray(from, end));
    const length = parts.reduce((s, p) => s + p.length, 0);
    out.push(new Uint8Array(leb(length)));
    for (const p of parts) out.push(p);
    c.pos = end;
  }
  return { bytes: out, loops, grows };
}

function nameBytes(s: string): number[] {
  const b = new TextEncoder().encode(s);
  return [...leb(b.length), ...b];
}

/** An unsigned LEB128 integer. */
function leb(n: number): number[] {
  const out: number[] = [];
  let v = n;
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) b |= 0x80;
    out.push(b);
  } while (v > 0);
  return out;
}

/** Output built from pieces, joined once. */
class Chunks {
  #parts: Uint8Array[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(part: Uint8Array): void {
    this.#parts.push(part);
    this.#length += part.length;
  }

  /** A section: id, size, then the content. */
  section(id: number, content: number[] | Chunks): void {
    const size = content instanceof Chunks ? content.length : content.length;
    this.push(new Uint8Array([id, ...leb(size)]));
    if (content instanceof Chunks) { for (const p of content.#parts) this.push(p); }
    else this.push(new Uint8Array(content));
  }

  join(): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const p of this.#parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}
