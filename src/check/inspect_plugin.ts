/**
 * `inspectPlugin()`: everything plugboard knows about a plugin file, read
 * without loading or running it, with the verdict of the same checks
 * `openPlugin` makes.
 *
 * @module
 */

import { formatVersionPair } from "../abi/abi_version.ts";
import type { PluginIdentity, PluginKind } from "../abi/identity.ts";
import { canonicalSignature, declaredSignature } from "../abi/signature.ts";
import { describeLayout, type StructLayout } from "../abi/struct_type.ts";
import type { PluginError } from "../errors/plugin_error.ts";
import { type CheckOptions, examinePlugin, formatOf } from "./check_plugin.ts";

/** A plugin file's report, as data (the CLI's `inspect --json` prints it). */
export interface PluginReport extends PluginIdentity {
  /** The path as given. */
  readonly path: string;
  /** The absolute path with symlinks resolved. */
  readonly realPath: string;
  /** What kind of plugin it is. */
  readonly kind: PluginKind;
  /** File size in bytes. */
  readonly size: number;
  /** The GNU build-id note, hex, if any (native plugins). */
  readonly gnuBuildId: string | undefined;
  /** The machine, e.g. `x86_64` (`wasm32` for WebAssembly). */
  readonly machine: string;
  /** Interfaces, with canonical signatures, the declared ones (parameter names kept) and shape hashes. */
  readonly interfaces: readonly {
    readonly id: string;
    readonly version: string;
    readonly hash: string;
    readonly functions: readonly string[];
    readonly declared: readonly string[];
  }[];
  /** Declared lifecycle hooks. */
  readonly hooks: { readonly init: boolean; readonly shutdown: boolean };
  /** Who wrote it, as declared, if declared. */
  readonly author: string | undefined;
  /** Where `compiler` comes from: the file's `.comment` section, or the plugin note. */
  readonly compilerSource: "comment" | "declared";
  /** The compiler the plugin note declares, if any. */
  readonly declaredCompiler: string | undefined;
  /** The compilers the `.comment` section names, in file order. */
  readonly commentCompilers: readonly string[];
  /**
   * Why the compiler is in doubt, when the plugin note declares another
   * compiler than `.comment` names (e.g. `declared gcc 11.4.0, .comment
   * names gcc 12.2.0`); `undefined` when they agree or one is absent.
   */
  readonly compilerDisagreement: string | undefined;
  /** The struct layouts it records, sorted by name, each as `struct point { i32 x; i32 y; } (8 bytes, align 4)`. */
  readonly structs: readonly string[];
  /** The same layouts as data. */
  readonly structLayouts: readonly StructLayout[];
  /** Exported (defined, global, default visibility) function and data names, sorted. */
  readonly exports: readonly string[];
  /** Libraries it needs (`DT_NEEDED`). */
  readonly needed: readonly string[];
  /**
   * What a WebAssembly module imports, as `module.name` (e.g.
   * `wasi_snapshot_preview1.fd_write`): the host must grant each one
   * (docs/wasm.md); empty for other kinds.
   */
  readonly imports: readonly string[];
  /**
   * What the checks asked for in the options found wrong (registry, policy,
   * verify hook, interfaces), in check order; empty when openPlugin would
   * accept the file with the same options.
   */
  readonly problems: readonly PluginError[];
}

/**
 * Read a plugin file and report on it. Nothing of the file is executed.
 * Problems with the file itself (missing, not a plugin, another ABI, bad
 * metadata) are thrown; problems against the options (registry, policy,
 * interfaces, verify hook) are reported in `problems`.
 *
 * @example
 * ```ts ignore
 * import { inspectPlugin } from "@plugboard/plugboard";
 *
 * const report = inspectPlugin("build/greeter.so");
 * console.log(report.name, report.interfaces[0].declared); // greeter ["cstring greet(cstring name)"]
 * ```
 *
 * @param path the plugin file
 * @param options the checks to judge it by, as openPlugin takes them
 * @returns the report
 * @throws {LoadError} as openPlugin would for the file and metadata checks
 */
export function inspectPlugin(path: string, options: CheckOptions = {}): PluginReport {
  const result = examinePlugin(path, options);
  const c = result.candidate;
  if (!c) throw result.errors[0];
  const meta = c.metadata;
  const { elf, wasm } = formatOf(c);
  const layouts = [...meta.structs.values()].sort((a, b) => a.name < b.name ? -1 : 1);
  return {
    ...c.identity,
    path,
    realPath: c.file.realPath,
    kind: c.kind,
    size: c.file.bytes.length,
    gnuBuildId: elf?.buildId,
    machine: elf?.machine ??
      (wasm ? (wasm.memories.some((m) => m.memory64) ? "wasm64" : "wasm32") : "unknown"),
    interfaces: meta.interfaces.map((i) => ({
      id: i.id,
      version: formatVersionPair(i.version),
      hash: i.hash,
      functions: i.functions.map(canonicalSignature),
      declared: i.functions.map(declaredSignature),
    })),
    hooks: { ...meta.hooks },
    author: meta.author,
    compilerSource: meta.compilerSource,
    declaredCompiler: meta.declaredCompiler,
    commentCompilers: meta.commentCompilers,
    compilerDisagreement: disagreement(meta),
    structs: layouts.map(describeLayout),
    structLayouts: layouts,
    exports: elf
      ? elf.symbols
        .filter((s) => s.defined && s.binding !== "local" && s.visibility === "default")
        .map((s) => s.name)
        .sort()
      : wasm
      ? wasm.exports.map((e) => e.name).sort()
      : [],
    needed: elf?.needed ?? [],
    imports: wasm ? wasm.imports.map((i) => `${i.module}.${i.name}`) : [],
    problems: result.errors,
  };
}

/** The declared compiler against the one `.comment` names, when they differ. */
function disagreement(meta: {
  compiler: string;
  compilerSource: "comment" | "declared";
  declaredCompiler: string | undefined;
  commentCompilers: readonly string[];
}): string | undefined {
  const declared = meta.declaredCompiler?.trim().replace(/\s+/g, " ");
  if (!declared || meta.commentCompilers.length === 0) return undefined;
  if (meta.compilerSource === "comment") {
    return declared === meta.compiler
      ? undefined
      : `declared ${declared}, .comment names ${meta.commentCompilers.join(", ")}`;
  }
  return `declared ${declared}, which writes no .comment; .comment names ${
    meta.commentCompilers.join(", ")
  } (other parts of the build)`;
}
