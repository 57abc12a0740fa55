/**
 * The shared-memory transport between a host and its isolation child: one
 * memfd, created by the host and sealed at its size, mapped by both
 * processes, holding two rings of frames (requests host to child, replies
 * child to host) in the same format as the pipe protocol
 * (`u32 length | u32 id | u8 kind | payload`, see `_protocol.ts`), and a
 * control block of 32-bit words:
 *
 * ```text
 * bytes 0-63      magic, layout version, ring size             (host, once)
 * bytes 64-127    request head, reply tail, child bell, host sleeping, beat, CPU  (host)
 * bytes 128-191   request tail, reply head, host bell, child sleeping, beat, CPU  (child)
 * 4096            request ring (64 KiB)
 * 4096 + 64 KiB   reply ring (64 KiB)
 * ```
 *
 * Heads and tails count bytes since the start, modulo 2^32; frames start on
 * 8-byte boundaries and never wrap: a frame that does not fit before the end
 * of the ring is preceded by a `PAD` frame (or, when fewer than 9 bytes are
 * left, by nothing) and starts at the beginning. A frame larger than
 * {@linkcode RING_MAX_FRAME} travels in pieces, `PART` frames carrying its
 * bytes in order, which the reader puts together ({@linkcode PartAssembler})
 * while the writer waits for room: a value of any size crosses without the
 * pipe, so a synchronous call never needs Deno's event loop.
 *
 * A side that has nothing to read spins for a few microseconds, then sleeps
 * on a futex. `Atomics` work on the non-shared ArrayBuffer that
 * `Deno.UnsafePointerView.getArrayBuffer` gives, but each operation is a
 * call of 20-60 ns in Deno 2.9.6 (V8 does not inline it), so the spin reads
 * the head with plain loads (interleaved with calls, which V8 does not move
 * loads across) and the reader takes one `Atomics.load` of the head before
 * it reads the bytes behind it. Sleeping: a side reads its
 * bell, says it sleeps, checks the head once more, and waits for the bell
 * to change. The writer publishes its head, then wakes the reader only if
 * it said it sleeps (a compare-and-swap of the sleeping word back to 0, so
 * a burst of frames costs one wake). A writer short of room sleeps the same
 * way, and the reader wakes it when it gives bytes back. Both sides' stores
 * of position and sleeping word are `Atomics.store`s, sequentially
 * consistent, and a waker changes the bell before it wakes (the kernel
 * compares the bell before sleeping), so a wake cannot be lost; every
 * futex wait also has a timeout, after which the sleeper looks again. The
 * host's futex wait is a `nonblocking` FFI call (Deno's blocking thread
 * pool, which has 32 threads shared with file I/O): at most
 * {@linkcode MAX_ASYNC_WAITERS} in a process; beyond that a connection
 * asks the child to ring a pipe bell (a `BELL` frame on its stdout) instead.
 *
 * The child is not trusted: every head, tail and length it writes is
 * checked before the host reads a byte, and the host only reads through
 * views bounded by the mapping. The memfd is sealed against shrinking, so
 * the child cannot make the host's mapping fault.
 *
 * @module
 */

import { HEADER_SIZE } from "./_protocol.ts";

const FUTEX_NR: Partial<Record<string, bigint>> = { x86_64: 202n, aarch64: 98n };
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
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
let libc: Libc | undefined;

function lib(): Libc {
  // Opened once and never closed: nothing bound here can outlive its library.
  libc ??= Deno.dlopen("libc.so.6", SYMBOLS).symbols;
  return libc;
}

function osError(): string {
  const c = lib();
  const p = c.__errno_location();
  const errno = p === null ? 0 : new Deno.UnsafePointerView(p).getInt32();
  const s = c.strerror(errno);
  return `${s ? Deno.UnsafePointerView.getCString(s) : "unknown error"} (errno ${errno})`;
}

function errno(): number {
  const p = lib().__errno_location();
  return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32();
}

