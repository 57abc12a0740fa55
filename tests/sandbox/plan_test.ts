/**
 * The parts of the sandbox that need no particular kernel: planSandbox()'s
 * refusals (class, code, message, hint), the seccomp program run through a
 * BPF interpreter, and the Landlock rights handled per ABI.
 */
import assert from "node:assert/strict";
import { LoadError, PluginError } from "../../src/errors/plugin_error.ts";
import {
  handledFsRights,
  HANDLER_ASSEMBLY,
  planSandbox,
  type SandboxOptions,
  type SandboxPolicy,
  type SandboxSupport,
  seccompFilter,
} from "../../src/isolate/_sandbox.ts";

const STRICT: SandboxPolicy = { read: [], write: [], network: false, processes: false };
const ALL_ABI6 = [
  "file access",
  "truncation",
  "device ioctls",
  "signals to other processes",
  "TCP on sockets made before the sandbox",
  "abstract unix sockets",
];
const SECCOMP = "socket families, process creation and privileged calls (seccomp)";
const HINT_TAIL =
  "or accept less explicitly: bestEffort applies what this kernel supports, allowUnconfined runs without a sandbox";

Deno.test("planSandbox() applies everything when the kernel supports it", () => {
  assert.deepEqual(planSandbox(STRICT, { landlockAbi: 7, seccomp: true }), {
    landlockAbi: 7,
    seccomp: true,
    missing: [],
  });
  // network and unix sockets allowed: TCP and abstract-socket limits are not needed.
  assert.deepEqual(
    planSandbox({ ...STRICT, network: true, unixSockets: true }, { landlockAbi: 6, seccomp: true }),
    { landlockAbi: 6, seccomp: true, missing: [] },
  );
});

Deno.test("planSandbox() refuses a kernel that lacks something, naming it", async (t) => {
  type ErrorClass = typeof PluginError | typeof LoadError;
  const table: [string, SandboxSupport, SandboxOptions, ErrorClass, string, string][] = [
    [
      "no Landlock, no seccomp",
      {
        landlockAbi: 0,
        seccomp: false,
        reason: "Landlock is not enabled at boot: add landlock to the lsm= kernel parameter",
      },
      {},
      PluginError,
      `Cannot confine this process: the kernel cannot enforce the sandbox: expected Landlock ABI 6 or later and seccomp filters, found no Landlock and no seccomp filters (Landlock is not enabled at boot: add landlock to the lsm= kernel parameter), which cannot limit ${
        [...ALL_ABI6, SECCOMP].join("; ")
      }`,
      `run on Linux 6.12 or later with Landlock enabled and a kernel with CONFIG_SECCOMP_FILTER, ${HINT_TAIL}`,
    ],
    [
      "Landlock ABI 4, for a plugin",
      { landlockAbi: 4, seccomp: true },
      { path: "build/x.so" },
      LoadError,
      'Cannot load plugin "build/x.so": the kernel cannot enforce the sandbox: expected Landlock ABI 6 or later, found Landlock ABI 4 and seccomp filters, which cannot limit device ioctls; signals to other processes; abstract unix sockets',
      `run on Linux 6.12 or later with Landlock enabled, ${HINT_TAIL}`,
    ],
    [
      "Landlock ABI 2",
      { landlockAbi: 2, seccomp: true },
      {},
      PluginError,
      "Cannot confine this process: the kernel cannot enforce the sandbox: expected Landlock ABI 6 or later, found Landlock ABI 2 and seccomp filters, which cannot limit truncation; device ioctls; signals to other processes; TCP on sockets made before the sandbox; abstract unix sockets",
      `run on Linux 6.12 or later with Landlock enabled, ${HINT_TAIL}`,
    ],
    [
      "no seccomp",
      { landlockAbi: 7, seccomp: false },
      {},
      PluginError,
      `Cannot confine this process: the kernel cannot enforce the sandbox: expected seccomp filters, found Landlock ABI 7 and no seccomp filters, which cannot limit ${SECCOMP}`,
      `run on a kernel with CONFIG_SECCOMP_FILTER, ${HINT_TAIL}`,
    ],
    [
      "best effort, but nothing at all",
      { landlockAbi: 0, seccomp: false },
      { bestEffort: true },
      PluginError,
      `Cannot confine this process: the kernel cannot enforce the sandbox: expected Landlock ABI 6 or later and seccomp filters, found no Landlock and no seccomp filters, which cannot limit ${
        [...ALL_ABI6, SECCOMP].join("; ")
      }`,
      `run on Linux 6.12 or later with Landlock enabled and a kernel with CONFIG_SECCOMP_FILTER, ${HINT_TAIL}`,
    ],
  ];
  for (const [name, support, options, cls, summary, hint] of table) {
    await t.step(name, () => {
      assert.throws(() => planSandbox(STRICT, support, options), (e) => {
        assert.ok(e instanceof cls, `${(e as Error).name} is not ${cls.name}`);
        assert.equal(e.constructor, cls);
        assert.equal(e.code, "SANDBOX_UNAVAILABLE");
        assert.equal(e.summary, summary);
        assert.equal(e.hint, hint);
        assert.equal(e.message, `${summary}\nhint: ${hint}`);
        return true;
      });
    });
  }
});

