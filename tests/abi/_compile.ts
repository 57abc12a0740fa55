/**
 * Running a C or C++ compiler from a test: a missing compiler fails the test
 * with the Debian package to install; nothing is skipped.
 *
 * @module
 */

import { assert } from "../_assert.ts";

/** The Debian package of each compiler the struct tests run. */
const PACKAGES: Record<string, string> = {
  gcc: "gcc",
  cc: "gcc",
  clang: "clang",
  "g++": "g++",
  "clang++": "clang",
};

/**
 * Run a compiler (or the program it built) and return its standard output;
 * fails the test when the program is missing or exits with an error.
 *
 * @param command the program
 * @param args its arguments
 * @returns standard output
 */
export async function run(command: string, args: string[]): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound && PACKAGES[command]) {
      throw new Error(
        `${command} is not installed: install the Debian package ${
          PACKAGES[command]
        } (apt-get install ${PACKAGES[command]})`,
      );
    }
    throw e;
  }
  const stderr = new TextDecoder().decode(out.stderr);
  assert(out.success, `${command} ${args.join(" ")} failed:\n${stderr}`);
  return new TextDecoder().decode(out.stdout);
}
