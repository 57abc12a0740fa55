// Generated from src/host/_entry.ts by tasks/dist.ts (deno task dist): do not edit.
import { checkInterface } from "../abi/define_interface.js";
import { formatVersionPair } from "../abi/abi_version.js";
import { asPluginError, examinePlugin, formatOf, } from "../check/check_plugin.js";
import { CallError, LoadError, PluginError } from "../errors/plugin_error.js";
import { readFile } from "../file/read_file.js";
import { openCandidate, } from "../open/open_plugin.js";
import { skipMessage } from "./discover.js";
import { closedFunction, failingFunction, routeFunction, } from "./_route.js";
import { disabledCallError, disabledError } from "./_rollout.js";
import { isNodelete, provides } from "./_select.js";
export { asPluginError, skipMessage };
export function precheck(path, ctx) {
    const result = examinePlugin(path, {
        ...ctx.loadOptions,
        interfaces: ctx.interfaces,
        interfaceRule: "any",
    });
    if (result.errors.length > 0)
        throw result.errors[0];
    const candidate = result.candidate;
    if (candidate.kind === "executable" && (ctx.loadOptions.isolation ?? "none") === "none") {
        throw new PluginError("USAGE", `Cannot host plugin ${JSON.stringify(path)} in this process: expected a library (.so) or a WebAssembly module, found an executable (a subprocess plugin)`, {
            path,
            hint: 'create the host with loadOptions: { isolation: "auto" } (executables run as processes, libraries in this process) or { isolation: "process" }',
        });
    }
    return candidate;
}
function isolationOf(candidate, ctx) {
    const isolation = ctx.loadOptions.isolation ?? "none";
    if (isolation === "auto")
        return candidate.kind === "executable" ? "process" : "none";
    if (isolation === "process" && candidate.kind === "wasm")
        return "worker";
    return isolation;
}
function checkedOf(candidate, ctx) {
    const elf = formatOf(candidate).elf;
    return {
        metadata: candidate.metadata,
        sha256: candidate.file.sha256,
        nodelete: elf !== undefined && isNodelete(elf) && isolationOf(candidate, ctx) === "none",
        kind: candidate.kind,
        isolation: isolationOf(candidate, ctx),
    };
}
async function openChecked(path, ctx, candidate = precheck(path, ctx)) {
    const options = ctx.loadOptions;
    const isolation = isolationOf(candidate, ctx);
    const plugin = isolation !== "none"
        ? await openCandidate(candidate, {
            ...options,
            isolation,
            log: options.log ?? ctx.sink,
        }, path)
        : await openCandidate(candidate, { ...options, isolation: "none" }, path);
    return { plugin, checked: checkedOf(candidate, ctx) };
}
function useHandle(handle, spec) {
    return handle.use(spec);
}
export class PluginEntry {
    path;
    realPath;
    stamp;
    metadata;
    sha256;
    nodelete;
    kind;
    isolation;
    state;
    plugin;
    error;
    generation = 0;
    #ctx;
    #loading;
    #routes = new Map();
    #inflight = 0;
    #drained = [];
    #builds = new Map();
    #enabled;
    #op = Promise.resolve();
    #closedWhy = "the plugin is closed";
    #hooks;
    #announce;
    constructor(c, ctx, checked, plugin) {
        this.path = c.path;
        this.realPath = c.realPath;
        this.stamp = c.stamp;
        this.metadata = checked.metadata;
        this.sha256 = checked.sha256;
        this.nodelete = checked.nodelete;
        this.kind = checked.kind;
        this.isolation = checked.isolation;
        this.plugin = plugin;
        this.state = plugin ? "loaded" : "lazy";
        this.#ctx = ctx;
        this.#enabled = ctx.enabled(checked.metadata.name);
        this.#hooks = {
            track: (p) => this.#track(p),
            ...(ctx.logCalls
                ? { logCall: (fn, ms, err) => this.#logCall(fn, ms, err) }
                : {}),
        };
    }
    static async take(c, ctx, eager) {
        const t0 = performance.now();
        const candidate = precheck(c.path, ctx);
        if (!eager || !ctx.enabled(candidate.metadata.name)) {
            const entry = new PluginEntry(c, ctx, checkedOf(candidate, ctx));
            entry.#announce = () => entry.#logDeferred();
            return entry;
        }
        const { plugin, checked } = await openChecked(c.path, ctx, candidate);
        const entry = new PluginEntry(c, ctx, checked, plugin);
        const ms = performance.now() - t0;
        entry.#announce = () => entry.#logLoad(ms, "eager");
        return entry;
    }
    announce() {
        const announce = this.#announce;
        this.#announce = undefined;
        announce?.();
    }
    fields() {
        return {
            plugin: this.metadata.name,
            version: this.metadata.version,
            path: this.path,
            buildId: this.metadata.buildId || undefined,
            sha256: this.sha256.slice(0, 12),
        };
    }
    get enabled() {
        return this.#enabled;
    }
    applyRollout() {
        const enabled = this.#ctx.enabled(this.metadata.name);
        if (enabled === this.#enabled)
            return enabled;
        this.#enabled = enabled;
        if (this.state === "closed")
            return enabled;
        for (const [spec, route] of this.#routes) {
            const current = enabled && this.plugin ? useHandle(this.plugin, spec) : undefined;
            for (const [name, slot] of route.slots) {
                slot.fn = current ? current[name] : this.#disabledFunction(spec, name, route.async);
            }
        }
        return enabled;
    }
    provides(ref) {
        return provides(this.metadata, ref);
    }
    ensureLoaded() {
        if (this.state !== "closed" && !this.#enabled) {
            return Promise.reject(disabledError(this.metadata.name, this.path));
        }
        if (this.state === "loaded")
            return Promise.resolve(this.plugin);
        if (this.state === "failed")
            return Promise.reject(this.error);
        if (this.state === "closed")
            return Promise.reject(this.#closedError("load"));
        this.#loading ??= this.#serial(() => this.#lazyOpen()).finally(() => {
            this.#loading = undefined;
        });
        return this.#loading;
    }
    async use(spec) {
        if (this.state !== "closed" && !this.#enabled) {
            throw disabledError(this.metadata.name, this.path);
        }
        const route = this.#routes.get(spec);
        if (route && this.state === "loaded")
            return route.fns;
        if (this.state !== "closed")
            checkInterface(this.metadata, spec, this.path);
        await this.ensureLoaded();
        return this.#bind(spec);
    }
    useLoaded(spec) {
        if (this.state !== "closed" && !this.#enabled) {
            throw disabledError(this.metadata.name, this.path);
        }
        if (this.state !== "loaded") {
            if (this.state === "failed")
                throw this.error;
            if (this.state === "closed")
                throw this.#closedError("use");
            throw new PluginError("USAGE", `Plugin ${JSON.stringify(this.path)} is not loaded yet: it is lazy`, { path: this.path, hint: "await hosted.use(spec), which loads it on first use" });
        }
        return this.#bind(spec);
    }
    replace(c) {
        return this.#serial(async () => {
            if (this.state === "closed")
                return { outcome: "unchanged" };
            this.stamp = c.stamp;
            this.realPath = c.realPath;
            if (this.state !== "loaded")
                return this.#recheck();
            return await this.#reload();
        });
    }
    seal(why) {
        if (this.state === "closed")
            return;
        this.state = "closed";
        this.#closedWhy = why;
        for (const [spec, route] of this.#routes) {
            for (const [name, slot] of route.slots) {
                slot.fn = closedFunction(spec.signatures.get(name), this.path, why);
            }
        }
    }
    drain() {
        if (this.#inflight === 0)
            return Promise.resolve();
        return new Promise((resolve) => this.#drained.push(resolve));
    }
    closeHandle(reason) {
        return this.#serial(async () => {
            const plugin = this.plugin;
            if (!plugin)
                return undefined;
            this.plugin = undefined;
            return await this.#closePlugin(plugin, reason);
        });
    }
    #label() {
        return `${this.metadata.name} ${this.metadata.version}`;
    }
    #isClosed() {
        return this.state === "closed";
    }
    #closedError(what) {
        return new CallError("CLOSED", this.path, what, this.#closedWhy, {
            hint: "ask the host for the plugin again",
        });
    }
    #serial(fn) {
        const run = this.#op.then(fn, fn);
        this.#op = run.catch(() => { });
        return run;
    }
    async #lazyOpen() {
        if (this.state === "loaded")
            return this.plugin;
        if (this.state === "closed")
            throw this.#closedError("load");
        const t0 = performance.now();
        let opened;
        try {
            opened = await openChecked(this.path, this.#ctx);
        }
        catch (e) {
            const err = asPluginError(e, this.path);
            if (!this.#isClosed()) {
                this.state = "failed";
                this.error = err;
            }
            this.#ctx.log("warn", "skip", skipMessage(err, this.path), {
                ...this.fields(),
                code: err.code,
                hint: err.hint,
            });
            throw err;
        }
        if (this.#isClosed()) {
            await opened.plugin.close();
            throw this.#closedError("load");
        }
        this.#adopt(opened.plugin, opened.checked);
        this.state = "loaded";
        this.#logLoad(performance.now() - t0, "lazy");
        return opened.plugin;
    }
    #adopt(plugin, checked) {
        this.plugin = plugin;
        this.metadata = plugin.metadata;
        this.sha256 = plugin.sha256;
        this.nodelete = checked.nodelete;
        this.kind = checked.kind;
        this.isolation = checked.isolation;
        this.error = undefined;
    }
    #logDeferred() {
        if (this.#enabled) {
            this.#ctx.log("debug", "defer", `checked ${this.#label()}; it loads on first use`, this.fields());
        }
        else {
            this.#ctx.log("info", "rollout", `${this.#label()} is disabled by configuration: checked, not loaded`, this.fields());
        }
    }
    #logLoad(durationMs, how) {
        const fields = {
            ...this.fields(),
            durationMs,
            mode: how,
            interfaces: this.metadata.interfaces.map((i) => `${i.id}/${formatVersionPair(i.version)}`),
            ...(this.nodelete ? { nodelete: true } : {}),
        };
        const note = this.nodelete
            ? " (linked with -z nodelete: it can never be unloaded, and each reload leaves the old build mapped)"
            : "";
        this.#ctx.log(this.nodelete ? "warn" : "info", "load", `loaded ${this.#label()}${note}`, fields);
        const shared = this.plugin?.shared ?? false;
        if (this.metadata.hooks.init && !shared) {
            this.#ctx.log("info", "init", `init hook of ${this.#label()} returned 0`, this.fields());
        }
    }
    #bind(spec) {
        const existing = this.#routes.get(spec);
        if (existing)
            return existing.fns;
        const current = useHandle(this.plugin, spec);
        const async = this.plugin.calls === "async";
        const fns = {};
        const slots = new Map();
        for (const [name, sig] of spec.signatures) {
            const slot = {
                fn: this.#enabled ? current[name] : this.#disabledFunction(spec, name, async),
            };
            slots.set(name, slot);
            fns[name] = routeFunction(sig, slot, this.#hooks, { async });
        }
        const route = { fns: Object.freeze(fns), slots, async };
        this.#routes.set(spec, route);
        return route.fns;
    }
    #disabledFunction(spec, name, async) {
        return failingFunction(spec.signatures.get(name), () => disabledCallError(this.metadata.name, this.path, name), { async });
    }
    #track(p) {
        this.#inflight++;
        const build = this.plugin;
        let calls;
        if (build) {
            calls = this.#builds.get(build);
            if (!calls)
                this.#builds.set(build, calls = { calls: 0, drained: [] });
            calls.calls++;
        }
        return p.finally(() => {
            if (build && calls && --calls.calls === 0) {
                this.#builds.delete(build);
                for (const w of calls.drained)
                    w();
            }
            if (--this.#inflight === 0) {
                const waiters = this.#drained;
                this.#drained = [];
                for (const w of waiters)
                    w();
            }
        });
    }
    #logCall(fn, durationMs, error) {
        const err = error === undefined ? undefined : asPluginError(error, this.path);
        this.#ctx.log(err ? "warn" : "info", "call", err ? `${fn}() of ${this.#label()} failed: ${err.summary}` : `${fn}() of ${this.#label()}`, { ...this.fields(), function: fn, durationMs, ...(err ? { code: err.code } : {}) });
    }
    #recheck() {
        let checked;
        try {
            checked = checkedOf(precheck(this.path, this.#ctx), this.#ctx);
        }
        catch (e) {
            const err = asPluginError(e, this.path);
            this.state = "failed";
            this.error = err;
            this.#ctx.log("warn", "skip", skipMessage(err, this.path), {
                path: this.path,
                code: err.code,
                hint: err.hint,
            });
            return { outcome: "failed", error: err };
        }
        const same = checked.sha256 === this.sha256 && this.state === "lazy";
        this.metadata = checked.metadata;
        this.sha256 = checked.sha256;
        this.nodelete = checked.nodelete;
        this.kind = checked.kind;
        this.isolation = checked.isolation;
        this.state = "lazy";
        this.error = undefined;
        this.applyRollout();
        if (same)
            return { outcome: "unchanged" };
        this.#ctx.log("info", "reload", `checked the new build of ${this.#label()}; it loads on first use`, this.fields());
        return { outcome: "updated" };
    }
    async #reload() {
        const old = this.plugin;
        const t0 = performance.now();
        const refuse = (e) => {
            const err = asPluginError(e, this.path);
            const result = { outcome: "refused", error: err };
            this.#ctx.log("error", "reload", `refused the new build of ${JSON.stringify(this.path)}; ${this.#label()} keeps serving: ${err.summary}`, { ...this.fields(), code: err.code, hint: err.hint });
            return result;
        };
        let sha;
        try {
            sha = readFile(this.path, {
                allowInsecurePermissions: this.#ctx.loadOptions.allowInsecurePermissions,
            }).sha256;
        }
        catch (e) {
            return refuse(e);
        }
        if (sha === old.sha256)
            return { outcome: "unchanged" };
        if (this.nodelete && this.#ctx.loadOptions.load === "path") {
            return refuse(new LoadError("ALREADY_OPEN", {
                path: this.path,
                what: "the loaded build is linked with -z nodelete and loaded by path",
                expected: "a build that can be unloaded, or memfd loading",
                found: "DF_1_NODELETE: glibc would hand back the old code for the same path",
                hint: 'load with { load: "memfd" } (the default), or restart the host to pick up the new build',
            }));
        }
        let next;
        try {
            next = await openChecked(this.path, this.#ctx);
        }
        catch (e) {
            return refuse(e);
        }
        if (next.plugin.sha256 === old.sha256) {
            await next.plugin.close();
            return { outcome: "unchanged" };
        }
        const bound = new Map();
        try {
            for (const [spec, route] of this.#routes) {
                bound.set(route, useHandle(next.plugin, spec));
            }
        }
        catch (e) {
            await next.plugin.close();
            return refuse(e);
        }
        if (this.#isClosed()) {
            await next.plugin.close();
            return { outcome: "unchanged" };
        }
        if (this.#enabled) {
            for (const [route, fns] of bound) {
                for (const [name, slot] of route.slots)
                    slot.fn = fns[name];
            }
        }
        const from = `${this.#label()}${this.metadata.buildId ? ` (build ${this.metadata.buildId})` : ""}`;
        const oldSha = this.sha256.slice(0, 12);
        this.#adopt(next.plugin, next.checked);
        this.generation++;
        this.#ctx.log("info", "reload", `reloaded ${JSON.stringify(this.path)}: ${from} -> ${this.#label()}${this.metadata.buildId ? ` (build ${this.metadata.buildId})` : ""}`, {
            ...this.fields(),
            durationMs: performance.now() - t0,
            previousSha256: oldSha,
            generation: this.generation,
        });
        this.#ctx.retire(this.#buildDrained(old).then(() => this.#closePlugin(old, "replaced by a new build")));
        this.applyRollout();
        return { outcome: "reloaded" };
    }
    #buildDrained(build) {
        const calls = this.#builds.get(build);
        if (!calls)
            return Promise.resolve();
        return new Promise((resolve) => calls.drained.push(resolve));
    }
    async #closePlugin(plugin, reason) {
        const meta = plugin.metadata;
        const fields = {
            plugin: meta.name,
            version: meta.version,
            path: this.path,
            buildId: meta.buildId || undefined,
            sha256: plugin.sha256.slice(0, 12),
        };
        const t0 = performance.now();
        let result;
        try {
            result = (await plugin.close()) ?? { unloaded: true };
        }
        catch (e) {
            const err = asPluginError(e, this.path);
            this.#ctx.log("error", "close", `closing ${meta.name} ${meta.version} failed: ${err.summary}`, {
                ...fields,
                code: err.code,
            });
            return { unloaded: false, reason: err.summary };
        }
        this.#ctx.log(result.unloaded ? "info" : "warn", "close", result.unloaded
            ? `closed ${meta.name} ${meta.version} (${reason}, ${plugin.calls === "sync" ? "unloaded" : "child processes stopped"})`
            : `closed ${meta.name} ${meta.version} (${reason}), still mapped: ${result.reason}`, {
            ...fields,
            durationMs: performance.now() - t0,
            unloaded: result.unloaded,
            reason: result.reason ?? reason,
        });
        return result;
    }
}
