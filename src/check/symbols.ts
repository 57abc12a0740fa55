/**
 * Symbol checks done on the file before anything is bound, and the
 * translation of Deno's dlopen errors into plugboard errors.
 *
 * @module
 */

import type { ElfInfo, ElfSymbol } from "../elf/read_elf.ts";
import { LoadError } from "../errors/plugin_error.ts";

/**
 * Whether a file exports a defined function of that name (global or weak,
 * default or protected visibility), without explaining why not: for
 * optional exports, such as a cstring function's `NAME__into`.
 *
 * @example
 * ```ts ignore
 * import { readElf } from "../elf/read_elf.ts";
 * import { isExportedFunction } from "./symbols.ts";
 *
 * const elf = readElf(Deno.readFileSync("build/greeter.so"), "build/greeter.so");
 * console.log(isExportedFunction(elf, "greet__into")); // true
 * ```
 *
 * @param elf the parsed file
 * @param name the function
 * @returns whether it is exported
 */
export function isExportedFunction(elf: ElfInfo, name: string): boolean {
  const s = elf.symbols.find((x) => x.name === name);
  return s !== undefined && s.defined && s.binding !== "local" &&
    (s.visibility === "default" || s.visibility === "protected") &&
    (s.type === "func" || s.type === "ifunc");
}

/**
 * Find an exported, defined function or variable, or explain exactly why it
 * is not there: imported only, hidden, static, or absent (with the nearest
 * exported names).
 *
 * @param elf the parsed file
 * @param name the symbol
 * @param path the file, for messages
 * @param kind what the host wants
 * @returns the symbol
 * @throws {LoadError} `SYMBOL_MISSING`
 */
export function findExported(
  elf: ElfInfo,
  name: string,
  path: string,
  kind: "function" | "variable",
): ElfSymbol {
  const wantType = kind === "function" ? ["func", "ifunc"] : ["object", "notype", "common"];
  const dyn = elf.symbols.find((s) => s.name === name);
  if (
    dyn && dyn.defined && dyn.binding !== "local" &&
    (dyn.visibility === "default" || dyn.visibility === "protected")
  ) {
    if (wantType.includes(dyn.type)) return dyn;
    throw missing(
      path,
      name,
      kind,
      `a ${
        dyn.type === "tls" ? "thread-local variable" : dyn.type === "func" ? "function" : dyn.type
      } of that name`,
      kind === "variable"
        ? "declare the host's accessor for a function with plugin.functions() instead"
        : "the name is exported, but not as a function",
    );
  }
  if (dyn && !dyn.defined) {
    return missingThrow(
      path,
      name,
      kind,
      "an undefined (imported) symbol: the library uses it but does not define it",
      `define ${name} in the plugin, or load the library that defines it`,
    );
  }
  const local = findLocal(elf, name);
  if (local) {
    const hidden = local.hidden;
    if (hidden) {
      return missingThrow(
        path,
        name,
        kind,
        `a hidden ${
          local.type === "func" ? "function" : "symbol"
        } (hidden visibility: it is in the file but not exported)`,
        `export it: declare it with PLUGBOARD_FN(...) or mark it __attribute__((visibility("default"))); it is hidden by -fvisibility=hidden or a visibility attribute`,
      );
    }
    return missingThrow(
      path,
      name,
      kind,
      `a static ${
        local.type === "func" ? "function" : "symbol"
      } (local to its source file, not exported)`,
      `remove "static" from ${name} and declare it with PLUGBOARD_FN(...)`,
    );
  }
  const near = nearestNames(name, exportedNames(elf, kind));
  const stripped = elf.localSymbols.length === 0;
  return missingThrow(
    path,
    name,
    kind,
    `no symbol of that name${
      stripped ? " (the file has no local symbol table to say more)" : ", not even a local one"
    }${near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(" or ")}?` : ""}`,
    near.length
      ? `use the exported name ${near.map((n) => `"${n}"`).join(" or ")}`
      : `if ${name} is in the source, the linker removed it or it was never compiled: export it with PLUGBOARD_FN(...) (exported functions are kept) or mark it __attribute__((used)); check -ffunction-sections -Wl,--gc-sections and the build's file list`,
  );
}

/**
 * A local symbol and whether it was hidden rather than static. The linker
 * turns hidden symbols into locals, listed after a FILE symbol with an empty
 * name; a `static` symbol sits under its source file's FILE symbol.
 */
function findLocal(elf: ElfInfo, name: string): (ElfSymbol & { hidden: boolean }) | undefined {
  let file: string | undefined;
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
}

function missing(path: string, name: string, kind: string, found: string, hint: string): LoadError {
  return new LoadError("SYMBOL_MISSING", {
    path,
    what: `symbol "${name}" is not an exported ${kind}`,
    expected: `an exported ${kind} "${name}" (default visibility)`,
    found,
    hint,
  });
}

function missingThrow(
  path: string,
  name: string,
  kind: string,
  found: string,
  hint: string,
): never {
  throw missing(path, name, kind, found, hint);
}

function exportedNames(elf: ElfInfo, kind: "function" | "variable"): string[] {
  const types = kind === "function" ? ["func", "ifunc"] : ["object", "notype", "common"];
  return elf.symbols.filter((s) =>
    s.defined && s.binding !== "local" && s.visibility !== "hidden" && types.includes(s.type)
  ).map((s) => s.name);
}

/**
 * The exported names closest to `name`: same letters ignoring case, or within
 * an edit distance of a third of its length (at least 1, at most 3).
 *
 * @param name the name asked for
 * @param candidates the names there are
 * @returns up to three names, nearest first
 */
export function nearestNames(name: string, candidates: readonly string[]): string[] {
  const limit = Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  const lower = name.toLowerCase();
  return candidates
    .map((c) => ({ c, d: c.toLowerCase() === lower ? 0 : editDistance(name, c, limit) }))
    .filter((x) => x.d <= limit)
    .sort((a, b) => a.d - b.d || (a.c < b.c ? -1 : 1))
    .slice(0, 3)
    .map((x) => x.c);
}

function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(
        prev[j] + 1,
        cur[j - 1] + 1,
        prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > limit) return limit + 1;
    prev = cur;
  }
  return prev[b.length];
}

/**
 * Translate an error thrown by Deno.dlopen: drop Deno's doubled prefix, show
 * the user's path instead of the memfd's, and say what to do.
 *
 * @param e what Deno threw
 * @param path the user's path
 * @param loadedAs the path given to dlopen
 * @param elf the parsed file, for its DT_NEEDED list
 * @returns the plugboard error
 */
export function dlopenError(e: unknown, path: string, loadedAs: string, elf?: ElfInfo): LoadError {
  let text = e instanceof Error ? e.message : String(e);
  while (text.startsWith("Could not open library: ")) text = text.slice(24);
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
  // Deno could not find a declared symbol (dlsym): the library does not export it.
  const missingSymbol = /^Failed to register symbol (\S+?):/.exec(text);
  if (missingSymbol) {
    const near = elf ? nearestNames(missingSymbol[1], exportedNames(elf, "function")) : [];
    return new LoadError("SYMBOL_MISSING", {
      path,
      what: `symbol "${missingSymbol[1]}" is not an exported function`,
      expected: `an exported function "${missingSymbol[1]}"`,
      found: `no such symbol in the library${
        near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(" or ")}?` : ""
      }`,
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
}
