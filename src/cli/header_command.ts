/**
 * `plugboard header [DIR] [--lang c|cpp|rust|go] [--json]`: write the SDK
 * files of a language (`plugboard.h` for C) into a directory, for build
 * systems that compile plugins themselves (Make, CMake, cargo, cgo).
 *
 * @module
 */

import { dirname, join } from "../file/paths.ts";
import { oneOf, parseArgs } from "./_args.ts";
import { EXIT_OK, type Io, toJson, UsageError } from "./_output.ts";
import { SDK_FILES } from "./_sdk_files.ts";

/** A language plugboard has an SDK for. */
export type SdkLanguage = "c" | "cpp" | "rust" | "go";

/** The languages, in the order help texts list them. */
export const SDK_LANGUAGES: readonly SdkLanguage[] = Object.freeze(["c", "cpp", "rust", "go"]);

/** Usage of `plugboard header`. */
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

/**
 * The SDK files of a language, as paths relative to the directory they go
 * to and their text (the Go package keeps the layout its cgo flags expect).
 *
 * @param language the language
 * @returns the files
 */
export function sdkFilesFor(language: SdkLanguage): [string, string][] {
  const pick = (...names: [string, string][]) =>
    names.map(([to, from]): [string, string] => [to, SDK_FILES[from]]);
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
          .map(([name, text]): [string, string] => [name, text]),
      ];
  }
}

/** What {@linkcode writeFiles} did to a file. */
export type WriteStatus = "wrote" | "replaced" | "unchanged";

/**
 * Write files under a directory, creating directories; a file with the same
 * text already is left alone.
 *
 * @param dir the directory
 * @param files paths relative to it and their text
 * @returns each path (joined to dir) with what was done
 */
export function writeFiles(
  dir: string,
  files: readonly (readonly [string, string])[],
): { path: string; status: WriteStatus }[] {
  return files.map(([name, text]) => {
    const path = join(dir, name);
    let old: string | undefined;
    try {
      old = Deno.readTextFileSync(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    if (old === text) return { path, status: "unchanged" as const };
    Deno.mkdirSync(dirname(path), { recursive: true });
    Deno.writeTextFileSync(path, text);
    return { path, status: old === undefined ? "wrote" as const : "replaced" as const };
  });
}

/**
 * Run `header`.
 *
 * @param args the arguments after `header`
 * @param io where to write
 * @returns the exit code
 */
export function headerCommand(args: readonly string[], io: Io): number {
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
  } else {
    for (const r of results) {
      io.out(r.status === "unchanged" ? `${r.path} is up to date` : `${r.status} ${r.path}`);
    }
  }
  return EXIT_OK;
}
