import assert from "node:assert/strict";
import { runCli } from "../../src/cli/main.ts";
import { populate, tempDir } from "./_host.ts";

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    color: false,
  });
  return { code, out, err };
}

const samples = await populate(await tempDir(), {
  "text_base64.so": { plugin: "text_base64" },
  "text_reverse.so": { plugin: "text_reverse" },
  "text_upper.so": { plugin: "text_upper" },
  "calc_add.so": { plugin: "calc_add" },
  "notes.so": { text: "not a library\n" },
});
globalThis.addEventListener("unload", () => Deno.removeSync(samples, { recursive: true }));

Deno.test("plugboard pipe runs text through every processor in file-name order", async (t) => {
  const renamed = await populate(await tempDir(), {
    "1_upper.so": { plugin: "text_upper" },
    "2_reverse.so": { plugin: "text_reverse" },
  });
  const cases = [
    { name: "base64, reverse, upper", args: ["--dir", samples, "hello"], out: ["=8GBSVGA"] },
    { name: "words are joined", args: ["--dir", samples, "hi", "there"], out: ["=UMCLHGDGKGA"] },
    {
      name: "upper, then reverse, by file name",
      args: ["--dir", renamed, "héllo"],
      out: ["OLLéH"],
    },
    {
      name: "--steps shows each stage",
      args: ["--dir", samples, "--steps", "hello"],
      out: ["input    hello", "base64   aGVsbG8=", "reverse  =8GbsVGa", "upper    =8GBSVGA"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      assert.deepEqual(await run(["pipe", ...c.args]), { code: 0, out: c.out, err: [] });
    });
  }
  await Deno.remove(renamed, { recursive: true });
});

Deno.test("plugboard pipe --json --log: the stages, and a record per load and per call", async () => {
  const r = await run(["pipe", "--dir", samples, "--json", "--log", "hi"]);
  assert.equal(r.code, 0);
  assert.deepEqual(JSON.parse(r.out[0]), {
    input: "hi",
    output: "=KGA",
    stages: [
      { name: "base64", plugin: "text-base64", path: `${samples}/text_base64.so`, output: "aGk=" },
      {
        name: "reverse",
        plugin: "text-reverse",
        path: `${samples}/text_reverse.so`,
        output: "=kGa",
      },
      { name: "upper", plugin: "text-upper", path: `${samples}/text_upper.so`, output: "=KGA" },
    ],
  });
  const records = r.err.map((l) => JSON.parse(l));
  const of = (event: string) => records.filter((x) => x.event === event);
  assert.deepEqual(of("load").map((x) => x.plugin), ["text-base64", "text-reverse", "text-upper"]);
  assert.deepEqual(of("call").map((x) => `${x.plugin} ${x.function}`), [
    "text-base64 name",
    "text-reverse name",
    "text-upper name",
    "text-base64 process",
    "text-reverse process",
    "text-upper process",
  ]);
  for (const x of [...of("load"), ...of("call")]) {
    assert.equal(typeof x.version, "string");
    assert.equal(typeof x.buildId, "string");
    assert.equal(x.sha256.length, 12);
    assert.equal(typeof x.durationMs, "number");
  }
  assert.deepEqual(of("skip").map((x) => x.code), ["INTERFACE_MISSING", "NOT_ELF"]);
});

Deno.test("plugboard pipe without processors fails with INTERFACE_MISSING", async () => {
  const empty = await tempDir();
  const r = await run(["pipe", "--dir", empty, "hello"]);
  assert.equal(r.code, 1);
  assert.equal(
    r.err[0],
    `error[INTERFACE_MISSING]: No text.processor/1 plugins in ${JSON.stringify(empty)}`,
  );
  await Deno.remove(empty, { recursive: true });
});
