// Generated from src/isolate/_sandbox.ts by tasks/dist.ts (deno task dist): do not edit.
import { LoadError, PluginError } from "../errors/plugin_error.js";
export const RUNTIME_READ = Object.freeze([
    "/lib",
    "/lib64",
    "/usr/lib",
    "/usr/lib64",
    "/usr/local/lib",
    "/etc/ld.so.cache",
    "/etc/localtime",
    "/usr/share/zoneinfo",
    "/dev/zero",
    "/dev/random",
    "/dev/urandom",
    "/proc/sys/vm/overcommit_memory",
]);
export const RUNTIME_WRITE = Object.freeze(["/dev/null"]);
export const RUNTIME_EXECUTE = Object.freeze(["/lib64/ld-linux-x86-64.so.2"]);
const SYS = {
    read: 0,
    close: 3,
    fstat: 5,
    mmap: 9,
    mprotect: 10,
    munmap: 11,
    ioctl: 16,
    nanosleep: 35,
    getpid: 39,
    socket: 41,
    clone: 56,
    fork: 57,
    vfork: 58,
    execve: 59,
    fcntl: 72,
    readlink: 89,
    syslog: 103,
    capset: 126,
    vhangup: 153,
    modify_ldt: 154,
    pivot_root: 155,
    prctl: 157,
    chroot: 161,
    acct: 163,
    settimeofday: 164,
    mount: 165,
    umount2: 166,
    swapon: 167,
    swapoff: 168,
    reboot: 169,
    sethostname: 170,
    setdomainname: 171,
    iopl: 172,
    ioperm: 173,
    init_module: 175,
    delete_module: 176,
    quotactl: 179,
    gettid: 186,
    lookup_dcookie: 212,
    getdents64: 217,
    clock_settime: 227,
    tgkill: 234,
    kexec_load: 246,
    add_key: 248,
    request_key: 249,
    keyctl: 250,
    openat: 257,
    unshare: 272,
    dup3: 292,
    perf_event_open: 298,
    fanotify_init: 300,
    open_by_handle_at: 304,
    clock_adjtime: 305,
    setns: 308,
    finit_module: 313,
    seccomp: 317,
    memfd_create: 319,
    kexec_file_load: 320,
    bpf: 321,
    execveat: 322,
    userfaultfd: 323,
    io_uring_setup: 425,
    io_uring_enter: 426,
    io_uring_register: 427,
    open_tree: 428,
    move_mount: 429,
    fsopen: 430,
    fsconfig: 431,
    fsmount: 432,
    fspick: 433,
    clone3: 435,
    mount_setattr: 442,
    quotactl_fd: 443,
    landlock_create_ruleset: 444,
    landlock_add_rule: 445,
    landlock_restrict_self: 446,
};
const ALWAYS_REFUSED = [
    SYS.syslog,
    SYS.vhangup,
    SYS.modify_ldt,
    SYS.pivot_root,
    SYS.chroot,
    SYS.acct,
    SYS.settimeofday,
    SYS.mount,
    SYS.umount2,
    SYS.swapon,
    SYS.swapoff,
    SYS.reboot,
    SYS.sethostname,
    SYS.setdomainname,
    SYS.iopl,
    SYS.ioperm,
    SYS.init_module,
    SYS.delete_module,
    SYS.quotactl,
    SYS.lookup_dcookie,
    SYS.clock_settime,
    SYS.kexec_load,
    SYS.add_key,
    SYS.request_key,
    SYS.keyctl,
    SYS.unshare,
    SYS.perf_event_open,
    SYS.fanotify_init,
    SYS.open_by_handle_at,
    SYS.clock_adjtime,
    SYS.setns,
    SYS.finit_module,
    SYS.kexec_file_load,
    SYS.bpf,
    SYS.userfaultfd,
    SYS.io_uring_setup,
    SYS.io_uring_enter,
    SYS.io_uring_register,
    SYS.open_tree,
    SYS.move_mount,
    SYS.fsopen,
    SYS.fsconfig,
    SYS.fsmount,
    SYS.fspick,
    SYS.mount_setattr,
    SYS.quotactl_fd,
];
const EPERM = 1;
const ENOENT = 2;
const ESRCH = 3;
const ENOSYS = 38;
const EOPNOTSUPP = 95;
const AT_FDCWD = -100;
const O_RDONLY = 0;
const O_ACCMODE = 3;
const O_DIRECTORY = 0o200000;
const O_CLOEXEC = 0o2000000;
const O_PATH = 0o10000000;
const F_GETFD = 1;
const F_GETFL = 3;
const FD_CLOEXEC = 1;
const MFD_CLOEXEC = 1;
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const PROT_READ = 1;
const PROT_WRITE = 2;
const PROT_EXEC = 4;
const MAP_PRIVATE = 0x02;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const PR_SET_NO_NEW_PRIVS = 38;
const SA_RESTART = 0x10000000;
const LINUX_CAPABILITY_VERSION_3 = 0x20080522;
const AF_UNIX = 1;
const CLONE_THREAD = 0x10000;
const CLONE_NEW_MASK = 0x7e020000;
const TIOCSTI = 0x5412;
const TIOCLINUX = 0x541c;
const SECCOMP_SET_MODE_FILTER = 1;
const SECCOMP_GET_ACTION_AVAIL = 2;
const SECCOMP_FILTER_FLAG_TSYNC = 1;
const SECCOMP_RET_ALLOW = 0x7fff0000;
const SECCOMP_RET_ERRNO = 0x00050000;
const AUDIT_ARCH_X86_64 = 0xc000003e;
const X32_SYSCALL_BIT = 0x40000000;
const LANDLOCK_CREATE_RULESET_VERSION = 1;
const LANDLOCK_RULE_PATH_BENEATH = 1;
const FS = {
    EXECUTE: 1n << 0n,
    WRITE_FILE: 1n << 1n,
    READ_FILE: 1n << 2n,
    READ_DIR: 1n << 3n,
    REMOVE_DIR: 1n << 4n,
    REMOVE_FILE: 1n << 5n,
    MAKE_CHAR: 1n << 6n,
    MAKE_DIR: 1n << 7n,
    MAKE_REG: 1n << 8n,
    MAKE_SOCK: 1n << 9n,
    MAKE_FIFO: 1n << 10n,
    MAKE_BLOCK: 1n << 11n,
    MAKE_SYM: 1n << 12n,
    REFER: 1n << 13n,
    TRUNCATE: 1n << 14n,
    IOCTL_DEV: 1n << 15n,
};
const NET_BIND_TCP = 1n << 0n;
const NET_CONNECT_TCP = 1n << 1n;
const SCOPE_ABSTRACT_UNIX_SOCKET = 1n << 0n;
const SCOPE_SIGNAL = 1n << 1n;
const FILE_RIGHTS = FS.EXECUTE | FS.WRITE_FILE | FS.READ_FILE | FS.TRUNCATE | FS.IOCTL_DEV;
const READ_RIGHTS = FS.READ_FILE | FS.READ_DIR;
const WRITE_RIGHTS = READ_RIGHTS | FS.WRITE_FILE | FS.REMOVE_DIR | FS.REMOVE_FILE | FS.MAKE_DIR |
    FS.MAKE_REG | FS.MAKE_SOCK | FS.MAKE_FIFO | FS.MAKE_SYM | FS.REFER | FS.TRUNCATE;
