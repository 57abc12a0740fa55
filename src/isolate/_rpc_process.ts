/**
 * Starting and stopping a subprocess plugin's program: checks before the
 * start, the environment of the protocol, its own process group, the
 * launcher (`_launcher.ts`) that makes the plugin die with the host, the
 * stop (the whole group, and with the launcher every descendant), stderr
 * read line by line, and one complete run for the one-shot mode and
 * `--plugboard-describe`.
 *
 * @module
 */

import { signalProcess } from "../file/libc.ts";
import { sha256Hex } from "../file/sha256.ts";
import { resolve } from "../file/paths.ts";
import { LoadError, PluginError } from "../errors/plugin_error.ts";
import { Fairness, LineBuffer } from "./_rpc_lines.ts";
import {
  RPC_COOKIE,
  RPC_COOKIE_ENV,
  RPC_MAX_LINE_ENV,
  RPC_MODE_ENV,
  RPC_VERSION_ENV,
  RPC_VERSIONS,
  type RpcMode,
} from "./_rpc_protocol.ts";

/** Lines of stderr kept for crash reports. */
export const STDERR_TAIL_LINES = 20;
/** A stderr line longer than this is delivered in pieces. */
export const STDERR_LINE_BYTES = 16 * 1024;
/** How long to wait for the pipes to drain once the program has exited. */
export const DRAIN_MS = 500;
/** Whether programs start through the launcher unless told otherwise: it needs Linux's prctl. */
export const LAUNCHER_DEFAULT: boolean = Deno.build.os === "linux";
/** After asking the launcher to stop, how long until the host kills the group itself. */
export const LAUNCHER_STOP_MS = 1000;

const LAUNCHER_URL = new URL("./_launcher.ts", import.meta.url);
/** Whether plugboard itself was imported from a server (JSR, or any https: URL). */
const REMOTE = /^https?:/.test(import.meta.url);

/**
 * Make sure the launcher's code (and the sandbox it may apply) is the code
 * this host already has: imported once here (neither runs anything on
 * import), so a package imported from JSR has them in Deno's cache, and the
 * launcher, started with `--cached-only`, never fetches anything.
 *
 * @returns when the launcher's modules are cached
 */
export async function ensureLauncherCached(): Promise<void> {
  if (REMOTE) await Promise.all([import("./_launcher.ts"), import("./_sandbox.ts")]);
}

/** A sandbox for the launcher to apply before the plugin starts (the seam). */
export interface SandboxSpec {
  /** A module exporting `applySandbox(policy, options)`; the launcher may read it. */
  module: string | URL;
  /** The policy, passed to `applySandbox` as is (JSON). */
  policy: unknown;
  /** Its options, passed as is (JSON). */
  options?: unknown;
  /** Replace the launcher with the program once confined (see `LauncherConfig`). */
  exec?: boolean;
}

/** How to start a program. */
export interface ProgramOptions {
  /** Arguments. */
  args: readonly string[];
  /** Environment variables added to the host's. */
  env: Readonly<Record<string, string>>;
  /** Working directory. @default the host's */
  cwd?: string;
  /** The protocol mode, for `PLUGBOARD_RPC_MODE`. */
  mode: RpcMode | "describe";
  /** The line cap, for `PLUGBOARD_RPC_MAX_LINE`. */
  maxLineBytes: number;
  /** Whether the program gets a stdin pipe (rpc) or none (one-shot). */
  stdin: "piped" | "null";
  /** Start it through the launcher (Linux). */
  launcher: boolean;
  /** A sandbox for the launcher to apply (needs `launcher`). */
  sandbox?: SandboxSpec;
}

/**
 * One running program: the direct child (the launcher or the program) and
 * how to stop it and everything it started.
 */
export class ProgramProcess {
  /** The direct child. */
  readonly child: Deno.ChildProcess;
  /** Its pid, which is also the id of its process group. */
  readonly pid: number;
  /** Whether the direct child is the launcher. */
  readonly launched: boolean;
  #stopped = false;
  #fallback: ReturnType<typeof setTimeout> | undefined;

