// @ts-self-types="../../../src/cli/main.ts"
// Generated from src/cli/main.ts by tasks/dist.ts (deno task dist): do not edit.
import { consoleIo, EXIT_OK, EXIT_USAGE, reportError, UsageError } from "./_output.js";
import { COMMANDS } from "./_commands.js";
export var mainUsage = (function mainUsage() {
    const width = Math.max(...Object.values(COMMANDS).map((c) => c.synopsis.length));
    return `plugboard: load native plugins into Deno safely

Usage: plugboard COMMAND [ARGS...] [--json] [--help]
       plugboard help COMMAND
       plugboard --version

Commands:
${Object.values(COMMANDS).map((c) => `  ${c.synopsis.padEnd(width)}  ${c.summary}`).join("\n")}

Exit codes: 0 ok, 1 plugin or load error, 2 usage error.
Run \`plugboard COMMAND --help\` for a command's options and permissions.`;
});
export var runCli = (async function runCli(args, io = consoleIo()) {
    const dashDash = args.indexOf("--");
    const json = (dashDash === -1 ? args : args.slice(0, dashDash)).includes("--json");
    try {
        const [name, ...rest] = args;
        if (name === undefined) {
            io.err(mainUsage());
            return EXIT_USAGE;
        }
        if (name === "--help" || name === "-h" || (name === "help" && rest.length === 0)) {
            io.out(mainUsage());
            return EXIT_OK;
        }
        if (name === "--version" || name === "-V") {
            const { PACKAGE_VERSION } = await import("./_sdk_files.js");
            io.out(`plugboard ${PACKAGE_VERSION}`);
            return EXIT_OK;
        }
        if (name === "help") {
            if (rest.length > 1)
                throw new UsageError("help takes one COMMAND");
            return await commandNamed(rest[0]).run(["--help"], io);
        }
        return await commandNamed(name).run(rest, io);
    }
    catch (e) {
        return reportError(e, io, json);
    }
});
var commandNamed = (function commandNamed(name) {
    const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!command) {
        throw new UsageError(name.startsWith("-")
            ? `Unknown option ${JSON.stringify(name)}: expected a COMMAND first`
            : `Unknown command ${JSON.stringify(name)}`);
    }
    return command;
});
if (import.meta.main) {
    Deno.exit(await runCli(Deno.args));
}
