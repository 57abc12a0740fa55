/**
 * Scenario "sandbox": the same plugin reads a secret file when isolated
 * without a sandbox, and is refused by the kernel when confined.
 *
 * @module
 */

import { defineInterface, openPlugin } from "../../mod.ts";
import { check, code, heading, say, tempDir } from "./_kit.ts";
import { defineScenario } from "./_runner.ts";

/** The scenario's definition. */
export const scenario = defineScenario(import.meta.url, {
  name: "sandbox",
  title: "An OS sandbox for isolated plugins",
  description: "Writes a secret into a file of its own, then opens the probe plugin " +
    "`build/fixtures/sandbox_probe.so` twice in a child process: once without a sandbox, where " +
    "its `read_file(path)` reads the secret and its `tcp_connect` reaches a local port, and once with `sandbox: true`, where the kernel refuses both, and a `fork()`, while its own work (`add`) goes on. `read_file` returns 0 or `-errno`.",
  why:
    "A native plugin runs with every right of its process: Deno's permissions (`--allow-read`, " +
    "`--allow-net`) stop JavaScript, not machine code, which calls the kernel directly. In an " +
    "isolated plugin's child, plugboard can ask the kernel itself to confine the process before " +
    "the plugin's code (its ELF constructors included) runs: Landlock limits the files it may " +
    "open to its own file and the system's shared libraries (plus what the host grants), a " +
    "seccomp filter refuses new sockets and new processes, and the confinement covers every " +
    "thread and cannot be lifted. The plugin sees an ordinary error from the system call " +
    "(`EACCES`, `EPERM`), not a crash, and the host goes on. A kernel that cannot enforce the " +
    "policy makes the open fail with `SANDBOX_UNAVAILABLE` rather than run weaker.",
  expect: {
    lines: [
      "-- without a sandbox",
      '> await openPlugin("build/fixtures/sandbox_probe.so", { isolation: "process" })',
      "add(2, 3) = 5",
      "read_file(secret) = 0 (read)",
      "tcp_connect(port) = 0 (connected)",
      "-- with sandbox: true",
      '> await openPlugin("build/fixtures/sandbox_probe.so", { isolation: "process", sandbox: true })',
      "add(2, 3) = 5",
      "read_file(secret) = -13 (EACCES)",
      "tcp_connect(port) = -1 (EPERM)",
      "do_fork() = -1 (EPERM)",
      "ok: the unconfined plugin read the secret; the confined one was refused by the kernel and kept working",
    ],
  },
  timeoutMs: 60_000,
});

const Probe = defineInterface("sandbox.probe", "1.0", {
  add: "i32 add(i32 a, i32 b)",
  read_file: "i32 read_file(cstring path)",
  tcp_connect: "i32 tcp_connect(i32 port)",
  do_fork: "i32 do_fork()",
});

const NAMES: Record<number, string> = { [-13]: "EACCES", [-1]: "EPERM", 0: "" };

function show(label: string, value: number, ok: string): void {
  say(`${label} = ${value} (${value === 0 ? ok : NAMES[value] ?? "errno"})`);
}

async function main(): Promise<void> {
  const dir = await tempDir();
  const secret = `${dir}/secret.txt`;
  await Deno.writeTextFile(secret, "the launch codes");
  const server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  void (async () => {
    for await (const c of server) c.close();
  })().catch(() => {});
  const results: number[][] = [];
  for (const sandbox of [false, true]) {
    heading(sandbox ? "with sandbox: true" : "without a sandbox");
    code(
      `await openPlugin("build/fixtures/sandbox_probe.so", { isolation: "process"${
        sandbox ? ", sandbox: true" : ""
      } })`,
    );
    await using plugin = await openPlugin("build/fixtures/sandbox_probe.so", {
      isolation: "process",
      sandbox,
      log: () => {},
    });
    const f = plugin.functions(Probe.declarations);
    say(`add(2, 3) = ${await f.add(2, 3)}`);
    const read = await f.read_file(secret);
    show("read_file(secret)", read, "read");
    const tcp = await f.tcp_connect(server.addr.port);
    show("tcp_connect(port)", tcp, "connected");
    const row = [read, tcp];
    if (sandbox) {
      const fork = await f.do_fork();
      show("do_fork()", fork, "forked");
      row.push(fork);
    }
    results.push(row);
  }
  server.close();
  check(
    "the unconfined plugin read the secret; the confined one was refused by the kernel and kept working",
    JSON.stringify(results) === JSON.stringify([[0, 0], [-13, -1, -1]]),
    JSON.stringify(results),
  );
}

if (import.meta.main) await main();
