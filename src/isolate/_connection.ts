/**
 * One isolation child as the host sees it: the process, the handshake, the
 * frames in both directions, the queue of requests waiting for their reply,
 * per-request deadlines, the child's stderr (forwarded line by line and kept
 * as a tail for crash reports) and how the child ended.
 *
 * Requests are answered in order (the child runs one at a time), so the
 * pending requests form a FIFO queue and every reply must carry the id at
 * its head. A single timer watches the head's deadline and is re-armed
 * lazily, so a call costs no timer operation of its own.
 *
 * After the handshake the host offers shared memory (`_shm.ts`, frame
 * ATTACH on the pipe); once the child has mapped it, requests and replies
 * travel in its rings, and the pipes carry only the child's stderr, pipe
 * bells and the end of the process. Otherwise (or with `transport: "pipe"`)
 * everything stays on the pipes.
 *
 * @module
 */

import { canonicalSignature, type TypeName } from "../abi/signature.ts";
import { CallError, LoadError, PluginError } from "../errors/plugin_error.ts";
import { type ChildExit, CrashError, describeChildExit } from "../errors/crash_error.ts";
import { resolve } from "../file/paths.ts";
import { signalProcess } from "../file/libc.ts";
import type { PoolConnection, PoolFunction } from "./_pool.ts";
import {
  CHILD_STALL_MS,
  HOST_SPIN_US,
  PART_BYTES,
  PartAssembler,
  peekChildExit,
  RING_MAX_FRAME,
  RingError,
  RingKind,
  ShmChannel,
  shmSupported,
  SpinBudget,
} from "./_shm.ts";
import {
  Cursor,
  type ErrorData,
  errorFromData,
  fits,
  FrameWriter,
  HANDSHAKE_PREFIX,
  HEADER_SIZE,
  invalidArgument,
  Kind,
  type LoadRequest,
  MAGIC_COOKIE,
  MAGIC_COOKIE_ENV,
  MAX_FRAME,
  parseJson,
  PROTOCOL_VERSIONS,
  readValue,
  writeValue,
} from "./_protocol.ts";

type Timer = ReturnType<typeof setTimeout>;

/** Lines of stderr kept for crash reports. */
export const STDERR_TAIL_LINES = 20;
/** How long to wait for the pipes to drain once the child has exited. */
const DRAIN_MS = 500;

/** A function bound in the child, as the host calls it. */
export type BoundFunction = PoolFunction;

/**
 * How requests and replies travel: `shared-memory` rings, or the child's
 * stdin and stdout.
 */
export type Transport = "shared-memory" | "pipe";

/**
 * Which transport to use: `auto` tries shared memory and falls back to pipes;
 * `shared-memory` fails the start when the child cannot map it.
 */
export type TransportChoice = "auto" | "shared-memory" | "pipe";

/** How long a synchronous call sleeps at a time before it checks its deadline and the child (ms). */
const SYNC_SLICE_MS = 2;

/** Why the host stopped a child, when it did. */
type Cause =
  | { kind: "none" }
  | { kind: "timeout"; what: string; fn: string | undefined; ms: number; phase: Phase }
  | { kind: "closed"; graceMs: number }
  | { kind: "handshake"; found: string }
  | { kind: "protocol"; found: string };

type Phase = "handshake" | "load" | "serving";

interface Pending {
  id: number;
  kind: number;
  /** e.g. "crash()", for messages. */
  what: string;
  fn: string | undefined;
  deadline: number;
  timeoutMs: number;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  bound: BoundFunction | undefined;
  args: unknown[] | undefined;
}

/** How a connection reports its end to its owner. */
export interface ConnectionEnd {
  /** How the child ended. */
  exit: ChildExit;
  /** `crash`: it died on its own; `timeout`: killed for a deadline; `closed`: shut down as asked; `protocol`: killed for a malformed reply; `handshake`: never started. */
  reason: "crash" | "timeout" | "closed" | "protocol" | "handshake";
  /** The error given to the requests that were pending (or that start() threw). */
  error: PluginError | undefined;
  /** The function whose call was pending first, if any. */
  function: string | undefined;
  /** Whether the host killed the child (for a deadline, a malformed reply, or after the grace period). */
  killed: boolean;
}

/** The program, arguments and environment of an isolation child. */
export interface ChildCommand {
  /** The program: Deno's executable. */
  command: string;
  /** Its arguments. */
  args: string[];
  /** Extra environment variables. */
  env: Record<string, string>;
}

const CHILD_URL = new URL("./_child.ts", import.meta.url).href;
/** Whether plugboard itself was imported from a server (JSR, or any https: URL). */
const REMOTE = /^https?:/.test(import.meta.url);
/** Whether this process is a `deno compile` binary (its modules are embedded). */
const COMPILED = /\/deno-compile-/.test(import.meta.url);

