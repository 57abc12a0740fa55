import assert from "node:assert/strict";
import { type ElfInfo, readElf } from "../../src/elf/read_elf.ts";
import { type ErrorCode, PluginError } from "../../src/errors/plugin_error.ts";
import { fixtures } from "./_fixtures.ts";
// One generator of malformed ELF files, shared with the hostile-input suite.
import { mulberry32, mutate } from "../../tasks/hostile/_mutate.ts";

const fx = await fixtures();

/** Cases per base file; the bases below make this about 12,000 inputs in all. */
const CASES_PER_BASE = 2_000;
const FIRST_SEED = 0x5eed_0000;
const ALLOWED: ReadonlySet<ErrorCode> = new Set([
  "NOT_ELF",
  "TRUNCATED",
  "MALFORMED",
  "WRONG_ELF_CLASS",
  "WRONG_ARCH",
  "NOT_SHARED_OBJECT",
]);

function checkInfo(info: ElfInfo, input: Uint8Array) {
  for (const s of [...info.symbols, ...info.localSymbols]) {
    assert.equal(typeof s.name, "string");
    assert.ok(s.name.length <= 4096, "symbol name longer than 4096");
    assert.ok(Number.isFinite(s.value) && Number.isFinite(s.size));
  }
  for (const n of info.notes) {
    assert.ok(n.owner.length <= 4096);
    assert.equal(n.desc.buffer, input.buffer, "note descriptors are views of the input");
    assert.ok(n.size >= 12 && n.offset >= 0 && n.offset + n.size <= input.length);
  }
  for (const name of info.needed) assert.ok(name.length <= 4096);
}

Deno.test("readElf() survives corrupt and truncated input", () => {
  const bareLib = fx.lib.slice();
  const bare = new DataView(bareLib.buffer);
  bare.setBigUint64(40, 0n, true);
  bare.setUint16(60, 0, true);
  bare.setUint16(62, 0, true);
  const bases = [
    { name: "lib.so", bytes: fx.lib },
    { name: "lib.so without section headers", bytes: bareLib },
    { name: "libsysv.so", bytes: fx.libSysvHash },
    { name: "pie", bytes: fx.pie },
    { name: "plugin.o", bytes: fx.obj },
    { name: "notes.txt", bytes: fx.text },
  ];
  const start = performance.now();
  const outcomes = new Map<string, number>();
  let slowest = 0;
  let n = 0;
  for (const b of bases) {
    for (let i = 0; i < CASES_PER_BASE; i++, n++) {
      const seed = FIRST_SEED + n;
      const { bytes: input, what } = mutate(b.bytes, seed);
      const requireSharedObject = mulberry32(~seed)() < 0.5;
      const where = `case ${n}, seed 0x${seed.toString(16)}, base ${b.name}, ${what}`;
      const t0 = performance.now();
      let outcome: string;
      try {
        const info = readElf(input, "fuzz.so", { requireSharedObject });
        checkInfo(info, input);
        outcome = "ok";
      } catch (err) {
        if (!(err instanceof PluginError)) {
          assert.fail(`readElf() threw ${err} (not a PluginError) at ${where}`);
        }
        assert.ok(ALLOWED.has(err.code), `unexpected code ${err.code} at ${where}`);
        assert.equal(err.cause, undefined, `safety net caught ${err.cause} at ${where}`);
        outcome = err.code;
      }
      const ms = performance.now() - t0;
      slowest = Math.max(slowest, ms);
      // A hang guard, not a performance claim: a hostile input must not make readElf spin.
      assert.ok(ms < 5_000, `readElf() took ${ms.toFixed(0)} ms at ${where}`);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
  }
  const elapsed = performance.now() - start;
  assert.ok(n >= 10_000);
  // Figures for people, with PLUGBOARD_TIMINGS=1; a test run prints nothing.
  if (Deno.env.get("PLUGBOARD_TIMINGS")) {
    console.log(
      `${n} inputs in ${elapsed.toFixed(0)} ms (slowest ${slowest.toFixed(2)} ms):`,
      Object.fromEntries([...outcomes].sort()),
    );
  }
  // Every kind of outcome the corpus should reach.
  for (const code of ["ok", "NOT_ELF", "TRUNCATED", "MALFORMED", "WRONG_ELF_CLASS", "WRONG_ARCH"]) {
    assert.ok((outcomes.get(code) ?? 0) > 0, `no input produced ${code}`);
  }
});