  /**
   * Start the program in a process group of its own.
   *
   * @param path the program
   * @param opts arguments, environment, mode, launcher
   * @throws {LoadError} `NOT_FOUND`, `PERMISSION_DENIED` or `LOAD_FAILED`
   * @throws {PluginError} `USAGE` for a sandbox without the launcher
   */
  constructor(path: string, opts: ProgramOptions) {
    if (opts.sandbox && !opts.launcher) {
      throw new PluginError(
        "USAGE",
        `Cannot sandbox plugin ${JSON.stringify(path)} without the launcher`,
        {
          path,
          hint: "the launcher applies the sandbox before the plugin starts: leave launcher on",
        },
      );
    }
    // Absolute, so that a relative path means the same with `cwd` and through the launcher.
    const program = resolve(path);
    const env = {
      ...opts.env,
      [RPC_VERSION_ENV]: RPC_VERSIONS.join(","),
      [RPC_COOKIE_ENV]: RPC_COOKIE,
      [RPC_MODE_ENV]: opts.mode,
      [RPC_MAX_LINE_ENV]: String(opts.maxLineBytes),
    };
    const io = {
      stdin: opts.stdin,
      stdout: "piped",
      stderr: "piped",
      // A new session: the child leads its own process group (and has no
      // terminal), so the whole group can be killed at once.
      detached: true,
    } as const;
    try {
      this.child = opts.launcher
        ? new Deno.Command(Deno.execPath(), {
          args: launcherArgs(program, opts),
          env,
          cwd: opts.cwd,
          ...io,
        }).spawn()
        : new Deno.Command(program, { args: [...opts.args], env, cwd: opts.cwd, ...io }).spawn();
    } catch (e) {
      throw spawnError(path, e, opts.launcher);
    }
    this.pid = this.child.pid;
    this.launched = opts.launcher;
  }

