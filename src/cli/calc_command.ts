/**
 * `plugboard calc [--dir DIR]... [--log] [--json] [EXPRESSION...]`: a
 * calculator whose operators are plugins. Every `calc.op/1` plugin found in
 * the directories (and in `PLUGBOARD_PATH`) provides one operator: its
 * `name()` is the symbol, its `apply(a, b)` the operation.
 *
 * @module
 */

import { defineInterface, type InterfaceSpec } from "../abi/define_interface.ts";
import { PluginError } from "../errors/plugin_error.ts";
import { PluginHost } from "../host/plugin_host.ts";
import type { LogSink } from "../log/log_record.ts";
import { jsonLinesSink, prettySink } from "../log/sinks.ts";
import { parseArgs } from "./_args.ts";
import { EXIT_OK, type Io, reportError, toJson, UsageError } from "./_output.ts";

/** The calculator interface: `name()` is the operator's symbol, `apply(a, b)` the operation. */
export const CalcOp: InterfaceSpec<{
  name: "cstring name()";
  apply: "fallible f64 apply(f64 a, f64 b)";
}> = defineInterface("calc.op", "1.0", {
  name: "cstring name()",
  apply: "fallible f64 apply(f64 a, f64 b)",
});

/** Usage of `plugboard calc`. */
export const CALC_USAGE = `Usage: plugboard calc [--dir DIR]... [--log] [--json] [EXPRESSION...]

Evaluate arithmetic with operator plugins: every calc.op/1 plugin in DIR and
in PLUGBOARD_PATH provides the operator its name() returns. An operator is a
shared library (*.so), called in this process, or an executable with a
metadata sidecar (PROGRAM.plugboard.json) speaking plugboard-rpc/1, run as
its own process; each gives the same answers. Files that are not plugins,
or fail their checks, are skipped with a warning.
The words of EXPRESSION are joined; several expressions are separated by ";".
Without EXPRESSION, expressions are read from standard input, one per line.
"*", "/" and "%" bind tighter than "+" and "-", "^" tighter still; use
parentheses to group. A failing operation prints its error and the rest go on.

Options:
  --dir DIR   search DIR for plugins (repeatable; or set PLUGBOARD_PATH)
  --log       print a record per plugin load, skip and call to standard error
  --json      print results (and log records) as JSON lines
  --help      show this help

Permissions: --allow-read=DIR --allow-ffi --allow-env=PLUGBOARD_PATH, and
--allow-run for executable plugins (without it they are skipped, with a
warning naming the flag).

Examples:
  plugboard calc --dir plugins "10 / 5"          # 10 / 5 = 2
  plugboard calc --dir plugins "(1 + 2) * 4; 1 / 0"`;

/** The common options of the host apps (`calc`, `pipe`). */
export interface HostArgs {
  /** The command, for usage errors. */
  command: string;
  /** `--dir` values, in order. */
  dirs: readonly string[];
  /** `--log` given. */
  log: boolean;
  /** `--json` given. */
  json: boolean;
  /** `--help` or `-h` given. */
  help: boolean;
  /** Other boolean flags given, without dashes. */
  flags: Set<string>;
  /** The other arguments (words starting with "-" and no letter stay positional). */
  positionals: readonly string[];
}

/**
 * Parse the options of a host app: `--dir DIR` (repeatable), `--log`,
 * `--json`, `--help`, the given extra flags, `--` and positionals.
 *
 * @param args the arguments after the command's name
 * @param command the command, for usage errors
 * @param extra other boolean flags the command knows, without dashes
 * @returns the options
 * @throws {UsageError} on an unknown option or a `--dir` without a value
 */
export function parseHostArgs(
  args: readonly string[],
  command: string,
  extra: readonly string[] = [],
): HostArgs {
  const a = parseArgs(args, { command, flags: ["log", "json", ...extra], lists: ["dir"] });
  const flags = a.flags as Readonly<Record<string, boolean>>;
  return {
    command,
    dirs: a.lists.dir,
    log: a.flags.log,
    json: a.flags.json,
    help: a.flags.help,
    flags: new Set(extra.filter((f) => flags[f])),
    positionals: a.positionals,
  };
}

