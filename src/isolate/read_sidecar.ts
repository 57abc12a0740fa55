/**
 * `readSidecar()`: what a subprocess plugin declares about itself, read from
 * the file `PROGRAM.plugboard.json` next to its executable, without running
 * it. `inspect`, `trust`, `verify` and host discovery learn an executable's
 * interfaces here; the registry pins the SHA-256 of both files; at start the
 * plugin's handshake must say the same (`METADATA_MISMATCH` otherwise).
 *
 * The sidecar is the handshake object of plugboard-rpc/1 plus `"mode"`
 * (`"rpc"` or `"oneshot"`), docs/subprocess.md:
 *
 * ```json
 * {
 *   "plugboard-rpc": 1,
 *   "name": "calc-mul-python",
 *   "version": "0.1.0",
 *   "abi": "1.0",
 *   "mode": "rpc",
 *   "interfaces": [
 *     { "id": "calc.op", "version": "1.0",
 *       "functions": ["cstring name()", "fallible f64 apply(f64 a, f64 b)"] }
 *   ]
 * }
 * ```
 *
 * @module
 */

import { sha256Hex } from "../file/sha256.ts";
import type { AbiVersion } from "../abi/abi_version.ts";
import { LoadError } from "../errors/plugin_error.ts";
import {
  DEFAULT_MAX_LINE_BYTES,
  parseRpcMetadata,
  quoteShort,
  type RpcMetadata,
  SIDECAR_SUFFIX,
} from "./_rpc_protocol.ts";

export type { RpcInterface, RpcMetadata, RpcMode } from "./_rpc_protocol.ts";

/** A sidecar and the program it describes. */
export interface Sidecar {
  /** The program, as given. */
  readonly program: string;
  /** The sidecar's path: the program's followed by `.plugboard.json`. */
  readonly path: string;
  /** What it declares, checked. */
  readonly metadata: RpcMetadata;
  /** SHA-256 (hex) of the sidecar's bytes. */
  readonly sha256: string;
  /** SHA-256 (hex) of the program's bytes. */
  readonly programSha256: string;
}

/** Options of {@linkcode readSidecar}. */
export interface ReadSidecarOptions {
  /**
   * Protocol versions the host accepts.
   * @default [1]
   */
  versions?: readonly number[];
  /**
   * The host's ABI.
   * @default HOST_ABI
   */
  hostAbi?: AbiVersion;
}

/**
 * The sidecar's path for a program.
 *
 * @example
 * ```ts
 * import { sidecarPath } from "./read_sidecar.ts";
 *
 * console.log(sidecarPath("plugins/rpc/calc_mul.py")); // "plugins/rpc/calc_mul.py.plugboard.json"
 * ```
 *
 * @param program the program
 * @returns the path next to it
 */
export function sidecarPath(program: string): string {
  return program + SIDECAR_SUFFIX;
}

/**
 * Read and check a program's sidecar, and hash both files. Nothing is run.
 *
 * @example What a subprocess plugin provides
 * ```ts ignore
 * import { readSidecar } from "./read_sidecar.ts";
 *
 * const { metadata, sha256, programSha256 } = readSidecar("plugins/rpc/calc_mul.py");
 * console.log(metadata.name, metadata.mode, metadata.interfaces.map((i) => i.id));
 * // calc-mul-python rpc ["calc.op"]
 * ```
 *
 * @param program the program
 * @param options accepted protocol versions, the host's ABI
 * @returns the sidecar
 * @throws {LoadError} `NOT_FOUND` (program or sidecar), `NOT_A_FILE`,
 *   `BAD_METADATA` or `ABI_MISMATCH`
 */
export function readSidecar(program: string, options: ReadSidecarOptions = {}): Sidecar {
  const path = sidecarPath(program);
  const programBytes = readFile(program, program, "the program");
  const bytes = readFile(program, path, "its sidecar");
  const bad = (found: string) =>
    new LoadError("BAD_METADATA", {
      path: program,
      what: `the sidecar ${JSON.stringify(path)} is invalid`,
      expected: "one JSON object in UTF-8",
      found,
      hint:
        "rewrite the sidecar with `plugboard describe PROGRAM --run --write` (docs/subprocess.md)",
    });
  if (bytes.length > DEFAULT_MAX_LINE_BYTES) {
    throw bad(`${bytes.length} bytes (the limit is ${DEFAULT_MAX_LINE_BYTES})`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw bad("bytes that are not UTF-8");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw bad(`text that is not JSON (${(e as Error).message}): ${quoteShort(text.trim())}`);
  }
  const metadata = parseRpcMetadata(value, program, "sidecar", {
    versions: options.versions,
    hostAbi: options.hostAbi,
    file: path,
  });
  return Object.freeze({
    program,
    path,
    metadata,
    sha256: sha256Hex(bytes),
    programSha256: sha256Hex(programBytes),
  });
}

function readFile(program: string, file: string, what: string): Uint8Array {
  try {
    return Deno.readFileSync(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new LoadError("NOT_FOUND", {
        path: program,
        what: `no ${what === "the program" ? "such program" : "sidecar"}`,
        expected: what === "the program"
          ? "an existing executable"
          : `${JSON.stringify(file)} next to the program`,
        found: "nothing at that path",
        hint: what === "the program"
          ? "check the path"
          : "review the program, then write its sidecar with `plugboard describe PROGRAM --run --write`",
        cause: e,
      });
    }
    if (e instanceof Deno.errors.IsADirectory) {
      throw new LoadError("NOT_A_FILE", {
        path: program,
        what: `${what} is not a regular file`,
        expected: "a file",
        found: "a directory",
        hint: "name the plugin's program",
        cause: e,
      });
    }
    throw new LoadError("PERMISSION_DENIED", {
      path: program,
      what: `cannot read ${what}`,
      expected: "a readable file",
      found: e instanceof Error ? e.message : String(e),
      hint: `grant the host read access to ${file}`,
      cause: e,
    });
  }
}
