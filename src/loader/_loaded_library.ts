/**
 * One native library loaded in this process, shared by every handle on the
 * same file and bytes: the sealed memfd copy, the entry point, the
 * cross-check of the loaded object against the checked file, the
 * descriptor, the init and shutdown hooks, symbols bound one at a time, and
 * the unload once the last handle is closed and no call is in flight.
 *
 * @module
 */

import { DESCRIPTOR } from "../abi/layout.ts";
import type { PluginMetadata } from "../abi/read_metadata.ts";
import type { Signature } from "../abi/signature.ts";
import { dlopenError, isExportedFunction } from "../check/symbols.ts";
import type { ElfInfo } from "../elf/read_elf.ts";
import { LoadError, PluginError } from "../errors/plugin_error.ts";
import { describeSpecial, type ReadFile } from "../file/read_file.ts";
import { type FileStamp, stamp } from "../file/stamp.ts";
import type { CloseResult } from "../handle/plugin.ts";
import {
  type BoundRaw,
  ffiDeclaration,
  type IntoCopy,
  type LibraryState,
  readErrorMessage,
} from "./_bind.ts";
import { closeFd, objectBase, sealedCopy } from "./_memfd.ts";
import { ObjectMemory } from "./_object_memory.ts";
import { deviceTexts, mappedFileAt } from "./_maps.ts";

/** How a plugin's bytes are mapped. */
export type LoadMode = "memfd" | "path";

/** The libraries loaded now, by real path and SHA-256. */
export const loadedLibraries: Map<string, LoadedLibrary> = new Map();

/**
 * Sealed copies whose library stayed mapped after its last close (`-z
 * nodelete`, STB_GNU_UNIQUE symbols, a Go runtime, a thread-local
 * destructor), by SHA-256. The memfd stays open so its name is never reused,
 * and opening the same bytes again reuses the mapped library instead of
 * mapping a second copy (a second Go runtime in one process fails).
 */
const resident = new Map<string, { fd: number; path: string }>();

/**
 * The key of a file in {@linkcode loadedLibraries}.
 *
 * @param file the file
 * @returns its key
 */
export function libraryKey(file: { realPath: string; sha256: string }): string {
  return `${file.realPath}\0${file.sha256}`;
}

/** One loaded library, shared by every handle on the same file and bytes. */
export class LoadedLibrary {
  readonly state: LibraryState = {
    inflight: 0,
    drained: (): void => this.#maybeUnload(),
  };
  leases = 0;
  takeError: (() => Deno.PointerValue) | undefined;
  /** Wrapper code compiled for this library's functions, shared by its handles. */
  readonly code: Map<string, string> = new Map();
  #entry: Deno.DynamicLibrary<{ plugboard_entry: { type: "pointer" } }>;
  #groups: Deno.DynamicLibrary<Record<string, Deno.ForeignFunction>>[] = [];
  #raw = new Map<string, BoundRaw["raw"]>();
  #intoKnown = new Map<string, boolean>();
  #intoCopy: IntoCopy | undefined;
  #memory: ObjectMemory;
  #descriptor: Deno.PointerObject;
  #memfd: number | undefined;
  #initialized = false;
  #unloading: { resolve: (r: CloseResult) => void; promise: Promise<CloseResult> } | undefined;

  private constructor(
    readonly file: ReadFile,
    readonly elf: ElfInfo,
    readonly metadata: PluginMetadata,
    readonly mode: LoadMode,
    readonly loadPath: string,
    entry: Deno.DynamicLibrary<{ plugboard_entry: { type: "pointer" } }>,
    memory: ObjectMemory,
    descriptor: Deno.PointerObject,
    memfd: number | undefined,
  ) {
    this.#entry = entry;
    this.#memory = memory;
    this.#descriptor = descriptor;
    this.#memfd = memfd;
  }

