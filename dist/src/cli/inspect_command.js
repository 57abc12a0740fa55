// Generated from src/cli/inspect_command.ts by tasks/dist.ts (deno task dist): do not edit.
import { formatVersionPair, HOST_ABI } from "../abi/abi_version.js";
import { inspectPlugin } from "../check/inspect_plugin.js";
import { parseArgs } from "./_args.js";
import { EXIT_OK, toJson, UsageError } from "./_output.js";
export var inspectCommand = (function inspectCommand(args, io) {
    const { flags, positionals } = parseArgs(args, { command: "inspect", flags: ["json"] });
    if (flags.help) {
        io.out(INSPECT_USAGE);
        return EXIT_OK;
    }
    if (positionals.length !== 1) {
        throw new UsageError(`inspect takes one FILE, got ${positionals.length}`, "inspect");
    }
    const r = inspectPlugin(positionals[0]);
    if (flags.json) {
        io.out(toJson(r));
        return EXIT_OK;
    }
    const row = (k, v) => io.out(`  ${k.padEnd(13)}${v}`);
    io.out(`${r.name} ${r.version}  (${r.path})`);
    row("ABI", `${r.abi} (this host: ${formatVersionPair(HOST_ABI)})`);
    row("author", r.author ?? "(none)");
    row("build id", r.buildId || "(none)");
    row("compiler", `${r.compiler} (${r.compilerSource === "comment" ? "from .comment" : "as declared"})`);
    if (r.compilerDisagreement)
        row("", `disagrees: ${r.compilerDisagreement}`);
    row("SHA-256", r.sha256);
    row("GNU build-id", r.gnuBuildId ?? "(none)");
    row("machine", `${r.machine}, ${r.size} bytes`);
    const hooks = [r.hooks.init ? "init" : "", r.hooks.shutdown ? "shutdown" : ""].filter(Boolean);
    row("hooks", hooks.length ? hooks.join(", ") : "none");
    io.out("  interfaces");
    for (const i of r.interfaces) {
        io.out(`    ${i.id}/${i.version}  (shape ${i.hash.slice(0, 12)})`);
        for (const f of i.declared)
            io.out(`      ${f}`);
    }
    if (r.structs.length) {
        io.out("  structs");
        for (const s of r.structs)
            io.out(`    ${s}`);
    }
    row("exports", r.exports.join(", "));
    row("needs", r.needed.join(", ") || "(nothing)");
    return EXIT_OK;
});
export const INSPECT_USAGE = `Usage: plugboard inspect FILE [--json]

Show a plugin's identity, ABI, interfaces and their functions as declared
(parameter names kept), build id, compiler, SHA-256 and exported symbols.
Nothing in the file is executed.

Options:
  --json   print the report as JSON
  --help   show this help

Permissions: --allow-read=FILE.`;