  /**
   * Stop the program and everything it started. Through the launcher: a
   * SIGTERM, on which it kills every descendant and exits; if it has not
   * exited after {@linkcode LAUNCHER_STOP_MS}, the host kills the group.
   * Without: SIGKILL to the group. Calling it again does nothing.
   */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (!this.launched) {
      this.killGroup();
      return;
    }
    try {
      // The child's own kill needs no --allow-run beyond having started it.
      this.child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    this.#fallback = setTimeout(() => this.killGroup(), LAUNCHER_STOP_MS);
    Deno.unrefTimer(this.#fallback);
  }

  /** Kill whatever is left in the process group (after the direct child exited: its leftovers). */
  killGroup(): void {
    signalProcess(-this.pid, "SIGKILL");
  }

  /** The direct child has exited: clear the stop's fallback and kill the group's leftovers. */
  exited(): void {
    clearTimeout(this.#fallback);
    this.killGroup();
  }
}

function launcherArgs(program: string, opts: ProgramOptions): string[] {
  const reads: string[] = [];
  let sandbox: { module: string; policy: unknown; options?: unknown; exec?: boolean } | undefined;
  if (opts.sandbox) {
    const url = new URL(opts.sandbox.module);
    if (url.protocol === "file:") {
      // The sandbox module and the files it imports next to it and one level up.
      const file = decodeURIComponent(url.pathname);
      reads.push(resolve(file, "..", ".."));
    }
    sandbox = {
      module: url.href,
      policy: opts.sandbox.policy,
      options: opts.sandbox.options,
      exec: opts.sandbox.exec,
    };
  }
  // Deno splits permission lists at commas: a path with one gets plain access.
  const run = program.includes(",") ? "--allow-run" : `--allow-run=${program}`;
  const read = reads.length === 0
    ? []
    : reads.some((r) => r.includes(","))
    ? ["--allow-read"]
    : [`--allow-read=${reads}`];
  return [
    "run",
    "--quiet",
    "--no-prompt",
    "--no-config",
    // Imported from a server, the launcher runs the copy the host has cached.
    ...(REMOTE ? ["--cached-only"] : []),
    "--allow-ffi",
    ...read,
    run,
    LAUNCHER_URL.href,
    String(Deno.pid),
    JSON.stringify({ program, args: [...opts.args], sandbox }),
  ];
}

/**
 * Check a program before it starts: a regular, executable file, with the
 * pinned SHA-256 when one is given.
 *
 * @param path the program
 * @param sha256 the expected SHA-256 (hex), if pinned
 * @throws {LoadError} `NOT_FOUND`, `NOT_A_FILE`, `PERMISSION_DENIED` or `CHECKSUM_MISMATCH`
 */
export function checkProgram(path: string, sha256?: string): void {
  let stat: Deno.FileInfo;
  try {
    stat = Deno.statSync(path);
  } catch (e) {
    throw spawnError(path, e, false);
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
    const found = sha256Hex(Deno.readFileSync(path));
    if (found !== sha256.toLowerCase()) {
      throw new LoadError("CHECKSUM_MISMATCH", {
        path,
        what: "the program's SHA-256 is not the pinned one",
        expected: sha256.toLowerCase(),
        found,
        hint: "the program changed: review it, then pin the new hash",
      });
    }
  }
}

function spawnError(path: string, e: unknown, launcher: boolean): LoadError {
  if (e instanceof Deno.errors.NotFound) {
    return new LoadError("NOT_FOUND", {
      path: launcher ? Deno.execPath() : path,
      what: launcher ? "Deno's executable (the launcher) is missing" : "no such program",
      expected: "an existing executable",
      found: "nothing at that path",
      hint: launcher ? "run the host with Deno's own executable" : "check the path",
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
      ? `grant it: --allow-run=${launcher ? Deno.execPath() : path}`
      : "check that the file is executable and its interpreter (#! line) exists",
    cause: e,
  });
}

/**
 * Read a program's stderr line by line (long lines in pieces), keeping the
 * last {@linkcode STDERR_TAIL_LINES} lines in `tail`.
 *
 * @param stream the program's stderr
 * @param tail where the last lines are kept
 * @param onLine called for each line
 * @returns when the stream ends
 */
export async function readStderr(
  stream: ReadableStream<Uint8Array>,
  tail: string[],
  onLine: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  const lines = new LineBuffer(STDERR_LINE_BYTES, "split");
  const emit = (bytes: Uint8Array) => {
    const line = decoder.decode(bytes);
    tail.push(line);
    if (tail.length > STDERR_TAIL_LINES) tail.shift();
    try {
      onLine(line);
    } catch {
      // A failing log sink must not break the plugin.
    }
  };
  const reader = stream.getReader();
  const fairness = new Fairness();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      lines.push(value, emit);
      await fairness.turn();
    }
  } catch {
    // The pipe broke.
  } finally {
    const rest = lines.rest();
    if (rest) emit(rest);
    reader.releaseLock();
  }
}

/** How one complete run ended. */
export interface RunResult {
  /** The direct child's pid. */
  pid: number;
  /** Its status. */
  status: Deno.CommandStatus;
  /** Everything it wrote to stdout (up to the cap). */
  stdout: Uint8Array;
  /** The last lines of its stderr. */
  stderrTail: string[];
  /** Killed because it did not finish within the timeout. */
  timedOut: boolean;
  /** Killed because its stdout passed the cap. */
  overflow: boolean;
}

/** Options of {@linkcode runOnce}. */
export interface RunOnceOptions extends ProgramOptions {
  /** The run is killed after this. */
  timeoutMs: number;
  /** The run is killed when its stdout passes this many bytes. */
  maxOutputBytes: number;
  /** Each stderr line. */
  onStderr: (line: string, pid: number) => void;
  /** Called once the process runs (the run can be stopped with `stop()`). */
  onStart?: (p: ProgramProcess) => void;
}

/**
 * Run a program to its end, collecting its stdout (with a cap) and its
 * stderr's last lines, killing it (and its group) on a timeout.
 *
 * @param path the program
 * @param opts how to run it
 * @returns how it ended
 * @throws {LoadError} when it cannot start
 */
export async function runOnce(path: string, opts: RunOnceOptions): Promise<RunResult> {
  const p = new ProgramProcess(path, opts);
  opts.onStart?.(p);
  const tail: string[] = [];
  let timedOut = false;
  let overflow = false;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const stdoutDone = (async () => {
    const reader = p.child.stdout.getReader();
    const fairness = new Fairness();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        await fairness.turn();
        size += value.length;
        if (size > opts.maxOutputBytes) {
          overflow = true;
          p.stop();
          await reader.cancel();
          return;
        }
        chunks.push(value);
      }
    } catch {
      // The pipe broke.
    }
  })();
  const stderrDone = readStderr(p.child.stderr, tail, (line) => opts.onStderr(line, p.pid));
  const timer = opts.timeoutMs === Infinity ? undefined : setTimeout(() => {
    timedOut = true;
    p.stop();
  }, opts.timeoutMs);
  const status = await p.child.status;
  clearTimeout(timer);
  p.exited();
  await drain(Promise.all([stdoutDone, stderrDone]));
  const stdout = new Uint8Array(Math.min(size, opts.maxOutputBytes));
  let at = 0;
  for (const c of chunks) {
    stdout.set(c.subarray(0, stdout.length - at), at);
    at += c.length;
  }
  return { pid: p.pid, status, stdout, stderrTail: tail, timedOut, overflow };
}

/**
 * Wait for the pipes to end, at most {@linkcode DRAIN_MS}.
 *
 * @param done when both pipes ended
 * @returns when they did, or the time is up
 */
export function drain(done: Promise<unknown>): Promise<void> {
  return new Promise<void>((r) => {
    const t = setTimeout(r, DRAIN_MS);
    void done.then(() => {
      clearTimeout(t);
      r();
    });
  });
}