  static load(
    file: ReadFile,
    elf: ElfInfo,
    metadata: PluginMetadata,
    mode: LoadMode,
    runInit: boolean,
  ): LoadedLibrary {
    const path = file.path;
    let memfd: number | undefined;
    let loadPath = file.realPath;
    const kept = mode === "memfd" ? resident.get(file.sha256) : undefined;
    if (kept) {
      resident.delete(file.sha256);
      memfd = kept.fd;
      loadPath = kept.path;
    } else if (mode === "memfd") {
      try {
        const copy = sealedCopy(metadata.name, file.bytes);
        memfd = copy.fd;
        loadPath = copy.path;
      } catch (e) {
        throw new LoadError("LOAD_FAILED", {
          path,
          what: "could not make a sealed in-memory copy",
          expected: "memfd_create, write and F_ADD_SEALS to succeed",
          found: (e as Error).message,
          hint: 'load with { load: "path" } on systems without memfd_create',
          cause: e,
        });
      }
    }
    // By path, the dynamic linker opens the file again: make sure the path
    // still names the file that was checked (a FIFO there would block the
    // open forever, another file would run other code). The window left,
    // between this check and the linker's open, is closed below by asking
    // the kernel which file it mapped.
    if (mode === "path") {
      const changed = changedSince(file);
      if (changed) throw changedError(path, file, changed);
    }
    let entry: Deno.DynamicLibrary<{ plugboard_entry: { type: "pointer" } }>;
    try {
      entry = Deno.dlopen(loadPath, { plugboard_entry: { type: "pointer" } } as const);
    } catch (e) {
      if (memfd !== undefined) closeFd(memfd);
      throw dlopenError(e, path, loadPath, elf);
    }
    const fail = (err: PluginError): never => {
      entry.close();
      if (memfd !== undefined) closeFd(memfd);
      throw err;
    };
    const entrySym = elf.symbols.find((s) => s.name === "plugboard_entry")!;
    const entryAddr = Deno.UnsafePointer.value(entry.symbols.plugboard_entry);
    const base = BigInt(entryAddr) - BigInt(entrySym.value);
    const memory = new ObjectMemory(base, elf);
    if (mode === "path") {
      const mapped = mappedFileAt(BigInt(entryAddr));
      if (
        mapped &&
        (mapped.ino !== file.stat.ino || !deviceTexts(file.stat.dev).includes(mapped.dev))
      ) {
        fail(
          new LoadError("METADATA_MISMATCH", {
            path,
            what: "the library in memory is not the file that was checked",
            expected: `the checked file (inode ${file.stat.ino})`,
            found:
              `another file mapped (device ${mapped.dev}, inode ${mapped.ino}): the file changed after it was checked, or the dynamic linker returned a library loaded earlier from the same path`,
            hint:
              'close every handle on the old build before reopening it by path, or load with { load: "memfd" }',
          }),
        );
      }
    }
    // Before reading any plugin memory at addresses computed from the file,
    // make sure the loaded object has the file's layout: the dynamic linker
    // may have handed back another library loaded earlier from the same path,
    // and reading it at the file's offsets could touch unmapped memory.
    if (!sameLayout(entry.symbols.plugboard_entry!, memory, file.bytes)) {
      fail(
        new LoadError("METADATA_MISMATCH", {
          path,
          what: "the library in memory is not the file that was checked",
          expected: `the layout of the file (SHA-256 ${file.sha256.slice(0, 12)})`,
          found:
            "another layout in memory: the file changed after it was checked, or the dynamic linker returned a library loaded earlier from the same path",
          hint:
            'close every handle on the old build before reopening it by path, or load with { load: "memfd" }',
        }),
      );
    }
    // Cross-check: the notes in memory must be the notes in the file. Notes
    // that follow each other in the file and in memory are compared as one
    // range (one view instead of one per note).
    // Only ranges that lie whole inside a segment mapped from the file are
    // read; the pipeline refused a plugin whose plugboard notes do not.
    for (const note of noteRanges(elf)) {
      const inside = memory.segmentOf(note.vaddr, note.size, { fileBacked: true });
      const disk = file.bytes.subarray(note.offset, note.offset + note.size);
      if (!inside || !equalBytes(memory.view(note.vaddr, note.size), disk)) {
        fail(
          new LoadError("METADATA_MISMATCH", {
            path,
            what: "the library in memory is not the file that was checked",
            expected: `the ${note.owner} note of the file (SHA-256 ${file.sha256.slice(0, 12)})`,
            found:
              "different bytes in memory: the file changed after it was checked, or the dynamic linker returned a library loaded earlier from the same path",
            hint:
              'close every handle on the old build before reopening it by path, or load with { load: "memfd" }',
          }),
        );
      }
    }
    // The descriptor, through the entry function: it must lie in the
    // plugin's own memory, and its hooks in the plugin's own code.
    const descriptor = callNoArgs(entry.symbols.plugboard_entry!, "pointer");
    if (descriptor === null) {
      fail(badDescriptor(path, "a descriptor", "plugboard_entry() returned NULL"));
    }
    if (!memory.holds(descriptor, DESCRIPTOR.bytes)) {
      fail(
        badDescriptor(
          path,
          `a ${DESCRIPTOR.bytes}-byte descriptor inside the plugin's loaded segments`,
          `plugboard_entry() returned ${pointerText(descriptor)}, outside them`,
        ),
      );
    }
    const view = new Deno.UnsafePointerView(descriptor!);
    const size = view.getUint32(DESCRIPTOR.size);
    const major = view.getUint16(DESCRIPTOR.abiMajor);
    const minor = view.getUint16(DESCRIPTOR.abiMinor);
    if (size < DESCRIPTOR.bytes) {
      fail(
        badDescriptor(path, `a descriptor of at least ${DESCRIPTOR.bytes} bytes`, `${size} bytes`),
      );
    }
    if (major !== metadata.abi.major || minor !== metadata.abi.minor) {
      fail(
        badDescriptor(
          path,
          `ABI ${metadata.abi.major}.${metadata.abi.minor} (as in the file's note)`,
          `ABI ${major}.${minor} in the loaded descriptor`,
        ),
      );
    }
    for (const [name, offset, hook] of HOOKS) {
      const fn = view.getPointer(offset);
      if (fn !== null && !memory.holds(fn, 1, { execute: true })) {
        fail(
          badDescriptor(
            path,
            `descriptor.${name} NULL or a function in the plugin's code`,
            `${pointerText(fn)}, outside the plugin's executable segments`,
          ),
        );
      }
      // A hook is declared twice, by its note and by its pointer: they must agree.
      const noted = hook === undefined || metadata.hooks[hook];
      if (hook !== undefined && noted !== (fn !== null)) {
        fail(
          badDescriptor(
            path,
            noted
              ? `descriptor.${name} set, as the plugin's ${hook} hook note says`
              : `descriptor.${name} NULL, as the plugin declares no ${hook} hook`,
            noted
              ? `a NULL descriptor.${name}: the hook note is there, the function is not`
              : `descriptor.${name} set (${
                pointerText(fn)
              }) with no ${hook} hook note: it would never run`,
          ),
        );
      }
      if (hook === undefined && fn === null) {
        fail(badDescriptor(path, "descriptor.take_error set", "NULL"));
      }
    }
    const lib = new LoadedLibrary(
      file,
      elf,
      metadata,
      mode,
      loadPath,
      entry,
      memory,
      descriptor!,
      memfd,
    );
    if (runInit && metadata.hooks.init) {
      const init = view.getPointer(DESCRIPTOR.init);
      if (init !== null) {
        const status = callNoArgs(init, "i32");
        if (status !== 0) {
          const message = lib.#takeErrorSlow() ?? `init returned ${status}`;
          lib.#closeAll();
          throw new LoadError("INIT_FAILED", {
            path,
            what: `the plugin's init hook failed`,
            expected: "init to return 0",
            found: `${status}: ${message}`,
            hint: "the plugin refused to start; fix what its message says, then load it again",
          });
        }
      }
    }
    // Shutdown runs whenever the host ran (or would have run) init, hook or not.
    lib.#initialized = runInit;
    return lib;
  }