/**
 * The log sink of a host app: every record as JSON lines with `--json`,
 * else aligned lines from level info up, coloured on a terminal; both to
 * standard error.
 *
 * @param io where to write
 * @param json whether to write JSON lines
 * @returns the sink
 */
export function appLogSink(io: Io, json: boolean): LogSink {
  return json
    ? jsonLinesSink(io.err)
    : prettySink(io.err, { color: io.color, time: false, minLevel: "info" });
}

/**
 * The host of an app (`calc`, `pipe`): the `--dir` directories and
 * `PLUGBOARD_PATH`, one interface, every kind of plugin (executables run as
 * processes, the rest in this process), discovered. Without `--log`, only
 * the plugins' own stderr lines and one warning per skipped file reach
 * standard error; with it, every record.
 *
 * @param opts the app's options
 * @param io where to write
 * @param spec the interface the app uses
 * @returns the discovered host
 * @throws {UsageError} when there is no directory to search
 */
export async function openAppHost(
  opts: HostArgs,
  io: Io,
  spec: InterfaceSpec,
): Promise<PluginHost<"auto">> {
  const host = new PluginHost({
    paths: opts.dirs,
    interfaces: [spec],
    log: opts.log ? appLogSink(io, opts.json) : stderrLines(io),
    logCalls: opts.log,
    loadOptions: { isolation: "auto" },
  });
  if (host.paths.length === 0) {
    await host.close();
    throw new UsageError(
      `expected a directory of ${spec.id}/${spec.version.major} plugins, found no --dir and no PLUGBOARD_PATH`,
      opts.command,
    );
  }
  const summary = await host.discover();
  if (!opts.log) {
    for (const s of summary.skipped) {
      if (s.forOtherInterfaces) continue;
      io.err(`warning[${s.code}]: ${s.message}`);
      if (s.hint) io.err(`hint: ${s.hint}`);
    }
  }
  return host;
}

/** Without `--log`: a subprocess plugin's stderr lines pass through, as a native plugin's do. */
function stderrLines(io: Io): LogSink {
  return (r) => {
    if (r.event === "stderr") io.err(`[${r.plugin ?? r.path} ${r.pid}] ${r.message}`);
  };
}

/** One operator: its symbol, its function and where it comes from. */
interface Operator {
  symbol: string;
  apply: (a: number, b: number) => number | Promise<number>;
  path: string;
}

/**
 * Run `calc`.
 *
 * @param args the arguments after `calc`
 * @param io where to write
 * @returns the exit code: 0 when every expression was evaluated, 1 when one failed
 */
export async function calcCommand(args: readonly string[], io: Io): Promise<number> {
  const opts = parseHostArgs(args, "calc");
  if (opts.help) {
    io.out(CALC_USAGE);
    return EXIT_OK;
  }
  await using host = await openAppHost(opts, io, CalcOp);
  const ops = new Map<string, Operator>();
  for (const p of host.plugins(CalcOp)) {
    const fns = await p.use(CalcOp);
    const symbol = await fns.name();
    if (!symbol || /[\s\d().]/.test(symbol)) {
      io.err(`warning: ${p.path} names its operator ${JSON.stringify(symbol)}; ignored`);
      continue;
    }
    const first = ops.get(symbol);
    if (first) {
      io.err(
        `warning: operator ${
          JSON.stringify(symbol)
        } of ${p.path} ignored: ${first.path} provides it first`,
      );
      continue;
    }
    ops.set(symbol, { symbol, apply: fns.apply, path: p.path });
  }
  if (ops.size === 0) {
    throw new PluginError(
      "INTERFACE_MISSING",
      `No calc.op/1 plugins in ${host.paths.map((d) => JSON.stringify(d)).join(", ")}`,
      {
        hint:
          "pass --dir DIR with calc.op/1 plugins (plugboard new NAME --interface calc.op makes one)",
      },
    );
  }
  const expressions = opts.positionals.length > 0
    ? splitExpressions(opts.positionals.join(" "))
    : readLines(Deno.stdin.readable);
  let code = EXIT_OK;
  for await (const expression of expressions) {
    if (expression.trim() === "") continue;
    try {
      const result = await evaluate(expression, ops);
      io.out(
        opts.json
          ? toJson({ expression: expression.trim(), result })
          : `${expression.trim()} = ${result}`,
      );
    } catch (e) {
      code = Math.max(code, reportError(e, io, opts.json));
    }
  }
  return code;
}

