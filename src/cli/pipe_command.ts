/**
 * `plugboard pipe [--dir DIR]... [--log] [--json] [--steps] TEXT...`: a text
 * pipeline through every `text.processor/1` plugin found in the directories
 * (and in `PLUGBOARD_PATH`), in alphabetical order of file name. A stage is
 * a native plugin (a `*.so` file the {@linkcode PluginHost} loads) or an exec
 * plugin (an executable script, `#!`, speaking the line protocol of
 * docs/isolation.md, run by {@linkcode openExecPlugin}).
 *
 * @module
 */

import { createHash } from "node:crypto";
import { defineInterface, type InterfaceSpec } from "../abi/define_interface.ts";
import { CallError, LoadError, PluginError } from "../errors/plugin_error.ts";
import { type Candidate, scan, skipMessage } from "../host/discover.ts";
import { asPluginError } from "../check/check_plugin.ts";
import { PluginHost, type SkippedPlugin } from "../host/plugin_host.ts";
import { type ExecPlugin, openExecPlugin } from "../isolate/open_exec_plugin.ts";
import { type LogLevel, type LogRecord, logRecord, type LogSink } from "../log/log_record.ts";
import { appLogSink, parseHostArgs } from "./calc_command.ts";
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

Pass TEXT through every text.processor/1 plugin in DIR (default: build) and in
PLUGBOARD_PATH, in alphabetical order of file name, and print the result.
A plugin is a *.so file, or an executable script (#!) speaking the exec line
protocol (docs/isolation.md), such as a shell script.
Without TEXT, the text is read from standard input.

Options:
  --dir DIR   search DIR for plugins (repeatable; default: build)
  --steps     print each stage's output, not only the last
  --log       print a record per plugin load, skip and call to standard error
  --json      print {"input", "output", "stages"} (and log records) as JSON
  --help      show this help

Permissions: --allow-read=DIR --allow-ffi --allow-env=PLUGBOARD_PATH, and
--allow-run for each exec plugin (one not allowed to run is left out).

Example:
  plugboard pipe --dir build hello   # base64, reverse, shout, upper: =8GBSVGA!`;

/** One stage of a {@linkcode TextPipeline}. */
export interface PipelineStage {
  /** The processor's name, from its `name()` (an exec plugin's handshake). */
  name: string;
  /** The plugin's name (for an exec plugin, the name of its handshake). */
  plugin: string;
  /** The plugin file. */
  path: string;
  /** `native`: a `*.so` plugin called in-process; `exec`: a program spoken to over pipes. */
  kind: "native" | "exec";
}

/** What one run of a {@linkcode TextPipeline} produced. */
export interface PipelineRun {
  /** The final text. */
  output: string;
  /** Each stage's output, in order. */
  steps: { stage: PipelineStage; output: string }[];
}

/** Options of {@linkcode TextPipeline.open}. */
export interface TextPipelineOptions {
  /**
   * Also take exec plugins: in each search directory of the host, the
   * executable files that are scripts (they start with `#!`), opened with
   * {@linkcode openExecPlugin}. One whose handshake fails or names another
   * interface is skipped with a `skip` record, as the host skips files.
   * @default true
   */
  exec?: boolean;
  /**
   * Where the exec plugins' records go: `load` and `skip`, `call` (with
   * `logCalls`), and the programs' own (`stderr` lines, `crash`, `timeout`,
   * `close`). The host's records go to the host's sink.
   * @default openExecPlugin's default: stderr lines, warnings and errors to the process's stderr
   */
  log?: LogSink;
  /**
   * Log every `process()` call of an exec stage with its duration, as the
   * host does for native ones with its `logCalls`. (An exec plugin's name
   * comes from its handshake: there is no `name()` call to log.)
   * @default false
   */
  logCalls?: boolean;
  /**
   * The longest an exec stage's call may take; then its program is killed
   * and the call rejects with `PLUGIN_TIMEOUT`.
   * @default Infinity
   */
  timeoutMs?: number;
  /**
   * The longest an exec plugin may take to print its handshake.
   * @default 5000
   */
  startTimeoutMs?: number;
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
) => bigint;

/** A stage while the pipeline is being opened. */
interface Opened {
  stage: PipelineStage;
  process?: Process;
  exec?: ExecPlugin;
  sha256?: string;
}

/**
 * The stages of the pipe app: every `text.processor/1` plugin of a host, in
 * discovery order, called through the host (so a reloaded processor is used
 * from the next run on), merged by file name with the exec plugins of the
 * host's search directories. Each native stage may write up to four times
 * its input plus 64 bytes.
 *
 * Native stages are synchronous calls into the same two buffers; an exec
 * stage is a round trip to its program. {@linkcode TextPipeline.run} handles
 * both; {@linkcode TextPipeline.runSync} runs a pipeline of native stages
 * only, without a Promise. The pipeline owns its exec plugins (close it); the
 * native ones belong to the host.
 *
 * @example Running the samples
 * ```ts ignore
 * await using host = new PluginHost({ paths: ["build"], interfaces: [TextProcessor] });
 * await host.discover();
 * await using pipeline = await TextPipeline.open(host);
 * console.log((await pipeline.run("hello")).output); // "=8GBSVGA!" (base64, reverse, shout, upper)
 * ```
 */
export class TextPipeline implements AsyncDisposable, Disposable {
  /** The stages, in order. */
  readonly stages: readonly PipelineStage[];
  /** Exec plugins that were found but not taken, in file-name order. */
  readonly skipped: readonly SkippedPlugin[];
  #process: (Process | undefined)[];
  #exec: (ExecPlugin | undefined)[];
  #sha256: (string | undefined)[];
  #sync: boolean;
  #log: LogSink | undefined;
  #logCalls: boolean;
  #closing: Promise<void> | undefined;
  #a = new Uint8Array(1024);
  #b = new Uint8Array(1024);

  private constructor(
    opened: Opened[],
    skipped: SkippedPlugin[],
    options: TextPipelineOptions,
  ) {
    this.stages = Object.freeze(opened.map((o) => Object.freeze(o.stage)));
    this.skipped = Object.freeze(skipped);
    this.#process = opened.map((o) => o.process);
    this.#exec = opened.map((o) => o.exec);
    this.#sha256 = opened.map((o) => o.sha256);
    this.#sync = opened.every((o) => o.exec === undefined);
    this.#log = options.log;
    this.#logCalls = options.logCalls ?? false;
  }

  /**
   * Take every text processor of a host (lazy ones are loaded now) and,
   * unless `exec: false`, start every exec plugin for `text.processor/1` in
   * the host's search directories, each with a `load` record (or a `skip`
   * record saying why not).
   *
   * @example Native stages only
   * ```ts ignore
   * const pipeline = await TextPipeline.open(host, { exec: false });
   * console.log(pipeline.runSync("hello").output); // "=8GBSVGA"
   * ```
   *
   * @param host a discovered host
   * @param options exec plugins, log sink, call records and timeouts
   * @returns the pipeline
   * @throws {PluginError} `INTERFACE_MISSING` when there is no text processor at all
   */
  static async open(host: PluginHost, options: TextPipelineOptions = {}): Promise<TextPipeline> {
    const native: Opened[] = [];
    for (const p of host.plugins(TextProcessor)) {
      const fns = await p.use(TextProcessor);
      native.push({
        stage: { name: fns.name() ?? p.name, plugin: p.name, path: p.path, kind: "native" },
        process: fns.process as Process,
      });
    }
    const found = options.exec === false
      ? { opened: [], skipped: [] }
      : await openExecStages(host.paths, options);
    // Merge by file name, then path: the host's discovery order.
    const stages = [...native, ...found.opened].sort((x, y) =>
      compareFiles(x.stage.path, y.stage.path)
    );
    if (stages.length === 0) {
      throw new PluginError(
        "INTERFACE_MISSING",
        `No text.processor/1 plugins in ${host.paths.map((d) => JSON.stringify(d)).join(", ")}`,
        {
          hint: "pass --dir DIR with text.processor/1 plugins (*.so files) or exec plugins " +
            "(docs/isolation.md)",
        },
      );
    }
    return new TextPipeline(stages, found.skipped, options);
  }

  /** Whether every stage is native, so that {@linkcode TextPipeline.runSync} works. */
  get sync(): boolean {
    return this.#sync;
  }

  /**
   * Run the text through every stage. Consecutive native stages run
   * synchronously in the pipeline's buffers; each exec stage is awaited.
   * Runs may overlap.
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
   * @throws {CrashError} `PLUGIN_CRASHED` when an exec stage's program dies
   */
  async run(text: string, options: PipelineRunOptions = {}): Promise<PipelineRun> {
    if (this.#sync) return this.runSync(text, options);
    const steps: PipelineRun["steps"] = [];
    // The current text: a string (before an exec stage's answer is encoded)
    // or `len` bytes of `bytes`. Nothing in the buffers outlives an await.
    let str: string | undefined = text;
    let bytes: Uint8Array = this.#a;
    let len = 0;
    for (let s = 0; s < this.stages.length; s++) {
      const exec = this.#exec[s];
      if (exec) {
        str = await this.#callExec(s, exec, str ?? decoder.decode(bytes.subarray(0, len)));
      } else {
        if (str !== undefined) {
          bytes = this.#fit("a", str.length * 3);
          len = encoder.encodeInto(str, bytes).written;
          str = undefined;
        }
        const cap = len * 4 + 64;
        const output = this.#fit(bytes === this.#a ? "b" : "a", cap);
        len = this.#callNative(s, bytes, len, output, cap);
        bytes = output;
      }
      if (options.steps) {
        steps.push({
          stage: this.stages[s],
          output: str ?? decoder.decode(bytes.subarray(0, len)),
        });
      }
    }
    return { output: str ?? decoder.decode(bytes.subarray(0, len)), steps };
  }

  /**
   * Run the text through every stage, synchronously: for a pipeline whose
   * stages are all native ({@linkcode TextPipeline.sync}).
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
   * @throws {PluginError} `USAGE` when a stage is an exec plugin
   */
  runSync(text: string, options: PipelineRunOptions = {}): PipelineRun {
    if (!this.#sync) throw this.#notSync();
    const steps: PipelineRun["steps"] = [];
    let input = this.#fit("a", text.length * 3);
    let len = encoder.encodeInto(text, input).written;
    for (let s = 0; s < this.#process.length; s++) {
      const cap = len * 4 + 64;
      const output = this.#fit(input === this.#a ? "b" : "a", cap);
      const n = Number(this.#process[s]!(input, len, output, cap));
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
   * Close the exec plugins (each finishes what it was asked and exits); their
   * stages then fail with `CLOSED`. The native stages belong to the host and
   * keep working until it closes. Closing twice is harmless.
   *
   * @returns when every exec plugin's program is gone
   */
  close(): Promise<void> {
    this.#closing ??= Promise.all(
      this.#exec.filter((e) => e !== undefined).map((e) => e.close()),
    ).then(() => {});
    return this.#closing;
  }

  /** Same as {@linkcode TextPipeline.close}, without waiting. */
  [Symbol.dispose](): void {
    void this.close();
  }

  /** Same as {@linkcode TextPipeline.close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #callNative(s: number, input: Uint8Array, len: number, output: Uint8Array, cap: number): number {
    const n = Number(this.#process[s]!(input, len, output, cap));
    if (n > cap) throw this.#overflow(s, n, cap);
    return n;
  }

  async #callExec(s: number, exec: ExecPlugin, text: string): Promise<string> {
    if (!this.#logCalls) return await exec.process(text);
    const t0 = performance.now();
    try {
      const out = await exec.process(text);
      this.#logCall(s, "process", performance.now() - t0, undefined);
      return out;
    } catch (e) {
      this.#logCall(s, "process", performance.now() - t0, e);
      throw e;
    }
  }

  #logCall(s: number, fn: string, durationMs: number, error: unknown): void {
    const stage = this.stages[s];
    const err = error === undefined ? undefined : asPluginError(error, stage.path);
    const label = `exec plugin ${stage.plugin}`;
    emit(
      this.#log,
      err ? "warn" : "info",
      "call",
      err ? `${fn}() of ${label} failed: ${err.summary}` : `${fn}() of ${label}`,
      {
        plugin: stage.plugin,
        path: stage.path,
        sha256: this.#sha256[s],
        function: fn,
        durationMs,
        ...(err ? { code: err.code } : {}),
      },
    );
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
    const s = this.#exec.findIndex((e) => e !== undefined);
    return new PluginError(
      "USAGE",
      `Cannot run the pipeline synchronously: stage ${s + 1} (${
        JSON.stringify(this.stages[s].path)
      }) is an exec plugin: expected native stages only, found ${
        this.#exec.filter((e) => e !== undefined).length
      } exec stage(s)`,
      { hint: "use `await pipeline.run(text)`, or open it with { exec: false }" },
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

/** How starting one exec plugin went. */
type Attempt =
  | { c: Candidate; exec: ExecPlugin; sha256: string; durationMs: number }
  | { c: Candidate; error: PluginError };

/** The first bytes of a script: `#!`. */
const SHEBANG = [0x23, 0x21];

/**
 * Find and start the exec plugins of the search directories: executable
 * files other than `*.so` that start with `#!` (so never an ELF file). Each
 * is started with the pinned SHA-256 of the bytes just read; all start at
 * once, and the records follow in file-name order.
 */
async function openExecStages(
  paths: readonly string[],
  options: TextPipelineOptions,
): Promise<{ opened: Opened[]; skipped: SkippedPlugin[] }> {
  const candidates = scan(paths, true).candidates.filter((c) =>
    c.kind === "exec" && startsWith(c.path, SHEBANG)
  );
  const seen = new Map<string, string>();
  const attempts = candidates.map(async (c): Promise<Attempt> => {
    const t0 = performance.now();
    try {
      const first = c.realPath === undefined ? undefined : seen.get(c.realPath);
      if (c.realPath !== undefined && first === undefined) seen.set(c.realPath, c.path);
      if (first !== undefined) {
        throw new LoadError("ALREADY_OPEN", {
          path: c.path,
          what: "the same file is reachable through two search paths",
          expected: "one path per plugin file",
          found: `the same file as ${JSON.stringify(first)}`,
          hint: "remove one of the search paths, or the symlink",
        });
      }
      const sha256 = createHash("sha256").update(Deno.readFileSync(c.path)).digest("hex");
      const exec = await openExecPlugin(c.path, {
        interface: "text.processor/1",
        sha256,
        log: options.log,
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
      });
      return { c, exec, sha256, durationMs: performance.now() - t0 };
    } catch (e) {
      return { c, error: asPluginError(e, c.path) };
    }
  });
  const opened: Opened[] = [];
  const skipped: SkippedPlugin[] = [];
  for (const a of await Promise.all(attempts)) {
    const path = a.c.path;
    if ("error" in a) {
      const others = forOtherInterfaces(a.error);
      emit(options.log, others ? "debug" : "warn", "skip", skipMessage(a.error, path), {
        path,
        code: a.error.code,
        hint: a.error.hint,
      });
      skipped.push({
        path,
        code: a.error.code,
        message: a.error.summary,
        ...(a.error.hint ? { hint: a.error.hint } : {}),
        ...(others ? { forOtherInterfaces: true } : {}),
      });
      continue;
    }
    const { exec, sha256, durationMs } = a;
    const hs = exec.handshake;
    emit(options.log, "info", "load", `loaded exec plugin ${hs.name}`, {
      plugin: hs.name,
      path,
      sha256: sha256.slice(0, 12),
      durationMs,
      kind: "exec",
      interfaces: [hs.interface],
      protocol: hs.protocol,
      pid: exec.pid,
    });
    opened.push({
      stage: { name: hs.name, plugin: hs.name, path, kind: "exec" },
      exec,
      sha256: sha256.slice(0, 12),
    });
  }
  return { opened, skipped };
}

/** An exec plugin for another interface id (not another version of text.processor). */
function forOtherInterfaces(err: PluginError): boolean {
  return err instanceof LoadError && err.code === "INTERFACE_MISMATCH" &&
    !err.found.startsWith("text.processor/");
}

function startsWith(path: string, magic: readonly number[]): boolean {
  let file: Deno.FsFile | undefined;
  try {
    file = Deno.openSync(path);
    const head = new Uint8Array(magic.length);
    let n = 0;
    while (n < head.length) {
      const got = file.readSync(head.subarray(n));
      if (got === null || got === 0) break;
      n += got;
    }
    return n === head.length && magic.every((b, i) => head[i] === b);
  } catch {
    return false;
  } finally {
    file?.close();
  }
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function compareFiles(a: string, b: string): number {
  const na = baseName(a);
  const nb = baseName(b);
  return na < nb ? -1 : na > nb ? 1 : a < b ? -1 : a > b ? 1 : 0;
}

function emit(
  sink: LogSink | undefined,
  level: LogLevel,
  event: string,
  message: string,
  fields: Partial<LogRecord>,
): void {
  if (!sink) return;
  const defined: Partial<LogRecord> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) defined[k] = v;
  try {
    sink(logRecord(level, event, message, defined));
  } catch {
    // A failing sink must not break the pipeline.
  }
}

/** Without `--log`: an exec plugin's stderr lines pass through, like a native plugin's. */
function stderrSink(io: Io): LogSink {
  return (r) => {
    if (r.event === "stderr") io.err(`[${r.plugin ?? r.path} ${r.pid}] ${r.message}`);
  };
}

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
  const log = opts.log ? appLogSink(io, opts.json) : undefined;
  await using host = new PluginHost({
    paths: opts.dirs.length > 0 ? opts.dirs : ["build"],
    interfaces: [TextProcessor],
    log,
    logCalls: opts.log,
  });
  await host.discover();
  await using pipeline = await TextPipeline.open(host, {
    log: log ?? stderrSink(io),
    logCalls: opts.log,
  });
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
