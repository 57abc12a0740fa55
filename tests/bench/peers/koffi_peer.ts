/**
 * koffi (npm:koffi, a Node-API FFI library, loaded here by Deno) calling the
 * same C functions as plugboard in the peers' loop
 * (tests/bench/peers_bench.ts). koffi's declarations take and return JS
 * strings, as plugboard's do. Prints one JSON object of nanoseconds per call.
 *
 * @module
 */

import { perCall } from "./_loop.ts";

/** The koffi release measured. */
export const KOFFI = "koffi@3.3.4";

if (import.meta.main) {
  // A computed specifier: `deno check` of the tests does not fetch koffi.
  const koffi = (await import(["npm", KOFFI].join(":"))).default;
  const lib = koffi.load(Deno.args[0]);
  const add = lib.func("int add(int a, int b)") as (a: number, b: number) => number;
  const greet = lib.func("const char *greet(const char *name)") as (s: string) => string;
  const names = Array.from({ length: 64 }, (_, i) => `user${i}`);

  console.log(JSON.stringify({
    koffi: {
      add: perCall((n) => {
        let s = 0;
        for (let i = 0; i < n; i++) s = add(s, i) | 0;
        return s;
      }, 1_000_000),
      greet: perCall((n) => {
        let s = "";
        for (let i = 0; i < n; i++) s = greet("World");
        return s;
      }, 200_000),
      greet64: perCall((n) => {
        let s = "";
        for (let i = 0; i < n; i++) s = greet(names[i & 63]);
        return s;
      }, 200_000),
    },
  }));
}
