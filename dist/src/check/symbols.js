// Generated from src/check/symbols.ts by tasks/dist.ts (deno task dist): do not edit.
import { LoadError } from "../errors/plugin_error.js";
export var isExportedFunction = (function isExportedFunction(elf, name) {
    const s = elf.symbols.find((x) => x.name === name);
    return s !== undefined && s.defined && s.binding !== "local" &&
        (s.visibility === "default" || s.visibility === "protected") &&
        (s.type === "func" || s.type === "ifunc");
});
export var findExported = (function findExported(elf, name, path, kind) {
    const wantType = kind === "function" ? ["func", "ifunc"] : ["object", "notype", "common"];
    const dyn = elf.symbols.find((s) => s.name === name);
    if (dyn && dyn.defined && dyn.binding !== "local" &&
        (dyn.visibility === "default" || dyn.visibility === "protected")) {
        if (wantType.includes(dyn.type))
            return dyn;
        throw missing(path, name, kind, `a ${dyn.type === "tls" ? "thread-local variable" : dyn.type === "func" ? "function" : dyn.type} of that name`, kind === "variable"
            ? "declare the host's accessor for a function with plugin.functions() instead"
            : "the name is exported, but not as a function");
    }
    if (dyn && !dyn.defined) {
        return missingThrow(path, name, kind, "an undefined (imported) symbol: the library uses it but does not define it", `define ${name} in the plugin, or load the library that defines it`);
    }
    const local = findLocal(elf, name);
    if (local) {
        const hidden = local.hidden;
        if (hidden) {
            return missingThrow(path, name, kind, `a hidden ${local.type === "func" ? "function" : "symbol"} (hidden visibility: it is in the file but not exported)`, `export it: declare it with PLUGBOARD_FN(...) or mark it __attribute__((visibility("default"))); it is hidden by -fvisibility=hidden or a visibility attribute`);
        }
        return missingThrow(path, name, kind, `a static ${local.type === "func" ? "function" : "symbol"} (local to its source file, not exported)`, `remove "static" from ${name} and declare it with PLUGBOARD_FN(...)`);
    }
    const near = nearestNames(name, exportedNames(elf, kind));
    const stripped = elf.localSymbols.length === 0;
    return missingThrow(path, name, kind, `no symbol of that name${stripped ? " (the file has no local symbol table to say more)" : ", not even a local one"}${near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(" or ")}?` : ""}`, near.length
        ? `use the exported name ${near.map((n) => `"${n}"`).join(" or ")}`
        : `if ${name} is in the source, the linker removed it or it was never compiled: export it with PLUGBOARD_FN(...) (exported functions are kept) or mark it __attribute__((used)); check -ffunction-sections -Wl,--gc-sections and the build's file list`);
});
var findLocal = (function findLocal(elf, name) {
    let file;
    for (const s of elf.localSymbols) {
        if (s.type === "file") {
            file = s.name;
            continue;
        }
        if (s.name === name && s.defined) {
            const hidden = s.visibility === "hidden" || s.visibility === "internal" ||
                (s.binding === "local" && file === "");
            return { ...s, hidden };
        }
    }
    return undefined;
});
var missing = (function missing(path, name, kind, found, hint) {
    return new LoadError("SYMBOL_MISSING", {
        path,
        what: `symbol "${name}" is not an exported ${kind}`,
        expected: `an exported ${kind} "${name}" (default visibility)`,
        found,
        hint,
    });
});
var missingThrow = (function missingThrow(path, name, kind, found, hint) {
    throw missing(path, name, kind, found, hint);
});
var exportedNames = (function exportedNames(elf, kind) {
    const types = kind === "function" ? ["func", "ifunc"] : ["object", "notype", "common"];
    return elf.symbols.filter((s) => s.defined && s.binding !== "local" && s.visibility !== "hidden" && types.includes(s.type)).map((s) => s.name);
});
export var nearestNames = (function nearestNames(name, candidates) {
    const limit = Math.min(3, Math.max(1, Math.floor(name.length / 3)));
    const lower = name.toLowerCase();
    return candidates
        .map((c) => ({ c, d: c.toLowerCase() === lower ? 0 : editDistance(name, c, limit) }))
        .filter((x) => x.d <= limit)
        .sort((a, b) => a.d - b.d || (a.c < b.c ? -1 : 1))
        .slice(0, 3)
        .map((x) => x.c);
});
var editDistance = (function editDistance(a, b, limit) {
    if (Math.abs(a.length - b.length) > limit)
        return limit + 1;
    let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        const cur = [i];
        let rowMin = i;
        for (let j = 1; j <= b.length; j++) {
            const v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
            cur.push(v);
            if (v < rowMin)
                rowMin = v;
        }
        if (rowMin > limit)
            return limit + 1;
        prev = cur;
    }
    return prev[b.length];
});
export var dlopenError = (function dlopenError(e, path, loadedAs, elf) {
    let text = e instanceof Error ? e.message : String(e);
    while (text.startsWith("Could not open library: "))
        text = text.slice(24);
    text = text.split(loadedAs).join(path);
    const dep = /([^\s:]+): cannot open shared object file/.exec(text);
    if (dep && dep[1] !== path) {
        return new LoadError("LOAD_FAILED", {
            path,
            what: "a library it needs is missing",
            expected: `its dependencies to load (${elf?.needed.join(", ") || "DT_NEEDED"})`,
            found: `${dep[1]} not found`,
            hint: `install ${dep[1]}, or add its directory to LD_LIBRARY_PATH`,
            cause: e,
        });
    }
    const missingSymbol = /^Failed to register symbol (\S+?):/.exec(text);
    if (missingSymbol) {
        const near = elf ? nearestNames(missingSymbol[1], exportedNames(elf, "function")) : [];
        return new LoadError("SYMBOL_MISSING", {
            path,
            what: `symbol "${missingSymbol[1]}" is not an exported function`,
            expected: `an exported function "${missingSymbol[1]}"`,
            found: `no such symbol in the library${near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(" or ")}?` : ""}`,
            hint: "check the name and the library's version (nm -D LIBRARY lists what it exports)",
            cause: e,
        });
    }
    const undef = /undefined symbol: (\S+)/.exec(text);
    if (undef) {
        return new LoadError("LOAD_FAILED", {
            path,
            what: "the dynamic linker could not resolve a symbol the plugin uses",
            expected: `every symbol it imports to be defined`,
            found: `undefined symbol ${undef[1]}`,
            hint: `link the plugin against the library that defines ${undef[1]} (add -l... to its build)`,
            cause: e,
        });
    }
    return new LoadError("LOAD_FAILED", {
        path,
        what: "the dynamic linker refused it",
        expected: "a loadable shared library",
        found: text,
        hint: "run `plugboard inspect` on the file to see what it is",
        cause: e,
    });
});
