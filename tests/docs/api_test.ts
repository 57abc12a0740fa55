import { assertEquals } from "../_assert.ts";
import { ROOT } from "../_paths.ts";
import { apiMarkdown } from "../../tasks/api_docs.ts";
import { entrySources } from "../../tasks/_entry_points.ts";

Deno.test("docs/api.md lists the public API as it is (deno task api:docs regenerates it)", async () => {
  const current = await Deno.readTextFile(`${ROOT}/docs/api.md`);
  assertEquals(current, await apiMarkdown());
});

Deno.test("the core entry point stays small: at most 70 symbols", async () => {
  const text = await apiMarkdown();
  const core = /## `@plugboard\/plugboard` \(mod\.ts\): (\d+) symbols/.exec(text);
  assertEquals(core !== null && Number(core[1]) <= 70, true, core?.[0]);
});

Deno.test("deno doc --lint is clean on every entry point (no private types, every export documented)", async () => {
  const exports = entrySources();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--lint", ...Object.values(exports)],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  assertEquals(
    text.split("\n").filter((l) => l.startsWith("error[")),
    [],
    "deno doc --lint found problems",
  );
  assertEquals(out.code, 0, text);
});
