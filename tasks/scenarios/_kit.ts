/**
 * What scenario scripts share: printing in one style (`$` a shell command,
 * `>` a line of host code, `ok:` / `FAIL:` a check), showing errors exactly,
 * temporary directories, builds, and grandchild processes for what would
 * kill the scenario itself.
 *
 * Checks do not throw: a failed check prints `FAIL: ...` and sets the exit
 * code to 1, and the script goes on, so one run shows every problem.
 *
 * @module
 */

import { join } from "node:path";
import { PluginError } from "../../mod.ts";
import { buildPlugin, type BuildResult, type BuildSpec } from "../build.ts";
import { ROOT } from "./_runner.ts";

export { ROOT };

/**
 * Print lines as they are.
 *
 * @example Two lines
 * ```ts ignore
 * say("first", "second");
 * ```
 *
 * @param lines the lines
 */
export function say(...lines: string[]): void {
  for (const line of lines) console.log(line);
}

/**
 * Print a shell command the scenario runs (or its equivalent), after `$ `.
 *
 * @example
 * ```ts ignore
 * shell("cc --version"); // $ cc --version
 * ```
 *
 * @param command the command line
 */
export function shell(command: string): void {
  console.log(`$ ${command}`);
}

/**
 * Print a line of host code the scenario runs next, after `> `.
 *
 * @example Showing a call
 * ```ts ignore
 * code('plugin.use(Greeter).greet("World")'); // > plugin.use(Greeter).greet("World")
 * ```
 *
 * @param text the code
 */
export function code(text: string): void {
  console.log(`> ${text}`);
}

/**
 * Print a blank line and a section heading, after `-- `.
 *
 * @example Starting a section
 * ```ts ignore
 * heading("a call after close"); // -- a call after close
 * ```
 *
 * @param text the heading
 */
export function heading(text: string): void {
  console.log(`\n-- ${text}`);
}

/**
 * A check: prints `ok: label` or `FAIL: label: detail` (and sets the exit
 * code to 1).
 *
 * @example Checking a result
 * ```ts ignore
 * check("greet() said hello", text === "Hello, World", text);
 * ```
 *
 * @param label what is checked, as a sentence that is true when it passes
 * @param ok whether it holds
 * @param detail what was found, shown on failure
 * @returns `ok`
 */
export function check(label: string, ok: boolean, detail?: string): boolean {
  if (ok) console.log(`ok: ${label}`);
  else {
    console.log(`FAIL: ${label}${detail === undefined ? "" : `: ${detail}`}`);
    Deno.exitCode = 1;
  }
  return ok;
}

/**
 * Print a thrown error exactly: its class and code, then its message (the
 * summary and the hint line).
 *
 * @example Showing a refusal
 * ```ts ignore
 * try {
 *   await openPlugin("build/fixtures/abi2.so");
 * } catch (e) {
 *   showError(e); // throws LoadError ABI_MISMATCH: ... then the message and its hint
 * }
 * ```
 *
 * @param e what was thrown
 */
export function showError(e: unknown): void {
  if (e instanceof PluginError) {
    console.log(`throws ${e.name} ${e.code}:`);
    console.log(e.message);
  } else if (e instanceof Error) {
    console.log(`throws ${e.name}:`);
    console.log(e.message);
  } else {
    console.log(`throws ${String(e)}`);
  }
}

/**
 * Run something that must throw a plugboard error of a class and code; print
 * the error and check both.
 *
 * @example Expecting an ABI mismatch
 * ```ts ignore
 * await expectError(() => openPlugin("build/fixtures/abi2.so"), LoadError, "ABI_MISMATCH");
 * ```
 *
 * @param fn what to run
 * @param type the error class expected
 * @param errorCode the code expected
 * @returns the error, or undefined when the check failed
 */
export async function expectError<E extends PluginError>(
  fn: () => unknown,
  type: abstract new (...args: never[]) => E,
  errorCode: string,
): Promise<E | undefined> {
  try {
    await fn();
  } catch (e) {
    showError(e);
    const ok = e instanceof type && e.code === errorCode;
    check(
      `threw ${type.name} ${errorCode}`,
      ok,
      `got ${e instanceof Error ? e.name : typeof e} ${(e as PluginError)?.code ?? ""}`,
    );
    return ok ? e as E : undefined;
  }
  check(`threw ${type.name} ${errorCode}`, false, "nothing was thrown");
  return undefined;
}

/**
 * A fresh temporary directory (prefix `plugboard-scen-`, which the runner
 * shows as `$TMP`), removed when the script ends normally.
 *
 * @example A directory for generated sources
 * ```ts ignore
 * const tmp = await tempDir();
 * await writeFile(tmp, "ver.c", source);
 * ```
 *
 * @returns its absolute path
 */
export async function tempDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-scen-" });
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // Already gone.
    }
  });
  return dir;
}

/**
 * Build a plugin with the project's build task and print a line saying so.
 *
 * @example Building a generated source
 * ```ts ignore
 * await build({ source: `${tmp}/ver.c`, output: `${tmp}/ver.so`, defines: { VERSION_TEXT: '"v1"' } });
 * ```
 *
 * @param spec what to build
 * @returns the build result
 */
export async function build(spec: BuildSpec): Promise<BuildResult> {
  const result = await buildPlugin(spec);
  say(`built ${display(result.output)} (${result.compiler}, build id ${result.buildId})`);
  return result;
}

