/**
 * Shared by the sandbox tests: the probe plugin's functions, errno values,
 * and a way to run `_confined_child.ts` and read what it printed.
 *
 * @module
 */

import type { ChildConfig, ChildOutput } from "./_confined_child.ts";
import { fixture } from "../_paths.ts";

/** The functions of tests/fixtures/sandbox_probe.c. */
export const PROBE_SIGNATURES = {
  read_file: "i32 read_file(cstring path)",
  read_fd: "i32 read_fd(i32 fd)",
  write_file: "i32 write_file(cstring path)",
  tcp_connect: "i32 tcp_connect(i32 port)",
  connect_fd: "i32 connect_fd(i32 fd, i32 port)",
  bind_fd: "i32 bind_fd(i32 fd)",
  udp_socket: "i32 udp_socket()",
  netlink_socket: "i32 netlink_socket()",
  unix_socket: "i32 unix_socket()",
  unix_pair: "i32 unix_pair()",
  do_fork: "i32 do_fork()",
  do_exec: "i32 do_exec(cstring path)",
  spawn: "i32 spawn(cstring path, cstring arg)",
  spawn_copy: "i32 spawn_copy(cstring path)",
  make_thread: "i32 make_thread()",
  send_signal: "i32 send_signal(i32 pid, i32 sig)",
  signal_thread: "i32 signal_thread(i32 tid, i32 sig)",
  peek_process: "i32 peek_process(i32 pid)",
  writable_files: "i32 writable_files()",
  io_uring: "i32 io_uring()",
  tiocsti: "i32 tiocsti()",
  keyring: "i32 keyring()",
  int80_getpid: "i32 int80_getpid()",
  load_library: "i32 load_library(cstring name)",
  add: "i32 add(i32 a, i32 b)",
  getpid_loop: "i32 getpid_loop(i32 n)",
  open_loop: "i32 open_loop(cstring path, i32 n)",
} as const;

/** errno values (x86_64 Linux), negated as the probe returns them. */
export const E = {
  PERM: -1,
  NOENT: -2,
  ACCES: -13,
  FAULT: -14,
  NOTTY: -25,
  NOSYS: -38,
} as const;

/** The built probe plugin. */
export const PROBE: string = fixture("sandbox_probe");

/** What a child run gave: its output, exit code and standard error. */
export interface ChildRun {
  out: ChildOutput;
  code: number;
  signal: Deno.Signal | null;
  stderr: string;
}

const CHILD = new URL("./_confined_child.ts", import.meta.url).pathname;

/**
 * Run `_confined_child.ts` with a configuration.
 *
 * @param config what the child does
 * @param env extra environment variables
 * @returns its output; throws when it printed no JSON
 */
export async function runChild(
  config: ChildConfig,
  env: Record<string, string> = {},
): Promise<ChildRun> {
  // stdin is a pipe, as in an isolation child (TIOCSTI then fails with ENOTTY unconfined).
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "--no-config", CHILD, JSON.stringify(config)],
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await child.stdin.close();
  const res = await child.output();
  const stdout = new TextDecoder().decode(res.stdout);
  const stderr = new TextDecoder().decode(res.stderr);
  const line = stdout.trim().split("\n").pop() ?? "";
  let out: ChildOutput;
  try {
    out = JSON.parse(line);
  } catch {
    throw new Error(
      `the sandbox test child printed no result (exit ${res.code}, signal ${res.signal}):\n${stdout}\n${stderr}`,
    );
  }
  return { out, code: res.code, signal: res.signal, stderr };
}

/**
 * Fail with the Debian package to install when the probe plugin cannot be
 * built (the tests never skip silently).
 */
export async function ensureProbeBuilt(): Promise<void> {
  const { buildPlugin } = await import("../../tasks/build.ts");
  try {
    await buildPlugin({
      source: new URL("../fixtures/sandbox_probe.c", import.meta.url).pathname,
      output: PROBE,
    });
  } catch (e) {
    throw new Error(
      `cannot build tests/fixtures/sandbox_probe.c (install the Debian package gcc): ${
        (e as Error).message
      }`,
    );
  }
}
