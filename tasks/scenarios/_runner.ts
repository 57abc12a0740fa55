/**
 * The scenario runner: runs each scenario script in its own child process,
 * captures its output verbatim (stdout and stderr in one pipe, in the order
 * they were written), normalises what varies from run to run, checks the
 * output against what the scenario expects, and renders the report and the
 * `docs/failure-modes.md` page.
 *
 * @module
 */

import { relative } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The repository root, absolute, without a trailing slash.
 *
 * @example
 * ```ts
 * import { ROOT } from "./_runner.ts";
 *
 * console.log(`${ROOT}/docs/failure-modes.md`);
 * ```
 */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");

/** A line the output must contain: an exact line, or a pattern a whole line matches. */
export type ExpectedLine = string | RegExp;

/** What a scenario's run must show. */
export interface Expectation {
  /** The exit code of the scenario script. @default 0 */
  exitCode?: number;
  /** Lines that must appear in the normalised output, in this order (others may come between). */
  lines: readonly ExpectedLine[];
}

/** A replacement applied to the captured output before it is checked and documented. */
export type Normalizer = readonly [pattern: RegExp, replacement: string];

/** One failure-mode scenario: a standalone script plus what its run must show. */
export interface Scenario {
  /** The name used on the command line, e.g. `first-plugin`. */
  readonly name: string;
  /** The section title in the docs. */
  readonly title: string;
  /** What it does, one paragraph. */
  readonly description: string;
  /** Why it happens, one paragraph. */
  readonly why: string;
  /** The script, relative to the repository root, e.g. `tasks/scenarios/first_plugin.ts`. */
  readonly script: string;
  /** The command line shown in the docs. */
  readonly command: string;
  /** What the run must show. */
  readonly expect: Expectation;
  /** Replacements for values that change between runs, after the common ones. @default [] */
  readonly normalize?: readonly Normalizer[];
  /** Kill the script after this long. @default 120000 */
  readonly timeoutMs?: number;
}

/** The fields of a scenario that its module writes; the rest is derived. */
export type ScenarioDefinition = Omit<Scenario, "script" | "command">;

/**
 * Declare a scenario from its own module: the script is that module.
 *
 * @example A scenario module
 * ```ts ignore
 * export const scenario = defineScenario(import.meta.url, {
 *   name: "first-plugin",
 *   title: "First plugin",
 *   description: "Builds the greeter and calls it.",
 *   why: "...",
 *   expect: { lines: ['"Hello, World"'] },
 * });
 * ```
 *
 * @param moduleUrl `import.meta.url` of the scenario's module
 * @param definition name, texts and expectations
 * @returns the scenario
 */
export function defineScenario(moduleUrl: string, definition: ScenarioDefinition): Scenario {
  const script = relative(ROOT, fileURLToPath(moduleUrl));
  return Object.freeze({ ...definition, script, command: `deno run -A ${script}` });
}

/** What running one scenario gave. */
export interface ScenarioResult {
  /** The scenario. */
  readonly scenario: Scenario;
  /** Whether every expectation held. */
  readonly passed: boolean;
  /** What did not hold, one line each; empty when passed. */
  readonly failures: readonly string[];
  /** The script's exit code. */
  readonly exitCode: number;
  /** The signal that ended the script, if one did. */
  readonly signal: string | null;
  /** Whether the script was killed for taking longer than its timeout. */
  readonly timedOut: boolean;
  /** The output as captured, stdout and stderr interleaved. */
  readonly output: string;
  /** The output after normalisation: what is checked and documented. */
  readonly normalized: string;
  /** Wall-clock time of the script, in milliseconds. */
  readonly durationMs: number;
}

/** Options of {@linkcode runScenarios}. */
export interface RunScenariosOptions {
  /** How many scripts run at once. @default 2 */
  jobs?: number;
  /** Called with each result as soon as it is known (in completion order). */
  onResult?: (result: ScenarioResult) => void;
}

/**
 * Run scenarios, `jobs` at a time, each in its own `deno run -A` child with
 * the repository root as working directory and `NO_COLOR=1`.
 *
 * @example Running two scenarios
 * ```ts ignore
 * import { runScenarios } from "./_runner.ts";
 * import { scenario as a } from "./first_plugin.ts";
 * import { scenario as b } from "./unload.ts";
 *
 * const results = await runScenarios([a, b], { onResult: (r) => console.log(r.scenario.name, r.passed) });
 * ```
 *
 * @param scenarios the scenarios
 * @param options parallelism and a progress callback
 * @returns the results, in the order of `scenarios`
 */