/**
 * A path as the scenario shows it: relative to the repository root when
 * inside it.
 *
 * @example
 * ```ts ignore
 * display(`${ROOT}/build/greeter.so`); // "build/greeter.so"
 * ```
 *
 * @param path the path
 * @returns the path to show
 */
export function display(path: string): string {
  return path.startsWith(ROOT + "/") ? path.slice(ROOT.length + 1) : path;
}

/** How a grandchild process ended, and what it printed. */
export interface ChildRun {
  /** Its exit code (128 + N when killed by signal N). */
  code: number;
  /** The signal that ended it, if one did. */
  signal: string | null;
  /** stdout and stderr, interleaved as written. */
  output: string;
  /** Whether it was killed for running longer than the timeout. */
  timedOut: boolean;
}

/** Options of {@linkcode runDeno}. */
export interface RunDenoOptions {
  /** Kill it after this long. @default 30000 */
  timeoutMs?: number;
  /** Extra environment variables. @default {} */
  env?: Record<string, string>;
}

/**
 * Run JavaScript in a grandchild `deno eval` process (all permissions, the
 * repository root as working directory), capturing its output.
 *
 * @example A call after close, in a process that may die
 * ```ts ignore
 * const run = await runDeno('const l = Deno.dlopen("build/noop.so", {}); l.close();');
 * showChild(run);
 * ```
 *
 * @param source the program
 * @param options timeout and environment
 * @returns how it ended and what it printed
 */
export async function runDeno(source: string, options: RunDenoOptions = {}): Promise<ChildRun> {
  return await runMerged(Deno.execPath(), ["eval", "--ext=js", source], options);
}

/**
 * Run a program with stdout and stderr in one pipe.
 *
 * @example
 * ```ts ignore
 * const run = await runMerged("cc", ["--version"]);
 * console.log(run.code, run.output);
 * ```
 *
 * @param program the program
 * @param args its arguments
 * @param options timeout and environment
 * @returns how it ended and what it printed
 */
export async function runMerged(
  program: string,
  args: string[],
  options: RunDenoOptions = {},
): Promise<ChildRun> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs ?? 30_000);
  const out = await new Deno.Command("sh", {
    args: ["-c", 'exec "$@" 2>&1', "sh", program, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
    signal: controller.signal,
  }).output();
  clearTimeout(timer);
  return {
    code: out.code,
    signal: out.signal,
    output: new TextDecoder().decode(out.stdout),
    timedOut,
  };
}

/**
 * Print a grandchild's output, indented under a `|`, then how it ended.
 *
 * @example
 * ```ts ignore
 * showChild(await runDeno('console.log("hi")')); // "  | hi", then "child ended: exit code 0"
 * ```
 *
 * @param run the grandchild's run
 */
export function showChild(run: ChildRun): void {
  for (const line of run.output.trimEnd().split("\n")) {
    if (line !== "" || run.output.trim() !== "") console.log(`  | ${line}`);
  }
  say(`child ended: ${describeExit(run)}`);
}

/**
 * How a process ended, in words.
 *
 * @example A segfault
 * ```ts ignore
 * describeExit({ code: 139, signal: "SIGSEGV", timedOut: false }); // "exit code 139 (killed by SIGSEGV)"
 * ```
 *
 * @param run the process's code, signal and timeout flag
 * @returns e.g. `exit code 139 (killed by SIGSEGV)`
 */
export function describeExit(run: Pick<ChildRun, "code" | "signal" | "timedOut">): string {
  if (run.timedOut) {
    return `killed by ${run.signal ?? "a signal"} after the timeout (exit code ${run.code})`;
  }
  if (run.signal) return `exit code ${run.code} (killed by ${run.signal})`;
  return `exit code ${run.code}`;
}

/**
 * Write a file into a directory and return its path.
 *
 * @example
 * ```ts ignore
 * const source = await writeFile(tmp, "tool.c", "int main(void) { return 0; }\n");
 * ```
 *
 * @param dir the directory
 * @param name the file name
 * @param text the contents
 * @returns the file's path
 */
export async function writeFile(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await Deno.writeTextFile(path, text);
  return path;
}

/**
 * Time a synchronous `fn` over `iterations` runs, after `warmup` untimed runs.
 *
 * @example
 * ```ts ignore
 * const ns = nsPerOp(1_000_000, () => add(1, 2));
 * ```
 *
 * @param iterations timed runs
 * @param fn what to time
 * @param warmup untimed runs first
 * @returns nanoseconds per run
 */
export function nsPerOp(iterations: number, fn: () => unknown, warmup = 1000): number {
  for (let i = 0; i < warmup; i++) fn();
  const start = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  return ((performance.now() - start) * 1e6) / iterations;
}

/**
 * Time an asynchronous `fn` over `iterations` runs, after `warmup` untimed runs.
 *
 * @example Opening and closing a plugin
 * ```ts ignore
 * const ns = await nsPerOpAsync(200, async () => await (await openPlugin("build/noop.so")).close());
 * ```
 *
 * @param iterations timed runs
 * @param fn what to time
 * @param warmup untimed runs first
 * @returns nanoseconds per run
 */
export async function nsPerOpAsync(
  iterations: number,
  fn: () => Promise<unknown>,
  warmup = 10,
): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const start = performance.now();
  for (let i = 0; i < iterations; i++) await fn();
  return ((performance.now() - start) * 1e6) / iterations;
}
