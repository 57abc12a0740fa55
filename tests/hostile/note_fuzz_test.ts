/**
 * Issue 11: a fuzz over note sizes and offsets near page boundaries, in a
 * plugin linked with 64 KiB pages and separate code. 300 seeded layouts
 * (notes in place or moved before a page boundary of the first or the
 * read-only segment, the last note stretched to end a few bytes to a few
 * pages around it) are opened in one child process; a crash or a hang is
 * reported with its case and the batch goes on in a new child, stopping
 * after five. Each open must load when the notes are inside their segment
 * and be refused with a code when they reach unmapped memory.
 *
 * @module
 */

import { assertEquals } from "../_assert.ts";
import { randomNoteLayouts } from "../../tasks/hostile/_classes.ts";
import { tally } from "../../tasks/hostile/_kit.ts";
import { describe, inChild, workshop } from "./_helpers.ts";

const CASES = 300;
const SEED = 0x0f22_0000;

Deno.test("openPlugin() over 300 note layouts near page boundaries: no crash, no hang, the right code", async () => {
  const shop = await workshop();
  const base = Deno.readFileSync(shop.greeterGaps);
  const layouts = randomNoteLayouts(base, shop.greeterGaps, SEED, CASES);
  const t0 = performance.now();
  const attempts = await inChild(
    layouts.map((l, i) => ({
      label: `case ${i} (seed 0x${SEED.toString(16)}): ${l.label}`,
      op: "open",
      args: { craft: l.craft, call: { fn: "greet", args: ["x"] } },
      expect: l.expect,
    })),
    { maxFailuresPerBatch: 5, timeoutMs: 10_000 },
  );
  const ms = performance.now() - t0;
  const counts = tally(attempts);
  const outcomes: Record<string, number> = {};
  for (const a of attempts) outcomes[a.outcome] = (outcomes[a.outcome] ?? 0) + 1;
  // Figures for people, with PLUGBOARD_TIMINGS=1; a test run prints nothing.
  if (Deno.env.get("PLUGBOARD_TIMINGS")) {
    console.log(`${CASES} layouts in ${ms.toFixed(0)} ms:`, outcomes);
  }
  const bad = attempts.filter((a) => a.verdict !== "correct" && a.outcome !== "not-run");
  assertEquals(
    { crash: counts.crash, hang: counts.hang, wrong: counts.wrong },
    { crash: 0, hang: 0, wrong: 0 },
    `${bad.length} failures${
      counts.wrong > bad.length ? ` (and ${counts.wrong - bad.length} cases not run)` : ""
    }:\n  ${bad.slice(0, 10).map(describe).join("\n  ")}`,
  );
  // Both kinds of layout were made: some load, some must be refused.
  assertEquals(outcomes.ok > 0 && attempts.length - outcomes.ok > 0, true);
});
