/**
 * plugboard and raw Deno FFI in the peers' loop (tests/bench/peers_bench.ts):
 * the same C functions (plugins/noop.c), the same calls, the same timing as
 * the koffi and Bun scripts, so the figures stand side by side. Prints one
 * JSON object of nanoseconds per call.
 *
 * @module
 */

import { defineInterface, openPluginSync } from "../../../mod.ts";
import { perCall } from "./_loop.ts";

const Bench = defineInterface("bench", "1.0", {
  add: "i32 add(i32 a, i32 b)",
  greet: "cstring greet(cstring name)",
});
const pb = openPluginSync(Deno.args[0], { interfaces: [Bench] }).use(Bench);
const raw = Deno.dlopen(Deno.args[0], {
  add: { parameters: ["i32", "i32"], result: "i32" },
  greet: { parameters: ["buffer"], result: "pointer" },
}).symbols;
const encoder = new TextEncoder();
const nameBuf = new Uint8Array(256);
function rawGreet(name: string): string {
  const { written } = encoder.encodeInto(name, nameBuf);
  nameBuf[written] = 0;
  return Deno.UnsafePointerView.getCString(raw.greet(nameBuf)!);
}
const names = Array.from({ length: 64 }, (_, i) => `user${i}`);

console.log(JSON.stringify({
  "plugboard": {
    add: perCall((n) => {
      let s = 0;
      for (let i = 0; i < n; i++) s = pb.add(s, i) | 0;
      return s;
    }, 2_000_000),
    greet: perCall((n) => {
      let s: string | null = "";
      for (let i = 0; i < n; i++) s = pb.greet("World");
      return s;
    }, 500_000),
    greet64: perCall((n) => {
      let s: string | null = "";
      for (let i = 0; i < n; i++) s = pb.greet(names[i & 63]);
      return s;
    }, 500_000),
  },
  "raw Deno": {
    add: perCall((n) => {
      let s = 0;
      for (let i = 0; i < n; i++) s = raw.add(s, i) | 0;
      return s;
    }, 2_000_000),
    greet: perCall((n) => {
      let s = "";
      for (let i = 0; i < n; i++) s = rawGreet("World");
      return s;
    }, 500_000),
    greet64: perCall((n) => {
      let s = "";
      for (let i = 0; i < n; i++) s = rawGreet(names[i & 63]);
      return s;
    }, 500_000),
  },
}));
