/**
 * The OS sandbox of isolated plugins, as a host asks for it: what a plugin's
 * process may read, write, execute, and whether it may use the network or
 * start processes. The process applies it (Linux Landlock and seccomp,
 * `_sandbox.ts`) before any code of the plugin runs: the isolation child
 * before it loads a native plugin, the launcher before it starts a
 * subprocess plugin's program. A host that asks for a sandbox the kernel
 * cannot enforce gets `SANDBOX_UNAVAILABLE` before anything starts, unless
 * it allowed less.
 *
 * @module
 */

import { resolve } from "../file/paths.ts";
import { planSandbox, type SandboxPolicy, sandboxSupport } from "./_sandbox.ts";

/**
 * What a sandboxed plugin may do. Everything not granted is refused by the
 * kernel with `EACCES` or `EPERM` (the plugin sees an error from the system
 * call; the host goes on).
 */
export interface Sandbox {
  /**
   * Files and directories (recursively) it may read, besides its own file
   * (and, for a script, its interpreter) and the shared libraries every
   * process needs.
   * @default []
   */
  read?: readonly string[];
  /**
   * Files and directories (recursively) it may read, write, create and
   * remove in.
   * @default []
   */
  write?: readonly string[];
  /**
   * Files and directories it may execute (with `processes: true`).
   * @default []
   */
  execute?: readonly string[];
  /**
   * Sockets of every family but unix ones, TCP bind and connect.
   * @default false
   */
  network?: boolean;
  /**
   * New processes: fork, vfork, execve.
   * @default false
   */
  processes?: boolean;
  /**
   * Unix sockets made with socket(2) (they reach every local daemon the user
   * can reach); socketpair(2) always works.
   * @default false
   */
  unixSockets?: boolean;
  /**
   * When the kernel cannot enforce all of it, apply what it can instead of
   * refusing with `SANDBOX_UNAVAILABLE`.
   * @default false
   */
  bestEffort?: boolean;
  /**
   * Run unconfined when the kernel can enforce nothing, instead of refusing
   * with `SANDBOX_UNAVAILABLE`: never silently weaker.
   * @default false
   */
  allowUnconfined?: boolean;
}

/** A sandbox resolved for one plugin: the policy and what to accept. */
export interface ResolvedSandbox {
  /** The policy, paths absolute. */
  readonly policy: SandboxPolicy;
  /** Apply what the kernel can. */
  readonly bestEffort: boolean;
  /** Accept running unconfined. */
  readonly allowUnconfined: boolean;
}

/**
 * The policy for one plugin, checked against what the kernel offers.
 *
 * @param option the host's option: `true` for the defaults, a policy, or nothing
 * @param plugin the plugin's real path and, for a program, what must be executable
 * @returns the resolved sandbox, or undefined when none was asked for
 * @throws {LoadError} `SANDBOX_UNAVAILABLE` when the kernel cannot enforce it
 */
export function resolveSandbox(
  option: boolean | Sandbox | undefined,
  plugin: { path: string; realPath: string; execute?: readonly string[] },
): ResolvedSandbox | undefined {
  if (option === undefined || option === false) return undefined;
  const o: Sandbox = option === true ? {} : option;
  const abs = (paths: readonly string[] | undefined) => (paths ?? []).map((p) => resolve(p));
  const policy: SandboxPolicy = {
    // Deno's own stack checks read the process's memory map (glibc's
    // pthread_getattr_np): a confined Deno needs it, and it shows the
    // process nothing but itself.
    read: [plugin.realPath, "/proc/self/maps", ...abs(o.read)],
    write: abs(o.write),
    execute: [...abs(plugin.execute), ...abs(o.execute)],
    network: o.network ?? false,
    processes: o.processes ?? false,
    unixSockets: o.unixSockets ?? false,
  };
  const resolved = {
    policy,
    bestEffort: o.bestEffort ?? false,
    allowUnconfined: o.allowUnconfined ?? false,
  };
  // Refuse here, before anything starts, what the process would refuse.
  planSandbox(policy, sandboxSupport(), { ...resolved, path: plugin.path });
  return resolved;
}

/** The URL of the module that applies a sandbox, for the launcher to import. */
export const SANDBOX_MODULE: string = new URL("./_sandbox.ts", import.meta.url).href;
