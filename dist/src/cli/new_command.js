// Generated from src/cli/new_command.ts by tasks/dist.ts (deno task dist): do not edit.
import { join } from "../file/paths.js";
import { parseSignature } from "../abi/signature.js";
import { PluginError } from "../errors/plugin_error.js";
import { oneOf, parseArgs } from "./_args.js";
import { EXIT_OK, toJson, UsageError } from "./_output.js";
import { PACKAGE_VERSION } from "./_sdk_files.js";
import { bindingsModule, interfaceConstName } from "./bindgen_command.js";
import { SDK_LANGUAGES, sdkFilesFor, writeFiles } from "./header_command.js";
var genericTemplate = (function genericTemplate(name, id) {
    const nameText = JSON.stringify(name);
    return {
        id,
        functions: [
            {
                sig: "cstring name()",
                body: {
                    c: `return ${nameText};`,
                    cpp: `return ${nameText};`,
                    rust: `c${nameText}.as_ptr()`,
                    go: `return (*C.char)(plugboard.Intern(${nameText}))`,
                },
            },
            {
                sig: "i32 add(i32 a, i32 b)",
                body: {
                    c: "return a + b;",
                    cpp: "return a + b;",
                    rust: "a.wrapping_add(b)",
                    go: "return a + b",
                },
            },
            {
                sig: "fallible f64 divide(f64 a, f64 b)",
                body: {
                    c: 'if (b == 0) return pb_fail(1, "division by zero");\n  return a / b;',
                    cpp: 'return plugboard::guard([&] {\n    if (b == 0) throw plugboard::error(1, "division by zero");\n    return a / b;\n  });',
                    rust: 'if b == 0.0 {\n            return Err(plugboard::fail!(1, "division by zero"));\n        }\n        Ok(a / b)',
                    go: 'if b == 0 {\n\t\tplugboard.Fail(1, "division by zero")\n\t\treturn 0\n\t}\n\treturn a / b',
                },
            },
        ],
        demo: [
            "console.log(`name() = ${JSON.stringify(fns.name())}`);",
            "console.log(`add(2, 3) = ${fns.add(2, 3)}`);",
            "console.log(`divide(1, 4) = ${fns.divide(1, 4)}`);",
            "try {",
            "  fns.divide(1, 0);",
            "} catch (e) {",
            "  if (!(e instanceof CallError)) throw e;",
            "  console.log(`divide(1, 0) failed: ${e.code} (plugin code ${e.pluginCode})`);",
            "}",
        ],
    };
});
var calcTemplate = (function calcTemplate(name) {
    const symbol = JSON.stringify(/^[a-z_-]+$/.test(name) ? name : "avg");
    return {
        id: "calc.op",
        functions: [
            {
                sig: "cstring name()",
                body: {
                    c: `return ${symbol};`,
                    cpp: `return ${symbol};`,
                    rust: `c${symbol}.as_ptr()`,
                    go: `return (*C.char)(plugboard.Intern(${symbol}))`,
                },
            },
            {
                sig: "fallible f64 apply(f64 a, f64 b)",
                body: {
                    c: 'if (a != a || b != b) return pb_fail(1, "NaN has no average");\n  return (a + b) / 2;',
                    cpp: 'return plugboard::guard([&] {\n    if (a != a || b != b) throw plugboard::error(1, "NaN has no average");\n    return (a + b) / 2;\n  });',
                    rust: 'if a.is_nan() || b.is_nan() {\n            return Err(plugboard::fail!(1, "NaN has no average"));\n        }\n        Ok((a + b) / 2.0)',
                    go: 'if a != a || b != b {\n\t\tplugboard.Fail(1, "NaN has no average")\n\t\treturn 0\n\t}\n\treturn (a + b) / 2',
                },
            },
        ],
        demo: [
            "const op = fns.name();",
            "console.log(`operator ${JSON.stringify(op)}: 2 ${op} 4 = ${fns.apply(2, 4)}`);",
            "try {",
            "  fns.apply(NaN, 1);",
            "} catch (e) {",
            "  if (!(e instanceof CallError)) throw e;",
            "  console.log(`NaN ${op} 1 failed: ${e.code} (plugin code ${e.pluginCode})`);",
            "}",
        ],
    };
});
var cIdent = (function cIdent(s) {
    const id = s.replace(/[^A-Za-z0-9_]/g, "_");
    return /^[0-9]/.test(id) ? `_${id}` : id;
});
var cFunction = (function cFunction(iface, f, language) {
    const sig = parseSignature(f.sig);
    const params = sig.parameters.length === 0
        ? "(void)"
        : `(${sig.parameters.map((t, i) => `pb_${t} ${sig.parameterNames[i]}`).join(", ")})`;
    const macro = sig.fallible ? "PLUGBOARD_FALLIBLE_FN" : "PLUGBOARD_FN";
    return `${macro}(${iface}, pb_${sig.result}, ${sig.name}, ${params}) {\n  ${f.body[language]}\n}`;
});
var cSource = (function cSource(name, t, language) {
    const iface = cIdent(t.id);
    const ext = language === "c" ? "c" : "cpp";
    const header = language === "c" ? "plugboard.h" : "plugboard.hpp";
    return `/*
 * ${name}: a plugboard plugin implementing ${t.id}/1.0, in ${language === "c" ? "C" : "C++"}.
 *
 * Build:  plugboard build ${name}.${ext}   (or: deno task build)
 * Bind:   plugboard bindgen ${name}.so --out bindings.ts   (after changing the interface)
 * Run:    deno task host
 *
 * Each PLUGBOARD_FN declares an exported function and writes its signature
 * into the plugin's metadata, so the two cannot drift. A cstring result must
 * stay valid after the call returns (a literal does). A fallible function
 * reports an error with pb_fail(code, format, ...)${language === "cpp" ? "; plugboard::guard turns an\n * exception into one" : ""}. The binary contract and the
 * signature grammar: docs/abi.md in the plugboard package.
 */
#include "${header}"

PLUGBOARD_PLUGIN(${JSON.stringify(name)}, "0.1.0");
PLUGBOARD_INTERFACE(${iface}, ${JSON.stringify(t.id)}, 1, 0);

${t.functions.map((f) => cFunction(iface, f, language)).join("\n\n")}
`;
});
var crateName = (function crateName(name) {
    return name.replace(/-/g, "_");
});
var rustSource = (function rustSource(name, t) {
    const iface = cIdent(t.id);
    const fns = t.functions.map((f) => {
        const sig = parseSignature(f.sig);
        const params = sig.parameters.map((p, i) => `${sig.parameterNames[i]}: ${p}`).join(", ");
        const ret = sig.result === "void" ? "" : ` -> ${sig.result}`;
        const macro = sig.fallible ? "fallible" : "function";
        return `plugboard::${macro}!(\n    ${iface},\n    fn ${sig.name}(${params})${ret} {\n        ${f.body.rust}\n    }\n);`;
    });
    return `//! ${name}: a plugboard plugin implementing ${t.id}/1.0, in Rust.
//!
//! Build: cargo build --release --offline   (target/release/lib${crateName(name)}.so)
//! Bind:  plugboard bindgen target/release/lib${crateName(name)}.so --out bindings.ts
//! Run:   deno task host
//!
//! The SDK is plugboard/plugboard.rs (from \`plugboard header --lang rust\`):
//! each function! / fallible! exports a function and writes its signature
//! into the plugin's metadata. The binary contract: docs/abi.md in the
//! plugboard package.

#[path = "../plugboard/plugboard.rs"]
mod plugboard;

plugboard::plugin!(${JSON.stringify(name)}, "0.1.0");
plugboard::interface!(${iface}, ${JSON.stringify(t.id)}, 1, 0);

${fns.join("\n\n")}
`;
});
var cargoToml = (function cargoToml(name) {
    return `# ${name}: a plugboard plugin. Build: cargo build --release --offline
[package]
name = ${JSON.stringify(crateName(name))}
version = "0.1.0"
edition = "2021"
build = "plugboard/build.rs"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]

[profile.release]
panic = "unwind"
`;
});
var goSources = (function goSources(name, t) {
    const iface = cIdent(t.id);
    const exports = t.functions.map((f) => {
        const sig = parseSignature(f.sig);
        const params = sig.parameters.map((p, i) => `${sig.parameterNames[i]} C.pb_${p}`).join(", ");
        const ret = sig.result === "void" ? "" : ` C.pb_${sig.result}`;
        return `//export ${sig.name}\nfunc ${sig.name}(${params})${ret} {\n\t${f.body.go}\n}`;
    });
    const notes = t.functions.map((f) => {
        const sig = parseSignature(f.sig);
        const params = sig.parameters.length === 0
            ? "(void)"
            : `(${sig.parameters.map((p, i) => `pb_${p} ${sig.parameterNames[i]}`).join(", ")})`;
        return `${sig.fallible ? "PLUGBOARD_GO_FALLIBLE_FN" : "PLUGBOARD_GO_FN"}(${iface}, pb_${sig.result}, ${sig.name}, ${params});`;
    });
    return {
        main: `// ${name}: a plugboard plugin implementing ${t.id}/1.0, in Go.
//
// Build: go build -buildmode=c-shared -o ${name}.so .
// Bind:  plugboard bindgen ${name}.so --out bindings.ts
// Run:   deno task host
//
// Go cannot write the plugin's metadata: ${name}.c declares it, with one line
// per //export'ed function here (a mismatch fails the build). To record the
// Go version in the metadata, build with
//   CGO_CFLAGS="-O2 -DPLUGBOARD_COMPILER=\\"go $(go env GOVERSION | sed s/^go//)\\""
// The SDK is in sdk/ (from \`plugboard header --lang go\`); the binary
// contract: docs/abi.md in the plugboard package.
package main

/*
#cgo CFLAGS: -I\${SRCDIR}/sdk -I\${SRCDIR}/sdk/go/plugboard
#include "plugboard.h"
*/
import "C"

import "plugboard/native/go/plugboard"

${exports.join("\n\n")}

func main() {}
`,
        notes: `/* ${name}'s metadata: Go cannot write ELF notes, so they are declared here,
 * one line per //export'ed function of main.go. */
#include "plugboard_go.h"
#include "_cgo_export.h"

PLUGBOARD_PLUGIN(${JSON.stringify(name)}, "0.1.0");
PLUGBOARD_INTERFACE(${iface}, ${JSON.stringify(t.id)}, 1, 0);

${notes.join("\n")}
`,
        mod: `module ${name}

go 1.19

require plugboard/native/go v0.0.0

replace plugboard/native/go => ./sdk/go
`,
    };
});
var pluginPath = (function pluginPath(name, language) {
    return language === "rust" ? `target/release/lib${crateName(name)}.so` : `${name}.so`;
});
var hostScript = (function hostScript(name, language, t) {
    const spec = interfaceConstName(t.id);
    return `/**
 * ${name}'s host: open the plugin, check it provides ${t.id}/1.0 with the
 * signatures in bindings.ts, and call each function.
 *
 * Run: deno run --allow-read=. --allow-ffi host.ts [PLUGIN]
 * (default PLUGIN: ${pluginPath(name, language)}, next to this script)
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { CallError, openPlugin } from "@plugboard/plugboard";
import { ${spec} } from "./bindings.ts";

const path = Deno.args[0] ??
  fileURLToPath(new URL(${JSON.stringify(`./${pluginPath(name, language)}`)}, import.meta.url));
await using plugin = await openPlugin(path, { interfaces: [${spec}] });
console.log(\`\${plugin.metadata.name} \${plugin.metadata.version}\`);
const fns = plugin.use(${spec});
${t.demo.join("\n")}
`;
});
var taskFlags = (function taskFlags(language) {
    const cc = language === "cpp" ? "c++" : "cc";
    const env = language === "cpp" ? "CXX" : "CC";
    return {
        build: `--allow-read=. --allow-write=. --allow-run=${cc} --allow-env=${env}`,
        bindgen: "--allow-read=. --allow-write=.",
        host: "--allow-read=. --allow-ffi",
        trust: "--allow-read=. --allow-write=.",
        verify: "--allow-read=.",
    };
});
var denoJson = (function denoJson(name, language) {
    const cli = "@plugboard/plugboard/cli";
    const so = pluginPath(name, language);
    const flags = taskFlags(language);
    const build = language === "c" || language === "cpp"
        ? `deno run ${flags.build} ${cli} build ${name}.${language === "c" ? "c" : "cpp"}`
        : language === "rust"
            ? "cargo build --release --offline"
            : `go build -buildmode=c-shared -o ${name}.so .`;
    return JSON.stringify({
        imports: {
            "@plugboard/plugboard": `jsr:@plugboard/plugboard@^${PACKAGE_VERSION}`,
            [cli]: `jsr:@plugboard/plugboard@^${PACKAGE_VERSION}/cli`,
        },
        tasks: {
            build,
            bindgen: `deno run ${flags.bindgen} ${cli} bindgen ${so} --out bindings.ts`,
            host: `deno run ${flags.host} host.ts`,
            trust: `deno run ${flags.trust} ${cli} trust ${so}`,
            verify: `deno run ${flags.verify} ${cli} verify ${so} --no-cache`,
        },
    }, null, 2) + "\n";
});
export var projectFiles = (function projectFiles(name, language, interfaceId) {
    const t = interfaceId === "calc.op" ? calcTemplate(name) : genericTemplate(name, interfaceId);
    const files = [];
    switch (language) {
        case "c":
        case "cpp":
            files.push([`${name}.${language === "c" ? "c" : "cpp"}`, cSource(name, t, language)]);
            break;
        case "rust":
            files.push(["Cargo.toml", cargoToml(name)], ["src/lib.rs", rustSource(name, t)]);
            files.push(...sdkFilesFor("rust").map(([p, text]) => [`plugboard/${p}`, text]));
            break;
        case "go": {
            const go = goSources(name, t);
            files.push(["go.mod", go.mod], ["main.go", go.main], [`${name}.c`, go.notes]);
            files.push(...sdkFilesFor("go").map(([p, text]) => [`sdk/${p}`, text]));
            break;
        }
    }
    const ignore = language === "rust"
        ? "target/\n"
        : `${name}.so\n${language === "go" ? `${name}.h\n` : ""}`;
    files.push([
        "bindings.ts",
        bindingsModule({
            comment: [
                `Written by \`plugboard new\` for plugin ${name}; regenerate it from the built plugin`,
                `when its interface changes: plugboard bindgen ${pluginPath(name, language)} --out bindings.ts`,
            ],
            interfaces: [{
                    id: t.id,
                    version: "1.0",
                    declared: t.functions.map((f) => f.sig).sort((x, y) => parseSignature(x).name < parseSignature(y).name ? -1 : 1),
                }],
        }),
    ], ["host.ts", hostScript(name, language, t)], ["deno.json", denoJson(name, language)], [".gitignore", `${ignore}.plugboard-build.json\nplugboard.lock\n`]);
    return files;
});
export var newCommand = (function newCommand(args, io) {
    const a = parseArgs(args, {
        command: "new",
        flags: ["json"],
        options: ["lang", "interface", "dir"],
    });
    if (a.flags.help) {
        io.out(NEW_USAGE);
        return EXIT_OK;
    }
    if (a.positionals.length !== 1) {
        throw new UsageError(`new takes one NAME, got ${a.positionals.length}`, "new");
    }
    const name = a.positionals[0];
    if (!/^[a-z][a-z0-9_-]*$/.test(name)) {
        throw new UsageError(`Plugin name ${JSON.stringify(name)} is not lower-case letters, digits, "-" and "_", starting with a letter`, "new");
    }
    const language = oneOf("new", "lang", a.options.lang, SDK_LANGUAGES) ?? "c";
    const id = a.options.interface ?? name;
    if (!/^[a-z0-9._-]+$/.test(id)) {
        throw new UsageError(`Interface id ${JSON.stringify(id)} is not lower-case letters, digits, ".", "-" and "_"`, "new");
    }
    const dir = a.options.dir ?? name;
    const files = projectFiles(name, language, id);
    for (const [path] of files) {
        let exists = false;
        try {
            Deno.lstatSync(join(dir, path));
            exists = true;
        }
        catch (e) {
            if (!(e instanceof Deno.errors.NotFound))
                throw e;
        }
        if (exists) {
            throw new PluginError("USAGE", `Cannot create plugin ${JSON.stringify(name)} in ${JSON.stringify(dir)}: ${JSON.stringify(join(dir, path))} exists`, { path: join(dir, path), hint: "choose another --dir, or move the existing files away" });
        }
    }
    const written = writeFiles(dir, files);
    if (a.flags.json) {
        io.out(toJson({
            name,
            language,
            interface: id,
            dir,
            plugin: join(dir, pluginPath(name, language)),
            files: written.map((w) => w.path),
        }));
        return EXIT_OK;
    }
    io.out(`created ${name} (${language}, interface ${id}/1.0) in ${dir}/:`);
    io.out(`  ${files.map(([p]) => p).filter((p) => !/^(sdk|plugboard)\//.test(p)).join(", ")}`);
    io.out("next:");
    io.out(`  cd ${dir}`);
    io.out(`  deno task build     # ${JSON.parse(denoJson(name, language)).tasks.build}`);
    io.out("  deno task host      # load the plugin and call it");
    io.out("  deno task bindgen   # after changing the interface: regenerate bindings.ts");
    io.out("  deno task trust     # record it in plugboard.lock; deno task verify checks it");
    return EXIT_OK;
});
export const NEW_USAGE = `Usage: plugboard new NAME [--lang c|cpp|rust|go] [--interface ID] [--dir DIR] [--json]

Create a starting plugin named NAME in DIR (default: ./NAME):
  c      NAME.c, built with \`plugboard build NAME.c\`
  cpp    NAME.cpp (exceptions become plugin errors with plugboard.hpp),
         built with \`plugboard build NAME.cpp\`
  rust   a cdylib crate with the Rust SDK in plugboard/ (no dependencies),
         built with \`cargo build --release --offline\`
  go     a main package with the cgo SDK in sdk/, built with
         \`go build -buildmode=c-shared -o NAME.so .\`
and, for every language: bindings.ts (the interface, as \`plugboard bindgen\`
writes it), host.ts (loads the plugin and calls each function) and deno.json
(the import of @plugboard/plugboard and tasks: build, bindgen, host, trust,
verify, each with the least permissions it needs).

The plugin implements interface ID 1.0 (default: NAME) with three functions:
name(), add(a, b) and a fallible divide(a, b). With --interface calc.op it
implements the calculator interface of \`plugboard calc\` instead. Existing
files are never overwritten.

Options:
  --lang L          the language (default: c)
  --interface ID    the interface's id (default: NAME)
  --dir DIR         where to create the files (default: ./NAME)
  --json            print the files created as JSON
  --help            show this help

Permissions: --allow-read=DIR --allow-write=DIR.`;
