// Generated from src/cli/_compile.ts by tasks/dist.ts (deno task dist): do not edit.
import { createHash } from "node:crypto";
import { basename, dirname, extname, join, resolve } from "../file/paths.js";
import { PluginError, quote } from "../errors/plugin_error.js";
import { SDK_FILES } from "./_sdk_files.js";
import { readWasm } from "../wasm/read_wasm.js";
import { WASI_MODULE, wasiStubSource } from "./_wasi_stubs.js";
export var languageOf = (function languageOf(path) {
    const ext = extname(path);
    if (ext === ".c")
        return "c";
    if ([".cc", ".cpp", ".cxx", ".c++", ".C"].includes(ext))
        return "cpp";
    return undefined;
});
export var sourceFlags = (function sourceFlags(text) {
    const flags = [];
    for (const m of text.matchAll(/^[ \t]*\/\/[ \t]*plugboard-build:(.*)$/gm)) {
        flags.push(...m[1].trim().split(/\s+/).filter((w) => w !== ""));
    }
    return flags;
});
export var compilePlugin = (function compilePlugin(spec) {
    const key = resolve(spec.output);
    const previous = inFlight.get(key);
    const promise = (previous ? previous.catch(() => { }) : Promise.resolve())
        .then(() => compileOne(spec));
    inFlight.set(key, promise);
    const forget = () => {
        if (inFlight.get(key) === promise)
            inFlight.delete(key);
    };
    promise.then(forget, forget);
    return promise;
});
export var recipeFor = (function recipeFor(sources, target = "native") {
    const t = TARGETS[target];
    if (!t) {
        throw new PluginError("USAGE", `Unknown target ${quote(target)}`, {
            hint: `expected one of ${Object.keys(TARGETS).join(", ")}`,
        });
    }
    if (t.unavailable) {
        throw new PluginError("USAGE", `Target ${quote(target)} is not yet available: ${t.unavailable}`, {
            hint: "build for the native target (the default)",
        });
    }
    if (sources.length === 0)
        throw new PluginError("USAGE", "No source files to build");
    const languages = new Set();
    for (const s of sources) {
        const l = languageOf(s);
        if (!l) {
            throw new PluginError("USAGE", `Cannot build ${quote(s)}: not a C or C++ source`, {
                hint: "name .c files (C) or .cpp, .cc, .cxx files (C++); pass other inputs after --",
            });
        }
        languages.add(l);
    }
    if (languages.size > 1) {
        throw new PluginError("USAGE", "Cannot build C and C++ sources into one plugin", {
            hint: "compile the C sources as C++ (rename them), or build separate plugins",
        });
    }
    const language = [...languages][0];
    const recipe = t.languages[language];
    if (!recipe) {
        throw new PluginError("USAGE", `Target ${quote(target)} does not compile ${language === "c" ? "C" : "C++"} sources`, { hint: `compile C for ${target}` });
    }
    return { target: t, language, recipe };
});
var compileOne = (async function compileOne(spec) {
    const { target, recipe } = recipeFor(spec.sources, spec.target);
    const first = spec.sources[0];
    const command = spec.compiler ?? (recipe.env ? envVar(recipe.env) : undefined) ??
        recipe.compiler;
    const compiler = await compilerInfo(command, first);
    const sources = await Promise.all(spec.sources.map((s) => readInput(s, first)));
    const headers = await Promise.all(recipe.headers.map((h) => sdkFile(h, spec.sdkDir, first)));
    const defines = Object.entries(spec.defines ?? {}).map(([name, value]) => {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
            throw new BuildError(`Cannot build ${quote(first)}: invalid define name ${quote(name)}`, {
                source: first,
            });
        }
        return `-D${name}=${value}`;
    });
    const decoder = new TextDecoder();
    const flags = [
        ...recipe.flags,
        ...sources.flatMap((bytes) => sourceFlags(decoder.decode(bytes))),
        ...(spec.flags ?? []),
    ];
    const output = resolve(spec.output);
    const stampsPath = join(dirname(output), STAMPS);
    const stamp = (await readStamps(stampsPath))[basename(output)];
    const inputOf = async (deps) => {
        const depBytes = await Promise.all(deps.map((d) => readInput(d, first)));
        const contentHash = sha256([
            "plugboard-build 1",
            compiler.versionText,
            JSON.stringify(flags),
            JSON.stringify(defines),
            ...sources,
            ...headers,
            ...depBytes,
        ]);
        const buildId = spec.buildId ?? contentHash.slice(0, 16);
        return { buildId, input: sha256([contentHash, buildId, spec.target ?? "native"]) };
    };
    const result = (buildId, built, warnings = "") => ({
        sources: spec.sources,
        output: spec.output,
        buildId,
        compiler: compiler.label,
        built,
        warnings,
    });
    const stat = await statOrNull(output);
    if (stat?.isFile && stamp && stamp.size === stat.size) {
        const known = await inputOf(stamp.deps ?? []).catch(() => undefined);
        if (known && stamp.input === known.input && stamp.mtimeMs === (stat.mtime?.getTime() ?? null)) {
            return result(known.buildId, false);
        }
    }
    await Deno.mkdir(dirname(output), { recursive: true });
    const work = join(dirname(output), `.${basename(output)}.tmp-${Deno.pid}-${++tmpCounter}-${crypto.randomUUID().slice(0, 8)}`);
    await Deno.mkdir(work);
    try {
        const includes = [];
        if (spec.sdkDir) {
            const sdk = resolve(spec.sdkDir);
            for (const dir of new Set(recipe.headers.map((h) => dirname(join(sdk, h))))) {
                includes.push(`-I${dir}`);
            }
        }
        else {
            await Deno.mkdir(join(work, "include"));
            for (const [i, h] of recipe.headers.entries()) {
                await Deno.writeFile(join(work, "include", basename(h)), headers[i]);
            }
            includes.push(`-I${join(work, "include")}`);
        }
        const sourcePaths = spec.sources.map((s) => resolve(s));
        const sdkRoots = spec.sdkDir ? [resolve(spec.sdkDir)] : [join(work, "include")];
        const deps = await localHeaders(compiler, [...flags, ...includes, ...defines], sourcePaths, {
            exclude: sdkRoots,
            source: first,
        });
        const { buildId, input } = await inputOf(deps);
        const tmp = join(work, `plugin${target.extension}`);
        const args = [
            ...compiler.args,
            ...flags,
            ...includes,
            ...defines,
            `-DPLUGBOARD_BUILD_ID="${buildId}"`,
            "-o",
            tmp,
            ...sourcePaths,
            ...recipe.libraries ?? [],
        ];
        const link = async (extra) => {
            const libraries = recipe.libraries ?? [];
            const command = [...args.slice(0, args.length - libraries.length), ...extra, ...libraries];
            const out = await runCompiler(compiler, command, first);
            const text = decoder.decode(out.stderr) + decoder.decode(out.stdout);
            if (!out.success) {
                throw new BuildError(`Cannot build ${quote(first)}: ${compiler.label} failed with exit code ${out.code}`, {
                    source: first,
                    stderr: text,
                    exitCode: out.code,
                    hint: "fix the errors the compiler reports",
                });
            }
            return text;
        };
        const stderr = await link([]);
        await target.postLink?.(tmp, {
            sources: spec.sources,
            buildId,
            compiler: compiler.label,
            workDir: work,
            relink: async (inputs) => void await link(inputs),
        });
        await Deno.rename(tmp, output);
        const built = await Deno.stat(output);
        await updateStamps(stampsPath, basename(output), {
            input,
            buildId,
            compiler: compiler.label,
            size: built.size,
            mtimeMs: built.mtime?.getTime() ?? null,
            deps,
        });
        return result(buildId, true, stderr.trim());
    }
    finally {
        await Deno.remove(work, { recursive: true }).catch(() => { });
    }
});
export var compilerInfo = (function compilerInfo(command, source = "") {
    let info = compilers.get(command);
    if (!info) {
        info = probeCompiler(command, source);
        compilers.set(command, info);
        info.catch(() => compilers.delete(command));
    }
    return info;
});
export var defaultCompiler = (function defaultCompiler() {
    return envVar("CC") ?? "cc";
});
var probeCompiler = (async function probeCompiler(command, source) {
    const [program, ...args] = command.trim().split(/\s+/);
    const run = async (flag) => {
        let out;
        try {
            out = await new Deno.Command(program, {
                args: [...args, flag],
                stdout: "piped",
                stderr: "piped",
            }).output();
        }
        catch (e) {
            throw cannotRun(command, source, e);
        }
        return out.success ? new TextDecoder().decode(out.stdout).trim() : "";
    };
    const versionText = await run("--version");
    const fullVersion = (await run("-dumpfullversion")) || (await run("-dumpversion"));
    const firstLine = versionText.split("\n")[0] ?? "";
    const version = fullVersion || /\d+\.\d+(\.\d+)?/.exec(firstLine)?.[0] || "unknown";
    const family = /clang/i.test(firstLine)
        ? "clang"
        : /\bgcc\b|\bGCC\b|\bg\+\+|Free Software Foundation/.test(versionText)
            ? "gcc"
            : basename(program);
    return {
        program,
        args,
        label: `${family} ${version}`,
        versionText: `${firstLine}\n${fullVersion}`,
    };
});
var cannotRun = (function cannotRun(command, source, e) {
    const missing = e instanceof Deno.errors.NotFound;
    const denied = e instanceof Deno.errors.NotCapable;
    const program = command.trim().split(/\s+/)[0];
    return new BuildError(`Cannot run compiler ${quote(command)}: ${missing
        ? "not found on PATH"
        : denied
            ? `Deno's permissions do not allow running it`
            : e instanceof Error
                ? e.message
                : String(e)}`, {
        source,
        cause: e,
        hint: missing
            ? "install a C compiler (Debian: apt-get install gcc, or g++ for C++), or name one with --cc"
            : denied
                ? `run again with --allow-run=${program}`
                : undefined,
    });
});
var runCompiler = (async function runCompiler(compiler, args, source) {
    try {
        return await new Deno.Command(compiler.program, { args, stdout: "piped", stderr: "piped" })
            .output();
    }
    catch (e) {
        throw cannotRun([compiler.program, ...compiler.args].join(" "), source, e);
    }
});
var localHeaders = (async function localHeaders(compiler, flags, sources, options) {
    const compileOnly = flags.filter((f) => !["-shared", "-nostartfiles", "-nodefaultlibs"].includes(f) && !f.startsWith("-Wl,"));
    const out = await runCompiler(compiler, [...compiler.args, ...compileOnly, "-MM", ...sources], options.source);
    if (!out.success) {
        return [];
    }
    const text = new TextDecoder().decode(out.stdout).replace(/\\\n/g, " ");
    const deps = new Set();
    for (const line of text.split("\n")) {
        const colon = line.indexOf(": ");
        if (colon === -1)
            continue;
        for (const word of line.slice(colon + 2).trim().split(/\s+/)) {
            if (word === "")
                continue;
            const path = resolve(word.replace(/\\ /g, " "));
            if (sources.includes(path))
                continue;
            if (options.exclude.some((dir) => path.startsWith(`${dir}/`)))
                continue;
            deps.add(path);
        }
    }
    return [...deps].sort();
});
var envVar = (function envVar(name) {
    try {
        if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
            return undefined;
        }
        return Deno.env.get(name)?.trim() || undefined;
    }
    catch {
        return undefined;
    }
});
var sdkFile = (async function sdkFile(name, sdkDir, source) {
    if (sdkDir)
        return await readInput(join(sdkDir, name), source);
    const text = SDK_FILES[name];
    if (text === undefined)
        throw new Error(`unreachable: no SDK file ${name}`);
    return new TextEncoder().encode(text);
});
var readInput = (async function readInput(path, source) {
    try {
        return await Deno.readFile(path);
    }
    catch (e) {
        const missing = e instanceof Deno.errors.NotFound;
        const denied = e instanceof Deno.errors.NotCapable;
        throw new BuildError(`Cannot build ${quote(source)}: cannot read ${quote(path)}: ${missing
            ? "no such file"
            : denied
                ? "Deno's permissions do not allow reading it"
                : e instanceof Error
                    ? e.message
                    : String(e)}`, {
            source,
            cause: e,
            hint: missing
                ? "check the path"
                : denied
                    ? `run again with --allow-read=${resolve(path)} (or a directory above it)`
                    : undefined,
        });
    }
});
var sha256 = (function sha256(parts) {
    const hash = createHash("sha256");
    for (const part of parts) {
        const bytes = typeof part === "string" ? new TextEncoder().encode(part) : part;
        hash.update(`${bytes.length}:`);
        hash.update(bytes);
    }
    return hash.digest("hex");
});
var readStamps = (async function readStamps(path) {
    try {
        const data = JSON.parse(await Deno.readTextFile(path));
        const outputs = data?.outputs;
        return outputs && typeof outputs === "object" ? outputs : {};
    }
    catch {
        return {};
    }
});
var updateStamps = (function updateStamps(path, name, stamp) {
    const previous = stampLocks.get(path) ?? Promise.resolve();
    const next = previous.then(async () => {
        const outputs = await readStamps(path);
        outputs[name] = stamp;
        const sorted = Object.fromEntries(Object.entries(outputs).sort(([a], [b]) => a < b ? -1 : 1));
        const tmp = `${path}.tmp-${Deno.pid}-${++tmpCounter}-${crypto.randomUUID().slice(0, 8)}`;
        await Deno.writeTextFile(tmp, JSON.stringify({ version: 2, outputs: sorted }, null, 2) + "\n");
        await Deno.rename(tmp, path);
    });
    const settled = next.catch(() => { });
    stampLocks.set(path, settled);
    settled.then(() => {
        if (stampLocks.get(path) === settled)
            stampLocks.delete(path);
    });
    return next;
});
var statOrNull = (async function statOrNull(path) {
    try {
        return await Deno.stat(path);
    }
    catch (err) {
        if (err instanceof Deno.errors.NotFound)
            return null;
        throw err;
    }
});
export const C_FLAGS = Object.freeze([
    "-std=c11",
    "-O2",
    "-fPIC",
    "-shared",
    "-fvisibility=hidden",
    "-Wall",
    "-Wextra",
    "-D_POSIX_C_SOURCE=200809L",
]);
export const CPP_FLAGS = Object.freeze([
    "-std=c++17",
    "-O2",
    "-fPIC",
    "-shared",
    "-fvisibility=hidden",
    "-Wall",
    "-Wextra",
]);
export const WASM_C_FLAGS = Object.freeze([
    "--target=wasm32-wasi",
    "-nostartfiles",
    "-nodefaultlibs",
    "-std=c11",
    "-O2",
    "-fvisibility=hidden",
    "-Wall",
    "-Wextra",
    "-D_POSIX_C_SOURCE=200809L",
    "-Wl,--no-entry",
    "-Wl,--export-table",
    "-Wl,--stack-first",
    "-Wl,--strip-debug",
]);
export const TARGETS = Object.freeze({
    native: {
        summary: "a shared object (.so) for this machine",
        extension: ".so",
        languages: {
            c: { env: "CC", compiler: "cc", flags: C_FLAGS, headers: ["plugboard.h"] },
            cpp: {
                env: "CXX",
                compiler: "c++",
                flags: CPP_FLAGS,
                headers: ["plugboard.h", "cpp/plugboard.hpp"],
            },
        },
    },
    wasm32: {
        summary: "a WebAssembly module (.wasm), with clang, wasm-ld and wasi-libc",
        extension: ".wasm",
        languages: {
            c: { compiler: "clang", flags: WASM_C_FLAGS, libraries: ["-lc"], headers: ["plugboard.h"] },
        },
        postLink: async (output, context) => {
            const imports = readWasm(await Deno.readFile(output), output).imports
                .filter((i) => i.module === WASI_MODULE && i.kind === "function");
            if (imports.length === 0)
                return;
            const stubs = join(context.workDir, "wasi_stubs.c");
            await Deno.writeTextFile(stubs, wasiStubSource(imports));
            await context.relink([stubs]);
        },
    },
});
export class BuildError extends PluginError {
    source;
    stderr;
    exitCode;
    constructor(summary, options) {
        super("BUILD_FAILED", summary, {
            path: options.source,
            hint: options.hint,
            cause: options.cause,
        });
        const stderr = options.stderr ?? "";
        if (stderr.trim() !== "")
            this.message = `${summary}\n${stderr.trimEnd()}`;
        this.source = options.source;
        this.stderr = stderr;
        this.exitCode = options.exitCode;
    }
}
const STAMPS = ".plugboard-build.json";
const inFlight = new Map();
const compilers = new Map();
const stampLocks = new Map();
let tmpCounter = 0;
