// Generated from src/loader/open_library.ts by tasks/dist.ts (deno task dist): do not edit.
import { parseDeclarations, structRecord } from "../abi/define_interface.js";
import { checkLibrary } from "../check/check_plugin.js";
import { dlopenError } from "../check/symbols.js";
import { LoadError, PluginError, quote } from "../errors/plugin_error.js";
import { newHandleState, } from "../handle/plugin.js";
import { ffiDeclaration, makeWrapper } from "./_bind.js";
import { assertFfi, closeFd, sealedCopy } from "./_memfd.js";
export var assertPlainSignatures = (function assertPlainSignatures(sigs, path) {
    for (const sig of sigs) {
        if (!sig.fallible)
            continue;
        throw new PluginError("USAGE", `Cannot declare ${quote(sig.name)} of library ${quote(path)} fallible: expected a plain signature, found "fallible", which needs plugboard's error channel (plugboard_take_error) that only plugins export`, {
            path,
            hint: "drop `fallible` and check the function's own error result, or build the library as a plugin",
        });
    }
});
export var loadLibrary = (function loadLibrary(path, declarations, options = {}) {
    const signatures = parseDeclarations(declarations, structRecord(options.structs ?? []));
    assertFfi(path);
    assertPlainSignatures(signatures.values(), path);
    const checked = path.includes("/") ? checkLibrary(path, signatures.keys(), options) : undefined;
    const backend = LibraryBackend.load(path, checked, "path");
    try {
        return new Library({
            path,
            signatures,
            backend,
            calls: "sync",
            isolation: "none",
        });
    }
    catch (e) {
        void backend.close();
        throw e;
    }
});
export class Library {
    path;
    symbols;
    isolation;
    calls;
    #backend;
    #state = newHandleState();
    #closing;
    constructor(init) {
        this.path = init.path;
        this.isolation = init.isolation;
        this.calls = init.calls;
        this.#backend = init.backend;
        const sigs = [...init.signatures.values()];
        init.backend.checkBindable(sigs, init.path);
        this.symbols = init.backend.bind(sigs, this.#state);
    }
    get closed() {
        return this.#state.closed;
    }
    get processes() {
        return this.#backend.processes?.();
    }
    close() {
        if (this.#closing)
            return this.#closing;
        this.#state.closed = true;
        this.#closing = this.#backend.close();
        return this.#closing;
    }
    [Symbol.dispose]() {
        void this.close();
    }
    async [Symbol.asyncDispose]() {
        await this.close();
    }
}
export class LibraryBackend {
    #state = { inflight: 0, drained: () => this.#finish() };
    #path;
    #loadPath;
    #elf;
    #memfd;
    #anchor;
    #groups = [];
    #done;
    #closing;
    constructor(path, loadPath, elf, memfd) {
        this.#path = path;
        this.#loadPath = loadPath;
        this.#elf = elf;
        this.#memfd = memfd;
        try {
            this.#anchor = Deno.dlopen(loadPath, {});
        }
        catch (e) {
            if (memfd !== undefined)
                closeFd(memfd);
            throw dlopenError(e, path, loadPath, elf);
        }
    }
    static load(path, checked, mode) {
        if (checked === undefined || mode === "path") {
            return new LibraryBackend(path, path, checked?.elf, undefined);
        }
        let copy;
        try {
            copy = sealedCopy(path.slice(path.lastIndexOf("/") + 1), checked.file.bytes);
        }
        catch (e) {
            throw new LoadError("LOAD_FAILED", {
                path,
                what: "could not make a sealed in-memory copy",
                expected: "memfd_create, write and F_ADD_SEALS to succeed",
                found: e.message,
                hint: "this kernel lacks memfd_create; open the library in this process instead",
                cause: e,
            });
        }
        return new LibraryBackend(path, copy.path, checked.elf, copy.fd);
    }
    checkBindable(sigs, path) {
        assertPlainSignatures(sigs, path);
    }
    bind(sigs, state) {
        const decls = {};
        for (const sig of sigs)
            decls[sig.name] = ffiDeclaration(sig);
        let lib;
        try {
            lib = Deno.dlopen(this.#loadPath, decls);
        }
        catch (e) {
            throw dlopenError(e, this.#path, this.#loadPath, this.#elf);
        }
        this.#groups.push(lib);
        const out = {};
        for (const sig of sigs) {
            out[sig.name] = makeWrapper(sig, lib.symbols[sig.name], {
                path: this.#path,
                handle: state,
                library: this.#state,
            });
        }
        return Object.freeze(out);
    }
    close() {
        if (this.#closing)
            return this.#closing;
        this.#closing = new Promise((resolve) => this.#done = resolve);
        this.#finish();
        return this.#closing;
    }
    #finish() {
        if (!this.#done || this.#state.inflight > 0)
            return;
        const done = this.#done;
        this.#done = undefined;
        for (const g of this.#groups)
            g.close();
        this.#groups = [];
        this.#anchor.close();
        if (this.#memfd !== undefined)
            closeFd(this.#memfd);
        done({ unloaded: true });
    }
}
