import { assertEquals } from "../_assert.ts";
import { ROOT } from "../_paths.ts";
import { apiMarkdown } from "../../tasks/api_docs.ts";

Deno.test("docs/api.md lists the public API as it is (deno task api:docs regenerates it)", async () => {
  const current = await Deno.readTextFile(`${ROOT}/docs/api.md`);
  assertEquals(current, await apiMarkdown());
});

Deno.test("the core entry point stays small: at most 70 symbols", async () => {
  const text = await apiMarkdown();
  const core = /## `@plugboard\/plugboard` \(mod\.ts\): (\d+) symbols/.exec(text);
  assertEquals(core !== null && Number(core[1]) <= 70, true, core?.[0]);
});