const EXECUTE_RIGHTS = READ_RIGHTS | FS.EXECUTE;
const LANDLOCK_LINUX = ["", "5.13", "5.19", "6.2", "6.7", "6.10", "6.12", "6.15"];
export function handledFsRights(abi) {
    if (abi < 1)
        return 0n;
    let rights = (1n << 13n) - 1n;
    if (abi >= 2)
        rights |= FS.REFER;
    if (abi >= 3)
        rights |= FS.TRUNCATE;
    if (abi >= 5)
        rights |= FS.IOCTL_DEV;
    return rights;
}
const SYMBOLS = {
    syscall: {
        parameters: ["i64", "i64", "i64", "i64", "i64", "i64", "i64"],
        result: "i64",
    },
    sigaction: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
    __errno_location: { parameters: [], result: "pointer" },
};
let libc;
function lib() {
    libc ??= Deno.dlopen("libc.so.6", SYMBOLS).symbols;
    return libc;
}
function errno() {
    const p = lib().__errno_location();
    return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32();
}
const pinned = [];
function sys(nr, ...args) {
    const a = [0n, 0n, 0n, 0n, 0n, 0n];
    for (let i = 0; i < args.length; i++)
        a[i] = BigInt(args[i]);
    const r = Number(lib().syscall(BigInt(nr), a[0], a[1], a[2], a[3], a[4], a[5]));
    pinned.length = 0;
    return r === -1 ? -errno() : r;
}
function addr(buf) {
    pinned.push(buf);
    return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)));
}
function cstr(s) {
    return new TextEncoder().encode(`${s}\0`);
}
function openPath(path, flags) {
    const name = cstr(path);
    return sys(SYS.openat, AT_FDCWD, addr(name), flags, 0);
}
function fstat(fd) {
    const st = new BigUint64Array(18);
    if (sys(SYS.fstat, fd, addr(st)) !== 0)
        return undefined;
    const dv = new DataView(st.buffer);
    return {
        dev: dv.getBigUint64(0, true),
        ino: dv.getBigUint64(8, true),
        nlink: dv.getBigUint64(16, true),
        mode: dv.getUint32(24, true),
    };
}
function readText(path) {
    const fd = openPath(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return undefined;
    const chunks = [];
    const buf = new Uint8Array(65536);
    for (;;) {
        const n = sys(SYS.read, fd, addr(buf), buf.length);
        if (n <= 0)
            break;
        chunks.push(buf.slice(0, n));
    }
    sys(SYS.close, fd);
    const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let off = 0;
    for (const c of chunks) {
        all.set(c, off);
        off += c.length;
    }
    return new TextDecoder().decode(all);
}
function listDir(path) {
    const fd = openPath(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return fd;
    const names = [];
    const buf = new Uint8Array(32768);
    const dv = new DataView(buf.buffer);
    const dec = new TextDecoder();
    for (;;) {
        const n = sys(SYS.getdents64, fd, addr(buf), buf.length);
        if (n <= 0)
            break;
        for (let at = 0; at < n;) {
            const reclen = dv.getUint16(at + 16, true);
            const end = buf.indexOf(0, at + 19);
            const name = dec.decode(buf.subarray(at + 19, end));
            if (name !== "." && name !== "..")
                names.push(name);
            at += reclen;
        }
    }
    sys(SYS.close, fd);
    return names;
}
export function sandboxSupport() {
    if (Deno.build.os !== "linux") {
        return {
            landlockAbi: 0,
            seccomp: false,
            reason: `Landlock and seccomp are Linux only; this is ${Deno.build.os}`,
        };
    }
    if (Deno.build.arch !== "x86_64") {
        return {
            landlockAbi: 0,
            seccomp: false,
            reason: `the sandbox knows the x86_64 system calls only; this is ${Deno.build.arch}`,
        };
    }
    const reasons = [];
    let landlockAbi = sys(SYS.landlock_create_ruleset, 0, 0, LANDLOCK_CREATE_RULESET_VERSION);
    if (landlockAbi < 0) {
        reasons.push(landlockAbi === -EOPNOTSUPP
            ? "Landlock is not enabled at boot: add landlock to the lsm= kernel parameter"
            : landlockAbi === -ENOSYS
                ? "the kernel has no Landlock: it needs Linux 5.13 or later with CONFIG_SECURITY_LANDLOCK"
                : `landlock_create_ruleset failed with errno ${-landlockAbi}`);
        landlockAbi = 0;
    }
    const action = new Uint32Array([SECCOMP_RET_ERRNO]);
    const rc = sys(SYS.seccomp, SECCOMP_GET_ACTION_AVAIL, 0, addr(action));
    if (rc !== 0) {
        reasons.push(rc === -EOPNOTSUPP || rc === -ENOSYS || rc === -22
            ? "the kernel has no seccomp filters: it needs CONFIG_SECCOMP_FILTER"
            : `seccomp(SECCOMP_GET_ACTION_AVAIL) failed with errno ${-rc}`);
    }
    const support = { landlockAbi, seccomp: rc === 0 };
    if (reasons.length)
        support.reason = reasons.join("; ");
    return support;
}
function features(policy) {
    const out = [
        { what: "file access", abi: 1 },
        { what: "truncation", abi: 3 },
        { what: "device ioctls", abi: 5 },
        { what: "signals to other processes", abi: 6 },
    ];
    if (!policy.network)
        out.push({ what: "TCP on sockets made before the sandbox", abi: 4 });
    if (!policy.unixSockets)
        out.push({ what: "abstract unix sockets", abi: 6 });
    out.push({ what: "socket families, process creation and privileged calls (seccomp)", abi: 0 });
    return out;
}
export function planSandbox(policy, support, options = {}) {
    const missing = features(policy).filter((f) => f.abi === 0 ? !support.seccomp : support.landlockAbi < f.abi);
    const plan = { landlockAbi: support.landlockAbi, seccomp: support.seccomp };
    if (missing.length === 0)
        return { ...plan, missing: [] };
    const nothing = support.landlockAbi === 0 && !support.seccomp;
    if (options.allowUnconfined || (options.bestEffort && !nothing)) {
        return { ...plan, missing: missing.map((f) => f.what) };
    }
    const abi = Math.max(...missing.map((f) => f.abi));
    const needsSeccomp = missing.some((f) => f.abi === 0);
    const has = `${support.landlockAbi === 0 ? "no Landlock" : `Landlock ABI ${support.landlockAbi}`} and ${support.seccomp ? "seccomp filters" : "no seccomp filters"}`;
    throw sandboxError(options.path, {
        what: "the kernel cannot enforce the sandbox",
        expected: [
            ...(abi > 0 ? [`Landlock ABI ${abi} or later`] : []),
            ...(needsSeccomp ? ["seccomp filters"] : []),
        ].join(" and "),
        found: `${has}${support.reason ? ` (${support.reason})` : ""}, which cannot limit ${missing.map((f) => f.what).join("; ")}`,
        hint: `run on ${[
            ...(abi > 0 ? [`Linux ${LANDLOCK_LINUX[abi]} or later with Landlock enabled`] : []),
            ...(needsSeccomp ? ["a kernel with CONFIG_SECCOMP_FILTER"] : []),
        ].join(" and ")}, or accept less explicitly: bestEffort applies what this kernel supports, allowUnconfined runs without a sandbox`,
    });
}
function sandboxError(path, d) {
    if (path !== undefined)
        return new LoadError("SANDBOX_UNAVAILABLE", { path, ...d });
    return new PluginError("SANDBOX_UNAVAILABLE", `Cannot confine this process: ${d.what}: expected ${d.expected}, found ${d.found}`, { hint: d.hint, cause: d.cause });
}
const BPF_LD_W_ABS = 0x20;
const BPF_JEQ = 0x15;
const BPF_JGE = 0x35;
const BPF_JSET = 0x45;
const BPF_RET = 0x06;
const NR = 0;
const ARCH = 4;
const ARG_LO = (i) => 16 + 8 * i;
class Bpf {
    #insns = [];
    #labels = new Map();
    label(name) {
        this.#labels.set(name, this.#insns.length);
        return this;
    }
    ld(offset) {
        this.#insns.push({ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: offset });
        return this;
    }
    jeq(k, jt, jf = 0) {
        this.#insns.push({ code: BPF_JEQ, jt, jf, k });
        return this;
    }
    jge(k, jt, jf = 0) {
        this.#insns.push({ code: BPF_JGE, jt, jf, k });
        return this;
    }
    jset(k, jt, jf = 0) {
        this.#insns.push({ code: BPF_JSET, jt, jf, k });
        return this;
    }
    ret(k) {
        this.#insns.push({ code: BPF_RET, jt: 0, jf: 0, k });
        return this;
    }
    assemble() {
        const out = new Uint8Array(this.#insns.length * 8);
        const dv = new DataView(out.buffer);
        this.#insns.forEach((insn, i) => {
            const rel = (t) => {
                const to = typeof t === "number" ? i + 1 + t : this.#labels.get(t);
                if (to === undefined)
                    throw new Error(`BPF label ${t} is not defined`);
                const off = to - (i + 1);
                if (off < 0 || off > 255)
                    throw new Error(`BPF jump to ${t} out of range`);
                return off;
            };
            dv.setUint16(i * 8, insn.code, true);
            dv.setUint8(i * 8 + 2, rel(insn.jt));
            dv.setUint8(i * 8 + 3, rel(insn.jf));
            dv.setUint32(i * 8 + 4, insn.k >>> 0, true);
        });
        return out;
    }
}
export function seccompFilter(policy, options = {}) {
    const p = new Bpf();
    p.ld(ARCH).jeq(AUDIT_ARCH_X86_64, 0, "eperm");
    p.ld(NR).jge(X32_SYSCALL_BIT, "eperm");
    for (const nr of ALWAYS_REFUSED)
        p.jeq(nr, "eperm");
    p.jeq(SYS.clone3, "enosys");
    p.jeq(SYS.clone, "clone");
    p.jeq(SYS.ioctl, "ioctl");
    const filterSockets = !policy.network || !policy.unixSockets;
    if (filterSockets)
        p.jeq(SYS.socket, "socket");
    if (!policy.processes) {
        p.jeq(SYS.fork, "eperm").jeq(SYS.vfork, "eperm");
        if (!options.allowExec)
            p.jeq(SYS.execve, "eperm").jeq(SYS.execveat, "eperm");
    }
    p.ret(SECCOMP_RET_ALLOW);
    p.label("clone").ld(ARG_LO(0)).jset(CLONE_NEW_MASK, "eperm");
    if (!policy.processes)
        p.jset(CLONE_THREAD, "allow", "eperm");
    else
        p.ret(SECCOMP_RET_ALLOW);
    p.label("ioctl").ld(ARG_LO(1)).jeq(TIOCSTI, "eperm").jeq(TIOCLINUX, "eperm");
    p.ret(SECCOMP_RET_ALLOW);
    if (filterSockets) {
        p.label("socket").ld(ARG_LO(0)).jeq(AF_UNIX, 0, 1);
        p.ret(policy.unixSockets ? SECCOMP_RET_ALLOW : SECCOMP_RET_ERRNO | EPERM);
        p.ret(policy.network ? SECCOMP_RET_ALLOW : SECCOMP_RET_ERRNO | EPERM);
    }
    p.label("allow").ret(SECCOMP_RET_ALLOW);
    p.label("eperm").ret(SECCOMP_RET_ERRNO | EPERM);
    p.label("enosys").ret(SECCOMP_RET_ERRNO | ENOSYS);
    return p.assemble();
}
function openRules(policy, abi, options) {
    const handled = handledFsRights(abi);
    const wanted = [];
    const runtime = options.runtime ?? true;
    if (runtime) {
        for (const path of RUNTIME_READ)
            wanted.push({ path, rights: READ_RIGHTS, optional: true });
        for (const path of RUNTIME_WRITE) {
            wanted.push({ path, rights: READ_RIGHTS | FS.WRITE_FILE | FS.TRUNCATE, optional: true });
        }
        if ((policy.execute ?? []).length > 0) {
            for (const path of RUNTIME_EXECUTE) {
                wanted.push({ path, rights: EXECUTE_RIGHTS, optional: true });
            }
        }
    }
    for (const path of policy.read)
        wanted.push({ path, rights: READ_RIGHTS, optional: false });
    for (const path of policy.write)
        wanted.push({ path, rights: WRITE_RIGHTS, optional: false });
    for (const path of policy.execute ?? []) {
        wanted.push({ path, rights: EXECUTE_RIGHTS, optional: false });
    }
    const rules = [];
    try {
        for (const w of wanted) {
            if (w.path.includes("\0")) {
                throw new TypeError(`a sandbox path contains NUL: ${JSON.stringify(w.path)}`);
            }
            const fd = openPath(w.path, O_PATH | O_CLOEXEC);
            if (fd < 0) {
                if (w.optional)
                    continue;
                throw new PluginError(fd === -ENOENT ? "NOT_FOUND" : "PERMISSION_DENIED", `Cannot confine this process: the policy's path ${JSON.stringify(w.path)} ${fd === -ENOENT ? "does not exist" : `cannot be opened (errno ${-fd})`}`, {
                    path: w.path,
                    hint: "create it before applying the sandbox, or leave it out of the policy",
                });
            }
            const st = fstat(fd);
            const isDir = st !== undefined && (st.mode & S_IFMT) === S_IFDIR;
            rules.push({ path: w.path, fd, access: w.rights & handled & (isDir ? ~0n : FILE_RIGHTS) });
        }
    }
    catch (e) {
        for (const r of rules)
            sys(SYS.close, r.fd);
        throw e;
    }
    return rules;
}
function createRuleset(policy, abi, rules, path) {
    const attr = new BigUint64Array(3);
    attr[0] = handledFsRights(abi);
    if (abi >= 4 && !policy.network)
        attr[1] = NET_BIND_TCP | NET_CONNECT_TCP;
    if (abi >= 6)
        attr[2] = SCOPE_SIGNAL | (policy.unixSockets ? 0n : SCOPE_ABSTRACT_UNIX_SOCKET);
    const size = abi >= 6 ? 24 : abi >= 4 ? 16 : 8;
    const fd = sys(SYS.landlock_create_ruleset, addr(attr), size, 0);
    if (fd < 0)
        throw kernelRefused(path, "landlock_create_ruleset", fd);
    const beneath = new Uint8Array(12);
    const dv = new DataView(beneath.buffer);
    for (const r of rules) {
        if (r.access === 0n)
            continue;
        dv.setBigUint64(0, r.access, true);
        dv.setInt32(8, r.fd, true);
        const rc = sys(SYS.landlock_add_rule, fd, LANDLOCK_RULE_PATH_BENEATH, addr(beneath), 0);
        if (rc < 0) {
            sys(SYS.close, fd);
            throw kernelRefused(path, `landlock_add_rule for ${JSON.stringify(r.path)}`, rc);
        }
    }
    return fd;
}
function kernelRefused(path, call, rc) {
    return sandboxError(path, {
        what: `the kernel refused ${call}`,
        expected: "success",
        found: `errno ${-rc}`,
        hint: "this process may be partly confined now: end it; if this repeats, report it with the kernel version",
    });
}
export const HANDLER_ASSEMBLY = [
    ["53", "push rbx"],
    ["4154", "push r12"],
    ["4155", "push r13"],
    ["48bb8877665544332211", "movabs rbx, 0x1122334455667788"],
    ["448b23", "mov r12d, dword ptr [rbx]"],
    ["4c8d6b40", "lea r13, [rbx + 64]"],
    ["4585e4", "1: test r12d, r12d"],
    ["742c", "jz 2f"],
    ["498b4500", "mov rax, [r13]"],
    ["498b7d08", "mov rdi, [r13 + 8]"],
    ["498b7510", "mov rsi, [r13 + 16]"],
    ["498b5518", "mov rdx, [r13 + 24]"],
    ["4d8b5520", "mov r10, [r13 + 32]"],
    ["4d8b4528", "mov r8, [r13 + 40]"],
    ["4d8b4d30", "mov r9, [r13 + 48]"],
    ["0f05", "syscall"],
    ["4885c0", "test rax, rax"],
    ["750f", "jnz 3f"],
    ["4983c538", "add r13, 56"],
    ["41ffcc", "dec r12d"],
    ["ebcf", "jmp 1b"],
    ["f0ff4304", "2: lock inc dword ptr [rbx + 4]"],
    ["eb09", "jmp 4f"],
    ["f7d8", "3: neg eax"],
    ["89430c", "mov dword ptr [rbx + 12], eax"],
    ["f0ff4308", "lock inc dword ptr [rbx + 8]"],
    ["415d", "4: pop r13"],
    ["415c", "pop r12"],
    ["5b", "pop rbx"],
    ["c3", "ret"],
];
const HANDLER_CODE = new Uint8Array(HANDLER_ASSEMBLY.flatMap(([hex]) => hex.match(/../g).map((b) => parseInt(b, 16))));
const HANDLER_DATA_OFFSET = 7;
const PAGE = 4096;
const ENTRIES_AT = 64;
const CAP_AT = 2048;
const ACK_TIMEOUT_MS = 2000;
const CAPS_HEADER = Symbol("capset header");
const CAPS_DATA = Symbol("capset data");
function onAllThreads(calls, path) {
    const c = lib();
    const pid = sys(SYS.getpid);
    const self = sys(SYS.gettid);
    const code = sys(SYS.mmap, 0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    const data = sys(SYS.mmap, 0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code < 0 || data < 0)
        throw kernelRefused(path, "mmap", code < 0 ? code : data);
    const dataPtr = Deno.UnsafePointer.create(BigInt(data));
    const mem = new DataView(Deno.UnsafePointerView.getArrayBuffer(dataPtr, PAGE));
    const codeMem = new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(Deno.UnsafePointer.create(BigInt(code)), PAGE));
    codeMem.set(HANDLER_CODE);
    new DataView(codeMem.buffer).setBigUint64(HANDLER_DATA_OFFSET, BigInt(data), true);
    let sig = 0;
    const old = new Uint8Array(152);
    try {
        const rc = sys(SYS.mprotect, code, PAGE, PROT_READ | PROT_EXEC);
        if (rc !== 0)
            throw kernelRefused(path, "mprotect", rc);
        mem.setUint32(CAP_AT, LINUX_CAPABILITY_VERSION_3, true);
        const pointer = (v) => v === CAPS_HEADER
            ? BigInt(data + CAP_AT)
            : v === CAPS_DATA
                ? BigInt(data + CAP_AT + 8)
                : BigInt(v);
        mem.setUint32(0, calls.length, true);
        calls.forEach((call, i) => {
            for (let j = 0; j < 7; j++) {
                mem.setBigUint64(ENTRIES_AT + i * 56 + j * 8, j < call.length ? pointer(call[j]) : 0n, true);
            }
        });
        for (let s = 64; s >= 34 && sig === 0; s--) {
            if (c.sigaction(s, null, old) === 0 && new DataView(old.buffer).getBigUint64(0, true) === 0n) {
                sig = s;
            }
        }
        if (sig === 0)
            throw kernelRefused(path, "sigaction (no free real-time signal)", -EPERM);
        const act = new Uint8Array(152);
        const av = new DataView(act.buffer);
        av.setBigUint64(0, BigInt(code), true);
        act.fill(0xff, 8, 136);
        av.setInt32(136, SA_RESTART, true);
        if (c.sigaction(sig, act, null) !== 0)
            throw kernelRefused(path, "sigaction", -errno());
        const done = new Set();
        let threads = 0;
        for (let round = 0;; round++) {
            const todo = [];
            const tasks = listDir("/proc/self/task");
            if (typeof tasks === "number") {
                throw kernelRefused(path, "listing the threads in /proc/self/task (is /proc mounted?)", tasks);
            }
            for (const name of tasks) {
                const tid = Number(name);
                if (tid === self)
                    continue;
                const key = threadKey(tid);
                if (key !== undefined && !done.has(key))
                    todo.push({ tid, key });
            }
            if (todo.length === 0)
                break;
            if (round === 100) {
                throw kernelRefused(path, "confining threads (they keep appearing)", -EPERM);
            }
            for (const { tid, key } of todo) {
                const before = mem.getUint32(4, true) + mem.getUint32(8, true);
                const failedBefore = mem.getUint32(8, true);
                if (sys(SYS.tgkill, pid, tid, sig) === -ESRCH)
                    continue;
                const until = performance.now() + ACK_TIMEOUT_MS;
                const nap = new BigInt64Array([0n, 20000n]);
                while (mem.getUint32(4, true) + mem.getUint32(8, true) === before) {
                    if (sys(SYS.tgkill, pid, tid, 0) === -ESRCH)
                        break;
                    if (performance.now() > until) {
                        throw kernelRefused(path, `confining thread ${tid} (no answer to signal ${sig})`, -EPERM);
                    }
                    sys(SYS.nanosleep, addr(nap), 0);
                }
                if (mem.getUint32(8, true) !== failedBefore) {
                    throw kernelRefused(path, `confining thread ${tid}`, -mem.getInt32(12, true));
                }
                done.add(key);
                threads++;
            }
        }
        for (const [nr, ...args] of calls) {
            const rc = sys(nr, ...args.map(pointer));
            if (rc !== 0)
                throw kernelRefused(path, `system call ${nr} on the main thread`, rc);
        }
        return threads + 1;
    }
    finally {
        if (sig !== 0)
            c.sigaction(sig, old, null);
        sys(SYS.munmap, code, PAGE);
        sys(SYS.munmap, data, PAGE);
    }
}
function threadKey(tid) {
    const stat = readText(`/proc/self/task/${tid}/stat`);
    if (stat === undefined)
        return undefined;
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return `${tid}:${fields[19]}`;
}
function revokeInheritedWrites(keep, path) {
    const revoked = [];
    const kept = new Set();
    for (const fd of [0, 1, 2, ...keep]) {
        const st = fstat(fd);
        if (st)
            kept.add(`${st.dev}:${st.ino}`);
    }
    const name = cstr("plugboard-revoked");
    const fds = listDir("/proc/self/fd");
    if (typeof fds === "number") {
        throw kernelRefused(path, "listing the descriptors in /proc/self/fd (is /proc mounted?)", fds);
    }
    for (const entry of fds) {
        const fd = Number(entry);
        if (fd <= 2 || keep.includes(fd))
            continue;
        const fl = sys(SYS.fcntl, fd, F_GETFL);
        if (fl < 0 || (fl & O_ACCMODE) === O_RDONLY)
            continue;
        const st = fstat(fd);
        if (!st || (st.mode & S_IFMT) !== S_IFREG || st.nlink === 0n)
            continue;
        if (kept.has(`${st.dev}:${st.ino}`))
            continue;
        const target = readLink(`/proc/self/fd/${fd}`);
        const fdFlags = sys(SYS.fcntl, fd, F_GETFD);
        const memfd = sys(SYS.memfd_create, addr(name), MFD_CLOEXEC);
        if (memfd < 0)
            throw kernelRefused(path, "memfd_create", memfd);
        const rc = sys(SYS.dup3, memfd, fd, fdFlags >= 0 && fdFlags & FD_CLOEXEC ? O_CLOEXEC : 0);
        sys(SYS.close, memfd);
        if (rc < 0)
            throw kernelRefused(path, `dup3 over descriptor ${fd}`, rc);
        revoked.push(`descriptor ${fd} (${target})`);
    }
    const maps = readText("/proc/self/maps") ?? "";
    for (const line of maps.split("\n")) {
        const m = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) \S+ (\d+)\s+(\/.*)$/.exec(line);
        if (!m)
            continue;
        const [, from, to, perms, offset, inode, file] = m;
        if (perms[1] !== "w" || perms[3] !== "s" || file.endsWith(" (deleted)"))
            continue;
        const fd = openPath(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            throw kernelRefused(path, `reopening ${JSON.stringify(file)} to remap it`, fd);
        try {
            const st = fstat(fd);
            if (!st || (st.mode & S_IFMT) !== S_IFREG || st.ino !== BigInt(inode))
                continue;
            const start = BigInt(`0x${from}`);
            const len = BigInt(`0x${to}`) - start;
            const prot = (perms[0] === "r" ? PROT_READ : 0) | PROT_WRITE |
                (perms[2] === "x" ? PROT_EXEC : 0);
            const rc = sys(SYS.mmap, start, len, prot, MAP_PRIVATE | MAP_FIXED, fd, BigInt(`0x${offset}`));
            if (BigInt(rc) !== start) {
                throw kernelRefused(path, `mmap over the shared mapping of ${JSON.stringify(file)}`, rc);
            }
            revoked.push(`shared mapping of ${file}`);
        }
        finally {
            sys(SYS.close, fd);
        }
    }
    return revoked;
}
function readLink(path) {
    const buf = new Uint8Array(4096);
    const name = cstr(path);
    const n = sys(SYS.readlink, addr(name), addr(buf), buf.length);
    return n > 0 ? new TextDecoder().decode(buf.subarray(0, n)) : "?";
}
export function applySandbox(policy, options = {}) {
    const plan = planSandbox(policy, sandboxSupport(), options);
    const abi = plan.landlockAbi;
    if (abi === 0 && !plan.seccomp)
        return { ...plan, threads: 0, revoked: [] };
    const rules = abi > 0 ? openRules(policy, abi, options) : [];
    const filter = plan.seccomp ? seccompFilter(policy, options) : undefined;
    let ruleset = -1;
    try {
        const revoked = options.revokeInheritedWrites ?? true
            ? revokeInheritedWrites(options.keepFds ?? [], options.path)
            : [];
        if (abi > 0)
            ruleset = createRuleset(policy, abi, rules, options.path);
        for (const r of rules)
            sys(SYS.close, r.fd);
        rules.length = 0;
        const calls = [[SYS.prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0]];
        if (ruleset >= 0)
            calls.push([SYS.landlock_restrict_self, ruleset, 0]);
        calls.push([SYS.capset, CAPS_HEADER, CAPS_DATA]);
        const threads = onAllThreads(calls, options.path);
        if (filter) {
            const prog = new BigUint64Array([BigInt(filter.length / 8), addr(filter)]);
            const rc = sys(SYS.seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, addr(prog));
            if (rc !== 0) {
                throw kernelRefused(options.path, rc > 0 ? `seccomp TSYNC (thread ${rc} could not be synchronised)` : "seccomp", rc > 0 ? -EPERM : rc);
            }
        }
        return { ...plan, threads, revoked };
    }
    finally {
        for (const r of rules)
            sys(SYS.close, r.fd);
        if (ruleset >= 0)
            sys(SYS.close, ruleset);
    }
}
