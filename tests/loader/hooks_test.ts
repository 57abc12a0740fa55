import { assertEquals, assertRejects } from "../_assert.ts";
import { LoadError, openPlugin } from "../../mod.ts";
import { fixture, plugin } from "../_paths.ts";

Deno.test("openPlugin() refuses a plugin whose hook note and descriptor disagree", async (t) => {
  const cases: [string, string, string][] = [
    [
      "hook_note_only",
      "descriptor.init set, as the plugin's init hook note says",
      "a NULL descriptor.init: the hook note is there, the function is not",
    ],
    [
      "hook_pointer_only",
      "descriptor.init NULL, as the plugin declares no init hook",
      "descriptor.init set (0x",
    ],
  ];
  for (const [name, expected, found] of cases) {
    await t.step(name, async () => {
      for (const isolation of ["none", "process"] as const) {
        const e = await assertRejects(
          () => openPlugin(fixture(name), { isolation, log: () => {} } as never),
          LoadError,
        );
        assertEquals([e.code, e.expected, e.found.startsWith(found)], [
          "METADATA_MISMATCH",
          expected,
          true,
        ]);
      }
    });
  }
});

Deno.test("a plugin built with the SDK has hook pointers exactly where it has hook notes", async () => {
  const plain = await openPlugin(plugin("greeter"));
  assertEquals(plain.metadata.hooks, { init: false, shutdown: false });
  assertEquals(await plain.close(), { unloaded: true });
  const hooked = await openPlugin(plugin("counter"));
  assertEquals(hooked.metadata.hooks, { init: true, shutdown: true });
  assertEquals(await hooked.close(), { unloaded: true });
});
