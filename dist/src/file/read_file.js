// Generated from src/file/read_file.ts by tasks/dist.ts (deno task dist): do not edit.
import { resolve } from "./paths.js";
import { LoadError, PluginError, quote } from "../errors/plugin_error.js";
import { checkPermissions } from "./permissions.js";
import { sha256Hex } from "./sha256.js";
import { errnoName, errnoOf, getFileCalls, O_CLOEXEC, O_NONBLOCK, O_RDONLY } from "./libc.js";
import { fdStamp, stampOf } from "./stamp.js";
export var readFile = (function readFile(path, options = {}) {
    const subject = options.subject ?? "plugin";
    const max = options.maxBytes ?? MAX_PLUGIN_BYTES;
    const realPath = realPathOf(path, subject);
    const opened = openAndRead(path, realPath, subject, max);
    if (!options.allowInsecurePermissions) {
        try {
            checkPermissions({ path, realPath, stat: opened.stat }, options);
        }
        catch (e) {
            throw e instanceof LoadError ? fileError(subject, path, e) : e;
        }
    }
    return {
        path,
        realPath,
        viaSymlink: realPath !== resolve(path),
        bytes: opened.bytes,
        sha256: options.hash === false
            ? ""
            : knownSha256(realPath, opened.bytes) ?? rememberSha256(realPath, opened.bytes),
        stat: opened.stat,
    };
});
export var knownSha256 = (function knownSha256(realPath, bytes) {
    const seen = recent.get(realPath);
    return seen !== undefined && sameBytes(seen.bytes, bytes) ? seen.sha256 : undefined;
});
export var rememberSha256 = (function rememberSha256(realPath, bytes, sha256 = sha256Hex(bytes)) {
    if (bytes.length <= RECENT_MAX_BYTES) {
        recent.delete(realPath);
        recent.set(realPath, { bytes: bytes.slice(), sha256 });
        if (recent.size > RECENT_FILES)
            recent.delete(recent.keys().next().value);
    }
    return sha256;
});
var sameBytes = (function sameBytes(a, b) {
    const n = a.length;
    if (n !== b.length)
        return false;
    let i = 0;
    if ((a.byteOffset & 3) === 0 && (b.byteOffset & 3) === 0) {
        const words = n >> 2;
        const wa = new Int32Array(a.buffer, a.byteOffset, words);
        const wb = new Int32Array(b.buffer, b.byteOffset, words);
        for (let k = 0; k < words; k++)
            if (wa[k] !== wb[k])
                return false;
        i = words << 2;
    }
    for (; i < n; i++)
        if (a[i] !== b[i])
            return false;
    return true;
});
export var realPathOf = (function realPathOf(path, subject = "plugin") {
    try {
        return Deno.realPathSync(path);
    }
    catch (e) {
        throw osError(e, path, subject);
    }
});
var openAndRead = (function openAndRead(path, realPath, subject, max) {
    const calls = getFileCalls();
    if (calls && Deno.permissions.querySync({ name: "read", path: realPath }).state === "granted") {
        const name = new TextEncoder().encode(realPath + "\0");
        const fd = calls.open(name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
            const errno = errnoOf(calls);
            throw errno === 2 ? notFound(path, subject) : cannotRead(path, subject, errnoName(errno));
        }
        try {
            const stat = fdStamp(calls, fd);
            if (!stat)
                throw cannotRead(path, subject, `statx: ${errnoName(errnoOf(calls))}`);
            checkRegular(path, subject, stat, max);
            return {
                bytes: readAll(path, subject, max, stat.size, (buf) => {
                    for (;;) {
                        const n = Number(calls.read(fd, buf, BigInt(buf.length)));
                        if (n >= 0)
                            return n;
                        const errno = errnoOf(calls);
                        if (errno !== 4)
                            throw cannotRead(path, subject, errnoName(errno));
                    }
                }),
                stat,
            };
        }
        finally {
            calls.close(fd);
        }
    }
    let before;
    try {
        before = Deno.statSync(realPath);
    }
    catch (e) {
        throw osError(e, path, subject);
    }
    checkRegular(path, subject, stampOf(before), max);
    let file;
    try {
        file = Deno.openSync(realPath, { read: true });
    }
    catch (e) {
        throw osError(e, path, subject);
    }
    try {
        const stat = stampOf(file.statSync());
        checkRegular(path, subject, stat, max);
        if (stat.ino !== (before.ino ?? -1) || stat.dev !== before.dev) {
            throw cannotRead(path, subject, "the file was replaced while it was being opened");
        }
        return {
            bytes: readAll(path, subject, max, stat.size, (buf) => file.readSync(buf) ?? 0),
            stat,
        };
    }
    finally {
        file.close();
    }
});
var readAll = (function readAll(path, subject, max, size, read) {
    let buf = new Uint8Array(Math.min(size, max) + 1);
    let filled = 0;
    for (;;) {
        if (filled === buf.length) {
            if (buf.length > max)
                throw tooLarge(path, subject, max, `more than ${max} bytes`);
            const bigger = new Uint8Array(Math.min(buf.length * 2, max + 1));
            bigger.set(buf);
            buf = bigger;
        }
        const n = read(buf.subarray(filled));
        if (n === 0)
            break;
        filled += n;
    }
    return filled === buf.length ? buf : buf.subarray(0, filled);
});
var checkRegular = (function checkRegular(path, subject, st, max) {
    if (st.isDirectory) {
        throw make(subject, "NOT_A_FILE", {
            path,
            what: "not a regular file",
            expected: `a ${expectedKind(subject)}`,
            found: "a directory",
            hint: subject === "plugin"
                ? `name a plugin file inside it, e.g. ${path.replace(/\/$/, "")}/NAME.so, or let a PluginHost scan the directory`
                : `name a file, not a directory`,
        });
    }
    if (!st.isFile) {
        throw make(subject, "NOT_A_FILE", {
            path,
            what: "not a regular file",
            expected: `a ${expectedKind(subject)}`,
            found: describeSpecial(st.mode),
            hint: `name a regular file; plugboard never reads ${subject}s from pipes or devices`,
        });
    }
    if (st.size > max)
        throw tooLarge(path, subject, max, `${st.size} bytes`);
});
export var describeSpecial = (function describeSpecial(mode) {
    switch (mode & 0o170000) {
        case 0o010000:
            return "a FIFO (named pipe)";
        case 0o020000:
            return "a character device";
        case 0o060000:
            return "a block device";
        case 0o140000:
            return "a socket";
        default:
            return "a special file";
    }
});
var expectedKind = (function expectedKind(subject) {
    return subject === "plugin"
        ? "plugin file (.so, .wasm, or an executable with its metadata sidecar)"
        : subject === "library"
            ? "shared library file"
            : `regular ${subject} file`;
});
var tooLarge = (function tooLarge(path, subject, max, found) {
    return make(subject, "NOT_A_FILE", {
        path,
        what: `file too large to be a ${subject}`,
        expected: `at most ${max} bytes`,
        found,
        hint: `check that the path names a ${subject}`,
    });
});
var notFound = (function notFound(path, subject, cause) {
    return make(subject, "NOT_FOUND", {
        path,
        what: "no such file",
        expected: "an existing file",
        found: `nothing at ${resolve(path)}`,
        hint: subject === "plugin" || subject === "library"
            ? "check the path, or build the plugin first"
            : subject === "lockfile"
                ? `create it by trusting plugins: plugboard trust FILE|DIR... --lock ${path}`
                : "check the path",
        cause,
    });
});
var cannotRead = (function cannotRead(path, subject, found, cause) {
    return make(subject, "NOT_A_FILE", {
        path,
        what: "cannot read the file",
        expected: `a readable ${expectedKind(subject)}`,
        found,
        hint: "check the path and the file",
        cause,
    });
});
export var osError = (function osError(e, path, subject = "plugin") {
    if (e instanceof PluginError)
        return e;
    if (e instanceof Deno.errors.NotFound)
        return notFound(path, subject, e);
    if (e instanceof Deno.errors.NotCapable) {
        return make(subject, "PERMISSION_DENIED", {
            path,
            what: "Deno's permissions do not allow reading it",
            expected: "read permission for the file",
            found: "no --allow-read for it",
            hint: `run Deno with --allow-read=${resolve(path)} (or a directory above it)`,
            cause: e,
        });
    }
    if (e instanceof Deno.errors.PermissionDenied) {
        return make(subject, "PERMISSION_DENIED", {
            path,
            what: "the operating system refused to open it",
            expected: "a file you may read",
            found: e.message,
            hint: "check the file's permissions (chmod, chown)",
            cause: e,
        });
    }
    if (e instanceof Deno.errors.IsADirectory) {
        return make(subject, "NOT_A_FILE", {
            path,
            what: "not a regular file",
            expected: `a ${expectedKind(subject)}`,
            found: "a directory",
            hint: "name a file, not a directory",
            cause: e,
        });
    }
    return cannotRead(path, subject, e instanceof Error ? e.message : String(e), e);
});
var make = (function make(subject, code, d) {
    if (subject === "plugin" || subject === "library")
        return new LoadError(code, d);
    return new PluginError(code, `Cannot read ${subject} ${quote(d.path)}: ${d.what}: expected ${d.expected}, found ${d.found}`, { path: d.path, hint: d.hint, cause: d.cause });
});
var fileError = (function fileError(subject, path, e) {
    if (subject === "plugin" || subject === "library")
        return e;
    const prefix = `Cannot load plugin ${quote(e.path ?? path)}: `;
    const what = e.summary.startsWith(prefix) ? e.summary.slice(prefix.length) : e.summary;
    return new PluginError(e.code, `Cannot read ${subject} ${quote(path)}: ${what}`, {
        path,
        hint: e.hint,
        cause: e,
    });
});
export const MAX_PLUGIN_BYTES = 1 << 30;
const recent = new Map();
const RECENT_FILES = 8;
const RECENT_MAX_BYTES = 4 << 20;