/**
 * Make sure the child's code is the code this host already has: imported
 * once here (it runs nothing on import), so a package imported from JSR has
 * it in Deno's cache, fetched and checked with the host's own modules, and
 * the child, started with `--cached-only`, runs exactly that copy and never
 * fetches anything.
 *
 * @returns when the child's module is cached
 */
export async function ensureChildCached(): Promise<void> {
  if (REMOTE) await import("./_child.ts");
}

/**
 * How to start an isolation child for a plugin: Deno with `--allow-ffi`
 * (unrestricted: a path list would disable UnsafePointerView), read access to
 * the plugin and /proc/self, and the magic cookie's variable.
 *
 * @param path the plugin path as given
 * @param realPath its resolved path
 * @returns the command
 */
export function childCommand(path: string, realPath: string): ChildCommand {
  if (COMPILED) {
    throw new PluginError(
      "USAGE",
      `Cannot isolate plugin ${
        JSON.stringify(path)
      }: expected a host run by Deno's own executable, found a \`deno compile\` binary`,
      {
        path,
        hint:
          "an isolation child is a Deno process running plugboard's child module: run the host with `deno run`, or open the plugin in this process",
      },
    );
  }
  if (inheritedCookie()) {
    // This process was started as an isolation child but is not running the
    // child script (a `deno compile` binary runs its own main module):
    // starting children from here could recurse without end.
    throw new PluginError(
      "USAGE",
      `Cannot isolate plugin ${
        JSON.stringify(path)
      }: this process was started as an isolation child`,
      {
        path,
        hint:
          "isolation needs Deno's own executable (it does not work from a `deno compile` binary); unset PLUGBOARD_MAGIC_COOKIE if it leaked into this environment",
      },
    );
  }
  const reads = [...new Set([resolve(path), realPath])];
  // Deno splits permission lists at commas: a path with one gets plain read access.
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
      // Imported from a server, the child runs the copy the host has cached.
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

function inheritedCookie(): boolean {
  // Asked only when granted: never prompt the user for it.
  const variable = MAGIC_COOKIE_ENV;
  if (Deno.permissions.querySync({ name: "env", variable }).state !== "granted") return false;
  return Deno.env.get(variable) !== undefined;
}

/** What a connection needs to start. */
export interface ConnectionOptions extends ChildCommand {
  /** The plugin file, for messages. */
  path: string;
  /** Handshake and load must be done within this. */
  startTimeoutMs: number;
  /** What the child loads once it has shaken hands. */
  load: LoadRequest;
  /** Called for each stderr line. */
  onStderr: (line: string, pid: number) => void;
  /** Called once when the child is gone, after every pending request was settled. */
  onEnd: (conn: PoolConnection, end: ConnectionEnd) => void;
  /**
   * How requests and replies travel once the child has shaken hands.
   * @default "auto"
   */
  transport?: TransportChoice;
}

/** A request frame waiting for room in the request ring: its bytes, and how many were written. */
interface Backlogged {
  bytes: Uint8Array;
  sent: number;
}

const decoder = new TextDecoder();

/**
 * One child process speaking the isolation protocol.
 */
export class ChildConnection implements PoolConnection {
  /** The child's process id. */
  readonly pid: number;
  /** Resolves once the child is gone and every request is settled. */
  readonly ended: Promise<ConnectionEnd>;
  #opts: ConnectionOptions;
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #out = new FrameWriter();
  #flushQueued = false;
  #queue: Pending[] = [];
  #head = 0;
  #nextId = 1;
  #timer: Timer | undefined;
  #timerAt = Infinity;
  #phase: Phase = "handshake";
  #cause: Cause = { kind: "none" };
  #dead = false;
  /** Set by a synchronous call that saw the child end before Deno reaped it. */
  #exited = false;
  #shutdownAsked = false;
  #firstWhat: string | undefined;
  #refd = true;
  #tail: string[] = [];
  #handshake: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  #handshakeBytes: number[] = [];
  #startTimer: Timer | undefined;
  #resolveEnded!: (end: ConnectionEnd) => void;
  /** The shared-memory channel, once the child has mapped it; undefined again once released. */
  #shm: ShmChannel | undefined;
  #transport: Transport = "pipe";
  /** Request frames that did not fit in the request ring yet, in order. */
  #backlog: Backlogged[] = [];
  #parts = new PartAssembler();
  /** The futex wait in flight on Deno's blocking pool, if any. */
  #waiter: Promise<void> | undefined;
  /** Whether the host waits for a BELL frame on the pipe instead. */
  #bellWait = false;
  /** How long the host spins for replies; learnt from its sleeps. */
  #spin = new SpinBudget(HOST_SPIN_US);
  /** When the host last went to sleep (performance.now()). */
  #sleptAt = 0;
  /** Whether sending the last requests had to wake the child from its futex. */
  #wokeChild = false;

  /**
   * Spawn the child; await {@linkcode ChildConnection.start} before use.
   *
   * @param opts command, arguments, plugin path, callbacks
   */
  constructor(opts: ConnectionOptions) {
    this.#opts = opts;
    this.ended = new Promise((r) => this.#resolveEnded = r);
    this.#child = new Deno.Command(opts.command, {
      args: opts.args,
      env: opts.env,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      // Its own session and process group: whatever the plugin starts is
      // killed with it (the group, when the child ends or is stopped).
      detached: true,
    }).spawn();
    this.pid = this.#child.pid;
    this.#writer = this.#child.stdin.getWriter();
    const stdoutDone = this.#readStdout();
    const stderrDone = this.#readStderr();
    void this.#watch(stdoutDone, stderrDone);
  }

  /** Requests sent and not answered yet. */
  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /** Whether the child is alive and not being stopped. */
  get alive(): boolean {
    return !this.#dead && !this.#exited && this.#cause.kind === "none";
  }

  /** How requests and replies travel: `pipe` until the child has mapped the shared memory. */
  get transport(): Transport {
    return this.#transport;
  }

  /**
   * Wait for the handshake, then load the plugin; all within the start timeout.
   *
   * @returns when the plugin is loaded (its init hook has run)
   * @throws {LoadError} `HANDSHAKE_FAILED`, `PLUGIN_TIMEOUT` or what the child's loader threw
   * @throws {CrashError} when the child dies while loading
   */
  async start(): Promise<void> {
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
      await new Promise<void>((resolve, reject) => this.#handshake = { resolve, reject });
    } finally {
      clearTimeout(this.#startTimer);
      this.#startTimer = undefined;
    }
    this.#phase = "load";
    const left = () => Math.max(1, ms - (performance.now() - startedAt));
    if ((this.#opts.transport ?? "auto") !== "pipe") await this.#attach(left());
    await this.#request(Kind.LOAD, "load", undefined, left(), (w, id) => {
      w.json(id, Kind.LOAD, load);
    });
    this.#phase = "serving";
    this.#setRef(false);
  }

  /**
   * Bind functions in the child. The host checked them already; a failure is
   * reported by every later call of the function.
   *
   * @param fns the functions
   * @returns when the child has bound them
   */
  bind(fns: readonly BoundFunction[]): Promise<unknown> {
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

  /**
   * Call a bound function. Arguments are checked here, by the same rules as
   * in-process calls; buffers are copied back after the call.
   *
   * @param f the function
   * @param args its arguments
   * @param timeoutMs the deadline, from now
   * @returns its result
   */
  call(f: BoundFunction, args: unknown[], timeoutMs: number): Promise<unknown> {
    const refused = this.#refuse(f, args);
    if (refused) return Promise.reject(refused);
    return new Promise((resolve, reject) => this.#sendCall(f, args, timeoutMs, resolve, reject));
  }

  /**
   * Call a bound function and wait for its reply without returning to the
   * event loop: the caller spins, then sleeps on the futex in short slices,
   * checking the deadline and the child between them. Needs the
   * shared-memory transport. A hang past `timeoutMs` kills the child and
   * throws `PLUGIN_TIMEOUT`; a child that dies throws `PLUGIN_CRASHED`.
   *
   * @param f the function
   * @param args its arguments
   * @param timeoutMs the deadline, from now
   * @returns its result
   */
  callSync(f: BoundFunction, args: unknown[], timeoutMs: number): unknown {
    const refused = this.#refuse(f, args);
    if (refused) throw refused;
    if (!this.#shm) {
      throw new PluginError(
        "USAGE",
        `Cannot call ${JSON.stringify(f.sig.name)} of plugin ${
          JSON.stringify(this.#opts.path)
        } synchronously: expected the shared-memory transport, found pipes`,
        { path: this.#opts.path, hint: 'open the plugin with calls: "sync"' },
      );
    }
    const r: { state: "waiting" | "ok" | "failed"; value: unknown } = {
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
    if (r.state === "failed") throw r.value;
    return r.value;
  }

  /** Arguments checked by the in-process rules, and the child alive; the error otherwise. */
  #refuse(f: BoundFunction, args: unknown[]): PluginError | undefined {
    const sig = f.sig;
    const params = sig.parameters;
    if (args.length !== params.length) {
      return new CallError(
        "INVALID_ARGUMENT",
        this.#opts.path,
        sig.name,
        `expected ${params.length} argument(s), found ${args.length}`,
        { hint: `call it as ${sig.name}(${params.join(", ")})` },
      );
    }
    for (let i = 0; i < params.length; i++) {
      if (!fits(params[i], args[i])) {
        return invalidArgument(this.#opts.path, sig.name, i, params[i], args[i]);
      }
    }
    if (!this.alive) return this.#deadError(sig.name);
    return undefined;
  }

  #sendCall(
    f: BoundFunction,
    args: unknown[],
    timeoutMs: number,
    resolve: (v: unknown) => void,
    reject: (e: unknown) => void,
  ): Pending {
    const params = f.sig.parameters;
    const w = this.#out;
    const id = this.#id();
    const start = w.begin(id, Kind.CALL);
    try {
      w.u16(f.index);
      for (let i = 0; i < params.length; i++) writeValue(w, params[i], args[i]);
    } catch (e) {
      // Nothing of a frame that could not be written is sent: the next call's frame follows the last whole one.
      w.length = start;
      throw e;
    }
    w.end(start);
    this.#scheduleFlush();
    const p: Pending = {
      id,
      kind: Kind.CALL,
      what: "", // named on demand from `bound`, off the hot path
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

  /**
   * Ask the child to shut down (after the requests before this one), and
   * kill it if it is not gone within `graceMs`.
   *
   * @param graceMs how long to wait
   * @returns how it ended
   */
  shutdown(graceMs: number): Promise<ConnectionEnd> {
    if (this.alive) {
      this.#shutdownAsked = true;
      this.#setRef(true);
      this.#request(Kind.SHUTDOWN, "shutdown", undefined, Infinity, (w, id) => {
        const start = w.begin(id, Kind.SHUTDOWN);
        w.end(start);
      }).catch(() => {});
      const timer = setTimeout(() => this.#stop({ kind: "closed", graceMs }), graceMs);
      void this.ended.then(() => clearTimeout(timer));
    }
    return this.ended;
  }

  /**
   * Kill the child now; pending requests reject with `CLOSED`.
   *
   * @returns how it ended
   */
  kill(): Promise<ConnectionEnd> {
    this.#stop({ kind: "closed", graceMs: 0 });
    return this.ended;
  }

  // -------------------------------------------------------------------------

  #id(): number {
    const id = this.#nextId;
    this.#nextId = id === 0xffffffff ? 1 : id + 1;
    return id;
  }

  #request(
    kind: number,
    what: string,
    fn: string | undefined,
    timeoutMs: number,
    write: (w: FrameWriter, id: number) => void,
  ): Promise<unknown> {
    if (!this.alive) return Promise.reject(this.#deadError(what));
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

  #push(p: Pending): void {
    if (this.#queue.length === this.#head) this.#setRef(true);
    this.#queue.push(p);
    // One timer for the whole queue, armed for the earliest deadline; with
    // one timeout per plugin, later calls have later deadlines and cost nothing.
    if (p.deadline < this.#timerAt) {
      clearTimeout(this.#timer);
      this.#arm(p.deadline);
    }
  }

  #shift(): Pending | undefined {
    if (this.#head >= this.#queue.length) return undefined;
    const p = this.#queue[this.#head];
    this.#queue[this.#head++] = undefined as unknown as Pending;
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
      if (this.#phase === "serving") this.#setRef(false);
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return p;
  }

  #setRef(on: boolean): void {
    if (this.#refd === on || this.#dead) return;
    this.#refd = on;
    try {
      if (on) this.#child.ref();
      else this.#child.unref();
    } catch {
      // The process's resource is gone already (it was collected): nothing to keep alive.
    }
  }

  #arm(deadline: number): void {
    this.#timerAt = deadline;
    const timer = setTimeout(
      () => this.#checkDeadline(),
      Math.max(0, deadline - performance.now()),
    );
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  #checkDeadline(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    if (!this.alive) return;
    const head = this.#queue[this.#head];
    if (head === undefined) return;
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
    // The head is younger than the timer: wait for its own deadline, or for
    // the first finite one behind it.
    let next = head.deadline;
    if (next === Infinity) {
      for (let i = this.#head; i < this.#queue.length; i++) {
        if (this.#queue[i].deadline !== Infinity) {
          next = this.#queue[i].deadline;
          break;
        }
      }
    }
    if (next !== Infinity) this.#arm(next);
  }

  #scheduleFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      if (this.#out.length === 0 || this.#dead) return;
      if (this.#shm) {
        this.#flushNow();
        this.#collect();
        return;
      }
      this.#writer.write(this.#out.take()).catch(() => {
        // The child is gone; the stdout reader notices and settles everything.
      });
    });
  }

  // -------------------------------------------------------------------------
  // Shared memory

  /**
   * Offer shared memory to the child and wait for its answer. Falls back to
   * pipes when it cannot be had, unless `transport` is `shared-memory`.
   */
  async #attach(timeoutMs: number): Promise<void> {
    const required = this.#opts.transport === "shared-memory";
    let ch: ShmChannel;
    try {
      if (!shmSupported()) {
        throw new Error(
          "this host cannot map it (it needs Linux on x86-64 or arm64 and an unrestricted --allow-ffi)",
        );
      }
      ch = ShmChannel.create();
    } catch (e) {
      if (required) throw this.#noSharedMemory((e as Error).message);
      return;
    }
    try {
      await this.#request(Kind.ATTACH, "attach", undefined, timeoutMs, (w, id) => {
        w.json(id, Kind.ATTACH, { path: ch.path });
      });
    } catch (e) {
      ch.release();
      // A child that died or hung is not a question of transport.
      if (!this.alive) throw e;
      if (required) throw this.#noSharedMemory((e as PluginError).summary ?? String(e));
      return;
    }
    ch.attached();
    this.#shm = ch;
    this.#transport = "shared-memory";
  }

  #noSharedMemory(found: string): LoadError {
    return new LoadError("HANDSHAKE_FAILED", {
      path: this.#opts.path,
      what: "the host and the isolation child could not share memory",
      expected: "the child to map the host's shared memory",
      found: found.replace(/^Unexpected error in the isolation child: /, ""),
      hint:
        'calls: "sync" and transport: "shared-memory" need Linux and access to /proc/PID/fd; leave them out to use pipes',
    });
  }

  /** Move the requests written so far into the request ring (or its backlog) and publish them. */
  #flushNow(): void {
    const ch = this.#shm;
    const out = this.#out;
    if (!ch || out.length === 0) return;
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
    } catch (e) {
      this.#ringFailed(e);
    }
  }

  /** Write what fits of the backlog; true when something was written. */
  #moveBacklog(ch: ShmChannel): boolean {
    let moved = false;
    while (this.#backlog.length > 0) {
      const b = this.#backlog[0];
      const size = b.bytes.length;
      if (size <= RING_MAX_FRAME) {
        if (!ch.put(b.bytes, 0, size)) return moved;
      } else {
        const id = new DataView(b.bytes.buffer).getUint32(4, true);
        while (b.sent < size) {
          const n = Math.min(PART_BYTES, size - b.sent);
          if (!ch.putPart(id, b.bytes, b.sent, n)) return moved;
          b.sent += n;
          moved = true;
        }
      }
      moved = true;
      this.#backlog.shift();
    }
    return moved;
  }

  /** Whether the child has published replies, or made room for the backlog. */
  #ready = (): boolean => {
    const ch = this.#shm;
    if (!ch || ch.released) return true;
    if (ch.hasInput()) return true;
    const b = this.#backlog[0];
    if (b === undefined) return false;
    const size = b.bytes.length;
    try {
      return ch.room(
        size <= RING_MAX_FRAME ? size : HEADER_SIZE + Math.min(PART_BYTES, size - b.sent),
      ) >= 0;
    } catch (e) {
      this.#ringFailed(e);
      return true;
    }
  };

  /** Handle the replies in the ring and write more of the backlog; false when the connection cannot go on. */
  #pump(): boolean {
    const ch = this.#shm;
    if (!ch || ch.released) return false;
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
        } else {
          ok = this.#onFrame(ch.bytes, ch.view, f.at - HEADER_SIZE, f.len);
          ch.advance();
          consumed = true;
        }
        if (!ok) return false;
        // A reply that parts of the ring were given back for: let the child go on.
        if (f.kind === RingKind.PART) ch.consumed();
      }
      if (consumed) ch.consumed();
      if (this.#backlog.length > 0 && this.#moveBacklog(ch)) ch.publish();
      return true;
    } catch (e) {
      this.#ringFailed(e);
      return false;
    }
  }

  /**
   * The child wrote something into the rings that cannot be read: positions
   * or lengths that cannot be (RingError), or a reply whose values run past
   * the mapping (RangeError from a DataView). Stop trusting it.
   */
  #ringFailed(e: unknown): void {
    this.#stop({
      kind: "protocol",
      found: e instanceof RingError ? e.message : `a malformed reply in the shared ring (${e})`,
    });
  }

  /**
   * After sending: spin a few microseconds for the replies (a fast call
   * answers within them, and nobody sleeps), then sleep without blocking the
   * event loop.
   */
  #collect(): void {
    // Replies collected by spinning resolve their Promises in this turn of
    // the event loop; a caller that calls again at once would never give
    // timers and I/O a turn. When they have waited too long, collect in a
    // new turn instead.
    if (starving()) {
      setTimeout(() => {
        const ch = this.#shm;
        if (ch && !ch.released && !this.#dead && this.pending > 0) this.#woke();
      }, 0);
      return;
    }
    // A child just woken runs wherever the kernel finds a CPU, often this
    // one when all are busy: spinning here would keep it off. Sleep at once;
    // the child spins after its reply, so the next call finds it awake.
    const ch = this.#shm!;
    while (
      !this.#wokeChild && this.pending > 0 && ch.spin(this.#spin, this.#ready, CHILD_STALL_MS)
    ) {
      if (!this.#pump()) return;
    }
    if (this.pending === 0) return;
    this.#sleptAt = performance.now();
    this.#sleep();
  }

  /**
   * Wait for the child's progress while requests are pending: one futex wait
   * on Deno's blocking pool per connection (or a pipe bell when many are in
   * flight in this process).
   */
  #sleep(): void {
    for (;;) {
      const ch = this.#shm;
      if (
        !ch || ch.released || this.#dead || this.#waiter || this.#bellWait || this.pending === 0
      ) return;
      const wait = ch.hostWaitAsync(this.#ready);
      if (wait === "ready") {
        if (!this.#pump()) return;
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

  /** A frame on the pipe while the rings carry the protocol: only a bell is expected. */
  #onPipeFrame(kind: number): boolean {
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

  /** The child made progress while the host slept: learn from the wait, read, sleep again if needed. */
  #woke(): void {
    if (this.#sleptAt !== 0) {
      this.#spin.missed((performance.now() - this.#sleptAt) * 1000);
      this.#sleptAt = 0;
    }
    if (this.#pump()) this.#sleep();
  }

  /** The rest of a synchronous call: see {@linkcode ChildConnection.callSync}. */
  #waitSync(p: Pending, done: () => boolean): void {
    const ch = this.#shm!;
    let spun = false;
    let sleptAt = 0;
    for (;;) {
      if (this.#ready()) {
        if (sleptAt !== 0) {
          this.#spin.missed((performance.now() - sleptAt) * 1000);
          sleptAt = 0;
        }
        this.#pump();
        if (done()) return;
        if (!this.alive) break;
        continue;
      }
      const now = performance.now();
      const head = this.#queue[this.#head] ?? p;
      const deadline = Math.min(head.deadline, p.deadline);
      if (now >= deadline) {
        // The first request past its deadline is to blame (a request before
        // this call, or this call).
        const late = head.deadline <= now ? head : p;
        const cause: Cause = {
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
        // As in #collect: do not keep a child just woken off this CPU.
        if (!this.#wokeChild && ch.spin(this.#spin, this.#ready, CHILD_STALL_MS)) continue;
      }
      // Whether the child ended, asked once a slice has passed without a
      // reply (a waitid(2) costs about a microsecond: not on every call).
      const exit = sleptAt === 0 ? null : peekChildExit(this.pid);
      if (exit !== null) {
        // Replies published before the end still count.
        this.#pump();
        if (done()) return;
        this.#exited = true;
        throw this.#errorFor(p, p === head, { kind: "none" }, this.#exitNow(exit));
      }
      if (sleptAt === 0) sleptAt = now;
      ch.hostWaitSync(Math.min(SYNC_SLICE_MS, deadline - now), this.#ready);
    }
    if (!done()) {
      throw this.#errorFor(p, true, this.#cause, this.#exitNow(null));
    }
  }

  /** How the child ended, as far as a synchronous caller can know before Deno reaps it. */
  #exitNow(exit: ReturnType<typeof peekChildExit>): ChildExit {
    const how = exit === null || exit === "gone"
      ? { exitCode: null, signal: "SIGKILL", signalNumber: 9 }
      : exit;
    return { pid: this.pid, ...how, stderrTail: [...this.#tail] };
  }

  /** Kill the child for a reason of the host's; settles happen in #watch. */
  #stop(cause: Cause): void {
    if (this.#dead || this.#cause.kind !== "none") return;
    this.#cause = cause;
    this.#setRef(true);
    if (!signalProcess(-this.pid, "SIGKILL")) {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }

  async #readStdout(): Promise<void> {
    const reader = this.#child.stdout.getReader();
    // Bytes of an incomplete frame wait here; the buffer grows geometrically
    // (and at once to a frame's announced size), so a large buffer that
    // arrives in many chunks is copied once, not once per chunk.
    let acc: Uint8Array = new Uint8Array(0);
    let accLen = 0;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        let bytes: Uint8Array = value;
        if (accLen > 0) {
          acc = reserve(acc, accLen, accLen + value.length);
          acc.set(value, accLen);
          accLen += value.length;
          bytes = acc.subarray(0, accLen);
        }
        let pos = 0;
        if (this.#phase === "handshake") {
          pos = this.#readHandshake(bytes);
          if (pos < 0) return;
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
          if (!ok) return;
          pos += HEADER_SIZE + len;
        }
        const left = bytes.length - pos;
        if (left === 0) {
          accLen = 0;
        } else if (bytes === value) {
          acc = reserve(acc, 0, Math.max(need, left, 4096));
          acc.set(value.subarray(pos), 0);
          accLen = left;
        } else {
          acc.copyWithin(0, pos, accLen);
          accLen = left;
          acc = reserve(acc, accLen, need);
        }
      }
    } catch {
      // The pipe broke: the child is gone.
    } finally {
      reader.releaseLock();
    }
  }

  /** Returns where frames start, or -1 when the handshake failed. */
  #readHandshake(bytes: Uint8Array): number {
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
      if (
        (k < HANDSHAKE_PREFIX.length && b !== HANDSHAKE_PREFIX.charCodeAt(k)) || seen.length > 200
      ) {
        const shown = decoder.decode(new Uint8Array([...seen, ...bytes.subarray(i + 1, i + 100)]));
        this.#stop({ kind: "handshake", found: quoteShort(shown.split("\n")[0]) });
        return -1;
      }
    }
    return bytes.length;
  }

  #checkHandshake(line: string): string | undefined {
    const parts = line.split("|");
    if (parts.length !== 3 || !/^\d+$/.test(parts[1]) || !/^\d+$/.test(parts[2])) {
      return quoteShort(line);
    }
    const version = Number(parts[1]);
    if (!PROTOCOL_VERSIONS.includes(version)) return `protocol version ${version}`;
    if (Number(parts[2]) !== this.pid) return `the handshake of process ${parts[2]}`;
    return undefined;
  }

  /** Handle one reply; false when the stream cannot be trusted any more. */
  #onFrame(bytes: Uint8Array, view: DataView, pos: number, len: number): boolean {
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
      let err: PluginError;
      try {
        err = errorFromData(parseJson(bytes.subarray(at, at + len)) as ErrorData);
      } catch {
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
    const result = readValue(c, b.sig.result as TypeName);
    const args = head.args!;
    for (const i of b.buffers) {
      const target = args[i] as Uint8Array;
      // An empty view may be of a detached buffer, which set() refuses.
      if (target.length > 0) target.set(bytes.subarray(c.pos, c.pos + target.length));
      c.pos += target.length;
    }
    head.resolve(result);
    return true;
  }

  async #readStderr(): Promise<void> {
    const reader = this.#child.stderr.getReader();
    const text = new TextDecoder();
    let partial = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const lines = (partial + text.decode(value, { stream: true })).split("\n");
        partial = lines.pop()!;
        for (const line of lines) this.#stderrLine(line);
      }
    } catch {
      // Gone.
    } finally {
      partial += text.decode();
      if (partial !== "") this.#stderrLine(partial);
      reader.releaseLock();
    }
  }

  #stderrLine(line: string): void {
    const clean = line.replace(/\r$/, "");
    this.#tail.push(clean);
    if (this.#tail.length > STDERR_TAIL_LINES) this.#tail.shift();
    try {
      this.#opts.onStderr(clean, this.pid);
    } catch {
      // A failing log sink must not break the connection.
    }
  }

  async #watch(stdoutDone: Promise<void>, stderrDone: Promise<void>): Promise<void> {
    const status = await this.#child.status;
    this.#dead = true;
    // Processes the plugin started (its group) go with the child.
    signalProcess(-this.pid, "SIGKILL");
    // A futex wait for the child's replies ends now.
    this.#shm?.interrupt();
    // Replies and stderr lines written just before the end are still in the
    // pipes: read them first (unless a grandchild holds the pipes open).
    const drain = new Promise<void>((r) => {
      const t = setTimeout(r, DRAIN_MS);
      void Promise.all([stdoutDone, stderrDone]).then(() => {
        clearTimeout(t);
        r();
      });
    });
    await drain;
    // Replies published in the ring before the end are answers too.
    if (this.#shm && this.#cause.kind !== "protocol") this.#pump();
    await this.#waiter;
    this.#shm?.release();
    this.#shm = undefined;
    clearTimeout(this.#timer);
    clearTimeout(this.#startTimer);
    this.#writer.close().catch(() => {});
    const exit: ChildExit = {
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

  /** Reject everything still pending, by cause; returns the end report. */
  #settle(exit: ChildExit): ConnectionEnd {
    const cause = this.#cause;
    const path = this.#opts.path;
    const first = this.#queue[this.#head];
    let reason: ConnectionEnd["reason"];
    let firstError: PluginError | undefined;
    if (this.#handshake && this.#phase === "handshake") {
      const found = cause.kind === "handshake"
        ? cause.found
        : `${describeChildExit(exit)} before answering${tailNote(exit)}`;
      firstError = new LoadError("HANDSHAKE_FAILED", {
        path,
        what: "the isolation child did not complete the handshake",
        expected: `a line "${HANDSHAKE_PREFIX}VERSION|PID" with version ${
          PROTOCOL_VERSIONS.join(" or ")
        }`,
        found,
        hint: cause.kind === "handshake" && cause.found.startsWith("nothing")
          ? "the machine may be overloaded: raise startTimeoutMs; otherwise check that Deno can run the child (see its stderr)"
          : "the child is not a plugboard isolation child of this version; check Deno and plugboard versions and the child's stderr",
      });
      this.#handshake.reject(firstError);
      reason = "handshake";
    } else if (cause.kind === "handshake") {
      reason = "handshake";
    } else if (cause.kind === "none") {
      const clean = this.#shutdownAsked && first === undefined && exit.exitCode === 0;
      reason = clean ? "closed" : "crash";
    } else {
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

  #errorFor(p: Pending, isFirst: boolean, cause: Cause, exit: ChildExit): PluginError {
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
          ? new CallError(
            "PLUGIN_TIMEOUT",
            path,
            fn,
            `expected a reply within ${cause.ms} ms, found none: the child (pid ${exit.pid}) was killed`,
            {
              hint:
                "the plugin hangs or is slower than timeoutMs allows; fix it or raise timeoutMs",
            },
          )
          : new CallError(
            "PLUGIN_TIMEOUT",
            path,
            fn,
            `expected a reply, found none: the child (pid ${exit.pid}) was killed because the call ${cause.what} before this one timed out after ${cause.ms} ms; this call had not started`,
            { hint: "call it again" },
          );
      case "closed":
        return new CallError(
          "CLOSED",
          path,
          fn,
          cause.graceMs > 0
            ? `the plugin was closed before the call returned: its child (pid ${exit.pid}) did not shut down within ${cause.graceMs} ms and was killed`
            : `the plugin was closed before the call returned: its child (pid ${exit.pid}) was killed`,
          { hint: "wait for pending calls before closing, or raise closeGraceMs" },
        );
      case "protocol":
        return new CrashError({
          ...exit,
          path,
          expected: `a reply to ${whatOf(p)}`,
          function: p.fn,
          found: `${cause.found}; the child (pid ${exit.pid}) was killed`,
          hint:
            "the child's output was corrupted; this is a bug in plugboard or the plugin wrote to a descriptor it does not own",
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

  #deadError(what: string): PluginError {
    return new CallError("CLOSED", this.#opts.path, what, `the child (pid ${this.pid}) is gone`, {
      hint: "open the plugin again",
    });
  }
}

/** What a request was, for messages: `crash()`, `load`, ... */
function whatOf(p: Pending): string {
  return p.bound ? `${p.bound.sig.name}()` : p.what;
}

/** `buf` with room for `size` bytes, keeping its first `keep` bytes. */
function reserve(buf: Uint8Array, keep: number, size: number): Uint8Array {
  if (size <= buf.length) return buf;
  const bigger = new Uint8Array(Math.max(size, buf.length * 2));
  bigger.set(buf.subarray(0, keep));
  return bigger;
}

function tailNote(exit: ChildExit): string {
  const tail = exit.stderrTail.filter((l) => l.trim() !== "").slice(-3);
  return tail.length ? `; its stderr ended with ${quoteShort(tail.join(" / "), 300)}` : "";
}

function quoteShort(s: string, max = 80): string {
  return JSON.stringify(s.length > max ? s.slice(0, max) + "…" : s);
}

/** How long replies collected by spinning may keep the event loop from its next turn. */
const STARVE_MS = 5;
let turnTimer = false;
let lastTurn = performance.now();

/**
 * Whether this thread's event loop has had no turn for {@linkcode STARVE_MS}
 * while replies kept coming: a zero timeout, armed here, marks each turn.
 */
function starving(): boolean {
  if (!turnTimer) {
    turnTimer = true;
    setTimeout(() => {
      turnTimer = false;
      lastTurn = performance.now();
    }, 0);
  }
  return performance.now() - lastTurn > STARVE_MS;
}
