import { assertEquals } from "../_assert.ts";
import {
  checkOutput,
  defineScenario,
  docsSections,
  type Expectation,
  firstDifference,
  machineNeutral,
  normalizeOutput,
  renderDocs,
  ROOT,
  type ScenarioResult,
  type ScriptStatus,
  slug,
} from "../../tasks/scenarios/_runner.ts";

Deno.test("normalizeOutput() replaces what changes between runs", async (t) => {
  const cases: [string, string, string][] = [
    ["temporary directory", 'open "/tmp/plugboard-scen-1a2b3c/x.so"\n', 'open "$TMP/x.so"\n'],
    [
      "temporary directory under TMPDIR",
      "built /var/tmp/a/plugboard-scen-Zz_09/geo.so (gcc)\n",
      "built $TMP/geo.so (gcc)\n",
    ],
    ["checkout", `at file://${ROOT}/tasks/x.ts:1\n`, "at file://./tasks/x.ts:1\n"],
    ["sha256", `sha ${"ab".repeat(32)}\n`, "sha <sha256>\n"],
    ["build id", "build id 75942231fda4f846\n", "build id <hex>\n"],
    ["hash prefix with ellipsis", "expected 929e33d7d607… found\n", "expected <hex>… found\n"],
    ["address", "at 0x7f12ab34cd56\n", "at 0x<addr>\n"],
    [
      "timings",
      "(a) 709448 ns/op, 3.8 ns, 2.45 µs, 12.5 ms\n",
      "(a) <n> ns/op, <n> ns, <n> µs, <n> ms\n",
    ],
    ["negative timing", "difference: -1.8 ns per call\n", "difference: <n> ns per call\n"],
    ["ratio", "faster: 10922x\n", "faster: <n>x\n"],
    ["pid", "child pid 4242 died\n", "child pid <n> died\n"],
    ["trailing blanks and blank ends", "\n\na  \nb\t\n\n", "a\nb\n"],
    ["plain text untouched", "calc-add: 6 + 3 = 9\n", "calc-add: 6 + 3 = 9\n"],
    ["empty", "", ""],
  ];
  for (const [name, input, expected] of cases) {
    await t.step(name, () => assertEquals(normalizeOutput(input, []), expected));
  }
  await t.step("a scenario's own replacements run after the common ones", () => {
    assertEquals(
      normalizeOutput("area = 1718231\n", [[/(area = )\d+/, "$1<garbage>"]]),
      "area = <garbage>\n",
    );
  });
});

Deno.test("machineNeutral() masks version numbers only", () => {
  assertEquals(
    machineNeutral("cc (Debian 12.2.0-14+deb12u1) 12.2.0\ngcc 12.2.0, abi=1.0, 6 + 3 = 9"),
    "cc (Debian <version>) <version>\ngcc <version>, abi=1.0, 6 + 3 = 9",
  );
});

Deno.test("checkOutput() reports each unmet expectation", async (t) => {
  const ok: ScriptStatus = { exitCode: 0, signal: null };
  const cases: [string, string, Expectation, ScriptStatus, string[]][] = [
    ["all lines in order", "a\nb\nc\n", { lines: ["a", /^c$/] }, ok, []],
    ["a missing line", "a\nb\n", { lines: ["a", "z"] }, ok, ['expected line "z" not found']],
    [
      "lines out of order",
      "b\na\n",
      { lines: ["a", "b"] },
      ok,
      ['expected line "b" out of order (found at line 1)'],
    ],
    ["whole lines only", "abc\n", { lines: ["ab"] }, ok, ['expected line "ab" not found']],
    [
      "a FAIL line from the script",
      "FAIL: x is 3: 4\n",
      { lines: [] },
      ok,
      ['the script reported "FAIL: x is 3: 4"'],
    ],
    [
      "the exit code",
      "a\n",
      { lines: ["a"] },
      { exitCode: 1, signal: null },
      ["expected exit code 0, found 1"],
    ],
    [
      "a signal",
      "a\n",
      { exitCode: 0, lines: [] },
      { exitCode: 139, signal: "SIGSEGV" },
      ["expected exit code 0, found 139 (SIGSEGV)"],
    ],
    ["an expected non-zero exit code", "", { exitCode: 3, lines: [] }, {
      exitCode: 3,
      signal: null,
    }, []],
  ];
  for (const [name, output, expect, status, failures] of cases) {
    await t.step(name, () => assertEquals(checkOutput(output, expect, status), failures));
  }
});

Deno.test("defineScenario() derives the script and command from the module", () => {
  const s = defineScenario(new URL("../../tasks/scenarios/example.ts", import.meta.url).href, {
    name: "example",
    title: "Example",
    description: "d",
    why: "w",
    expect: { lines: [] },
  });
  assertEquals(s.script, "tasks/scenarios/example.ts");
  assertEquals(s.command, "deno run -A tasks/scenarios/example.ts");
});

Deno.test("renderDocs() writes a contents list, sections and verdicts", () => {
  const scenario = defineScenario(
    new URL("../../tasks/scenarios/example.ts", import.meta.url).href,
    {
      name: "example",
      title: "Example: one, two",
      description: "What it does.",
      why: "Why it happens.",
      expect: { lines: ["a"] },
    },
  );
  const result: ScenarioResult = {
    scenario,
    passed: true,
    failures: [],
    exitCode: 0,
    signal: null,
    timedOut: false,
    output: "a\n",
    normalized: "a\n",
    durationMs: 12,
  };
  const page = renderDocs([result]);
  assertEquals(page.includes("1. [Example: one, two](#1-example-one-two)\n"), true);
  const sections = docsSections(page);
  assertEquals([...sections.keys()], ["## 1. Example: one, two"]);
  assertEquals(
    sections.get("## 1. Example: one, two"),
    [
      "## 1. Example: one, two",
      "",
      "What it does.",
      "",
      "```sh",
      "deno run -A tasks/scenarios/example.ts",
      "```",
      "",
      "```text",
      "a",
      "```",
      "",
      "Verdict: **PASS** (exit code 0; 1 expected line found in order)",
      "",
      "### Why it happens",
      "",
      "Why it happens.",
    ].join("\n"),
  );
});

Deno.test("slug() makes GitHub's heading anchors", () => {
  assertEquals(slug("1. First plugin: build, load, call"), "1-first-plugin-build-load-call");
  assertEquals(slug("10. Lazy vs eager: start-up"), "10-lazy-vs-eager-start-up");
});

Deno.test("firstDifference() names the first differing line", () => {
  assertEquals(firstDifference("a\nb\n", "a\nb\n"), undefined);
  assertEquals(firstDifference("a\nb\n", "a\nc\n"), 'line 2: expected "b", found "c"');
  assertEquals(firstDifference("a\n", "a\nb\n"), 'line 2: expected "", found "b"');
  assertEquals(firstDifference("a", "a\nb"), 'line 2: expected end of text, found "b"');
});
