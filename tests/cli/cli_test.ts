import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { captureCli } from "../_cli.ts";
import { fixture, plugin, ROOT } from "../_paths.ts";

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await captureCli(args);
  return { code: r.code, out: r.out.join("\n"), err: r.err.join("\n") };
}

Deno.test("plugboard call prints the result of MyFunction", async (t) => {
  await t.step("hello -> 42", async () => {
    assertEquals(await cli("call", plugin("myfunction"), "MyFunction", "hello"), {
      code: 0,
      out: "42",
      err: "",
    });
  });
  await t.step("greet", async () => {
    assertEquals((await cli("call", plugin("greeter"), "greet", "World")).out, "Hello, World");
  });
  await t.step("--json", async () => {
    assertEquals(
      (await cli("call", plugin("myfunction"), "MyFunction", "hello", "--json")).out,
      '{"result":42}',
    );
  });
  await t.step("a negative number is an argument, not an option", async () => {
    assertEquals((await cli("call", plugin("calc_sub"), "apply", "-5", "2.5")).out, "-7.5");
  });
  await t.step("the plugin's own error", async () => {
    const r = await cli("call", plugin("myfunction"), "MyFunction", "");
    assertEquals(r.code, 1);
    assertEquals(
      r.err,
      `error[CALL_FAILED]: Call to "MyFunction" in plugin "${
        plugin("myfunction")
      }" failed: input is empty\nhint: the plugin reported this error; check the arguments or the plugin's documentation`,
    );
  });
  await t.step("the plugin's own error as JSON", async () => {
    const r = await cli("call", plugin("calc_div"), "apply", "1", "0", "--json");
    assertEquals(r.code, 1);
    assertEquals(JSON.parse(r.out).error.code, "CALL_FAILED");
    assertMatch(JSON.parse(r.out).error.message, /division by zero$/);
  });
});

Deno.test("plugboard call reports load and usage errors with exit codes", async (t) => {
  const cases: [string, string[], number, RegExp][] = [
    [
      "a missing file",
      ["call", "build/nope.so", "f"],
      1,
      /^error\[NOT_FOUND\]: Cannot load plugin "build\/nope.so": no such file/,
    ],
    [
      "ABI mismatch",
      ["call", fixture("abi2"), "greet", "x"],
      1,
      /^error\[ABI_MISMATCH\]: .*expected ABI 1\.x, found ABI 2\.0\nhint: rebuild the plugin against native\/plugboard.h 1\.x/,
    ],
    [
      "a typo",
      ["call", plugin("greeter"), "gret", "x"],
      1,
      /^error\[SYMBOL_MISSING\]: .*did you mean "greet"\?/,
    ],
    [
      "wrong argument count",
      ["call", plugin("greeter"), "greet"],
      2,
      /^error\[USAGE\]: greet takes 1 argument\(s\) \(cstring\), got 0/,
    ],
    [
      "a bad number",
      ["call", plugin("calc_add"), "apply", "x", "1"],
      2,
      /^error\[USAGE\]: Argument 1 \("x"\) is not a number \(f64\)/,
    ],
    ["an unknown command", ["frobnicate"], 2, /^error\[USAGE\]: Unknown command "frobnicate"/],
    [
      "an unknown option",
      ["inspect", "--frob", "x"],
      2,
      /^error\[USAGE\]: Unknown option "--frob"/,
    ],
  ];
  for (const [name, args, code, err] of cases) {
    await t.step(name, async () => {
      const r = await cli(...args);
      assertEquals(r.code, code);
      assertMatch(r.err, err);
    });
  }
  await t.step("--json errors", async () => {
    const r = await cli("call", fixture("abi2"), "greet", "x", "--json");
    assertEquals(JSON.parse(r.out), {
      error: {
        code: "ABI_MISMATCH",
        message: `Cannot load plugin "${
          fixture("abi2")
        }": ABI major version mismatch: expected ABI 1.x, found ABI 2.0`,
        hint: "rebuild the plugin against native/plugboard.h 1.x (PLUGBOARD_ABI_MAJOR 1)",
      },
    });
  });
});

Deno.test("plugboard inspect shows metadata without running the plugin", async (t) => {
  await t.step("human-readable", async () => {
    const r = await cli("inspect", plugin("counter"));
    assertEquals(r.code, 0);
    const lines = r.out.split("\n");
    assertEquals(lines[0], `counter 0.1.0  (${plugin("counter")})`);
    assert(!r.out.includes("plugin constructor"), "the constructor did not run");
    assertMatch(r.out, /^ {2}ABI {10}1\.0 \(this host: 1\.0\)$/m);
    assertMatch(r.out, /^ {2}hooks {8}init, shutdown$/m);
    assertMatch(r.out, /^ {6}i32 inc_slow\(i32\)$/m);
    assertMatch(r.out, /^ {2}compiler {5}gcc \d+/m);
    assertMatch(r.out, /^ {2}exports {6}.*counter_value.*plugboard_entry/m);
  });
  await t.step("--json", async () => {
    const r = await cli("inspect", plugin("myfunction"), "--json");
    const j = JSON.parse(r.out);
    assertEquals(j.name, "myfunction");
    assertEquals(j.abi, "1.0");
    assertEquals(j.interfaces[0].functions, ["fallible i32 MyFunction(cstring)"]);
    assertMatch(j.sha256, /^[0-9a-f]{64}$/);
    assertMatch(j.buildId, /^[0-9a-f]{16}$/);
  });
  await t.step("a non-plugin", async () => {
    const r = await cli("inspect", fixture("plain"));
    assertEquals(r.code, 1);
    assertMatch(r.err, /^error\[NOT_A_PLUGIN\]/);
  });
  await t.step("--help on every command", async () => {
    for (const c of ["inspect", "call"]) {
      const r = await cli(c, "--help");
      assertEquals(r.code, 0);
      assertMatch(r.out, new RegExp(`^Usage: plugboard ${c} `));
    }
    assertMatch((await cli("--help")).out, /^plugboard: load native plugins into Deno safely/);
    assertEquals((await cli()).code, 2);
  });
});

Deno.test("the CLI runs as a deno task with the documented exit codes", async () => {
  const run = (...args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}/src/cli/main.ts`, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
  const ok = await run("call", plugin("myfunction"), "MyFunction", "hello");
  assertEquals([ok.code, new TextDecoder().decode(ok.stdout)], [0, "42\n"]);
  const usage = await run("call");
  assertEquals(usage.code, 2);
  const fail = await run("call", fixture("abi2"), "greet", "x");
  assertEquals(fail.code, 1);
});
