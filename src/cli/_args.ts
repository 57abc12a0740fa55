/**
 * The one command-line parser of the CLI. Each command declares its
 * arguments once ({@linkcode ArgSpec}: boolean flags, options with a value,
 * repeatable options, one-letter aliases, where the words after `--` go) and
 * gets them back typed from the declaration.
 *
 * Rules, the same for every command:
 * - `--name VALUE` and `--name=VALUE` for options; a flag takes no value.
 * - `-h` and `--help` are always known.
 * - A word that starts with `-` and then anything but a letter or a dash
 *   (`-5`, `-0`, `-.5`, `-(1+2)`) and the word `-` are positional, so
 *   negative numbers need no quoting.
 * - After `--`, every word is positional (or goes to `rest`, for commands
 *   that pass them on, such as `build`'s compiler flags).
 * - An unknown option, a missing value and an option given twice are usage
 *   errors that name the command.
 *
 * @module
 */

import { UsageError } from "./_output.ts";

/** What a command accepts. */
export interface ArgSpec {
  /** The command's name, for messages (`call`, `quarantine`). */
  readonly command: string;
  /** Boolean flags, without dashes (`json`, `no-cache`). `help` is always known. */
  readonly flags?: readonly string[];
  /** Options with one value, without dashes (`lock`); giving one twice is an error. */
  readonly options?: readonly string[];
  /** Options with a value that may be repeated (`dir`); their values in order. */
  readonly lists?: readonly string[];
  /** One-letter aliases of flags and options, e.g. `{ o: "out" }`. */
  readonly short?: Readonly<Record<string, string>>;
  /**
   * Where the words after `--` go: among the positionals, or to `rest`.
   * @default "positionals"
   */
  readonly afterDashDash?: "positionals" | "rest";
}

type Names<T> = T extends readonly (infer N extends string)[] ? N : never;

/** The arguments of a command, typed from its {@linkcode ArgSpec}. */
export interface ParsedArgs<S extends ArgSpec> {
  /** Each flag: whether it was given. */
  readonly flags: { readonly [K in Names<S["flags"]> | "help"]: boolean };
  /** Each option's value, when given. */
  readonly options: { readonly [K in Names<S["options"]>]?: string };
  /** Each repeatable option's values, in order (empty when not given). */
  readonly lists: { readonly [K in Names<S["lists"]>]: readonly string[] };
  /** The positional words, in order. */
  readonly positionals: readonly string[];
  /** The words after `--`, when the spec sends them to `rest`. */
  readonly rest: readonly string[];
}

/**
 * Parse a command's arguments.
 *
 * @example
 * ```ts
 * import { parseArgs } from "./_args.ts";
 *
 * const a = parseArgs(["x.so", "--lock", "p.lock", "-5", "--json"], {
 *   command: "call",
 *   flags: ["json"],
 *   options: ["lock"],
 * });
 * console.log(a.positionals, a.options.lock, a.flags.json); // ["x.so", "-5"] "p.lock" true
 * ```
 *
 * @param args the words after the command's name
 * @param spec what the command accepts
 * @returns the flags, options, lists, positionals and rest
 * @throws {UsageError} for an unknown option, a missing value, an option given twice
 */
export function parseArgs<const S extends ArgSpec>(
  args: readonly string[],
  spec: S,
): ParsedArgs<S> {
  const flagNames = new Set(["help", ...spec.flags ?? []]);
  const optionNames = new Set(spec.options ?? []);
  const listNames = new Set(spec.lists ?? []);
  const short: Record<string, string> = { h: "help", ...spec.short };
  const flags: Record<string, boolean> = {};
  for (const f of flagNames) flags[f] = false;
  const options: Record<string, string> = {};
  const lists: Record<string, string[]> = {};
  for (const l of listNames) lists[l] = [];
  const positionals: string[] = [];
  const rest: string[] = [];
  const fail = (message: string): never => {
    throw new UsageError(message, spec.command);
  };

  for (let i = 0; i < args.length; i++) {
    const word = args[i];
    if (word === "--") {
      const after = args.slice(i + 1);
      if (spec.afterDashDash === "rest") rest.push(...after);
      else positionals.push(...after);
      break;
    }
    if (!isOption(word)) {
      positionals.push(word);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (word.startsWith("--")) {
      const eq = word.indexOf("=");
      name = eq === -1 ? word.slice(2) : word.slice(2, eq);
      inline = eq === -1 ? undefined : word.slice(eq + 1);
    } else {
      const long = short[word.slice(1, 2)];
      if (long === undefined) fail(`Unknown option ${JSON.stringify(word)}`);
      name = long!;
      // `-oOUT` is `-o OUT`, for the options that take a value.
      inline = word.length > 2 ? word.slice(2) : undefined;
      if (inline !== undefined && flagNames.has(name)) {
        fail(`Unknown option ${JSON.stringify(word)}`);
      }
    }
    if (flagNames.has(name)) {
      if (inline !== undefined) fail(`Option "--${name}" takes no value`);
      flags[name] = true;
      continue;
    }
    if (!optionNames.has(name) && !listNames.has(name)) {
      fail(`Unknown option ${JSON.stringify(word.startsWith("--") ? `--${name}` : word)}`);
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= args.length || (isOption(args[i + 1]) && args[i + 1] !== "--")) {
        fail(`Option "--${name}" needs a value`);
      }
      value = args[++i];
    }
    if (listNames.has(name)) {
      lists[name].push(value!);
    } else {
      if (name in options) fail(`Option "--${name}" is given twice`);
      options[name] = value!;
    }
  }
  return { flags, options, lists, positionals, rest } as unknown as ParsedArgs<S>;
}

/**
 * Whether a word is an option: `-` then a letter, or `--` then anything.
 * Everything else, `-5` and `-` included, is a positional.
 *
 * @param word the word
 * @returns whether it is an option
 */
export function isOption(word: string): boolean {
  return /^-[A-Za-z]/.test(word) || (word.startsWith("--") && word.length > 2);
}

/**
 * A positive integer option, such as `--timeout MS`.
 *
 * @param command the command, for the error
 * @param name the option, without dashes
 * @param text its value, if given
 * @param what what it must be, for the error
 * @returns the number, or undefined when not given
 * @throws {UsageError} when the text is not a positive integer
 */
export function positiveInteger(
  command: string,
  name: string,
  text: string | undefined,
  what = "a positive integer",
): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n <= 0 || !Number.isSafeInteger(n)) {
    throw new UsageError(`--${name} ${JSON.stringify(text)} is not ${what}`, command);
  }
  return n;
}

/**
 * The value of an option that must be one of some words.
 *
 * @param command the command, for the error
 * @param name the option, without dashes
 * @param text its value, if given
 * @param choices the accepted words
 * @returns the word, or undefined when not given
 * @throws {UsageError} when it is none of them
 */
export function oneOf<const C extends string>(
  command: string,
  name: string,
  text: string | undefined,
  choices: readonly C[],
): C | undefined {
  if (text === undefined) return undefined;
  if (!(choices as readonly string[]).includes(text)) {
    throw new UsageError(
      `--${name} ${JSON.stringify(text)} is not one of ${choices.join(", ")}`,
      command,
    );
  }
  return text as C;
}
