/**
 * `PROGRAM --plugboard-describe`: ask a subprocess plugin for its metadata
 * (run only when the user asks, e.g. `plugboard describe PROGRAM --run`), and the
 * sidecar's text made from it.
 *
 * @module
 */

import { LoadError } from "../errors/plugin_error.ts";
import type { LogSink } from "../log/log_record.ts";
import { logRecord } from "../log/log_record.ts";
import { CrashError, describeChildExit } from "../errors/crash_error.ts";
import { readFile } from "../file/read_file.ts";
import { defaultLog } from "./_rpc_connection.ts";
import { programSandbox } from "./isolate_executable.ts";
import type { Sandbox } from "./sandbox.ts";
import { checkProgram, ensureLauncherCached, LAUNCHER_DEFAULT, runOnce } from "./_rpc_process.ts";
import {
  DEFAULT_MAX_LINE_BYTES,
  DESCRIBE_ARG,
  parseRpcMetadata,
  quoteShort,
  RPC_PROTOCOL,
  type RpcMetadata,
} from "./_rpc_protocol.ts";

/** Options of {@linkcode describeProgram}. */
export interface DescribeOptions {
  /**
   * The program must print its metadata and exit within this.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * Run it through the launcher (see `RpcConnectionOptions.launcher`).
   * @default true on Linux (the launcher needs prctl), false elsewhere
   */
  launcher?: boolean;
  /**
   * Environment variables added to the host's.
   * @default {}
   */
  env?: Readonly<Record<string, string>>;
  /**
   * Confine the program with the OS sandbox before it runs, as an isolated
   * plugin is (`true`: it may read and execute itself and its interpreter,
   * nothing else; no network, no new processes). A sandbox the kernel cannot
   * enforce is refused with `SANDBOX_UNAVAILABLE` unless it says
   * `allowUnconfined`. Needs the launcher.
   * @default false
   */
  sandbox?: boolean | Sandbox;
  /**
   * Where its stderr lines go.
   * @default the host's stderr
   */
  log?: LogSink;
}

/** What a program said about itself. */
export interface Described {
  /** Its metadata, checked. */
  readonly metadata: RpcMetadata;
  /** The sidecar's text ({@linkcode formatSidecar}). */
  readonly sidecar: string;
}

/**
 * Run `PROGRAM --plugboard-describe` and check what it prints: exit status
 * 0 and one metadata object on stdout.
 *
 * @example Writing a sidecar
 * ```ts ignore
 * const { sidecar } = await describeProgram("plugins/rpc/calc_mul.py");
 * Deno.writeTextFileSync("plugins/rpc/calc_mul.py.plugboard.json", sidecar);
 * ```
 *
 * @param path the program
 * @param options timeout, launcher, sandbox, environment, log
 * @returns the metadata and the sidecar's text
 * @throws {LoadError} `BAD_METADATA`, `ABI_MISMATCH`, `PLUGIN_TIMEOUT`,
 *   `SANDBOX_UNAVAILABLE`, or what the program's checks throw (`NOT_FOUND`,
 *   `PERMISSION_DENIED`, `INSECURE_PERMISSIONS` when confining)
 * @throws {CrashError} `PLUGIN_CRASHED` when a signal kills it
 */
export async function describeProgram(
  path: string,
  options: DescribeOptions = {},
): Promise<Described> {
  checkProgram(path);
  // Read once, with the plugin's rules, only when confining: the sandbox
  // lets the program (and a script's interpreter) run, nothing else.
  const sandbox = options.sandbox
    ? programSandbox(readFile(path), options.sandbox, path)
    : undefined;
  await ensureLauncherCached();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const log = options.log ?? defaultLog;
  const r = await runOnce(path, {
    args: [DESCRIBE_ARG],
    env: options.env ?? {},
    mode: "describe",
    maxLineBytes: DEFAULT_MAX_LINE_BYTES,
    stdin: "null",
    launcher: options.launcher ?? LAUNCHER_DEFAULT,
    sandbox,
    timeoutMs,
    maxOutputBytes: DEFAULT_MAX_LINE_BYTES,
    onStderr: (line, pid) => {
      try {
        log(logRecord("info", "stderr", line, { path, pid }));
      } catch {
        // A failing sink must not break the run.
      }
    },
  });
  const exit = {
    pid: r.pid,
    exitCode: r.status.signal === null ? r.status.code : null,
    signal: r.status.signal,
    signalNumber: r.status.signal === null ? null : r.status.code - 128,
    stderrTail: r.stderrTail,
  };
  const bad = (found: string) =>
    new LoadError("BAD_METADATA", {
      path,
      what: `the program does not describe itself (${DESCRIBE_ARG})`,
      expected: "exit status 0 and one metadata JSON object on stdout",
      found,
      hint:
        `make \`PROGRAM ${DESCRIBE_ARG}\` print its handshake object and exit 0 (docs/subprocess.md), or write the sidecar by hand`,
    });
  if (r.timedOut) {
    throw new LoadError("PLUGIN_TIMEOUT", {
      path,
      what: `the program did not answer ${DESCRIBE_ARG} in time`,
      expected: `its metadata within ${timeoutMs} ms`,
      found: `nothing; the program (pid ${r.pid}) was killed`,
      hint: `a plugin prints its metadata at once for ${DESCRIBE_ARG}; it may be waiting for input`,
    });
  }
  if (r.status.signal !== null) {
    throw new CrashError({
      ...exit,
      path,
      expected: `its metadata (${DESCRIBE_ARG})`,
      hint: "fix the plugin (its stderr above may say why)",
    });
  }
  if (r.overflow) throw bad(`more than ${DEFAULT_MAX_LINE_BYTES} bytes on stdout`);
  if (r.status.code !== 0) {
    const last = r.stderrTail.filter((l) => l.trim() !== "").at(-1);
    throw bad(
      `${describeChildExit(exit).replace("the child", "the program")}${
        last ? `; its stderr ended with ${quoteShort(last.trim(), 200)}` : ""
      }`,
    );
  }
  const text = new TextDecoder().decode(r.stdout).trim();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad(text === "" ? "nothing on stdout" : `stdout that is not JSON: ${quoteShort(text)}`);
  }
  const metadata = parseRpcMetadata(value, path, "describe");
  return Object.freeze({ metadata, sidecar: formatSidecar(value as Record<string, unknown>) });
}

/**
 * The sidecar's text: the program's metadata object exactly as it printed it
 * (signatures keep their parameter names), with `"mode"` added when absent,
 * as indented JSON with a final newline.
 *
 * @example
 * ```ts
 * import { formatSidecar } from "./describe_program.ts";
 *
 * const text = formatSidecar({ "plugboard-rpc": 1, name: "x", version: "0.1.0", abi: "1.0" });
 * console.log(text.split("\n")[5]); // '  "mode": "rpc",'
 * ```
 *
 * @param value the metadata object, checked
 * @returns the text
 */
export function formatSidecar(value: Readonly<Record<string, unknown>>): string {
  const { interfaces, ...rest } = value;
  // The known keys first, in the order of the documentation.
  const ordered = {
    [RPC_PROTOCOL]: value[RPC_PROTOCOL],
    name: value.name,
    version: value.version,
    abi: value.abi,
    mode: value.mode ?? "rpc",
    ...rest,
    interfaces,
  };
  return JSON.stringify(ordered, null, 2) + "\n";
}
