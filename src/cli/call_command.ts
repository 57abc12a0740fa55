/**
 * `plugboard call FILE FUNCTION [ARGS...] [--json]`: load a plugin, parse the
 * arguments by the function's declared signature, call it, print the result.
 *
 * @module
 */

import type { TypeName } from "../abi/signature.ts";
import { openPlugin } from "../open/open_plugin.ts";
import { PluginError } from "../errors/plugin_error.ts";
import { EXIT_OK, type Io, splitArgs, toJson, UsageError } from "./_output.ts";

/** Usage of `plugboard call`. */
export const CALL_USAGE = `Usage: plugboard call FILE FUNCTION [ARGS...] [--json]

Load a plugin, parse ARGS by FUNCTION's declared signature, call it and print
the result. Integers and floats are written as numbers, bool as true/false,
cstring as text, buffer as text (its UTF-8 bytes), pointer as null.

Options:
  --json   print {"result": ...} (or {"error": ...}) as JSON
  --help   show this help

Example:
  plugboard call build/myfunction.so MyFunction hello   # prints 42`;

/**
 * Run `call`.
 *
 * @param args the arguments after `call`
 * @param io where to write
 * @returns the exit code
 */
export async function callCommand(args: readonly string[], io: Io): Promise<number> {
  const { flags, positionals } = splitArgs(args, ["json", "help"], CALL_USAGE);
  if (flags.has("help")) {
    io.out(CALL_USAGE);
    return EXIT_OK;
  }
  if (positionals.length < 2) throw new UsageError("call needs FILE and FUNCTION", CALL_USAGE);
  const [file, fn, ...rest] = positionals;
  await using plugin = await openPlugin(file);
  const sig = plugin.metadata.functions.get(fn);
  if (!sig) {
    // Let the plugin explain (hidden, static, did you mean ...).
    plugin.function(fn);
    throw new PluginError("SYMBOL_MISSING", `Function ${JSON.stringify(fn)} not found`);
  }
  if (rest.length !== sig.parameters.length) {
    throw new UsageError(
      `${fn} takes ${sig.parameters.length} argument(s) (${
        sig.parameters.join(", ") || "none"
      }), got ${rest.length}`,
      CALL_USAGE,
    );
  }
  const values = rest.map((text, i) => parseArg(text, sig.parameters[i], i));
  const result = plugin.function(fn)(...values);
  const value = result instanceof Promise ? await result : result;
  if (flags.has("json")) io.out(toJson({ result: value ?? null }));
  else if (sig.result !== "void") io.out(String(value));
  return EXIT_OK;
}

function parseArg(text: string, type: TypeName, i: number): unknown {
  const bad = (what: string) =>
    new UsageError(`Argument ${i + 1} (${JSON.stringify(text)}) is not ${what}`, CALL_USAGE);
  switch (type) {
    case "bool":
      if (text === "true" || text === "1") return true;
      if (text === "false" || text === "0") return false;
      throw bad("a bool (true or false)");
    case "i64":
    case "u64":
    case "isize":
    case "usize":
      if (!/^-?\d+$/.test(text)) throw bad(`an integer (${type})`);
      return BigInt(text);
    case "f32":
    case "f64": {
      const n = Number(text);
      if (text.trim() === "" || Number.isNaN(n)) throw bad(`a number (${type})`);
      return n;
    }
    case "cstring":
      return text;
    case "buffer":
      return new TextEncoder().encode(text);
    case "pointer":
      if (text === "null") return null;
      throw bad("null (pointers cannot be given on the command line)");
    default: {
      if (!/^-?\d+$/.test(text)) throw bad(`an integer (${type})`);
      return Number(text);
    }
  }
}
