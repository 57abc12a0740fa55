/**
 * applySandbox(): a child Deno process confines itself, loads the probe
 * plugin (from its sealed memfd, as isolation does) and tries one thing per
 * probe call. Every refusal must be the exact errno (EACCES from Landlock,
 * EPERM from seccomp and scoping), every allowed action must work, and the
 * child must end normally; the same probes run unconfined for contrast.
 */
import assert from "node:assert/strict";
import { PluginError } from "../../src/errors/plugin_error.ts";
import { applySandbox, sandboxSupport } from "../../src/isolate/_sandbox.ts";
import type { ChildConfig } from "./_confined_child.ts";
import { E, ensureProbeBuilt, PROBE, runChild } from "./_probe.ts";

await ensureProbeBuilt();

/** A temporary directory with `allowed/in.txt`, `allowed/` writable, `readonly.txt`, and a TCP listener. */
async function setup(): Promise<
  { dir: string; port: number; [Symbol.asyncDispose](): Promise<void> }
> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "plugboard-sandbox-test-" }));
  await Deno.mkdir(`${dir}/allowed`);
  await Deno.writeTextFile(`${dir}/allowed/in.txt`, "in");
  await Deno.writeTextFile(`${dir}/readonly.txt`, "ro");
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = (async () => {
    for await (const conn of listener) conn.close();
  })();
  return {
    dir,
    port: (listener.addr as Deno.NetAddr).port,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting.catch(() => {});
      await Deno.remove(dir, { recursive: true });
    },
  };
}

type Probe = ChildConfig["probes"][number];

function peekUnconfined(): number {
  let scope = 0;
  try {
    scope = Number(Deno.readTextFileSync("/proc/sys/kernel/yama/ptrace_scope"));
  } catch {
    // No Yama: ptrace access follows ownership alone.
  }
  return (Deno.uid() === 0 && scope < 3) || scope === 0 ? E.FAULT : E.PERM;
}

/** label, call, result confined (default policy), result unconfined. */
function cases(dir: string, port: number): [Probe, number, number][] {
  return [
    [["read /etc/passwd", "read_file", "/etc/passwd"], E.ACCES, 0],
    [["read an allowed file", "read_file", `${dir}/allowed/in.txt`], 0, 0],
    // Landlock checks opens: a file opened before stays readable (a limit),
    // reopening it through /proc/self/fd is checked like its path.
    [["read /etc/passwd opened before", "read_fd", "$file0"], 0, 0],
    [["reopen it through /proc/self/fd", "read_file", "/proc/self/fd/$file0"], E.ACCES, 0],
    [["read a read-only file", "read_file", `${dir}/readonly.txt`], 0, 0],
    [["write in the allowed directory", "write_file", `${dir}/allowed/out.txt`], 0, 0],
    [["write outside it", "write_file", `${dir}/outside.txt`], E.ACCES, 0],
    [["write a read-only file", "write_file", `${dir}/readonly.txt`], E.ACCES, 0],
    [["new TCP socket, connect", "tcp_connect", port], E.PERM, 0],
    [["TCP socket made before, connect", "connect_fd", "$socket0", port], E.ACCES, 0],
    [["TCP socket made before, bind", "bind_fd", "$socket1"], E.ACCES, 0],
    [["UDP socket", "udp_socket"], E.PERM, 0],
    [["netlink socket", "netlink_socket"], E.PERM, 0],
    [["unix socket", "unix_socket"], E.PERM, 0],
    [["unix socketpair", "unix_pair"], 0, 0],
    [["fork", "do_fork"], E.PERM, 0],
    [["execve", "do_exec", "/nonexistent/plugboard"], E.PERM, E.NOENT],
    [["fork + execve /usr/bin/true", "spawn", "/usr/bin/true", ""], E.PERM, 0],
    [["thread", "make_thread"], 0, 0],
    [["signal to the parent", "send_signal", Deno.pid, 0], E.PERM, 0],
    [["signal to another thread of this process", "signal_thread", "$thread", 0], 0, 0],
    // Unconfined, Yama decides: allowed (then the address faults) for root
    // below scope 3 and for anyone at scope 0.
    [["read the parent's memory", "peek_process", Deno.pid], E.PERM, peekUnconfined()],
    [["io_uring", "io_uring"], E.PERM, 0],
    [["TIOCSTI", "tiocsti"], E.PERM, E.NOTTY],
    [["keyring", "keyring"], E.PERM, 0],
    [["32-bit system call", "int80_getpid"], E.PERM, 0],
    [["dlopen libz.so.1", "load_library", "libz.so.1"], 0, 0],
  ];
}

