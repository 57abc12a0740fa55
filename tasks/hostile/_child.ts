/**
 * The child process of the hostile-input suite: reads a batch of attempts
 * (JSON on standard input), runs them one after the other, and reports each
 * on standard output (see `_wire.ts`): `start` before it runs, `phase` as it
 * goes, `done` with its outcome after. A crash or a hang of this process
 * is what the parent is looking for: the attempt that started and never
 * finished is the one that killed it.
 *
 * @module
 */

import { craft, type CraftSpec, type OpResult, OPS } from "./_ops.ts";
import { emit } from "./_wire.ts";

/** One attempt as the child receives it. */
export interface WireCase {
  /** Its index in the batch. */
  id: number;
  /** The operation. */
  op: string;
  /** Its arguments; `craft` makes the input file first. */
  args: Record<string, unknown> & { craft?: CraftSpec };
}

if (import.meta.main) {
  const input = JSON.parse(await new Response(Deno.stdin.readable).text()) as {
    dir: string;
    cases: WireCase[];
  };
  for (const c of input.cases) {
    emit({ start: c.id });
    const t0 = performance.now();
    let result: OpResult;
    const op = OPS[c.op];
    if (!op) result = { outcome: "error:UnknownOp", detail: c.op };
    else {
      let args = c.args;
      try {
        if (args.craft) args = { ...args, path: craft(input.dir, args.craft) };
        result = await op(args, input.dir);
      } catch (e) {
        // A failure of the suite itself (crafting), not of plugboard.
        result = { outcome: "error:Suite", detail: String(e) };
      }
    }
    emit({ done: c.id, ...result, ms: performance.now() - t0 });
  }
  // Isolated handles opened for a batch keep child processes: leave without
  // waiting for them (the parent kills the process group).
  Deno.exit(0);
}
