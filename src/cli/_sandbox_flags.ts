/**
 * `--no-sandbox` and `--allow-unconfined`, as the commands that run a
 * plugin's code on the user's behalf (`probe`, `describe --run`) take them:
 * confined by default, unconfined only when the command line says so, and
 * never silently weaker (a line on standard error says what is missing).
 *
 * @module
 */

import { LoadError, PluginError } from "../errors/plugin_error.ts";
import { resolveSandbox, type Sandbox } from "../isolate/sandbox.ts";
import { type Io, UsageError } from "./_output.ts";

/** What the command line asked for. */
export type SandboxFlag = "default" | "allow-unconfined" | "off";

/** What the plugin's code will run under. */
export interface SandboxChoice {
  /** The `sandbox` option to pass on. */
  readonly option: boolean | Sandbox;
  /** `confined`: all of it; `reduced`: what the kernel can; `off`: nothing, as asked. */
  readonly mode: "confined" | "reduced" | "off";
  /** What the kernel cannot enforce (`reduced` only). */
  readonly shortfall: string | null;
}

/**
 * The flag a command line gave.
 *
 * @param flags the parsed flags
 * @param command the command, for the usage error
 * @returns the flag
 * @throws {UsageError} when both are given
 */
export function sandboxFlag(
  flags: { readonly "no-sandbox": boolean; readonly "allow-unconfined": boolean },
  command: string,
): SandboxFlag {
  if (flags["no-sandbox"] && flags["allow-unconfined"]) {
    throw new UsageError(
      "--no-sandbox and --allow-unconfined exclude each other: --no-sandbox never confines, --allow-unconfined confines as far as the kernel can",
      command,
    );
  }
  return flags["no-sandbox"] ? "off" : flags["allow-unconfined"] ? "allow-unconfined" : "default";
}

/**
 * Decide the sandbox for a plugin, asking the kernel what it can enforce
 * when `--allow-unconfined` lets it fall short, and say on standard error
 * when the plugin will run less than fully confined.
 *
 * @param flag what the command line asked for
 * @param path a plugin the choice is for (the kernel's answer is the same for all)
 * @param io where to warn
 * @param what what runs, for the warning, e.g. `probing`
 * @param quiet print no warning (JSON output carries the choice instead)
 * @returns the option to pass on and the mode
 */
export function chooseSandbox(
  flag: SandboxFlag,
  path: string | undefined,
  io: Io,
  what: string,
  quiet = false,
): SandboxChoice {
  if (flag === "off") {
    if (!quiet) {
      io.err(
        `warning: ${what} unconfined (--no-sandbox): the plugin's code runs with every right of this user`,
      );
    }
    return { option: false, mode: "off", shortfall: null };
  }
  if (flag === "default" || path === undefined) {
    return { option: true, mode: "confined", shortfall: null };
  }
  const option: Sandbox = { allowUnconfined: true };
  try {
    // The check the runner makes, without the permission to fall short.
    resolveSandbox(true, { path, realPath: path });
    return { option, mode: "confined", shortfall: null };
  } catch (e) {
    if (!(e instanceof LoadError) || e.code !== "SANDBOX_UNAVAILABLE") throw e;
    const shortfall = `expected ${e.expected}, found ${e.found}`;
    if (!quiet) {
      io.err(
        `warning: the kernel cannot enforce the sandbox: ${shortfall}; ${what} with what it can enforce (--allow-unconfined)`,
      );
    }
    return { option, mode: "reduced", shortfall };
  }
}

/**
 * A refusal for want of a sandbox, with the command line's way out added to
 * its hint (the library's hint names the API's options); other errors as
 * they are.
 *
 * @param e the error
 * @returns the error, with a second hint line for `SANDBOX_UNAVAILABLE`
 */
export function withSandboxFlags(e: PluginError): PluginError {
  if (e.code !== "SANDBOX_UNAVAILABLE") return e;
  return new PluginError(e.code, e.summary, {
    path: e.path,
    hint: `${
      e.hint ?? ""
    }\non the command line: --allow-unconfined runs it with what this kernel can enforce, --no-sandbox without a sandbox`,
    cause: e,
  });
}
