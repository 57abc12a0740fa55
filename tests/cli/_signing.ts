/**
 * Helpers of the tests of the signature and sandbox commands: the CLI as a
 * process (with an environment of its own, or on an emulated kernel without
 * Landlock and seccomp), keys made by `plugboard keygen`, and a private
 * temporary directory.
 *
 * @module
 */

import { publicKeyOf } from "../../src/registry/signature.ts";
import { captureCli, type CliRun } from "../_cli.ts";
import { ROOT } from "../_paths.ts";

export { copyInto, tamperedCopy } from "../registry/_helpers.ts";

/**
 * A new private directory (mode 0700, real path), removed when the process exits.
 *
 * @returns its path
 */
export function tempDir(): string {
  const dir = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "plugboard-clisig-" }));
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // already gone
    }
  });
  return dir;
}

/**
 * `plugboard ARGS...` in this process.
 *
 * @param args the command line
 * @returns exit code, stdout and stderr lines
 */
export function cli(...args: string[]): Promise<CliRun> {
  return captureCli(args);
}

/** Options of {@linkcode cliProcess}. */
export interface CliProcessOptions {
  /** Deno's permission flags. @default ["-A"] */
  flags?: string[];
  /** The working directory. */
  cwd?: string;
  /** The environment (nothing else of the test's is passed but PATH). @default {} */
  env?: Record<string, string>;
  /** Run on an emulated kernel without Landlock and seccomp filters. @default false */
  noSandboxKernel?: boolean;
}

/**
 * `deno run FLAGS src/cli/main.ts ARGS...` as a process.
 *
 * @param args the command line
 * @param options permissions, directory, environment, kernel
 * @returns exit code, stdout and stderr lines
 */
export async function cliProcess(
  args: readonly string[],
  options: CliProcessOptions = {},
): Promise<CliRun> {
  const deno = [Deno.execPath(), "run", ...options.flags ?? ["-A"], `${ROOT}/src/cli/main.ts`];
  const command = options.noSandboxKernel ? [await noSandboxKernel(), ...deno] : deno;
  const out = await new Deno.Command(command[0], {
    args: [...command.slice(1), ...args],
    cwd: options.cwd,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", NO_COLOR: "1", ...options.env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const lines = (b: Uint8Array) => {
    const text = new TextDecoder().decode(b).trimEnd();
    return text === "" ? [] : text.split("\n");
  };
  return { code: out.code, out: lines(out.stdout), err: lines(out.stderr) };
}

let wrapper: Promise<string> | undefined;

/**
 * `tests/cli/fixtures/no_sandbox_kernel.c`, compiled once per process: runs
 * a command as on a kernel without Landlock and seccomp filters.
 *
 * @returns the executable
 */
export function noSandboxKernel(): Promise<string> {
  wrapper ??= (async () => {
    const out = `${tempDir()}/no_sandbox_kernel`;
    let r: Deno.CommandOutput;
    try {
      r = await new Deno.Command("cc", {
        args: ["-O2", "-Wall", "-o", out, `${ROOT}/tests/cli/fixtures/no_sandbox_kernel.c`],
        stderr: "piped",
      }).output();
    } catch (e) {
      throw new Error(`cc is not installed: install the Debian package gcc (${e})`);
    }
    if (!r.success) {
      throw new Error(
        `cannot build no_sandbox_kernel (Debian packages gcc and linux-libc-dev): ${
          new TextDecoder().decode(r.stderr)
        }`,
      );
    }
    return out;
  })();
  return wrapper;
}

/** A key `plugboard keygen` wrote. */
export interface KeyFiles {
  /** The private key file. */
  readonly path: string;
  /** The public key file. */
  readonly pub: string;
  /** The public key's text. */
  readonly key: string;
  /** Its id. */
  readonly id: string;
}

/**
 * Make a key with `plugboard keygen --out DIR/NAME.key`.
 *
 * @param dir the directory
 * @param name the key's name
 * @returns its files, text and id
 */
export async function keygen(dir: string, name: string): Promise<KeyFiles> {
  const path = `${dir}/${name}.key`;
  const r = await cli("keygen", "--out", path);
  if (r.code !== 0) throw new Error(`keygen failed: ${r.err.join("\n")}`);
  const pub = `${path}.pub`;
  const { key, id } = publicKeyOf(Deno.readTextFileSync(pub));
  return { path, pub, key, id };
}

/**
 * The permission bits of a file.
 *
 * @param path the file
 * @returns e.g. 0o600
 */
export function modeOf(path: string): number {
  return Deno.statSync(path).mode! & 0o777;
}

/**
 * Whether a file exists.
 *
 * @param path the file
 * @returns whether it does
 */
export function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
