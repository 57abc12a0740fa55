// Generated from src/file/paths.ts by tasks/dist.ts (deno task dist): do not edit.
export var normalize = (function normalize(path) {
    const absolute = path.startsWith("/");
    const out = [];
    for (const part of path.split("/")) {
        if (part === "" || part === ".")
            continue;
        if (part === "..") {
            if (out.length > 0 && out[out.length - 1] !== "..")
                out.pop();
            else if (!absolute)
                out.push("..");
            continue;
        }
        out.push(part);
    }
    const joined = out.join("/");
    return absolute ? `/${joined}` : joined === "" ? "." : joined;
});
export var isAbsolute = (function isAbsolute(path) {
    return path.startsWith("/");
});
export var join = (function join(...parts) {
    const present = parts.filter((p) => p !== "");
    return present.length === 0 ? "." : normalize(present.join("/"));
});
export var resolve = (function resolve(...parts) {
    let path = "";
    for (let i = parts.length - 1; i >= 0; i--) {
        const part = parts[i];
        if (part === "")
            continue;
        path = path === "" ? part : `${part}/${path}`;
        if (part.startsWith("/"))
            return normalize(path);
    }
    return normalize(path === "" ? Deno.cwd() : `${Deno.cwd()}/${path}`);
});
export var dirname = (function dirname(path) {
    if (path === "")
        return ".";
    const hasRoot = path.startsWith("/");
    let end = -1;
    let matchedSlash = true;
    for (let i = path.length - 1; i >= 1; i--) {
        if (path[i] === "/") {
            if (!matchedSlash) {
                end = i;
                break;
            }
        }
        else {
            matchedSlash = false;
        }
    }
    if (end === -1)
        return hasRoot ? "/" : ".";
    if (hasRoot && end === 1)
        return "//";
    return path.slice(0, end);
});
export var basename = (function basename(path, suffix) {
    const trimmed = path.length > 1 ? path.replace(/\/+$/, "") : path;
    const base = trimmed.slice(trimmed.lastIndexOf("/") + 1);
    return suffix && base !== suffix && base.endsWith(suffix) ? base.slice(0, -suffix.length) : base;
});
export var extname = (function extname(path) {
    const base = basename(path);
    const dot = base.lastIndexOf(".");
    return dot <= 0 || base === ".." ? "" : base.slice(dot);
});
export var relative = (function relative(from, to) {
    const a = resolve(from).split("/").filter((p) => p !== "");
    const b = resolve(to).split("/").filter((p) => p !== "");
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i])
        i++;
    return [...a.slice(i).map(() => ".."), ...b.slice(i)].join("/");
});
