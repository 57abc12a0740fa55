/**
 * The timing loop every peer script uses (tests/bench/peers_bench.ts; the
 * Bun script carries a copy of it): a warm-up, then five repetitions of `n`
 * calls, and the median repetition's nanoseconds per call.
 *
 * @module
 */

let sink: unknown;

/**
 * Nanoseconds per call of `run(n)`, which makes `n` calls.
 *
 * @example
 * ```ts
 * import { perCall } from "./_loop.ts";
 *
 * console.log(perCall((n) => { let s = 0; for (let i = 0; i < n; i++) s += i; return s; }, 1000) >= 0);
 * ```
 *
 * @param run makes `n` calls and returns something of the last one
 * @param n calls per repetition
 * @returns ns per call, the median of five repetitions
 */
export function perCall(run: (n: number) => unknown, n: number): number {
  sink = run(n >> 2);
  const reps: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    sink = run(n);
    reps.push(((performance.now() - t0) * 1e6) / n);
  }
  if (sink === Symbol.for("never")) console.log(sink);
  return reps.sort((a, b) => a - b)[2];
}
