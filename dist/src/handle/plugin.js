// Generated from src/handle/plugin.ts by tasks/dist.ts (deno task dist): do not edit.
import { checkInterface, checkStructs, parseDeclarations, structRecord, } from "../abi/define_interface.js";
import { canonicalSignature, structsUsed, } from "../abi/signature.js";
import { structFromLayout } from "../abi/struct_type.js";
import { nearestNames } from "../check/symbols.js";
import { CallError, LoadError, PluginError } from "../errors/plugin_error.js";
export var newHandleState = (function newHandleState() {
    return new (class HandleFlag {
        closed = false;
    })();
});
export class Plugin {
    path;
    realPath;
    sha256;
    metadata;
    kind;
    isolation;
    calls;
    shared;
    #backend;
    #candidate;
    #state = newHandleState();
    #uses = new Map();
    #byName = new Map();
    #closing;
    constructor(init) {
        const c = init.candidate;
        this.path = init.path ?? c.file.path;
        this.realPath = c.file.realPath;
        this.sha256 = c.file.sha256;
        this.metadata = c.metadata;
        this.kind = c.kind;
        this.isolation = init.isolation;
        this.calls = init.calls;
        this.shared = init.shared ?? false;
        this.#backend = init.backend;
        this.#candidate = c;
    }
    get closed() {
        return this.#state.closed;
    }
    get processes() {
        return this.#backend.processes?.();
    }
    use(spec) {
        this.#assertOpen("use");
        const cached = this.#uses.get(spec);
        if (cached)
            return cached;
        checkInterface(this.metadata, spec, this.path);
        const sigs = [...spec.signatures.values()];
        for (const sig of sigs)
            this.#candidate.requireFunction(sig.name);
        const fns = this.#bind(sigs);
        this.#uses.set(spec, fns);
        return fns;
    }
    functions(declarations, options = {}) {
        this.#assertOpen("functions");
        const structs = options.structs ? structRecord(options.structs) : undefined;
        const sigs = [...parseDeclarations(declarations, structs).values()];
        for (const sig of sigs)
            this.#checkDeclared(sig);
        if (structs)
            checkStructs(this.metadata, structs, this.path);
        return this.#bind(sigs);
    }
    function(name) {
        this.#assertOpen(name);
        let fn = this.#byName.get(name);
        if (fn === undefined) {
            const sig = this.#declared(name);
            fn = this.#bind([sig])[name];
            this.#byName.set(name, fn);
        }
        return fn;
    }
    variable(name, type) {
        this.#assertOpen(name);
        if (!this.#backend.variable) {
            throw new PluginError("USAGE", `Cannot read variable ${JSON.stringify(name)} of plugin ${JSON.stringify(this.path)}: expected a native plugin in this process, found a ${this.kind} plugin with isolation "${this.isolation}"`, {
                path: this.path,
                hint: "export a function that returns the value, and call it instead",
            });
        }
        return this.#backend.variable(name, type, this.#state, this.path);
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
    #assertOpen(what) {
        if (this.#state.closed) {
            throw new CallError("CLOSED", this.path, what, "the plugin handle is closed", {
                hint: "open the plugin again",
            });
        }
    }
    #declared(name) {
        const theirs = this.metadata.functions.get(name);
        if (theirs)
            return theirs;
        const near = nearestNames(name, [...this.metadata.functions.keys()]);
        this.#candidate.requireFunction(name);
        throw new LoadError("SYMBOL_MISSING", {
            path: this.path,
            what: `function "${name}" is exported but not declared with PLUGBOARD_FN`,
            expected: "a function declared in the plugin's metadata",
            found: `an exported symbol with no declared signature${near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(" or ")}?` : ""}`,
            hint: "declare it with PLUGBOARD_FN(...) so its signature is checked, or use openLibrary() for undeclared symbols",
        });
    }
    #checkDeclared(sig) {
        const theirs = this.#declared(sig.name);
        const a = canonicalSignature(sig);
        const b = canonicalSignature(theirs);
        if (a !== b) {
            throw new LoadError("SIGNATURE_MISMATCH", {
                path: this.path,
                what: `function "${sig.name}" has another signature`,
                expected: a,
                found: b,
                hint: "declare the function on the host exactly as the plugin does",
            });
        }
    }
    #bind(sigs) {
        this.#backend.checkBindable(sigs, this.path);
        return this.#backend.bind(sigs.map((sig) => this.#withStructs(sig)), this.#state);
    }
    #withStructs(sig) {
        const used = structsUsed(sig).filter((name) => !sig.structs?.has(name));
        if (used.length === 0)
            return sig;
        const structs = new Map(sig.structs);
        for (const name of used) {
            const layout = this.metadata.structs.get(name);
            if (!layout) {
                throw new PluginError("USAGE", `Cannot bind ${JSON.stringify(sig.name)} of plugin ${JSON.stringify(this.path)}: struct ${name} has no layout`, {
                    path: this.path,
                    hint: `declare it on the host: functions({...}, { structs: [struct("${name}", { ... })] })`,
                });
            }
            try {
                structs.set(name, structFromLayout(layout));
            }
            catch (e) {
                const detail = e instanceof PluginError ? e.summary : String(e);
                throw new PluginError("USAGE", `Cannot bind ${JSON.stringify(sig.name)} of plugin ${JSON.stringify(this.path)}: ${detail}`, {
                    path: this.path,
                    hint: `declare the struct on the host: functions({...}, { structs: [struct("${name}", { ... })] })`,
                    cause: e,
                });
            }
        }
        return Object.freeze({ ...sig, structs });
    }
}
