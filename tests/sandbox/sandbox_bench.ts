/**
 * What the sandbox costs: `deno run -A tests/sandbox/sandbox_bench.ts [runs]`.
 * Alternates confined and unconfined children (`_confined_child.ts`) and
 * prints medians: applySandbox() inside the child, the whole child process
 * (start to exit, a plugin loaded and one call made), an in-process plugin
 * call in a tight loop, a getpid system call (allowed by the filter, so the
 * kernel's seccomp cache skips it) and an open+close of an allowed file
 * (checked by Landlock).
 *
 * @module
 */

import { ensureProbeBuilt, PROBE, runChild } from "./_probe.ts";

const runs = Number(Deno.args[0] ?? 9);
await ensureProbeBuilt();
const policy = { read: [PROBE], write: [], network: false, processes: false };
const bench = { calls: 2_000_000, syscalls: 500_000, opens: 100_000, openPath: PROBE };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows: Record<string, { confined: number[]; unconfined: number[] }> = {
  "applySandbox() in the child, ms": { confined: [], unconfined: [] },
  "whole child process, ms": { confined: [], unconfined: [] },
  "plugin call add(i, 1), ns": { confined: [], unconfined: [] },
  "getpid system call, ns": { confined: [], unconfined: [] },
  "open+close of an allowed file, ns": { confined: [], unconfined: [] },
};

for (let i = 0; i < runs; i++) {
  for (const confined of [true, false]) {
    const key = confined ? "confined" : "unconfined";
    const t0 = performance.now();
    const quick = await runChild({
      plugin: PROBE,
      policy: confined ? policy : undefined,
      probes: [["add", "add", 1, 2]],
    });
    rows["whole child process, ms"][key].push(performance.now() - t0);
    if (confined) rows["applySandbox() in the child, ms"][key].push(quick.out.applyMs!);
    const timed = await runChild({
      plugin: PROBE,
      policy: confined ? policy : undefined,
      probes: [],
      bench,
    });
    rows["plugin call add(i, 1), ns"][key].push(timed.out.bench!.callNs);
    rows["getpid system call, ns"][key].push(timed.out.bench!.getpidNs);
    rows["open+close of an allowed file, ns"][key].push(timed.out.bench!.openNs);
  }
}

console.log(`median (min-max) of ${runs} runs each`);
console.log("| | confined | unconfined |");
console.log("|---|---:|---:|");
for (const [name, { confined, unconfined }] of Object.entries(rows)) {
  const fmt = (xs: number[]) =>
    xs.length
      ? `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)})`
      : "-";
  console.log(`| ${name} | ${fmt(confined)} | ${fmt(unconfined)} |`);
}