Deno.test("planSandbox() applies less only when the caller said so", async (t) => {
  const table: [string, SandboxSupport, SandboxOptions, number, boolean, string[]][] = [
    ["best effort on ABI 4", { landlockAbi: 4, seccomp: true }, { bestEffort: true }, 4, true, [
      "device ioctls",
      "signals to other processes",
      "abstract unix sockets",
    ]],
    [
      "best effort without seccomp",
      { landlockAbi: 7, seccomp: false },
      { bestEffort: true },
      7,
      false,
      [
        SECCOMP,
      ],
    ],
    [
      "unconfined allowed, nothing available",
      { landlockAbi: 0, seccomp: false },
      {
        allowUnconfined: true,
      },
      0,
      false,
      [...ALL_ABI6, SECCOMP],
    ],
    [
      "unconfined allowed, part available",
      { landlockAbi: 0, seccomp: true },
      {
        allowUnconfined: true,
      },
      0,
      true,
      ALL_ABI6,
    ],
  ];
  for (const [name, support, options, abi, seccomp, missing] of table) {
    await t.step(name, () => {
      assert.deepEqual(planSandbox(STRICT, support, options), {
        landlockAbi: abi,
        seccomp,
        missing,
      });
    });
  }
});

Deno.test("handledFsRights() handles every right each Landlock ABI knows", async (t) => {
  const table: [number, bigint][] = [
    [0, 0n],
    [1, 0x1fffn],
    [2, 0x3fffn], // + REFER
    [3, 0x7fffn], // + TRUNCATE
    [4, 0x7fffn], // (network)
    [5, 0xffffn], // + IOCTL_DEV
    [6, 0xffffn], // (scoping)
    [7, 0xffffn], // (audit)
  ];
  for (const [abi, rights] of table) {
    await t.step(
      `ABI ${abi}: 0x${rights.toString(16)}`,
      () => assert.equal(handledFsRights(abi), rights),
    );
  }
});

// ---------------------------------------------------------------------------
// A classic-BPF interpreter for seccomp programs (the instructions the
// filter uses: ld [k], jeq/jge/jset #k, ret #k).

const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;
const ALLOW = 0x7fff0000;
const EPERM = 0x00050000 | 1;
const ENOSYS = 0x00050000 | 38;

function run(prog: Uint8Array, nr: number, args: number[] = [], arch = AUDIT_ARCH_X86_64): number {
  const data = new DataView(new ArrayBuffer(64));
  data.setUint32(0, nr, true);
  data.setUint32(4, arch, true);
  args.forEach((a, i) => data.setBigUint64(16 + 8 * i, BigInt(a), true));
  const code = new DataView(prog.buffer, prog.byteOffset, prog.byteLength);
  let acc = 0;
  for (let pc = 0; pc * 8 < prog.length;) {
    const op = code.getUint16(pc * 8, true);
    const jt = code.getUint8(pc * 8 + 2);
    const jf = code.getUint8(pc * 8 + 3);
    const k = code.getUint32(pc * 8 + 4, true);
    pc++;
    switch (op) {
      case 0x20: // ld w abs
        acc = data.getUint32(k, true);
        break;
      case 0x15: // jeq k
        pc += acc === k ? jt : jf;
        break;
      case 0x35: // jge k
        pc += acc >= k ? jt : jf;
        break;
      case 0x45: // jset k
        pc += (acc & k) !== 0 ? jt : jf;
        break;
      case 0x06: // ret k
        return k;
      default:
        throw new Error(`unexpected BPF opcode 0x${op.toString(16)}`);
    }
  }
  throw new Error("the program fell off its end");
}

const NR = {
  read: 0,
  ioctl: 16,
  socket: 41,
  socketpair: 53,
  clone: 56,
  fork: 57,
  vfork: 58,
  execve: 59,
  kill: 62,
  mount: 165,
  init_module: 175,
  keyctl: 250,
  unshare: 272,
  execveat: 322,
  bpf: 321,
  io_uring_setup: 425,
  clone3: 435,
  landlock_restrict_self: 446,
};
/** glibc's pthread_create flags; fork's (SIGCHLD plus tid bookkeeping). */
const THREAD_FLAGS = 0x3d0f00;
const FORK_FLAGS = 0x1200011;
const CLONE_NEWUSER = 0x10000000;
const AF_UNIX = 1;
const AF_INET = 2;
const AF_NETLINK = 16;