export async function runScenarios(
  scenarios: readonly Scenario[],
  options: RunScenariosOptions = {},
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = new Array(scenarios.length);
  let next = 0;
  const worker = async () => {
    while (next < scenarios.length) {
      const i = next++;
      results[i] = await runScenario(scenarios[i]);
      options.onResult?.(results[i]);
    }
  };
  const jobs = Math.max(1, Math.min(options.jobs ?? 2, scenarios.length));
  await Promise.all(Array.from({ length: jobs }, worker));
  return results;
}

/**
 * Run one scenario and check its output.
 *
 * @example
 * ```ts ignore
 * import { runScenario } from "./_runner.ts";
 * import { scenario } from "./unload.ts";
 *
 * const r = await runScenario(scenario);
 * console.log(r.passed ? "PASS" : r.failures.join("\n"));
 * ```
 *
 * @param scenario the scenario
 * @returns the result
 */
export async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  const timeoutMs = scenario.timeoutMs ?? 120_000;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const started = performance.now();
  // One pipe for both streams keeps their order: `exec` so the kill on
  // timeout reaches deno itself.
  const child = new Deno.Command("sh", {
    args: ["-c", 'exec "$0" run -A "$1" 2>&1', Deno.execPath(), scenario.script],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
    signal: controller.signal,
  });
  const out = await child.output();
  clearTimeout(timer);
  const durationMs = performance.now() - started;
  const output = new TextDecoder().decode(out.stdout);
  const normalized = normalizeOutput(output, scenario.normalize ?? []);
  const failures = checkOutput(normalized, scenario.expect, {
    exitCode: out.code,
    signal: out.signal,
  });
  if (timedOut) failures.unshift(`killed after ${timeoutMs} ms (timeout)`);
  return {
    scenario,
    passed: failures.length === 0,
    failures,
    exitCode: out.code,
    signal: out.signal,
    timedOut,
    output,
    normalized,
    durationMs,
  };
}

/**
 * Replacements every scenario's output goes through, in order.
 *
 * @example Applying them by hand
 * ```ts
 * import { COMMON_NORMALIZERS } from "./_runner.ts";
 *
 * let text = "build id 75942231fda4f846";
 * for (const [pattern, replacement] of COMMON_NORMALIZERS) text = text.replace(pattern, replacement);
 * console.log(text); // "build id <hex>"
 * ```
 */
