// Generated from src/cli/_output.ts by tasks/dist.ts (deno task dist): do not edit.
import { CrashError } from "../errors/crash_error.js";
import { CallError, LoadError, PluginError } from "../errors/plugin_error.js";
export var consoleIo = (function consoleIo() {
    const color = Deno.stderr.isTerminal() && !Deno.env.get("NO_COLOR");
    return { out: (l) => console.log(l), err: (l) => console.error(l), color };
});
export var cliError = (function cliError(e) {
    if (e instanceof PluginError)
        return e;
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof Deno.errors.NotCapable) {
        const m = /Requires (\w+) access(?: to "?([^",]+)"?)?/.exec(message);
        const kind = m?.[1] ?? "";
        const what = m?.[2];
        const flag = `--allow-${kind || "..."}${what ? `=${what}` : ""}`;
        return new PluginError("PERMISSION_DENIED", `Deno's permissions do not allow ${kind || "this"} access${what ? ` to ${JSON.stringify(what)}` : ""}: expected ${flag}, found none`, { path: what, hint: `run again with ${flag}`, cause: e });
    }
    if (e instanceof Deno.errors.PermissionDenied) {
        return new PluginError("PERMISSION_DENIED", `The operating system refused: ${message}`, {
            hint: "check the permissions of the file or directory (ls -l, chmod)",
            cause: e,
        });
    }
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
        return new PluginError("NOT_FOUND", `No such file or directory: ${message}`, {
            hint: "check the path",
            cause: e,
        });
    }
    if (e instanceof Deno.errors.IsADirectory) {
        return new PluginError("NOT_A_FILE", `Expected a file, found a directory: ${message}`, {
            hint: "name a file, not a directory",
            cause: e,
        });
    }
    for (const kind of Object.values(Deno.errors)) {
        if (typeof kind === "function" && e instanceof kind) {
            return new PluginError("IO_FAILED", `${kind.name}: ${message}`, { cause: e });
        }
    }
    return new PluginError("INTERNAL", `${e instanceof Error ? e.name : "Error"}: ${message}`, {
        hint: "this is a bug in plugboard: please report it with the command line",
        cause: e,
    });
});
export var reportError = (function reportError(e, io, json) {
    const err = cliError(e);
    if (json) {
        io.out(JSON.stringify({ error: errorData(err) }));
    }
    else {
        for (const line of errorLines(err, io.color))
            io.err(line);
    }
    return err.code === "USAGE" ? EXIT_USAGE : EXIT_PLUGIN_ERROR;
});
var buildStderr = (function buildStderr(err) {
    const stderr = err.stderr;
    return err.code === "BUILD_FAILED" && typeof stderr === "string" ? stderr : undefined;
});
export var errorLines = (function errorLines(err, color = false) {
    const paint = (style, text) => color ? `${SGR[style][0]}${text}${SGR[style][1]}` : text;
    const code = err instanceof CallError && err.pluginCode !== undefined
        ? ` (plugin code ${err.pluginCode})`
        : "";
    const stderr = buildStderr(err);
    const lines = stderr !== undefined && stderr.trim() !== "" ? stderr.trimEnd().split("\n") : [];
    lines.push(`${paint("error", `error[${err.code}]`)}${code}: ${err.summary}`);
    for (const line of (err.hint ?? "").split("\n").filter((l) => l !== "")) {
        lines.push(`${paint("cyan", "hint")}: ${line}`);
    }
    return lines;
});
export var errorData = (function errorData(err) {
    return {
        code: err.code,
        message: err.summary,
        hint: err.hint ?? null,
        ...(err instanceof LoadError ? { expected: err.expected, found: err.found } : {}),
        ...(err instanceof CallError && err.pluginCode !== undefined
            ? { pluginCode: err.pluginCode }
            : {}),
        ...(err instanceof CrashError
            ? { signal: err.signal, exitCode: err.exitCode, stderr: err.stderrTail }
            : {}),
        ...(buildStderr(err) !== undefined ? { stderr: buildStderr(err) } : {}),
    };
});
export var toJson = (function toJson(value) {
    return JSON.stringify(value, (_k, v) => typeof v === "bigint"
        ? (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)
            ? Number(v)
            : v.toString())
        : v);
});
export var shellWord = (function shellWord(s) {
    return /^[A-Za-z0-9_./@%+=:,-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
});
export const EXIT_OK = 0;
export const EXIT_PLUGIN_ERROR = 1;
export const EXIT_USAGE = 2;
export class UsageError extends PluginError {
    command;
    constructor(summary, command) {
        super("USAGE", summary, { hint: `see plugboard ${command ? `${command} ` : ""}--help` });
        this.command = command;
    }
}
const SGR = {
    error: ["\x1b[1m\x1b[31m", "\x1b[39m\x1b[22m"],
    cyan: ["\x1b[36m", "\x1b[39m"],
};
