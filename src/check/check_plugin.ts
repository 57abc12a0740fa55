/**
 * `checkPlugin()`: the one pipeline every way of opening or checking a
 * plugin goes through (in process, isolated, a host's discovery, inspect,
 * trust and verify, probe). It turns a path and options into a checked
 * candidate, running nothing of the file, in this order:
 *
 * 1. the file: open once, stat the descriptor, regular, not too large,
 *    nobody else could have changed it (`NOT_FOUND`, `NOT_A_FILE`,
 *    `PERMISSION_DENIED`, `INSECURE_PERMISSIONS`);
 * 2. its format, by its first bytes: an ELF shared library, a WebAssembly
 *    module, an executable with a sidecar (`NOT_ELF`, `NOT_WASM`,
 *    `TRUNCATED`, `MALFORMED`, `WRONG_ARCH`, `WRONG_ELF_CLASS`,
 *    `NOT_SHARED_OBJECT`);
 * 3. its metadata, the ABI version first (`NOT_A_PLUGIN`, `ABI_MISMATCH`,
 *    `BAD_METADATA`), and the runtime functions the SDK defines;
 * 4. the registry and trust policy (`ABI_MISMATCH`, `VERSION_MISMATCH`,
 *    `UNTRUSTED`, `INTERFACE_MISMATCH`, `TOOLCHAIN_MISMATCH`,
 *    `BUILD_ID_MISMATCH`, `CHECKSUM_MISMATCH`);
 * 5. the caller's `verify` hook;
 * 6. the interfaces asked for, version, then function by function, then
 *    the layout of each struct they share, and the exported functions they
 *    need (`INTERFACE_MISSING`, `INTERFACE_MISMATCH`, `SIGNATURE_MISMATCH`,
 *    `STRUCT_MISMATCH`, `SYMBOL_MISSING`).
 *
 * Parsed files are kept by SHA-256, so checking the same bytes again (a
 * reload, an open per call, a host's lazy load) skips the parsers.
 *
 * @module
 */

import { checkInterface, type InterfaceSpec } from "../abi/define_interface.ts";
import { formatVersionPair } from "../abi/abi_version.ts";
import { identityOf, type PluginIdentity, type PluginKind } from "../abi/identity.ts";
import type { PluginMetadata } from "../abi/read_metadata.ts";
import type { ElfInfo } from "../elf/read_elf.ts";
import { LoadError, PluginError } from "../errors/plugin_error.ts";
import { knownSha256, type ReadFile, readFile, rememberSha256 } from "../file/read_file.ts";
import { sha256HexAsync } from "../file/sha256.ts";
import type { HashCache } from "../registry/hash_cache.ts";
import { Registry } from "../registry/registry.ts";
import type { TrustPolicy } from "../registry/trust_policy.ts";
import {
  parseSignatureFile,
  type PluginSignature,
  SIGNATURE_SUFFIX,
} from "../registry/signature.ts";
import { type ParsedFormat, parseFormat } from "./formats.ts";
import { parseChecked } from "./_parse_cache.ts";
import { cachedIdentity } from "./_scan.ts";
import { SIDECAR_SUFFIX } from "./sidecar.ts";
import type { ListedFile } from "./list_plugin_files.ts";

/** What the `verify` hook of {@linkcode CheckOptions} is shown: the checked file, before anything runs. */
export interface PluginCandidate {
  /** The file as read: path, real path, bytes, SHA-256, the descriptor's stat. */
  readonly file: ReadFile;
  /** What kind of plugin it is. */
  readonly kind: PluginKind;
  /** The plugin's metadata. */
  readonly metadata: PluginMetadata;
  /** The identity the registry compares. */
  readonly identity: PluginIdentity;
  /**
   * Check that the plugin exports a function, reading only the file.
   *
   * @param name the function
   * @throws {LoadError} `SYMBOL_MISSING`, saying why it is not there (hidden,
   *   static, removed by the linker, a typo with the nearest names)
   */
  readonly requireFunction: (name: string) => void;
}

