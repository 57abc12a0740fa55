import { assertEquals } from "../_assert.ts";
import { captureCli } from "../_cli.ts";

Deno.test("plugboard new lays out a project per language", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "plugboard-new-" });
  const cases: [string, string[], string[]][] = [
    ["c", [], ["kv.c", "bindings.ts", "host.ts", "deno.json", ".gitignore"]],
    ["cpp", [], ["kv.cpp", "bindings.ts", "host.ts", "deno.json", ".gitignore"]],
    [
      "rust",
      [],
      [
        "Cargo.toml",
        "src/lib.rs",
        "plugboard/plugboard.rs",
        "plugboard/build.rs",
        "bindings.ts",
        "host.ts",
        "deno.json",
        ".gitignore",
      ],
    ],
    [
      "go",
      [],
      [
        "go.mod",
        "main.go",
        "kv.c",
        "sdk/plugboard.h",
        "sdk/go/go.mod",
        "sdk/go/plugboard/plugboard.c",
        "sdk/go/plugboard/plugboard.go",
        "sdk/go/plugboard/plugboard_go.h",
        "bindings.ts",
        "host.ts",
        "deno.json",
        ".gitignore",
      ],
    ],
  ];
  for (const [lang, _, files] of cases) {
    await t.step(lang, async () => {
      const dir = `${root}/${lang}`;
      const r = await captureCli(["new", "kv", "--lang", lang, "--dir", dir, "--json"]);
      assertEquals(r.code, 0, r.err.join("\n"));
      const j = JSON.parse(r.out[0]);
      assertEquals(j.files, files.map((f) => `${dir}/${f}`));
      assertEquals(
        j.plugin,
        lang === "rust" ? `${dir}/target/release/libkv.so` : `${dir}/kv.so`,
      );
      const config = JSON.parse(await Deno.readTextFile(`${dir}/deno.json`));
      assertEquals(Object.keys(config.tasks), ["build", "bindgen", "host", "trust", "verify"]);
      assertEquals(config.tasks.host, "deno run --allow-read=. --allow-ffi host.ts");
    });
  }
  await t.step(
    "the interface defaults to the name; --interface calc.op is the calculator's",
    async () => {
      const dir = `${root}/calc`;
      assertEquals(
        (await captureCli(["new", "mean", "--interface", "calc.op", "--dir", dir])).code,
        0,
      );
      const bindings = await Deno.readTextFile(`${dir}/bindings.ts`);
      assertEquals(
        bindings.split("\n").slice(3).join("\n"),
        `
/** \`calc.op/1.0\`. */
export const CalcOp: InterfaceSpec<{
  apply: "fallible f64 apply(f64 a, f64 b)";
  name: "cstring name()";
}> = defineInterface("calc.op", "1.0", {
  apply: "fallible f64 apply(f64 a, f64 b)",
  name: "cstring name()",
});
`,
      );
    },
  );
  await t.step("the summary names the next steps", async () => {
    const r = await captureCli(["new", "kv2", "--dir", `${root}/kv2`]);
    assertEquals(r.out, [
      `created kv2 (c, interface kv2/1.0) in ${root}/kv2/:`,
      "  kv2.c, bindings.ts, host.ts, deno.json, .gitignore",
      "next:",
      `  cd ${root}/kv2`,
      "  deno task build     # deno run --allow-read=. --allow-write=. --allow-run=cc --allow-env=CC @plugboard/plugboard/cli build kv2.c",
      "  deno task host      # load the plugin and call it",
      "  deno task bindgen   # after changing the interface: regenerate bindings.ts",
      "  deno task trust     # record it in plugboard.lock; deno task verify checks it",
    ]);
  });
  await Deno.remove(root, { recursive: true });
});

Deno.test("plugboard new refuses a bad name, and never overwrites a file", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "plugboard-new-" });
  const cases: [string, string[], number, string][] = [
    [
      "a name with capitals",
      ["new", "Kv"],
      2,
      'error[USAGE]: Plugin name "Kv" is not lower-case letters, digits, "-" and "_", starting with a letter',
    ],
    [
      "an unknown language",
      ["new", "kv", "--lang", "zig"],
      2,
      'error[USAGE]: --lang "zig" is not one of c, cpp, rust, go',
    ],
    [
      "a bad interface id",
      ["new", "kv", "--interface", "Calc Op"],
      2,
      'error[USAGE]: Interface id "Calc Op" is not lower-case letters, digits, ".", "-" and "_"',
    ],
    ["no name", ["new"], 2, "error[USAGE]: new takes one NAME, got 0"],
  ];
  for (const [name, args, code, line] of cases) {
    await t.step(name, async () => {
      const r = await captureCli(args);
      assertEquals([r.code, r.err[0]], [code, line]);
    });
  }
  await t.step("an existing file", async () => {
    await Deno.mkdir(`${root}/kv`);
    await Deno.writeTextFile(`${root}/kv/host.ts`, "// mine\n");
    const r = await captureCli(["new", "kv", "--dir", `${root}/kv`]);
    assertEquals(r, {
      code: 2,
      out: [],
      err: [
        `error[USAGE]: Cannot create plugin "kv" in "${root}/kv": "${root}/kv/host.ts" exists`,
        "hint: choose another --dir, or move the existing files away",
      ],
    });
    assertEquals([...Deno.readDirSync(`${root}/kv`)].map((e) => e.name), ["host.ts"]);
  });
  await Deno.remove(root, { recursive: true });
});
