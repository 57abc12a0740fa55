// Generated from src/host/plugin_host.ts by tasks/dist.ts (deno task dist): do not edit.
import { CallError, LoadError, PluginError } from "../errors/plugin_error.js";
import { logRecord } from "../log/log_record.js";
import { scan, searchPaths } from "./discover.js";
import { asPluginError, PluginEntry, skipMessage, } from "./_entry.js";
import { isForOtherInterfaces } from "../check/check_plugin.js";
import { parseSemVer } from "../abi/semver.js";
import { interfaceRef } from "./_select.js";
import { admits, checkRule, disabledError, parsePluginSpec, pick, RoundRobin, } from "./_rollout.js";
import { HostedPlugin } from "./hosted_plugin.js";
import { HostWatcher } from "./host_watcher.js";
export class PluginHost {
    #paths;
    #mode;
    #ctx;
    #slots = new Map();
    #missing = new Set();
    #queue = Promise.resolve();
    #retiring = new Set();
    #watchers = new Set();
    #closing;
    #order;
    #specs = new Map();
    #rules = new Map();
    #roundRobins = new Map();
    constructor(options = {}) {
        for (const [name, rule] of Object.entries(options.rollout ?? {})) {
            this.#rules.set(name, checkRule(name, rule));
        }
        this.#paths = searchPaths(options.paths ?? [], options.env ?? true);
        this.#mode = options.mode ?? "eager";
        const sink = options.log;
        const interfaces = Object.freeze([...(options.interfaces ?? [])]);
        this.#ctx = {
            interfaces,
            loadOptions: { ...(options.loadOptions ?? {}) },
            sink,
            logCalls: options.logCalls ?? false,
            log: sink
                ? (level, event, message, fields = {}) => {
                    try {
                        sink(logRecord(level, event, message, dropUndefined(fields)));
                    }
                    catch {
                    }
                }
                : () => { },
            retire: (closing) => {
                const p = closing.catch(() => { }).finally(() => this.#retiring.delete(p));
                this.#retiring.add(p);
            },
            enabled: (name) => this.#rules.get(name)?.enabled ?? true,
        };
    }
    get paths() {
        return this.#paths;
    }
    get mode() {
        return this.#mode;
    }
    async discover() {
        this.#assertOpen("discover");
        await this.#enqueue(() => this.#sync());
        const entries = this.#ordered();
        const skipped = [];
        let loaded = 0;
        let deferred = 0;
        let disabled = 0;
        for (const slot of entries) {
            if (slot.kind === "skipped")
                skipped.push(slot.skip);
            else if (!slot.entry.enabled && slot.entry.state !== "closed")
                disabled++;
            else if (slot.entry.state === "loaded")
                loaded++;
            else if (slot.entry.state === "lazy")
                deferred++;
            else if (slot.entry.state === "failed" && slot.entry.error) {
                skipped.push(skipOf(slot.entry.error, slot.entry.path));
            }
        }
        const summary = {
            paths: [...this.#paths],
            missing: [...this.#missing],
            found: entries.length,
            loaded,
            deferred,
            disabled,
            skipped,
        };
        const parts = [`${loaded} loaded`];
        if (this.#mode === "lazy")
            parts.push(`${deferred} deferred to first use`);
        if (disabled > 0)
            parts.push(`${disabled} disabled by configuration`);
        const others = skipped.filter((s) => s.forOtherInterfaces).length;
        parts.push(`${skipped.length} skipped${others ? ` (${others} for other interfaces)` : ""}`);
        this.#ctx.log("info", "discover", `found ${summary.found} plugin file${summary.found === 1 ? "" : "s"} in ${this.#paths.length} search path${this.#paths.length === 1 ? "" : "s"}: ${parts.join(", ")}`, { found: summary.found, loaded, deferred, disabled, skipped: skipped.length });
        return summary;
    }
    async refresh() {
        this.#assertOpen("refresh");
        return await this.#enqueue(() => this.#sync());
    }
    plugins(ref) {
        const want = ref === undefined ? undefined : interfaceRef(ref);
        const out = [];
        for (const slot of this.#ordered()) {
            if (slot.kind !== "hosted")
                continue;
            const state = slot.entry.state;
            if (state !== "loaded" && state !== "lazy")
                continue;
            if (!slot.entry.enabled)
                continue;
            if (want && !slot.entry.provides(want))
                continue;
            out.push(slot.plugin);
        }
        return out;
    }
    select(spec, options = {}) {
        this.#assertOpen("select");
        let parsed = this.#specs.get(spec);
        if (!parsed) {
            parsed = parsePluginSpec(spec);
            if (this.#specs.size >= 256)
                this.#specs.clear();
            this.#specs.set(spec, parsed);
        }
        const { name, rangeText, range } = parsed;
        const rule = this.#rules.get(name);
        if (rule && !rule.enabled)
            throw disabledError(name);
        const named = [];
        const choices = [];
        for (const slot of this.#ordered()) {
            if (slot.kind !== "hosted" || slot.entry.metadata.name !== name)
                continue;
            const state = slot.entry.state;
            if (state !== "loaded" && state !== "lazy")
                continue;
            named.push(slot.plugin);
            const version = semverOf(slot.entry.metadata);
            if (version && admits(range, version)) {
                choices.push({ item: slot.plugin, version });
            }
        }
        if (named.length === 0) {
            throw new PluginError("NOT_FOUND", `Cannot select plugin ${JSON.stringify(spec)}: expected a hosted plugin named ${JSON.stringify(name)}, found none`, {
                hint: "check the name (the one PLUGBOARD_PLUGIN declares) and the host's search paths; discover() must have run",
            });
        }
        if (choices.length === 0) {
            throw new PluginError("VERSION_MISMATCH", `Cannot select plugin ${JSON.stringify(spec)}: expected a version in ${rangeText}, found ${named.map((p) => p.version).join(", ")}`, { hint: `ask for a range one of them is in, or add a build of ${name} in ${rangeText}` });
        }
        let rr = this.#roundRobins.get(name);
        if (!rr)
            this.#roundRobins.set(name, rr = new RoundRobin());
        return pick(name, choices, rule, options.key, rr);
    }
    get rollout() {
        return Object.freeze(Object.fromEntries([...this.#rules].map(([n, r]) => [n, r.rule])));
    }
    setRollout(name, rule) {
        this.#assertOpen("setRollout");
        const checked = rule === undefined ? undefined : checkRule(name, rule);
        if (checked)
            this.#rules.set(name, checked);
        else
            this.#rules.delete(name);
        this.#roundRobins.delete(name);
        for (const slot of this.#slots.values()) {
            if (slot.kind === "hosted" && slot.entry.metadata.name === name)
                slot.entry.applyRollout();
        }
        const enabled = checked?.enabled ?? true;
        const weights = checked?.weights?.map((w) => `${w.text} ${w.weight}`).join(", ");
        this.#ctx.log("info", "rollout", `${name}: ${enabled ? "enabled" : "disabled by configuration"}${weights ? `, weights ${weights}` : ""}`, { plugin: name });
    }
    watch(options = {}) {
        this.#assertOpen("watch");
        const dirs = new Set();
        for (const p of this.#paths) {
            try {
                const st = Deno.statSync(p);
                dirs.add(st.isDirectory ? p : parentOf(p));
            }
            catch {
                this.#ctx.log("warn", "watch", `not watching ${JSON.stringify(p)}: it does not exist`, {
                    path: p,
                    code: "NOT_FOUND",
                });
            }
        }
        const watcher = new HostWatcher([...dirs], () => this.#closing ? Promise.resolve() : this.refresh().catch((e) => {
            if (this.#closing)
                return;
            this.#ctx.log("error", "watch", `refresh failed: ${e instanceof Error ? e.message : String(e)}`, {
                ...(e instanceof PluginError ? { code: e.code } : {}),
            });
        }), options, (w) => this.#watchers.delete(w));
        this.#watchers.add(watcher);
        this.#ctx.log("info", "watch", `watching ${[...dirs].map((d) => JSON.stringify(d)).join(", ")}`, {
            directories: [...dirs],
        });
        return watcher;
    }
    async settled() {
        for (;;) {
            const queue = this.#queue;
            await queue.catch(() => { });
            await Promise.all([...this.#retiring]);
            if (queue === this.#queue && this.#retiring.size === 0)
                return;
        }
    }
    close() {
        if (!this.#closing) {
            for (const slot of this.#slots.values()) {
                if (slot.kind === "hosted")
                    slot.entry.seal("the plugin host is closed");
            }
            this.#closing = this.#close();
        }
        return this.#closing;
    }
    [Symbol.dispose]() {
        void this.close();
    }
    async [Symbol.asyncDispose]() {
        await this.close();
    }
    async #close() {
        await Promise.all([...this.#watchers].map((w) => w.close()));
        await this.#queue.catch(() => { });
        const entries = this.#ordered().flatMap((s) => s.kind === "hosted" ? [s.entry] : []);
        for (const e of entries)
            e.seal("the plugin host is closed");
        await Promise.all(entries.map((e) => e.drain()));
        await this.settled();
        const result = { closed: 0, kept: [] };
        for (const e of entries.reverse()) {
            const r = await e.closeHandle("host closed");
            if (!r)
                continue;
            result.closed++;
            if (!r.unloaded)
                result.kept.push({ path: e.path, reason: r.reason ?? "unknown" });
        }
        this.#ctx.log("info", "close", `host closed: ${result.closed} plugin${result.closed === 1 ? "" : "s"} closed${result.kept.length ? `, ${result.kept.length} still mapped` : ""}`, { closed: result.closed, kept: result.kept.length });
        return result;
    }
    #assertOpen(what) {
        if (this.#closing) {
            throw new CallError("CLOSED", this.#paths.join(":"), what, "the plugin host is closed", {
                hint: "make a new PluginHost",
            });
        }
    }
    #enqueue(fn) {
        const run = this.#queue.then(fn, fn);
        this.#queue = run.catch(() => { });
        return run;
    }
    #ordered() {
        return this.#order ??= [...this.#slots.entries()]
            .sort(([pa, a], [pb, b]) => a.name < b.name ? -1 : a.name > b.name ? 1 : pa < pb ? -1 : pa > pb ? 1 : 0)
            .map(([, s]) => s);
    }
    async #sync() {
        const out = { added: [], reloaded: [], removed: [], refused: [], skipped: [] };
        if (this.#closing)
            return out;
        const { candidates, missing } = scan(this.#paths);
        for (const m of missing) {
            if (!this.#missing.has(m)) {
                this.#ctx.log("warn", "path", `search path ${JSON.stringify(m)} does not exist`, {
                    path: m,
                    code: "NOT_FOUND",
                });
            }
        }
        this.#missing = new Set(missing);
        const present = new Set(candidates.map((c) => c.path));
        for (const [path, slot] of [...this.#slots]) {
            if (present.has(path))
                continue;
            this.#slots.delete(path);
            this.#order = undefined;
            if (slot.kind !== "hosted")
                continue;
            out.removed.push(path);
            const label = `${slot.entry.metadata.name} ${slot.entry.metadata.version}`;
            this.#ctx.log("info", "remove", `${JSON.stringify(path)} was removed; closing ${label}`, slot.entry.fields());
            slot.entry.seal(`the plugin file ${JSON.stringify(path)} was removed`);
            await slot.entry.drain();
            await slot.entry.closeHandle("file removed");
        }
        for (const c of candidates) {
            const slot = this.#slots.get(c.path);
            if (slot?.kind === "hosted") {
                if (slot.entry.stamp === c.stamp)
                    continue;
                const { outcome, error } = await slot.entry.replace(c);
                if (outcome === "reloaded" || outcome === "updated")
                    out.reloaded.push(c.path);
                else if (error && outcome === "refused")
                    out.refused.push(skipOf(error, c.path));
                else if (error && outcome === "failed")
                    out.skipped.push(skipOf(error, c.path));
                continue;
            }
            if (slot?.kind === "skipped" && slot.stamp === c.stamp)
                continue;
            const taken = await this.#take(c);
            if (taken.kind === "hosted")
                out.added.push(c.path);
            else
                out.skipped.push(taken.skip);
        }
        return out;
    }
    async #take(c) {
        let slot;
        const dup = c.realPath === undefined
            ? undefined
            : [...this.#slots.entries()].find(([p, s]) => p !== c.path && s.kind === "hosted" && s.entry.realPath === c.realPath);
        try {
            if (dup) {
                throw new LoadError("ALREADY_OPEN", {
                    path: c.path,
                    what: "the same file is reachable through two search paths",
                    expected: "one path per plugin file",
                    found: `the same file as ${JSON.stringify(dup[0])}`,
                    hint: "remove one of the search paths, or the symlink",
                });
            }
            const entry = await PluginEntry.take(c, this.#ctx, this.#mode === "eager");
            slot = { kind: "hosted", entry, plugin: new HostedPlugin(entry), name: c.name };
        }
        catch (e) {
            const err = asPluginError(e, c.path);
            const skip = skipOf(err, c.path);
            const level = isForOtherInterfaces(err) ? "debug" : "warn";
            this.#ctx.log(level, "skip", skipMessage(err, c.path), {
                path: c.path,
                code: err.code,
                hint: err.hint,
            });
            slot = { kind: "skipped", stamp: c.stamp, skip, name: c.name };
        }
        this.#slots.set(c.path, slot);
        this.#order = undefined;
        if (slot.kind === "hosted")
            slot.entry.announce();
        return slot;
    }
}
function skipOf(err, path) {
    return {
        path,
        code: err.code,
        message: err.summary,
        ...(err.hint ? { hint: err.hint } : {}),
        ...(isForOtherInterfaces(err) ? { forOtherInterfaces: true } : {}),
    };
}
const semvers = new WeakMap();
function semverOf(meta) {
    let v = semvers.get(meta);
    if (v === undefined)
        semvers.set(meta, v = parseSemVer(meta.version) ?? null);
    return v ?? undefined;
}
function dropUndefined(fields) {
    const out = {};
    for (const [k, v] of Object.entries(fields))
        if (v !== undefined)
            out[k] = v;
    return out;
}
function parentOf(path) {
    const i = path.lastIndexOf("/");
    return i <= 0 ? (i === 0 ? "/" : ".") : path.slice(0, i);
}
