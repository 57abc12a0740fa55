/**
 * `plugboard pipe [--dir DIR]... [--log] [--json] [--steps] TEXT...`: a text
 * pipeline through every `text.processor/1` plugin found in the directories
 * (and in `PLUGBOARD_PATH`), in alphabetical order of file name. A stage is
 * any kind of plugin the {@linkcode PluginHost} takes: a shared library
 * called in this process, or an executable speaking plugboard-rpc/1
 * (docs/subprocess.md) run as its own process.
 *
 * @module
 */

import type { PluginKind } from "../abi/identity.ts";
import { defineInterface, type InterfaceSpec } from "../abi/define_interface.ts";
import { CallError, PluginError } from "../errors/plugin_error.ts";
import type { HostIsolation } from "../host/hosted_plugin.ts";
import type { PluginHost } from "../host/plugin_host.ts";
import { openAppHost, parseHostArgs } from "./calc_command.ts";
import { EXIT_OK, type Io, toJson } from "./_output.ts";

/** The text processor interface: `process()` writes its output into a buffer the host lends. */
export const TextProcessor: InterfaceSpec<{
  name: "cstring name()";
  process: "fallible usize process(buffer input, usize input_len, buffer output, usize output_cap)";
}> = defineInterface("text.processor", "1.0", {
  name: "cstring name()",
  process: "fallible usize process(buffer input, usize input_len, buffer output, usize output_cap)",
});

/** Usage of `plugboard pipe`. */
export const PIPE_USAGE = `Usage: plugboard pipe [--dir DIR]... [--log] [--json] [--steps] [TEXT...]

Pass TEXT through every text.processor/1 plugin in DIR and in PLUGBOARD_PATH,
in alphabetical order of file name, and print the result. A plugin is a
shared library (*.so), called in this process, or an executable with a
metadata sidecar (PROGRAM.plugboard.json) speaking plugboard-rpc/1, run as
its own process. Without TEXT, the text is read from standard input.
Files that are not plugins, or fail their checks, are skipped with a warning.

Options:
  --dir DIR   search DIR for plugins (repeatable; or set PLUGBOARD_PATH)
  --steps     print each stage's output, not only the last
  --log       print a record per plugin load, skip and call to standard error
  --json      print {"input", "output", "stages"} (and log records) as JSON
  --help      show this help

Permissions: --allow-read=DIR --allow-ffi --allow-env=PLUGBOARD_PATH, and
--allow-run for executable plugins (without it they are skipped, with a
warning naming the flag).

Example:
  plugboard pipe --dir plugins hello`;

/** One stage of a {@linkcode TextPipeline}. */
export interface PipelineStage {
  /** The processor's name, from its `name()`. */
  name: string;
  /** The plugin's name. */
  plugin: string;
  /** The plugin file. */
  path: string;
  /** What kind of plugin it is. */
  kind: PluginKind;
  /** `none`: called in this process; `process` or `worker`: a round trip to it. */
  isolation: "none" | "process" | "worker";
}

/** What one run of a {@linkcode TextPipeline} produced. */
export interface PipelineRun {
  /** The final text. */
  output: string;
  /** Each stage's output, in order. */
  steps: { stage: PipelineStage; output: string }[];
}

/** Options of {@linkcode TextPipeline.run} and {@linkcode TextPipeline.runSync}. */
export interface PipelineRunOptions {
  /**
   * Also decode and return each stage's output.
   * @default false
   */
  steps?: boolean;
}

type Process = (
  input: Uint8Array,
  inputLen: number,
  output: Uint8Array,
  outputCap: number,
) => bigint | Promise<bigint>;

/**
 * The stages of the pipe app: every `text.processor/1` plugin of a host, in
 * discovery order, called through the host (so a reloaded processor is used
 * from the next run on). Each stage may write up to four times its input
 * plus 64 bytes. The stages belong to the host: close the host, not this.
 *
 * Stages in this process are synchronous calls into two buffers the
 * pipeline keeps; a stage in a process is awaited (its output buffer comes
 * back with the reply), and a run with one gets buffers of its own, so runs
 * may overlap.
 *
 * @example Running the plugins of a directory
 * ```ts ignore
 * await using host = new PluginHost({
 *   paths: ["plugins"],
 *   interfaces: [TextProcessor],
 *   loadOptions: { isolation: "auto" },
 * });
 * await host.discover();
 * const pipeline = await TextPipeline.open(host);
 * console.log((await pipeline.run("hello")).output);
 * ```
 */
