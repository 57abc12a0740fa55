// Generated from src/cli/quarantine_command.ts by tasks/dist.ts (deno task dist): do not edit.
import { describeQuarantineReason, openQuarantine, } from "../isolate/quarantine.js";
import { parseArgs } from "./_args.js";
import { EXIT_OK, EXIT_PLUGIN_ERROR, toJson, UsageError } from "./_output.js";
export var quarantineCommand = (function quarantineCommand(args, io) {
    const { flags, options, positionals } = parseArgs(args, {
        command: "quarantine",
        flags: ["json"],
        options: ["quarantine"],
    });
    const values = { ...flags, ...options };
    if (values.help) {
        io.out(QUARANTINE_USAGE);
        return EXIT_OK;
    }
    const [action, ...targets] = positionals;
    if (action !== "list" && action !== "clear") {
        throw new UsageError(action === undefined
            ? "quarantine needs an action: list or clear"
            : `Unknown action ${JSON.stringify(action)}: expected list or clear`, "quarantine");
    }
    const quarantine = openQuarantine(values.quarantine);
    if (action === "list") {
        if (targets.length > 0) {
            throw new UsageError("quarantine list takes no FILE", "quarantine");
        }
        const records = quarantine.list();
        if (values.json) {
            io.out(toJson({ quarantine: quarantine.path, plugins: records }));
            return EXIT_OK;
        }
        if (records.length === 0) {
            io.out(`nothing is quarantined (list: ${quarantine.path})`);
            return EXIT_OK;
        }
        for (const r of records)
            printRecord(r, io);
        io.out(`${records.length} quarantined (list: ${quarantine.path})`);
        return EXIT_OK;
    }
    if (targets.length === 0) {
        const n = quarantine.clear();
        if (values.json)
            io.out(toJson({ quarantine: quarantine.path, cleared: n, unmatched: [] }));
        else
            io.out(`cleared ${n} record(s) from ${quarantine.path}`);
        return EXIT_OK;
    }
    const hashes = new Set();
    const unmatched = [];
    for (const t of targets) {
        const found = quarantine.find(t);
        if (found.length === 0)
            unmatched.push(t);
        for (const r of found)
            hashes.add(r.sha256);
    }
    const n = quarantine.remove([...hashes]);
    if (values.json) {
        io.out(toJson({ quarantine: quarantine.path, cleared: n, unmatched }));
    }
    else {
        for (const t of unmatched)
            io.err(`nothing quarantined matches ${JSON.stringify(t)}`);
        io.out(`cleared ${n} record(s) from ${quarantine.path}`);
    }
    return unmatched.length ? EXIT_PLUGIN_ERROR : EXIT_OK;
});
var printRecord = (function printRecord(r, io) {
    const who = r.name ? `${r.name} ${r.version ?? ""}`.trim() : "(plain library)";
    io.out(`${r.sha256.slice(0, 12)}  ${who}  ${r.path}`);
    io.out(`  ${describeQuarantineReason(r.reason)}, ${r.time}`);
    for (const line of r.reason.stderrTail.slice(-5))
        io.out(`  stderr: ${line}`);
});
export const QUARANTINE_USAGE = `Usage: plugboard quarantine list [--quarantine FILE] [--json]
       plugboard quarantine clear [FILE|SHA256...] [--quarantine FILE] [--json]

list   show every quarantined plugin: its SHA-256, name, version and file,
       why (crash or hang, while loading, in a call or shutting down; the
       signal or exit code; the child's last stderr lines) and when.
clear  forgive the given plugins (a plugin file, matched by the hash of its
       bytes or by the recorded path, or a SHA-256 prefix of 8+ hex digits),
       or every plugin when none is given; the next probe runs them again.

Options:
  --quarantine FILE  the quarantine list (default: $PLUGBOARD_QUARANTINE, else
                     $XDG_STATE_HOME/plugboard/quarantine.json, else
                     ~/.local/state/plugboard/quarantine.json)
  --json             print JSON
  --help             show this help

Permissions: --allow-read and --allow-write on the list, and --allow-env for
the variables above unless --quarantine is given.`;
