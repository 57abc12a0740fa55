import assert from "node:assert/strict";
import { readElf } from "../../src/elf/read_elf.ts";
import { fixture, plugin } from "../_paths.ts";

/** DF_1_NODELETE in DT_FLAGS_1. */
const DF_1_NODELETE = 0x8;

Deno.test("readElf() reports DT_FLAGS_1, with DF_1_NODELETE for a -z nodelete library", async (t) => {
  const cases = [
    {
      name: "nodelete fixture (linked with -z nodelete)",
      path: fixture("nodelete"),
      nodelete: true,
    },
    { name: "greeter sample", path: plugin("greeter"), nodelete: false },
    { name: "plain fixture", path: fixture("plain"), nodelete: false },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const info = readElf(await Deno.readFile(c.path), c.path);
      assert.equal(typeof info.flags1, "number");
      assert.equal((info.flags1 & DF_1_NODELETE) !== 0, c.nodelete);
    });
  }
});