/** Options of {@linkcode checkPlugin}: every option that decides whether a plugin is accepted. */
export interface CheckOptions {
  /**
   * Interfaces the host needs; each is checked (version, then function by
   * function, then struct layouts, then the exported functions) before
   * anything is loaded.
   * @default []
   */
  interfaces?: readonly InterfaceSpec[];
  /**
   * The trusted plugins: a lockfile path or a {@linkcode Registry}. The
   * plugin is checked against it and `policy`.
   * @default undefined (no registry check, unless `policy` is given: then an empty registry)
   */
  registry?: Registry | string;
  /**
   * What the host requires of the plugin against `registry`.
   * @default {} (strict: only trusted plugins, exact bytes)
   */
  policy?: TrustPolicy;
  /**
   * Accept a plugin file (and a lockfile) even when it, or a directory above
   * it, is writable by group or others or owned by another user (otherwise
   * `INSECURE_PERMISSIONS`).
   * @default false
   */
  allowInsecurePermissions?: boolean;
  /**
   * Called with the checked candidate after the registry's check; throw a
   * `PluginError` to refuse it.
   */
  verify?: (candidate: PluginCandidate) => void;
}

/** Options of the pipeline beyond what users set: how an entry point reads and judges. */
export interface PipelineOptions extends CheckOptions {
  /**
   * `"all"`: every interface in `interfaces` must be provided (openPlugin).
   * `"any"`: at least one must be, and each one the plugin claims must
   * match (a host taking plugins of several interfaces).
   * @default "all"
   */
  interfaceRule?: "all" | "any";
  /** Hashes and metadata of files seen before (used only without `verify` and `interfaces`). */
  cache?: HashCache;
  /** The file as a directory listing found it (saves resolving its directory again). */
  listed?: ListedFile;
  /** Directories already found secure, shared by a scan of many files. */
  secureDirectories?: Set<string>;
  /** A registry read once for many files, instead of `registry`. */
  resolvedRegistry?: Registry;
  /** The program's file, already read and hashed (by {@linkcode checkPluginAsync}). */
  file?: ReadFile;
}

/** What {@linkcode examinePlugin} found. */
export interface CheckResult {
  /** The path as given. */
  readonly path: string;
  /** The file with symlinks resolved, once found. */
  readonly realPath: string | undefined;
  /** Whether `path` went through a symlink. */
  readonly viaSymlink: boolean;
  /** The plugin's identity, once its metadata was read. */
  readonly identity: PluginIdentity | undefined;
  /** The candidate, unless the file could not be read as a plugin or came from the cache. */
  readonly candidate: PluginCandidate | undefined;
  /** Whether the identity came from the hash cache (the file was not read). */
  readonly cached: boolean;
  /** Every problem, in check order; empty when the plugin is accepted. */
  readonly errors: readonly PluginError[];
}

/**
 * Check a plugin file: run every check in order and throw the first
 * problem. Nothing of the file runs.
 *
 * @example Checking a plugin before deciding what to do with it
 * ```ts ignore
 * import { checkPlugin } from "@plugboard/plugboard";
 *
 * const candidate = checkPlugin("build/greeter.so", { registry: "plugboard.lock" });
 * console.log(candidate.metadata.name, candidate.file.sha256);
 * ```
 *
 * @param path the plugin file
 * @param options interfaces, registry, policy, permissions, verify hook
 * @returns the checked candidate
 * @throws {LoadError} with the code of the first check that failed
 */
export function checkPlugin(path: string, options: CheckOptions = {}): PluginCandidate {
  const result = examinePlugin(path, options);
  if (result.errors.length > 0) throw result.errors[0];
  return result.candidate!;
}

/**
 * {@linkcode checkPlugin}, with the file hashed by Web Crypto: the same
 * checks on the same bytes, read once, and the same errors; only the hash
 * is computed off the synchronous path (cheaper for the first plugin a
 * process opens).
 *
 * @param path the plugin file
 * @param options the checks
 * @returns the checked plugin, ready for its loader
 * @throws {LoadError} with a code saying which check failed
 */
export async function checkPluginAsync(
  path: string,
  options: CheckOptions = {},
): Promise<PluginCandidate> {
  let file: ReadFile | undefined;
  try {
    const read = readFile(programOf(path), {
      allowInsecurePermissions: options.allowInsecurePermissions,
      hash: false,
    });
    const sha256 = knownSha256(read.realPath, read.bytes) ??
      rememberSha256(read.realPath, read.bytes, await sha256HexAsync(read.bytes));
    file = { ...read, sha256 };
  } catch {
    // The synchronous pipeline reads it again and says what is wrong.
  }
  return checkPlugin(path, { ...options, file } as PipelineOptions);
}

