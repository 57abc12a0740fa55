/**
 * The launcher: a small Deno process between the host and a subprocess
 * plugin, so that the plugin and everything it starts die with the host,
 * even when the host is killed with SIGKILL. Started by the host as
 *
 * ```sh
 * deno run --quiet --no-prompt --no-config --allow-ffi --allow-run=PROGRAM \
 *   _launcher.ts HOST_PID CONFIG_JSON
 * ```
 *
 * in a new session (the host's `detached: true`), so the launcher leads a
 * process group that the plugin joins. It
 *
 * 1. asks the kernel for SIGTERM when the host dies (`PR_SET_PDEATHSIG`),
 *    then checks that the host is still its parent (it could have died
 *    before the request took effect); a timer re-checks every 500 ms;
 * 2. becomes a child subreaper (`PR_SET_CHILD_SUBREAPER`): a descendant
 *    whose parent dies is re-parented to the launcher, not to init, so it
 *    stays findable;
 * 3. applies the sandbox, when the config names one (the seam: a module
 *    exporting `applySandbox(policy)`; it confines the launcher and so
 *    everything it starts; the policy must leave the launcher `/proc` and
 *    kill(2) of its own descendants);
 * 4. starts the plugin with the launcher's own stdin, stdout and stderr:
 *    nothing is relayed, so a call costs nothing more than without it;
 * 5. when the plugin exits, kills every descendant still alive (a
 *    grandchild holding the pipes, a daemon that left the process group:
 *    found by walking `/proc`, through libc: Deno wants `--allow-all` for
 *    any read there), and exits the way the plugin did (same exit
 *    code, or the same signal, re-raised with the default action);
 * 6. on SIGTERM, SIGINT or SIGHUP (the host's stop, or the host's death),
 *    kills every descendant the same way and exits.
 *
 * Its own failures have exit codes of their own, and a line on stderr
 * starting `plugboard launcher:`: 70 the host was gone at start, 75 the
 * sandbox could not be applied, 126 the program cannot be executed, 127 it
 * does not exist.
 *
 * This file imports nothing, so it starts as fast as Deno does.
 *
 * @module
 */

/** The launcher's configuration, its second argument (JSON). */
export interface LauncherConfig {
  /** The program, an absolute path. */
  program: string;
  /** Its arguments. */
  args: string[];
  /** A sandbox to apply before the plugin starts. */
  sandbox?: {
    /** URL of a module exporting `applySandbox(policy): void | Promise<void>`. */
    module: string;
    /** The policy, passed as is. */
    policy: unknown;
  };
}

/** Exit code: the host was gone when the launcher started. */
export const EXIT_HOST_GONE = 70;
/** Exit code: the sandbox could not be applied. */
export const EXIT_SANDBOX_FAILED = 75;
/** Exit code: the program exists but cannot be executed. */
export const EXIT_CANNOT_EXECUTE = 126;
/** Exit code: the program does not exist. */
export const EXIT_NOT_FOUND = 127;

const PR_SET_PDEATHSIG = 1;
const PR_SET_CHILD_SUBREAPER = 36;
const SIGKILL = 9;
const SIGTERM = 15;
const RLIMIT_CORE = 4;
const WNOHANG = 1;
/** How long the launcher keeps killing descendants that will not die. */
const KILL_BUDGET_MS = 2000;
const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

type Libc = ReturnType<typeof openLibc>;

function openLibc() {
  return Deno.dlopen("libc.so.6", {
    prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
    getppid: { parameters: [], result: "i32" },
    getpid: { parameters: [], result: "i32" },
    kill: { parameters: ["i32", "i32"], result: "i32" },
    signal: { parameters: ["i32", "pointer"], result: "pointer" },
    setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
    waitpid: { parameters: ["i32", "pointer", "i32"], result: "i32" },
    opendir: { parameters: ["buffer"], result: "pointer" },
    readdir64: { parameters: ["pointer"], result: "pointer" },
    closedir: { parameters: ["pointer"], result: "i32" },
    open: { parameters: ["buffer", "i32"], result: "i32" },
    read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
    close: { parameters: ["i32"], result: "i32" },
  }).symbols;
}

/** One process as /proc shows it. */
interface ProcEntry {
  pid: number;
  ppid: number;
  state: string;
}

const O_RDONLY = 0;
const O_CLOEXEC = 0o2000000;
/** Offset of `d_name` in glibc's `struct dirent64` (64-bit: ino, off, reclen, type). */
const D_NAME = 19;
const cstring = (s: string) => new TextEncoder().encode(s + "\0");
const statBuffer = new Uint8Array(1024);
const latin1 = new TextDecoder("latin1");

/**
 * Every process as /proc shows it, read through libc: Deno asks for
 * `--allow-all` before it reads anything under /proc.
 *
 * @param libc the libc symbols
 * @returns pid, parent pid and state of each process
 */
