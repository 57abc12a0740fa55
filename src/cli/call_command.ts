/**
 * `plugboard call FILE FUNCTION [ARGS...]`: load a plugin (or an ordinary
 * library, with `--sig`), parse the arguments by the function's signature,
 * call it, print the result.
 *
 * @module
 */

import { parseDeclarations } from "../abi/define_interface.ts";
import type { Signature, TypeName } from "../abi/signature.ts";
import { PluginError } from "../errors/plugin_error.ts";
import type { Plugin } from "../handle/plugin.ts";
import { openLibrary } from "../open/open_library.ts";
import { checkPluginAsync } from "../check/check_plugin.ts";
import { openCandidate } from "../open/open_plugin.ts";
import { DEFAULT_LOCKFILE } from "../registry/lockfile.ts";
import { parseArgs, positiveInteger } from "./_args.ts";
import { EXIT_OK, type Io, toJson, UsageError } from "./_output.ts";

/** Usage of `plugboard call`. */
export const CALL_USAGE = `Usage: plugboard call FILE FUNCTION [ARGS...] [OPTIONS]

Load a plugin, parse ARGS by FUNCTION's declared signature, call it and print
the result. Integers and floats are written as numbers (-5 is a number, not
an option), bool as true/false, cstring as text, buffer as text (its UTF-8
bytes), pointer as null. An argument that is not of its type's form is a
usage error (exit 2); a value out of its type's range is INVALID_ARGUMENT
(exit 1). A plugin's own error is CALL_FAILED, with its code: error[CALL_FAILED]
(plugin code N).

The plugin runs in this process: a plugin that crashes (a segmentation fault,
abort) takes the command down with it. --isolate runs it in a child process
instead, and a crash is reported as PLUGIN_CRASHED with the signal. An
executable (a subprocess plugin) always runs as its own process.

A plugboard.lock in the current directory is honoured (the plugin must be
trusted there, as with --lock); a line on standard error says so.

Options:
  --lock F        check the plugin against lockfile F first (UNTRUSTED, ...)
  --no-lock       do not use ./plugboard.lock
  --expect SIG    the signature FUNCTION must have, e.g.
                  --expect "fallible i32 MyFunction(cstring)"; another one is
                  SIGNATURE_MISMATCH
  --isolate       run the plugin in a child process
  --timeout MS    with --isolate: kill a call that takes longer (PLUGIN_TIMEOUT)
  --sig SIG       FILE is an ordinary library (no plugboard metadata, a path
                  or a soname), FUNCTION has this signature:
                  plugboard call libz.so.1 zlibVersion --sig "cstring zlibVersion()"
  --json          print {"result": ...} (or {"error": ...}) as JSON
  --help          show this help

Signatures: TYPE NAME(TYPE [NAME], ...), TYPE one of bool i8 u8 i16 u16 i32
u32 i64 u64 isize usize f32 f64 pointer buffer cstring (void for no result),
with "fallible " in front for a function that reports errors (docs/abi.md).

Permissions: --allow-read=FILE --allow-ffi; with --isolate,
--allow-read=FILE --allow-run=DENO instead (DENO: Deno's executable, which the
child runs; the host then needs no FFI).

Examples:
  plugboard call myfunction.so MyFunction hello   # 42
  plugboard call calc_sub.so apply -5 2.5         # -7.5`;

/**
 * Run `call`.
 *
 * @param args the arguments after `call`
 * @param io where to write
 * @returns the exit code
 */