/** The program a path names: itself, or the program of a metadata sidecar's path. */
function programOf(path: string): string {
  return path.endsWith(SIDECAR_SUFFIX) ? path.slice(0, -SIDECAR_SUFFIX.length) : path;
}

/**
 * Run every check and collect every problem instead of throwing the first.
 *
 * @param path the plugin file
 * @param options the checks, and how an entry point reads files
 * @returns the identity, the candidate and the problems in check order
 */
export function examinePlugin(path: string, options: PipelineOptions = {}): CheckResult {
  const registry = (): Registry | undefined =>
    options.resolvedRegistry ?? resolveRegistry(options.registry, options);
  if (options.cache && !options.verify && !options.interfaces?.length) {
    let hit;
    try {
      hit = cachedIdentity(
        options.listed ?? { path, fromDirectory: false },
        options.cache,
        options,
      );
    } catch (e) {
      return failed(path, asPluginError(e, path));
    }
    if (hit) {
      return {
        path,
        realPath: hit.realPath,
        viaSymlink: hit.viaSymlink,
        identity: hit.identity,
        candidate: undefined,
        cached: true,
        errors: registryErrors(hit.identity, registry, options),
      };
    }
  }
  let file: ReadFile;
  let format: ParsedFormat;
  let metadata: PluginMetadata;
  try {
    const hashedAtMs = Date.now();
    const program = programOf(path);
    file = options.file?.path === program ? options.file : readFile(program, {
      allowInsecurePermissions: options.allowInsecurePermissions,
      secureDirectories: options.secureDirectories,
    });
    const sidecar = readSidecarOf(program, file, options);
    ({ format, metadata } = parseChecked(file, sidecar));
    for (const name of format.runtime) requireRuntime(format, name, path);
    if (options.cache) {
      options.cache.store(file.stat, identityOf(metadata, { ...file, kind: format.kind }), {
        hashedAtMs,
        path: file.realPath,
      });
    }
  } catch (e) {
    return failed(path, asPluginError(e, path));
  }
  const identity = identityOf(metadata, { ...file, kind: format.kind });
  const candidate: PluginCandidate = Object.freeze({
    file,
    kind: format.kind,
    metadata,
    identity,
    requireFunction: (name: string) =>
      format.requireFunction(name, path, metadata.functions.get(name)),
  });
  formats.set(candidate, format);
  const errors = registryErrors(identity, registry, options);
  if (errors.length === 0 && options.verify) {
    try {
      options.verify(candidate);
    } catch (e) {
      errors.push(asPluginError(e, path));
    }
  }
  if (options.interfaces?.length) {
    errors.push(
      ...interfaceErrors(
        metadata,
        format,
        options.interfaces,
        options.interfaceRule ?? "all",
        path,
      ),
    );
  }
  return {
    path,
    realPath: file.realPath,
    viaSymlink: file.viaSymlink,
    identity,
    candidate,
    cached: false,
    errors,
  };
}

/** An ordinary library file as checked for {@linkcode checkLibrary}. */
export interface CheckedLibrary {
  /** The file as read. */
  readonly file: ReadFile;
  /** The parsed ELF file. */
  readonly elf: ElfInfo;
}

/**
 * Check an ordinary shared library (no plugboard metadata) before loading it
 * with declared signatures: the same file and format checks as a plugin, then
 * each declared function must be exported.
 *
 * @param path the library file
 * @param functions the names of the declared functions
 * @param options the permission check
 * @returns the file and its parsed ELF
 * @throws {LoadError} `NOT_FOUND`, `NOT_ELF`, `WRONG_ARCH`, `SYMBOL_MISSING`, ...
 */
export function checkLibrary(
  path: string,
  functions: Iterable<string>,
  options: { allowInsecurePermissions?: boolean } = {},
): CheckedLibrary {
  const file = readFile(path, {
    subject: "library",
    allowInsecurePermissions: options.allowInsecurePermissions,
  });
  const format = parseFormat(file.bytes, path);
  if (!format.elf) {
    throw new LoadError("NOT_ELF", {
      path,
      what: "not a shared library",
      expected: "an ELF shared library (.so)",
      found: `a ${format.kind} plugin`,
      hint:
        "open plugboard plugins with openPlugin(); openLibrary() is for ordinary shared libraries",
    });
  }
  for (const name of functions) format.requireFunction(name, path);
  return { file, elf: format.elf };
}

