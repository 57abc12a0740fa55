// Generated from src/cli/calc_command.ts by tasks/dist.ts (deno task dist): do not edit.
import { defineInterface } from "../abi/define_interface.js";
import { PluginError } from "../errors/plugin_error.js";
import { PluginHost } from "../host/plugin_host.js";
import { jsonLinesSink, prettySink } from "../log/sinks.js";
import { parseArgs } from "./_args.js";
import { EXIT_OK, reportError, toJson, UsageError } from "./_output.js";
export var parseHostArgs = (function parseHostArgs(args, command, extra = []) {
    const a = parseArgs(args, { command, flags: ["log", "json", ...extra], lists: ["dir"] });
    const flags = a.flags;
    return {
        command,
        dirs: a.lists.dir,
        log: a.flags.log,
        json: a.flags.json,
        help: a.flags.help,
        flags: new Set(extra.filter((f) => flags[f])),
        positionals: a.positionals,
    };
});
export var appLogSink = (function appLogSink(io, json) {
    return json
        ? jsonLinesSink(io.err)
        : prettySink(io.err, { color: io.color, time: false, minLevel: "info" });
});
export var openAppHost = (async function openAppHost(opts, io, spec) {
    const host = new PluginHost({
        paths: opts.dirs,
        interfaces: [spec],
        log: opts.log ? appLogSink(io, opts.json) : stderrLines(io),
        logCalls: opts.log,
        loadOptions: { isolation: "auto" },
    });
    if (host.paths.length === 0) {
        await host.close();
        throw new UsageError(`expected a directory of ${spec.id}/${spec.version.major} plugins, found no --dir and no PLUGBOARD_PATH`, opts.command);
    }
    const summary = await host.discover();
    if (!opts.log) {
        for (const s of summary.skipped) {
            if (s.forOtherInterfaces)
                continue;
            io.err(`warning[${s.code}]: ${s.message}`);
            if (s.hint)
                io.err(`hint: ${s.hint}`);
        }
    }
    return host;
});
var stderrLines = (function stderrLines(io) {
    return (r) => {
        if (r.event === "stderr")
            io.err(`[${r.plugin ?? r.path} ${r.pid}] ${r.message}`);
    };
});
export var calcCommand = (async function calcCommand(args, io) {
    const opts = parseHostArgs(args, "calc");
    if (opts.help) {
        io.out(CALC_USAGE);
        return EXIT_OK;
    }
    await using host = await openAppHost(opts, io, CalcOp);
    const ops = new Map();
    for (const p of host.plugins(CalcOp)) {
        const fns = await p.use(CalcOp);
        const symbol = await fns.name();
        if (!symbol || /[\s\d().]/.test(symbol)) {
            io.err(`warning: ${p.path} names its operator ${JSON.stringify(symbol)}; ignored`);
            continue;
        }
        const first = ops.get(symbol);
        if (first) {
            io.err(`warning: operator ${JSON.stringify(symbol)} of ${p.path} ignored: ${first.path} provides it first`);
            continue;
        }
        ops.set(symbol, { symbol, apply: fns.apply, path: p.path });
    }
    if (ops.size === 0) {
        throw new PluginError("INTERFACE_MISSING", `No calc.op/1 plugins in ${host.paths.map((d) => JSON.stringify(d)).join(", ")}`, {
            hint: "pass --dir DIR with calc.op/1 plugins (plugboard new NAME --interface calc.op makes one)",
        });
    }
    const expressions = opts.positionals.length > 0
        ? splitExpressions(opts.positionals.join(" "))
        : readLines(Deno.stdin.readable);
    let code = EXIT_OK;
    for await (const expression of expressions) {
        if (expression.trim() === "")
            continue;
        try {
            const result = await evaluate(expression, ops);
            io.out(opts.json
                ? toJson({ expression: expression.trim(), result })
                : `${expression.trim()} = ${result}`);
        }
        catch (e) {
            code = Math.max(code, reportError(e, io, opts.json));
        }
    }
    return code;
});
var splitExpressions = (function* splitExpressions(text) {
    for (const part of text.split(/[;\n]/))
        yield part;
});
var readLines = (async function* readLines(stream) {
    let buffered = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        buffered += chunk;
        let nl;
        while ((nl = buffered.indexOf("\n")) !== -1) {
            yield buffered.slice(0, nl);
            buffered = buffered.slice(nl + 1);
        }
    }
    if (buffered !== "")
        yield buffered;
});
var evaluate = (async function evaluate(expression, ops) {
    const text = expression.trim();
    const tokens = tokenize(text, ops);
    let i = 0;
    const fail = (detail) => {
        throw new PluginError("USAGE", `Cannot evaluate ${JSON.stringify(text)}: ${detail}`, {
            hint: `write NUMBER OPERATOR NUMBER, e.g. "10 / 5"; operators: ${[...ops.keys()].join(" ")}`,
        });
    };
    const describe = (t) => t === undefined
        ? "the end"
        : t.kind === "number"
            ? `${t.value}`
            : t.kind === "op"
                ? `operator "${t.text}"`
                : t.kind === "open"
                    ? '"("'
                    : '")"';
    const operand = async () => {
        const t = tokens[i++];
        if (t?.kind === "number")
            return t.value;
        if (t?.kind === "open") {
            const v = await binary(0);
            if (tokens[i]?.kind !== "close")
                fail(`expected ")", found ${describe(tokens[i])}`);
            i++;
            return v;
        }
        if (t?.kind === "op" && (t.text === "-" || t.text === "+")) {
            const v = await operand();
            return t.text === "-" ? -v : v;
        }
        return fail(`expected a number, found ${describe(t)}`);
    };
    const binary = async (minPrec) => {
        let left = await operand();
        for (;;) {
            const t = tokens[i];
            if (t?.kind !== "op")
                break;
            const prec = precedence(t.text);
            if (prec < minPrec)
                break;
            i++;
            const op = ops.get(t.text);
            if (!op) {
                throw new PluginError("USAGE", `Cannot evaluate ${JSON.stringify(text)}: no plugin provides operator "${t.text}"`, { hint: `available operators: ${[...ops.keys()].join(" ")}` });
            }
            const right = await binary(t.text === "^" || t.text === "**" ? prec : prec + 1);
            left = await op.apply(left, right);
        }
        return left;
    };
    const value = await binary(0);
    if (i < tokens.length)
        fail(`unexpected ${describe(tokens[i])}`);
    return value;
});
var precedence = (function precedence(op) {
    if (op === "+" || op === "-")
        return 1;
    if (op === "^" || op === "**")
        return 3;
    return 2;
});
var tokenize = (function tokenize(text, ops) {
    const symbols = [...ops.keys()].sort((a, b) => b.length - a.length);
    const tokens = [];
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
        const unknown = /^[^\s\d().]+/.exec(text.slice(i))[0];
        const op = known ?? (["-", "+"].includes(c) ? c : unknown);
        tokens.push({ kind: "op", text: op, at: i });
        i += op.length;
    }
    return tokens;
});
export const CalcOp = defineInterface("calc.op", "1.0", {
    name: "cstring name()",
    apply: "fallible f64 apply(f64 a, f64 b)",
});
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
const NUMBER = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/;
