// Generated from src/isolate/_launcher.ts by tasks/dist.ts (deno task dist): do not edit.
export const EXIT_HOST_GONE = 70;
export const EXIT_SANDBOX_FAILED = 75;
export const EXIT_CANNOT_EXECUTE = 126;
export const EXIT_NOT_FOUND = 127;
const PR_SET_PDEATHSIG = 1;
const PR_SET_CHILD_SUBREAPER = 36;
const SIGKILL = 9;
const SIGTERM = 15;
const RLIMIT_CORE = 4;
const WNOHANG = 1;
const KILL_BUDGET_MS = 2000;
const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };
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
        execv: { parameters: ["buffer", "buffer"], result: "i32" },
        __errno_location: { parameters: [], result: "pointer" },
    }).symbols;
}
function execProgram(libc, program, args) {
    const strings = [program, ...args].map(cstring);
    const argv = new BigUint64Array(strings.length + 1);
    strings.forEach((b, i) => argv[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(b))));
    libc.execv(strings[0], new Uint8Array(argv.buffer));
    const e = libc.__errno_location();
    return e === null ? 0 : new Deno.UnsafePointerView(e).getInt32();
}
const O_RDONLY = 0;
const O_CLOEXEC = 0o2000000;
const D_NAME = 19;
const cstring = (s) => new TextEncoder().encode(s + "\0");
const statBuffer = new Uint8Array(1024);
const latin1 = new TextDecoder("latin1");
function readProcs(libc) {
    const out = [];
    const dir = libc.opendir(cstring("/proc"));
    if (dir === null)
        return out;
    try {
        for (;;) {
            const entry = libc.readdir64(dir);
            if (entry === null)
                break;
            const name = Deno.UnsafePointerView.getCString(entry, D_NAME);
            const c = name.charCodeAt(0);
            if (c < 48 || c > 57)
                continue;
            const fd = libc.open(cstring(`/proc/${name}/stat`), O_RDONLY | O_CLOEXEC);
            if (fd < 0)
                continue;
            const n = Number(libc.read(fd, statBuffer, BigInt(statBuffer.length)));
            libc.close(fd);
            if (n <= 0)
                continue;
            const stat = latin1.decode(statBuffer.subarray(0, n));
            const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ", 2);
            out.push({ pid: Number(name), state: rest[0], ppid: Number(rest[1]) });
        }
    }
    finally {
        libc.closedir(dir);
    }
    return out;
}
function descendantsOf(libc, root) {
    const children = new Map();
    for (const p of readProcs(libc)) {
        const list = children.get(p.ppid);
        if (list)
            list.push(p);
        else
            children.set(p.ppid, [p]);
    }
    const alive = [];
    const zombies = [];
    const queue = [root];
    while (queue.length > 0) {
        for (const p of children.get(queue.pop()) ?? []) {
            if (p.state === "Z" || p.state === "X") {
                if (p.ppid === root)
                    zombies.push(p.pid);
            }
            else {
                alive.push(p.pid);
            }
            queue.push(p.pid);
        }
    }
    return { alive, zombies };
}
async function killDescendants(libc, own) {
    const me = Deno.pid;
    const until = performance.now() + KILL_BUDGET_MS;
    for (;;) {
        const { alive, zombies } = descendantsOf(libc, me);
        for (const z of zombies)
            if (z !== own)
                libc.waitpid(z, null, WNOHANG);
        if (alive.length === 0 || performance.now() > until)
            return;
        for (const pid of alive)
            libc.kill(pid, SIGKILL);
        await new Promise((r) => setTimeout(r, 2));
    }
}
function fail(code, message) {
    console.error(`plugboard launcher: ${message}`);
    Deno.exit(code);
}
function exitLike(libc, status) {
    if (status.signal !== null) {
        const signo = status.code - 128;
        libc.setrlimit(RLIMIT_CORE, new Uint8Array(16));
        libc.signal(signo, null);
        libc.kill(libc.getpid(), signo);
    }
    Deno.exit(status.code);
}
export async function runLauncher(hostPid, config) {
    const libc = openLibc();
    let stopping = false;
    let child;
    const stop = async (signo) => {
        if (stopping)
            return;
        stopping = true;
        await killDescendants(libc, child?.pid);
        Deno.exit(128 + signo);
    };
    for (const [name, signo] of Object.entries(SIGNALS)) {
        Deno.addSignalListener(name, () => void stop(signo));
    }
    libc.prctl(PR_SET_PDEATHSIG, BigInt(SIGTERM), 0n, 0n, 0n);
    if (libc.getppid() !== hostPid)
        fail(EXIT_HOST_GONE, `the host (pid ${hostPid}) is gone`);
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1n, 0n, 0n, 0n);
    const watch = setInterval(() => {
        if (libc.getppid() !== hostPid)
            void stop(SIGTERM);
    }, 500);
    Deno.unrefTimer(watch);
    if (config.sandbox) {
        let apply;
        try {
            const mod = await import(config.sandbox.module);
            if (typeof mod.applySandbox !== "function") {
                throw new Error(`${config.sandbox.module} exports no applySandbox()`);
            }
            apply = mod.applySandbox;
        }
        catch (e) {
            fail(EXIT_SANDBOX_FAILED, `cannot load the sandbox: ${e instanceof Error ? e.message : String(e)}`);
        }
        if (stopping)
            return await new Promise(() => { });
        try {
            apply(config.sandbox.policy, config.sandbox.options);
        }
        catch (e) {
            fail(EXIT_SANDBOX_FAILED, `cannot apply the sandbox: ${e instanceof Error ? e.message : String(e)}`);
        }
        if (config.sandbox.exec) {
            libc.prctl(PR_SET_PDEATHSIG, BigInt(SIGKILL), 0n, 0n, 0n);
            if (libc.getppid() !== hostPid)
                fail(EXIT_HOST_GONE, `the host (pid ${hostPid}) is gone`);
            const errno = execProgram(libc, config.program, config.args);
            fail(errno === 2 ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE, `cannot execute ${JSON.stringify(config.program)} (errno ${errno})`);
        }
    }
    if (stopping)
        return await new Promise(() => { });
    try {
        child = new Deno.Command(config.program, {
            args: config.args,
            stdin: "inherit",
            stdout: "inherit",
            stderr: "inherit",
        }).spawn();
    }
    catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (e instanceof Deno.errors.NotFound) {
            fail(EXIT_NOT_FOUND, `cannot start ${JSON.stringify(config.program)}: ${message}`);
        }
        fail(EXIT_CANNOT_EXECUTE, `cannot start ${JSON.stringify(config.program)}: ${message}`);
    }
    const status = await child.status;
    if (stopping)
        return await new Promise(() => { });
    stopping = true;
    await killDescendants(libc, child.pid);
    exitLike(libc, status);
}
if (import.meta.main) {
    const [hostText, configText] = Deno.args;
    let config;
    try {
        config = JSON.parse(configText);
    }
    catch {
        fail(64, "usage: _launcher.ts HOST_PID CONFIG_JSON");
    }
    await runLauncher(Number(hostText), config);
}