const formats = new WeakMap<PluginCandidate, ParsedFormat>();

/** Files that are plugins by their own bytes: no sidecar is looked for next to them. */
const SELF_DESCRIBED = /\.(?:so(?:\.\d+)*|wasm)$/;

/**
 * The metadata sidecar of an executable (`PROGRAM.plugboard.json`), read
 * with the same rules as the program, when there is one. An executable
 * without one is not a plugin.
 */
function readSidecarOf(
  program: string,
  file: ReadFile,
  options: PipelineOptions,
): ReadFile | undefined {
  if (SELF_DESCRIBED.test(program)) return undefined;
  const path = program + SIDECAR_SUFFIX;
  let exists = true;
  try {
    Deno.lstatSync(path);
  } catch {
    exists = false;
  }
  const executable = (file.stat.mode & 0o111) !== 0;
  if (!exists) {
    const script = file.bytes[0] === 0x23 && file.bytes[1] === 0x21; // "#!"
    if (!executable || !script) return undefined;
    throw new LoadError("NOT_A_PLUGIN", {
      path: program,
      what: "an executable without plugboard metadata",
      expected: `its metadata sidecar ${JSON.stringify(path)}`,
      found: "no sidecar",
      hint:
        "if it speaks plugboard-rpc (docs/subprocess.md), write its sidecar with `plugboard describe PROGRAM --run --write`, which runs it once, confined, to ask",
    });
  }
  if (!executable) {
    throw new LoadError("NOT_A_FILE", {
      path: program,
      what: "the program of a subprocess plugin is not executable",
      expected: "an executable file (a mode with x bits)",
      found: `mode 0${(file.stat.mode & 0o777).toString(8)}`,
      hint: `chmod +x ${program}`,
    });
  }
  return readFile(path, {
    subject: "metadata sidecar",
    maxBytes: MAX_SIDECAR_BYTES,
    allowInsecurePermissions: options.allowInsecurePermissions,
    secureDirectories: options.secureDirectories,
  });
}

/** The largest metadata sidecar read. */
const MAX_SIDECAR_BYTES = 1 << 20;

/**
 * The parsed file behind a candidate, for the loader of its kind.
 *
 * @param candidate what the pipeline returned
 * @returns the parsed format (the ELF file of a native plugin, ...)
 */
export function formatOf(candidate: PluginCandidate): ParsedFormat {
  const f = formats.get(candidate);
  if (!f) throw new Error("unreachable: a candidate not made by the check pipeline");
  return f;
}

/**
 * The registry an option names: read from a lockfile path (with the same
 * permission rule as the plugin), the registry given, an empty one when only
 * a policy is given, or none.
 *
 * @param registry the option
 * @param options the permission check
 * @returns the registry, or undefined for no registry check
 * @throws {PluginError} when the lockfile cannot be read
 */
export function resolveRegistry(
  registry: Registry | string | undefined,
  options: { policy?: TrustPolicy; allowInsecurePermissions?: boolean },
): Registry | undefined {
  if (typeof registry === "string") {
    return Registry.fromLockfile(registry, {
      allowInsecurePermissions: options.allowInsecurePermissions,
    });
  }
  return registry ?? (options.policy !== undefined ? new Registry() : undefined);
}

function registryErrors(
  identity: PluginIdentity,
  registry: () => Registry | undefined,
  options: PipelineOptions,
): PluginError[] {
  if (
    options.resolvedRegistry === undefined && options.registry === undefined &&
    options.policy === undefined
  ) {
    return [];
  }
  try {
    const r = registry();
    return r
      ? r.differences(identity, options.policy, {
        signature: () => readSignature(identity.path, options),
      })
      : [];
  } catch (e) {
    return [asPluginError(e, identity.path)];
  }
}

/** The largest signature file read. */
const MAX_SIGNATURE_BYTES = 64 << 10;

