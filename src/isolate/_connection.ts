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
 * @module
 */

import { canonicalSignature, type TypeName } from "../abi/signature.ts";
import { CallError, LoadError, PluginError } from "../errors/plugin_error.ts";
import { type ChildExit, CrashError, describeChildExit } from "../errors/crash_error.ts";
import { resolve } from "../file/paths.ts";
import { signalProcess } from "../file/libc.ts";
import type { PoolConnection, PoolFunction } from "./_pool.ts";
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
  #shutdownAsked = false;
  #firstWhat: string | undefined;
  #refd = true;
  #tail: string[] = [];
  #handshake: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  #handshakeBytes: number[] = [];
  #startTimer: Timer | undefined;
  #resolveEnded!: (end: ConnectionEnd) => void;

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
    return !this.#dead && this.#cause.kind === "none";
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
    const left = Math.max(1, ms - (performance.now() - startedAt));
    await this.#request(Kind.LOAD, "load", undefined, left, (w, id) => {
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
    const sig = f.sig;
    const params = sig.parameters;
    if (args.length !== params.length) {
      return Promise.reject(
        new CallError(
          "INVALID_ARGUMENT",
          this.#opts.path,
          sig.name,
          `expected ${params.length} argument(s), found ${args.length}`,
          { hint: `call it as ${sig.name}(${params.join(", ")})` },
        ),
      );
    }
    for (let i = 0; i < params.length; i++) {
      if (!fits(params[i], args[i])) {
        return Promise.reject(invalidArgument(this.#opts.path, sig.name, i, params[i], args[i]));
      }
    }
    if (!this.alive) return Promise.reject(this.#deadError(sig.name));
    const w = this.#out;
    const id = this.#id();
    const start = w.begin(id, Kind.CALL);
    w.u16(f.index);
    for (let i = 0; i < params.length; i++) writeValue(w, params[i], args[i]);
    w.end(start);
    this.#scheduleFlush();
    return new Promise((resolve, reject) => {
      this.#push({
        id,
        kind: Kind.CALL,
        what: "", // named on demand from `bound`, off the hot path
        fn: sig.name,
        deadline: timeoutMs === Infinity ? Infinity : performance.now() + timeoutMs,
        timeoutMs,
        resolve,
        reject,
        bound: f,
        args,
      });
    });
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
    if (on) this.#child.ref();
    else this.#child.unref();
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
      this.#writer.write(this.#out.take()).catch(() => {
        // The child is gone; the stdout reader notices and settles everything.
      });
    });
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
          if (!this.#onFrame(bytes, view, pos, len)) return;
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
      target.set(bytes.subarray(c.pos, c.pos + target.length));
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
        if (p.kind === Kind.LOAD) {
          return new LoadError("PLUGIN_TIMEOUT", {
            path,
            what: "the plugin did not finish loading in time",
            expected: `it to load within ${this.#opts.startTimeoutMs} ms`,
            found: `no reply; the child (pid ${exit.pid}) was killed`,
            hint:
              "a constructor or the init hook hangs; fix the plugin, or raise startTimeoutMs if it is only slow",
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
