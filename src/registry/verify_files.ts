/**
 * `verifyFiles()`: check plugin files against a lockfile without running
 * them, reporting every difference of every file. With a
 * {@linkcode HashCache}, a file unchanged since it was last hashed is not
 * read again.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { LoadError, PluginError } from "../errors/plugin_error.ts";
import { listPluginFiles, scanPlugin } from "./_scan.ts";
import type { HashCache } from "./hash_cache.ts";
import { type PluginIdentity, Registry } from "./registry.ts";
import { EXACT_POLICY, type TrustPolicy } from "./trust_policy.ts";

/** Options of {@linkcode verifyFiles}. */
export interface VerifyFilesOptions {
  /**
   * What counts as a difference.
   * @default EXACT_POLICY (every difference from the lockfile)
   */
  policy?: TrustPolicy;
  /**
   * Hashes and metadata of files seen before; unchanged files are not read.
   * @default undefined (every file is read and hashed)
   */
  cache?: HashCache;
  /**
   * Accept files, or directories above them, that others can write to.
   * @default false
   */
  allowInsecurePermissions?: boolean;
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
 * Check files against a registry; a directory stands for its `*.so` files
 * (not recursive, sorted by name). Nothing in the files is executed.
 *
 * @example Verify the built plugins
 * ```ts ignore
 * import { verifyFiles } from "@plugboard/plugboard";
 *
 * const report = verifyFiles(["build/"], "plugboard.lock");
 * for (const f of report.files) {
 *   for (const e of f.errors) console.log(`error[${e.code}]: ${e.summary}`);
 * }
 * console.log(report.ok, report.failed);
 * ```
 *
 * @param paths files and directories
 * @param registry the registry, or the path of its lockfile
 * @param options policy, cache and permission check
 * @returns a verdict per file
 * @throws {PluginError} `NOT_FOUND` or `LOCKFILE_INVALID` for the lockfile
 */
export function verifyFiles(
  paths: readonly string[],
  registry: Registry | string,
  options: VerifyFilesOptions = {},
): VerifyReport {
  const reg = typeof registry === "string"
    ? Registry.fromLockfile(registry, {
      allowInsecurePermissions: options.allowInsecurePermissions,
    })
    : registry;
  const policy = options.policy ?? EXACT_POLICY;
  const scan = {
    cache: options.cache,
    allowInsecurePermissions: options.allowInsecurePermissions,
    secureDirectories: new Set<string>(),
  };
  const files: FileVerdict[] = [];
  let ok = 0;
  let failed = 0;
  let skipped = 0;
  for (const listed of listPluginFiles(paths, options.cache)) {
    let identity;
    try {
      identity = scanPlugin(listed, scan);
    } catch (e) {
      const err = e instanceof PluginError ? e : new PluginError(
        "NOT_A_FILE",
        `Cannot read ${JSON.stringify(listed.path)}: ${String(e)}`,
        {
          path: listed.path,
          cause: e,
        },
      );
      const skip = listed.fromDirectory && err.code === "NOT_A_PLUGIN";
      if (skip) skipped++;
      else failed++;
      files.push({
        path: listed.path,
        realPath: undefined,
        viaSymlink: false,
        status: skip ? "skipped" : "failed",
        identity: undefined,
        cached: false,
        errors: [err],
      });
      continue;
    }
    const errors = reg.differences(identity, policy);
    if (errors.length) failed++;
    else ok++;
    files.push({
      path: listed.path,
      realPath: identity.realPath,
      viaSymlink: identity.viaSymlink,
      status: errors.length ? "failed" : "ok",
      identity,
      cached: identity.cached,
      errors,
    });
  }
  // Trusted plugins recorded in the directories (or at the files) that were
  // verified, whose files are gone: a difference too.
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
  for (const entry of reg.list()) {
    const where = reg.pathOf(entry);
    if (seen.has(where) || !(dirs.has(dirname(where)) || named.has(where))) continue;
    if (exists(where)) continue;
    failed++;
    files.push({
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
  return { files, ok, failed, skipped };
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
