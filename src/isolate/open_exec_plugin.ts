/**
 * `openExecPlugin()`: a plugin that is any executable (a shell script, a
 * Python script, a Go binary) speaking plugboard's line protocol for one
 * interface, `text.processor/1`: the "subprocess plugin" of the Go world.
 *
 * The protocol (docs/isolation.md): the host starts the program with
 * `PLUGBOARD_EXEC_PROTOCOL=1` and `PLUGBOARD_EXEC_INTERFACE=text.processor/1`
 * in its environment; the program's first line on stdout is its handshake,
 * `plugboard-exec 1 text.processor/1 NAME`; then, for each request line
 * `process BASE64` on its stdin, it answers one line, `ok BASE64` or
 * `error MESSAGE`, in order. Texts travel as base64 of their UTF-8 bytes, so
 * newlines and any other byte survive. At end of input it exits. Its stderr
 * goes to the host's log.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { CallError, LoadError, PluginError, quote } from "../errors/plugin_error.ts";
import { type LogLevel, logRecord, type LogSink } from "../log/log_record.ts";
import { type ChildExit, CrashError, describeChildExit } from "../errors/crash_error.ts";

/** Interfaces an exec plugin can implement. */
export type ExecInterface = "text.processor/1";

/** The line protocol versions this host speaks. */
export const EXEC_PROTOCOL_VERSIONS: readonly number[] = Object.freeze([1]);

/** Options of {@linkcode openExecPlugin}. */
export interface OpenExecPluginOptions {
  /**
   * The interface the host needs; the program must name it in its handshake.
   * @default "text.processor/1"
   */
  interface?: ExecInterface;
  /**
   * Arguments for the program.
   * @default []
   */
  args?: readonly string[];
  /**
   * More environment variables for the program.
   * @default {}
   */
  env?: Readonly<Record<string, string>>;
  /**
   * Refuse the program unless its SHA-256 (hex) is this (`CHECKSUM_MISMATCH`).
   * @default undefined (not checked)
   */
  sha256?: string;
  /**
   * The longest a call may wait for its reply, queueing included; then the
   * call rejects with `PLUGIN_TIMEOUT` and the program is killed.
   * @default Infinity
   */
  timeoutMs?: number;
  /**
   * The handshake line must arrive within this (`HANDSHAKE_FAILED`).
   * @default 5000
   */
  startTimeoutMs?: number;
  /**
   * How long close() waits for the program to exit after its stdin closed,
   * before killing it.
   * @default 2000
   */
  closeGraceMs?: number;
  /**
   * Where the program's stderr lines (event `stderr`) and the lifecycle
   * records (`crash`, `timeout`, `close`) go.
   * @default writes stderr lines, warnings and errors to the host's stderr
   */
  log?: LogSink;
}

/** What the program said in its handshake. */
export interface ExecHandshake {
  /** The protocol version it speaks. */
  readonly protocol: number;
  /** The interface it implements, e.g. `text.processor/1`. */
  readonly interface: string;
  /** Its name, e.g. `shout`. */
  readonly name: string;
}

interface Pending {
  resolve: (text: string) => void;
  reject: (e: unknown) => void;
  deadline: number;
}

type Timer = ReturnType<typeof setTimeout>;

const HANDSHAKE = /^plugboard-exec (\d+) (\S+) ([A-Za-z0-9._-]+)$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const TAIL = 20;

let startExec: (p: ExecPlugin, ms: number) => Promise<void>;

/**
 * Start an exec plugin and wait for its handshake.
 *
 * The host needs `--allow-run` for the program (and `--allow-read` for it
 * when `sha256` is given).
 *
 * @example Shouting with the shell-script sample
 * ```ts ignore
 * import { openExecPlugin } from "./open_exec_plugin.ts";
 *
 * await using shout = await openExecPlugin("plugins/text_shout.sh");
 * console.log(await shout.name()); // "shout"
 * console.log(await shout.process("hello\nworld")); // "HELLO\nWORLD!"
 * ```
 *
 * @param path the program
 * @param options interface, arguments, checksum, timeouts, log sink
 * @returns the running plugin
 * @throws {LoadError} `NOT_FOUND`, `PERMISSION_DENIED`, `CHECKSUM_MISMATCH`,
 *   `HANDSHAKE_FAILED` or `INTERFACE_MISMATCH`
 */
