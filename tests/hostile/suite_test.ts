/**
 * The hostile-input suite (`deno task hostile`), a small deterministic
 * subset of every class: each class's attempts run in one child process
 * (a new one after a crash or a hang), and every class must end with 0
 * crash, 0 hang, 0 loss and the right code for every attempt.
 *
 * @module
 */

import { assertEquals } from "../_assert.ts";
import { tally } from "../../tasks/hostile/_kit.ts";
import { CLASSES } from "../../tasks/hostile/_classes.ts";
import { describe, inChild, workshop } from "./_helpers.ts";

Deno.test("the hostile-input suite: every class, 0 crash, 0 hang, 0 loss, the right codes", async (t) => {
  const shop = await workshop();
  for (const c of CLASSES) {
    await t.step(c.name, async () => {
      const attempts = await inChild(c.cases(shop, "test"));
      const counts = tally(attempts);
      const bad = attempts.filter((a) => a.verdict !== "correct").map(describe);
      assertEquals(
        { crash: counts.crash, hang: counts.hang, loss: counts.loss, wrong: counts.wrong },
        { crash: 0, hang: 0, loss: 0, wrong: 0 },
        `${c.name}: ${counts.attempts} attempts\n  ${bad.join("\n  ")}`,
      );
    });
  }
});
