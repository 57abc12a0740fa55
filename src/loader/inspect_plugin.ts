/**
 * `inspectPlugin()`: everything plugboard knows about a plugin file, read
 * without loading or running it.
 *
 * @module
 */

import { formatVersionPair } from "../abi/abi_version.ts";
import { type PluginMetadata, readMetadata } from "../abi/read_metadata.ts";
import { canonicalSignature } from "../abi/signature.ts";
import { readElf } from "../elf/read_elf.ts";
import { readPluginFile } from "./_preflight.ts";

/** A plugin file's report, as data (the CLI's `inspect --json` prints it). */
export interface PluginReport {
  /** The path as given. */
  path: string;
  /** The absolute path with symlinks resolved. */
  realPath: string;
  /** File size in bytes. */
  size: number;
  /** SHA-256 of the file, hex. */
  sha256: string;
  /** The plugin's name. */
  name: string;
  /** The plugin's version. */
  version: string;
  /** ABI version, `MAJOR.MINOR`. */
  abi: string;
  /** The build id stamped at build time. */
  buildId: string;
  /** The GNU build-id note, hex, if any. */
  gnuBuildId: string | undefined;
  /** The compiler that built it. */
  compiler: string;
  /** ELF machine, e.g. `x86_64`. */
  machine: string;
  /** Interfaces, with canonical signatures and shape hashes. */
  interfaces: { id: string; version: string; hash: string; functions: string[] }[];
  /** Declared lifecycle hooks. */
  hooks: { init: boolean; shutdown: boolean };
  /** Exported (defined, global, default visibility) symbol names, sorted. */
  exports: string[];
  /** DT_NEEDED libraries. */
  needed: string[];
}

/**
 * Read a plugin file and report on it. Nothing of the file is executed.
 *
 * @example
 * ```ts ignore
 * import { inspectPlugin } from "@plugboard/plugboard";
 *
 * const report = inspectPlugin("build/greeter.so");
 * console.log(report.name, report.interfaces[0].functions); // greeter ["cstring greet(cstring)"]
 * ```
 *
 * @param path the plugin file
 * @returns the report
 * @throws {LoadError} as openPlugin would for the file and metadata checks
 */
export function inspectPlugin(path: string): PluginReport {
  const file = readPluginFile(path);
  const elf = readElf(file.bytes, path);
  const meta: PluginMetadata = readMetadata(elf, path);
  return {
    path,
    realPath: file.realPath,
    size: file.bytes.length,
    sha256: file.sha256,
    name: meta.name,
    version: meta.version,
    abi: formatVersionPair(meta.abi),
    buildId: meta.buildId,
    gnuBuildId: elf.buildId,
    compiler: meta.compiler,
    machine: elf.machine,
    interfaces: meta.interfaces.map((i) => ({
      id: i.id,
      version: formatVersionPair(i.version),
      hash: i.hash,
      functions: i.functions.map(canonicalSignature),
    })),
    hooks: { ...meta.hooks },
    exports: elf.symbols
      .filter((s) => s.defined && s.binding !== "local" && s.visibility === "default")
      .map((s) => s.name)
      .sort(),
    needed: elf.needed,
  };
}
