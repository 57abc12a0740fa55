// Generated from src/file/write_file.ts by tasks/dist.ts (deno task dist): do not edit.
import { basename, dirname, join, resolve } from "./paths.js";
import { PluginError, quote } from "../errors/plugin_error.js";
import { describeSpecial } from "./read_file.js";
export var writeFileAtomic = (function writeFileAtomic(path, text, mode = 0o644) {
    try {
        writeAtomic(path, text, mode);
    }
    catch (e) {
        throw writeError(e, path);
    }
});
var writeAtomic = (function writeAtomic(path, text, mode) {
    const target = writableTarget(path);
    const dir = dirname(target);
    let keep;
    try {
        keep = Deno.statSync(target).mode ?? undefined;
    }
    catch {
    }
    const tmp = join(dir, `.${basename(target)}.tmp-${Deno.pid}-${++counter}-${Math.random().toString(36).slice(2, 8)}`);
    const bytes = new TextEncoder().encode(text);
    const file = Deno.openSync(tmp, {
        write: true,
        createNew: true,
        mode: (keep ?? mode) & 0o777,
    });
    try {
        let off = 0;
        while (off < bytes.length)
            off += file.writeSync(bytes.subarray(off));
        file.syncSync();
    }
    catch (e) {
        file.close();
        removeQuietly(tmp);
        throw e;
    }
    file.close();
    try {
        Deno.renameSync(tmp, target);
    }
    catch (e) {
        removeQuietly(tmp);
        throw e;
    }
    try {
        using d = Deno.openSync(dir, { read: true });
        d.syncSync();
    }
    catch {
    }
});
var removeQuietly = (function removeQuietly(path) {
    try {
        Deno.removeSync(path);
    }
    catch {
    }
});
var writableTarget = (function writableTarget(path) {
    const target = linkTarget(resolve(path));
    let st;
    try {
        st = Deno.statSync(target);
    }
    catch {
        return target;
    }
    if (st.isFile)
        return target;
    throw new PluginError("NOT_A_FILE", `Cannot write ${quote(path)}: not a regular file: expected a regular file or nothing at ${target}, found ${st.isDirectory ? "a directory" : describeSpecial(st.mode ?? 0)}`, { path, hint: "name a regular file; plugboard never writes to pipes, devices or directories" });
});
var linkTarget = (function linkTarget(path) {
    let p = path;
    for (let i = 0; i < 40; i++) {
        let link;
        try {
            if (!Deno.lstatSync(p).isSymlink)
                return p;
            link = Deno.readLinkSync(p);
        }
        catch {
            return p;
        }
        p = resolve(dirname(p), link);
    }
    return p;
});
export var withFileLock = (function withFileLock(path, fn) {
    const target = writableTarget(path);
    const sidecar = join(dirname(target), `.${basename(target)}.lock`);
    let lock;
    try {
        lock = Deno.openSync(sidecar, { read: true, write: true, create: true, mode: 0o600 });
    }
    catch (e) {
        throw writeError(e, path);
    }
    try {
        lock.lockSync(true);
        return fn();
    }
    finally {
        lock.close();
    }
});
export var writeError = (function writeError(e, path) {
    if (e instanceof PluginError)
        return e;
    const dir = dirname(resolve(path));
    if (e instanceof Deno.errors.NotFound) {
        return new PluginError("NOT_FOUND", `Cannot write ${quote(path)}: no such directory: expected an existing directory, found nothing at ${dir}`, {
            path,
            hint: `create the directory first (mkdir -p ${dir}), or write the file elsewhere`,
            cause: e,
        });
    }
    if (e instanceof Deno.errors.NotCapable) {
        return new PluginError("PERMISSION_DENIED", `Cannot write ${quote(path)}: Deno's permissions do not allow writing there: expected write permission for ${dir}, found none`, { path, hint: `run Deno with --allow-write=${dir}`, cause: e });
    }
    if (e instanceof Deno.errors.PermissionDenied) {
        return new PluginError("PERMISSION_DENIED", `Cannot write ${quote(path)}: the operating system refused: expected a directory you may write, found ${e.message}`, { path, hint: `check the permissions of ${dir} (ls -ld ${dir})`, cause: e });
    }
    return new PluginError("NOT_A_FILE", `Cannot write ${quote(path)}: ${e instanceof Error ? e.message : String(e)}`, { path, hint: "check the path", cause: e });
});
let counter = 0;
