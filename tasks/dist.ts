/**
 * `deno task dist`: write `dist/`, the JavaScript the published package runs.
 *
 * Deno loads a TypeScript module through its emit cache, with an inline
 * source map twice the size of the code; measured here, importing the core
 * entry point cost about 20 ms in a fresh process from the TypeScript
 * sources and about 6 ms from the same modules as plain JavaScript without
 * comments (docs/performance.md). So the package's `exports` point at
 * `dist/`: one `.js` file per module under `src/` (the module structure,
 * the lazy imports and the isolation child's entry are kept as they are),
 * with the entry points carrying `// @ts-self-types` to their TypeScript
 * source, which type checking, `deno doc` and JSR's documentation read.
 *
 * Each module is transpiled alone (TypeScript's `transpileModule`, the
 * types erased, comments removed), relative `.ts` specifiers (imports,
 * re-exports, `import()` of a literal, `new URL("./x.ts", import.meta.url)`)
 * become `.js`, and each top-level function declaration of the modules an
 * in-process native open runs ({@linkcode isEager}), outside any import
 * cycle, is written as a parenthesised function expression at the top of its
 * module: V8 compiles those when the module is compiled, so they are in
 * Deno's code cache, where a declaration is compiled on its first call in
 * every process (the first open of a fresh process spent about a third of
 * its time there). Hoisting is kept by placing them first; a module in a
 * cycle is left alone, since another module of the cycle may call its
 * functions before it runs. The other modules stay lazy: compiling them at
 * import would cost every program what only some use (measured: eager
 * everywhere, the import took about 1 ms more and the first open was no
 * faster).
 *
 * A test (tests/docs/dist_test.ts) regenerates the files and fails when
 * `dist/` is stale; `deno task test:dist` runs the whole suite against
 * `dist/` (an import map sends each source module to its twin).
 *
 * @module
 */

// A tool of this repository, not a dependency of the package: pinned here.
// deno-lint-ignore no-import-prefix
import ts from "npm:typescript@5.9.3";
import { fileURLToPath } from "node:url";
import { dirname, join } from "../src/file/paths.ts";
import { entrySources } from "./_entry_points.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url)).replace(/\/$/, "");

/** The folder the JavaScript is written to, relative to the root. */
export const DIST = "dist";

/**
 * Whether a module's functions are compiled with it: those of an in-process
 * native open and of the CLI, not those of WebAssembly, subprocess plugins,
 * the registry, isolation or the host.
 *
 * @param file a source path relative to the root
 * @returns whether its top-level functions are made eager
 */
export function isEager(file: string): boolean {
  return !/^src\/(wasm|registry|isolate|host)\//.test(file) &&
    !/wasm|_wasi|sidecar|_rpc/.test(file);
}

/** The modules the package publishes: mod.ts and src/**.ts but tests. */
function sources(): string[] {
  const out = ["mod.ts"];
  const walk = (dir: string) => {
    const entries = [...Deno.readDirSync(`${ROOT}/${dir}`)].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0
    );
    for (const e of entries) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory) walk(rel);
      else if (e.isFile && rel.endsWith(".ts") && !rel.endsWith("_test.ts")) out.push(rel);
    }
  };
  walk("src");
  return out;
}

const isRelativeTs = (s: string) => /^\.\.?\//.test(s) && s.endsWith(".ts");
const toJs = (s: string) => s.replace(/\.ts$/, ".js");

/** The static imports and re-exports of a module (not `import type`). */
function staticImports(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ESNext, false, ts.ScriptKind.TS);
  const out: string[] = [];
  for (const s of sf.statements) {
    if (ts.isImportDeclaration(s) && !s.importClause?.isTypeOnly) {
      const spec = (s.moduleSpecifier as ts.StringLiteral).text;
      if (isRelativeTs(spec)) out.push(join(dirname(file), spec));
    } else if (ts.isExportDeclaration(s) && s.moduleSpecifier && !s.isTypeOnly) {
      const spec = (s.moduleSpecifier as ts.StringLiteral).text;
      if (isRelativeTs(spec)) out.push(join(dirname(file), spec));
    }
  }
  return out;
}

/**
 * The modules that are part of an import cycle (Tarjan's algorithm): their
 * functions stay declarations, since another module of the cycle may call
 * them before their module has run.
 *
 * @param graph each module's static imports
 * @returns the modules in a cycle, a module importing itself included
 */
