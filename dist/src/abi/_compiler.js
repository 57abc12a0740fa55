// Generated from src/abi/_compiler.ts by tasks/dist.ts (deno task dist): do not edit.
export var compilerOfComment = (function compilerOfComment(line) {
    let m = /^GCC: (?:\([^)]*\) )?(\d+(?:\.\d+)*)/.exec(line);
    if (m)
        return `gcc ${m[1]}`;
    m = /^(?:[\w.+-]+ )*clang version (\d+(?:\.\d+)*)/.exec(line);
    if (m && !line.startsWith("Linker:"))
        return `clang ${m[1]}`;
    m = /^rustc version (\d+(?:\.\d+)*)/.exec(line);
    if (m)
        return `rustc ${m[1]}`;
    return undefined;
});
export var resolveCompiler = (function resolveCompiler(comment, declared) {
    const named = [];
    for (const line of comment) {
        const c = compilerOfComment(line);
        if (c && !named.includes(c))
            named.push(c);
    }
    const commentCompilers = Object.freeze(named);
    const wanted = declared?.trim().replace(/\s+/g, " ");
    const family = wanted?.split(" ")[0] ?? "";
    if (named.length === 0 || (wanted && wanted !== "unknown" && !WRITES_COMMENT.has(family))) {
        return { compiler: declared ?? "unknown", source: "declared", commentCompilers };
    }
    if (wanted && named.includes(wanted)) {
        return { compiler: wanted, source: "comment", commentCompilers };
    }
    const others = named.filter((c) => !c.startsWith("gcc "));
    const compiler = others.length > 0 ? others[others.length - 1] : named[named.length - 1];
    return { compiler, source: "comment", commentCompilers };
});
const WRITES_COMMENT = new Set(["gcc", "clang", "rustc"]);