export class TextPipeline {
  /** The stages, in order. */
  readonly stages: readonly PipelineStage[];
  #process: Process[];
  #sync: boolean;
  #a = new Uint8Array(1024);
  #b = new Uint8Array(1024);

  private constructor(stages: PipelineStage[], process: Process[]) {
    this.stages = Object.freeze(stages.map((s) => Object.freeze(s)));
    this.#process = process;
    this.#sync = stages.every((s) => s.isolation === "none");
  }

  /**
   * Take every text processor of a host (lazy ones are loaded now) and ask
   * each its `name()`.
   *
   * @example
   * ```ts ignore
   * const pipeline = await TextPipeline.open(host);
   * console.log(pipeline.stages.map((s) => `${s.name} (${s.kind})`));
   * ```
   *
   * @param host a discovered host
   * @returns the pipeline
   * @throws {PluginError} `INTERFACE_MISSING` when there is no text processor at all
   */
  static async open<I extends HostIsolation>(host: PluginHost<I>): Promise<TextPipeline> {
    const stages: PipelineStage[] = [];
    const process: Process[] = [];
    for (const p of host.plugins(TextProcessor)) {
      const fns = await p.use(TextProcessor);
      stages.push({
        name: (await fns.name()) ?? p.name,
        plugin: p.name,
        path: p.path,
        kind: p.kind,
        isolation: p.isolation,
      });
      process.push(fns.process as Process);
    }
    if (stages.length === 0) {
      throw new PluginError(
        "INTERFACE_MISSING",
        `No text.processor/1 plugins in ${host.paths.map((d) => JSON.stringify(d)).join(", ")}`,
        {
          hint: "pass --dir DIR with text.processor/1 plugins: shared libraries, or executables " +
            "with a metadata sidecar (docs/subprocess.md)",
        },
      );
    }
    return new TextPipeline(stages, process);
  }

  /** Whether every stage runs in this process, so that {@linkcode TextPipeline.runSync} works. */
  get sync(): boolean {
    return this.#sync;
  }