export async function callCommand(args: readonly string[], io: Io): Promise<number> {
  const a = parseArgs(args, {
    command: "call",
    flags: ["json", "isolate", "no-lock"],
    options: ["lock", "expect", "sig", "timeout"],
  });
  if (a.flags.help) {
    io.out(CALL_USAGE);
    return EXIT_OK;
  }
  if (a.positionals.length < 2) throw new UsageError("call needs FILE and FUNCTION", "call");
  const [file, fn, ...rest] = a.positionals;
  const timeoutMs = positiveInteger(
    "call",
    "timeout",
    a.options.timeout,
    "a positive number of milliseconds",
  );
  if (timeoutMs !== undefined && !a.flags.isolate) {
    throw new UsageError(
      "--timeout needs --isolate (a call in this process cannot be stopped)",
      "call",
    );
  }
  if (a.options.lock !== undefined && a.flags["no-lock"]) {
    throw new UsageError("--lock and --no-lock exclude each other", "call");
  }

  if (a.options.sig !== undefined) {
    for (const option of ["lock", "expect"] as const) {
      if (a.options[option] !== undefined) {
        throw new UsageError(`--${option} is for plugins; --sig opens an ordinary library`, "call");
      }
    }
    if (a.flags.isolate) {
      throw new UsageError("--isolate is for plugins; --sig opens an ordinary library", "call");
    }
    const sig = declared(a.options.sig, fn, "sig");
    const values = parseValues(rest, sig);
    using library = openLibrary(file, { [fn]: a.options.sig });
    const result = (library.symbols[fn] as unknown as (...v: unknown[]) => unknown)(...values);
    printResult(await result, sig, a.flags.json, io);
    return EXIT_OK;
  }

  const registry = lockfile(a.options.lock, a.flags["no-lock"], io);
  const expected = a.options.expect === undefined
    ? undefined
    : declared(a.options.expect, fn, "expect");
  let plugin: Plugin<"sync"> | Plugin<"async">;
  try {
    plugin = await open();
  } catch (e) {
    if (e instanceof PluginError && e.code === "NOT_A_PLUGIN") {
      throw new PluginError("NOT_A_PLUGIN", e.summary, {
        path: e.path,
        hint:
          `to call an ordinary library, give the function's signature: plugboard call ${file} ${fn} --sig "TYPE ${fn}(TYPE, ...)"`,
        cause: e,
      });
    }
    throw e;
  }
  async function open(): Promise<Plugin<"sync"> | Plugin<"async">> {
    // Hashed by Web Crypto: the first hash of a process costs a fraction of
    // the synchronous hasher's set-up (docs/performance.md).
    const candidate = await checkPluginAsync(file, { registry });
    // An executable (a subprocess plugin) always runs as its own process.
    if (!a.flags.isolate && candidate.kind !== "executable") {
      return await openCandidate(candidate, {}, file);
    }
    return await openCandidate(candidate, {
      isolation: "process",
      timeoutMs,
      // The child's stderr as the plugin wrote it; the error says the rest.
      log: (r) => {
        if (r.event === "stderr") io.err(r.message);
      },
    });
  }
  await using _ = plugin;
  let sig: Signature;
  let call: (...v: unknown[]) => unknown;
  if (expected) {
    // SIGNATURE_MISMATCH (or SYMBOL_MISSING) when the plugin declares another.
    call = (plugin.functions({ [fn]: a.options.expect! }) as Record<string, typeof call>)[fn];
    sig = expected;
  } else {
    // SYMBOL_MISSING, saying why and suggesting near names, when it is not declared.
    call = plugin.function(fn);
    sig = plugin.metadata.functions.get(fn)!;
  }
  const values = parseValues(rest, sig);
  printResult(await call(...values), sig, a.flags.json, io);
  return EXIT_OK;
}

/** The lockfile to check against: --lock, else ./plugboard.lock if present (said on stderr). */
function lockfile(lock: string | undefined, noLock: boolean, io: Io): string | undefined {
  if (lock !== undefined || noLock) return lock;
  try {
    if (!Deno.statSync(DEFAULT_LOCKFILE).isFile) return undefined;
  } catch {
    return undefined; // none, or not ours to read
  }
  io.err(`using lockfile ./${DEFAULT_LOCKFILE} (--no-lock to ignore it)`);
  return DEFAULT_LOCKFILE;
}

/** A signature given on the command line, for FUNCTION. */
function declared(text: string, fn: string, option: string): Signature {
  let sig: Signature;
  try {
    sig = parseDeclarations({ [fn]: text }).get(fn)!;
  } catch (e) {
    throw new UsageError(
      `--${option} ${JSON.stringify(text)}: ${(e as PluginError).summary ?? String(e)}`,
      "call",
    );
  }
  return sig;
}

function parseValues(texts: readonly string[], sig: Signature): unknown[] {
  if (texts.length !== sig.parameters.length) {
    throw new UsageError(
      `${sig.name} takes ${sig.parameters.length} argument(s) (${
        sig.parameters.join(", ") || "none"
      }), got ${texts.length}`,
      "call",
    );
  }
  return texts.map((text, i) => parseValue(text, sig.parameters[i], i));
}

function printResult(value: unknown, sig: Signature, json: boolean, io: Io): void {
  if (json) io.out(toJson({ result: value ?? null }));
  else if (sig.result !== "void") io.out(String(value));
}

/**
 * An argument's text as a value of its type: a text not of the type's form
 * is a usage error; a value of the form but out of range is passed on, for
 * the plugin's handle to refuse with INVALID_ARGUMENT.
 */
function parseValue(text: string, type: TypeName, i: number): unknown {
  const bad = (what: string) =>
    new UsageError(`Argument ${i + 1} (${JSON.stringify(text)}) is not ${what}`, "call");
  switch (type) {
    case "bool":
      if (text === "true" || text === "1") return true;
      if (text === "false" || text === "0") return false;
      throw bad("a bool (true or false)");
    case "i64":
    case "u64":
    case "isize":
    case "usize":
      if (!/^[-+]?\d+$/.test(text)) throw bad(`an integer (${type})`);
      return BigInt(text);
    case "f32":
    case "f64": {
      const n = Number(text);
      if (text.trim() === "" || Number.isNaN(n) && text !== "NaN") throw bad(`a number (${type})`);
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
      if (!/^[-+]?\d+$/.test(text)) throw bad(`an integer (${type})`);
      // "-0" is the integer 0.
      return Number(text) + 0;
    }
  }
}
