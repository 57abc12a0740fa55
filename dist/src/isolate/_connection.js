// Generated from src/isolate/_connection.ts by tasks/dist.ts (deno task dist): do not edit.
import { canonicalSignature } from "../abi/signature.js";
import { CallError, LoadError, PluginError } from "../errors/plugin_error.js";
import { CrashError, describeChildExit } from "../errors/crash_error.js";
import { resolve } from "../file/paths.js";
import { signalProcess } from "../file/libc.js";
import { CHILD_STALL_MS, HOST_SPIN_US, PART_BYTES, PartAssembler, peekChildExit, RING_MAX_FRAME, RingError, RingKind, ShmChannel, shmSupported, SpinBudget, } from "./_shm.js";
import { Cursor, errorFromData, fits, FrameWriter, HANDSHAKE_PREFIX, HEADER_SIZE, invalidArgument, Kind, MAGIC_COOKIE, MAGIC_COOKIE_ENV, MAX_FRAME, parseJson, PROTOCOL_VERSIONS, readValue, writeValue, } from "./_protocol.js";
export const STDERR_TAIL_LINES = 20;
const DRAIN_MS = 500;
const SYNC_SLICE_MS = 2;
const CHILD_URL = new URL("./_child.js", import.meta.url).href;
const REMOTE = /^https?:/.test(import.meta.url);
const COMPILED = /\/deno-compile-/.test(import.meta.url);
export async function ensureChildCached() {
    if (REMOTE)
        await import("./_child.js");
}
export function childCommand(path, realPath) {
    if (COMPILED) {
        throw new PluginError("USAGE", `Cannot isolate plugin ${JSON.stringify(path)}: expected a host run by Deno's own executable, found a \`deno compile\` binary`, {
            path,
            hint: "an isolation child is a Deno process running plugboard's child module: run the host with `deno run`, or open the plugin in this process",
        });
    }
    if (inheritedCookie()) {
        throw new PluginError("USAGE", `Cannot isolate plugin ${JSON.stringify(path)}: this process was started as an isolation child`, {
            path,
            hint: "isolation needs Deno's own executable (it does not work from a `deno compile` binary); unset PLUGBOARD_MAGIC_COOKIE if it leaked into this environment",
        });
    }
    const reads = [...new Set([resolve(path), realPath])];
    const read = reads.some((p) => p.includes(","))
        ? "--allow-read"
        : `--allow-read=${reads.join(",")}`;
    return {
        command: Deno.execPath(),
        args: [
            "run",
            "--quiet",
            "--no-prompt",
            "--no-config",
            ...(REMOTE ? ["--cached-only"] : []),
            "--allow-ffi",
            read,
            `--allow-env=${MAGIC_COOKIE_ENV}`,
            CHILD_URL,
            String(Deno.pid),
            PROTOCOL_VERSIONS.join(","),
        ],
        env: { [MAGIC_COOKIE_ENV]: MAGIC_COOKIE },
    };
}
function inheritedCookie() {
    const variable = MAGIC_COOKIE_ENV;
    if (Deno.permissions.querySync({ name: "env", variable }).state !== "granted")
        return false;
    return Deno.env.get(variable) !== undefined;
}
const decoder = new TextDecoder();
export class ChildConnection {
    pid;
    ended;
    #opts;
    #child;
    #writer;
    #out = new FrameWriter();
    #flushQueued = false;
    #queue = [];
    #head = 0;
    #nextId = 1;
    #timer;
    #timerAt = Infinity;
    #phase = "handshake";
    #cause = { kind: "none" };
    #dead = false;
    #exited = false;
    #shutdownAsked = false;
    #firstWhat;
    #refd = true;
    #tail = [];
    #handshake;
    #handshakeBytes = [];
    #startTimer;
    #resolveEnded;
    #shm;
    #transport = "pipe";
    #backlog = [];
    #parts = new PartAssembler();
    #waiter;
    #bellWait = false;
    #spin = new SpinBudget(HOST_SPIN_US);
    #sleptAt = 0;
    #wokeChild = false;
    constructor(opts) {
        this.#opts = opts;
        this.ended = new Promise((r) => this.#resolveEnded = r);
        this.#child = new Deno.Command(opts.command, {
            args: opts.args,
            env: opts.env,
            stdin: "piped",
            stdout: "piped",
            stderr: "piped",
            detached: true,
        }).spawn();
        this.pid = this.#child.pid;
        this.#writer = this.#child.stdin.getWriter();
        const stdoutDone = this.#readStdout();
        const stderrDone = this.#readStderr();
        void this.#watch(stdoutDone, stderrDone);
    }
    get pending() {
        return this.#queue.length - this.#head;
    }
    get alive() {
        return !this.#dead && !this.#exited && this.#cause.kind === "none";
    }
    get transport() {
        return this.#transport;
    }
    async start() {
        const load = this.#opts.load;
        const ms = this.#opts.startTimeoutMs;
        const startedAt = performance.now();
        this.#startTimer = setTimeout(() => {
            this.#startTimer = undefined;
            if (this.#phase === "handshake") {
                this.#stop({ kind: "handshake", found: `nothing within ${ms} ms` });
            }
        }, ms);
        try {
            await new Promise((resolve, reject) => this.#handshake = { resolve, reject });
        }
        finally {
            clearTimeout(this.#startTimer);
            this.#startTimer = undefined;
        }
        this.#phase = "load";
        const left = () => Math.max(1, ms - (performance.now() - startedAt));
        if ((this.#opts.transport ?? "auto") !== "pipe")
            await this.#attach(left());
        await this.#request(Kind.LOAD, "load", undefined, left(), (w, id) => {
            w.json(id, Kind.LOAD, load);
        });
        this.#phase = "serving";
        this.#setRef(false);
    }
    bind(fns) {
        return this.#request(Kind.BIND, "bind", undefined, Infinity, (w, id) => {
            const start = w.begin(id, Kind.BIND);
            w.u16(fns.length);
            for (const f of fns) {
                w.u16(f.index);
                w.string(canonicalSignature(f.sig));
            }
            w.end(start);
        });
    }
    call(f, args, timeoutMs) {
        const refused = this.#refuse(f, args);
        if (refused)
            return Promise.reject(refused);
        return new Promise((resolve, reject) => this.#sendCall(f, args, timeoutMs, resolve, reject));
    }
    callSync(f, args, timeoutMs) {
        const refused = this.#refuse(f, args);
        if (refused)
            throw refused;
        if (!this.#shm) {
            throw new PluginError("USAGE", `Cannot call ${JSON.stringify(f.sig.name)} of plugin ${JSON.stringify(this.#opts.path)} synchronously: expected the shared-memory transport, found pipes`, { path: this.#opts.path, hint: 'open the plugin with calls: "sync"' });
        }
        const r = {
            state: "waiting",
            value: undefined,
        };
        const p = this.#sendCall(f, args, timeoutMs, (v) => {
            r.state = "ok";
            r.value = v;
        }, (e) => {
            r.state = "failed";
            r.value = e;
        });
        this.#flushNow();
        this.#waitSync(p, () => r.state !== "waiting");
        if (r.state === "failed")
            throw r.value;
        return r.value;
    }
    #refuse(f, args) {
        const sig = f.sig;
        const params = sig.parameters;
        if (args.length !== params.length) {
            return new CallError("INVALID_ARGUMENT", this.#opts.path, sig.name, `expected ${params.length} argument(s), found ${args.length}`, { hint: `call it as ${sig.name}(${params.join(", ")})` });
        }
        for (let i = 0; i < params.length; i++) {
            if (!fits(params[i], args[i])) {
                return invalidArgument(this.#opts.path, sig.name, i, params[i], args[i]);
            }
        }
        if (!this.alive)
            return this.#deadError(sig.name);
        return undefined;
    }
    #sendCall(f, args, timeoutMs, resolve, reject) {
        const params = f.sig.parameters;
        const w = this.#out;
        const id = this.#id();
        const start = w.begin(id, Kind.CALL);
        try {
            w.u16(f.index);
            for (let i = 0; i < params.length; i++)
                writeValue(w, params[i], args[i]);
        }
        catch (e) {
            w.length = start;
            throw e;
        }
        w.end(start);
        this.#scheduleFlush();
        const p = {
            id,
            kind: Kind.CALL,
            what: "",
            fn: f.sig.name,
            deadline: timeoutMs === Infinity ? Infinity : performance.now() + timeoutMs,
            timeoutMs,
            resolve,
            reject,
            bound: f,
            args,
        };
        this.#push(p);
        return p;
    }
    shutdown(graceMs) {
        if (this.alive) {
            this.#shutdownAsked = true;
            this.#setRef(true);
            this.#request(Kind.SHUTDOWN, "shutdown", undefined, Infinity, (w, id) => {
                const start = w.begin(id, Kind.SHUTDOWN);
                w.end(start);
            }).catch(() => { });
            const timer = setTimeout(() => this.#stop({ kind: "closed", graceMs }), graceMs);
            void this.ended.then(() => clearTimeout(timer));
        }
        return this.ended;
    }
    kill() {
        this.#stop({ kind: "closed", graceMs: 0 });
        return this.ended;
    }
    #id() {
        const id = this.#nextId;
        this.#nextId = id === 0xffffffff ? 1 : id + 1;
        return id;
    }
    #request(kind, what, fn, timeoutMs, write) {
        if (!this.alive)
            return Promise.reject(this.#deadError(what));
        const id = this.#id();
        write(this.#out, id);
        this.#scheduleFlush();
        return new Promise((resolve, reject) => {
            this.#push({
                id,
                kind,
                what,
                fn,
                deadline: timeoutMs === Infinity ? Infinity : performance.now() + timeoutMs,
                timeoutMs,
                resolve,
                reject,
                bound: undefined,
                args: undefined,
            });
        });
    }
    #push(p) {
        if (this.#queue.length === this.#head)
            this.#setRef(true);
        this.#queue.push(p);
        if (p.deadline < this.#timerAt) {
            clearTimeout(this.#timer);
            this.#arm(p.deadline);
        }
    }
    #shift() {
        if (this.#head >= this.#queue.length)
            return undefined;
        const p = this.#queue[this.#head];
        this.#queue[this.#head++] = undefined;
        if (this.#head === this.#queue.length) {
            this.#queue.length = 0;
            this.#head = 0;
            if (this.#phase === "serving")
                this.#setRef(false);
        }
        else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
            this.#queue = this.#queue.slice(this.#head);
            this.#head = 0;
        }
        return p;
    }
    #setRef(on) {
        if (this.#refd === on || this.#dead)
            return;
        this.#refd = on;
        try {
            if (on)
                this.#child.ref();
            else
                this.#child.unref();
        }
        catch {
        }
    }
    #arm(deadline) {
        this.#timerAt = deadline;
        const timer = setTimeout(() => this.#checkDeadline(), Math.max(0, deadline - performance.now()));
        Deno.unrefTimer(timer);
        this.#timer = timer;
    }
    #checkDeadline() {
        this.#timer = undefined;
        this.#timerAt = Infinity;
        if (!this.alive)
            return;
        const head = this.#queue[this.#head];
        if (head === undefined)
            return;
        if (performance.now() >= head.deadline) {
            this.#stop({
                kind: "timeout",
                what: whatOf(head),
                fn: head.fn,
                ms: head.timeoutMs,
                phase: this.#phase,
            });
            return;
        }
        let next = head.deadline;
        if (next === Infinity) {
            for (let i = this.#head; i < this.#queue.length; i++) {
                if (this.#queue[i].deadline !== Infinity) {
                    next = this.#queue[i].deadline;
                    break;
                }
            }
        }
        if (next !== Infinity)
            this.#arm(next);
    }
    #scheduleFlush() {
        if (this.#flushQueued)
            return;
        this.#flushQueued = true;
        queueMicrotask(() => {
            this.#flushQueued = false;
            if (this.#out.length === 0 || this.#dead)
                return;
            if (this.#shm) {
                this.#flushNow();
                this.#collect();
                return;
            }
            this.#writer.write(this.#out.take()).catch(() => {
            });
        });
    }
    async #attach(timeoutMs) {
        const required = this.#opts.transport === "shared-memory";
        let ch;
        try {
            if (!shmSupported()) {
                throw new Error("this host cannot map it (it needs Linux on x86-64 or arm64 and an unrestricted --allow-ffi)");
            }
            ch = ShmChannel.create();
        }
        catch (e) {
            if (required)
                throw this.#noSharedMemory(e.message);
            return;
        }
        try {
            await this.#request(Kind.ATTACH, "attach", undefined, timeoutMs, (w, id) => {
                w.json(id, Kind.ATTACH, { path: ch.path });
            });
        }
        catch (e) {
            ch.release();
            if (!this.alive)
                throw e;
            if (required)
                throw this.#noSharedMemory(e.summary ?? String(e));
            return;
        }
        ch.attached();
        this.#shm = ch;
        this.#transport = "shared-memory";
    }
    #noSharedMemory(found) {
        return new LoadError("HANDSHAKE_FAILED", {
            path: this.#opts.path,
            what: "the host and the isolation child could not share memory",
            expected: "the child to map the host's shared memory",
            found: found.replace(/^Unexpected error in the isolation child: /, ""),
            hint: 'calls: "sync" and transport: "shared-memory" need Linux and access to /proc/PID/fd; leave them out to use pipes',
        });
    }
    #flushNow() {
        const ch = this.#shm;
        const out = this.#out;
        if (!ch || out.length === 0)
            return;
        const bytes = out.bytes;
        const view = out.view;
        try {
            for (let pos = 0; pos < out.length;) {
                const size = HEADER_SIZE + view.getUint32(pos, true);
                if (this.#backlog.length > 0 || size > RING_MAX_FRAME || !ch.put(bytes, pos, size)) {
                    this.#backlog.push({ bytes: bytes.slice(pos, pos + size), sent: 0 });
                }
                pos += size;
            }
            out.take();
            this.#moveBacklog(ch);
            this.#wokeChild = ch.publish() === "woke";
        }
        catch (e) {
            this.#ringFailed(e);
        }
    }
    #moveBacklog(ch) {
        let moved = false;
        while (this.#backlog.length > 0) {
            const b = this.#backlog[0];
            const size = b.bytes.length;
            if (size <= RING_MAX_FRAME) {
                if (!ch.put(b.bytes, 0, size))
                    return moved;
            }
            else {
                const id = new DataView(b.bytes.buffer).getUint32(4, true);
                while (b.sent < size) {
                    const n = Math.min(PART_BYTES, size - b.sent);
                    if (!ch.putPart(id, b.bytes, b.sent, n))
                        return moved;
                    b.sent += n;
                    moved = true;
                }
            }
            moved = true;
            this.#backlog.shift();
        }
        return moved;
    }
    #ready = () => {
        const ch = this.#shm;
        if (!ch || ch.released)
            return true;
        if (ch.hasInput())
            return true;
        const b = this.#backlog[0];
        if (b === undefined)
            return false;
        const size = b.bytes.length;
        try {
            return ch.room(size <= RING_MAX_FRAME ? size : HEADER_SIZE + Math.min(PART_BYTES, size - b.sent)) >= 0;
        }
        catch (e) {
            this.#ringFailed(e);
            return true;
        }
    };
    #pump() {
        const ch = this.#shm;
        if (!ch || ch.released)
            return false;
        ch.beat();
        try {
            let consumed = false;
            for (let f = ch.peek(); f !== undefined; f = ch.peek()) {
                let ok = true;
                if (f.kind === RingKind.PART) {
                    const frame = this.#parts.add(f.id, ch.bytes, f.at, f.len, MAX_FRAME);
                    ch.advance();
                    consumed = true;
                    if (frame) {
                        const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
                        ok = this.#onFrame(frame, view, 0, frame.length - HEADER_SIZE);
                    }
                }
                else {
                    ok = this.#onFrame(ch.bytes, ch.view, f.at - HEADER_SIZE, f.len);
                    ch.advance();
                    consumed = true;
                }
                if (!ok)
                    return false;
                if (f.kind === RingKind.PART)
                    ch.consumed();
            }
            if (consumed)
                ch.consumed();
            if (this.#backlog.length > 0 && this.#moveBacklog(ch))
                ch.publish();
            return true;
        }
        catch (e) {
            this.#ringFailed(e);
            return false;
        }
    }
    #ringFailed(e) {
        this.#stop({
            kind: "protocol",
            found: e instanceof RingError ? e.message : `a malformed reply in the shared ring (${e})`,
        });
    }
    #collect() {
        if (starving()) {
            setTimeout(() => {
                const ch = this.#shm;
                if (ch && !ch.released && !this.#dead && this.pending > 0)
                    this.#woke();
            }, 0);
            return;
        }
        const ch = this.#shm;
        while (!this.#wokeChild && this.pending > 0 && ch.spin(this.#spin, this.#ready, CHILD_STALL_MS)) {
            if (!this.#pump())
                return;
        }
        if (this.pending === 0)
            return;
        this.#sleptAt = performance.now();
        this.#sleep();
    }
    #sleep() {
        for (;;) {
            const ch = this.#shm;
            if (!ch || ch.released || this.#dead || this.#waiter || this.#bellWait || this.pending === 0)
                return;
            const wait = ch.hostWaitAsync(this.#ready);
            if (wait === "ready") {
                if (!this.#pump())
                    return;
                continue;
            }
            if (wait === "pipe") {
                this.#bellWait = true;
                return;
            }
            this.#waiter = wait.then(() => {
                this.#waiter = undefined;
                this.#woke();
            });
            return;
        }
    }
    #onPipeFrame(kind) {
        if (kind !== RingKind.BELL) {
            this.#stop({
                kind: "protocol",
                found: `a frame of kind ${kind} on the pipe while shared memory carries the replies`,
            });
            return false;
        }
        if (this.#bellWait) {
            this.#bellWait = false;
            this.#shm?.hostAwake();
            this.#woke();
        }
        return true;
    }
    #woke() {
        if (this.#sleptAt !== 0) {
            this.#spin.missed((performance.now() - this.#sleptAt) * 1000);
            this.#sleptAt = 0;
        }
        if (this.#pump())
            this.#sleep();
    }
    #waitSync(p, done) {
        const ch = this.#shm;
        let spun = false;
        let sleptAt = 0;
        for (;;) {
            if (this.#ready()) {
                if (sleptAt !== 0) {
                    this.#spin.missed((performance.now() - sleptAt) * 1000);
                    sleptAt = 0;
                }
                this.#pump();
                if (done())
                    return;
                if (!this.alive)
                    break;
                continue;
            }
            const now = performance.now();
            const head = this.#queue[this.#head] ?? p;
            const deadline = Math.min(head.deadline, p.deadline);
            if (now >= deadline) {
                const late = head.deadline <= now ? head : p;
                const cause = {
                    kind: "timeout",
                    what: whatOf(late),
                    fn: late.fn,
                    ms: late.timeoutMs,
                    phase: this.#phase,
                };
                this.#stop(cause);
                throw this.#errorFor(p, p === late, cause, this.#exitNow(null));
            }
            if (!spun) {
                spun = true;
                if (!this.#wokeChild && ch.spin(this.#spin, this.#ready, CHILD_STALL_MS))
                    continue;
            }
            const exit = sleptAt === 0 ? null : peekChildExit(this.pid);
            if (exit !== null) {
                this.#pump();
                if (done())
                    return;
                this.#exited = true;
                throw this.#errorFor(p, p === head, { kind: "none" }, this.#exitNow(exit));
            }
            if (sleptAt === 0)
                sleptAt = now;
            ch.hostWaitSync(Math.min(SYNC_SLICE_MS, deadline - now), this.#ready);
        }
        if (!done()) {
            throw this.#errorFor(p, true, this.#cause, this.#exitNow(null));
        }
    }
    #exitNow(exit) {
        const how = exit === null || exit === "gone"
            ? { exitCode: null, signal: "SIGKILL", signalNumber: 9 }
            : exit;
        return { pid: this.pid, ...how, stderrTail: [...this.#tail] };
    }
    #stop(cause) {
        if (this.#dead || this.#cause.kind !== "none")
            return;
        this.#cause = cause;
        this.#setRef(true);
        if (!signalProcess(-this.pid, "SIGKILL")) {
            try {
                this.#child.kill("SIGKILL");
            }
            catch {
            }
        }
    }
    async #readStdout() {
        const reader = this.#child.stdout.getReader();
        let acc = new Uint8Array(0);
        let accLen = 0;
        try {
            for (;;) {
                const { value, done } = await reader.read();
                if (done)
                    return;
                let bytes = value;
                if (accLen > 0) {
                    acc = reserve(acc, accLen, accLen + value.length);
                    acc.set(value, accLen);
                    accLen += value.length;
                    bytes = acc.subarray(0, accLen);
                }
                let pos = 0;
                if (this.#phase === "handshake") {
                    pos = this.#readHandshake(bytes);
                    if (pos < 0)
                        return;
                    if (this.#phase === "handshake") {
                        accLen = 0;
                        continue;
                    }
                }
                const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
                let need = 0;
                while (bytes.length - pos >= HEADER_SIZE) {
                    const len = view.getUint32(pos, true);
                    if (len > MAX_FRAME) {
                        this.#stop({ kind: "protocol", found: `a frame of ${len} bytes` });
                        return;
                    }
                    if (bytes.length - pos < HEADER_SIZE + len) {
                        need = HEADER_SIZE + len;
                        break;
                    }
                    const ok = this.#shm
                        ? this.#onPipeFrame(bytes[pos + 8])
                        : this.#onFrame(bytes, view, pos, len);
                    if (!ok)
                        return;
                    pos += HEADER_SIZE + len;
                }
                const left = bytes.length - pos;
                if (left === 0) {
                    accLen = 0;
                }
                else if (bytes === value) {
                    acc = reserve(acc, 0, Math.max(need, left, 4096));
                    acc.set(value.subarray(pos), 0);
                    accLen = left;
                }
                else {
                    acc.copyWithin(0, pos, accLen);
                    accLen = left;
                    acc = reserve(acc, accLen, need);
                }
            }
        }
        catch {
        }
        finally {
            reader.releaseLock();
        }
    }
    #readHandshake(bytes) {
        const seen = this.#handshakeBytes;
        for (let i = 0; i < bytes.length; i++) {
            const b = bytes[i];
            if (b === 10) {
                const line = decoder.decode(new Uint8Array(seen));
                const err = this.#checkHandshake(line);
                if (err !== undefined) {
                    this.#stop({ kind: "handshake", found: err });
                    return -1;
                }
                this.#phase = "load";
                this.#handshake?.resolve();
                return i + 1;
            }
            seen.push(b);
            const k = seen.length - 1;
            if ((k < HANDSHAKE_PREFIX.length && b !== HANDSHAKE_PREFIX.charCodeAt(k)) || seen.length > 200) {
                const shown = decoder.decode(new Uint8Array([...seen, ...bytes.subarray(i + 1, i + 100)]));
                this.#stop({ kind: "handshake", found: quoteShort(shown.split("\n")[0]) });
                return -1;
            }
        }
        return bytes.length;
    }
    #checkHandshake(line) {
        const parts = line.split("|");
        if (parts.length !== 3 || !/^\d+$/.test(parts[1]) || !/^\d+$/.test(parts[2])) {
            return quoteShort(line);
        }
        const version = Number(parts[1]);
        if (!PROTOCOL_VERSIONS.includes(version))
            return `protocol version ${version}`;
        if (Number(parts[2]) !== this.pid)
            return `the handshake of process ${parts[2]}`;
        return undefined;
    }
    #onFrame(bytes, view, pos, len) {
        const id = view.getUint32(pos + 4, true);
        const kind = bytes[pos + 8];
        const head = this.#queue[this.#head];
        if (head === undefined || head.id !== id || (kind !== Kind.OK && kind !== Kind.ERROR)) {
            this.#stop({
                kind: "protocol",
                found: `an unexpected frame (id ${id}, kind ${kind}; expected id ${head?.id ?? "none"})`,
            });
            return false;
        }
        this.#shift();
        const at = pos + HEADER_SIZE;
        if (kind === Kind.ERROR) {
            let err;
            try {
                err = errorFromData(parseJson(bytes.subarray(at, at + len)));
            }
            catch {
                this.#stop({ kind: "protocol", found: "an error frame that is not JSON" });
                head.reject(new CallError("CALL_FAILED", this.#opts.path, whatOf(head), "malformed error"));
                return false;
            }
            head.reject(err);
            return true;
        }
        const b = head.bound;
        if (b === undefined) {
            head.resolve(undefined);
            return true;
        }
        const c = new Cursor(bytes, view, at);
        const result = readValue(c, b.sig.result);
        const args = head.args;
        for (const i of b.buffers) {
            const target = args[i];
            if (target.length > 0)
                target.set(bytes.subarray(c.pos, c.pos + target.length));
            c.pos += target.length;
        }
        head.resolve(result);
        return true;
    }
    async #readStderr() {
        const reader = this.#child.stderr.getReader();
        const text = new TextDecoder();
        let partial = "";
        try {
            for (;;) {
                const { value, done } = await reader.read();
                if (done)
                    break;
                const lines = (partial + text.decode(value, { stream: true })).split("\n");
                partial = lines.pop();
                for (const line of lines)
                    this.#stderrLine(line);
            }
        }
        catch {
        }
        finally {
            partial += text.decode();
            if (partial !== "")
                this.#stderrLine(partial);
            reader.releaseLock();
        }
    }
    #stderrLine(line) {
        const clean = line.replace(/\r$/, "");
        this.#tail.push(clean);
        if (this.#tail.length > STDERR_TAIL_LINES)
            this.#tail.shift();
        try {
            this.#opts.onStderr(clean, this.pid);
        }
        catch {
        }
    }
    async #watch(stdoutDone, stderrDone) {
        const status = await this.#child.status;
        this.#dead = true;
        signalProcess(-this.pid, "SIGKILL");
        this.#shm?.interrupt();
        const drain = new Promise((r) => {
            const t = setTimeout(r, DRAIN_MS);
            void Promise.all([stdoutDone, stderrDone]).then(() => {
                clearTimeout(t);
                r();
            });
        });
        await drain;
        if (this.#shm && this.#cause.kind !== "protocol")
            this.#pump();
        await this.#waiter;
        this.#shm?.release();
        this.#shm = undefined;
        clearTimeout(this.#timer);
        clearTimeout(this.#startTimer);
        this.#writer.close().catch(() => { });
        const exit = {
            pid: this.pid,
            exitCode: status.signal === null ? status.code : null,
            signal: status.signal,
            signalNumber: status.signal === null ? null : status.code - 128,
            stderrTail: [...this.#tail],
        };
        const end = this.#settle(exit);
        this.#resolveEnded(end);
        this.#opts.onEnd(this, end);
    }
    #settle(exit) {
        const cause = this.#cause;
        const path = this.#opts.path;
        const first = this.#queue[this.#head];
        let reason;
        let firstError;
        if (this.#handshake && this.#phase === "handshake") {
            const found = cause.kind === "handshake"
                ? cause.found
                : `${describeChildExit(exit)} before answering${tailNote(exit)}`;
            firstError = new LoadError("HANDSHAKE_FAILED", {
                path,
                what: "the isolation child did not complete the handshake",
                expected: `a line "${HANDSHAKE_PREFIX}VERSION|PID" with version ${PROTOCOL_VERSIONS.join(" or ")}`,
                found,
                hint: cause.kind === "handshake" && cause.found.startsWith("nothing")
                    ? "the machine may be overloaded: raise startTimeoutMs; otherwise check that Deno can run the child (see its stderr)"
                    : "the child is not a plugboard isolation child of this version; check Deno and plugboard versions and the child's stderr",
            });
            this.#handshake.reject(firstError);
            reason = "handshake";
        }
        else if (cause.kind === "handshake") {
            reason = "handshake";
        }
        else if (cause.kind === "none") {
            const clean = this.#shutdownAsked && first === undefined && exit.exitCode === 0;
            reason = clean ? "closed" : "crash";
        }
        else {
            reason = cause.kind;
        }
        this.#firstWhat = first && whatOf(first);
        for (let p = this.#shift(); p !== undefined; p = this.#shift()) {
            const err = this.#errorFor(p, p === first, cause, exit);
            firstError ??= err;
            p.reject(err);
        }
        return { exit, reason, error: firstError, function: first?.fn, killed: cause.kind !== "none" };
    }
    #errorFor(p, isFirst, cause, exit) {
        const path = this.#opts.path;
        const fn = p.fn ?? whatOf(p);
        switch (cause.kind) {
            case "timeout":
                if (p.kind === Kind.LOAD || p.kind === Kind.ATTACH) {
                    return new LoadError("PLUGIN_TIMEOUT", {
                        path,
                        what: p.kind === Kind.ATTACH
                            ? "the isolation child did not map the shared memory in time"
                            : "the plugin did not finish loading in time",
                        expected: `it to load within ${this.#opts.startTimeoutMs} ms`,
                        found: `no reply; the child (pid ${exit.pid}) was killed`,
                        hint: p.kind === Kind.ATTACH
                            ? 'the machine may be overloaded: raise startTimeoutMs, or open with transport: "pipe"'
                            : "a constructor or the init hook hangs; fix the plugin, or raise startTimeoutMs if it is only slow",
                    });
                }
                return isFirst
                    ? new CallError("PLUGIN_TIMEOUT", path, fn, `expected a reply within ${cause.ms} ms, found none: the child (pid ${exit.pid}) was killed`, {
                        hint: "the plugin hangs or is slower than timeoutMs allows; fix it or raise timeoutMs",
                    })
                    : new CallError("PLUGIN_TIMEOUT", path, fn, `expected a reply, found none: the child (pid ${exit.pid}) was killed because the call ${cause.what} before this one timed out after ${cause.ms} ms; this call had not started`, { hint: "call it again" });
            case "closed":
                return new CallError("CLOSED", path, fn, cause.graceMs > 0
                    ? `the plugin was closed before the call returned: its child (pid ${exit.pid}) did not shut down within ${cause.graceMs} ms and was killed`
                    : `the plugin was closed before the call returned: its child (pid ${exit.pid}) was killed`, { hint: "wait for pending calls before closing, or raise closeGraceMs" });
            case "protocol":
                return new CrashError({
                    ...exit,
                    path,
                    expected: `a reply to ${whatOf(p)}`,
                    function: p.fn,
                    found: `${cause.found}; the child (pid ${exit.pid}) was killed`,
                    hint: "the child's output was corrupted; this is a bug in plugboard or the plugin wrote to a descriptor it does not own",
                });
            default:
                return new CrashError({
                    ...exit,
                    path,
                    found: isFirst || this.#firstWhat === undefined
                        ? undefined
                        : `${describeChildExit(exit)} during ${this.#firstWhat}; this call had not started`,
                    expected: p.kind === Kind.LOAD
                        ? "the plugin to load"
                        : p.kind === Kind.ATTACH
                            ? "the child to map the shared memory"
                            : p.kind === Kind.SHUTDOWN
                                ? "the plugin to shut down"
                                : p.kind === Kind.BIND
                                    ? "the child to bind functions"
                                    : `a reply to ${whatOf(p)}`,
                    function: p.fn,
                });
        }
    }
    #deadError(what) {
        return new CallError("CLOSED", this.#opts.path, what, `the child (pid ${this.pid}) is gone`, {
            hint: "open the plugin again",
        });
    }
}
function whatOf(p) {
    return p.bound ? `${p.bound.sig.name}()` : p.what;
}
function reserve(buf, keep, size) {
    if (size <= buf.length)
        return buf;
    const bigger = new Uint8Array(Math.max(size, buf.length * 2));
    bigger.set(buf.subarray(0, keep));
    return bigger;
}
function tailNote(exit) {
    const tail = exit.stderrTail.filter((l) => l.trim() !== "").slice(-3);
    return tail.length ? `; its stderr ended with ${quoteShort(tail.join(" / "), 300)}` : "";
}
function quoteShort(s, max = 80) {
    return JSON.stringify(s.length > max ? s.slice(0, max) + "…" : s);
}
const STARVE_MS = 5;
let turnTimer = false;
let lastTurn = performance.now();
function starving() {
    if (!turnTimer) {
        turnTimer = true;
        setTimeout(() => {
            turnTimer = false;
            lastTurn = performance.now();
        }, 0);
    }
    return performance.now() - lastTurn > STARVE_MS;
}