export function inCycles(graph: Map<string, string[]>): Set<string> {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out = new Set<string>();
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      const selfLoop = (graph.get(v) ?? []).includes(v);
      if (scc.length > 1 || selfLoop) { for (const m of scc) out.add(m); }
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

/**
 * Whether a string literal names a module: the specifier of an import or a
 * re-export, the argument of `import()`, or the first argument of
 * `new URL(literal, import.meta.url)`. The literal must come from a tree
 * parsed with parent pointers.
 */
function isSpecifier(node: ts.StringLiteral): boolean {
  const parent = node.parent;
  if (ts.isImportDeclaration(parent) || ts.isExportDeclaration(parent)) {
    return parent.moduleSpecifier === node;
  }
  if (ts.isCallExpression(parent)) {
    return parent.expression.kind === ts.SyntaxKind.ImportKeyword && parent.arguments[0] === node;
  }
  return ts.isNewExpression(parent) && ts.isIdentifier(parent.expression) &&
    parent.expression.text === "URL" && parent.arguments?.length === 2 &&
    parent.arguments[0] === node && parent.arguments[1].getText() === "import.meta.url";
}

/**
 * The module specifiers of a generated file, found in its syntax tree
 * (see {@linkcode isSpecifier}).
 *
 * @param path the file's path, for the parser
 * @param text its JavaScript
 * @returns the specifiers, in order
 */
export function specifiersOf(path: string, text: string): string[] {
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.ESNext, true, ts.ScriptKind.JS);
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isStringLiteral(node) && isSpecifier(node)) out.push(node.text);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** Rewrite relative `.ts` specifiers and, where allowed, hoist functions as expressions. */
function transformer(eager: boolean): ts.TransformerFactory<ts.SourceFile> {
  return (context) => {
    const f = context.factory;
    const rewrite = (node: ts.Node): ts.Node =>
      ts.isStringLiteral(node) && isSpecifier(node) && isRelativeTs(node.text)
        ? f.createStringLiteral(toJs(node.text))
        : ts.visitEachChild(node, rewrite, context);
    return (sf) => {
      const visited = ts.visitEachChild(sf, rewrite, context);
      if (!eager) return visited;
      const hoisted: ts.Statement[] = [];
      const rest: ts.Statement[] = [];
      const imports: ts.Statement[] = [];
      for (const s of visited.statements) {
        if (ts.isImportDeclaration(s)) {
          imports.push(s);
          continue;
        }
        const mods = ts.canHaveModifiers(s) ? ts.getModifiers(s) ?? [] : [];
        const isDefault = mods.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
        if (ts.isFunctionDeclaration(s) && s.name && s.body && !isDefault) {
          const exported = mods.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
          const expr = f.createParenthesizedExpression(
            f.createFunctionExpression(
              mods.filter((m) => m.kind === ts.SyntaxKind.AsyncKeyword) as ts.Modifier[],
              s.asteriskToken,
              s.name,
              undefined,
              s.parameters,
              undefined,
              s.body,
            ),
          );
          hoisted.push(f.createVariableStatement(
            exported ? [f.createModifier(ts.SyntaxKind.ExportKeyword)] : undefined,
            f.createVariableDeclarationList(
              [f.createVariableDeclaration(s.name, undefined, undefined, expr)],
              ts.NodeFlags.None,
            ),
          ));
        } else {
          rest.push(s);
        }
      }
      return f.updateSourceFile(visited, [...imports, ...hoisted, ...rest]);
    };
  };
}

/**
 * Every file of `dist/`, generated from the sources.
 *
 * @returns path relative to the root → JavaScript text, sorted by path
 */
export function distFiles(): Map<string, string> {
  const entries = new Set(Object.values(entrySources()).map((p) => p.slice(2)));
  const files = sources();
  const texts = new Map(files.map((f) => [f, Deno.readTextFileSync(`${ROOT}/${f}`)]));
  const graph = new Map(files.map((f) => [f, staticImports(f, texts.get(f)!)]));
  const cyclic = inCycles(graph);
  const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });
  const out = new Map<string, string>();
  for (const file of files) {
    const js = ts.transpileModule(texts.get(file)!, {
      fileName: file,
      compilerOptions: {
        target: ts.ScriptTarget.ESNext,
        module: ts.ModuleKind.ESNext,
        removeComments: true,
        verbatimModuleSyntax: true,
      },
    }).outputText;
    const sf = ts.createSourceFile(file.replace(/\.ts$/, ".js"), js, ts.ScriptTarget.ESNext, true);
    const result = ts.transform(sf, [transformer(isEager(file) && !cyclic.has(file))]);
    const printed = printer.printFile(result.transformed[0]);
    result.dispose();
    const target = `${DIST}/${toJs(file)}`;
    const depth = target.split("/").length - 1;
    const header = [`// Generated from ${file} by tasks/dist.ts (deno task dist): do not edit.`];
    if (entries.has(file)) header.unshift(`// @ts-self-types="${"../".repeat(depth)}${file}"`);
    out.set(target, `${header.join("\n")}\n${printed}`);
  }
  return out;
}

/**
 * An import map that sends every source module to its `dist/` twin, so the
 * test suite can run against the generated JavaScript
 * (`deno task test:dist`).
 *
 * @returns the import map's JSON
 */
export function sourceToDistMap(): string {
  const imports: Record<string, string> = {};
  for (const file of sources()) {
    imports[`file://${ROOT}/${file}`] = `file://${ROOT}/${DIST}/${toJs(file)}`;
  }
  return JSON.stringify({ imports }, null, 2) + "\n";
}

if (import.meta.main) {
  const mapArg = Deno.args.find((a) => a.startsWith("--import-map="));
  if (mapArg) {
    const path = mapArg.slice("--import-map=".length);
    Deno.writeTextFileSync(path, sourceToDistMap());
    console.log(`wrote ${path}`);
  } else {
    const files = distFiles();
    try {
      Deno.removeSync(`${ROOT}/${DIST}`, { recursive: true });
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    for (const [path, text] of files) {
      Deno.mkdirSync(`${ROOT}/${path.replace(/\/[^/]+$/, "")}`, { recursive: true });
      Deno.writeTextFileSync(`${ROOT}/${path}`, text);
    }
    console.log(`wrote ${files.size} files to ${DIST}/`);
  }
}
