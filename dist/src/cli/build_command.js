// Generated from src/cli/build_command.ts by tasks/dist.ts (deno task dist): do not edit.
import { basename, dirname, extname, join } from "../file/paths.js";
import { parseArgs } from "./_args.js";
import { compilePlugin, recipeFor, TARGETS } from "./_compile.js";
import { EXIT_OK, toJson, UsageError } from "./_output.js";
export var buildCommand = (async function buildCommand(args, io) {
    const a = parseArgs(args, {
        command: "build",
        flags: ["json"],
        options: ["out", "cc", "target"],
        short: { o: "out" },
        afterDashDash: "rest",
    });
    if (a.flags.help) {
        io.out(BUILD_USAGE);
        return EXIT_OK;
    }
    if (a.positionals.length === 0)
        throw new UsageError("build needs at least one SRC", "build");
    const target = a.options.target ?? "native";
    let recipe;
    try {
        recipe = recipeFor(a.positionals, target);
    }
    catch (e) {
        throw new UsageError(e.summary, "build");
    }
    const first = a.positionals[0];
    const output = a.options.out ??
        join(dirname(first), basename(first, extname(first)) + recipe.target.extension);
    const r = await compilePlugin({
        sources: a.positionals,
        output,
        flags: a.rest,
        compiler: a.options.cc,
        target,
    });
    if (r.warnings !== "")
        io.err(r.warnings);
    if (a.flags.json) {
        io.out(toJson({
            output: r.output,
            sources: r.sources,
            built: r.built,
            buildId: r.buildId,
            compiler: r.compiler,
        }));
    }
    else if (r.built) {
        io.out(`built ${r.output} (${r.compiler}, build id ${r.buildId})`);
    }
    else {
        io.out(`${r.output} is up to date (${r.compiler}, build id ${r.buildId})`);
    }
    return EXIT_OK;
});
export const BUILD_USAGE = `Usage: plugboard build SRC... [-o OUT] [--cc CC] [--target T] [--json] [-- FLAGS...]

Compile C (.c) or C++ (.cpp, .cc, .cxx) sources into one plugin, with
plugboard's headers (plugboard.h, plugboard.hpp) from this package: nothing
to install or copy. The plugin records a build id (a hash of the sources, the
local headers they include, plugboard.h, the flags and the compiler's
version) and the compiler; \`plugboard verify\` uses both to tell a rebuild
from a modified file.

C is compiled with -std=c11 -O2 -fPIC -shared -fvisibility=hidden -Wall
-Wextra -D_POSIX_C_SOURCE=200809L; C++ with -std=c++17 and the same flags.
Flags after -- come last, so they override (-- -std=gnu17 -lm). A line
\`// plugboard-build: FLAGS\` in a source adds its flags too.

Incremental: an output whose inputs did not change is not compiled again
(what it was built from is kept in .plugboard-build.json next to it). The
output is written to a temporary file and renamed into place, so a process
that has the old plugin loaded is not disturbed.

Options:
  -o, --out OUT   the plugin to write (default: the first source's name, .so)
  --cc CC         the compiler (default: $CC, or cc; for C++ $CXX, or c++)
  --target T      ${Object.entries(TARGETS).map(([name, t]) => `${name}: ${t.summary}${t.unavailable ? " (not yet available)" : ""}`).join("; ")} (default: native)
  --json          print {"output", "built", "buildId", "compiler"} as JSON
  --help          show this help

Permissions: --allow-read (sources, headers), --allow-write (the output's
directory), --allow-run=CC (the compiler), --allow-env=CC,CXX (optional).

Examples:
  plugboard build kv.c                  # kv.so
  plugboard build kv.cpp util.cpp -o build/kv.so -- -lm`;
