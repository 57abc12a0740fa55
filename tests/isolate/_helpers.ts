/**
 * Helpers shared by the isolation tests.
 *
 * @module
 */

import type { LogRecord, LogSink } from "../../src/log/log_record.ts";
import { fixture, plugin } from "../_paths.ts";

/** A log sink that keeps every record. */
export function collectLog(): {
  sink: LogSink;
  records: LogRecord[];
  lines: (event: string) => string[];
} {
  const records: LogRecord[] = [];
  return {
    sink: (r) => records.push(r),
    records,
    lines: (event) => records.filter((r) => r.event === event).map((r) => r.message),
  };
}

/**
 * Whether a process is alive: it exists and is not a zombie (a killed child
 * whose parent is gone stays a zombie until init reaps it; in a container
 * init may never do so).
 *
 * @param pid the process id
 * @returns true when it runs
 */
export function isAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/**
 * Wait until a process is gone (or a zombie), polling.
 *
 * @param pid the process id
 * @param ms how long to wait at most
 * @returns whether it went away in time
 */
export async function waitGone(pid: number, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}

/**
 * A temporary directory with greeter, crash_ctor and plain in `plugins/` and
 * a quarantine file path `q`, removed on dispose.
 *
 * @returns the directory and the quarantine path
 */
export async function probeSandbox(): Promise<
  { dir: string; q: string; [Symbol.asyncDispose](): Promise<void> }
> {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-probe-cli-test-" });
  await Deno.mkdir(`${dir}/plugins`);
  await Deno.copyFile(plugin("greeter"), `${dir}/plugins/greeter.so`);
  await Deno.copyFile(plugin("crash_ctor"), `${dir}/plugins/crash_ctor.so`);
  await Deno.copyFile(fixture("plain"), `${dir}/plugins/plain.so`);
  return {
    dir,
    q: `${dir}/q.json`,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}
