// Generated from src/abi/semver.ts by tasks/dist.ts (deno task dist): do not edit.
export var parseSemVer = (function parseSemVer(text) {
    const m = VERSION_RE.exec(text.trim().replace(/^v/, ""));
    if (!m)
        return undefined;
    const nums = [m[1], m[2], m[3]].map(Number);
    if (nums.some((n) => !Number.isSafeInteger(n)))
        return undefined;
    return Object.freeze({
        major: nums[0],
        minor: nums[1],
        patch: nums[2],
        prerelease: Object.freeze(m[4] ? m[4].split(".").map(preId) : []),
        build: Object.freeze(m[5] ? m[5].split(".") : []),
    });
});
export var compareSemVer = (function compareSemVer(a, b) {
    if (a.major !== b.major)
        return a.major - b.major;
    if (a.minor !== b.minor)
        return a.minor - b.minor;
    if (a.patch !== b.patch)
        return a.patch - b.patch;
    const pa = a.prerelease;
    const pb = b.prerelease;
    if (pa.length === 0 || pb.length === 0)
        return pb.length - pa.length;
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
        if (i >= pa.length)
            return -1;
        if (i >= pb.length)
            return 1;
        const x = pa[i];
        const y = pb[i];
        if (x === y)
            continue;
        if (typeof x === "number" && typeof y === "number")
            return x - y;
        if (typeof x === "number")
            return -1;
        if (typeof y === "number")
            return 1;
        return x < y ? -1 : 1;
    }
    return 0;
});
export var parseRange = (function parseRange(text) {
    const sets = [];
    for (const part of text.split("||")) {
        const words = part.trim().replace(/(<=|>=|<|>|=|\^|~)\s+/g, "$1")
            .split(/\s+/).filter((w) => w !== "");
        const set = [];
        for (const word of words.length ? words : ["*"]) {
            const comparators = desugar(word);
            if (!comparators)
                return undefined;
            set.push(...comparators);
        }
        sets.push(set);
    }
    return Object.freeze(sets.map((s) => Object.freeze(s)));
});
export var satisfies = (function satisfies(version, range) {
    return range.some((set) => {
        if (!set.every((c) => test(c, version)))
            return false;
        if (version.prerelease.length === 0)
            return true;
        return set.some((c) => c.version.prerelease.length > 0 &&
            !isSentinel(c.version) &&
            c.version.major === version.major &&
            c.version.minor === version.minor &&
            c.version.patch === version.patch);
    });
});
export var formatSemVer = (function formatSemVer(v) {
    const core = `${v.major}.${v.minor}.${v.patch}`;
    return v.prerelease.length ? `${core}-${v.prerelease.join(".")}` : core;
});
export var compareEntries = (function compareEntries(a, b) {
    if (a.name !== b.name)
        return a.name < b.name ? -1 : 1;
    const va = parseSemVer(a.version);
    const vb = parseSemVer(b.version);
    if (va && vb) {
        const d = compareSemVer(va, vb);
        if (d !== 0)
            return d;
    }
    return a.version < b.version ? -1 : a.version > b.version ? 1 : 0;
});
var preId = (function preId(s) {
    return /^\d+$/.test(s) ? Number(s) : s;
});
var test = (function test(c, v) {
    const d = compareSemVer(v, c.version);
    switch (c.op) {
        case "<":
            return d < 0;
        case "<=":
            return d <= 0;
        case ">":
            return d > 0;
        case ">=":
            return d >= 0;
        case "=":
            return d === 0;
    }
});
var isSentinel = (function isSentinel(v) {
    return v.prerelease === SENTINEL;
});
var ver = (function ver(major, minor, patch, prerelease = []) {
    return Object.freeze({ major, minor, patch, prerelease, build: [] });
});
var below = (function below(major, minor, patch) {
    return { op: "<", version: ver(major, minor, patch, SENTINEL) };
});
var atLeast = (function atLeast(v) {
    return { op: ">=", version: v };
});
var desugar = (function desugar(word) {
    const m = /^(<=|>=|<|>|=|\^|~>?)?(.*)$/.exec(word);
    const op = m[1] ?? "";
    const p = PARTIAL_RE.exec(m[2]);
    if (!p)
        return undefined;
    const isX = (s) => s === undefined || /^[xX*]$/.test(s);
    const xMajor = isX(p[1]);
    const xMinor = xMajor || isX(p[2]);
    const xPatch = xMinor || isX(p[3]);
    if ((xMajor && !isX(p[2])) || (xMinor && !isX(p[3])) || (xPatch && p[4])) {
        return undefined;
    }
    const major = xMajor ? 0 : Number(p[1]);
    const minor = xMinor ? 0 : Number(p[2]);
    const patch = xPatch ? 0 : Number(p[3]);
    if (![major, minor, patch].every(Number.isSafeInteger))
        return undefined;
    const pre = !xPatch && p[4] ? Object.freeze(p[4].split(".").map(preId)) : [];
    const full = ver(major, minor, patch, pre);
    switch (op) {
        case "^":
            if (xMajor)
                return ANY;
            if (major > 0 || xMinor)
                return [atLeast(full), below(major + 1, 0, 0)];
            if (minor > 0 || xPatch)
                return [atLeast(full), below(0, minor + 1, 0)];
            return [atLeast(full), below(0, 0, patch + 1)];
        case "~":
        case "~>":
            if (xMajor)
                return ANY;
            if (xMinor)
                return [atLeast(full), below(major + 1, 0, 0)];
            return [atLeast(full), below(major, minor + 1, 0)];
        case ">":
            if (xMajor)
                return [{ op: "<", version: ver(0, 0, 0, SENTINEL) }];
            if (xMinor)
                return [atLeast(ver(major + 1, 0, 0))];
            if (xPatch)
                return [atLeast(ver(major, minor + 1, 0))];
            return [{ op: ">", version: full }];
        case ">=":
            return xMajor ? ANY : [atLeast(full)];
        case "<":
            if (xMajor)
                return [{ op: "<", version: ver(0, 0, 0, SENTINEL) }];
            if (xPatch)
                return [below(major, xMinor ? 0 : minor, 0)];
            return [{ op: "<", version: full }];
        case "<=":
            if (xMajor)
                return ANY;
            if (xMinor)
                return [below(major + 1, 0, 0)];
            if (xPatch)
                return [below(major, minor + 1, 0)];
            return [{ op: "<=", version: full }];
        default:
            if (xMajor)
                return ANY;
            if (xMinor)
                return [atLeast(full), below(major + 1, 0, 0)];
            if (xPatch)
                return [atLeast(full), below(major, minor + 1, 0)];
            return [{ op: "=", version: full }];
    }
});
const NUM = "0|[1-9]\\d*";
const PRE_ID = "(?:0|[1-9]\\d*|\\d*[A-Za-z-][0-9A-Za-z-]*)";
const VERSION_RE = new RegExp(`^(${NUM})\\.(${NUM})\\.(${NUM})` +
    `(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?` +
    `(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?$`);
const PARTIAL_RE = new RegExp(`^v?(${NUM}|[xX*])(?:\\.(${NUM}|[xX*])(?:\\.(${NUM}|[xX*])` +
    `(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?` +
    `(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?)?)?$`);
const SENTINEL = Object.freeze([0]);
const ANY = [atLeast(ver(0, 0, 0))];
