/**
 * `plugboard pipe [--dir DIR]... [--log] [--json] [--steps] TEXT...`: a text
 * pipeline through every `text.processor/1` plugin found in the directories
 * (and in `PLUGBOARD_PATH`), in alphabetical order of file name.
 *
 * @module
 */

import { defineInterface, type InterfaceSpec } from "../abi/define_interface.ts";
import { CallError, PluginError } from "../errors/plugin_error.ts";
import { PluginHost } from "../host/plugin_host.ts";
import { appLogSink, parseHostArgs } from "./calc_command.ts";
import { EXIT_OK, type Io, toJson } from "./_output.ts";

/** The text processor interface of `plugins/text_*.c`. */
export const TextProcessor: InterfaceSpec<{
  name: "cstring name()";
  process: "fallible usize process(buffer input, usize input_len, buffer output, usize output_cap)";
}> = defineInterface("text.processor", "1.0", {
  name: "cstring name()",
  process: "fallible usize process(buffer input, usize input_len, buffer output, usize output_cap)",
});

/** Usage of `plugboard pipe`. */
export const PIPE_USAGE = `Usage: plugboard pipe [--dir DIR]... [--log] [--json] [--steps] [TEXT...]

Pass TEXT through every text.processor/1 plugin in DIR (default: build) and in
PLUGBOARD_PATH, in alphabetical order of file name, and print the result.
Without TEXT, the text is read from standard input.

Options:
  --dir DIR   search DIR for plugins (repeatable; default: build)
  --steps     print each stage's output, not only the last
  --log       print a record per plugin load, skip and call to standard error
  --json      print {"input", "output", "stages"} (and log records) as JSON
  --help      show this help

Example:
  plugboard pipe --dir build hello   # base64, then reverse, then upper: =8GBSVGA`;

/** One stage of a {@linkcode TextPipeline}. */
export interface PipelineStage {
  /** The processor's name, from its `name()`. */
  name: string;
  /** The plugin's name. */
  plugin: string;
  /** The plugin file. */
  path: string;
}

/** What one run of a {@linkcode TextPipeline} produced. */
export interface PipelineRun {
  /** The final text. */
  output: string;
  /** Each stage's output, in order. */
  steps: { stage: PipelineStage; output: string }[];
}

type Process = (
  input: Uint8Array,
  inputLen: number,
  output: Uint8Array,
  outputCap: number,
) => bigint;

/**
 * The stages of the pipe app: every `text.processor/1` plugin of a host, in
 * discovery order, called through the host (so a reloaded processor is used
 * from the next run on). Each stage may write up to four times its input
 * plus 64 bytes.
 *
 * @example Running the samples
 * ```ts ignore
 * await using host = new PluginHost({ paths: ["build"], interfaces: [TextProcessor] });
 * await host.discover();
 * const pipeline = await TextPipeline.open(host);
 * console.log(pipeline.run("hello").output); // "=8GBSVGA"
 * ```
 */
export class TextPipeline {
  /** The stages, in order. */
  readonly stages: readonly PipelineStage[];
  #process: Process[];
  #a = new Uint8Array(1024);
  #b = new Uint8Array(1024);

  private constructor(stages: PipelineStage[], process: Process[]) {
    this.stages = Object.freeze(stages);
    this.#process = process;
  }

  /**
   * Take every text processor of a host (lazy ones are loaded now).
   *
   * @param host a discovered host
   * @returns the pipeline
   * @throws {PluginError} `INTERFACE_MISSING` when the host has no text processor
   */
  static async open(host: PluginHost): Promise<TextPipeline> {
    const stages: PipelineStage[] = [];
    const process: Process[] = [];
    for (const p of host.plugins(TextProcessor)) {
      const fns = await p.use(TextProcessor);
      stages.push({ name: fns.name() ?? p.name, plugin: p.name, path: p.path });
      process.push(fns.process as Process);
    }
    if (stages.length === 0) {
      throw new PluginError(
        "INTERFACE_MISSING",
        `No text.processor/1 plugins in ${host.paths.map((d) => JSON.stringify(d)).join(", ")}`,
        {
          hint: "build the samples with `deno task build`, or pass --dir DIR with text_*.so files",
        },
      );
    }
    return new TextPipeline(stages, process);
  }

  /**
   * Run the text through every stage.
   *
   * @param text the input
   * @param options `steps`: also decode and return each stage's output
   * @returns the final text and, with `steps`, each stage's output
   * @throws {CallError} when a stage fails
   */
  run(text: string, options: { steps?: boolean } = {}): PipelineRun {
    const steps: PipelineRun["steps"] = [];
    let input = this.#fit("a", text.length * 3);
    let len = encoder.encodeInto(text, input).written;
    for (let s = 0; s < this.#process.length; s++) {
      const cap = len * 4 + 64;
      const output = this.#fit(input === this.#a ? "b" : "a", cap);
      const n = Number(this.#process[s](input, len, output, cap));
      if (n > cap) {
        throw new CallError(
          "CALL_FAILED",
          this.stages[s].path,
          "process",
          `returned ${n} bytes, more than the output capacity ${cap}`,
          { hint: "the plugin must return at most output_cap" },
        );
      }
      input = output;
      len = n;
      if (options.steps) {
        steps.push({ stage: this.stages[s], output: decoder.decode(input.subarray(0, len)) });
      }
    }
    return { output: decoder.decode(input.subarray(0, len)), steps };
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
  const opts = parseHostArgs(args, PIPE_USAGE, ["steps"]);
  if (opts.help) {
    io.out(PIPE_USAGE);
    return EXIT_OK;
  }
  const text = opts.positionals.length > 0
    ? opts.positionals.join(" ")
    : (await new Response(Deno.stdin.readable).text()).replace(/\n$/, "");
  await using host = new PluginHost({
    paths: opts.dirs.length > 0 ? opts.dirs : ["build"],
    interfaces: [TextProcessor],
    log: opts.log ? appLogSink(io, opts.json) : undefined,
    logCalls: opts.log,
  });
  await host.discover();
  const pipeline = await TextPipeline.open(host);
  const run = pipeline.run(text, { steps: opts.json || opts.flags.has("steps") });
  if (opts.json) {
    io.out(toJson({
      input: text,
      output: run.output,
      stages: run.steps.map((s) => ({
        name: s.stage.name,
        plugin: s.stage.plugin,
        path: s.stage.path,
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