Deno.test("sandboxSupport() reports Landlock and seccomp on this kernel", () => {
  const support = sandboxSupport();
  // Not a skip: the sandbox tests need both, and say so.
  assert.ok(
    support.landlockAbi >= 6 && support.seccomp,
    `these tests need Landlock ABI 6+ and seccomp; found ${JSON.stringify(support)}`,
  );
});

Deno.test("applySandbox() refuses what the policy does not allow, with the exact errno", async (t) => {
  await using env = await setup();
  const list = cases(env.dir, env.port);
  const policy = {
    read: [`${env.dir}/readonly.txt`, PROBE],
    write: [`${env.dir}/allowed`],
    network: false,
    processes: false,
  };
  const confined = await runChild({
    plugin: PROBE,
    policy,
    sockets: 2,
    files: ["/etc/passwd"],
    probes: list.map(([p]) => p),
    denoReads: ["/etc/passwd", `${env.dir}/readonly.txt`],
  });
  const unconfined = await runChild({
    plugin: PROBE,
    sockets: 2,
    files: ["/etc/passwd"],
    probes: list.map(([p]) => p),
    denoReads: ["/etc/passwd"],
  });
  await t.step("the confined child ends normally, silently", () => {
    assert.equal(confined.code, 0);
    assert.equal(confined.signal, null);
    assert.equal(confined.stderr, "");
  });
  for (const [[label], inside, outside] of list) {
    await t.step(`${label}: ${inside} confined, ${outside} unconfined`, () => {
      assert.equal(confined.out.results[label], inside);
      assert.equal(unconfined.out.results[label], outside);
    });
  }
  await t.step("Deno's own reads, on the main thread and in the blocking pool", () => {
    assert.deepEqual(confined.out.denoReads, {
      "sync /etc/passwd": "PermissionDenied",
      "async /etc/passwd": "PermissionDenied",
      [`sync ${env.dir}/readonly.txt`]: "ok",
      [`async ${env.dir}/readonly.txt`]: "ok",
    });
    assert.deepEqual(unconfined.out.denoReads, {
      "sync /etc/passwd": "ok",
      "async /etc/passwd": "ok",
    });
  });
});

Deno.test("applySandbox() revokes write access to files the process held", async () => {
  const probes: Probe[] = [["writable", "writable_files"]];
  const unconfined = await runChild({ plugin: PROBE, probes });
  const confined = await runChild({
    plugin: PROBE,
    probes,
    policy: { read: [PROBE], write: [], network: false, processes: false },
  });
  // Deno keeps its SQLite caches (DENO_DIR) open for writing.
  assert.ok(unconfined.out.results.writable > 0, JSON.stringify(unconfined.out));
  assert.equal(confined.out.results.writable, 0);
  const report = confined.out.report as { revoked: string[]; threads: number };
  assert.ok(report.revoked.some((r) => r.includes("v8_code_cache_v2")), report.revoked.join("\n"));
  assert.ok(report.threads > 1, `threads: ${report.threads}`);
  assert.equal(confined.code, 0);
  assert.equal(confined.stderr, "");
});

/**
 * A static program that exits with the errno of opening /etc/passwd (0 when
 * it can), built into a temporary directory.
 */
async function staticProgram(dir: string): Promise<string> {
  await Deno.writeTextFile(
    `${dir}/opener.c`,
    '#include <errno.h>\n#include <fcntl.h>\nint main(void) { return open("/etc/passwd", O_RDONLY) < 0 ? errno : 0; }\n',
  );
  const out = await new Deno.Command("cc", {
    args: ["-static", "-O2", "-o", `${dir}/opener`, `${dir}/opener.c`],
    stderr: "piped",
  }).output().catch((e) => {
    throw new Error(`cannot run cc (install the Debian packages gcc and libc6-dev): ${e}`);
  });
  assert.ok(
    out.success,
    `cc -static failed (install the Debian package libc6-dev): ${
      new TextDecoder().decode(out.stderr)
    }`,
  );
  return `${dir}/opener`;
}

/** The opener's exit status when it ran and could not open /etc/passwd: EACCES. */
const RAN_AND_REFUSED = -E.ACCES;

