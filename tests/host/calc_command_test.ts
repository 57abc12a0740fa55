import assert from "node:assert/strict";
import { join } from "node:path";
import { captureCli } from "../_cli.ts";
import { populate, tempDir } from "./_host.ts";

const run = captureCli;

const dir = await populate(await tempDir(), {
  "calc_add.so": { plugin: "calc_add" },
  "calc_div.so": { plugin: "calc_div" },
  "calc_mul.so": { plugin: "calc_mul" },
  "calc_sub.so": { plugin: "calc_sub" },
  // Skipped, and the calculator still works:
  "greeter.so": { plugin: "greeter" },
  "notes.so": { text: "not a library\n" },
  "plain.so": { fixture: "plain" },
});
const div = JSON.stringify(join(dir, "calc_div.so"));
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

/** Files in the directory that are not plugins earn a warning each (greeter.so, another interface, does not). */
const WARNINGS = [
  `warning[NOT_ELF]: Cannot load plugin "${dir}/notes.so": not an ELF file: expected an ELF shared library (beginning 7f 45 4c 46), found text beginning "not a li"`,
  "hint: this is not a compiled shared library; build it with `cc -shared -fPIC -o plugin.so plugin.c`",
  `warning[NOT_A_PLUGIN]: Cannot load plugin "${dir}/plain.so": no plugboard metadata: expected a ".note.plugboard" note written by PLUGBOARD_PLUGIN(...), found an ordinary shared library (1 exported symbol, no plugboard note)`,
  "hint: declare the plugin with PLUGBOARD_PLUGIN(name, version) from plugboard.h (docs/abi.md for other languages); to call an ordinary library, use openLibrary() with declared signatures",
];

Deno.test("plugboard calc evaluates expressions with operator plugins", async (t) => {
  const cases = [
    { args: ["10 / 5"], out: ["10 / 5 = 2"] },
    { args: ["3", "*", "4"], out: ["3 * 4 = 12"] },
    { args: ["2 + 3 * 4"], out: ["2 + 3 * 4 = 14"] },
    { args: ["(1 + 2) * -4"], out: ["(1 + 2) * -4 = -12"] },
    { args: ["10 - 2 - 3"], out: ["10 - 2 - 3 = 5"] },
    { args: ["1.5*2; 9/4"], out: ["1.5*2 = 3", "9/4 = 2.25"] },
  ];
  for (const c of cases) {
    await t.step(c.args.join(" "), async () => {
      assert.deepEqual(await run(["calc", "--dir", dir, ...c.args]), {
        code: 0,
        out: c.out,
        err: WARNINGS,
      });
    });
  }
});

Deno.test("plugboard calc shows a plugin's error instead of crashing", async (t) => {
  const cases = [
    {
      name: "division by zero: the plugin's own error",
      args: ["1 / 0"],
      code: 1,
      out: [],
      err: [
        `error[CALL_FAILED] (plugin code 1): Call to "apply" in plugin ${div} failed: division by zero`,
        "hint: the plugin reported this error; check the arguments or the plugin's documentation",
      ],
    },
    {
      name: "an operator no plugin provides: those available are listed",
      args: ["2 ^ 3"],
      code: 2,
      out: [],
      err: [
        'error[USAGE]: Cannot evaluate "2 ^ 3": no plugin provides operator "^"',
        "hint: available operators: + / * -",
      ],
    },
    {
      name: "a syntax error",
      args: ["7 *"],
      code: 2,
      out: [],
      err: [
        'error[USAGE]: Cannot evaluate "7 *": expected a number, found the end',
        'hint: write NUMBER OPERATOR NUMBER, e.g. "10 / 5"; operators: + / * -',
      ],
    },
    {
      name: "a failing expression does not stop the others",
      args: ["10 / 5; 1 / 0; 3 * 4"],
      code: 1,
      out: ["10 / 5 = 2", "3 * 4 = 12"],
      err: [
        `error[CALL_FAILED] (plugin code 1): Call to "apply" in plugin ${div} failed: division by zero`,
        "hint: the plugin reported this error; check the arguments or the plugin's documentation",
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      assert.deepEqual(await run(["calc", "--dir", dir, ...c.args]), {
        code: c.code,
        out: c.out,
        err: [...WARNINGS, ...c.err],
      });
    });
  }
});

Deno.test("plugboard calc --json and --log", async (t) => {
  await t.step("--json prints a result object per expression", async () => {
    const r = await run(["calc", "--json", `--dir=${dir}`, "10 / 5; 1 / 0"]);
    assert.equal(r.code, 1);
    assert.deepEqual(r.out.map((l) => JSON.parse(l)), [
      { expression: "10 / 5", result: 2 },
      {
        error: {
          code: "CALL_FAILED",
          message: `Call to "apply" in plugin ${div} failed: division by zero`,
          hint: "the plugin reported this error; check the arguments or the plugin's documentation",
          pluginCode: 1,
        },
      },
    ]);
  });
  await t.step("--log prints a record per load, skip and call", async () => {
    const r = await run(["calc", "--dir", dir, "--log", "--json", "6 / 3"]);
    assert.equal(r.code, 0);
    assert.deepEqual(r.out, ['{"expression":"6 / 3","result":2}']);
    const records = r.err.map((l) => JSON.parse(l));
    const of = (event: string) => records.filter((x) => x.event === event);
    assert.deepEqual(of("load").map((x) => x.plugin), [
      "calc-add",
      "calc-div",
      "calc-mul",
      "calc-sub",
    ]);
    assert.deepEqual(of("skip").map((x) => [x.path.slice(dir.length + 1), x.code]), [
      ["greeter.so", "INTERFACE_MISSING"],
      ["notes.so", "NOT_ELF"],
      ["plain.so", "NOT_A_PLUGIN"],
    ]);
    const calls = of("call").map((x) => `${x.plugin} ${x.function}`);
    assert.deepEqual(calls, [
      "calc-add name",
      "calc-div name",
      "calc-mul name",
      "calc-sub name",
      "calc-div apply",
    ]);
    assert.ok(of("call").every((x) => typeof x.durationMs === "number" && x.sha256.length === 12));
  });
});

Deno.test("plugboard calc without operator plugins, or with a bad option", async (t) => {
  const empty = await tempDir();
  await t.step("no calc.op/1 plugin: INTERFACE_MISSING", async () => {
    const r = await run(["calc", "--dir", empty, "1 + 1"]);
    assert.equal(r.code, 1);
    assert.equal(
      r.err[0],
      `error[INTERFACE_MISSING]: No calc.op/1 plugins in ${JSON.stringify(empty)}`,
    );
  });
  await t.step("no directory at all: USAGE", async () => {
    const saved = Deno.env.get("PLUGBOARD_PATH");
    Deno.env.delete("PLUGBOARD_PATH");
    const r = await run(["calc", "1 + 1"]);
    if (saved !== undefined) Deno.env.set("PLUGBOARD_PATH", saved);
    assert.deepEqual(r, {
      code: 2,
      out: [],
      err: [
        "error[USAGE]: expected a directory of calc.op/1 plugins, found no --dir and no PLUGBOARD_PATH",
        "hint: see plugboard calc --help",
      ],
    });
  });
  await t.step("an unknown option: USAGE", async () => {
    const r = await run(["calc", "--fast", "1 + 1"]);
    assert.equal(r.code, 2);
    assert.equal(r.err[0], 'error[USAGE]: Unknown option "--fast"');
  });
  await Deno.remove(empty, { recursive: true });
});
