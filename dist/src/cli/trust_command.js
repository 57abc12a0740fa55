// Generated from src/cli/trust_command.ts by tasks/dist.ts (deno task dist): do not edit.
import { dirname, resolve } from "../file/paths.js";
import { LoadError, PluginError, quote } from "../errors/plugin_error.js";
import { examinePlugin } from "../check/check_plugin.js";
import { listPluginFiles } from "../check/list_plugin_files.js";
import { DEFAULT_LOCKFILE } from "../registry/lockfile.js";
import { Registry } from "../registry/registry.js";
import { parseArgs } from "./_args.js";
import { listPublishers, retirePublisherKey, trustForm, trustPublisherKey, } from "./_trust_publishers.js";
import { errorData, errorLines, EXIT_OK, EXIT_PLUGIN_ERROR, toJson } from "./_output.js";
export var trustCommand = (function trustCommand(args, io) {
    const a = parseArgs(args, {
        command: "trust",
        flags: ["json", "list-publishers"],
        options: ["lock", "publisher", "name", "retire", "reason"],
        lists: ["for"],
    });
    if (a.flags.help) {
        io.out(TRUST_USAGE);
        return EXIT_OK;
    }
    const form = trustForm(a);
    const lock = a.options.lock ?? DEFAULT_LOCKFILE;
    const json = a.flags.json;
    switch (form) {
        case "list":
            return listPublishers(lock, json, io);
        case "publisher":
            checkWritable(lock);
            return trustPublisherKey(lock, {
                key: a.options.publisher,
                trusts: a.lists.for,
                name: a.options.name,
            }, json, io);
        case "retire":
            checkWritable(lock);
            return retirePublisherKey(lock, a.options.retire, a.options.reason, json, io);
    }
    return trustFiles(a.positionals, lock, json, io);
});
var trustFiles = (function trustFiles(positionals, lock, json, io) {
    const opts = { positionals, json };
    checkWritable(lock);
    const files = [];
    const skipped = [];
    const errors = [];
    const seen = new Map();
    const secureDirectories = new Set();
    for (const listed of listPluginFiles(opts.positionals)) {
        const result = examinePlugin(listed.path, { secureDirectories, listed });
        if (!result.identity) {
            const e = result.errors[0];
            if (listed.fromDirectory && e.code === "NOT_A_PLUGIN") {
                skipped.push({ path: listed.path, error: e });
            }
            else
                errors.push(e);
            continue;
        }
        const file = { ...result.identity, viaSymlink: result.viaSymlink };
        const key = `${file.name}@${file.version}`;
        const earlier = seen.get(key);
        if (earlier && earlier.sha256 !== file.sha256) {
            errors.push(new LoadError("VERSION_MISMATCH", {
                path: file.path,
                what: `${key} is also ${quote(earlier.path)} in this run, with other bytes`,
                expected: "one build per name@version",
                found: `SHA-256 ${earlier.sha256.slice(0, 12)}… and ${file.sha256.slice(0, 12)}…`,
                hint: "plugins are trusted side by side by distinct versions: bump the version of one, or trust one of the files",
            }));
            continue;
        }
        seen.set(key, file);
        files.push(file);
    }
    const changes = [];
    const trustAll = (registry) => {
        for (const file of files)
            changes.push({ change: registry.trust(file), file });
    };
    let written = false;
    if (errors.length === 0) {
        const existed = exists(lock);
        Registry.edit(lock, {}, trustAll);
        written = changes.some((c) => c.change.kind !== "unchanged") || !existed;
    }
    else {
        trustAll(Registry.fromLockfile(lock, { create: true }));
    }
    if (opts.json) {
        io.out(toJson({
            lockfile: lock,
            written,
            changes: changes.map(({ change, file }) => ({
                kind: change.kind,
                plugin: change.key,
                path: file.path,
                realPath: file.realPath,
                changes: change.changes,
            })),
            skipped: skipped.map((s) => ({ path: s.path, reason: s.error.summary })),
            errors: errors.map(errorJson),
        }));
        return errors.length ? EXIT_PLUGIN_ERROR : EXIT_OK;
    }
    for (const { change, file } of changes) {
        const where = describePath(file);
        if (change.kind === "added") {
            io.out(`added ${change.key} ${where} (sha256 ${change.entry.sha256.slice(0, 12)}…)`);
        }
        else if (change.kind === "updated") {
            io.out(`updated ${change.key} ${where}: ${change.changes.map((c) => `${c.field} ${c.from} -> ${c.to}`).join(", ")}`);
        }
        else
            io.out(`unchanged ${change.key} ${where}`);
    }
    for (const s of skipped)
        io.out(`skipped ${s.path}: not a plugin (no plugboard metadata)`);
    for (const e of errors)
        printError(e, io);
    const count = (k) => changes.filter((c) => c.change.kind === k).length;
    if (errors.length) {
        io.err(`${lock} not written: ${errors.length} file(s) failed`);
        return EXIT_PLUGIN_ERROR;
    }
    io.out(`${written ? "wrote" : "kept"} ${lock}: ${count("added")} added, ${count("updated")} updated, ${count("unchanged")} unchanged`);
    return EXIT_OK;
});
export var describePath = (function describePath(f) {
    return f.viaSymlink && f.realPath ? `${f.path} -> ${f.realPath}` : f.path;
});
export var printError = (function printError(e, io) {
    for (const line of errorLines(e))
        io.out(line);
});
export var errorJson = (function errorJson(e) {
    return {
        ...e.toJSON(),
        ...errorData(e),
        hint: e.hint,
    };
});
export var checkWritable = (function checkWritable(lock) {
    const dir = dirname(resolve(lock));
    let st;
    try {
        st = Deno.statSync(dir);
    }
    catch (e) {
        if (e instanceof Deno.errors.NotFound) {
            throw new PluginError("NOT_FOUND", `Cannot write lockfile ${quote(lock)}: no such directory: expected an existing directory, found nothing at ${dir}`, { path: lock, hint: `create the directory (mkdir -p ${dir}), or name another --lock` });
        }
        throw e;
    }
    if (!st.isDirectory) {
        throw new PluginError("NOT_FOUND", `Cannot write lockfile ${quote(lock)}: expected a directory, found a file at ${dir}`, { path: lock, hint: "name another --lock" });
    }
    if (Deno.permissions.querySync({ name: "write", path: dir }).state !== "granted") {
        throw new PluginError("PERMISSION_DENIED", `Cannot write lockfile ${quote(lock)}: Deno's permissions do not allow writing in ${dir}: expected --allow-write=${dir}, found none`, { path: lock, hint: `run again with --allow-write=${dir}` });
    }
});
var exists = (function exists(path) {
    try {
        Deno.statSync(path);
        return true;
    }
    catch {
        return false;
    }
});
export const TRUST_USAGE = `Usage: plugboard trust FILE|DIR... [--lock F] [--json]
       plugboard trust --publisher KEY --for NAME@RANGE... [--name LABEL] [--lock F] [--json]
       plugboard trust --retire KEY_ID --reason TEXT [--lock F] [--json]
       plugboard trust --list-publishers [--lock F] [--json]

Four forms, one at a time.

trust FILE|DIR... pins plugins by hash: one lockfile entry per name@version
(name, version, ABI, interfaces with their versions and shape hashes,
compiler, build id, SHA-256 and where the file was seen), added or updated,
with what changed. A directory stands for its *.so files (not recursive);
non-plugins found there are skipped. Nothing in the files is executed. The
lockfile is written only when every file could be read.

trust --publisher KEY --for NAME@RANGE trusts a publisher's key: a plugin
without an entry of its own whose name and version match a --for (a name, or
a pattern with *, and a semver range: "greeter@^0.2", "calc-*@>=1.0",
"greeter") is accepted when KEY signed it (plugboard sign; FILE.sig beside
it). KEY is the key's text (plugboard-ed25519:...) or the .pub file keygen
wrote. --for may be given several times; trusting a key again adds to what it
is trusted for. Hash pins still win where both exist (docs/signatures.md).

trust --retire KEY_ID --reason TEXT retires a key (its id, or a prefix of it
naming one key): from then on a plugin signed only by it is refused with the
reason. A retired key stays in the lockfile and is never trusted again.

trust --list-publishers shows the trusted keys: id, name, what for, status.

The lockfile is written atomically, under a lock, so concurrent runs lose
nothing.

Options:
  --lock F            the lockfile (default: ./plugboard.lock, created if missing,
                      except by --list-publishers)
  --publisher KEY     trust this public key (text or .pub file)
  --for NAME@RANGE    what the key is trusted for (with --publisher; repeatable)
  --name LABEL        a name for people, e.g. acme (with --publisher)
  --retire KEY_ID     retire this key
  --reason TEXT       why (with --retire; kept in the lockfile)
  --list-publishers   list the trusted keys
  --json              print the result as JSON
  --help              show this help

Permissions: --allow-read (the files, KEY and the lockfile) and --allow-write
on the lockfile's directory (it is replaced through a temporary file there);
--list-publishers needs --allow-read of the lockfile only.`;