export const COMMON_NORMALIZERS: readonly Normalizer[] = Object.freeze([
  // Colour codes, should a tool print them despite NO_COLOR.
  // deno-lint-ignore no-control-regex
  [/\x1b\[[0-9;]*m/g, ""],
  // Temporary directories made by the scenarios (prefix plugboard-scen-).
  [/(?:\/[^\s"'/:()]+)*\/plugboard-scen-[A-Za-z0-9_]+/g, "$TMP"],
  // The checkout's location.
  [new RegExp(escapeRegExp(ROOT), "g"), "."],
  // SHA-256 digests, then shorter hex ids (build ids, hash prefixes).
  [/\b[0-9a-f]{64}\b/g, "<sha256>"],
  [/\b[0-9a-f]{12,63}\b/g, "<hex>"],
  // Timings and ratios, then addresses (whose "0x" is not a ratio).
  [/-?\b\d+(?:\.\d+)?(?:e[+-]?\d+)? ?(ns|µs|us|ms)\b/g, "<n> $1"],
  [/\b\d+(?:\.\d+)?x\b/g, "<n>x"],
  [/\b0x[0-9a-f]{6,16}\b/g, "0x<addr>"],
  [/\bpid \d+/g, "pid <n>"],
  // Inodes and devices of temporary files.
  [/\binode \d+/g, "inode <n>"],
  [/\bdevice [0-9a-f]+:[0-9a-f]+/g, "device <dev>"],
]);

/**
 * Normalise captured output: the common replacements, then the scenario's,
 * and trailing blanks removed from every line.
 *
 * @example A timing line
 * ```ts
 * import { normalizeOutput } from "./_runner.ts";
 *
 * console.log(normalizeOutput("open: 1234.5 ns/op\n", [])); // "open: <n> ns/op\n"
 * ```
 *
 * @param output the captured output
 * @param extra the scenario's own replacements
 * @returns the normalised output, ending in one newline (or empty)
 */
export function normalizeOutput(output: string, extra: readonly Normalizer[]): string {
  let text = output.replace(/\r\n/g, "\n");
  for (const [pattern, replacement] of [...COMMON_NORMALIZERS, ...extra]) {
    text = text.replace(pattern, replacement);
  }
  text = text.split("\n").map((l) => l.trimEnd()).join("\n").trim();
  return text === "" ? "" : text + "\n";
}

/**
 * Mask what differs between machines of the same kind but not between runs:
 * version numbers (compiler, C library, plugin versions). The docs page
 * shows the real values; the staleness check compares through this.
 *
 * @example A compiler version
 * ```ts
 * import { machineNeutral } from "./_runner.ts";
 *
 * console.log(machineNeutral("compiler: gcc 12.2.0")); // "compiler: gcc <version>"
 * ```
 *
 * @param text normalised output or a whole docs page
 * @returns the text with versions masked
 */
export function machineNeutral(text: string): string {
  return text.replace(/\b\d+\.\d+\.\d+[\w.+~-]*/g, "<version>");
}

/** How a script ended. */
export interface ScriptStatus {
  /** Its exit code. */
  exitCode: number;
  /** The signal that ended it, if one did. */
  signal: string | null;
}

/**
 * Check normalised output against an expectation: the exit code, every
 * expected line in order, and no line starting with `FAIL:` (the scripts'
 * own checks print those).
 *
 * @example Two expected lines
 * ```ts
 * import { checkOutput } from "./_runner.ts";
 *
 * const failures = checkOutput("a\nok: b\n", { lines: ["a", /^ok: /] }, { exitCode: 0, signal: null });
 * console.log(failures); // []
 * ```
 *
 * @param normalized the normalised output
 * @param expect the expectation
 * @param status how the script ended
 * @returns one line per failure; empty when everything held
 */
export function checkOutput(
  normalized: string,
  expect: Expectation,
  status: ScriptStatus,
): string[] {
  const failures: string[] = [];
  const wantCode = expect.exitCode ?? 0;
  if (status.exitCode !== wantCode || status.signal !== null) {
    failures.push(
      `expected exit code ${wantCode}, found ${status.exitCode}${
        status.signal ? ` (${status.signal})` : ""
      }`,
    );
  }
  const lines = normalized.split("\n");
  for (const line of lines) {
    if (line.startsWith("FAIL:")) failures.push(`the script reported ${JSON.stringify(line)}`);
  }
  let at = 0;
  for (const want of expect.lines) {
    const found = lines.findIndex((l, i) => i >= at && lineMatches(l, want));
    if (found === -1) {
      const seen = lines.findIndex((l) => lineMatches(l, want));
      failures.push(
        `expected line ${showExpected(want)}${
          seen === -1 ? " not found" : ` out of order (found at line ${seen + 1})`
        }`,
      );
    } else {
      at = found + 1;
    }
  }
  return failures;
}

function lineMatches(line: string, want: ExpectedLine): boolean {
  if (typeof want === "string") return line === want;
  want.lastIndex = 0;
  return want.test(line);
}

function showExpected(want: ExpectedLine): string {
  return typeof want === "string" ? JSON.stringify(want) : String(want);
}

function verdict(r: ScenarioResult): string {
  return r.passed ? "PASS" : "FAIL";
}

function exitText(r: ScenarioResult): string {
  return r.signal ? `signal ${r.signal}` : `exit code ${r.exitCode}`;
}

/**
 * The terminal report of one scenario: what it does, the captured output
 * verbatim, and the verdict with each failure.
 *
 * @example Printing results as they come
 * ```ts ignore
 * await runScenarios(SCENARIOS, { onResult: (r) => console.log(formatResult(r, 1)) });
 * ```
 *
 * @param r the result
 * @param index its number in the list, from 1
 * @returns the text, ending in a newline
 */
export function formatResult(r: ScenarioResult, index: number): string {
  const s = r.scenario;
  const out = [
    `=== ${index}. ${s.name}: ${s.title}`,
    s.description,
    `$ ${s.command}`,
    "--- output",
    r.output.trimEnd(),
    `--- ${verdict(r)} (${exitText(r)}, ${(r.durationMs / 1000).toFixed(1)} s)`,
    ...r.failures.map((f) => `  - ${f}`),
  ];
  return out.join("\n") + "\n";
}

/**
 * A result as plain data, for `--json`.
 *
 * @example `--json`
 * ```ts ignore
 * console.log(JSON.stringify(results.map(resultJson), null, 2));
 * ```
 *
 * @param r the result
 * @returns the JSON-ready object
 */
export function resultJson(r: ScenarioResult): Record<string, unknown> {
  return {
    name: r.scenario.name,
    title: r.scenario.title,
    command: r.scenario.command,
    passed: r.passed,
    failures: r.failures,
    exitCode: r.exitCode,
    signal: r.signal,
    timedOut: r.timedOut,
    durationMs: Math.round(r.durationMs),
    output: r.output,
    normalized: r.normalized,
  };
}

/**
 * The task that regenerates the docs page.
 *
 * @example
 * ```ts
 * import { DOCS_TASK } from "./_runner.ts";
 *
 * console.log(`run ${DOCS_TASK}`);
 * ```
 */
export const DOCS_TASK = "deno task scenarios:docs";

/**
 * Render `docs/failure-modes.md` from the results of a run.
 *
 * @example Writing the page
 * ```ts ignore
 * await Deno.writeTextFile("docs/failure-modes.md", renderDocs(await runScenarios(SCENARIOS)));
 * ```
 *
 * @param results the results, in the order of the list
 * @returns the page
 */
export function renderDocs(results: readonly ScenarioResult[]): string {
  const out: string[] = [
    "# Failure modes",
    "",
    `Generated by \`${DOCS_TASK}\` from a run of every scenario; do not edit it by hand.`,
    "`deno task scenarios [NAME...] [--json]` runs them and checks each against what it expects;",
    "`tests/scenarios/docs_test.ts` fails when this page no longer matches a fresh run.",
    "",
    "Each scenario is a standalone script run in its own process; its output is shown as captured,",
    "with what changes from run to run replaced: temporary directories read `$TMP`, the checkout",
    "`.`, SHA-256 digests `<sha256>`, build ids and other hex ids `<hex>`, timings `<n>`.",
    "",
    "## Contents",
    "",
  ];
  results.forEach((r, i) => {
    const heading = `${i + 1}. ${r.scenario.title}`;
    out.push(`${i + 1}. [${r.scenario.title}](#${slug(heading)})`);
  });
  results.forEach((r, i) => {
    const s = r.scenario;
    const checked = s.expect.lines.length;
    out.push(
      "",
      `## ${i + 1}. ${s.title}`,
      "",
      s.description,
      "",
      "```sh",
      s.command,
      "```",
      "",
      "```text",
      r.normalized.trimEnd(),
      "```",
      "",
      `Verdict: **${verdict(r)}** (${exitText(r)}; ${checked} expected line${
        checked === 1 ? "" : "s"
      } found in order${r.passed ? "" : `; ${r.failures.join("; ")}`})`,
      "",
      "### Why it happens",
      "",
      s.why,
    );
  });
  return out.join("\n") + "\n";
}

/**
 * The anchor GitHub gives a heading.
 *
 * @example
 * ```ts
 * import { slug } from "./_runner.ts";
 *
 * console.log(slug("1. First plugin: build, load, call")); // "1-first-plugin-build-load-call"
 * ```
 *
 * @param heading the heading text
 * @returns the anchor, without `#`
 */
export function slug(heading: string): string {
  return heading.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
}

/**
 * The sections of a docs page by scenario title, for comparing part of a page.
 *
 * @example
 * ```ts
 * import { docsSections } from "./_runner.ts";
 *
 * console.log([...docsSections("# T\n\n## 1. A\n\ntext\n").keys()]); // ["## 1. A"]
 * ```
 *
 * @param page the page
 * @returns section text by heading (`## N. Title`)
 */
export function docsSections(page: string): Map<string, string> {
  const sections = new Map<string, string>();
  const parts = page.split(/^(?=## \d+\. )/m);
  for (const part of parts.slice(1)) {
    const heading = part.slice(0, part.indexOf("\n"));
    sections.set(heading, part.trimEnd());
  }
  return sections;
}

/**
 * The first lines where two texts differ, for a short report.
 *
 * @example Two pages
 * ```ts
 * import { firstDifference } from "./_runner.ts";
 *
 * console.log(firstDifference("a\nb\n", "a\nc\n")); // line 2: expected "b", found "c"
 * ```
 *
 * @param expected the text expected
 * @param actual the text found
 * @returns a one-line description, or `undefined` when they are equal
 */
export function firstDifference(expected: string, actual: string): string | undefined {
  if (expected === actual) return undefined;
  const a = expected.split("\n");
  const b = actual.split("\n");
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const show = (line: string | undefined) =>
    line === undefined ? "end of text" : JSON.stringify(line);
  return `line ${i + 1}: expected ${show(a[i])}, found ${show(b[i])}`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
