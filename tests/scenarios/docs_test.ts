/**
 * Runs every failure-mode scenario, as `deno task scenarios` does, and checks
 * that each passes and that docs/failure-modes.md is what this run generates.
 */
import { assertEquals } from "../_assert.ts";
import { DOCS_PATH, SCENARIOS } from "../../tasks/scenarios.ts";
import {
  firstDifference,
  machineNeutral,
  renderDocs,
  runScenarios,
} from "../../tasks/scenarios/_runner.ts";

Deno.test("scenarios pass and docs/failure-modes.md matches their run", async (t) => {
  const results = await runScenarios(SCENARIOS, { jobs: 2 });
  for (const r of results) {
    await t.step(`scenario ${r.scenario.name} passes`, () => {
      assertEquals(
        r.failures,
        [],
        `${r.scenario.name} failed; its output:\n${r.output}`,
      );
    });
  }
  await t.step(
    "docs/failure-modes.md is current (deno task scenarios:docs regenerates it)",
    async () => {
      const current = await Deno.readTextFile(DOCS_PATH);
      const fresh = renderDocs(results);
      assertEquals(
        firstDifference(machineNeutral(current), machineNeutral(fresh)),
        undefined,
        "docs/failure-modes.md is stale: run deno task scenarios:docs",
      );
    },
  );
});