  /**
   * Run the text through every stage.
   *
   * @example
   * ```ts ignore
   * const { output, steps } = await pipeline.run("hello", { steps: true });
   * ```
   *
   * @param text the input
   * @param options `steps`: also decode and return each stage's output
   * @returns the final text and, with `steps`, each stage's output
   * @throws {CallError} when a stage fails (`CALL_FAILED`, `PLUGIN_TIMEOUT`, `CLOSED`, ...)
   * @throws {CrashError} `PLUGIN_CRASHED` when a stage's process dies
   */
  async run(text: string, options: PipelineRunOptions = {}): Promise<PipelineRun> {
    if (this.#sync) return this.runSync(text, options);
    // Buffers of this run's own: an await lets other runs in.
    const buffers: Record<"a" | "b", Uint8Array> = {
      a: new Uint8Array(text.length * 3 + 64),
      b: new Uint8Array(0),
    };
    const fit = (which: "a" | "b", size: number): Uint8Array => {
      if (buffers[which].length < size) buffers[which] = new Uint8Array(size);
      return buffers[which];
    };
    const steps: PipelineRun["steps"] = [];
    let input = buffers.a;
    let len = encoder.encodeInto(text, input).written;
    for (let s = 0; s < this.#process.length; s++) {
      const cap = len * 4 + 64;
      const output = fit(input === buffers.a ? "b" : "a", cap);
      const n = Number(await this.#process[s](input, len, output, cap));
      if (n > cap) throw this.#overflow(s, n, cap);
      input = output;
      len = n;
      if (options.steps) {
        steps.push({ stage: this.stages[s], output: decoder.decode(input.subarray(0, len)) });
      }
    }
    return { output: decoder.decode(input.subarray(0, len)), steps };
  }

  /**
   * Run the text through every stage, synchronously: for a pipeline whose
   * stages all run in this process ({@linkcode TextPipeline.sync}).
   *
   * @example
   * ```ts ignore
   * if (pipeline.sync) console.log(pipeline.runSync("hello").output);
   * ```
   *
   * @param text the input
   * @param options `steps`: also decode and return each stage's output
   * @returns the final text and, with `steps`, each stage's output
   * @throws {CallError} when a stage fails
   * @throws {PluginError} `USAGE` when a stage runs in a process
   */
  runSync(text: string, options: PipelineRunOptions = {}): PipelineRun {
    if (!this.#sync) throw this.#notSync();
    const steps: PipelineRun["steps"] = [];
    let input = this.#fit("a", text.length * 3);
    let len = encoder.encodeInto(text, input).written;
    for (let s = 0; s < this.#process.length; s++) {
      const cap = len * 4 + 64;
      const output = this.#fit(input === this.#a ? "b" : "a", cap);
      const n = Number(this.#process[s](input, len, output, cap));
      if (n > cap) throw this.#overflow(s, n, cap);
      input = output;
      len = n;
      if (options.steps) {
        steps.push({ stage: this.stages[s], output: decoder.decode(input.subarray(0, len)) });
      }
    }
    return { output: decoder.decode(input.subarray(0, len)), steps };
  }

  #overflow(s: number, n: number, cap: number): CallError {
    return new CallError(
      "CALL_FAILED",
      this.stages[s].path,
      "process",
      `returned ${n} bytes, more than the output capacity ${cap}`,
      { hint: "the plugin must return at most output_cap" },
    );
  }

  #notSync(): PluginError {
    const isolated = this.stages.filter((s) => s.isolation !== "none");
    const first = this.stages.indexOf(isolated[0]);
    return new PluginError(
      "USAGE",
      `Cannot run the pipeline synchronously: expected stages in this process only, found ${isolated.length} in processes, the first stage ${
        first + 1
      } (${JSON.stringify(isolated[0].path)})`,
      { hint: "use `await pipeline.run(text)`" },
    );
  }

  #fit(which: "a" | "b", size: number): Uint8Array {
    const buf = which === "a" ? this.#a : this.#b;
    if (buf.length >= size) return buf;
    const grown = new Uint8Array(Math.max(size, buf.length * 2));
    if (which === "a") this.#a = grown;
    else this.#b = grown;
    return grown;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

/**
 * Run `pipe`.
 *
 * @param args the arguments after `pipe`
 * @param io where to write
 * @returns the exit code
 */
export async function pipeCommand(args: readonly string[], io: Io): Promise<number> {
  const opts = parseHostArgs(args, "pipe", ["steps"]);
  if (opts.help) {
    io.out(PIPE_USAGE);
    return EXIT_OK;
  }
  const text = opts.positionals.length > 0
    ? opts.positionals.join(" ")
    : (await new Response(Deno.stdin.readable).text()).replace(/\n$/, "");
  await using host = await openAppHost(opts, io, TextProcessor);
  const pipeline = await TextPipeline.open(host);
  const run = await pipeline.run(text, { steps: opts.json || opts.flags.has("steps") });
  if (opts.json) {
    io.out(toJson({
      input: text,
      output: run.output,
      stages: run.steps.map((s) => ({
        name: s.stage.name,
        plugin: s.stage.plugin,
        path: s.stage.path,
        kind: s.stage.kind,
        isolation: s.stage.isolation,
        output: s.output,
      })),
    }));
  } else if (opts.flags.has("steps")) {
    const width = Math.max(...pipeline.stages.map((s) => s.name.length));
    io.out(`${"input".padEnd(width)}  ${text}`);
    for (const s of run.steps) io.out(`${s.stage.name.padEnd(width)}  ${s.output}`);
  } else {
    io.out(run.output);
  }
  return EXIT_OK;
}