export async function openExecPlugin(
  path: string,
  options: OpenExecPluginOptions = {},
): Promise<ExecPlugin> {
  checkProgram(path, options.sha256);
  const plugin = new ExecPlugin(path, options);
  await startExec(plugin, options.startTimeoutMs ?? 5_000);
  return plugin;
}

/**
 * A running exec plugin implementing `text.processor/1`. Calls are queued
 * and answered in order; a crash or a timeout rejects the pending calls with
 * `PLUGIN_CRASHED` or `PLUGIN_TIMEOUT` and leaves the host running.
 */
export class ExecPlugin implements AsyncDisposable, Disposable {
  /** The program, as given. */
  readonly path: string;
  /** The program's process id. */
  readonly pid: number;
  #handshake: ExecHandshake | undefined;
  #wanted: ExecInterface;
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #queue: Pending[] = [];
  #timeoutMs: number;
  #graceMs: number;
  #log: LogSink;
  #tail: string[] = [];
  #timer: Timer | undefined;
  #ended: Promise<ChildExit>;
  #failure: PluginError | undefined;
  #stopping: "timeout" | "close" | "protocol" | undefined;
  #protocolFound = "";
  #closing: Promise<void> | undefined;
  #onHandshake: ((line: string | undefined) => void) | undefined;

  static {
    startExec = (p, ms) => p.#start(ms);
  }

