/**
 * Verifying 1,000 plugin files against a lockfile, cold (every file read,
 * hashed and parsed) and warm (unchanged files answered by the hash cache
 * from one stat each). Prints the medians and their ratio on stderr before
 * the benchmark table; the goal is warm at least 20x faster than cold.
 *
 *   deno task build && deno bench -A tests/bench/registry_bench.ts
 *
 * "Cold" means the hash cache is empty; the files themselves are in the
 * kernel's page cache either way.
 */
import { inspectPlugin } from "../../mod.ts";
import { HashCache, Registry, verifyFiles } from "../../src/registry/mod.ts";
import { plugin } from "../_paths.ts";

const FILES = 1000;
const GROUP = "verify 1,000 plugin files";

const dir = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "plugboard-bench-" }));
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const bytes = Deno.readFileSync(plugin("greeter"));
for (let i = 0; i < FILES; i++) {
  Deno.writeFileSync(`${dir}/plugin-${String(i).padStart(4, "0")}.so`, bytes, { mode: 0o644 });
}
const registry = new Registry();
registry.trust(inspectPlugin(plugin("greeter")));

function verify(cache?: HashCache): void {
  const report = verifyFiles([dir], { registry, cache });
  if (report.ok !== FILES) throw new Error(`expected ${FILES} files ok, got ${report.ok}`);
}

function median(runs: number, fn: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

// Warm up the JIT on every path (a long-running host's steady state), then
// take medians.
const warm = new HashCache(`${dir}/.cache/verify-cache.json`);
for (let i = 0; i < 5; i++) verify(new HashCache());
for (let i = 0; i < 50; i++) verify(warm);
warm.save();
for (let i = 0; i < 5; i++) verify(HashCache.load(`${dir}/.cache/verify-cache.json`));
const cold = median(15, () => verify(new HashCache()));
const hot = median(101, () => verify(warm));
const fromFile = median(15, () => verify(HashCache.load(`${dir}/.cache/verify-cache.json`)));
const f = (ms: number) => `${ms.toFixed(1)} ms`;
// On stderr, so `deno bench --json` output stays JSON; `deno task bench` reads the metric lines.
console.error(
  `registry: verify ${FILES} files: cold ${f(cold)}, warm ${f(hot)} (cache in memory), ` +
    `${f(fromFile)} (cache loaded from its file); warm is ${(cold / hot).toFixed(1)}x faster ` +
    `(${
      (cold / fromFile).toFixed(1)
    }x with the load); cache hits ${warm.hits}, misses ${warm.misses}`,
);
for (
  const [name, value, unit] of [
    ["registry verify 1,000 files cold", cold, "ms"],
    ["registry verify 1,000 files warm", hot, "ms"],
    ["registry verify 1,000 files warm, cache from file", fromFile, "ms"],
    ["registry warm speedup", cold / hot, "x"],
  ] as const
) {
  console.error(`plugboard-metric ${JSON.stringify({ name, value, unit })}`);
}

Deno.bench("cold: every file read, hashed and parsed", { group: GROUP, baseline: true }, () => {
  verify(new HashCache());
});

Deno.bench("warm: hash cache in memory", { group: GROUP }, () => {
  verify(warm);
});

Deno.bench("warm: hash cache loaded from its file", { group: GROUP }, () => {
  verify(HashCache.load(`${dir}/.cache/verify-cache.json`));
});