/** A plugin's signature file (`FILE.sig`), when it has one; read with the plugin's rules. */
function readSignature(path: string, options: PipelineOptions): PluginSignature | undefined {
  const sigPath = path + SIGNATURE_SUFFIX;
  let file;
  try {
    file = readFile(sigPath, {
      subject: "signature",
      maxBytes: MAX_SIGNATURE_BYTES,
      allowInsecurePermissions: options.allowInsecurePermissions,
      secureDirectories: options.secureDirectories,
      hash: false,
    });
  } catch (e) {
    if (e instanceof PluginError && e.code === "NOT_FOUND") return undefined;
    throw e;
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(file.bytes);
  } catch {
    text = "";
  }
  return parseSignatureFile(text, sigPath);
}

/** Plugins refused because they provide none of a host's interfaces (expected in a shared directory). */
const forOthers = new WeakSet<object>();

/**
 * Whether an error says a plugin provides none of the host's interfaces
 * (a plugin for other hosts), as opposed to one that claims an interface
 * and does not match it.
 *
 * @param err the error
 * @returns whether it is that error
 */
export function isForOtherInterfaces(err: unknown): boolean {
  return typeof err === "object" && err !== null && forOthers.has(err);
}

/**
 * The interface checks: with rule `"all"`, each interface must be provided
 * and match; with `"any"`, at least one must be, and every interface the
 * plugin claims (by id) must match one of the host's declarations of it.
 * Each accepted interface's functions must be exported.
 */
function interfaceErrors(
  metadata: PluginMetadata,
  format: ParsedFormat,
  specs: readonly InterfaceSpec[],
  rule: "all" | "any",
  path: string,
): PluginError[] {
  const accept = (spec: InterfaceSpec) => {
    checkInterface(metadata, spec, path);
    for (const name of spec.signatures.keys()) {
      format.requireFunction(name, path, metadata.functions.get(name));
    }
  };
  if (rule === "all") {
    for (const spec of specs) {
      try {
        accept(spec);
      } catch (e) {
        return [asPluginError(e, path)];
      }
    }
    return [];
  }
  let accepted = 0;
  for (const id of new Set(specs.map((s) => s.id))) {
    if (!metadata.interfaces.some((i) => i.id === id)) continue;
    let first: unknown;
    for (const spec of specs.filter((s) => s.id === id)) {
      try {
        accept(spec);
        accepted++;
        first = undefined;
        break;
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== undefined) return [asPluginError(first, path)];
  }
  if (accepted > 0) return [];
  const wanted = specs.map((s) => `${s.id}/${formatVersionPair(s.version)}`);
  const has = metadata.interfaces.map((i) => `${i.id}/${formatVersionPair(i.version)}`);
  const err = new LoadError("INTERFACE_MISSING", {
    path,
    what: `plugin "${metadata.name}" provides none of the host's interfaces`,
    expected: wanted.join(" or "),
    found: has.length ? has.join(", ") : "no interfaces",
    hint: `implement ${wanted[0]} in the plugin, or remove the file from the search path`,
  });
  forOthers.add(err);
  return [err];
}

function requireRuntime(format: ParsedFormat, name: string, path: string): void {
  try {
    format.requireFunction(name, path);
  } catch (e) {
    throw new LoadError("BAD_METADATA", {
      path,
      what: "the plugin's runtime is missing",
      expected: `${
        format.runtimeExpected?.[name] ?? `an exported ${name}()`
      } (defined by PLUGBOARD_PLUGIN; see docs/abi.md)`,
      found: (e as LoadError).found ?? String(e),
      hint:
        "build the plugin with plugboard's SDK and export its plugboard_* functions (do not strip or hide them)",
      cause: e,
    });
  }
}

function failed(path: string, error: PluginError): CheckResult {
  return {
    path,
    realPath: undefined,
    viaSymlink: false,
    identity: undefined,
    candidate: undefined,
    cached: false,
    errors: [error],
  };
}

/**
 * Anything thrown by a check, as a PluginError.
 *
 * @param e what was thrown
 * @param path the file
 * @returns the error
 */
export function asPluginError(e: unknown, path: string): PluginError {
  if (e instanceof PluginError) return e;
  return new PluginError(
    "LOAD_FAILED",
    `Cannot load plugin ${JSON.stringify(path)}: ${e instanceof Error ? e.message : String(e)}`,
    { path, cause: e },
  );
}
