// Generated from src/registry/_check.ts by tasks/dist.ts (deno task dist): do not edit.
import { LoadError } from "../errors/plugin_error.js";
export function resolvePolicy(policy = {}) {
    return {
        mode: policy.mode ?? "strict",
        pin: policy.pin ?? "checksum",
        pinVersions: policy.pinVersions ?? true,
        interfaces: policy.interfaces ?? "extend",
        requireBuildId: policy.requireBuildId,
        pinToolchain: policy.pinToolchain ?? false,
    };
}
export function differences(path, fp, ctx, policy) {
    const out = [];
    const entry = ctx.entry;
    if (entry && entry.sha256 === fp.sha256 && entry.abi === fp.abi &&
        entry.buildId === fp.buildId && entry.compiler === fp.compiler &&
        policy.requireBuildId === undefined && typeof policy.pinToolchain !== "string" &&
        sameInterfaces(entry.interfaces, fp.interfaces)) {
        return out;
    }
    const id = `${fp.name}@${fp.version}`;
    const intended = () => `if the change is intended, trust the file: ${ctx.trustCommand()}`;
    const err = (code, what, expected, found, hint) => out.push(new LoadError(code, { path, what: `plugin ${id}: ${what}`, expected, found, hint }));
    if (entry) {
        if (entry.abi !== fp.abi) {
            err("ABI_MISMATCH", "ABI version differs from the trusted build", `ABI ${entry.abi} (trusted in ${ctx.source})`, `ABI ${fp.abi}`, `${intended()}; otherwise rebuild it against plugboard.h ${entry.abi}, the ABI it was trusted with`);
            return out;
        }
    }
    else if (!ctx.trustedByPublisher) {
        if (ctx.otherVersions.length > 0 && policy.pinVersions) {
            err("VERSION_MISMATCH", "version not trusted", `${ctx.otherVersions.join(" or ")} (trusted in ${ctx.source})`, fp.version, `if ${fp.version} is intended, trust it: ${ctx.trustCommand()}; otherwise load the trusted version`);
        }
        else if (policy.mode === "strict") {
            err("UNTRUSTED", "not trusted", `an entry ${id} in ${ctx.source}`, ctx.otherVersions.length
                ? `only ${ctx.otherVersions.join(", ")}, and the policy does not pin versions`
                : `no entry for "${fp.name}"`, `review the plugin, then trust it: ${ctx.trustCommand()}; or load with policy { mode: "known" } to allow plugins the lockfile does not know`);
        }
    }
    if (entry) {
        for (const e of interfaceDifferences(entry.interfaces, fp.interfaces, policy.interfaces)) {
            err("INTERFACE_MISMATCH", `interface "${e.id}" differs from the trusted one`, `${e.expected} (trusted in ${ctx.source})`, e.found, `${intended()}; otherwise rebuild the plugin against interface ${e.id} ${entry.interfaces[e.id]?.version ?? ""} as trusted${e.rule ? ` (${e.rule})` : ""}`.replace(/  +/g, " "));
        }
    }
    const pinned = typeof policy.pinToolchain === "string"
        ? { compiler: policy.pinToolchain, by: "pinned by the host" }
        : policy.pinToolchain && entry
            ? { compiler: entry.compiler, by: `trusted in ${ctx.source}` }
            : undefined;
    if (pinned && !sameCompiler(pinned.compiler, fp.compiler)) {
        err("TOOLCHAIN_MISMATCH", "built by another compiler", `${pinned.compiler} (${pinned.by})`, fp.compiler, `rebuild the plugin with ${pinned.compiler}; if the new compiler is intended, ${typeof policy.pinToolchain === "string"
            ? "change the host's pinToolchain"
            : `trust the file: ${ctx.trustCommand()}`}`);
    }
    const byName = policy.requireBuildId;
    const required = typeof byName === "string"
        ? byName
        : byName && Object.hasOwn(byName, fp.name)
            ? byName[fp.name]
            : undefined;
    if (required !== undefined && required !== fp.buildId) {
        err("BUILD_ID_MISMATCH", "build id differs from the one the host requires", `${required} (required by the host)`, fp.buildId || "(none)", `load the build with id ${required}, or change the host's requireBuildId`);
    }
    if (entry && policy.pin !== "interfaces" && entry.buildId !== fp.buildId &&
        entry.buildId !== required) {
        err("BUILD_ID_MISMATCH", "build id differs from the trusted build", `${entry.buildId || "(none)"} (trusted in ${ctx.source})`, fp.buildId || "(none)", `the file was built from other sources, flags or compiler; ${intended()}; otherwise rebuild the trusted sources or restore the trusted file`);
    }
    if (entry && policy.pin === "checksum" && entry.sha256 !== fp.sha256) {
        const [a, b] = shortHashes(entry.sha256, fp.sha256);
        const rebuilt = entry.buildId !== fp.buildId;
        err("CHECKSUM_MISMATCH", "SHA-256 differs from the trusted file", `${a} (trusted in ${ctx.source})`, b, rebuilt
            ? `${intended()}; otherwise restore the trusted file`
            : fp.buildId === ""
                ? `the plugin has no build id, so a rebuild cannot be told from a modification: build it with \`plugboard build\` (which stamps one), or restore the trusted file; ${intended()}`
                : `its build id and metadata are unchanged, so the file was modified after it was built: restore the trusted file, or rebuild it from its sources; ${intended()}`);
    }
    return out;
}
export function interfaceDifferences(trusted, found, rule) {
    const out = [];
    if (sameInterfaces(trusted, found))
        return out;
    const ids = [...new Set([...Object.keys(trusted), ...Object.keys(found)])].sort();
    for (const id of ids) {
        const t = trusted[id];
        const f = found[id];
        if (!t) {
            if (rule === "exact") {
                out.push({
                    id,
                    expected: "no such interface",
                    found: `${label(id, f)} with ${f.functions.join(", ")}`,
                    rule: "exact interfaces: no interface may be added",
                });
            }
            continue;
        }
        if (!f) {
            out.push({ id, expected: `${label(id, t)}`, found: "no such interface" });
            continue;
        }
        if (t.hash === f.hash && t.version === f.version)
            continue;
        const fByName = new Map(f.functions.map((s) => [fnName(s), s]));
        const tByName = new Map(t.functions.map((s) => [fnName(s), s]));
        const changed = t.functions.filter((s) => fByName.has(fnName(s)) && fByName.get(fnName(s)) !== s);
        const removed = t.functions.filter((s) => !fByName.has(fnName(s)));
        const added = f.functions.filter((s) => !tByName.has(fnName(s)));
        const [tMajor, tMinor] = t.version.split(".").map(Number);
        const [fMajor, fMinor] = f.version.split(".").map(Number);
        if (rule === "extend" && changed.length === 0 && removed.length === 0) {
            if (fMajor === tMajor && fMinor > tMinor)
                continue;
        }
        const [th, fh] = shortHashes(t.hash, f.hash, 12, "");
        const detail = (fns) => fns.length ? ` with ${fns.join(", ")}` : "";
        let ruleText;
        if (changed.length) {
            ruleText = "a changed signature needs a new interface major";
        }
        else if (removed.length) {
            ruleText = "removing a function needs a new interface major";
        }
        else if (fMajor !== tMajor) {
            ruleText = "another interface major is another interface";
        }
        else if (added.length && fMinor <= tMinor) {
            ruleText = "adding functions needs a higher interface minor";
        }
        else if (fMinor < tMinor) {
            ruleText = "the interface is older than the trusted one";
        }
        else {
            ruleText = rule === "exact" ? "exact interfaces: no function may be added" : undefined;
        }
        out.push({
            id,
            expected: `${id}/${t.version} (shape ${th})${detail([...changed, ...removed])}`,
            found: `${id}/${f.version} (shape ${fh})${detail([
                ...changed.map((s) => fByName.get(fnName(s))),
                ...added.map((s) => `+${s}`),
            ])}${removed.length ? ` without ${removed.map(fnName).join(", ")}` : ""}`,
            rule: ruleText,
        });
    }
    return out;
}
export function shortHashes(a, b, len = 12, ellipsis = "…") {
    let n = len;
    while (n < Math.max(a.length, b.length) && a.slice(0, n) === b.slice(0, n))
        n += 4;
    const cut = (h) => h.length > n ? `${h.slice(0, n)}${ellipsis}` : h;
    return [cut(a), cut(b)];
}
export function sameCompiler(pinned, found) {
    return found === pinned ||
        (found.startsWith(pinned) && /^[.\s]/.test(found.slice(pinned.length)));
}
function sameInterfaces(a, b) {
    if (a === b)
        return true;
    let n = 0;
    for (const id in a) {
        const x = a[id];
        const y = b[id];
        if (!y || x.hash !== y.hash || x.version !== y.version)
            return false;
        n++;
    }
    for (const _ in b)
        n--;
    return n === 0;
}
function label(id, i) {
    return `${id}/${i.version} (shape ${i.hash.slice(0, 12)})`;
}
function fnName(sig) {
    return /([A-Za-z_][A-Za-z0-9_]*)\s*\(/.exec(sig)?.[1] ?? sig;
}
