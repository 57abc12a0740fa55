/**
 * A buffer argument means the same in every mode: an empty one (a fresh
 * `Uint8Array(0)`, an empty view into a larger buffer, a view of a detached
 * buffer) reaches the plugin as NULL, in this process, isolated over shared
 * memory and over pipes; and a call after one leaves the connection usable.
 */
import { assertEquals } from "../_assert.ts";
import { defineInterface, openPlugin, openPluginSync } from "../../mod.ts";
import { fixture } from "../_paths.ts";

const Buffers = defineInterface("buffers", "1.0", { first_byte: "i32 first_byte(buffer b)" });
const PATH = fixture("buffer_args");

function detached(): Uint8Array {
  const ab = new ArrayBuffer(8);
  const view = new Uint8Array(ab);
  structuredClone(ab, { transfer: [ab] });
  return view;
}

const CASES: [string, () => Uint8Array, number][] = [
  ["one byte", () => new Uint8Array([7]), 7],
  ["a fresh empty array", () => new Uint8Array(0), -1],
  ["an empty view into a larger buffer", () => new Uint8Array([1, 2, 3, 4]).subarray(3, 3), -1],
  ["a view of a detached buffer", detached, -1],
];

Deno.test("an empty buffer reaches the plugin as NULL in every mode", async (t) => {
  await using local = openPluginSync(PATH, { interfaces: [Buffers] });
  await using shm = await openPlugin(PATH, {
    isolation: "process",
    interfaces: [Buffers],
    transport: "shared-memory",
    log: () => {},
  });
  await using pipe = await openPlugin(PATH, {
    isolation: "process",
    interfaces: [Buffers],
    transport: "pipe",
    log: () => {},
  });
  const modes = {
    "in process": (b: Uint8Array) => Promise.resolve(local.use(Buffers).first_byte(b)),
    "shared memory": (b: Uint8Array) => shm.use(Buffers).first_byte(b),
    "pipes": (b: Uint8Array) => pipe.use(Buffers).first_byte(b),
  };
  for (const [label, make, expected] of CASES) {
    await t.step(label, async () => {
      const seen: Record<string, number> = {};
      for (const [mode, call] of Object.entries(modes)) {
        seen[mode] = await call(make());
        // The next call on the same handle still works.
        seen[`${mode}, then`] = await call(new Uint8Array([9]));
      }
      assertEquals(seen, {
        "in process": expected,
        "in process, then": 9,
        "shared memory": expected,
        "shared memory, then": 9,
        "pipes": expected,
        "pipes, then": 9,
      });
    });
  }
});
