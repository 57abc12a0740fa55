// Generated from src/isolate/_shm.ts by tasks/dist.ts (deno task dist): do not edit.
import { HEADER_SIZE } from "./_protocol.js";
const FUTEX_NR = { x86_64: 202n, aarch64: 98n };
const FUTEX_WAIT = 0n;
const FUTEX_WAKE = 1n;
const MFD_CLOEXEC = 0x1;
const MFD_ALLOW_SEALING = 0x2;
const F_ADD_SEALS = 1033;
const F_SEAL_SEAL = 0x1;
const F_SEAL_SHRINK = 0x2;
const F_SEAL_GROW = 0x4;
const O_RDWR = 0x2;
const O_CLOEXEC = 0x80000;
const PROT_READ = 0x1;
const PROT_WRITE = 0x2;
const MAP_SHARED = 0x1;
const P_PID = 1;
const WEXITED = 4;
const WNOHANG = 1;
const WNOWAIT = 0x01000000;
const CLD_EXITED = 1;
const ECHILD = 10;
const SYMBOLS = {
    memfd_create: { parameters: ["buffer", "u32"], result: "i32" },
    ftruncate: { parameters: ["i32", "i64"], result: "i32" },
    fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
    open: { parameters: ["buffer", "i32"], result: "i32" },
    close: { parameters: ["i32"], result: "i32" },
    mmap: { parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"], result: "pointer" },
    munmap: { parameters: ["pointer", "usize"], result: "i32" },
    waitid: { parameters: ["i32", "i32", "buffer", "i32"], result: "i32" },
    sched_getcpu: { parameters: [], result: "i32" },
    syscall: { parameters: ["i64", "u64", "i64", "i64", "u64", "u64", "i64"], result: "i64" },
    futex_wait_async: {
        name: "syscall",
        parameters: ["i64", "u64", "i64", "i64", "u64", "u64", "i64"],
        result: "i64",
        nonblocking: true,
    },
    strerror: { parameters: ["i32"], result: "pointer" },
    __errno_location: { parameters: [], result: "pointer" },
};
let libc;
function lib() {
    libc ??= Deno.dlopen("libc.so.6", SYMBOLS).symbols;
    return libc;
}
function osError() {
    const c = lib();
    const p = c.__errno_location();
    const errno = p === null ? 0 : new Deno.UnsafePointerView(p).getInt32();
    const s = c.strerror(errno);
    return `${s ? Deno.UnsafePointerView.getCString(s) : "unknown error"} (errno ${errno})`;
}
function errno() {
    const p = lib().__errno_location();
    return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32();
}
export const RING_BYTES = 64 * 1024;
const CONTROL_BYTES = 4096;
export const SHM_BYTES = CONTROL_BYTES + 2 * RING_BYTES;
export const RING_MAX_FRAME = RING_BYTES / 4;
const MAGIC = 0x73626c70;
const LAYOUT = 1;
export const HOST_SPIN_US = [20, 200];
export const CHILD_SPIN_US = [50, 1000];
export const MAX_ASYNC_WAITERS = 8;
const W_MAGIC = 0;
const W_LAYOUT = 1;
const W_RING = 2;
const REQ_HEAD = 16;
const REP_TAIL = 17;
const CHILD_BELL = 18;
const HOST_SLEEP = 19;
const HOST_BEAT = 20;
const HOST_CPU = 21;
const REQ_TAIL = 32;
const REP_HEAD = 33;
const HOST_BELL = 34;
const CHILD_SLEEP = 35;
const CHILD_BEAT = 36;
const CHILD_CPU = 37;
const AWAKE = 0;
const SLEEP_FUTEX = 1;
const SLEEP_OTHER = 2;
export const RingKind = {
    PAD: 32,
    PART: 33,
    BELL: 34,
};
export const PART_BYTES = RING_MAX_FRAME - 16;
export function shmSupported() {
    if (Deno.build.os !== "linux" || FUTEX_NR[Deno.build.arch] === undefined)
        return false;
    return Deno.permissions.querySync({ name: "ffi" }).state === "granted";
}
export class ShmChannel {
    side;
    bytes;
    view;
    #ptr;
    #base;
    #words;
    #fd;
    #released = false;
    #outStart;
    #outHead = 0;
    #outHeadWord;
    #outTailWord;
    #inStart;
    #inTail = 0;
    #inHeadWord;
    #inTailWord;
    #current = 0;
    #waiting = false;
    #ownBeat;
    #peerBeat;
    #ownCpu;
    #peerCpu;
    #wokeHost = false;
    constructor(side, ptr, fd) {
        this.side = side;
        this.#ptr = ptr;
        this.#fd = fd;
        this.#base = BigInt(Deno.UnsafePointer.value(ptr));
        const buffer = Deno.UnsafePointerView.getArrayBuffer(ptr, SHM_BYTES);
        this.bytes = new Uint8Array(buffer);
        this.view = new DataView(buffer);
        this.#words = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
        const req = CONTROL_BYTES;
        const rep = CONTROL_BYTES + RING_BYTES;
        [this.#ownBeat, this.#peerBeat, this.#ownCpu, this.#peerCpu] = side === "host"
            ? [HOST_BEAT, CHILD_BEAT, HOST_CPU, CHILD_CPU]
            : [CHILD_BEAT, HOST_BEAT, CHILD_CPU, HOST_CPU];
        if (side === "host") {
            [this.#outStart, this.#outHeadWord, this.#outTailWord] = [req, REQ_HEAD, REQ_TAIL];
            [this.#inStart, this.#inHeadWord, this.#inTailWord] = [rep, REP_HEAD, REP_TAIL];
        }
        else {
            [this.#outStart, this.#outHeadWord, this.#outTailWord] = [rep, REP_HEAD, REP_TAIL];
            [this.#inStart, this.#inHeadWord, this.#inTailWord] = [req, REQ_HEAD, REQ_TAIL];
        }
    }
    static create() {
        const c = lib();
        const fd = c.memfd_create(new TextEncoder().encode("plugboard-shm\0"), MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
            throw new Error(`memfd_create failed: ${osError()}`);
        try {
            if (c.ftruncate(fd, BigInt(SHM_BYTES)) !== 0) {
                throw new Error(`ftruncate failed: ${osError()}`);
            }
            if (c.fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) !== 0) {
                throw new Error(`sealing failed: ${osError()}`);
            }
            const ch = new ShmChannel("host", map(fd), fd);
            ch.#words[W_LAYOUT] = LAYOUT;
            ch.#words[W_RING] = RING_BYTES;
            Atomics.store(ch.#words, W_MAGIC, MAGIC);
            return ch;
        }
        catch (e) {
            c.close(fd);
            throw e;
        }
    }
    static attach(path) {
        const c = lib();
        const fd = c.open(new TextEncoder().encode(`${path}\0`), O_RDWR | O_CLOEXEC);
        if (fd < 0)
            throw new Error(`cannot open ${path}: ${osError()}`);
        let ch;
        try {
            ch = new ShmChannel("child", map(fd), -1);
        }
        finally {
            c.close(fd);
        }
        const words = ch.#words;
        if (Atomics.load(words, W_MAGIC) !== MAGIC || words[W_LAYOUT] !== LAYOUT ||
            words[W_RING] !== RING_BYTES) {
            const found = `magic ${words[W_MAGIC]}, layout ${words[W_LAYOUT]}, ring ${words[W_RING]}`;
            ch.release();
            throw new Error(`${path} is not a plugboard mapping of layout ${LAYOUT}: ${found}`);
        }
        return ch;
    }
    get path() {
        return `/proc/${Deno.pid}/fd/${this.#fd}`;
    }
    get released() {
        return this.#released;
    }
    attached() {
        if (this.#fd >= 0)
            lib().close(this.#fd);
        this.#fd = -1;
    }
    room(size) {
        const need = align(size);
        const tail = this.#words[this.#outTailWord] >>> 0;
        const used = (this.#outHead - tail) >>> 0;
        if (used > RING_BYTES)
            throw new RingError(`a tail ${used} bytes behind the head`);
        const i = this.#outHead & (RING_BYTES - 1);
        if (i + need <= RING_BYTES)
            return used + need <= RING_BYTES ? this.#outStart + i : -1;
        const skip = RING_BYTES - i;
        if (used + skip + need > RING_BYTES)
            return -1;
        if (skip >= HEADER_SIZE) {
            const at = this.#outStart + i;
            this.view.setUint32(at, skip - HEADER_SIZE, true);
            this.view.setUint32(at + 4, 0, true);
            this.bytes[at + 8] = RingKind.PAD;
        }
        this.#outHead = (this.#outHead + skip) >>> 0;
        return this.#outStart;
    }
    commit(size) {
        this.#outHead = (this.#outHead + align(size)) >>> 0;
    }
    put(src, start, size) {
        const at = this.room(size);
        if (at < 0)
            return false;
        this.bytes.set(src.subarray(start, start + size), at);
        this.commit(size);
        return true;
    }
    putPart(id, src, start, len) {
        const at = this.room(HEADER_SIZE + len);
        if (at < 0)
            return false;
        this.view.setUint32(at, len, true);
        this.view.setUint32(at + 4, id, true);
        this.bytes[at + 8] = RingKind.PART;
        this.bytes.set(src.subarray(start, start + len), at + HEADER_SIZE);
        this.commit(HEADER_SIZE + len);
        return true;
    }
    publish() {
        Atomics.store(this.#words, this.#outHeadWord, this.#outHead | 0);
        return this.side === "host" ? this.#wakeChild(SLEEP_FUTEX) : this.#wakeHost();
    }
    #wakeChild(why) {
        const w = this.#words;
        if (w[CHILD_SLEEP] === why &&
            Atomics.compareExchange(w, CHILD_SLEEP, why, AWAKE) === why) {
            this.#wake(CHILD_BELL);
            return "woke";
        }
        return "none";
    }
    #wakeHost() {
        const w = this.#words;
        const s = w[HOST_SLEEP];
        if (s === AWAKE || Atomics.compareExchange(w, HOST_SLEEP, s, AWAKE) !== s)
            return "none";
        this.#wokeHost = true;
        if (s === SLEEP_FUTEX) {
            this.#wake(HOST_BELL);
            return "woke";
        }
        return "pipe-bell";
    }
    hasInput() {
        return (this.#words[this.#inHeadWord] >>> 0) !== this.#inTail;
    }
    peek() {
        if ((this.#words[this.#inHeadWord] >>> 0) === this.#inTail)
            return undefined;
        const head = Atomics.load(this.#words, this.#inHeadWord) >>> 0;
        for (;;) {
            const avail = (head - this.#inTail) >>> 0;
            if (avail === 0)
                return undefined;
            if (avail > RING_BYTES || avail % 8 !== 0) {
                throw new RingError(`a head ${avail} bytes ahead of the tail`);
            }
            const i = this.#inTail & (RING_BYTES - 1);
            const left = RING_BYTES - i;
            const at = this.#inStart + i;
            if (left < HEADER_SIZE || this.bytes[at + 8] === RingKind.PAD) {
                if (avail < left)
                    throw new RingError("padding past the head");
                this.#inTail = (this.#inTail + left) >>> 0;
                continue;
            }
            const len = this.view.getUint32(at, true);
            const size = align(HEADER_SIZE + len);
            if (HEADER_SIZE + len > left || size > avail) {
                throw new RingError(`a frame of ${len} bytes where ${Math.min(left, avail)} are left`);
            }
            this.#current = size;
            return {
                id: this.view.getUint32(at + 4, true),
                kind: this.bytes[at + 8],
                at: at + HEADER_SIZE,
                len,
            };
        }
    }
    advance() {
        this.#inTail = (this.#inTail + this.#current) >>> 0;
        this.#current = 0;
    }
    consumed() {
        Atomics.store(this.#words, this.#inTailWord, this.#inTail | 0);
        return this.side === "host" ? this.#wakeChild(SLEEP_OTHER) : this.#wakeHost();
    }
    spin(budget, ready, stallMs) {
        budget.early = false;
        if (ready())
            return true;
        const w = this.#words;
        let last = performance.now();
        const until = last + budget.us / 1000;
        let peer = w[this.#peerBeat];
        let peerSeen = last;
        const c = lib();
        for (;;) {
            for (let k = 0; k < 16; k++)
                if (ready())
                    return true;
            w[this.#ownBeat] = (w[this.#ownBeat] + 1) | 0;
            const cpu = c.sched_getcpu();
            w[this.#ownCpu] = cpu;
            if (w[this.#peerCpu] === cpu) {
                budget.early = true;
                return false;
            }
            const now = performance.now();
            if (now - last > PREEMPTED_MS) {
                budget.preempted();
                return false;
            }
            if (now >= until)
                return false;
            if (stallMs > 0) {
                const b = w[this.#peerBeat];
                if (b !== peer) {
                    peer = b;
                    peerSeen = now;
                }
                else if (now - peerSeen > stallMs) {
                    budget.early = true;
                    return false;
                }
            }
            last = now;
        }
    }
    beat() {
        if (this.#released)
            return;
        const w = this.#words;
        w[this.#ownBeat] = (w[this.#ownBeat] + 1) | 0;
        w[this.#ownCpu] = lib().sched_getcpu();
    }
    childWaitInput() {
        const budget = this.#childSpin;
        const stall = this.#wokeHost ? 0 : HOST_STALL_MS;
        this.#wokeHost = false;
        if (this.spin(budget, this.#hasInput, stall))
            return;
        const t = performance.now();
        this.#sleepSync(CHILD_BELL, CHILD_SLEEP, SLEEP_FUTEX, 1000, this.#hasInput);
        budget.missed((performance.now() - t) * 1000);
    }
    #childSpin = new SpinBudget(CHILD_SPIN_US);
    #hasInput = () => this.hasInput();
    childWaitRoom(size) {
        const fits = () => this.room(size) >= 0;
        for (;;) {
            const at = this.room(size);
            if (at >= 0)
                return at;
            if (this.spin(this.#childSpin, fits, 0))
                continue;
            this.#sleepSync(CHILD_BELL, CHILD_SLEEP, SLEEP_OTHER, 1000, fits);
        }
    }
    hostWaitSync(ms, ready) {
        this.#sleepSync(HOST_BELL, HOST_SLEEP, SLEEP_FUTEX, ms, ready);
    }
    hostWaitAsync(ready) {
        if (this.#waiting)
            throw new Error("unreachable: a second waiter on one channel");
        const w = this.#words;
        const pipe = asyncWaiters >= MAX_ASYNC_WAITERS;
        const bell = Atomics.load(w, HOST_BELL);
        Atomics.store(w, HOST_SLEEP, pipe ? SLEEP_OTHER : SLEEP_FUTEX);
        if (ready()) {
            Atomics.store(w, HOST_SLEEP, AWAKE);
            return "ready";
        }
        if (pipe)
            return "pipe";
        this.#waiting = true;
        asyncWaiters++;
        const nr = FUTEX_NR[Deno.build.arch];
        return lib().futex_wait_async(nr, this.#word(HOST_BELL), FUTEX_WAIT, BigInt(bell), oneSecondAddress(), 0n, 0n)
            .then(() => {
            this.#waiting = false;
            asyncWaiters--;
            if (!this.#released)
                Atomics.store(this.#words, HOST_SLEEP, AWAKE);
        });
    }
    hostAwake() {
        if (!this.#released)
            Atomics.store(this.#words, HOST_SLEEP, AWAKE);
    }
    interrupt() {
        if (this.#released)
            return;
        this.#wake(HOST_BELL);
    }
    release() {
        if (this.#released)
            return;
        if (this.#waiting)
            throw new Error("unreachable: release() with a futex wait in flight");
        this.#released = true;
        this.attached();
        this.bytes = new Uint8Array(0);
        this.view = new DataView(new ArrayBuffer(0));
        this.#words = new Int32Array(0);
        lib().munmap(this.#ptr, BigInt(SHM_BYTES));
    }
    #word(index) {
        return this.#base + BigInt(index * 4);
    }
    #wake(index) {
        Atomics.add(this.#words, index, 1);
        const nr = FUTEX_NR[Deno.build.arch];
        lib().syscall(nr, this.#word(index), FUTEX_WAKE, 0x7fffffffn, 0n, 0n, 0n);
    }
    #sleepSync(bellIndex, sleepIndex, why, ms, ready) {
        const w = this.#words;
        const bell = Atomics.load(w, bellIndex);
        Atomics.store(w, sleepIndex, why);
        if (!ready()) {
            timespec.setBigInt64(0, BigInt(Math.floor(ms / 1000)), true);
            timespec.setBigInt64(8, BigInt(Math.floor((ms % 1000) * 1e6)), true);
            const nr = FUTEX_NR[Deno.build.arch];
            lib().syscall(nr, this.#word(bellIndex), FUTEX_WAIT, BigInt(bell), timespecAddress(), 0n, 0n);
        }
        Atomics.store(w, sleepIndex, AWAKE);
    }
}
export class SpinBudget {
    us;
    #least;
    #most;
    constructor(range) {
        [this.#least, this.#most] = range;
        this.us = this.#least;
    }
    early = false;
    preempted() {
        this.early = true;
        this.us = this.#least;
    }
    missed(waitedUs) {
        if (this.early)
            return;
        this.us = waitedUs < this.us * 4
            ? Math.min(this.#most, this.us * 2)
            : Math.max(this.#least, this.us / 2);
    }
}
const PREEMPTED_MS = 0.03;
export const CHILD_STALL_MS = 0.05;
const HOST_STALL_MS = 0.1;
export class PartAssembler {
    #buf = new Uint8Array(0);
    #len = 0;
    #id = -1;
    add(id, src, at, len, max) {
        if (this.#len === 0)
            this.#id = id;
        else if (id !== this.#id) {
            throw new RingError(`a piece of frame ${id} inside frame ${this.#id}`);
        }
        const need = this.#len + len;
        if (need > this.#buf.length) {
            const bigger = new Uint8Array(Math.max(need, this.#buf.length * 2, 64 * 1024));
            bigger.set(this.#buf.subarray(0, this.#len));
            this.#buf = bigger;
        }
        this.#buf.set(src.subarray(at, at + len), this.#len);
        this.#len = need;
        if (this.#len < HEADER_SIZE)
            return undefined;
        const view = new DataView(this.#buf.buffer);
        const total = HEADER_SIZE + view.getUint32(0, true);
        if (total > max)
            throw new RingError(`a frame of ${total} bytes`);
        if (this.#len > total)
            throw new RingError(`pieces longer than their frame`);
        if (this.#len < total)
            return undefined;
        if (view.getUint32(4, true) !== id) {
            throw new RingError(`pieces of frame ${id} holding frame ${view.getUint32(4, true)}`);
        }
        const frame = this.#buf.subarray(0, total);
        this.#len = 0;
        if (this.#buf.length > 1 << 20)
            this.#buf = new Uint8Array(0);
        return frame;
    }
}
export class RingError extends Error {
    constructor(found) {
        super(`the shared ring holds ${found}`);
    }
}
let asyncWaiters = 0;
export function asyncWaitersInFlight() {
    return asyncWaiters;
}
const timespecBytes = new Uint8Array(16);
const timespec = new DataView(timespecBytes.buffer);
let timespecAddr;
const oneSecond = new BigInt64Array([1n, 0n]);
let oneSecondAddr;
function oneSecondAddress() {
    oneSecondAddr ??= BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(oneSecond)));
    return oneSecondAddr;
}
function timespecAddress() {
    timespecAddr ??= BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(timespecBytes)));
    return timespecAddr;
}
function align(n) {
    return (n + 7) & ~7;
}
function map(fd) {
    const p = lib().mmap(null, BigInt(SHM_BYTES), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0n);
    if (p === null || Deno.UnsafePointer.value(p) === 0xffffffffffffffffn) {
        throw new Error(`mmap failed: ${osError()}`);
    }
    return p;
}
const SIGNALS = [
    "",
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];
export function peekChildExit(pid) {
    const info = new Int32Array(32);
    const rc = lib().waitid(P_PID, pid, new Uint8Array(info.buffer), WEXITED | WNOHANG | WNOWAIT);
    if (rc !== 0)
        return errno() === ECHILD ? "gone" : null;
    if (info[4] === 0)
        return null;
    const code = info[2];
    const status = info[6];
    return code === CLD_EXITED
        ? { exitCode: status, signal: null, signalNumber: null }
        : { exitCode: null, signal: SIGNALS[status] || `signal ${status}`, signalNumber: status };
}
