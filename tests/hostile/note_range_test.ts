/**
 * Issue 11, item 1: a plugin linked with 64 KiB pages and separate code
 * (unmapped holes between its segments) whose last plugboard note is
 * stretched past the end of its page. Any program can load and call it; a
 * plugboard host must refuse it with a code and never read the hole.
 * Everything that loads it runs in a child process.
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "../_assert.ts";
import {
  loadSegments,
  noteRecords,
  noteSegment,
  pageEnd,
  stretchNote,
} from "../../tasks/hostile/_elf_patch.ts";
import { NOTE_REFUSALS, noteExpectation } from "../../tasks/hostile/_classes.ts";
import type { CraftSpec } from "../../tasks/hostile/_ops.ts";
import { describe, inChild, workshop } from "./_helpers.ts";

/** The pipeline refuses the file before loading it: every entry point says the same. */
const REFUSED = ["BAD_METADATA"];

Deno.test("openPlugin(), PluginHost and inspect refuse a note that runs into an unmapped hole; dlopen still works", async (t) => {
  const shop = await workshop();
  const base = Deno.readFileSync(shop.greeterGaps);
  const loads = loadSegments(base);
  const first = loads[0];
  // The layout this test is about: notes in the first segment, a hole after its page.
  assert(noteSegment(base).offset < first.offset + first.filesz, "notes in the first segment");
  assert(loads[1].vaddr >= pageEnd(first) + 0x4000, "an unmapped hole after the first page");
  const end = pageEnd(first) + 8;
  const stretched = stretchNote(base, end);
  const last = noteRecords(stretched).filter((n) => n.owner === "plugboard").at(-1)!;
  assertEquals(last.offset + last.size, end);
  assertEquals(noteExpectation(stretched), NOTE_REFUSALS);

  const craft: CraftSpec = { kind: "stretch", base: shop.greeterGaps, end };
  const [inspect, raw, open, discover] = await inChild([
    { label: "inspect", op: "inspect", args: { craft }, expect: REFUSED },
    { label: "Deno.dlopen + greet", op: "raw-dlopen", args: { craft }, expect: ["ok"] },
    {
      label: "openPlugin",
      op: "open",
      args: { craft, call: { fn: "greet", args: ["x"] } },
      expect: REFUSED,
    },
    { label: "PluginHost.discover", op: "discover", args: { craft }, expect: REFUSED },
  ]);
  await t.step(
    "inspect says why, with the pipeline's verdict (the file is read, never run)",
    () => {
      assertEquals(inspect.outcome, "BAD_METADATA", describe(inspect));
      assertMatch(
        inspect.detail ?? "",
        /: the plugboard note at file offset \d+ is not loaded with the library: expected every plugboard note inside a readable segment mapped from the file \(PT_LOAD\), found a \d+-byte note at address 0x[0-9a-f]+ that runs past the segment that maps its start$/,
      );
    },
  );
  await t.step("Deno.dlopen and greet work: the file is a working library", () => {
    assertEquals([raw.outcome, raw.detail], ["ok", "Hello, raw"], describe(raw));
  });
  await t.step("openPlugin refuses it with a LoadError, not a SIGSEGV", () => {
    assert(REFUSED.includes(open.outcome), describe(open));
    assertEquals(open.errorClass, "LoadError", describe(open));
    assertMatch(open.detail ?? "", /^Cannot load plugin ".*\.so": /);
  });
  await t.step("PluginHost.discover skips it with the same code, not a SIGSEGV", () => {
    assert(REFUSED.includes(discover.outcome), describe(discover));
  });
});