/** Bytes of one ring. */
export const RING_BYTES = 64 * 1024;
/** Bytes of the control block before the rings. */
const CONTROL_BYTES = 4096;
/** Bytes of the whole mapping. */
export const SHM_BYTES = CONTROL_BYTES + 2 * RING_BYTES;
/** The largest frame, header included, that travels in a ring whole; a larger one goes in PART frames. */
export const RING_MAX_FRAME = RING_BYTES / 4;
/** Identifies a plugboard mapping ("plbs"), written by the host before the child attaches. */
const MAGIC = 0x73626c70;
/** Version of this layout; the child refuses any other. */
const LAYOUT = 1;

/** The host's spin for replies after sending requests, before it sleeps: least and most (µs). */
export const HOST_SPIN_US: readonly [number, number] = [20, 200];
/** The child's spin for the next request once it has answered all, before it sleeps: least and most (µs). */
export const CHILD_SPIN_US: readonly [number, number] = [50, 1000];
/** Futex waits of hosts in flight on Deno's blocking pool, at most, in this process. */
export const MAX_ASYNC_WAITERS = 8;

// Word indexes in the control block.
const W_MAGIC = 0;
const W_LAYOUT = 1;
const W_RING = 2;
// Written by the host (one cache line).
const REQ_HEAD = 16;
const REP_TAIL = 17;
const CHILD_BELL = 18;
const HOST_SLEEP = 19;
const HOST_BEAT = 20;
const HOST_CPU = 21;
// Written by the child (another).
const REQ_TAIL = 32;
const REP_HEAD = 33;
const HOST_BELL = 34;
const CHILD_SLEEP = 35;
const CHILD_BEAT = 36;
const CHILD_CPU = 37;

/** What a sleeping side waits for (the value of its sleeping word). */
const AWAKE = 0;
/** The child waits for requests; the host waits on its futex. */
const SLEEP_FUTEX = 1;
/** The child waits for room in the reply ring; the host waits for a pipe bell. */
const SLEEP_OTHER = 2;

/** Frame kinds that exist only in the rings and on the pipe next to them. */
export const RingKind = {
  /** Filler up to the end of a ring: the next frame starts at the beginning. */
  PAD: 32,
  /** A piece of a frame larger than {@linkcode RING_MAX_FRAME} (its bytes, in order). */
  PART: 33,
  /** Child to host, on the pipe: the child published replies or gave room back. */
  BELL: 34,
} as const;

/** Bytes of a large frame each PART frame carries. */
export const PART_BYTES = RING_MAX_FRAME - 16;

/**
 * What publishing did: `woke` the peer from its futex, or nothing; or, for
 * the child, `pipe-bell`: the host waits for a BELL frame on the pipe.
 */
export type Wake = "none" | "woke" | "pipe-bell";

/** Whether this process can offer shared memory to a child: Linux, a known CPU, FFI granted. */
export function shmSupported(): boolean {
  if (Deno.build.os !== "linux" || FUTEX_NR[Deno.build.arch] === undefined) return false;
  // Asked only when granted: never prompt the user for it.
  return Deno.permissions.querySync({ name: "ffi" }).state === "granted";
}

/** A frame in the ring being read: where its payload starts and how long it is. */
export interface RingFrame {
  /** The frame's id. */
  id: number;
  /** The frame's kind. */
  kind: number;
  /** Index of the payload in {@linkcode ShmChannel.bytes}. */
  at: number;
  /** Bytes of payload. */
  len: number;
}

/**
 * One side of a shared mapping: the ring it writes, the ring it reads, its
 * bell and the peer's.
 */
