// Generated from src/cli/pipe_command.ts by tasks/dist.ts (deno task dist): do not edit.
import { defineInterface } from "../abi/define_interface.js";
import { CallError, PluginError } from "../errors/plugin_error.js";
import { openAppHost, parseHostArgs } from "./calc_command.js";
import { EXIT_OK, toJson } from "./_output.js";
export var pipeCommand = (async function pipeCommand(args, io) {
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
    }
    else if (opts.flags.has("steps")) {
        const width = Math.max(...pipeline.stages.map((s) => s.name.length));
        io.out(`${"input".padEnd(width)}  ${text}`);
        for (const s of run.steps)
            io.out(`${s.stage.name.padEnd(width)}  ${s.output}`);
    }
    else {
        io.out(run.output);
    }
    return EXIT_OK;
});
export const TextProcessor = defineInterface("text.processor", "1.0", {
    name: "cstring name()",
    process: "fallible usize process(buffer input, usize input_len, buffer output, usize output_cap)",
});
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
export class TextPipeline {
    stages;
    #process;
    #sync;
    #a = new Uint8Array(1024);
    #b = new Uint8Array(1024);
    constructor(stages, process) {
        this.stages = Object.freeze(stages.map((s) => Object.freeze(s)));
        this.#process = process;
        this.#sync = stages.every((s) => s.isolation === "none");
    }
    static async open(host) {
        const stages = [];
        const process = [];
        for (const p of host.plugins(TextProcessor)) {
            const fns = await p.use(TextProcessor);
            stages.push({
                name: (await fns.name()) ?? p.name,
                plugin: p.name,
                path: p.path,
                kind: p.kind,
                isolation: p.isolation,
            });
            process.push(fns.process);
        }
        if (stages.length === 0) {
            throw new PluginError("INTERFACE_MISSING", `No text.processor/1 plugins in ${host.paths.map((d) => JSON.stringify(d)).join(", ")}`, {
                hint: "pass --dir DIR with text.processor/1 plugins: shared libraries, or executables " +
                    "with a metadata sidecar (docs/subprocess.md)",
            });
        }
        return new TextPipeline(stages, process);
    }
    get sync() {
        return this.#sync;
    }
    async run(text, options = {}) {
        if (this.#sync)
            return this.runSync(text, options);
        const buffers = {
            a: new Uint8Array(text.length * 3 + 64),
            b: new Uint8Array(0),
        };
        const fit = (which, size) => {
            if (buffers[which].length < size)
                buffers[which] = new Uint8Array(size);
            return buffers[which];
        };
        const steps = [];
        let input = buffers.a;
        let len = encoder.encodeInto(text, input).written;
        for (let s = 0; s < this.#process.length; s++) {
            const cap = len * 4 + 64;
            const output = fit(input === buffers.a ? "b" : "a", cap);
            const n = Number(await this.#process[s](input, len, output, cap));
            if (n > cap)
                throw this.#overflow(s, n, cap);
            input = output;
            len = n;
            if (options.steps) {
                steps.push({ stage: this.stages[s], output: decoder.decode(input.subarray(0, len)) });
            }
        }
        return { output: decoder.decode(input.subarray(0, len)), steps };
    }
    runSync(text, options = {}) {
        if (!this.#sync)
            throw this.#notSync();
        const steps = [];
        let input = this.#fit("a", text.length * 3);
        let len = encoder.encodeInto(text, input).written;
        for (let s = 0; s < this.#process.length; s++) {
            const cap = len * 4 + 64;
            const output = this.#fit(input === this.#a ? "b" : "a", cap);
            const n = Number(this.#process[s](input, len, output, cap));
            if (n > cap)
                throw this.#overflow(s, n, cap);
            input = output;
            len = n;
            if (options.steps) {
                steps.push({ stage: this.stages[s], output: decoder.decode(input.subarray(0, len)) });
            }
        }
        return { output: decoder.decode(input.subarray(0, len)), steps };
    }
    #overflow(s, n, cap) {
        return new CallError("CALL_FAILED", this.stages[s].path, "process", `returned ${n} bytes, more than the output capacity ${cap}`, { hint: "the plugin must return at most output_cap" });
    }
    #notSync() {
        const isolated = this.stages.filter((s) => s.isolation !== "none");
        const first = this.stages.indexOf(isolated[0]);
        return new PluginError("USAGE", `Cannot run the pipeline synchronously: expected stages in this process only, found ${isolated.length} in processes, the first stage ${first + 1} (${JSON.stringify(isolated[0].path)})`, { hint: "use `await pipeline.run(text)`" });
    }
    #fit(which, size) {
        const buf = which === "a" ? this.#a : this.#b;
        if (buf.length >= size)
            return buf;
        const grown = new Uint8Array(Math.max(size, buf.length * 2));
        if (which === "a")
            this.#a = grown;
        else
            this.#b = grown;
        return grown;
    }
}
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });
