import assert from "node:assert/strict";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildAll, BuildError, buildPlugin, type BuildResult } from "../../tasks/build.ts";
import { noteFields, plugboardNotes, readelf } from "./_readelf.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The samples and fixtures the issues ask for; every `.c` file is built. */
const REQUIRED_PLUGINS = [
  "abort_call",
  "calc_add",
  "calc_div",
  "calc_mul",
  "calc_sub",
  "counter",
  "crash_call",
  "crash_ctor",
  "exit_call",
  "greeter",
  "hang_call",
  "myfunction",
  "noop",
  "stderr_crash",
  "text_base64",
  "text_reverse",
  "text_upper",
  "wide32",
];
const REQUIRED_FIXTURES = [
  "abi2",
  "abi_minor9",
  "greeter_sigchange",
  "greeter_v1_1",
  "greeter_v2",
  "init_fail",
  "no_interface",
  "nodelete",
  "plain",
  "symbols",
];

function sources(dir: string): string[] {
  return [...Deno.readDirSync(join(ROOT, dir))]
    .filter((e) => e.isFile && e.name.endsWith(".c"))
    .map((e) => e.name.slice(0, -2))
    .sort();
}
const PLUGINS = sources("plugins");
const FIXTURES = sources("tests/fixtures");
for (const name of REQUIRED_PLUGINS) assert.ok(PLUGINS.includes(name), `plugins/${name}.c exists`);
for (const name of REQUIRED_FIXTURES) {
  assert.ok(FIXTURES.includes(name), `tests/fixtures/${name}.c exists`);
}

/** A copy of the project's C sources and header in a fresh directory. */
async function copyProject(withTask = false): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "plugboard-build-test-" });
  const dirs = [
    "plugins",
    "tests/fixtures",
    "native",
    ...(withTask ? ["tasks"] : []),
  ];
  for (const dir of dirs) {
    await Deno.mkdir(join(root, dir), { recursive: true });
    for await (const entry of Deno.readDir(join(ROOT, dir))) {
      if (entry.isFile && /\.(c|h)$|^build(_wasm)?\.ts$/.test(entry.name)) {
        await Deno.copyFile(
          join(ROOT, dir, entry.name),
          join(root, dir, entry.name),
        );
      }
    }
  }
  if (withTask) {
    // tasks/build.ts compiles with plugboard build's code (src/cli/_compile.ts).
    const copyTree = async (from: string, to: string) => {
      await Deno.mkdir(to, { recursive: true });
      for await (const e of Deno.readDir(from)) {
        if (e.isDirectory) await copyTree(join(from, e.name), join(to, e.name));
        else if (e.isFile) await Deno.copyFile(join(from, e.name), join(to, e.name));
      }
    };
    await copyTree(join(ROOT, "src"), join(root, "src"));
  }
  return root;
}

function byName(results: BuildResult[]): Map<string, BuildResult> {
  return new Map(
    results.map((r) => [
      basename(dirname(r.output)) === "fixtures"
        ? `fixtures/${basename(r.output)}`
        : basename(r.output),
      r,
    ]),
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

async function leftovers(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.includes(".tmp-")) names.push(entry.name);
  }
  return names;
}

/** Build a one-off C source in a new directory; the caller removes the directory. */
async function compile(
  code: string,
  name = "probe",
): Promise<{ dir: string; output: string }> {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-build-test-" });
  await Deno.writeTextFile(join(dir, `${name}.c`), code);
  const output = join(dir, `${name}.so`);
  try {
    await buildPlugin({ source: join(dir, `${name}.c`), output });
  } catch (err) {
    await Deno.remove(dir, { recursive: true });
    throw err;
  }
  return { dir, output };
}

async function compileError(code: string): Promise<BuildError> {
  try {
    const { dir } = await compile(code);
    await Deno.remove(dir, { recursive: true });
  } catch (err) {
    assert.ok(err instanceof BuildError, `expected a BuildError, got ${err}`);
    return err;
  }
  assert.fail("expected the compilation to fail");
}

Deno.test("buildAll() builds every plugin and fixture, then finds them up to date", async () => {
  const outDir = await Deno.makeTempDir({ prefix: "plugboard-build-test-" });
  try {
    const first = await buildAll({ outDir, quiet: true });
    assert.deepEqual(
      first.map((r) => basename(r.output)).sort(),
      [...PLUGINS, ...FIXTURES].map((n) => `${n}.so`).sort(),
    );
    for (const name of PLUGINS) {
      assert.ok(await exists(join(outDir, `${name}.so`)), name);
    }
    for (const name of FIXTURES) {
      assert.ok(await exists(join(outDir, "fixtures", `${name}.so`)), name);
    }
    assert.ok(first.every((r) => r.built));
    assert.ok(first.every((r) => /^[0-9a-f]{16}$/.test(r.buildId)));
    assert.match(first[0].compiler, /^(gcc|clang) \d+\.\d+/);
    assert.deepEqual(await leftovers(outDir), []);
    assert.deepEqual(await leftovers(join(outDir, "fixtures")), []);

    const second = await buildAll({ outDir, quiet: true });
    assert.equal(second.length, first.length);
    assert.deepEqual(second.filter((r) => r.built), []);
    assert.deepEqual(second.map((r) => r.buildId), first.map((r) => r.buildId));
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});

Deno.test("buildAll() rebuilds only what changed", async (t) => {
  const root = await copyProject();
  try {
    const first = byName(await buildAll({ root, quiet: true }));

    await t.step(
      "build ids do not depend on where the project lives",
      async () => {
        const outDir = await Deno.makeTempDir({
          prefix: "plugboard-build-test-",
        });
        try {
          const here = byName(await buildAll({ outDir, quiet: true }));
          for (const [name, r] of first) {
            assert.equal(here.get(name)?.buildId, r.buildId, name);
          }
        } finally {
          await Deno.remove(outDir, { recursive: true });
        }
      },
    );

    await t.step("a changed source rebuilds that file alone", async () => {
      const source = join(root, "plugins", "greeter.c");
      await Deno.writeTextFile(source, "\n/* changed */\n", { append: true });
      const again = byName(await buildAll({ root, quiet: true }));
      assert.deepEqual(
        [...again.values()].filter((r) => r.built).map((r) => r.output),
        [
          join(root, "build", "greeter.so"),
        ],
      );
      assert.notEqual(
        again.get("greeter.so")?.buildId,
        first.get("greeter.so")?.buildId,
      );
      assert.equal(
        again.get("noop.so")?.buildId,
        first.get("noop.so")?.buildId,
      );
    });

    await t.step("a deleted output is rebuilt", async () => {
      await Deno.remove(join(root, "build", "fixtures", "plain.so"));
      const again = await buildAll({ root, quiet: true });
      assert.deepEqual(
        again.filter((r) => r.built).map((r) => basename(r.output)),
        ["plain.so"],
      );
    });

    await t.step(
      "an output replaced behind the build's back is rebuilt",
      async () => {
        await Deno.copyFile(
          join(root, "build", "noop.so"),
          join(root, "build", "counter.so"),
        );
        const again = await buildAll({ root, quiet: true });
        assert.deepEqual(
          again.filter((r) => r.built).map((r) => basename(r.output)),
          [
            "counter.so",
          ],
        );
      },
    );

    await t.step("a changed plugboard.h rebuilds everything", async () => {
      await Deno.writeTextFile(
        join(root, "native", "plugboard.h"),
        "\n/* changed */\n",
        {
          append: true,
        },
      );
      const again = await buildAll({ root, quiet: true });
      assert.equal(
        again.filter((r) => r.built).length,
        PLUGINS.length + FIXTURES.length,
      );
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("buildPlugin() stamps the build id into the plugin note", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-build-test-" });
  const source = join(ROOT, "plugins", "greeter.c");
  const output = join(dir, "greeter.so");
  try {
    await t.step("the derived id", async () => {
      const result = await buildPlugin({ source, output });
      assert.equal(result.built, true);
      assert.match(result.buildId, /^[0-9a-f]{16}$/);
      const plugin = (await plugboardNotes(output)).find((n) => n.startsWith("abi="));
      assert.ok(plugin, "no plugin note");
      assert.ok(plugin.includes(`\nbuild_id=${result.buildId}\n`), plugin);
      const fields = noteFields(plugin);
      assert.equal(fields.abi, "1.0");
      assert.equal(fields.name, "greeter");
      assert.equal(fields.version, "0.1.0");
      assert.ok(
        fields.compiler.startsWith(result.compiler),
        `${fields.compiler} vs ${result.compiler}`,
      );
    });

    await t.step("an explicit id, replacing the output by rename", async () => {
      const before = await Deno.stat(output);
      const result = await buildPlugin({
        source,
        output,
        buildId: "feedfacecafe0001",
      });
      assert.equal(result.built, true);
      assert.equal(result.buildId, "feedfacecafe0001");
      const plugin = (await plugboardNotes(output)).find((n) => n.startsWith("abi="));
      assert.equal(noteFields(plugin ?? "").build_id, "feedfacecafe0001");
      // A new file, not the old one rewritten: a process that has the old
      // file loaded must keep its pages (denoland/deno#20956).
      assert.notEqual((await Deno.stat(output)).ino, before.ino);
      assert.deepEqual(await leftovers(dir), []);
      const again = await buildPlugin({
        source,
        output,
        buildId: "feedfacecafe0001",
      });
      assert.equal(again.built, false);
    });

    await t.step(
      "the same inputs give the same id; flags and defines change it",
      async () => {
        const a = await buildPlugin({ source, output: join(dir, "a.so") });
        const b = await buildPlugin({ source, output: join(dir, "b.so") });
        const c = await buildPlugin({
          source,
          output: join(dir, "c.so"),
          flags: ["-O1"],
        });
        const d = await buildPlugin({
          source,
          output: join(dir, "d.so"),
          defines: { X: "1" },
        });
        assert.equal(a.buildId, b.buildId);
        assert.notEqual(c.buildId, a.buildId);
        assert.notEqual(d.buildId, a.buildId);
        assert.notEqual(c.buildId, d.buildId);
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("buildPlugin() applies the flags of a // plugboard-build line", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-build-test-" });
  try {
    await t.step(
      "symbols.c: --gc-sections removes the unused function",
      async () => {
        const output = join(dir, "symbols.so");
        await buildPlugin({
          source: join(ROOT, "tests/fixtures/symbols.c"),
          output,
        });
        const symtab = await readelf("--syms", "--wide", output);
        const dynsym = await readelf("--dyn-syms", "--wide", output);
        assert.match(symtab, /\bstatic_fn\b/);
        assert.match(symtab, /\bhidden_fn\b/);
        assert.doesNotMatch(symtab, /\bremoved_fn\b/);
        assert.match(dynsym, /\bvisible\b/);
        assert.doesNotMatch(dynsym, /\bhidden_fn\b|\bstatic_fn\b/);
        // The notes survive garbage collection of sections.
        assert.equal((await plugboardNotes(output)).length, 3);
      },
    );

    await t.step("nodelete.c: linked with -z nodelete", async () => {
      const output = join(dir, "nodelete.so");
      await buildPlugin({
        source: join(ROOT, "tests/fixtures/nodelete.c"),
        output,
      });
      assert.match(await readelf("--dynamic", "--wide", output), /NODELETE/);
      const greeter = join(dir, "greeter.so");
      await buildPlugin({
        source: join(ROOT, "plugins/greeter.c"),
        output: greeter,
      });
      assert.doesNotMatch(
        await readelf("--dynamic", "--wide", greeter),
        /NODELETE/,
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("buildPlugin() throws a BuildError with the compiler's message", async () => {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-build-test-" });
  try {
    const source = join(dir, "broken.c");
    const output = join(dir, "broken.so");
    await Deno.writeTextFile(
      source,
      "int broken(void) { return missing_variable; }\n",
    );
    const err = await buildPlugin({ source, output }).then(
      () => assert.fail("expected a BuildError"),
      (e) => e,
    );
    assert.ok(err instanceof BuildError);
    assert.equal(err.code, "BUILD_FAILED");
    assert.equal(err.source, source);
    assert.equal(err.exitCode, 1);
    assert.match(err.stderr, /missing_variable.*undeclared/);
    assert.ok(
      err.message.startsWith(`Cannot build "${source}": `),
      err.message,
    );
    assert.ok(err.message.includes(err.stderr.trimEnd()));
    assert.equal(await exists(output), false);
    assert.deepEqual(await leftovers(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task build prints a line per built file, one summary line, and exits 1 on a compile error", async () => {
  const root = await copyProject(true);
  const run = () =>
    new Deno.Command(Deno.execPath(), {
      // The exact permissions of the "build" task in deno.json.
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-run=cc,gcc,clang",
        "--allow-env",
        "tasks/build.ts",
      ],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
  try {
    const total = PLUGINS.length + FIXTURES.length;
    const first = await run();
    const out = new TextDecoder().decode(first.stdout);
    assert.equal(first.code, 0, new TextDecoder().decode(first.stderr));
    const lines = out.trimEnd().split("\n");
    assert.equal(lines.length, total + 1);
    assert.match(
      lines.find((l) => l.includes("greeter.so")) ?? "",
      /^built build\/greeter\.so \(greeter\.c, (gcc|clang) [\d.]+, build id [0-9a-f]{16}\)$/,
    );
    assert.match(out, /^built build\/fixtures\/plain\.so \(plain\.c, /m);
    assert.match(
      lines.at(-1)!,
      new RegExp(`^${total} built, 0 up to date with (gcc|clang) `),
    );

    // Nothing to do: one summary line.
    const second = new TextDecoder().decode((await run()).stdout);
    assert.match(second, new RegExp(`^${total} up to date with (gcc|clang) [\\d.]+\n$`));

    // One file changed: its line, then the summary.
    await Deno.writeTextFile(join(root, "plugins", "greeter.c"), "\n", { append: true });
    const third = new TextDecoder().decode((await run()).stdout).trimEnd().split("\n");
    assert.equal(third.length, 2, third.join("\n"));
    assert.match(third[0], /^built build\/greeter\.so \(greeter\.c, /);
    assert.match(third[1], new RegExp(`^1 built, ${total - 1} up to date with `));

    await Deno.writeTextFile(
      join(root, "plugins", "zz_broken.c"),
      "int f(void) { return y; }\n",
    );
    const broken = await run();
    assert.equal(broken.code, 1);
    const stderr = new TextDecoder().decode(broken.stderr);
    assert.match(
      stderr,
      /Cannot build ".*zz_broken\.c": .* failed with exit code 1/,
    );
    assert.match(stderr, /zz_broken\.c:1:\d+: error: .*y.* undeclared/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("PLUGBOARD_FN keeps the declaration and the metadata from drifting", async (t) => {
  const prelude = `#include "plugboard.h"
PLUGBOARD_PLUGIN("drift", "0.1.0");
PLUGBOARD_INTERFACE(x, "x", 1, 0);
`;

  await t.step(
    "a later declaration with other types is a compile error",
    async () => {
      const err = await compileError(`${prelude}
PLUGBOARD_FN(x, pb_i32, add, (pb_i32 a, pb_i32 b)) { return a + b; }
pb_i64 add(pb_i64 a, pb_i64 b);
`);
      assert.match(err.stderr, /conflicting types for .add./);
    },
  );

  await t.step(
    "a function of an undeclared interface is a compile error",
    async () => {
      const err = await compileError(`${prelude}
PLUGBOARD_FN(undeclared, pb_i32, add, (pb_i32 a, pb_i32 b)) { return a + b; }
`);
      assert.match(err.stderr, /pb_iface_undeclared/);
    },
  );

  await t.step("the note holds the very tokens of the prototype", async () => {
    const { dir, output } = await compile(`${prelude}
PLUGBOARD_FN(x, pb_i32, add, (pb_i32 a, pb_i32 b)) { return a + b; }
PLUGBOARD_FALLIBLE_FN(x, pb_f64, div, (pb_f64 a,   pb_f64 b)) {
  return b == 0 ? pb_fail(1, "division by zero") : a / b;
}
`);
    try {
      const functions = (await plugboardNotes(output)).filter((n) => n.startsWith("interface="));
      assert.deepEqual(functions.sort(), [
        "interface=x\nsignature=pb_f64 div(pb_f64 a, pb_f64 b)\nfallible=1\n",
        "interface=x\nsignature=pb_i32 add(pb_i32 a, pb_i32 b)\nfallible=0\n",
      ]);
      // The same text is in the file's bytes, where a host reads it.
      const bytes = new TextDecoder("latin1").decode(
        await Deno.readFile(output),
      );
      assert.ok(bytes.includes("signature=pb_i32 add(pb_i32 a, pb_i32 b)\n"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
