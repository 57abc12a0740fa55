// Generated from src/file/permissions.ts by tasks/dist.ts (deno task dist): do not edit.
import { resolve } from "./paths.js";
import { LoadError } from "../errors/plugin_error.js";
export var checkPermissions = (function checkPermissions(file, options = {}) {
    const { path, realPath } = file;
    const secure = options.secureDirectories ?? new Set();
    const uid = currentUid();
    insecurity(path, realPath, file.stat, false, uid);
    checkDirectories(path, parentOf(realPath), uid, secure);
    const given = options.absolutePath ?? absolutePath(path);
    if (realPath !== given) {
        let linkDir;
        try {
            if (mayRead(parentOf(given)))
                linkDir = Deno.realPathSync(parentOf(given));
        }
        catch {
            linkDir = undefined;
        }
        if (linkDir !== undefined)
            checkDirectories(path, linkDir, uid, secure);
    }
});
export var absolutePath = (function absolutePath(path) {
    return path.startsWith("/") && !/\/\.{0,2}(?:\/|$)/.test(path) ? path : resolve(path);
});
var checkDirectories = (function checkDirectories(path, dir, uid, secure) {
    const checked = [];
    for (let d = dir;; d = parentOf(d)) {
        if (secure.has(d))
            break;
        let st;
        try {
            st = mayRead(d) ? Deno.statSync(d) : undefined;
        }
        catch {
            st = undefined;
        }
        if (st)
            insecurity(path, d, st, true, uid);
        checked.push(d);
        if (d === "/")
            break;
    }
    for (const d of checked)
        secure.add(d);
});
var parentOf = (function parentOf(p) {
    const i = p.lastIndexOf("/");
    return i <= 0 ? "/" : p.slice(0, i);
});
var currentUid = (function currentUid() {
    if (cachedUid !== undefined)
        return cachedUid;
    cachedUid = null;
    try {
        if (Deno.permissions.querySync({ name: "sys", kind: "uid" }).state === "granted") {
            cachedUid = Deno.uid();
        }
        else if (mayRead("/proc/self")) {
            cachedUid = Deno.statSync("/proc/self").uid;
        }
    }
    catch {
        cachedUid = null;
    }
    return cachedUid;
});
var mayRead = (function mayRead(path) {
    return Deno.permissions.querySync({ name: "read", path }).state === "granted";
});
var insecurity = (function insecurity(path, subject, st, isDir, uid) {
    const mode = st.mode;
    if (mode === null)
        return;
    const owner = st.uid;
    const foreign = uid !== null && owner !== null && owner !== 0 && owner !== uid;
    const writable = mode & 0o022;
    const sticky = (mode & 0o1000) !== 0;
    if (!foreign && !(writable && !(isDir && sticky)))
        return;
    const what = isDir ? "directory" : "file";
    const octal = `0${(mode & 0o7777).toString(8).padStart(3, "0")}`;
    if (foreign) {
        throw new LoadError("INSECURE_PERMISSIONS", {
            path,
            what: `${what} ${subject} is owned by another user`,
            expected: `owner root or uid ${uid} (you)`,
            found: `owner uid ${owner}, mode ${octal}`,
            hint: `that user can replace the plugin; move it somewhere only you and root control, or pass { allowInsecurePermissions: true } if you trust uid ${owner}`,
        });
    }
    const who = (mode & 0o020) && (mode & 0o002)
        ? "group and others"
        : mode & 0o002
            ? "others"
            : "group";
    throw new LoadError("INSECURE_PERMISSIONS", {
        path,
        what: `${what} ${subject} is writable by ${who}`,
        expected: isDir
            ? "a directory not writable by group or others (or with the sticky bit, like /tmp)"
            : "a file not writable by group or others (e.g. mode 0644 or 0755)",
        found: `mode ${octal}`,
        hint: `chmod go-w ${subject}, or pass { allowInsecurePermissions: true } if you trust everyone who can write there`,
    });
});
let cachedUid;
