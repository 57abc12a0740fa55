// Generated from src/cli/verify_command.ts by tasks/dist.ts (deno task dist): do not edit.
import { join } from "../file/paths.js";
import { verifyFiles } from "../check/verify_files.js";
import { DEFAULT_LOCKFILE } from "../registry/lockfile.js";
import { HashCache } from "../registry/hash_cache.js";
import { Registry } from "../registry/registry.js";
import { EXIT_OK, EXIT_PLUGIN_ERROR, toJson, UsageError } from "./_output.js";
import { parseArgs } from "./_args.js";
import { describePath, errorJson, printError } from "./trust_command.js";
export var verifyCommand = (function verifyCommand(args, io) {
    const a = parseArgs(args, {
        command: "verify",
        flags: ["json", "no-cache"],
        options: ["lock", "cache"],
    });
    if (a.flags.help) {
        io.out(VERIFY_USAGE);
        return EXIT_OK;
    }
    if (a.positionals.length === 0) {
        throw new UsageError("verify needs at least one FILE or DIR", "verify");
    }
    if (a.options.cache !== undefined && a.flags["no-cache"]) {
        throw new UsageError("--cache and --no-cache exclude each other", "verify");
    }
    const opts = { positionals: a.positionals, json: a.flags.json };
    const lock = a.options.lock ?? DEFAULT_LOCKFILE;
    const registry = Registry.fromLockfile(lock);
    const cachePath = a.flags["no-cache"] ? undefined : a.options.cache ?? defaultCachePath();
    if (!a.flags["no-cache"]) {
        io.err(cachePath === undefined
            ? "no hash cache: HOME and XDG_CACHE_HOME are unknown (--allow-env=HOME,XDG_CACHE_HOME, or --cache F)"
            : `hash cache: ${cachePath} (--no-cache to skip it)`);
    }
    const cache = cachePath === undefined ? undefined : HashCache.load(cachePath);
    if (cache?.ignored) {
        io.err(`warning: ignoring hash cache ${cachePath}: ${cache.ignored} (it is left as it is: remove it, or pass --no-cache)`);
    }
    const report = verifyFiles(opts.positionals, { registry, cache });
    try {
        cache?.save();
    }
    catch (e) {
        io.err(`warning: cannot save hash cache ${cachePath}: ${e.message}`);
    }
    if (opts.json) {
        io.out(toJson({
            lockfile: lock,
            files: report.files.map((f) => ({
                path: f.path,
                realPath: f.realPath ?? null,
                plugin: f.identity ? `${f.identity.name}@${f.identity.version}` : null,
                status: f.status,
                cached: f.cached,
                errors: f.errors.map(errorJson),
            })),
            summary: {
                files: report.files.length,
                ok: report.ok,
                failed: report.failed,
                skipped: report.skipped,
            },
        }));
        return report.failed ? EXIT_PLUGIN_ERROR : EXIT_OK;
    }
    for (const f of report.files) {
        if (f.status === "ok") {
            io.out(`ok ${f.identity.name}@${f.identity.version} ${describePath(f)}`);
        }
        else if (f.status === "skipped") {
            io.out(`skipped ${f.path}: not a plugin (no plugboard metadata)`);
        }
        else {
            for (const e of f.errors)
                printError(e, io);
        }
    }
    io.out(`${report.files.length} file(s) checked against ${lock}: ${report.ok} ok, ${report.failed} failed${report.skipped ? `, ${report.skipped} skipped` : ""}`);
    return report.failed ? EXIT_PLUGIN_ERROR : EXIT_OK;
});
var defaultCachePath = (function defaultCachePath() {
    const env = (variable) => Deno.permissions.querySync({ name: "env", variable }).state === "granted"
        ? Deno.env.get(variable)
        : undefined;
    try {
        const xdg = env("XDG_CACHE_HOME");
        if (xdg)
            return join(xdg, "plugboard", "verify-cache.json");
        const home = env("HOME");
        if (home)
            return join(home, ".cache", "plugboard", "verify-cache.json");
    }
    catch {
    }
    return undefined;
});
export const VERIFY_USAGE = `Usage: plugboard verify FILE|DIR... [--lock F] [--json] [--cache F | --no-cache]

Check plugin files against the lockfile and report every difference, in the
order the loader checks them: ABI, version (or no entry at all), interfaces,
compiler, build id, SHA-256. A directory stands for its *.so files (not
recursive); non-plugins found there are skipped. Nothing in the files is
executed. Exits with 1 when any file fails.

A file unchanged since it was last verified (same device, inode, size and
times) is not read again: its hash and metadata come from the hash cache,
which a line on standard error names. Without --allow-env (HOME,
XDG_CACHE_HOME) and no --cache, there is no cache.

Options:
  --lock F     the lockfile (default: ./plugboard.lock)
  --cache F    the hash cache (default: $XDG_CACHE_HOME/plugboard/verify-cache.json,
               or ~/.cache/plugboard/verify-cache.json)
  --no-cache   read and hash every file
  --json       print the report as JSON
  --help       show this help

Permissions: --allow-read (the files and the lockfile); for the cache
--allow-env=HOME,XDG_CACHE_HOME and --allow-write on its directory.`;
