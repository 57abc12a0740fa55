// Generated from src/isolate/_rpc_process.ts by tasks/dist.ts (deno task dist): do not edit.
import { signalProcess } from "../file/libc.js";
import { sha256Hex } from "../file/sha256.js";
import { resolve } from "../file/paths.js";
import { LoadError, PluginError } from "../errors/plugin_error.js";
import { Fairness, LineBuffer } from "./_rpc_lines.js";
import { RPC_COOKIE, RPC_COOKIE_ENV, RPC_MAX_LINE_ENV, RPC_MODE_ENV, RPC_VERSION_ENV, RPC_VERSIONS, } from "./_rpc_protocol.js";
export const STDERR_TAIL_LINES = 20;
export const STDERR_LINE_BYTES = 16 * 1024;
export const DRAIN_MS = 500;
export const LAUNCHER_DEFAULT = Deno.build.os === "linux";
export const LAUNCHER_STOP_MS = 1000;
const LAUNCHER_URL = new URL("./_launcher.js", import.meta.url);
const REMOTE = /^https?:/.test(import.meta.url);
export async function ensureLauncherCached() {
    if (REMOTE)
        await Promise.all([import("./_launcher.js"), import("./_sandbox.js")]);
}
export class ProgramProcess {
    child;
    pid;
    launched;
    #stopped = false;
    #fallback;
    constructor(path, opts) {
        if (opts.sandbox && !opts.launcher) {
            throw new PluginError("USAGE", `Cannot sandbox plugin ${JSON.stringify(path)} without the launcher`, {
                path,
                hint: "the launcher applies the sandbox before the plugin starts: leave launcher on",
            });
        }
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
            detached: true,
        };
        try {
            this.child = opts.launcher
                ? new Deno.Command(Deno.execPath(), {
                    args: launcherArgs(program, opts),
                    env,
                    cwd: opts.cwd,
                    ...io,
                }).spawn()
                : new Deno.Command(program, { args: [...opts.args], env, cwd: opts.cwd, ...io }).spawn();
        }
        catch (e) {
            throw spawnError(path, e, opts.launcher);
        }
        this.pid = this.child.pid;
        this.launched = opts.launcher;
    }
    stop() {
        if (this.#stopped)
            return;
        this.#stopped = true;
        if (!this.launched) {
            this.killGroup();
            return;
        }
        try {
            this.child.kill("SIGTERM");
        }
        catch {
        }
        this.#fallback = setTimeout(() => this.killGroup(), LAUNCHER_STOP_MS);
        Deno.unrefTimer(this.#fallback);
    }
    killGroup() {
        signalProcess(-this.pid, "SIGKILL");
    }
    exited() {
        clearTimeout(this.#fallback);
        this.killGroup();
    }
}
function launcherArgs(program, opts) {
    const reads = [];
    let sandbox;
    if (opts.sandbox) {
        const url = new URL(opts.sandbox.module);
        if (url.protocol === "file:") {
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
        ...(REMOTE ? ["--cached-only"] : []),
        "--allow-ffi",
        ...read,
        run,
        LAUNCHER_URL.href,
        String(Deno.pid),
        JSON.stringify({ program, args: [...opts.args], sandbox }),
    ];
}
export function checkProgram(path, sha256) {
    let stat;
    try {
        stat = Deno.statSync(path);
    }
    catch (e) {
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
function spawnError(path, e, launcher) {
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
export async function readStderr(stream, tail, onLine) {
    const decoder = new TextDecoder();
    const lines = new LineBuffer(STDERR_LINE_BYTES, "split");
    const emit = (bytes) => {
        const line = decoder.decode(bytes);
        tail.push(line);
        if (tail.length > STDERR_TAIL_LINES)
            tail.shift();
        try {
            onLine(line);
        }
        catch {
        }
    };
    const reader = stream.getReader();
    const fairness = new Fairness();
    try {
        for (;;) {
            const { value, done } = await reader.read();
            if (done)
                break;
            lines.push(value, emit);
            await fairness.turn();
        }
    }
    catch {
    }
    finally {
        const rest = lines.rest();
        if (rest)
            emit(rest);
        reader.releaseLock();
    }
}
export async function runOnce(path, opts) {
    const p = new ProgramProcess(path, opts);
    opts.onStart?.(p);
    const tail = [];
    let timedOut = false;
    let overflow = false;
    const chunks = [];
    let size = 0;
    const stdoutDone = (async () => {
        const reader = p.child.stdout.getReader();
        const fairness = new Fairness();
        try {
            for (;;) {
                const { value, done } = await reader.read();
                if (done)
                    return;
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
        }
        catch {
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
export function drain(done) {
    return new Promise((r) => {
        const t = setTimeout(r, DRAIN_MS);
        void done.then(() => {
            clearTimeout(t);
            r();
        });
    });
}