export class ShmChannel {
  /** `host` writes requests and reads replies; `child` the other way round. */
  readonly side: "host" | "child";
  /** The whole mapping, as bytes (empty once released). */
  bytes: Uint8Array;
  /** The whole mapping, as a DataView (empty once released). */
  view: DataView;
  #ptr: Deno.PointerObject;
  #base: bigint;
  #words: Int32Array;
  #fd: number;
  #released = false;
  // The ring this side writes.
  #outStart: number;
  #outHead = 0;
  #outHeadWord: number;
  #outTailWord: number;
  // The ring this side reads.
  #inStart: number;
  #inTail = 0;
  #inHeadWord: number;
  #inTailWord: number;
  #current = 0;
  #waiting = false;
  #ownBeat: number;
  #peerBeat: number;
  #ownCpu: number;
  #peerCpu: number;
  /** The child: whether its last publish woke the host, which is not running yet. */
  #wokeHost = false;

  private constructor(side: "host" | "child", ptr: Deno.PointerObject, fd: number) {
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
    } else {
      [this.#outStart, this.#outHeadWord, this.#outTailWord] = [rep, REP_HEAD, REP_TAIL];
      [this.#inStart, this.#inHeadWord, this.#inTailWord] = [req, REQ_HEAD, REQ_TAIL];
    }
  }

  /**
   * The host's side: a new memfd, sealed at its size, mapped. Its descriptor
   * stays open (close-on-exec) until {@linkcode ShmChannel.attached}.
   *
   * @returns the channel
   * @throws {Error} with the OS error when a step fails
   */
  static create(): ShmChannel {
    const c = lib();
    const fd = c.memfd_create(
      new TextEncoder().encode("plugboard-shm\0"),
      MFD_CLOEXEC | MFD_ALLOW_SEALING,
    );
    if (fd < 0) throw new Error(`memfd_create failed: ${osError()}`);
    try {
      if (c.ftruncate(fd, BigInt(SHM_BYTES)) !== 0) {
        throw new Error(`ftruncate failed: ${osError()}`);
      }
      // The child can neither shrink the file (the host's mapping would then
      // fault) nor change the seals.
      if (c.fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) !== 0) {
        throw new Error(`sealing failed: ${osError()}`);
      }
      const ch = new ShmChannel("host", map(fd), fd);
      ch.#words[W_LAYOUT] = LAYOUT;
      ch.#words[W_RING] = RING_BYTES;
      Atomics.store(ch.#words, W_MAGIC, MAGIC);
      return ch;
    } catch (e) {
      c.close(fd);
      throw e;
    }
  }

  /**
   * The child's side: open the host's memfd through /proc and map it.
   *
   * @param path `/proc/HOSTPID/fd/N`, as the host sent it
   * @returns the channel
   * @throws {Error} when it cannot be opened or mapped, or is not a plugboard mapping of this layout
   */
  static attach(path: string): ShmChannel {
    const c = lib();
    const fd = c.open(new TextEncoder().encode(`${path}\0`), O_RDWR | O_CLOEXEC);
    if (fd < 0) throw new Error(`cannot open ${path}: ${osError()}`);
    let ch: ShmChannel;
    try {
      ch = new ShmChannel("child", map(fd), -1);
    } finally {
      // The mapping keeps the memory; the descriptor is not needed any more.
      c.close(fd);
    }
    const words = ch.#words;
    if (
      Atomics.load(words, W_MAGIC) !== MAGIC || words[W_LAYOUT] !== LAYOUT ||
      words[W_RING] !== RING_BYTES
    ) {
      const found = `magic ${words[W_MAGIC]}, layout ${words[W_LAYOUT]}, ring ${words[W_RING]}`;
      ch.release();
      throw new Error(`${path} is not a plugboard mapping of layout ${LAYOUT}: ${found}`);
    }
    return ch;
  }

  /** What the child opens: the host's descriptor of the memfd, through /proc. */
  get path(): string {
    return `/proc/${Deno.pid}/fd/${this.#fd}`;
  }

  /** Whether {@linkcode ShmChannel.release} was called: nothing may be read or written. */
  get released(): boolean {
    return this.#released;
  }

  /** The host's side, once the child has mapped the memory: close the descriptor. */
  attached(): void {
    if (this.#fd >= 0) lib().close(this.#fd);
    this.#fd = -1;
  }

  // -------------------------------------------------------------------------
  // Writing

  /**
   * Where `size` bytes can be written now, contiguously, in the outgoing
   * ring; `-1` when there is no room yet. Writes a `PAD` frame first when the
   * frame must start at the beginning of the ring.
   *
   * @param size the frame's bytes, header included
   * @returns an index into {@linkcode ShmChannel.bytes}, or -1
   */
  room(size: number): number {
    const need = align(size);
    // A plain read: a stale tail only means less room.
    const tail = this.#words[this.#outTailWord] >>> 0;
    const used = (this.#outHead - tail) >>> 0;
    if (used > RING_BYTES) throw new RingError(`a tail ${used} bytes behind the head`);
    const i = this.#outHead & (RING_BYTES - 1);
    if (i + need <= RING_BYTES) return used + need <= RING_BYTES ? this.#outStart + i : -1;
    const skip = RING_BYTES - i;
    if (used + skip + need > RING_BYTES) return -1;
    if (skip >= HEADER_SIZE) {
      const at = this.#outStart + i;
      this.view.setUint32(at, skip - HEADER_SIZE, true);
      this.view.setUint32(at + 4, 0, true);
      this.bytes[at + 8] = RingKind.PAD;
    }
    this.#outHead = (this.#outHead + skip) >>> 0;
    return this.#outStart;
  }

  /**
   * Count `size` bytes written at the index {@linkcode ShmChannel.room} gave.
   * The reader sees them after {@linkcode ShmChannel.publish}.
   *
   * @param size the frame's bytes, header included
   */
  commit(size: number): void {
    this.#outHead = (this.#outHead + align(size)) >>> 0;
  }

  /**
   * Write one frame that fits ({@linkcode RING_MAX_FRAME}), if there is room.
   *
   * @param src bytes holding the frame
   * @param start where the frame starts in `src`
   * @param size the frame's bytes, header included
   * @returns whether it was written
   */
  put(src: Uint8Array, start: number, size: number): boolean {
    const at = this.room(size);
    if (at < 0) return false;
    this.bytes.set(src.subarray(start, start + size), at);
    this.commit(size);
    return true;
  }

  /**
   * Write one PART frame carrying `len` bytes of a large frame, if there is room.
   *
   * @param id the large frame's id
   * @param src bytes holding the large frame
   * @param start where the piece starts in `src`
   * @param len the piece's bytes (at most {@linkcode PART_BYTES})
   * @returns whether it was written
   */
  putPart(id: number, src: Uint8Array, start: number, len: number): boolean {
    const at = this.room(HEADER_SIZE + len);
    if (at < 0) return false;
    this.view.setUint32(at, len, true);
    this.view.setUint32(at + 4, id, true);
    this.bytes[at + 8] = RingKind.PART;
    this.bytes.set(src.subarray(start, start + len), at + HEADER_SIZE);
    this.commit(HEADER_SIZE + len);
    return true;
  }

  /**
   * Make the written frames visible to the peer, and wake it if it sleeps
   * waiting for them.
   *
   * @returns `pipe-bell` when the caller (the child) must write a `BELL` frame to the pipe
   */
  publish(): Wake {
    Atomics.store(this.#words, this.#outHeadWord, this.#outHead | 0);
    return this.side === "host" ? this.#wakeChild(SLEEP_FUTEX) : this.#wakeHost();
  }

  #wakeChild(why: number): Wake {
    const w = this.#words;
    if (
      w[CHILD_SLEEP] === why &&
      Atomics.compareExchange(w, CHILD_SLEEP, why, AWAKE) === why
    ) {
      this.#wake(CHILD_BELL);
      return "woke";
    }
    return "none";
  }

  /** The host sleeps for any progress of the child: replies, or room given back. */
  #wakeHost(): Wake {
    const w = this.#words;
    const s = w[HOST_SLEEP];
    if (s === AWAKE || Atomics.compareExchange(w, HOST_SLEEP, s, AWAKE) !== s) return "none";
    this.#wokeHost = true;
    if (s === SLEEP_FUTEX) {
      this.#wake(HOST_BELL);
      return "woke";
    }
    return "pipe-bell";
  }

  // -------------------------------------------------------------------------
  // Reading

  /** Whether the peer has published frames this side has not read. */
  hasInput(): boolean {
    // A plain read (Atomics.load is a call of 20-60 ns here): readers of
    // the bytes go through peek(), whose Atomics.load orders them after it.
    return (this.#words[this.#inHeadWord] >>> 0) !== this.#inTail;
  }

  /**
   * The next frame in the incoming ring (padding skipped), without consuming
   * it; undefined when there is none.
   *
   * @returns the frame
   * @throws {RingError} when the peer wrote positions or lengths that cannot be
   */
  peek(): RingFrame | undefined {
    if ((this.#words[this.#inHeadWord] >>> 0) === this.#inTail) return undefined;
    const head = Atomics.load(this.#words, this.#inHeadWord) >>> 0;
    for (;;) {
      const avail = (head - this.#inTail) >>> 0;
      if (avail === 0) return undefined;
      if (avail > RING_BYTES || avail % 8 !== 0) {
        throw new RingError(`a head ${avail} bytes ahead of the tail`);
      }
      const i = this.#inTail & (RING_BYTES - 1);
      const left = RING_BYTES - i;
      const at = this.#inStart + i;
      if (left < HEADER_SIZE || this.bytes[at + 8] === RingKind.PAD) {
        if (avail < left) throw new RingError("padding past the head");
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

  /** Consume the frame {@linkcode ShmChannel.peek} returned. */
  advance(): void {
    this.#inTail = (this.#inTail + this.#current) >>> 0;
    this.#current = 0;
  }

  /**
   * Give the consumed bytes back to the writer, and wake it if it sleeps
   * waiting for room.
   *
   * @returns `pipe-bell` when the caller (the child) must write a `BELL` frame to the pipe
   */
  consumed(): Wake {
    Atomics.store(this.#words, this.#inTailWord, this.#inTail | 0);
    return this.side === "host" ? this.#wakeChild(SLEEP_OTHER) : this.#wakeHost();
  }

  // -------------------------------------------------------------------------
  // Waiting

  /**
   * Spin until `ready()`, or the budget is spent, or spinning stops making
   * sense: the peer last ran on this CPU (so it is not running now, and may
   * be queued behind this very spin: when every CPU is busy, the kernel
   * wakes a process on its waker's CPU), or this side was preempted (the
   * clock jumped between two looks: the CPUs are oversubscribed), or the
   * peer has shown no sign of running for `stallMs`. Each side shows that
   * it runs, and where, in its beat and CPU words as it spins and works.
   *
   * @param budget how long, at most
   * @param ready what to wait for
   * @param stallMs how long the peer may stay silent; 0: do not watch it
   * @returns whether it became ready
   */
  spin(budget: SpinBudget, ready: () => boolean, stallMs: number): boolean {
    budget.early = false;
    if (ready()) return true;
    const w = this.#words;
    let last = performance.now();
    const until = last + budget.us / 1000;
    let peer = w[this.#peerBeat];
    let peerSeen = last;
    const c = lib();
    for (;;) {
      for (let k = 0; k < 16; k++) if (ready()) return true;
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
      if (now >= until) return false;
      if (stallMs > 0) {
        const b = w[this.#peerBeat];
        if (b !== peer) {
          peer = b;
          peerSeen = now;
        } else if (now - peerSeen > stallMs) {
          budget.early = true;
          return false;
        }
      }
      last = now;
    }
  }

  /** Show the peer that this side is running (its spins watch for it). */
  beat(): void {
    if (this.#released) return;
    const w = this.#words;
    w[this.#ownBeat] = (w[this.#ownBeat] + 1) | 0;
    w[this.#ownCpu] = lib().sched_getcpu();
  }

  /**
   * The child: wait for requests (spin, then sleep on the futex; the host
   * wakes it). Returns on input or after about a second (a safety net).
   */
  childWaitInput(): void {
    const budget = this.#childSpin;
    // A host just woken is not running yet: its silence says nothing.
    const stall = this.#wokeHost ? 0 : HOST_STALL_MS;
    this.#wokeHost = false;
    if (this.spin(budget, this.#hasInput, stall)) return;
    const t = performance.now();
    this.#sleepSync(CHILD_BELL, CHILD_SLEEP, SLEEP_FUTEX, 1000, this.#hasInput);
    budget.missed((performance.now() - t) * 1000);
  }

  #childSpin = new SpinBudget(CHILD_SPIN_US);
  #hasInput = () => this.hasInput();

  /**
   * The child: wait until `size` bytes fit in the reply ring (the host
   * consumes replies and wakes it).
   *
   * @param size the frame's bytes
   * @returns where to write
   */
  childWaitRoom(size: number): number {
    const fits = () => this.room(size) >= 0;
    for (;;) {
      const at = this.room(size);
      if (at >= 0) return at;
      if (this.spin(this.#childSpin, fits, 0)) continue;
      this.#sleepSync(CHILD_BELL, CHILD_SLEEP, SLEEP_OTHER, 1000, fits);
    }
  }

  /**
   * The host, synchronously: sleep until the child makes progress (replies,
   * or room given back), or `ms` milliseconds (a slice: the caller checks its
   * deadline and the child between slices).
   *
   * @param ms the longest sleep
   * @param ready whether there is something to do already (checked after saying it sleeps)
   */
  hostWaitSync(ms: number, ready: () => boolean): void {
    this.#sleepSync(HOST_BELL, HOST_SLEEP, SLEEP_FUTEX, ms, ready);
  }

  /**
   * The host, without blocking its event loop: a futex wait on Deno's
   * blocking pool that settles when the child makes progress,
   * {@linkcode ShmChannel.interrupt} is called, or a second has passed (the
   * caller looks again, and waits again). One at a time per channel;
   * when {@linkcode MAX_ASYNC_WAITERS} are in flight in this process, the
   * child is asked for a pipe bell instead.
   *
   * @param ready whether there is something to do already (checked after saying it sleeps)
   * @returns `ready` (look again now), `pipe` (a `BELL` frame will come on the pipe), or the wait
   */
  hostWaitAsync(ready: () => boolean): "ready" | "pipe" | Promise<void> {
    if (this.#waiting) throw new Error("unreachable: a second waiter on one channel");
    const w = this.#words;
    const pipe = asyncWaiters >= MAX_ASYNC_WAITERS;
    const bell = Atomics.load(w, HOST_BELL);
    Atomics.store(w, HOST_SLEEP, pipe ? SLEEP_OTHER : SLEEP_FUTEX);
    if (ready()) {
      Atomics.store(w, HOST_SLEEP, AWAKE);
      return "ready";
    }
    if (pipe) return "pipe";
    this.#waiting = true;
    asyncWaiters++;
    const nr = FUTEX_NR[Deno.build.arch]!;
    return lib().futex_wait_async(
      nr,
      this.#word(HOST_BELL),
      FUTEX_WAIT,
      BigInt(bell),
      oneSecondAddress(),
      0n,
      0n,
    )
      .then(() => {
        this.#waiting = false;
        asyncWaiters--;
        if (!this.#released) Atomics.store(this.#words, HOST_SLEEP, AWAKE);
      });
  }

  /** The host: stop sleeping for a pipe bell (it came, or the host looks itself). */
  hostAwake(): void {
    if (!this.#released) Atomics.store(this.#words, HOST_SLEEP, AWAKE);
  }

  /** The host: end its own futex wait, if any (the child died, or the channel closes). */
  interrupt(): void {
    if (this.#released) return;
    this.#wake(HOST_BELL);
  }

  /**
   * Unmap. The caller guarantees that no wait is in flight
   * ({@linkcode ShmChannel.interrupt}, then await it) and never touches the
   * views again; they are replaced by empty ones, so a stray read finds
   * nothing instead of unmapped memory.
   */
  release(): void {
    if (this.#released) return;
    if (this.#waiting) throw new Error("unreachable: release() with a futex wait in flight");
    this.#released = true;
    this.attached();
    this.bytes = new Uint8Array(0);
    this.view = new DataView(new ArrayBuffer(0));
    this.#words = new Int32Array(0);
    lib().munmap(this.#ptr, BigInt(SHM_BYTES));
  }

  #word(index: number): bigint {
    return this.#base + BigInt(index * 4);
  }

  /** Ring a bell: change its word (a waiter not yet asleep then does not sleep), then wake. */
  #wake(index: number): void {
    Atomics.add(this.#words, index, 1);
    const nr = FUTEX_NR[Deno.build.arch]!;
    lib().syscall(nr, this.#word(index), FUTEX_WAKE, 0x7fffffffn, 0n, 0n, 0n);
  }

  #sleepSync(
    bellIndex: number,
    sleepIndex: number,
    why: number,
    ms: number,
    ready: () => boolean,
  ): void {
    const w = this.#words;
    const bell = Atomics.load(w, bellIndex);
    Atomics.store(w, sleepIndex, why);
    if (!ready()) {
      timespec.setBigInt64(0, BigInt(Math.floor(ms / 1000)), true);
      timespec.setBigInt64(8, BigInt(Math.floor((ms % 1000) * 1e6)), true);
      const nr = FUTEX_NR[Deno.build.arch]!;
      lib().syscall(nr, this.#word(bellIndex), FUTEX_WAIT, BigInt(bell), timespecAddress(), 0n, 0n);
    }
    Atomics.store(w, sleepIndex, AWAKE);
  }
}

/**
 * How long to spin before sleeping, learnt from the sleeps: a wait that ended
 * soon after the spin gave up (the peer was a little slower than the spin)
 * doubles the budget, up to its most; a long one (the peer was idle) halves
 * it, down to its least. Back-to-back calls thus keep both sides awake
 * across the occasional slow reply (a pause of the garbage collector, a
 * preempted process), while a plugin called now and then costs a short spin
 * per call.
 */
export class SpinBudget {
  /** The budget now (µs). */
  us: number;
  #least: number;
  #most: number;

  /**
   * @param range the least and the most (µs)
   */
  constructor(range: readonly [number, number]) {
    [this.#least, this.#most] = range;
    this.us = this.#least;
  }

  /** Set by a spin that stopped early (preempted, or the peer not running): not a reason to grow. */
  early = false;

  /** The spinner was preempted: the CPUs are oversubscribed; spin little from now on. */
  preempted(): void {
    this.early = true;
    this.us = this.#least;
  }

  /**
   * The spin gave up, and the wait that followed lasted `waitedUs`.
   *
   * @param waitedUs how long the sleep lasted (µs)
   */
  missed(waitedUs: number): void {
    if (this.early) return;
    this.us = waitedUs < this.us * 4
      ? Math.min(this.#most, this.us * 2)
      : Math.max(this.#least, this.us / 2);
  }
}

/** A gap this long between two looks at the clock in a spin means the spinner was preempted (ms). */
const PREEMPTED_MS = 0.03;
/** The host stops spinning when the child has shown no sign of running for this long (ms). */
export const CHILD_STALL_MS = 0.05;
/** The child stops spinning when the awake host has shown no sign of running for this long (ms). */
const HOST_STALL_MS = 0.1;

/**
 * Puts a large frame back together from its PART frames. The frame's length
 * is not trusted: the buffer grows with the bytes that arrive, never ahead
 * of them.
 */
export class PartAssembler {
  #buf = new Uint8Array(0);
  #len = 0;
  #id = -1;

  /**
   * Add one piece.
   *
   * @param id the PART frame's id
   * @param src bytes holding the piece
   * @param at where it starts
   * @param len its bytes
   * @param max the largest frame accepted
   * @returns the whole frame (header included, from index 0) once it is complete
   * @throws {RingError} for a piece of another frame, or a frame larger than `max`
   */
  add(id: number, src: Uint8Array, at: number, len: number, max: number): Uint8Array | undefined {
    if (this.#len === 0) this.#id = id;
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
    if (this.#len < HEADER_SIZE) return undefined;
    const view = new DataView(this.#buf.buffer);
    const total = HEADER_SIZE + view.getUint32(0, true);
    if (total > max) throw new RingError(`a frame of ${total} bytes`);
    if (this.#len > total) throw new RingError(`pieces longer than their frame`);
    if (this.#len < total) return undefined;
    if (view.getUint32(4, true) !== id) {
      throw new RingError(`pieces of frame ${id} holding frame ${view.getUint32(4, true)}`);
    }
    const frame = this.#buf.subarray(0, total);
    this.#len = 0;
    // Give back the memory of an unusually large frame after this one.
    if (this.#buf.length > 1 << 20) this.#buf = new Uint8Array(0);
    return frame;
  }
}

/** The peer wrote positions or lengths that cannot be: the connection cannot be trusted any more. */
export class RingError extends Error {
  /**
   * @param found what was found
   */
  constructor(found: string) {
    super(`the shared ring holds ${found}`);
  }
}

let asyncWaiters = 0;

/**
 * Futex waits of hosts in flight on Deno's blocking pool, in this process.
 *
 * @returns how many
 */
export function asyncWaitersInFlight(): number {
  return asyncWaiters;
}

const timespecBytes = new Uint8Array(16);
const timespec = new DataView(timespecBytes.buffer);
let timespecAddr: bigint | undefined;

// One second, for the host's waits on Deno's blocking pool (read on another
// thread while the wait lasts: never written after this).
const oneSecond = new BigInt64Array([1n, 0n]);
let oneSecondAddr: bigint | undefined;

function oneSecondAddress(): bigint {
  oneSecondAddr ??= BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(oneSecond)));
  return oneSecondAddr;
}

function timespecAddress(): bigint {
  timespecAddr ??= BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(timespecBytes)));
  return timespecAddr;
}

function align(n: number): number {
  return (n + 7) & ~7;
}

function map(fd: number): Deno.PointerObject {
  const p = lib().mmap(null, BigInt(SHM_BYTES), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0n);
  if (p === null || Deno.UnsafePointer.value(p) === 0xffffffffffffffffn) {
    throw new Error(`mmap failed: ${osError()}`);
  }
  return p;
}

/** How a child ended, as far as the kernel tells without reaping it. */
export interface PeekedExit {
  /** The exit code, or null when a signal ended it. */
  exitCode: number | null;
  /** The signal's name, e.g. `SIGSEGV`, or null. */
  signal: string | null;
  /** The signal's number, or null. */
  signalNumber: number | null;
}

// Linux signal numbers (the same on x86-64 and arm64).
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

/**
 * Whether a child of this process has ended, asked without reaping it
 * (`waitid(WNOHANG | WNOWAIT)`): Deno still collects its status. For a
 * synchronous call, which cannot wait for Deno's event loop to say so.
 *
 * @param pid the child's process id
 * @returns how it ended; `null` while it runs; `"gone"` when it was already reaped
 */
export function peekChildExit(pid: number): PeekedExit | null | "gone" {
  const info = new Int32Array(32);
  const rc = lib().waitid(P_PID, pid, new Uint8Array(info.buffer), WEXITED | WNOHANG | WNOWAIT);
  if (rc !== 0) return errno() === ECHILD ? "gone" : null;
  // siginfo_t: si_signo, si_errno, si_code, (pad), si_pid, si_uid, si_status.
  if (info[4] === 0) return null;
  const code = info[2];
  const status = info[6];
  return code === CLD_EXITED
    ? { exitCode: status, signal: null, signalNumber: null }
    : { exitCode: null, signal: SIGNALS[status] || `signal ${status}`, signalNumber: status };
}
