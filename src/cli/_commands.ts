/**
 * The CLI's command table: one line per command.
 *
 * @module
 */

import type { Io } from "./_output.ts";
import { inspectCommand } from "./inspect_command.ts";
import { callCommand } from "./call_command.ts";
import { calcCommand } from "./calc_command.ts";
import { pipeCommand } from "./pipe_command.ts";
import { trustCommand } from "./trust_command.ts";
import { verifyCommand } from "./verify_command.ts";
import { probeCommand } from "./probe_command.ts";
import { quarantineCommand } from "./quarantine_command.ts";
import { buildCommand } from "./build_command.ts";
import { headerCommand } from "./header_command.ts";
import { newCommand } from "./new_command.ts";
import { bindgenCommand } from "./bindgen_command.ts";
import { describeCommand } from "./describe_command.ts";
import { keygenCommand } from "./keygen_command.ts";
import { signCommand } from "./sign_command.ts";

/** One command of the CLI. */
export interface Command {
  /** e.g. `inspect FILE [--json]` */
  synopsis: string;
  /** One line on what it does. */
  summary: string;
  /** Run it with the arguments after its name; returns the exit code. */
  run(args: readonly string[], io: Io): number | Promise<number>;
}

/** Every command, by name. */
export const COMMANDS: Record<string, Command> = {
  new: {
    synopsis: "new NAME [--lang L]",
    summary: "create a starting plugin (C, C++, Rust, Go) and a host that loads it",
    run: newCommand,
  },
  build: {
    synopsis: "build SRC... [-o OUT]",
    summary: "compile C or C++ sources into a plugin, stamping a build id",
    run: buildCommand,
  },
  header: {
    synopsis: "header [DIR]",
    summary: "write plugboard.h (or another language's SDK) for other build systems",
    run: headerCommand,
  },
  bindgen: {
    synopsis: "bindgen FILE [--out F]",
    summary: "write the TypeScript declarations of a plugin's interfaces",
    run: bindgenCommand,
  },
  inspect: {
    synopsis: "inspect FILE",
    summary: "show a plugin's metadata without running it",
    run: inspectCommand,
  },
  describe: {
    synopsis: "describe PROGRAM [--run]",
    summary: "show a subprocess plugin's sidecar; --run asks the program, confined",
    run: describeCommand,
  },
  call: {
    synopsis: "call FILE FUNCTION [ARGS...]",
    summary: "load a plugin (or a library) and call one function",
    run: callCommand,
  },
  trust: {
    synopsis: "trust FILE|DIR... [--lock F]",
    summary: "pin plugins in the lockfile; --publisher KEY: trust a publisher's key",
    run: trustCommand,
  },
  verify: {
    synopsis: "verify FILE|DIR... [--lock F]",
    summary: "check plugin files against the lockfile, reporting every difference",
    run: verifyCommand,
  },
  keygen: {
    synopsis: "keygen [--out KEY]",
    summary: "make a publisher's signing key (KEY, mode 0600) and KEY.pub",
    run: keygenCommand,
  },
  sign: {
    synopsis: "sign FILE --key KEY",
    summary: "sign a plugin with a publisher's key, writing FILE.sig",
    run: signCommand,
  },
  probe: {
    synopsis: "probe FILE|DIR...",
    summary: "load plugins in a throwaway child; quarantine the ones that crash or hang",
    run: probeCommand,
  },
  quarantine: {
    synopsis: "quarantine list|clear [FILE...]",
    summary: "show quarantined plugins with the reason, or clear them",
    run: quarantineCommand,
  },
  calc: {
    synopsis: "calc [--dir DIR] EXPRESSION",
    summary: "evaluate arithmetic with calc.op/1 operator plugins",
    run: calcCommand,
  },
  pipe: {
    synopsis: "pipe [--dir DIR] TEXT",
    summary: "pass text through every text.processor/1 plugin, by file name",
    run: pipeCommand,
  },
};
