// Generated from src/check/inspect_plugin.ts by tasks/dist.ts (deno task dist): do not edit.
import { formatVersionPair } from "../abi/abi_version.js";
import { canonicalSignature, declaredSignature } from "../abi/signature.js";
import { describeLayout } from "../abi/struct_type.js";
import { examinePlugin, formatOf } from "./check_plugin.js";
export var inspectPlugin = (function inspectPlugin(path, options = {}) {
    const result = examinePlugin(path, options);
    const c = result.candidate;
    if (!c)
        throw result.errors[0];
    const meta = c.metadata;
    const { elf, wasm } = formatOf(c);
    const layouts = [...meta.structs.values()].sort((a, b) => a.name < b.name ? -1 : 1);
    return {
        ...c.identity,
        path,
        realPath: c.file.realPath,
        kind: c.kind,
        size: c.file.bytes.length,
        gnuBuildId: elf?.buildId,
        machine: elf?.machine ??
            (wasm ? (wasm.memories.some((m) => m.memory64) ? "wasm64" : "wasm32") : "unknown"),
        interfaces: meta.interfaces.map((i) => ({
            id: i.id,
            version: formatVersionPair(i.version),
            hash: i.hash,
            functions: i.functions.map(canonicalSignature),
            declared: i.functions.map(declaredSignature),
        })),
        hooks: { ...meta.hooks },
        author: meta.author,
        compilerSource: meta.compilerSource,
        declaredCompiler: meta.declaredCompiler,
        commentCompilers: meta.commentCompilers,
        compilerDisagreement: disagreement(meta),
        structs: layouts.map(describeLayout),
        structLayouts: layouts,
        exports: elf
            ? elf.symbols
                .filter((s) => s.defined && s.binding !== "local" && s.visibility === "default")
                .map((s) => s.name)
                .sort()
            : wasm
                ? wasm.exports.map((e) => e.name).sort()
                : [],
        needed: elf?.needed ?? [],
        imports: wasm ? wasm.imports.map((i) => `${i.module}.${i.name}`) : [],
        problems: result.errors,
    };
});
var disagreement = (function disagreement(meta) {
    const declared = meta.declaredCompiler?.trim().replace(/\s+/g, " ");
    if (!declared || meta.commentCompilers.length === 0)
        return undefined;
    if (meta.compilerSource === "comment") {
        return declared === meta.compiler
            ? undefined
            : `declared ${declared}, .comment names ${meta.commentCompilers.join(", ")}`;
    }
    return `declared ${declared}, which writes no .comment; .comment names ${meta.commentCompilers.join(", ")} (other parts of the build)`;
});