  /** The loaded object's memory, for checked reads at file addresses. */
  get memory(): ObjectMemory {
    return this.#memory;
  }

  /**
   * Check that every signature can be bound (without binding any): a
   * fallible function reports its error in the calling thread's storage, so
   * it cannot run on Deno's thread pool.
   */
  checkBindable(sigs: readonly Signature[], path: string): void {
    for (const sig of sigs) {
      if (sig.fallible && sig.nonblocking) {
        throw new PluginError(
          "USAGE",
          `Function ${JSON.stringify(sig.name)} is fallible and cannot be called nonblocking`,
          {
            path,
            hint:
              "a fallible function reports errors in thread-local storage of the calling thread; call it synchronously, or isolate the plugin in a child process",
          },
        );
      }
    }
  }

  /** The raw function of a signature if it is bound already. */
  bound(sig: Signature): BoundRaw | undefined {
    const into = this.#into(sig);
    const raw = this.#raw.get(rawKey(sig, into));
    if (raw === undefined || (sig.fallible && !this.takeError)) return undefined;
    if (into && !this.#intoCopy) return undefined;
    return {
      raw,
      takeError: sig.fallible ? this.takeError : undefined,
      ...(into ? { intoCopy: this.#intoCopy } : {}),
    };
  }

  /**
   * Whether a function's `cstring` results are read through its
   * `NAME__into` export (native/plugboard.h writes one for each synchronous
   * cstring function): the plugin copies the text into a buffer the host
   * lends, so no pointer object is made per call. Only when the file also
   * exports `plugboard_into_copy` and declares no function of that name of
   * its own; otherwise the pointer is read as before.
   */
  #into(sig: Signature): boolean {
    if (sig.result !== "cstring" || sig.nonblocking) return false;
    let known = this.#intoKnown.get(sig.name);
    if (known === undefined) {
      const name = `${sig.name}${INTO_SUFFIX}`;
      known = !this.metadata.functions.has(name) && isExportedFunction(this.elf, name) &&
        isExportedFunction(this.elf, INTO_COPY);
      this.#intoKnown.set(sig.name, known);
    }
    return known;
  }

  /**
   * Bind one signature (and `plugboard_take_error` with the first fallible
   * one, `plugboard_into_copy` with the first `NAME__into`), in one
   * Deno.dlopen; already bound ones come from the cache.
   */
  bindRaw(sig: Signature, path: string): BoundRaw {
    const ready = this.bound(sig);
    if (ready) return ready;
    const into = this.#into(sig);
    const key = rawKey(sig, into);
    const decls: Record<string, Deno.ForeignFunction & { name: string }> = {};
    if (!this.#raw.has(key)) {
      const decl = ffiDeclaration(sig);
      decls[key] = into
        ? {
          name: `${sig.name}${INTO_SUFFIX}`,
          parameters: [...decl.parameters, "pointer", "u32"],
          result: "u32",
        }
        : { name: sig.name, ...decl };
    }
    if (sig.fallible && !this.takeError) {
      decls.__plugboard_take_error = {
        name: "plugboard_take_error",
        parameters: [],
        result: "pointer",
      };
    }
    if (into && !this.#intoCopy) {
      decls.__plugboard_into_copy = {
        name: INTO_COPY,
        parameters: ["buffer", "u32"],
        result: "u32",
      };
    }
    let group: Deno.DynamicLibrary<Record<string, Deno.ForeignFunction>>;
    try {
      group = Deno.dlopen(this.loadPath, decls);
    } catch (e) {
      throw dlopenError(e, path, this.loadPath, this.elf);
    }
    this.#groups.push(group);
    for (const [k, f] of Object.entries(group.symbols)) {
      if (k === "__plugboard_take_error") {
        this.takeError = f as () => Deno.PointerValue;
      } else if (k === "__plugboard_into_copy") {
        this.#intoCopy = f as IntoCopy;
      } else this.#raw.set(k, f as BoundRaw["raw"]);
    }
    return this.bound(sig)!;
  }

  /** One handle is done with the library. */
  release(): Promise<CloseResult> {
    this.leases--;
    if (this.leases > 0) {
      return Promise.resolve({
        unloaded: false,
        reason: `${this.leases} other handle(s) still open`,
      });
    }
    let resolve!: (r: CloseResult) => void;
    const promise = new Promise<CloseResult>((r) => resolve = r);
    this.#unloading = { resolve, promise };
    loadedLibraries.delete(libraryKey(this.file));
    this.#maybeUnload();
    return promise;
  }

  #maybeUnload(): void {
    if (!this.#unloading || this.state.inflight > 0) return;
    const unloading = this.#unloading;
    this.#unloading = undefined;
    if (this.#initialized && this.metadata.hooks.shutdown) {
      const fn = new Deno.UnsafePointerView(this.#descriptor).getPointer(DESCRIPTOR.shutdown);
      if (fn !== null) {
        callNoArgs(fn, "void");
      }
    }
    unloading.resolve(this.#closeAll());
  }

  #takeErrorSlow(): string | undefined {
    const fn = new Deno.UnsafePointerView(this.#descriptor).getPointer(DESCRIPTOR.takeError);
    if (fn === null) return undefined;
    const e = callNoArgs(fn, "pointer");
    return e === null ? undefined : readErrorMessage(e);
  }

  #closeAll(): CloseResult {
    // An address inside the object, to ask the dynamic linker afterwards
    // whether it is still mapped (dladdr reads only the linker's own lists).
    const probe = this.#memory.pointer(
      this.elf.symbols.find((s) => s.name === "plugboard_entry")!
        .value,
    );
    for (const g of this.#groups) g.close();
    this.#groups = [];
    this.#raw.clear();
    this.#intoCopy = undefined;
    this.#entry.close();
    if (objectBase(probe) === undefined) {
      if (this.#memfd !== undefined) closeFd(this.#memfd);
      return { unloaded: true };
    }
    // The library stays. Keep its memfd open, so that its number, and with
    // it the name glibc knows the library by, is never reused for another
    // plugin; opening the same bytes again reuses it.
    if (this.#memfd !== undefined) {
      resident.set(this.file.sha256, { fd: this.#memfd, path: this.loadPath });
    }
    return { unloaded: false, reason: whyKept(this.elf, this.mode) };
  }
}

/** The descriptor's function pointers: name, offset, and the hook note each must agree with. */
const HOOKS: readonly [string, number, "init" | "shutdown" | undefined][] = [
  ["init", DESCRIPTOR.init, "init"],
  ["shutdown", DESCRIPTOR.shutdown, "shutdown"],
  ["take_error", DESCRIPTOR.takeError, undefined],
];

function pointerText(p: Deno.PointerValue): string {
  return `0x${BigInt(Deno.UnsafePointer.value(p)).toString(16)}`;
}

/** Call a `T f(void)` function pointer (slow path; used for hooks only). */
function callNoArgs<R extends "void" | "i32" | "pointer">(
  fn: Deno.PointerObject,
  result: R,
): Deno.StaticForeignSymbolReturnType<{ parameters: []; result: R }> {
  const def = { parameters: [], result } as { parameters: []; result: R };
  return new Deno.UnsafeFnPointer(fn as Deno.PointerObject<typeof def>, def).call();
}

function badDescriptor(path: string, expected: string, found: string): LoadError {
  return new LoadError("METADATA_MISMATCH", {
    path,
    what: "the loaded descriptor disagrees with the file's metadata",
    expected,
    found,
    hint:
      "rebuild the plugin with plugboard's SDK; a plugin written without it must follow docs/abi.md (a hook needs both its note and its descriptor pointer)",
  });
}

/** The plugboard and GNU notes to compare, adjacent ones merged into one range. */
function noteRanges(
  elf: ElfInfo,
): { owner: string; vaddr: number; offset: number; size: number }[] {
  const out: { owner: string; vaddr: number; offset: number; size: number }[] = [];
  for (const note of elf.notes) {
    if (note.vaddr < 0 || (note.owner !== "plugboard" && note.owner !== "GNU")) continue;
    const last = out[out.length - 1];
    if (
      last && last.owner === note.owner && note.offset === last.offset + last.size &&
      note.vaddr === last.vaddr + last.size
    ) {
      last.size += note.size;
    } else {
      out.push({ owner: note.owner, vaddr: note.vaddr, offset: note.offset, size: note.size });
    }
  }
  return out;
}

/**
 * Whether the object loaded at the base (as dladdr reports it for the entry
 * point) starts with the file's ELF header and program headers. They are
 * read only when the file maps them at the start of its first segment.
 */
function sameLayout(
  entryPtr: Deno.PointerObject,
  memory: ObjectMemory,
  bytes: Uint8Array,
): boolean {
  if (objectBase(entryPtr) !== memory.base) return false;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const phEnd = Number(dv.getBigUint64(32, true)) + dv.getUint16(54, true) * dv.getUint16(56, true);
  const n = phEnd <= 4096 && phEnd <= bytes.length ? phEnd : 64;
  const first = memory.segmentOf(0, n, { fileBacked: true });
  if (!first || first.offset !== 0 || first.vaddr !== 0) return false;
  return equalBytes(memory.view(0, n), bytes.subarray(0, n));
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Why the dynamic linker kept a library mapped after its last dlclose, as
 * far as the file tells: `-z nodelete` (DF_1_NODELETE; the Go runtime sets
 * it too), STB_GNU_UNIQUE symbols (C++ inline statics and templates), a
 * thread-local destructor (C++ `thread_local` objects, Rust `thread_local!`
 * with a `Drop` type: glibc keeps the library until the thread that
 * registered it exits), or, loaded by path, another handle outside plugboard.
 *
 * @param elf the parsed file
 * @param mode how it was loaded
 * @returns the reason
 */
function whyKept(elf: ElfInfo, mode: LoadMode): string {
  const stays = "its code and state stay in memory";
  if ((elf.flags1 & DF_1_NODELETE) !== 0) {
    return `linked with -z nodelete (DF_1_NODELETE): the dynamic linker never unloads it; ${stays} until the process exits`;
  }
  const unique = elf.symbols.find((s) => s.defined && s.binding === "unique");
  if (unique) {
    return `it defines the STB_GNU_UNIQUE symbol "${unique.name}" (a C++ inline static or template): glibc never unloads such a library; ${stays} until the process exits`;
  }
  if (elf.symbols.some((s) => !s.defined && s.name.startsWith("__cxa_thread_atexit"))) {
    return `it registered a thread-local destructor (a C++ thread_local object or a Rust thread_local! with Drop): glibc keeps the library mapped until the thread that ran it exits; ${stays}, its memfd stays open so its name is not reused, and opening the same build again reuses it`;
  }
  return mode === "path"
    ? `the dynamic linker kept the library mapped after dlclose: another handle outside plugboard still holds it; ${stays}`
    : `the dynamic linker kept the library mapped after dlclose; ${stays}, and its memfd stays open so its name is not reused`;
}

const DF_1_NODELETE = 0x8;

/** What is at the file's path now, when it is not the file that was checked. */
function changedSince(file: ReadFile): { special: boolean; found: string } | undefined {
  let now: FileStamp;
  try {
    // The same kind of stamp as the checked one (statx where FFI allows).
    now = stamp(file.realPath);
  } catch (e) {
    return { special: false, found: `nothing that can be opened (${(e as Error).message})` };
  }
  const then = file.stat;
  if (!now.isFile) {
    return {
      special: true,
      found: now.isDirectory ? "a directory" : describeSpecial(now.mode),
    };
  }
  if (now.dev !== then.dev || now.ino !== then.ino) {
    return { special: false, found: `another file (inode ${now.ino})` };
  }
  if (now.size !== then.size || now.mtimeMs !== then.mtimeMs || now.ctimeMs !== then.ctimeMs) {
    return { special: false, found: "the same file, modified" };
  }
  return undefined;
}

function changedError(
  path: string,
  file: ReadFile,
  { special, found }: { special: boolean; found: string },
): LoadError {
  return new LoadError(special ? "NOT_A_FILE" : "CHECKSUM_MISMATCH", {
    path,
    what: "the file changed between the checks and the load by path",
    expected: `the checked file (SHA-256 ${file.sha256.slice(0, 12)}, inode ${file.stat.ino})`,
    found,
    hint:
      'load with { load: "memfd" } (the default), which loads exactly the checked bytes; by path, keep the file unchanged while it loads',
  });
}

function rawKey(sig: Signature, into: boolean): string {
  return sig.nonblocking
    ? `${sig.name}__nonblocking`
    : into
    ? `${sig.name}${INTO_SUFFIX}`
    : sig.name;
}

/** The suffix of a cstring function's copying twin (native/plugboard.h). */
const INTO_SUFFIX = "__into";
/** What copies a text `NAME__into` could not fit (native/plugboard.h). */
const INTO_COPY = "plugboard_into_copy";