function* splitExpressions(text: string): Generator<string> {
  for (const part of text.split(/[;\n]/)) yield part;
}

async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffered = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) !== -1) {
      yield buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
    }
  }
  if (buffered !== "") yield buffered;
}

type Token =
  | { kind: "number"; value: number; at: number }
  | { kind: "op"; text: string; at: number }
  | { kind: "open" | "close"; at: number };

const NUMBER = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/;

/**
 * Evaluate an expression with the operators of the plugins. Operators bind
 * by the usual rules: `^` and `**` (right to left) over `*`, `/`, `%` and any
 * other symbol, over `+` and `-`; a leading `-` negates.
 *
 * @param expression the text
 * @param ops the operators by symbol
 * @returns the value
 * @throws {PluginError} `USAGE` for a syntax error or an operator no plugin provides
 * @throws {CallError} when an operator plugin fails (e.g. division by zero)
 */
async function evaluate(
  expression: string,
  ops: ReadonlyMap<string, Operator>,
): Promise<number> {
  const text = expression.trim();
  const tokens = tokenize(text, ops);
  let i = 0;
  const fail = (detail: string): never => {
    throw new PluginError("USAGE", `Cannot evaluate ${JSON.stringify(text)}: ${detail}`, {
      hint: `write NUMBER OPERATOR NUMBER, e.g. "10 / 5"; operators: ${[...ops.keys()].join(" ")}`,
    });
  };
  const describe = (t: Token | undefined) =>
    t === undefined
      ? "the end"
      : t.kind === "number"
      ? `${t.value}`
      : t.kind === "op"
      ? `operator "${t.text}"`
      : t.kind === "open"
      ? '"("'
      : '")"';
  const operand = async (): Promise<number> => {
    const t = tokens[i++];
    if (t?.kind === "number") return t.value;
    if (t?.kind === "open") {
      const v = await binary(0);
      if (tokens[i]?.kind !== "close") fail(`expected ")", found ${describe(tokens[i])}`);
      i++;
      return v;
    }
    if (t?.kind === "op" && (t.text === "-" || t.text === "+")) {
      const v = await operand();
      return t.text === "-" ? -v : v;
    }
    return fail(`expected a number, found ${describe(t)}`);
  };
  const binary = async (minPrec: number): Promise<number> => {
    let left = await operand();
    for (;;) {
      const t = tokens[i];
      if (t?.kind !== "op") break;
      const prec = precedence(t.text);
      if (prec < minPrec) break;
      i++;
      const op = ops.get(t.text);
      if (!op) {
        throw new PluginError(
          "USAGE",
          `Cannot evaluate ${JSON.stringify(text)}: no plugin provides operator "${t.text}"`,
          { hint: `available operators: ${[...ops.keys()].join(" ")}` },
        );
      }
      const right = await binary(t.text === "^" || t.text === "**" ? prec : prec + 1);
      left = await op.apply(left, right);
    }
    return left;
  };
  const value = await binary(0);
  if (i < tokens.length) fail(`unexpected ${describe(tokens[i])}`);
  return value;
}

function precedence(op: string): number {
  if (op === "+" || op === "-") return 1;
  if (op === "^" || op === "**") return 3;
  return 2;
}

function tokenize(text: string, ops: ReadonlyMap<string, Operator>): Token[] {
  const symbols = [...ops.keys()].sort((a, b) => b.length - a.length);
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "(" || c === ")") {
      tokens.push({ kind: c === "(" ? "open" : "close", at: i });
      i++;
      continue;
    }
    const num = NUMBER.exec(text.slice(i));
    if (num) {
      tokens.push({ kind: "number", value: Number(num[0]), at: i });
      i += num[0].length;
      continue;
    }
    const known = symbols.find((s) => text.startsWith(s, i));
    const unknown = /^[^\s\d().]+/.exec(text.slice(i))![0];
    const op = known ?? (["-", "+"].includes(c) ? c : unknown);
    tokens.push({ kind: "op", text: op, at: i });
    i += op.length;
  }
  return tokens;
}
