/**
 * Scenario "abi-toolchain": a plugin built against another ABI version of
 * `plugboard.h`, and the same plugin built by a real second compiler (clang)
 * while the host pins the toolchain, are refused with the fix in the
 * message; applying the fix makes each load. The compiler is the one the
 * file's `.comment` section names, not a string the plugin declares.
 *
 * @module
 */

import {
  defineInterface,
  inspectPlugin,
  LoadError,
  openPlugin,
  type PluginReport,
} from "../../mod.ts";
import { readElf } from "../../src/elf/read_elf.ts";
import { Registry } from "../../src/registry/mod.ts";
import { buildPlugin } from "../build.ts";
import {
  build,
  check,
  code,
  expectError,
  heading,
  say,
  shell,
  showError,
  tempDir,
  writeFile,
} from "./_kit.ts";
import { defineScenario } from "./_runner.ts";

/**
 * The scenario's definition; `deno task scenarios abi-toolchain` runs it alone.
 *
 * @example Running it and checking its output
 * ```ts ignore
 * import { runScenario } from "./_runner.ts";
 * import { scenario } from "./abi_toolchain.ts";
 *
 * const result = await runScenario(scenario);
 * console.log(result.passed, result.failures);
 * ```
 */
export const scenario = defineScenario(import.meta.url, {
  name: "abi-toolchain",
  title: "ABI and toolchain mismatch",
  description:
    "Loads `tests/fixtures/abi2.c`, a greeter built as if against `plugboard.h` ABI 2.0, and " +
    "`abi_minor9.c`, built as if against ABI 1.9, into this 1.0 host; both are refused with " +
    "expected, found and a hint. Then it applies the fix the hint gives: the same source rebuilt " +
    "against the project's `native/plugboard.h` (the lines that forced the other version removed) " +
    "loads and runs. Then the toolchain: a registry trusts `build/greeter.so` (built by this " +
    "machine's gcc), and the host pins the toolchain (`policy: { pinToolchain: true }`). The same " +
    "`plugins/greeter.c` built by Debian's clang is refused with `TOOLCHAIN_MISMATCH`; the " +
    "scenario shows the file's `.comment` section, which names the compiler, beside what the plugin " +
    "note declares. A greeter built by gcc that declares another compiler " +
    "(`-DPLUGBOARD_COMPILER='\"gcc 11.4.0\"'`) is still identified as gcc by its `.comment`, and " +
    "`inspect` reports the disagreement. Rebuilt by the trusted compiler, the greeter loads.",
  why:
    "The ABI version is the contract for everything the host reads from the plugin itself: the " +
    "layout of `plugboard_descriptor`, of `plugboard_error`, and the calling conventions of the " +
    "hooks. The rule is written once in the header and once in `src/abi/abi_version.ts`: a host " +
    "with ABI H.h loads a plugin with ABI P.p when P == H and p <= h. A new major may change any " +
    "layout, so a 1.x host cannot even trust the descriptor's field offsets; a newer minor may " +
    "have appended fields the host would not know to fill or check. The version is the first " +
    "line of the plugin note (`abi=2.0`), and it is checked before anything else in the notes is " +
    "interpreted, the order PostgreSQL uses for its magic block. The check reads the file, so a " +
    "refused plugin's code, including its ELF constructors, never runs. The compiler is a " +
    "different kind of risk: the C ABI is stable across gcc and clang, but code generation, " +
    "runtime-library assumptions and the build id all change with the compiler, and a host that " +
    "was validated with one toolchain may want to refuse anything else (Go's `plugin` package " +
    'demands the identical toolchain and reports it only as "plugin was built with a different ' +
    'version of package"). Every compiler writes its own name and version into the ELF ' +
    "`.comment` section (`GCC: (Debian 12.2.0-14) 12.2.0`, `Debian clang version 14.0.6`), " +
    "without the plugin's say; plugboard reads it (bounded, like every section it reads) and " +
    "takes the compiler from it, falling back to the string `PLUGBOARD_PLUGIN` declares only " +
    "where `.comment` names none (or for Go, whose compiler writes no line). A clang build also " +
    "carries gcc's line, from the C runtime's start files, so the declared compiler picks among " +
    "the lines when it is one of them. The registry stores the compiler in the lockfile entry, " +
    "and `pinToolchain` compares the two before the build id and the checksum, so the error names " +
    "the cause (another compiler) rather than its consequence (other bytes).",
  expect: {
    lines: [
      '> await openPlugin("build/fixtures/abi2.so", { interfaces: [Greeter] })',
      "throws LoadError ABI_MISMATCH:",
      'Cannot load plugin "build/fixtures/abi2.so": ABI major version mismatch: expected ABI 1.x, found ABI 2.0',
      "hint: rebuild the plugin against plugboard.h 1.x (PLUGBOARD_ABI_MAJOR 1)",
      "ok: threw LoadError ABI_MISMATCH",
      '> await openPlugin("build/fixtures/abi_minor9.so", { interfaces: [Greeter] })',
      'Cannot load plugin "build/fixtures/abi_minor9.so": ABI minor version too new: expected ABI 1.0 to 1.0, found ABI 1.9',
      "hint: upgrade the host to plugboard ABI 1.9 or newer, or rebuild the plugin against plugboard.h 1.0",
      "ok: threw LoadError ABI_MISMATCH",
      "removed from the source: #undef PLUGBOARD_ABI_MAJOR",
      "removed from the source: #define PLUGBOARD_ABI_MAJOR 2",
      /^built \$TMP\/abi2-rebuilt\.so /,
      'fixture-abi2 abi=1.0: greet("ABI") = "Hello, ABI"',
      "ok: the rebuilt plugin loads and answers",
      "$ clang --version",
      /^(Debian )?clang version \d+\.\d+\.\d+/,
      "ok: clang is installed (Debian package clang: apt-get install clang)",
      '> const registry = new Registry(); registry.trust(inspectPlugin("build/greeter.so"))',
      /^trusted greeter@0\.1\.0 built by gcc \d+\.\d+\.\d+$/,
      `> buildPlugin({ source: "plugins/greeter.c", output: "$TMP/greeter-clang.so", compiler: "clang" })`,
      /^built \$TMP\/greeter-clang\.so \(clang \d+\.\d+\.\d+, build id <hex>\)$/,
      /^ {2}\.comment: "GCC: \(.*\) \d+\.\d+\.\d+", "(Debian )?clang version \d+\.\d+\.\d+"$/,
      /^ {2}declared: clang \d+\.\d+\.\d+$/,
      /^ {2}compiler: clang \d+\.\d+\.\d+ \(from \.comment\)$/,
      '> await openPlugin("$TMP/greeter-clang.so", { registry, policy: { pinToolchain: true } })',
      "throws LoadError TOOLCHAIN_MISMATCH:",
      /^Cannot load plugin "\$TMP\/greeter-clang\.so": plugin greeter@0\.1\.0: built by another compiler: expected gcc \d+\.\d+\.\d+ \(trusted in the registry\), found clang \d+\.\d+\.\d+$/,
      /^hint: rebuild the plugin with gcc \d+\.\d+\.\d+; if the new compiler is intended, trust the file: plugboard trust \$TMP\/greeter-clang\.so$/,
      "ok: threw LoadError TOOLCHAIN_MISMATCH",
      `> buildPlugin({ source: "plugins/greeter.c", output: "$TMP/greeter-claims-gcc11.so", defines: { PLUGBOARD_COMPILER: '"gcc 11.4.0"' } })`,
      /^ {2}\.comment: "GCC: \(.*\) \d+\.\d+\.\d+"$/,
      "  declared: gcc 11.4.0",
      /^ {2}compiler: gcc \d+\.\d+\.\d+ \(from \.comment\)$/,
      /^ {2}inspect: disagrees: declared gcc 11\.4\.0, \.comment names gcc \d+\.\d+\.\d+$/,
      "ok: the compiler is the one that wrote .comment, not the declared string",
      '> buildPlugin({ source: "plugins/greeter.c", output: "$TMP/greeter.so" })',
      '> await openPlugin("$TMP/greeter.so", { registry, policy: { pinToolchain: true } })',
      /^loaded greeter@0\.1\.0 built by gcc \d+\.\d+\.\d+: greet\("toolchain"\) = "Hello, toolchain"$/,
      "ok: rebuilt by the trusted compiler, it loads",
    ],
  },
});

