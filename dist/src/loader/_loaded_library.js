// Generated from src/loader/_loaded_library.ts by tasks/dist.ts (deno task dist): do not edit.
import { DESCRIPTOR } from "../abi/layout.js";
import { dlopenError, isExportedFunction } from "../check/symbols.js";
import { LoadError, PluginError } from "../errors/plugin_error.js";
import { describeSpecial } from "../file/read_file.js";
import { stamp } from "../file/stamp.js";
import { ffiDeclaration, readErrorMessage, } from "./_bind.js";
import { closeFd, objectBase, sealedCopy } from "./_memfd.js";
import { ObjectMemory } from "./_object_memory.js";
import { deviceTexts, mappedFileAt } from "./_maps.js";
export var libraryKey = (function libraryKey(file) {
    return `${file.realPath}\0${file.sha256}`;
});
var pointerText = (function pointerText(p) {
    return `0x${BigInt(Deno.UnsafePointer.value(p)).toString(16)}`;
});
var callNoArgs = (function callNoArgs(fn, result) {
    const def = { parameters: [], result };
    return new Deno.UnsafeFnPointer(fn, def).call();
});
var badDescriptor = (function badDescriptor(path, expected, found) {
    return new LoadError("METADATA_MISMATCH", {
        path,
        what: "the loaded descriptor disagrees with the file's metadata",
        expected,
        found,
        hint: "rebuild the plugin with plugboard's SDK; a plugin written without it must follow docs/abi.md (a hook needs both its note and its descriptor pointer)",
    });
});
var noteRanges = (function noteRanges(elf) {
    const out = [];
    for (const note of elf.notes) {
        if (note.vaddr < 0 || (note.owner !== "plugboard" && note.owner !== "GNU"))
            continue;
        const last = out[out.length - 1];
        if (last && last.owner === note.owner && note.offset === last.offset + last.size &&
            note.vaddr === last.vaddr + last.size) {
            last.size += note.size;
        }
        else {
            out.push({ owner: note.owner, vaddr: note.vaddr, offset: note.offset, size: note.size });
        }
    }
    return out;
});
var sameLayout = (function sameLayout(entryPtr, memory, bytes) {
    if (objectBase(entryPtr) !== memory.base)
        return false;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const phEnd = Number(dv.getBigUint64(32, true)) + dv.getUint16(54, true) * dv.getUint16(56, true);
    const n = phEnd <= 4096 && phEnd <= bytes.length ? phEnd : 64;
    const first = memory.segmentOf(0, n, { fileBacked: true });
    if (!first || first.offset !== 0 || first.vaddr !== 0)
        return false;
    return equalBytes(memory.view(0, n), bytes.subarray(0, n));
});
var equalBytes = (function equalBytes(a, b) {
    if (a.length !== b.length)
        return false;
    for (let i = 0; i < a.length; i++)
        if (a[i] !== b[i])
            return false;
    return true;
});
var whyKept = (function whyKept(elf, mode) {
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
});
var changedSince = (function changedSince(file) {
    let now;
    try {
        now = stamp(file.realPath);
    }
    catch (e) {
        return { special: false, found: `nothing that can be opened (${e.message})` };
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
});
var changedError = (function changedError(path, file, { special, found }) {
    return new LoadError(special ? "NOT_A_FILE" : "CHECKSUM_MISMATCH", {
        path,
        what: "the file changed between the checks and the load by path",
        expected: `the checked file (SHA-256 ${file.sha256.slice(0, 12)}, inode ${file.stat.ino})`,
        found,
        hint: 'load with { load: "memfd" } (the default), which loads exactly the checked bytes; by path, keep the file unchanged while it loads',
    });
});
var rawKey = (function rawKey(sig, into) {
    return sig.nonblocking
        ? `${sig.name}__nonblocking`
        : into
            ? `${sig.name}${INTO_SUFFIX}`
            : sig.name;
});
export const loadedLibraries = new Map();
const resident = new Map();
export class LoadedLibrary {
    file;
    elf;
    metadata;
    mode;
    loadPath;
    state = {
        inflight: 0,
        drained: () => this.#maybeUnload(),
    };
    leases = 0;
    takeError;
    code = new Map();
    #entry;
    #groups = [];
    #raw = new Map();
    #intoKnown = new Map();
    #intoCopy;
    #memory;
    #descriptor;
    #memfd;
    #initialized = false;
    #unloading;
    constructor(file, elf, metadata, mode, loadPath, entry, memory, descriptor, memfd) {
        this.file = file;
        this.elf = elf;
        this.metadata = metadata;
        this.mode = mode;
        this.loadPath = loadPath;
        this.#entry = entry;
        this.#memory = memory;
        this.#descriptor = descriptor;
        this.#memfd = memfd;
    }
    static load(file, elf, metadata, mode, runInit) {
        const path = file.path;
        let memfd;
        let loadPath = file.realPath;
        const kept = mode === "memfd" ? resident.get(file.sha256) : undefined;
        if (kept) {
            resident.delete(file.sha256);
            memfd = kept.fd;
            loadPath = kept.path;
        }
        else if (mode === "memfd") {
            try {
                const copy = sealedCopy(metadata.name, file.bytes);
                memfd = copy.fd;
                loadPath = copy.path;
            }
            catch (e) {
                throw new LoadError("LOAD_FAILED", {
                    path,
                    what: "could not make a sealed in-memory copy",
                    expected: "memfd_create, write and F_ADD_SEALS to succeed",
                    found: e.message,
                    hint: 'load with { load: "path" } on systems without memfd_create',
                    cause: e,
                });
            }
        }
        if (mode === "path") {
            const changed = changedSince(file);
            if (changed)
                throw changedError(path, file, changed);
        }
        let entry;
        try {
            entry = Deno.dlopen(loadPath, { plugboard_entry: { type: "pointer" } });
        }
        catch (e) {
            if (memfd !== undefined)
                closeFd(memfd);
            throw dlopenError(e, path, loadPath, elf);
        }
        const fail = (err) => {
            entry.close();
            if (memfd !== undefined)
                closeFd(memfd);
            throw err;
        };
        const entrySym = elf.symbols.find((s) => s.name === "plugboard_entry");
        const entryAddr = Deno.UnsafePointer.value(entry.symbols.plugboard_entry);
        const base = BigInt(entryAddr) - BigInt(entrySym.value);
        const memory = new ObjectMemory(base, elf);
        if (mode === "path") {
            const mapped = mappedFileAt(BigInt(entryAddr));
            if (mapped &&
                (mapped.ino !== file.stat.ino || !deviceTexts(file.stat.dev).includes(mapped.dev))) {
                fail(new LoadError("METADATA_MISMATCH", {
                    path,
                    what: "the library in memory is not the file that was checked",
                    expected: `the checked file (inode ${file.stat.ino})`,
                    found: `another file mapped (device ${mapped.dev}, inode ${mapped.ino}): the file changed after it was checked, or the dynamic linker returned a library loaded earlier from the same path`,
                    hint: 'close every handle on the old build before reopening it by path, or load with { load: "memfd" }',
                }));
            }
        }
        if (!sameLayout(entry.symbols.plugboard_entry, memory, file.bytes)) {
            fail(new LoadError("METADATA_MISMATCH", {
                path,
                what: "the library in memory is not the file that was checked",
                expected: `the layout of the file (SHA-256 ${file.sha256.slice(0, 12)})`,
                found: "another layout in memory: the file changed after it was checked, or the dynamic linker returned a library loaded earlier from the same path",
                hint: 'close every handle on the old build before reopening it by path, or load with { load: "memfd" }',
            }));
        }
        for (const note of noteRanges(elf)) {
            const inside = memory.segmentOf(note.vaddr, note.size, { fileBacked: true });
            const disk = file.bytes.subarray(note.offset, note.offset + note.size);
            if (!inside || !equalBytes(memory.view(note.vaddr, note.size), disk)) {
                fail(new LoadError("METADATA_MISMATCH", {
                    path,
                    what: "the library in memory is not the file that was checked",
                    expected: `the ${note.owner} note of the file (SHA-256 ${file.sha256.slice(0, 12)})`,
                    found: "different bytes in memory: the file changed after it was checked, or the dynamic linker returned a library loaded earlier from the same path",
                    hint: 'close every handle on the old build before reopening it by path, or load with { load: "memfd" }',
                }));
            }
        }
        const descriptor = callNoArgs(entry.symbols.plugboard_entry, "pointer");
        if (descriptor === null) {
            fail(badDescriptor(path, "a descriptor", "plugboard_entry() returned NULL"));
        }
        if (!memory.holds(descriptor, DESCRIPTOR.bytes)) {
            fail(badDescriptor(path, `a ${DESCRIPTOR.bytes}-byte descriptor inside the plugin's loaded segments`, `plugboard_entry() returned ${pointerText(descriptor)}, outside them`));
        }
        const view = new Deno.UnsafePointerView(descriptor);
        const size = view.getUint32(DESCRIPTOR.size);
        const major = view.getUint16(DESCRIPTOR.abiMajor);
        const minor = view.getUint16(DESCRIPTOR.abiMinor);
        if (size < DESCRIPTOR.bytes) {
            fail(badDescriptor(path, `a descriptor of at least ${DESCRIPTOR.bytes} bytes`, `${size} bytes`));
        }
        if (major !== metadata.abi.major || minor !== metadata.abi.minor) {
            fail(badDescriptor(path, `ABI ${metadata.abi.major}.${metadata.abi.minor} (as in the file's note)`, `ABI ${major}.${minor} in the loaded descriptor`));
        }
        for (const [name, offset, hook] of HOOKS) {
            const fn = view.getPointer(offset);
            if (fn !== null && !memory.holds(fn, 1, { execute: true })) {
                fail(badDescriptor(path, `descriptor.${name} NULL or a function in the plugin's code`, `${pointerText(fn)}, outside the plugin's executable segments`));
            }
            const noted = hook === undefined || metadata.hooks[hook];
            if (hook !== undefined && noted !== (fn !== null)) {
                fail(badDescriptor(path, noted
                    ? `descriptor.${name} set, as the plugin's ${hook} hook note says`
                    : `descriptor.${name} NULL, as the plugin declares no ${hook} hook`, noted
                    ? `a NULL descriptor.${name}: the hook note is there, the function is not`
                    : `descriptor.${name} set (${pointerText(fn)}) with no ${hook} hook note: it would never run`));
            }
            if (hook === undefined && fn === null) {
                fail(badDescriptor(path, "descriptor.take_error set", "NULL"));
            }
        }
        const lib = new LoadedLibrary(file, elf, metadata, mode, loadPath, entry, memory, descriptor, memfd);
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
        lib.#initialized = runInit;
        return lib;
    }
    get memory() {
        return this.#memory;
    }
    checkBindable(sigs, path) {
        for (const sig of sigs) {
            if (sig.fallible && sig.nonblocking) {
                throw new PluginError("USAGE", `Function ${JSON.stringify(sig.name)} is fallible and cannot be called nonblocking`, {
                    path,
                    hint: "a fallible function reports errors in thread-local storage of the calling thread; call it synchronously, or isolate the plugin in a child process",
                });
            }
        }
    }
    bound(sig) {
        const into = this.#into(sig);
        const raw = this.#raw.get(rawKey(sig, into));
        if (raw === undefined || (sig.fallible && !this.takeError))
            return undefined;
        if (into && !this.#intoCopy)
            return undefined;
        return {
            raw,
            takeError: sig.fallible ? this.takeError : undefined,
            ...(into ? { intoCopy: this.#intoCopy } : {}),
        };
    }
    #into(sig) {
        if (sig.result !== "cstring" || sig.nonblocking)
            return false;
        let known = this.#intoKnown.get(sig.name);
        if (known === undefined) {
            const name = `${sig.name}${INTO_SUFFIX}`;
            known = !this.metadata.functions.has(name) && isExportedFunction(this.elf, name) &&
                isExportedFunction(this.elf, INTO_COPY);
            this.#intoKnown.set(sig.name, known);
        }
        return known;
    }
    bindRaw(sig, path) {
        const ready = this.bound(sig);
        if (ready)
            return ready;
        const into = this.#into(sig);
        const key = rawKey(sig, into);
        const decls = {};
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
        let group;
        try {
            group = Deno.dlopen(this.loadPath, decls);
        }
        catch (e) {
            throw dlopenError(e, path, this.loadPath, this.elf);
        }
        this.#groups.push(group);
        for (const [k, f] of Object.entries(group.symbols)) {
            if (k === "__plugboard_take_error") {
                this.takeError = f;
            }
            else if (k === "__plugboard_into_copy") {
                this.#intoCopy = f;
            }
            else
                this.#raw.set(k, f);
        }
        return this.bound(sig);
    }
    release() {
        this.leases--;
        if (this.leases > 0) {
            return Promise.resolve({
                unloaded: false,
                reason: `${this.leases} other handle(s) still open`,
            });
        }
        let resolve;
        const promise = new Promise((r) => resolve = r);
        this.#unloading = { resolve, promise };
        loadedLibraries.delete(libraryKey(this.file));
        this.#maybeUnload();
        return promise;
    }
    #maybeUnload() {
        if (!this.#unloading || this.state.inflight > 0)
            return;
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
    #takeErrorSlow() {
        const fn = new Deno.UnsafePointerView(this.#descriptor).getPointer(DESCRIPTOR.takeError);
        if (fn === null)
            return undefined;
        const e = callNoArgs(fn, "pointer");
        return e === null ? undefined : readErrorMessage(e);
    }
    #closeAll() {
        const probe = this.#memory.pointer(this.elf.symbols.find((s) => s.name === "plugboard_entry")
            .value);
        for (const g of this.#groups)
            g.close();
        this.#groups = [];
        this.#raw.clear();
        this.#intoCopy = undefined;
        this.#entry.close();
        if (objectBase(probe) === undefined) {
            if (this.#memfd !== undefined)
                closeFd(this.#memfd);
            return { unloaded: true };
        }
        if (this.#memfd !== undefined) {
            resident.set(this.file.sha256, { fd: this.#memfd, path: this.loadPath });
        }
        return { unloaded: false, reason: whyKept(this.elf, this.mode) };
    }
}
const HOOKS = [
    ["init", DESCRIPTOR.init, "init"],
    ["shutdown", DESCRIPTOR.shutdown, "shutdown"],
    ["take_error", DESCRIPTOR.takeError, undefined],
];
const DF_1_NODELETE = 0x8;
const INTO_SUFFIX = "__into";
const INTO_COPY = "plugboard_into_copy";