  /**
   * Use {@linkcode openExecPlugin}.
   *
   * @param path the program
   * @param options the options
   */
  constructor(path: string, options: OpenExecPluginOptions = {}) {
    this.path = path;
    this.#wanted = options.interface ?? "text.processor/1";
    this.#timeoutMs = options.timeoutMs ?? Infinity;
    this.#graceMs = options.closeGraceMs ?? 2_000;
    this.#log = options.log ?? defaultLog;
    try {
      this.#child = new Deno.Command(path, {
        args: [...(options.args ?? [])],
        env: {
          ...options.env,
          PLUGBOARD_EXEC_PROTOCOL: EXEC_PROTOCOL_VERSIONS.join(","),
          PLUGBOARD_EXEC_INTERFACE: this.#wanted,
        },
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (e) {
      throw spawnError(path, e);
    }
    this.pid = this.#child.pid;
    this.#writer = this.#child.stdin.getWriter();
    const stdout = this.#readStdout();
    const stderr = this.#readStderr();
    this.#ended = this.#watch(stdout, stderr);
  }

  /** What the program said in its handshake. */
  get handshake(): ExecHandshake {
    return this.#handshake!;
  }

  /** Whether {@linkcode ExecPlugin.close} was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * The plugin's name, from its handshake (`text.processor`'s `name()`).
   *
   * @returns the name
   */
  name(): Promise<string> {
    if (this.#closing) return Promise.reject(this.#closedError("name"));
    if (!this.#handshake) return Promise.reject(notStarted(this.path));
    return Promise.resolve(this.#handshake.name);
  }

  /**
   * Process a text (`text.processor`'s `process()`).
   *
   * @example
   * ```ts ignore
   * console.log(await shout.process("hi")); // "HI!"
   * ```
   *
   * @param text the input
   * @returns the output
   * @throws {CallError} `CALL_FAILED` (the plugin answered `error ...`), `INVALID_ARGUMENT`,
   *   `PLUGIN_TIMEOUT` or `CLOSED`
   * @throws {CrashError} `PLUGIN_CRASHED`
   */
  process(text: string): Promise<string> {
    if (typeof text !== "string") {
      return Promise.reject(
        new CallError(
          "INVALID_ARGUMENT",
          this.path,
          "process",
          `argument 1 does not fit string: expected a string, found ${typeof text}`,
          { hint: "pass the text as a string" },
        ),
      );
    }
    if (this.#closing) return Promise.reject(this.#closedError("process"));
    if (this.#failure) return Promise.reject(this.#deadError());
    if (!this.#handshake) return Promise.reject(notStarted(this.path));
    const line = `process ${Buffer.from(text, "utf8").toString("base64")}\n`;
    this.#writer.write(new TextEncoder().encode(line)).catch(() => {});
    return new Promise((resolve, reject) => {
      const deadline = performance.now() + this.#timeoutMs;
      if (this.#queue.length === 0) this.#child.ref();
      this.#queue.push({ resolve, reject, deadline });
      if (deadline !== Infinity && this.#timer === undefined) this.#arm(deadline);
    });
  }

  /**
   * Close the plugin: its stdin is closed (it finishes the requests it has
   * and exits), and it is killed if it has not exited after `closeGraceMs`.
   * Calls still pending then reject with `CLOSED`. Closing twice is harmless.
   *
   * @returns when the program is gone
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#child.ref();
    this.#writer.close().catch(() => {});
    const timer = setTimeout(() => this.#kill("close"), this.#graceMs);
    this.#closing = this.#ended.then((exit) => {
      clearTimeout(timer);
      this.#emit("info", "close", `closed exec plugin ${this.#handshake?.name ?? this.path}`, {
        exitCode: exit.exitCode,
        signal: exit.signal,
      });
    });
    return this.#closing;
  }

  /** Same as {@linkcode ExecPlugin.close}, without waiting. */
  [Symbol.dispose](): void {
    void this.close();
  }

  /** Same as {@linkcode ExecPlugin.close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // -------------------------------------------------------------------------

  async #start(ms: number): Promise<void> {
    let timer: Timer | undefined;
    let timedOut = false;
    const line = await new Promise<string | undefined>((resolve) => {
      this.#onHandshake = resolve;
      timer = setTimeout(() => {
        timedOut = true;
        resolve(undefined);
      }, ms);
      void this.#ended.then(() => resolve(undefined));
    });
    clearTimeout(timer);
    this.#onHandshake = undefined;
    const fail = async (
      found: string,
      code: "HANDSHAKE_FAILED" | "INTERFACE_MISMATCH" = "HANDSHAKE_FAILED",
    ) => {
      this.#kill("protocol");
      const exit = await this.#ended;
      throw new LoadError(code, {
        path: this.path,
        what: code === "HANDSHAKE_FAILED"
          ? "the program did not complete the plugboard-exec handshake"
          : "the program implements another interface",
        expected: code === "HANDSHAKE_FAILED"
          ? `a first line "plugboard-exec VERSION ${this.#wanted} NAME" with version ${
            EXEC_PROTOCOL_VERSIONS.join(" or ")
          }`
          : this.#wanted,
        found: found === ""
          ? `${describeChildExit(exit).replace("the child", "the program")} before answering${
            tailNote(exit)
          }`
          : found,
        hint: code === "HANDSHAKE_FAILED"
          ? "make the program print its handshake line first (see docs/isolation.md), and nothing else on stdout"
          : `use a plugin for ${this.#wanted}`,
      });
    };
    if (line === undefined) return fail(timedOut ? `nothing within ${ms} ms` : "");
    const m = HANDSHAKE.exec(line);
    if (!m) return fail(quoteShort(line));
    const version = Number(m[1]);
    if (!EXEC_PROTOCOL_VERSIONS.includes(version)) return fail(`protocol version ${version}`);
    if (m[2] !== this.#wanted) return fail(m[2], "INTERFACE_MISMATCH");
    this.#handshake = Object.freeze({ protocol: version, interface: m[2], name: m[3] });
    this.#child.unref();
  }

  #arm(deadline: number): void {
    const t = setTimeout(() => this.#check(), Math.max(0, deadline - performance.now()));
    Deno.unrefTimer(t);
    this.#timer = t;
  }

  #check(): void {
    this.#timer = undefined;
    const head = this.#queue[0];
    if (head === undefined || this.#failure || this.#stopping) return;
    if (performance.now() >= head.deadline) this.#kill("timeout");
    else this.#arm(head.deadline);
  }

  #kill(why: "timeout" | "close" | "protocol"): void {
    if (this.#stopping) return;
    this.#stopping = why;
    this.#child.ref();
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }

  #onLine(line: string): void {
    const handshake = this.#onHandshake;
    if (handshake) {
      this.#onHandshake = undefined;
      handshake(line);
      return;
    }
    const head = this.#queue[0];
    let value: string | undefined;
    let error: string | undefined;
    if (line.startsWith("ok ") || line === "ok") {
      const b64 = line.slice(3);
      if (BASE64.test(b64)) value = Buffer.from(b64, "base64").toString("utf8");
    } else if (line.startsWith("error ") || line === "error") {
      error = line.slice(6);
    }
    if (head === undefined || (value === undefined && error === undefined)) {
      this.#protocolFound = head === undefined
        ? `an unrequested line ${quoteShort(line)}`
        : `the line ${quoteShort(line)}`;
      this.#kill("protocol");
      return;
    }
    this.#queue.shift();
    if (this.#queue.length === 0) this.#child.unref();
    if (error !== undefined) {
      head.reject(
        new CallError(
          "CALL_FAILED",
          this.path,
          "process",
          error || "the plugin reported an error",
          {
            hint: "the plugin reported this error; check the input or the plugin's documentation",
          },
        ),
      );
    } else head.resolve(value!);
  }

  async #readStdout(): Promise<void> {
    const decoder = new TextDecoder();
    let partial = "";
    try {
      for await (const chunk of this.#child.stdout) {
        const lines = (partial + decoder.decode(chunk, { stream: true })).split("\n");
        partial = lines.pop()!;
        for (const line of lines) {
          if (this.#stopping === "protocol") return;
          this.#onLine(line.replace(/\r$/, ""));
        }
      }
    } catch {
      // The pipe broke.
    }
  }

  async #readStderr(): Promise<void> {
    const decoder = new TextDecoder();
    let partial = "";
    const emit = (line: string) => {
      this.#tail.push(line);
      if (this.#tail.length > TAIL) this.#tail.shift();
      this.#emit("info", "stderr", line, { pid: this.pid });
    };
    try {
      for await (const chunk of this.#child.stderr) {
        const lines = (partial + decoder.decode(chunk, { stream: true })).split("\n");
        partial = lines.pop()!;
        for (const line of lines) emit(line.replace(/\r$/, ""));
      }
    } catch {
      // Gone.
    }
    partial += decoder.decode();
    if (partial !== "") emit(partial);
  }

  async #watch(stdout: Promise<void>, stderr: Promise<void>): Promise<ChildExit> {
    const status = await this.#child.status;
    await Promise.race([
      Promise.all([stdout, stderr]),
      new Promise((r) => setTimeout(r, 500)),
    ]);
    clearTimeout(this.#timer);
    this.#writer.close().catch(() => {});
    const exit: ChildExit = Object.freeze({
      pid: this.pid,
      exitCode: status.signal === null ? status.code : null,
      signal: status.signal,
      signalNumber: status.signal === null ? null : status.code - 128,
      stderrTail: Object.freeze([...this.#tail]),
    });
    const pending = this.#queue.splice(0);
    const why = this.#stopping ?? (this.#closing ? "close" : undefined);
    this.#failure = why === "close"
      ? this.#closedError("process")
      : why === "timeout"
      ? new CallError(
        "PLUGIN_TIMEOUT",
        this.path,
        "process",
        `expected a reply within ${this.#timeoutMs} ms, found none: the program (pid ${this.pid}) was killed`,
        { hint: "the plugin hangs or is slower than timeoutMs allows; fix it or raise timeoutMs" },
      )
      : new CrashError({
        ...exit,
        path: this.path,
        expected: "a reply to process()",
        function: "process",
        found: why === "protocol"
          ? `${this.#protocolFound}; the program (pid ${this.pid}) was killed`
          : describeChildExit(exit).replace("the child", "the program"),
        hint: why === "protocol"
          ? "the program must answer each request with one line, `ok BASE64` or `error MESSAGE` (docs/isolation.md)"
          : "the host kept running; fix the plugin (its stderr above may say why) and open it again",
      });
    if (
      this.#handshake !== undefined && why !== "close" && (pending.length > 0 || why === undefined)
    ) {
      const level: LogLevel = "error";
      this.#emit(level, why === "timeout" ? "timeout" : "crash", this.#failure.summary, {
        pid: this.pid,
        exitCode: exit.exitCode,
        signal: exit.signal,
        stderrTail: exit.stderrTail,
        code: this.#failure.code,
      });
    }
    pending.forEach((p, i) =>
      p.reject(
        i === 0 || why !== "timeout" ? this.#failure : new CallError(
          "PLUGIN_TIMEOUT",
          this.path,
          "process",
          `expected a reply, found none: the program (pid ${this.pid}) was killed because an earlier call timed out; this call had not started`,
          { hint: "call it again" },
        ),
      )
    );
    return exit;
  }

  #closedError(fn: string): CallError {
    return new CallError("CLOSED", this.path, fn, "the plugin is closed", {
      hint: "open it again; a closed exec plugin cannot be called",
    });
  }

  #deadError(): PluginError {
    return this.#failure!;
  }

  #emit(
    level: LogLevel,
    event: string,
    message: string,
    fields: Record<string, unknown> = {},
  ): void {
    try {
      this.#log(logRecord(level, event, message, {
        plugin: this.#handshake?.name,
        path: this.path,
        ...fields,
      }));
    } catch {
      // A failing sink must not break the plugin.
    }
  }
}

function notStarted(path: string): PluginError {
  return new PluginError("USAGE", `Exec plugin ${quote(path)} has not completed its handshake`, {
    path,
    hint: "open exec plugins with openExecPlugin(), which waits for the handshake",
  });
}

function checkProgram(path: string, sha256: string | undefined): void {
  let stat: Deno.FileInfo;
  try {
    stat = Deno.statSync(path);
  } catch (e) {
    throw spawnError(path, e);
  }
  if (!stat.isFile) {
    throw new LoadError("NOT_A_FILE", {
      path,
      what: "not a regular file",
      expected: "an executable program",
      found: stat.isDirectory ? "a directory" : "a special file",
      hint: "name the plugin's program",
    });
  }
  if (stat.mode !== null && (stat.mode & 0o111) === 0) {
    throw new LoadError("PERMISSION_DENIED", {
      path,
      what: "the program is not executable",
      expected: "a file with an execute bit",
      found: `mode ${(stat.mode & 0o777).toString(8)}`,
      hint: `chmod +x ${path}`,
    });
  }
  if (sha256 !== undefined) {
    const found = createHash("sha256").update(Deno.readFileSync(path)).digest("hex");
    if (found !== sha256.toLowerCase()) {
      throw new LoadError("CHECKSUM_MISMATCH", {
        path,
        what: "the program's SHA-256 is not the pinned one",
        expected: sha256,
        found,
        hint: "the program changed: review it, then pin the new hash",
      });
    }
  }
}

function spawnError(path: string, e: unknown): LoadError {
  if (e instanceof Deno.errors.NotFound) {
    return new LoadError("NOT_FOUND", {
      path,
      what: "no such program",
      expected: "an existing executable",
      found: "nothing at that path",
      hint: "check the path",
      cause: e,
    });
  }
  const denied = e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable;
  return new LoadError(denied ? "PERMISSION_DENIED" : "LOAD_FAILED", {
    path,
    what: "cannot start the program",
    expected: "a program the host may run",
    found: e instanceof Error ? e.message : String(e),
    hint: e instanceof Deno.errors.NotCapable
      ? `grant it: --allow-run=${path}`
      : "check that the file is executable and its interpreter (#! line) exists",
    cause: e,
  });
}

function tailNote(exit: ChildExit): string {
  const tail = exit.stderrTail.filter((l) => l.trim() !== "").slice(-3);
  return tail.length ? `; its stderr ended with ${quoteShort(tail.join(" / "), 300)}` : "";
}

function quoteShort(s: string, max = 80): string {
  return quote(s.length > max ? s.slice(0, max) + "…" : s);
}

function defaultLog(r: ReturnType<typeof logRecord>): void {
  if (r.event === "stderr") console.error(`[${r.plugin ?? r.path} ${r.pid}] ${r.message}`);
  else if (r.level === "warn" || r.level === "error") console.error(`plugboard: ${r.message}`);
}
