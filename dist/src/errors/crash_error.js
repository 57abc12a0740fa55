// Generated from src/errors/crash_error.ts by tasks/dist.ts (deno task dist): do not edit.
import { PluginError, quote } from "./plugin_error.js";
export var describeChildExit = (function describeChildExit(exit) {
    return exit.signal !== null
        ? `the child (pid ${exit.pid}) killed by ${exit.signal}${exit.signalNumber !== null ? ` (signal ${exit.signalNumber})` : ""}`
        : `the child (pid ${exit.pid}) exited with code ${exit.exitCode}`;
});
export class CrashError extends PluginError {
    function;
    pid;
    exitCode;
    signal;
    signalNumber;
    stderrTail;
    constructor(details) {
        const summary = `Plugin ${quote(details.path)} crashed: expected ${details.expected}, found ${details.found ?? describeChildExit(details)}`;
        const hint = details.hint ??
            "the host kept running; fix the plugin (the child's stderr above may say why), or open it with { restart: {...} } to start a fresh child after a crash";
        super("PLUGIN_CRASHED", summary, { path: details.path, hint });
        this.function = details.function;
        this.pid = details.pid;
        this.exitCode = details.exitCode;
        this.signal = details.signal;
        this.signalNumber = details.signalNumber;
        this.stderrTail = Object.freeze([...details.stderrTail]);
        if (this.stderrTail.length > 0) {
            this.message = [summary, ...this.stderrTail.map((l) => `  stderr: ${l}`), `hint: ${hint}`]
                .join("\n");
        }
    }
}