const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" });

async function main(): Promise<void> {
  heading("a plugin built against another ABI");
  code(
    'const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" })',
  );
  for (const file of ["build/fixtures/abi2.so", "build/fixtures/abi_minor9.so"]) {
    code(`await openPlugin("${file}", { interfaces: [Greeter] })`);
    await expectError(() => openPlugin(file, { interfaces: [Greeter] }), LoadError, "ABI_MISMATCH");
  }

  heading("the fix: rebuild against native/plugboard.h");
  const tmp = await tempDir();
  const original = await Deno.readTextFile("tests/fixtures/abi2.c");
  const kept: string[] = [];
  for (const line of original.split("\n")) {
    if (/^#(undef|define) PLUGBOARD_ABI_MAJOR\b/.test(line)) {
      say(`removed from the source: ${line}`);
    } else kept.push(line);
  }
  const source = await writeFile(tmp, "abi2.c", kept.join("\n"));
  const output = `${tmp}/abi2-rebuilt.so`;
  await build({ source, output });
  code(`await openPlugin("${output}", { interfaces: [Greeter] })`);
  await using plugin = await openPlugin(output, { interfaces: [Greeter] });
  const m = plugin.metadata;
  const answer = plugin.use(Greeter).greet("ABI");
  say(`${m.name} abi=${m.abi.major}.${m.abi.minor}: greet("ABI") = ${JSON.stringify(answer)}`);
  check("the rebuilt plugin loads and answers", answer === "Hello, ABI" && m.abi.major === 1);

  heading("the same plugin built by another compiler, while the host pins the toolchain");
  shell("clang --version");
  const clang = await clangVersion();
  say(clang || "(no clang)");
  if (!check("clang is installed (Debian package clang: apt-get install clang)", clang !== "")) {
    return;
  }
  code('const registry = new Registry(); registry.trust(inspectPlugin("build/greeter.so"))');
  const registry = new Registry();
  const trusted = registry.trust(inspectPlugin("build/greeter.so")).entry;
  say(`trusted ${trusted.name}@${trusted.version} built by ${trusted.compiler}`);
  const byClang = `${tmp}/greeter-clang.so`;
  code(
    `buildPlugin({ source: "plugins/greeter.c", output: "${byClang}", compiler: "clang" })`,
  );
  await build({ source: "plugins/greeter.c", output: byClang, compiler: "clang" });
  showCompiler(byClang);
  const policy = { pinToolchain: true };
  code(`await openPlugin("${byClang}", { registry, policy: { pinToolchain: true } })`);
  await expectError(
    () => openPlugin(byClang, { registry, policy }),
    LoadError,
    "TOOLCHAIN_MISMATCH",
  );

  heading("a plugin that declares another compiler than the one that built it");
  const claims = `${tmp}/greeter-claims-gcc11.so`;
  code(
    `buildPlugin({ source: "plugins/greeter.c", output: "${claims}", defines: { PLUGBOARD_COMPILER: '"gcc 11.4.0"' } })`,
  );
  await buildPlugin({
    source: "plugins/greeter.c",
    output: claims,
    defines: { PLUGBOARD_COMPILER: '"gcc 11.4.0"' },
  });
  const report = showCompiler(claims);
  say(`  inspect: disagrees: ${report.compilerDisagreement ?? "(nothing)"}`);
  check(
    "the compiler is the one that wrote .comment, not the declared string",
    report.compiler === trusted.compiler && report.declaredCompiler === "gcc 11.4.0",
    `${report.compiler}, declared ${report.declaredCompiler}`,
  );

  heading("the fix: rebuild with the trusted compiler");
  const rebuilt = `${tmp}/greeter.so`;
  code(`buildPlugin({ source: "plugins/greeter.c", output: "${rebuilt}" })`);
  await buildPlugin({ source: "plugins/greeter.c", output: rebuilt });
  code(`await openPlugin("${rebuilt}", { registry, policy: { pinToolchain: true } })`);
  try {
    await using fixed = await openPlugin(rebuilt, { registry, policy, interfaces: [Greeter] });
    const text = fixed.use(Greeter).greet("toolchain");
    say(
      `loaded ${fixed.metadata.name}@${fixed.metadata.version} built by ${fixed.metadata.compiler}: greet("toolchain") = ${
        JSON.stringify(text)
      }`,
    );
    check("rebuilt by the trusted compiler, it loads", text === "Hello, toolchain");
  } catch (e) {
    showError(e);
    check("rebuilt by the trusted compiler, it loads", false);
  }
}

/** Print what a file says about its compiler: `.comment`, the declaration, the verdict. */
function showCompiler(path: string): PluginReport {
  const r = inspectPlugin(path);
  const elf = readElf(Deno.readFileSync(path), path);
  say(`  .comment: ${elf.comment.map((c) => JSON.stringify(c)).join(", ")}`);
  say(`  declared: ${r.declaredCompiler?.trim() ?? "(nothing)"}`);
  say(
    `  compiler: ${r.compiler} (${
      r.compilerSource === "comment" ? "from .comment" : "as declared"
    })`,
  );
  return r;
}

/** The first line of `clang --version`, or "" when clang cannot be run. */
async function clangVersion(): Promise<string> {
  try {
    const out = await new Deno.Command("clang", { args: ["--version"], stdout: "piped" }).output();
    return out.success ? new TextDecoder().decode(out.stdout).split("\n")[0].trim() : "";
  } catch {
    return "";
  }
}

if (import.meta.main) await main();
