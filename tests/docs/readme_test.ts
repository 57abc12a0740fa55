import { assertEquals } from "../_assert.ts";
import { ROOT } from "../_paths.ts";

/** The ```ts blocks of a Markdown file, with their line numbers. */
function tsBlocks(markdown: string): { line: number; code: string }[] {
  const out: { line: number; code: string }[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== "```ts") continue;
    const start = i + 1;
    let j = start;
    while (j < lines.length && lines[j].trim() !== "```") j++;
    out.push({ line: start + 1, code: lines.slice(start, j).join("\n") });
    i = j;
  }
  return out;
}

Deno.test("every TypeScript example in README.md runs", async (t) => {
  const readme = await Deno.readTextFile(`${ROOT}/README.md`);
  const blocks = tsBlocks(readme);
  assertEquals(blocks.length >= 4, true, `README.md has its examples (found ${blocks.length})`);
  const dir = await Deno.makeTempDir({ prefix: "plugboard-readme-" });
  // The package's entry points by their JSR names, as deno.json exports them.
  const { name, exports } = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  const imports = Object.fromEntries(
    Object.entries(exports as Record<string, string>).map(([sub, file]) => [
      sub === "." ? name : `${name}/${sub.slice(2)}`,
      new URL(file, `file://${ROOT}/`).href,
    ]),
  );
  await Deno.writeTextFile(`${dir}/import_map.json`, JSON.stringify({ imports }));
  for (const { line, code } of blocks) {
    await t.step(`README.md line ${line}`, async () => {
      const file = `${dir}/example_${line}.ts`;
      await Deno.writeTextFile(file, code);
      const r = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", `--import-map=${dir}/import_map.json`, file],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      const err = new TextDecoder().decode(r.stderr);
      assertEquals(r.code, 0, `README.md line ${line} failed:\n${err}`);
    });
  }
});
