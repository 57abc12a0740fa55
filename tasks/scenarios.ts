/**
 * The failure-mode scenarios: `deno task scenarios [NAME...] [--json]`
 * builds the plugins, runs each scenario script in its own child process
 * (two at a time), and prints per scenario what it does, its output as
 * captured, and PASS or FAIL against what it expects; the exit code is 1 when
 * any fails. `--write-docs` (`deno task scenarios:docs`) also regenerates
 * `docs/failure-modes.md` from the run, and `--check-docs` fails when the
 * page is stale.
 *
 * Each scenario is a module under `tasks/scenarios/` that exports its
 * definition as `scenario` (see `_runner.ts`) and runs as a script.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { buildAll, BuildError } from "./build.ts";
import {
  firstDifference,
  formatResult,
  machineNeutral,
  renderDocs,
  resultJson,
  ROOT,
  runScenarios,
  type Scenario,
} from "./scenarios/_runner.ts";
import { scenario as firstPlugin } from "./scenarios/first_plugin.ts";
import { scenario as sharedApi } from "./scenarios/shared_api.ts";
import { scenario as discovery } from "./scenarios/discovery.ts";
import { scenario as interfaceIdentity } from "./scenarios/interface_identity.ts";
import { scenario as structLayout } from "./scenarios/struct_layout.ts";
import { scenario as abiToolchain } from "./scenarios/abi_toolchain.ts";
import { scenario as initOrder } from "./scenarios/init_order.ts";
import { scenario as sharedState } from "./scenarios/shared_state.ts";
import { scenario as callPatterns } from "./scenarios/call_patterns.ts";
import { scenario as buildId } from "./scenarios/build_id.ts";
import { scenario as lazyEager } from "./scenarios/lazy_eager.ts";
import { scenario as unload } from "./scenarios/unload.ts";
import { scenario as symbolNotFound } from "./scenarios/symbol_not_found.ts";
import { scenario as crashHang } from "./scenarios/crash_hang.ts";
import { scenario as wasmCrash } from "./scenarios/wasm_crash.ts";
import { scenario as tampering } from "./scenarios/tampering.ts";
import { scenario as pipeline } from "./scenarios/pipeline.ts";
import { scenario as sandbox } from "./scenarios/sandbox.ts";
import { scenario as versions } from "./scenarios/versions.ts";
import { scenario as reloadInFlight } from "./scenarios/reload_in_flight.ts";
import { scenario as rollout } from "./scenarios/rollout.ts";

/**
 * Every scenario, in the order of the docs page.
 *
 * @example Listing them
 * ```ts ignore
 * import { SCENARIOS } from "./tasks/scenarios.ts";
 *
 * for (const s of SCENARIOS) console.log(s.name, s.command);
 * ```
 */
export const SCENARIOS: readonly Scenario[] = Object.freeze([
  firstPlugin,
  sharedApi,
  discovery,
  interfaceIdentity,
  structLayout,
  abiToolchain,
  initOrder,
  sharedState,
  callPatterns,
  buildId,
  lazyEager,
  unload,
  symbolNotFound,
  crashHang,
  wasmCrash,
  tampering,
  pipeline,
  sandbox,
  versions,
  reloadInFlight,
  rollout,
]);

/**
 * Where the generated docs page lives.
 *
 * @example
 * ```ts ignore
 * import { DOCS_PATH } from "./tasks/scenarios.ts";
 *
 * console.log(await Deno.readTextFile(DOCS_PATH));
 * ```
 */
export const DOCS_PATH = `${ROOT}/docs/failure-modes.md`;

const USAGE =
  `Usage: deno task scenarios [NAME...] [--json] [--write-docs | --check-docs] [--jobs N]

Runs the failure-mode scenarios, each in its own process, and checks their output.
  NAME...        run only these (default: all)
  --json         print the results as JSON
  --write-docs   regenerate docs/failure-modes.md (all scenarios, all must pass)
  --check-docs   exit 1 when docs/failure-modes.md differs from this run
  --jobs N       scenarios run at once (default 2)

Scenarios:
${SCENARIOS.map((s) => `  ${s.name.padEnd(16)} ${s.title}`).join("\n")}`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: "boolean", default: false },
        "write-docs": { type: "boolean", default: false },
        "check-docs": { type: "boolean", default: false },
        jobs: { type: "string", default: "2" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const jobs = Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) {
    console.error(`Invalid --jobs ${JSON.stringify(values.jobs)}: expected a positive integer`);
    return 2;
  }
  const docs = values["write-docs"] || values["check-docs"];
  if (docs && positionals.length > 0) {
    console.error("--write-docs and --check-docs run every scenario; do not name any");
    return 2;
  }
  const unknown = positionals.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0) {
    console.error(
      `Unknown scenario ${unknown.map((n) => JSON.stringify(n)).join(", ")}\n\n${USAGE}`,
    );
    return 2;
  }
  const selected = positionals.length === 0
    ? SCENARIOS
    : SCENARIOS.filter((s) => positionals.includes(s.name));

  try {
    await buildAll({ quiet: true });
  } catch (e) {
    if (!(e instanceof BuildError)) throw e;
    console.error(e.message);
    return 1;
  }

  const indexOf = new Map(SCENARIOS.map((s, i) => [s, i + 1]));
  const results = await runScenarios(selected, {
    jobs,
    onResult: values.json
      ? undefined
      : (r) => console.log(formatResult(r, indexOf.get(r.scenario)!)),
  });
  const failed = results.filter((r) => !r.passed);
  if (values.json) {
    console.log(JSON.stringify(results.map(resultJson), null, 2));
  } else {
    console.log(
      `${results.length - failed.length} passed, ${failed.length} failed` +
        (failed.length ? `: ${failed.map((r) => r.scenario.name).join(", ")}` : ""),
    );
  }

  let code = failed.length > 0 ? 1 : 0;
  if (docs) {
    const page = renderDocs(results);
    if (values["write-docs"]) {
      if (failed.length > 0) {
        console.error(`Not writing ${DOCS_PATH}: ${failed.length} scenario(s) failed`);
      } else {
        await Deno.writeTextFile(DOCS_PATH, page);
        console.error(`wrote docs/failure-modes.md`);
      }
    } else {
      let current = "";
      try {
        current = await Deno.readTextFile(DOCS_PATH);
      } catch {
        // Missing: stale.
      }
      const difference = firstDifference(machineNeutral(current), machineNeutral(page));
      if (difference) {
        console.error(
          `docs/failure-modes.md is stale (${difference}): run deno task scenarios:docs`,
        );
        code = 1;
      } else {
        console.error("docs/failure-modes.md is current");
      }
    }
  }
  return code;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
