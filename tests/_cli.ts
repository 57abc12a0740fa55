/**
 * Run the CLI in-process and capture what it writes.
 *
 * @module
 */

import { runCli } from "../src/cli/main.ts";

/** What one CLI run returned and wrote. */
export interface CliRun {
  /** The exit code. */
  code: number;
  /** Lines written to standard output. */
  out: string[];
  /** Lines written to standard error. */
  err: string[];
}

/**
 * Run `plugboard ARGS...` in this process, without colours.
 *
 * @param args the command line, without the program name
 * @returns the exit code and the lines written
 */
export async function captureCli(args: readonly string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    color: false,
  });
  return { code, out, err };
}
