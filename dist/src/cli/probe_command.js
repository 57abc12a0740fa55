// Generated from src/cli/probe_command.ts by tasks/dist.ts (deno task dist): do not edit.
import { probePlugin } from "../isolate/probe_plugin.js";
import { describeQuarantineReason, openQuarantine } from "../isolate/quarantine.js";
import { listPluginFiles } from "../check/list_plugin_files.js";
import { parseArgs, positiveInteger } from "./_args.js";
import { chooseSandbox, sandboxFlag, withSandboxFlags, } from "./_sandbox_flags.js";
import { EXIT_OK, EXIT_PLUGIN_ERROR, toJson, UsageError } from "./_output.js";
export var probeCommand = (async function probeCommand(args, io) {
    const opts = parse(args);
    if (opts.help) {
        io.out(PROBE_USAGE);
        return EXIT_OK;
    }
    if (opts.positionals.length === 0) {
        throw new UsageError("probe needs at least one FILE or DIR", "probe");
    }
    const quarantine = openQuarantine(opts.quarantine);
    const files = [...listPluginFiles(opts.positionals)];
    const sandbox = chooseSandbox(opts.sandbox, files[0]?.path, io, "probing", opts.json);
    const results = [];
    const skipped = [];
    for (const listed of files) {
        const r = await probePlugin(listed.path, {
            quarantine,
            timeoutMs: opts.timeout,
            force: opts.force,
            sandbox: sandbox.option,
        });
        if (listed.fromDirectory && r.error?.code === "NOT_A_PLUGIN")
            skipped.push(listed.path);
        else
            results.push(r.error ? { ...r, error: withSandboxFlags(r.error) } : r);
    }
    const failed = results.filter((r) => r.status !== "ok").length;
    if (opts.json) {
        io.out(toJson({
            quarantine: quarantine.path,
            sandbox: { mode: sandbox.mode, shortfall: sandbox.shortfall },
            results: results.map((r) => ({
                path: r.path,
                status: r.status,
                sha256: r.sha256 ?? null,
                plugin: r.plugin ?? null,
                library: r.library ?? null,
                durationMs: Math.round(r.durationMs),
                error: r.error ? r.error.toJSON() : null,
                record: r.record ?? null,
            })),
            skipped,
        }));
        return failed ? EXIT_PLUGIN_ERROR : EXIT_OK;
    }
    const width = Math.max(...results.map((r) => r.status.length), 2);
    for (const r of results) {
        const fns = r.library?.functions;
        const who = r.plugin
            ? ` (${r.plugin.name} ${r.plugin.version})`
            : fns !== undefined
                ? ` (plain library, ${fns} exported function${fns === 1 ? "" : "s"})`
                : "";
        const head = `${r.status.padEnd(width)}  ${r.path}${who}`;
        switch (r.status) {
            case "ok":
                io.out(`${head} in ${Math.round(r.durationMs)} ms`);
                break;
            case "crashed":
            case "hung":
                io.out(`${head}: ${describeQuarantineReason(r.record.reason)}; quarantined`);
                for (const line of r.stderrTail.slice(-5))
                    io.out(`${"".padEnd(width)}  stderr: ${line}`);
                break;
            case "quarantined":
                io.out(`${head}: ${describeQuarantineReason(r.record.reason)} on ${r.record.time}; not run (clear it with \`plugboard quarantine clear ${r.path}\`)`);
                break;
            default: {
                const e = r.error;
                io.out(`${head}: error[${e.code}]: ${e.summary}`);
                for (const line of (e.hint ?? "").split("\n").filter((l) => l !== "")) {
                    io.out(`${"".padEnd(width)}  hint: ${line}`);
                }
            }
        }
    }
    for (const s of skipped) {
        io.out(`${"skipped".padEnd(width)}  ${s}: not a plugin (no plugboard metadata)`);
    }
    const count = (s) => results.filter((r) => r.status === s).length;
    io.out(`${results.length} probed: ${count("ok")} ok, ${count("crashed")} crashed, ${count("hung")} hung, ${count("refused")} refused, ${count("quarantined")} quarantined (list: ${quarantine.path})`);
    return failed ? EXIT_PLUGIN_ERROR : EXIT_OK;
});
var parse = (function parse(args) {
    const a = parseArgs(args, {
        command: "probe",
        flags: ["force", "json", "no-sandbox", "allow-unconfined"],
        options: ["quarantine", "timeout"],
    });
    return {
        positionals: a.positionals,
        sandbox: sandboxFlag(a.flags, "probe"),
        quarantine: a.options.quarantine,
        timeout: positiveInteger("probe", "timeout", a.options.timeout, "a positive number of milliseconds"),
        force: a.flags.force,
        json: a.flags.json,
        help: a.flags.help,
    };
});
export const PROBE_USAGE = `Usage: plugboard probe FILE|DIR... [--quarantine FILE] [--timeout MS] [--force]
                       [--no-sandbox | --allow-unconfined] [--json]

Load each plugin in a throwaway child process (its constructors, init hook
and shutdown hook run there), so a plugin that crashes or hangs takes nothing
down. A plugin that crashes or hangs is quarantined: recorded by the SHA-256
of its bytes, with the reason (signal or exit code, the child's last stderr
lines, what it was doing, when). A quarantined file is not run again until it
is rebuilt (new hash) or cleared with \`plugboard quarantine clear FILE\`.
A shared library without plugboard metadata is probed as a plain library
(its constructors and destructors run in the child). A directory stands for
its *.so files (not recursive).

The child is confined by the OS sandbox (Linux Landlock and seccomp,
docs/isolation.md) before the plugin's code runs: it may read its own file
and the system's libraries, nothing else; no writing, no network, no new
processes. What the kernel refuses, the plugin sees as an error (EACCES,
EPERM). On a kernel without Landlock or seccomp every probe is refused with
SANDBOX_UNAVAILABLE, never run less confined, unless you say so:

  --allow-unconfined  where the kernel cannot enforce the whole sandbox, apply
                      what it can (down to nothing) and probe anyway; a line
                      on standard error says what is missing
  --no-sandbox        probe unconfined: the plugin's code runs with every
                      right of this user (a line on standard error says so)

Options:
  --quarantine FILE  the quarantine list (default: $PLUGBOARD_QUARANTINE, else
                     $XDG_STATE_HOME/plugboard/quarantine.json, else
                     ~/.local/state/plugboard/quarantine.json)
  --timeout MS       how long loading, and then shutting down, may take (default 10000)
  --force            probe quarantined files again
  --json             print the results as JSON
  --help             show this help

Exit codes: 0 every plugin is ok; 1 one crashed, hung, was refused or is quarantined.

Permissions: --allow-read (the files and the list), --allow-write on the
list's directory, --allow-run for Deno's executable (the children),
--allow-ffi (to ask the kernel what it can enforce), and --allow-env for the
variables above unless --quarantine is given.`;
