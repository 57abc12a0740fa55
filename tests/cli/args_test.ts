import { assertEquals, assertThrows } from "../_assert.ts";
import { isOption, oneOf, parseArgs, positiveInteger } from "../../src/cli/_args.ts";
import { UsageError } from "../../src/cli/_output.ts";
import { PluginError } from "../../src/errors/plugin_error.ts";

const SPEC = {
  command: "demo",
  flags: ["json", "no-cache"],
  options: ["lock"],
  lists: ["dir"],
  short: { o: "lock" },
} as const;

Deno.test("parseArgs() reads flags, options, lists and positionals by one spec", async (t) => {
  const cases: [string, string[], Record<string, unknown>][] = [
    ["nothing", [], { positionals: [], json: false, lock: undefined, dir: [] }],
    [
      "options anywhere, values after a space or =",
      ["a", "--lock", "x.lock", "b", "--json", "--dir=d1", "--dir", "d2"],
      { positionals: ["a", "b"], json: true, lock: "x.lock", dir: ["d1", "d2"] },
    ],
    [
      "negative numbers and - are positionals",
      ["-5", "-0", "-.5", "-(1+2)", "-", "-1e3"],
      {
        positionals: ["-5", "-0", "-.5", "-(1+2)", "-", "-1e3"],
        json: false,
        lock: undefined,
        dir: [],
      },
    ],
    [
      "after --, everything is positional",
      ["--json", "--", "--lock", "-x"],
      { positionals: ["--lock", "-x"], json: true, lock: undefined, dir: [] },
    ],
    [
      "a short alias, with its value apart or joined",
      ["-o", "a.lock", "p"],
      { positionals: ["p"], json: false, lock: "a.lock", dir: [] },
    ],
    ["-oVALUE", ["-ob.lock"], { positionals: [], json: false, lock: "b.lock", dir: [] }],
    ["an empty value with =", ["--lock="], { positionals: [], json: false, lock: "", dir: [] }],
  ];
  for (const [name, args, want] of cases) {
    await t.step(name, () => {
      const a = parseArgs(args, SPEC);
      assertEquals({
        positionals: a.positionals,
        json: a.flags.json,
        lock: a.options.lock,
        dir: a.lists.dir,
      }, want);
      assertEquals(a.rest, []);
    });
  }
  await t.step("-h and --help are always known", () => {
    assertEquals(parseArgs(["-h"], { command: "x" }).flags.help, true);
    assertEquals(parseArgs(["--help"], { command: "x" }).flags.help, true);
  });
  await t.step("words after -- go to rest when the spec says so", () => {
    const a = parseArgs(["a.c", "--", "-lm", "-O3"], { command: "build", afterDashDash: "rest" });
    assertEquals([a.positionals, a.rest], [["a.c"], ["-lm", "-O3"]]);
  });
});

Deno.test("parseArgs() refuses a bad command line with a USAGE error naming the command", async (t) => {
  const cases: [string, string[], string][] = [
    ["an unknown long option", ["--frob"], 'Unknown option "--frob"'],
    ["an unknown long option with a value", ["--frob=1"], 'Unknown option "--frob"'],
    ["an unknown short option", ["-x"], 'Unknown option "-x"'],
    ["a value for a flag", ["--json=yes"], 'Option "--json" takes no value'],
    ["a missing value at the end", ["--lock"], 'Option "--lock" needs a value'],
    ["a missing value before an option", ["--lock", "--json"], 'Option "--lock" needs a value'],
    ["an option given twice", ["--lock", "a", "--lock=b"], 'Option "--lock" is given twice'],
    ["joined short flags", ["-hx"], 'Unknown option "-hx"'],
  ];
  for (const [name, args, message] of cases) {
    await t.step(name, () => {
      const e = assertThrows(() => parseArgs(args, SPEC), UsageError);
      assertEquals([e.code, e.summary, e.hint, e.command], [
        "USAGE",
        message,
        "see plugboard demo --help",
        "demo",
      ]);
    });
  }
});

Deno.test("isOption(), positiveInteger() and oneOf()", () => {
  assertEquals(["-x", "--x", "-5", "-", "--", "x"].map(isOption), [
    true,
    true,
    false,
    false,
    false,
    false,
  ]);
  assertEquals(positiveInteger("probe", "timeout", "250"), 250);
  assertEquals(positiveInteger("probe", "timeout", undefined), undefined);
  for (const bad of ["0", "-1", "1.5", "soon", ""]) {
    const e = assertThrows(() => positiveInteger("probe", "timeout", bad), PluginError);
    assertEquals([e.code, e.summary], [
      "USAGE",
      `--timeout ${JSON.stringify(bad)} is not a positive integer`,
    ]);
  }
  assertEquals(oneOf("new", "lang", "go", ["c", "go"]), "go");
  assertEquals(
    assertThrows(() => oneOf("new", "lang", "java", ["c", "go"]), PluginError).summary,
    '--lang "java" is not one of c, go',
  );
});
