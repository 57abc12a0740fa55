// Generated from src/isolate/_pool.ts by tasks/dist.ts (deno task dist): do not edit.
import { CrashError, describeChildExit } from "../errors/crash_error.js";
import { CallError } from "../errors/plugin_error.js";
import { logRecord } from "../log/log_record.js";
const STABLE_MS = 10000;
export class ProcessPool {
    #init;
    #slots;
    #binds = [];
    #waiting = [];
    #restarts = 0;
    #failuresInRow = 0;
    #lastCrash;
    #started = false;
    #closed = false;
    #closing;
    constructor(init) {
        this.#init = init;
        this.#slots = Array.from({ length: init.size }, () => ({
            conn: undefined,
            status: "starting",
            startedAt: 0,
            timer: undefined,
            lastExit: undefined,
        }));
    }
    state() {
        const ready = this.#slots.filter((s) => s.status === "ready" && s.conn?.alive);
        const status = this.#closed
            ? "closed"
            : !this.#started
                ? "starting"
                : this.#slots.some((s) => s.status === "restarting" || s.status === "starting")
                    ? "restarting"
                    : ready.length === 0
                        ? "crashed"
                        : "ready";
        const state = {
            status,
            restarts: this.#restarts,
            lastCrash: this.#lastCrash,
            pids: ready.map((s) => s.conn.pid),
            pending: this.#slots.reduce((n, s) => n + (s.conn?.pending ?? 0), 0) + this.#waiting.length,
        };
        if (ready.some((s) => s.conn.transport !== undefined)) {
            return { ...state, transports: ready.map((s) => s.conn.transport ?? "pipe") };
        }
        return state;
    }
    async start() {
        const results = await Promise.allSettled(this.#slots.map((s) => this.#startSlot(s)));
        const failed = results.find((r) => r.status === "rejected");
        if (failed) {
            this.#closed = true;
            await Promise.all(this.#slots.map((s) => s.conn?.kill()));
            throw failed.reason;
        }
        this.#started = true;
    }
    bind(fns) {
        this.#binds.push(...fns);
        for (const s of this.#slots) {
            if (s.status === "ready" && s.conn?.alive)
                this.#sendBinds(s.conn, fns);
        }
    }
    call(f, args) {
        if (this.#closed)
            return Promise.reject(this.#closedError(f.sig.name));
        const conn = this.#pick();
        if (conn)
            return conn.call(f, args, this.#init.timeoutMs);
        if (this.#slots.some((s) => s.status === "restarting" || s.status === "starting")) {
            return new Promise((resolve, reject) => this.#waiting.push({ f, args, resolve, reject }));
        }
        return Promise.reject(this.#crashedError(f.sig.name));
    }
    callSync(f, args) {
        if (this.#closed)
            throw this.#closedError(f.sig.name);
        const conn = this.#pick();
        if (conn)
            return conn.callSync(f, args, this.#init.timeoutMs);
        const ending = this.#slots.find((s) => s.status === "ready" && s.conn && !s.conn.alive)?.conn;
        const starting = this.#slots.some((s) => s.status === "restarting" || s.status === "starting");
        if (!ending && !starting)
            throw this.#crashedError(f.sig.name);
        const r = this.#init.restart;
        const left = r !== undefined && this.#restarts < r.maxRestarts;
        const exit = ending ? { ...noExit(), pid: ending.pid } : this.#lastCrash?.exit ?? noExit();
        const found = ending
            ? `none: the child (pid ${ending.pid}) has just ended${left
                ? `, and a new one will start (restart ${this.#restarts + 1} of ${r.maxRestarts})`
                : r
                    ? `, and all ${r.maxRestarts} restart(s) are used`
                    : ", and restarts are off"}`
            : `none: a new child is starting (restart ${this.#restarts} of ${r?.maxRestarts ?? 0})`;
        throw new CrashError({
            ...exit,
            path: this.#init.path,
            expected: `a running child to call ${f.sig.name}()`,
            function: f.sig.name,
            found,
            hint: ending && !left
                ? "open the plugin again, or open it with { restart: true } to replace crashed children"
                : 'a synchronous call cannot wait for a restart: call again once plugin.processes.status is "ready"',
        });
    }
    close() {
        if (this.#closing)
            return this.#closing;
        this.#closed = true;
        for (const w of this.#waiting.splice(0))
            w.reject(this.#closedError(w.f.sig.name));
        const ends = [];
        for (const slot of this.#slots) {
            clearTimeout(slot.timer);
            slot.timer = undefined;
            if (slot.conn)
                ends.push(slot.conn.shutdown(this.#init.graceMs));
        }
        this.#closing = Promise.all(ends).then(() => {
            this.#emit("info", "close", `closed ${this.#init.plugin.name} (${this.#slots.length} child(ren))`);
        });
        return this.#closing;
    }
    async #startSlot(slot) {
        slot.status = "starting";
        const conn = this.#init.connect((c, end) => this.#onEnd(slot, c, end), (line, pid) => this.#emit("info", "stderr", line, { pid }));
        slot.conn = conn;
        slot.startedAt = performance.now();
        this.#emit("debug", "spawn", `started child ${conn.pid} for ${this.#init.plugin.name}`, {
            pid: conn.pid,
        });
        try {
            await conn.start();
        }
        catch (e) {
            slot.conn = undefined;
            slot.status = "dead";
            slot.lastExit = (await conn.kill()).exit;
            throw e;
        }
        if (this.#closed)
            return;
        if (this.#binds.length > 0)
            this.#sendBinds(conn, this.#binds);
        slot.status = "ready";
        this.#drainWaiting();
    }
    #onEnd(slot, conn, end) {
        if (slot.conn !== conn || slot.status === "starting")
            return;
        slot.conn = undefined;
        slot.status = "dead";
        if (this.#closed || end.reason === "closed" || end.reason === "handshake")
            return;
        this.#recordCrash(end);
        if (performance.now() - slot.startedAt >= STABLE_MS)
            this.#failuresInRow = 0;
        this.#scheduleRestart(slot);
    }
    #recordCrash(end) {
        const reason = end.reason === "timeout" || end.reason === "protocol" ? end.reason : "crash";
        this.#lastCrash = Object.freeze({
            reason,
            time: new Date().toISOString(),
            exit: end.exit,
            function: end.function,
            error: end.error,
        });
        const name = this.#init.plugin.name;
        const what = end.function ? ` during ${end.function}()` : end.error ? "" : " while idle";
        this.#emit("error", reason === "timeout" ? "timeout" : "crash", reason === "timeout"
            ? `${name}: a call to ${end.function}() timed out; killed the child (pid ${end.exit.pid})`
            : `${name} crashed${what}: ${describeChildExit(end.exit)}`, {
            pid: end.exit.pid,
            signal: end.exit.signal,
            exitCode: end.exit.exitCode,
            stderrTail: end.exit.stderrTail,
            code: end.error?.code,
        });
    }
    #scheduleRestart(slot) {
        const r = this.#init.restart;
        const name = this.#init.plugin.name;
        if (!r || this.#restarts >= r.maxRestarts) {
            if (r) {
                this.#emit("error", "restart", `${name}: not restarting, ${this.#restarts} restart(s) used of ${r.maxRestarts}`);
            }
            this.#failWaitingIfHopeless();
            return;
        }
        const delay = Math.min(r.backoffMs * 2 ** this.#failuresInRow, r.maxBackoffMs);
        this.#failuresInRow++;
        this.#restarts++;
        slot.status = "restarting";
        this.#emit("warn", "restart", `${name}: starting a new child in ${delay} ms (restart ${this.#restarts} of ${r.maxRestarts})`, { delayMs: delay, restarts: this.#restarts });
        slot.timer = setTimeout(async () => {
            slot.timer = undefined;
            if (this.#closed)
                return;
            try {
                await this.#startSlot(slot);
            }
            catch (e) {
                if (this.#closed)
                    return;
                const err = e;
                this.#lastCrash = Object.freeze({
                    reason: err.code === "PLUGIN_TIMEOUT" ? "timeout" : "crash",
                    time: new Date().toISOString(),
                    exit: slot.lastExit ?? noExit(),
                    function: undefined,
                    error: err,
                });
                this.#emit("error", "restart", `${name}: restart failed: ${err.summary ?? err}`, {
                    code: err.code,
                });
                this.#scheduleRestart(slot);
            }
        }, delay);
    }
    #failWaitingIfHopeless() {
        const hope = this.#slots.some((s) => s.status === "ready" || s.status === "starting" || s.status === "restarting");
        if (hope) {
            this.#drainWaiting();
            return;
        }
        for (const w of this.#waiting.splice(0))
            w.reject(this.#crashedError(w.f.sig.name));
    }
    #drainWaiting() {
        while (this.#waiting.length > 0) {
            const conn = this.#pick();
            if (!conn)
                return;
            const w = this.#waiting.shift();
            conn.call(w.f, w.args, this.#init.timeoutMs).then(w.resolve, w.reject);
        }
    }
    #pick() {
        const slots = this.#slots;
        if (slots.length === 1) {
            const s = slots[0];
            return s.status === "ready" && s.conn?.alive ? s.conn : undefined;
        }
        let best;
        for (const s of slots) {
            if (s.status !== "ready" || !s.conn?.alive)
                continue;
            if (!best || s.conn.pending < best.pending)
                best = s.conn;
        }
        return best;
    }
    #sendBinds(conn, fns) {
        conn.bind(fns).catch((e) => {
            if (!conn.alive)
                return;
            this.#emit("error", "bind", `binding in child ${conn.pid} failed: ${e.summary ?? e}`, {
                pid: conn.pid,
                code: e.code,
            });
        });
    }
    #closedError(fn) {
        return new CallError("CLOSED", this.#init.path, fn, "the plugin handle is closed", {
            hint: "open the plugin again; functions of a closed handle cannot be called",
        });
    }
    #crashedError(fn) {
        const last = this.#lastCrash;
        const exit = last?.exit ?? noExit();
        const r = this.#init.restart;
        const why = r ? `all ${r.maxRestarts} restart(s) are used` : "restarts are off";
        return new CrashError({
            ...exit,
            path: this.#init.path,
            expected: `a running child to call ${fn}()`,
            function: fn,
            found: `none: ${describeChildExit(exit)} earlier${last?.function ? ` during ${last.function}()` : ""}, and ${why}`,
            hint: r
                ? "fix the plugin, or open it again"
                : "open the plugin again, or open it with { restart: true } to replace crashed children",
        });
    }
    #emit(level, event, message, fields = {}) {
        try {
            const p = this.#init.plugin;
            this.#init.log(logRecord(level, event, message, {
                plugin: p.name,
                version: p.version,
                path: this.#init.path,
                sha256: p.sha256.slice(0, 12),
                ...fields,
            }));
        }
        catch {
        }
    }
}
function noExit() {
    return { pid: 0, exitCode: null, signal: null, signalNumber: null, stderrTail: [] };
}