Deno.test("seccompFilter() gives each system call the verdict of the policy", async (t) => {
  const strict = seccompFilter(STRICT);
  const open = seccompFilter({ ...STRICT, network: true, processes: true, unixSockets: true });
  const launcher = seccompFilter(STRICT, { allowExec: true });
  const table: [string, number, number[], number, number, number, number?][] = [
    // name, nr, args, strict, open (everything allowed), launcher, arch
    ["read", NR.read, [0], ALLOW, ALLOW, ALLOW],
    ["landlock_restrict_self", NR.landlock_restrict_self, [3, 0], ALLOW, ALLOW, ALLOW],
    ["socket(AF_UNIX)", NR.socket, [AF_UNIX, 1, 0], EPERM, ALLOW, EPERM],
    ["socket(AF_INET)", NR.socket, [AF_INET, 1, 0], EPERM, ALLOW, EPERM],
    ["socket(AF_NETLINK)", NR.socket, [AF_NETLINK, 3, 0], EPERM, ALLOW, EPERM],
    ["socketpair(AF_UNIX)", NR.socketpair, [AF_UNIX, 1, 0], ALLOW, ALLOW, ALLOW],
    ["clone for a thread", NR.clone, [THREAD_FLAGS], ALLOW, ALLOW, ALLOW],
    ["clone for a process", NR.clone, [FORK_FLAGS], EPERM, ALLOW, EPERM],
    ["clone with CLONE_NEWUSER", NR.clone, [FORK_FLAGS | CLONE_NEWUSER], EPERM, EPERM, EPERM],
    ["clone3", NR.clone3, [0, 88], ENOSYS, ENOSYS, ENOSYS],
    ["fork", NR.fork, [], EPERM, ALLOW, EPERM],
    ["vfork", NR.vfork, [], EPERM, ALLOW, EPERM],
    ["execve", NR.execve, [], EPERM, ALLOW, ALLOW],
    ["execveat", NR.execveat, [], EPERM, ALLOW, ALLOW],
    ["kill", NR.kill, [1, 9], ALLOW, ALLOW, ALLOW],
    ["ioctl(TIOCSTI)", NR.ioctl, [0, 0x5412], EPERM, EPERM, EPERM],
    ["ioctl(TIOCLINUX)", NR.ioctl, [0, 0x541c], EPERM, EPERM, EPERM],
    ["ioctl(TCGETS)", NR.ioctl, [0, 0x5401], ALLOW, ALLOW, ALLOW],
    ["mount", NR.mount, [], EPERM, EPERM, EPERM],
    ["init_module", NR.init_module, [], EPERM, EPERM, EPERM],
    ["keyctl", NR.keyctl, [], EPERM, EPERM, EPERM],
    ["unshare", NR.unshare, [CLONE_NEWUSER], EPERM, EPERM, EPERM],
    ["bpf", NR.bpf, [], EPERM, EPERM, EPERM],
    ["io_uring_setup", NR.io_uring_setup, [1, 0], EPERM, EPERM, EPERM],
    ["an x32 call", 0x40000000 | NR.read, [], EPERM, EPERM, EPERM],
    ["an i386 call (getpid)", 20, [], EPERM, EPERM, EPERM, AUDIT_ARCH_I386],
  ];
  for (const [name, nr, args, s, o, l, arch] of table) {
    await t.step(name, () => {
      assert.equal(run(strict, nr, args, arch), s, "strict");
      assert.equal(run(open, nr, args, arch), o, "everything allowed");
      assert.equal(run(launcher, nr, args, arch), l, "allowExec");
    });
  }
});

Deno.test("the signal handler's bytes are what its assembly encodes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-sandbox-asm-" });
  try {
    const source = [".intel_syntax noprefix", ".text", ...HANDLER_ASSEMBLY.map(([, asm]) => asm)]
      .join("\n");
    await Deno.writeTextFile(`${dir}/h.s`, `${source}\n`);
    const run = async (cmd: string, args: string[]) => {
      let out: Deno.CommandOutput;
      try {
        out = await new Deno.Command(cmd, { args, stderr: "piped" }).output();
      } catch (e) {
        throw new Error(`cannot run ${cmd} (install the Debian package binutils): ${e}`);
      }
      assert.ok(out.success, `${cmd}: ${new TextDecoder().decode(out.stderr)}`);
    };
    await run("as", ["-o", `${dir}/h.o`, `${dir}/h.s`]);
    await run("objcopy", ["-O", "binary", "-j", ".text", `${dir}/h.o`, `${dir}/h.bin`]);
    const bytes = await Deno.readFile(`${dir}/h.bin`);
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    assert.equal(hex, HANDLER_ASSEMBLY.map(([h]) => h).join(""));
    assert.equal(bytes.length, 92);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
