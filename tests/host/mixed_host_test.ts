/**
 * A host over a directory of plugins of every kind: libraries, and
 * subprocess plugins in bash, Python and Go (rpc and one-shot), all
 * providing `calc.op/1`.
 *
 * @module
 */

import { assertEquals } from "../_assert.ts";
import { PluginHost } from "../../src/host/mod.ts";
import { CalcOp } from "../../src/cli/calc_command.ts";
import { mixedCalcDir } from "../subprocess/_helpers.ts";

Deno.test('PluginHost with isolation "auto" hosts libraries in process and executables as processes', async () => {
  await using mixed = await mixedCalcDir();
  await using host = new PluginHost({
    paths: [mixed.dir],
    env: false,
    interfaces: [CalcOp],
    loadOptions: { isolation: "auto", log: () => {} },
  });
  const summary = await host.discover();
  assertEquals([summary.found, summary.loaded, summary.skipped], [5, 5, []]);
  const results: Record<string, unknown> = {};
  for (const p of host.plugins(CalcOp)) {
    const op = await p.use(CalcOp);
    const name = await op.name();
    results[name ?? "?"] = await op.apply(7, 2);
  }
  assertEquals(results, { "+": 9, "-": 5, "*": 14, "/": 3.5, "%": 1 });
});

Deno.test('PluginHost with isolation "none" skips executables, saying how to host them', async () => {
  await using mixed = await mixedCalcDir();
  await using host = new PluginHost({ paths: [mixed.dir], env: false, interfaces: [CalcOp] });
  const summary = await host.discover();
  assertEquals(summary.loaded, 1);
  assertEquals(
    summary.skipped.map((s) => [s.path.slice(mixed.dir.length + 1), s.code]),
    [["calc_div", "USAGE"], ["calc_mod.sh", "USAGE"], ["calc_mul.py", "USAGE"], [
      "calc_sub.sh",
      "USAGE",
    ]],
  );
  assertEquals(
    summary.skipped[0].hint,
    'create the host with loadOptions: { isolation: "auto" } (executables run as processes, libraries in this process) or { isolation: "process" }',
  );
});
