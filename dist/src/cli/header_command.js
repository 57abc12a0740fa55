// Generated from src/cli/header_command.ts by tasks/dist.ts (deno task dist): do not edit.
import { dirname, join } from "../file/paths.js";
import { oneOf, parseArgs } from "./_args.js";
import { EXIT_OK, toJson, UsageError } from "./_output.js";
import { SDK_FILES } from "./_sdk_files.js";
export var sdkFilesFor = (function sdkFilesFor(language) {
    const pick = (...names) => names.map(([to, from]) => [to, SDK_FILES[from]]);
    switch (language) {
        case "c":
            return pick(["plugboard.h", "plugboard.h"]);
        case "cpp":
            return pick(["plugboard.h", "plugboard.h"], ["plugboard.hpp", "cpp/plugboard.hpp"]);
        case "rust":
            return pick(["plugboard.rs", "rust/plugboard.rs"], ["build.rs", "rust/build.rs"]);
        case "go":
            return [
                ["plugboard.h", SDK_FILES["plugboard.h"]],
                ...Object.entries(SDK_FILES)
                    .filter(([name]) => name.startsWith("go/"))
                    .map(([name, text]) => [name, text]),
            ];
    }
});
export var writeFiles = (function writeFiles(dir, files) {
    return files.map(([name, text]) => {
        const path = join(dir, name);
        let old;
        try {
            old = Deno.readTextFileSync(path);
        }
        catch (e) {
            if (!(e instanceof Deno.errors.NotFound))
                throw e;
        }
        if (old === text)
            return { path, status: "unchanged" };
        Deno.mkdirSync(dirname(path), { recursive: true });
        Deno.writeTextFileSync(path, text);
        return { path, status: old === undefined ? "wrote" : "replaced" };
    });
});
export var headerCommand = (function headerCommand(args, io) {
    const a = parseArgs(args, { command: "header", flags: ["json"], options: ["lang"] });
    if (a.flags.help) {
        io.out(HEADER_USAGE);
        return EXIT_OK;
    }
    if (a.positionals.length > 1) {
        throw new UsageError(`header takes at most one DIR, got ${a.positionals.length}`, "header");
    }
    const language = oneOf("header", "lang", a.options.lang, SDK_LANGUAGES) ?? "c";
    const results = writeFiles(a.positionals[0] ?? ".", sdkFilesFor(language));
    if (a.flags.json) {
        io.out(toJson({ language, files: results }));
    }
    else {
        for (const r of results) {
            io.out(r.status === "unchanged" ? `${r.path} is up to date` : `${r.status} ${r.path}`);
        }
    }
    return EXIT_OK;
});
export const SDK_LANGUAGES = Object.freeze(["c", "cpp", "rust", "go"]);
export const HEADER_USAGE = `Usage: plugboard header [DIR] [--lang c|cpp|rust|go] [--json]

Write the SDK files of a language into DIR (default: the current directory),
from this package, for build systems that compile plugins themselves:
  c      plugboard.h
  cpp    plugboard.h, plugboard.hpp
  rust   plugboard.rs (include it with #[path] as a module named plugboard)
         and build.rs (build = "build.rs" in Cargo.toml: records rustc)
  go     plugboard.h and go/ (the cgo package plugboard/native/go/plugboard:
         require it in go.mod with replace plugboard/native/go => ./DIR/go)
A file that is already there with the same text is left alone; another one
is replaced.

Options:
  --lang L   the language (default: c)
  --json     print the files and what was done as JSON
  --help     show this help

Permissions: --allow-read=DIR --allow-write=DIR.

Example (Make, CMake): plugboard header include && cc -Iinclude ...`;