function readProcs(libc: Libc): ProcEntry[] {
  const out: ProcEntry[] = [];
  const dir = libc.opendir(cstring("/proc"));
  if (dir === null) return out;
  try {
    for (;;) {
      const entry = libc.readdir64(dir);
      if (entry === null) break;
      const name = Deno.UnsafePointerView.getCString(entry, D_NAME);
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      const fd = libc.open(cstring(`/proc/${name}/stat`), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue; // gone meanwhile
      const n = Number(libc.read(fd, statBuffer, BigInt(statBuffer.length)));
      libc.close(fd);
      if (n <= 0) continue;
      const stat = latin1.decode(statBuffer.subarray(0, n));
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ", 2);
      out.push({ pid: Number(name), state: rest[0], ppid: Number(rest[1]) });
    }
  } finally {
    libc.closedir(dir);
  }
  return out;
}

/**
 * The descendants of `root`, from /proc.
 *
 * @param libc the libc symbols
 * @param root the process whose descendants are wanted
 * @returns the living ones, and the zombies that are `root`'s own children
 */
function descendantsOf(libc: Libc, root: number): { alive: number[]; zombies: number[] } {
  const children = new Map<number, ProcEntry[]>();
  for (const p of readProcs(libc)) {
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  const alive: number[] = [];
  const zombies: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const p of children.get(queue.pop()!) ?? []) {
      if (p.state === "Z" || p.state === "X") {
        if (p.ppid === root) zombies.push(p.pid);
      } else {
        alive.push(p.pid);
      }
      queue.push(p.pid);
    }
  }
  return { alive, zombies };
}

/**
 * Kill every descendant of this process with SIGKILL, again and again until
 * none is left (one may fork while the others die: its child is re-parented
 * here and found by the next walk), and reap the adopted zombies.
 *
 * @param libc the libc symbols
 * @param own the plugin's pid, reaped by Deno (not here)
 */
async function killDescendants(libc: Libc, own: number | undefined): Promise<void> {
  const me = Deno.pid;
  const until = performance.now() + KILL_BUDGET_MS;
  for (;;) {
    const { alive, zombies } = descendantsOf(libc, me);
    for (const z of zombies) if (z !== own) libc.waitpid(z, null, WNOHANG);
    if (alive.length === 0 || performance.now() > until) return;
    for (const pid of alive) libc.kill(pid, SIGKILL);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function fail(code: number, message: string): never {
  console.error(`plugboard launcher: ${message}`);
  Deno.exit(code);
}

/**
 * Exit as the plugin did: with its exit code, or killed by its signal.
 *
 * @param libc the libc symbols
 * @param status the plugin's status
 */
function exitLike(libc: Libc, status: Deno.CommandStatus): never {
  if (status.signal !== null) {
    const signo = status.code - 128;
    // No core file of the launcher; the default action, not Deno's handler.
    libc.setrlimit(RLIMIT_CORE, new Uint8Array(16));
    libc.signal(signo, null);
    libc.kill(libc.getpid(), signo);
  }
  Deno.exit(status.code);
}

/**
 * Run the launcher: see the module documentation.
 *
 * @param hostPid the host's pid (the expected parent)
 * @param config the program, its arguments, the sandbox
 * @returns never: the process exits
 */
export async function runLauncher(hostPid: number, config: LauncherConfig): Promise<never> {
  const libc = openLibc();
  let stopping = false;
  let child: Deno.ChildProcess | undefined;
  const stop = async (signo: number) => {
    if (stopping) return;
    stopping = true;
    await killDescendants(libc, child?.pid);
    Deno.exit(128 + signo);
  };
  for (const [name, signo] of Object.entries(SIGNALS)) {
    Deno.addSignalListener(name as Deno.Signal, () => void stop(signo));
  }
  libc.prctl(PR_SET_PDEATHSIG, BigInt(SIGTERM), 0n, 0n, 0n);
  if (libc.getppid() !== hostPid) fail(EXIT_HOST_GONE, `the host (pid ${hostPid}) is gone`);
  libc.prctl(PR_SET_CHILD_SUBREAPER, 1n, 0n, 0n, 0n);
  const watch = setInterval(() => {
    if (libc.getppid() !== hostPid) void stop(SIGTERM);
  }, 500);
  Deno.unrefTimer(watch);

  if (config.sandbox) {
    try {
      const mod = await import(config.sandbox.module);
      if (typeof mod.applySandbox !== "function") {
        throw new Error(`${config.sandbox.module} exports no applySandbox()`);
      }
      await mod.applySandbox(config.sandbox.policy);
    } catch (e) {
      fail(
        EXIT_SANDBOX_FAILED,
        `cannot apply the sandbox: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }
  if (stopping) return await new Promise<never>(() => {});

  try {
    child = new Deno.Command(config.program, {
      args: config.args,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof Deno.errors.NotFound) {
      fail(EXIT_NOT_FOUND, `cannot start ${JSON.stringify(config.program)}: ${message}`);
    }
    fail(EXIT_CANNOT_EXECUTE, `cannot start ${JSON.stringify(config.program)}: ${message}`);
  }
  const status = await child.status;
  if (stopping) return await new Promise<never>(() => {});
  stopping = true;
  await killDescendants(libc, child.pid);
  exitLike(libc, status);
}

if (import.meta.main) {
  const [hostText, configText] = Deno.args;
  let config: LauncherConfig;
  try {
    config = JSON.parse(configText);
  } catch {
    fail(64, "usage: _launcher.ts HOST_PID CONFIG_JSON");
  }
  await runLauncher(Number(hostText), config);
}