Deno.test("applySandbox() with processes: true confines what the child starts", async (t) => {
  await using env = await setup();
  const opener = await staticProgram(env.dir);
  const probes: Probe[] = [
    ["true", "spawn", "/usr/bin/true", ""],
    ["cat /etc/passwd", "spawn", "/usr/bin/cat", "/etc/passwd"],
    ["cat the plugin", "spawn", "/usr/bin/cat", PROBE],
    ["sh", "spawn", "/bin/sh", ""],
    ["opener", "spawn", opener, ""],
    // Landlock does not check the execution of a memfd: a program the
    // plugin can read runs without an execute right, confined like its parent.
    ["opener copied into a memfd", "spawn_copy", opener],
    ["fork", "do_fork"],
  ];
  const base = { read: [PROBE, opener], write: [], network: false, processes: true };
  const table: [string, ChildConfig["policy"], Record<string, number>][] = [
    [
      "with /usr/bin/true and /usr/bin/cat executable",
      { ...base, execute: ["/usr/bin/true", "/usr/bin/cat"] },
      // cat runs, inherits the sandbox, and fails to open /etc/passwd (exit 1).
      {
        "true": 0,
        "cat /etc/passwd": 1,
        "cat the plugin": 0,
        "sh": E.ACCES,
        "opener": E.ACCES,
        "opener copied into a memfd": RAN_AND_REFUSED,
        "fork": 0,
      },
    ],
    [
      "with nothing executable",
      base,
      {
        "true": E.ACCES,
        "cat /etc/passwd": E.ACCES,
        "cat the plugin": E.ACCES,
        "sh": E.ACCES,
        "opener": E.ACCES,
        "opener copied into a memfd": RAN_AND_REFUSED,
        "fork": 0,
      },
    ],
  ];
  for (const [name, policy, expected] of table) {
    await t.step(name, async () => {
      const run = await runChild({ plugin: PROBE, policy, probes });
      assert.deepEqual(run.out.results, expected);
      assert.equal(run.code, 0);
    });
  }
  await t.step("unconfined, the opener reads /etc/passwd", async () => {
    const run = await runChild({ plugin: PROBE, probes: [["opener", "spawn", opener, ""]] });
    assert.deepEqual(run.out.results, { opener: 0 });
  });
});

Deno.test("applySandbox() refuses a policy path that does not exist, before changing anything", () => {
  // Safe to call in the test process: the paths are opened before any step.
  assert.throws(
    () =>
      applySandbox({
        read: ["/nonexistent/plugboard"],
        write: [],
        network: false,
        processes: false,
      }),
    (e) => {
      assert.ok(e instanceof PluginError);
      assert.equal(e.code, "NOT_FOUND");
      assert.equal(
        e.summary,
        'Cannot confine this process: the policy\'s path "/nonexistent/plugboard" does not exist',
      );
      assert.equal(e.hint, "create it before applying the sandbox, or leave it out of the policy");
      assert.equal(e.path, "/nonexistent/plugboard");
      return true;
    },
  );
  // Still unconfined.
  assert.equal(Deno.readTextFileSync("/etc/passwd").length > 0, true);
});

Deno.test("applySandbox() options: network, unix sockets, allowExec", async (t) => {
  await using env = await setup();
  const probes: Probe[] = [
    ["tcp", "tcp_connect", env.port],
    ["udp", "udp_socket"],
    ["unix", "unix_socket"],
    ["exec", "do_exec", "/nonexistent/plugboard"],
    ["fork", "do_fork"],
  ];
  const base = { read: [PROBE], write: [], network: false, processes: false };
  const table: [string, ChildConfig["policy"], ChildConfig["options"], Record<string, number>][] = [
    ["network: true", { ...base, network: true }, {}, {
      tcp: 0,
      udp: 0,
      unix: E.PERM,
      exec: E.PERM,
      fork: E.PERM,
    }],
    ["unixSockets: true", { ...base, unixSockets: true }, {}, {
      tcp: E.PERM,
      udp: E.PERM,
      unix: 0,
      exec: E.PERM,
      fork: E.PERM,
    }],
    // A launcher replaces itself with the program: execve passes seccomp
    // (here it fails on the missing file), fork stays refused.
    ["allowExec", base, { allowExec: true }, {
      tcp: E.PERM,
      udp: E.PERM,
      unix: E.PERM,
      exec: E.NOENT,
      fork: E.PERM,
    }],
  ];
  for (const [name, policy, options, expected] of table) {
    await t.step(name, async () => {
      const run = await runChild({ plugin: PROBE, policy, options, probes });
      assert.deepEqual(run.out.results, expected);
      assert.equal(run.code, 0);
    });
  }
});
