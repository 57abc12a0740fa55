/**
 * What the hostile-input tests share: the suite's workshop (the crafted
 * plugins, built once and cached), and running attempts in child processes
 * so that a crash or a hang of the host is reported, not suffered by the
 * test runner.
 *
 * @module
 */

import { type Attempt, type Case, runCases, type RunOptions } from "../../tasks/hostile/_kit.ts";
import { openWorkshop, type Workshop } from "../../tasks/hostile/_workshop.ts";

let shop: Promise<Workshop> | undefined;

/**
 * The workshop, built on first use (about 2 s cold, milliseconds cached).
 *
 * @returns the workshop
 */
export function workshop(): Promise<Workshop> {
  if (!shop) {
    shop = openWorkshop();
    shop.then((w) =>
      globalThis.addEventListener("unload", () => {
        try {
          Deno.removeSync(w.runDir, { recursive: true });
        } catch {
          // already gone
        }
      })
    );
  }
  return shop;
}

/**
 * Run attempts in one child process (a new one after each crash or hang).
 *
 * @param cases the attempts
 * @param options deadlines and limits
 * @returns their records
 */
export async function inChild(
  cases: readonly Case[],
  options: Partial<RunOptions> = {},
): Promise<Attempt[]> {
  const w = await workshop();
  const dir = await Deno.makeTempDir({ dir: w.runDir });
  return await runCases(cases, { dir, batch: 10_000, timeoutMs: 15_000, ...options });
}

/**
 * Run one attempt in a child process.
 *
 * @param c the attempt
 * @param options deadlines and limits
 * @returns its record
 */
export async function inChildOne(c: Case, options: Partial<RunOptions> = {}): Promise<Attempt> {
  return (await inChild([c], options))[0];
}

/**
 * A one-line account of an attempt, for assertion messages.
 *
 * @param a the attempt
 * @returns e.g. `crash signal:SIGSEGV: the host process died`
 */
export function describe(a: Attempt): string {
  return `${a.label}: ${a.verdict} ${a.outcome}${a.errorClass ? ` (${a.errorClass})` : ""}${
    a.detail ? `: ${a.detail}` : ""
  }`;
}
