/**
 * `verifyFiles()`: check plugin files against a registry without running
 * them, reporting every difference of every file. A directory stands for its
 * plugin files. With a {@linkcode HashCache}, a file unchanged since it was
 * last read is not read again.
 *
 * @module
 */

import { dirname, resolve } from "../file/paths.ts";
import type { PluginIdentity } from "../abi/identity.ts";
import { LoadError, type PluginError } from "../errors/plugin_error.ts";
import type { HashCache } from "../registry/hash_cache.ts";
import { EXACT_POLICY } from "../registry/trust_policy.ts";
import { type CheckOptions, examinePlugin, resolveRegistry } from "./check_plugin.ts";
import { listPluginFiles } from "./list_plugin_files.ts";

/** Options of {@linkcode verifyFiles}. */
export interface VerifyFilesOptions extends CheckOptions {
  /**
   * What counts as a difference.
   * @default EXACT_POLICY when `registry` is given (every difference from the lockfile)
   */
  policy?: CheckOptions["policy"];
  /**
   * Hashes and metadata of files seen before; unchanged files are not read.
   * @default undefined (every file is read and hashed)
   */
  cache?: HashCache;
}

/** The verdict on one file. */
export interface FileVerdict {
  /** The file, as listed. */
  readonly path: string;
  /** The file with symlinks resolved, once it was found. */
  readonly realPath: string | undefined;
  /** Whether `path` went through a symlink. */
  readonly viaSymlink: boolean;
  /** `ok`: matches; `failed`: see `errors`; `skipped`: not a plugin, found in a directory. */
  readonly status: "ok" | "failed" | "skipped";
  /** What was read, when the file is a plugin. */
  readonly identity: PluginIdentity | undefined;
  /** Whether the identity came from the cache. */
  readonly cached: boolean;
  /** Every difference, in check order (one error when the file could not be read). */
  readonly errors: readonly PluginError[];
}

/** What {@linkcode verifyFiles} found. */
export interface VerifyReport {
  /** One verdict per file, in argument order (directories sorted by name). */
  readonly files: readonly FileVerdict[];
  /** Files that match. */
  readonly ok: number;
  /** Files that do not. */
  readonly failed: number;
  /** Non-plugins found in directories. */
  readonly skipped: number;
}

/**
 * Check files against a registry; a directory stands for its plugin files
 * (not recursive, sorted by name). Nothing in the files is executed. Every
 * file goes through the same checks as `openPlugin`, collecting every
 * difference instead of stopping at the first.
 *
 * @example Verify the built plugins
 * ```ts ignore
 * import { verifyFiles } from "@plugboard/plugboard/registry";
 *
 * const report = verifyFiles(["build/"], { registry: "plugboard.lock" });
 * for (const f of report.files) {
 *   for (const e of f.errors) console.log(`error[${e.code}]: ${e.summary}`);
 * }
 * console.log(report.ok, report.failed);
 * ```
 *
 * @param paths files and directories
 * @param options registry (a lockfile path or a Registry), policy, cache,
 *   permission check, interfaces, verify hook
 * @returns a verdict per file
 * @throws {PluginError} `NOT_FOUND`, `INSECURE_PERMISSIONS` or `LOCKFILE_INVALID` for the lockfile
 */
export function verifyFiles(
  paths: readonly string[],
  options: VerifyFilesOptions = {},
): VerifyReport {
  // Against a registry, every difference counts unless the caller says otherwise.
  const policy = options.policy ?? (options.registry !== undefined ? EXACT_POLICY : undefined);
  const registry = resolveRegistry(options.registry, {
    policy,
    allowInsecurePermissions: options.allowInsecurePermissions,
  });
  const secureDirectories = new Set<string>();
  const files: FileVerdict[] = [];
  let ok = 0;
  let failed = 0;
  let skipped = 0;
  for (const listed of listPluginFiles(paths, options.cache)) {
    const result = examinePlugin(listed.path, {
      ...options,
      policy,
      registry: undefined,
      resolvedRegistry: registry,
      listed,
      secureDirectories,
    });
    const skip = result.identity === undefined && listed.fromDirectory &&
      result.errors[0]?.code === "NOT_A_PLUGIN";
    if (skip) skipped++;
    else if (result.errors.length) failed++;
    else ok++;
    files.push({
      path: listed.path,
      realPath: result.realPath,
      viaSymlink: result.viaSymlink,
      status: skip ? "skipped" : result.errors.length ? "failed" : "ok",
      identity: result.identity,
      cached: result.cached,
      errors: result.errors,
    });
  }
  if (registry) {
    for (const missing of missingTrusted(paths, files, registry)) {
      failed++;
      files.push(missing);
    }
  }
  return { files, ok, failed, skipped };
}

/**
 * Trusted plugins recorded in the directories (or at the files) that were
 * verified, whose files are gone: a difference too.
 */
function missingTrusted(
  paths: readonly string[],
  files: readonly FileVerdict[],
  registry: NonNullable<ReturnType<typeof resolveRegistry>>,
): FileVerdict[] {
  const seen = new Set<string>();
  for (const f of files) {
    seen.add(resolve(f.path));
    if (f.realPath) seen.add(f.realPath);
  }
  const dirs = new Set<string>();
  const named = new Set<string>();
  for (const p of paths) {
    let isDir = false;
    try {
      isDir = Deno.statSync(p).isDirectory;
    } catch {
      isDir = false;
    }
    (isDir ? dirs : named).add(resolve(p));
  }
  const out: FileVerdict[] = [];
  for (const entry of registry.list()) {
    const where = registry.pathOf(entry);
    if (seen.has(where) || !(dirs.has(dirname(where)) || named.has(where))) continue;
    if (exists(where)) continue;
    out.push({
      path: where,
      realPath: undefined,
      viaSymlink: false,
      status: "failed",
      identity: undefined,
      cached: false,
      errors: [
        new LoadError("NOT_FOUND", {
          path: where,
          what: `trusted plugin "${entry.name}@${entry.version}" is missing`,
          expected: `the file recorded in the lockfile (SHA-256 ${entry.sha256.slice(0, 12)}…)`,
          found: "no file",
          hint:
            "rebuild it, or delete its entry from the lockfile if the plugin was removed on purpose",
        }),
      ],
    });
  }
  return out;
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
