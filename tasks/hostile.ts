/**
 * `deno task hostile`: plugboard's hostile-input suite (issue 11). It
 * builds its crafted files (cached), then runs classes of attacks, each
 * attempt in a child process of its own (a class of cheap calls batches
 * them), with a deadline and a memory ceiling, and prints per class:
 * attempts, correct outcomes (the expected `PluginError` code, or a clean
 * result), wrong outcomes, crashes (the host process died), hangs (killed
 * at the deadline or for memory) and losses (data lost). Exits with 1 when
 * any class has a crash, a hang, a loss or a wrong outcome.
 *
 * Usage: deno task hostile [--quick] [--class NAME]... [--jobs N]
 *                          [--batch N] [--json] [--verbose] [--keep]
 *
 * `--quick` makes fewer attempts; `--class` runs only the named classes;
 * `--jobs` runs that many children at once (default 1: the machine is
 * shared); `--batch` runs that many attempts per child (default: the
 * class's own, 1 for most); `--json` prints the results as JSON;
 * `--verbose` prints every attempt that is not correct as it happens.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type Attempt, runCases, type Tally, tally } from "./hostile/_kit.ts";
import { type AttackClass, CLASSES, type Size } from "./hostile/_classes.ts";
import { openWorkshop } from "./hostile/_workshop.ts";

/** One class's results. */
export interface ClassReport {
  /** The class. */
  name: string;
  /** What it attacks. */
  title: string;
  /** The counts. */
  tally: Tally;
  /** Seconds it took. */
  seconds: number;
  /** Every attempt that was not correct. */
  failures: Attempt[];
  /** Every attempt. */
  attempts: Attempt[];
  /** Outcomes seen, with how often. */
  outcomes: Record<string, number>;
}

/** Options of {@linkcode runSuite}. */
export interface SuiteOptions {
  /** How many attempts. @default "full" */
  size?: Size;
  /** Only these classes. @default every class */
  classes?: readonly string[];
  /** Children at once. @default 1 */
  jobs?: number;
  /** Attempts per child, overriding each class's own. */
  batch?: number;
  /** Keep the run directory. @default false */
  keep?: boolean;
  /** Called after each attempt. */
  onAttempt?: (className: string, a: Attempt) => void;
}

/**
 * Run the suite.
 *
 * @example
 * ```ts ignore
 * const reports = await runSuite({ size: "quick", classes: ["note-ranges"] });
 * ```
 *
 * @param options size, classes, parallelism
 * @returns one report per class
 */
export async function runSuite(options: SuiteOptions = {}): Promise<ClassReport[]> {
  const shop = await openWorkshop({ keep: options.keep });
  try {
    const chosen = options.classes?.length
      ? options.classes.map((n) => {
        const c = CLASSES.find((k) => k.name === n);
        if (!c) throw new Error(`no class ${n}; classes: ${CLASSES.map((k) => k.name).join(", ")}`);
        return c;
      })
      : CLASSES;
    const reports: ClassReport[] = [];
    for (const c of chosen) reports.push(await runClass(c, shop, options));
    return reports;
  } finally {
    await shop.close();
  }
}

async function runClass(
  c: AttackClass,
  shop: Awaited<ReturnType<typeof openWorkshop>>,
  options: SuiteOptions,
): Promise<ClassReport> {
  const t0 = performance.now();
  const dir = await Deno.makeTempDir({ dir: shop.runDir, prefix: `${c.name}-` });
  const attempts = await runCases(c.cases(shop, options.size ?? "full"), {
    dir,
    batch: options.batch ?? c.batch,
    jobs: options.jobs ?? 1,
    onAttempt: (a) => options.onAttempt?.(c.name, a),
  });
  const outcomes: Record<string, number> = {};
  for (const a of attempts) outcomes[a.outcome] = (outcomes[a.outcome] ?? 0) + 1;
  return {
    name: c.name,
    title: c.title,
    tally: tally(attempts),
    seconds: (performance.now() - t0) / 1000,
    failures: attempts.filter((a) => a.verdict !== "correct"),
    attempts,
    outcomes,
  };
}

/**
 * Whether a report passes: no crash, hang, loss or wrong outcome.
 *
 * @param r the report
 * @returns whether it passes
 */
export function passes(r: ClassReport): boolean {
  return r.tally.crash + r.tally.hang + r.tally.loss + r.tally.wrong === 0;
}

function table(reports: readonly ClassReport[]): string[] {
  const head = ["class", "attempts", "correct", "wrong", "crash", "hang", "loss", "seconds"];
  const rows = reports.map((r) => [
    r.name,
    String(r.tally.attempts),
    String(r.tally.correct),
    String(r.tally.wrong),
    String(r.tally.crash),
    String(r.tally.hang),
    String(r.tally.loss),
    r.seconds.toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join("  ");
  return [line(head), ...rows.map(line)];
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      class: { type: "string", multiple: true },
      jobs: { type: "string" },
      batch: { type: "string" },
      json: { type: "boolean", default: false },
      verbose: { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(
      "Usage: deno task hostile [--quick] [--class NAME]... [--jobs N] [--batch N] [--json] [--verbose] [--keep]",
    );
    console.log(`Classes: ${CLASSES.map((c) => c.name).join(", ")}`);
    Deno.exit(0);
  }
  const t0 = performance.now();
  const reports = await runSuite({
    size: values.quick ? "quick" : "full",
    classes: values.class,
    jobs: values.jobs ? Number(values.jobs) : undefined,
    batch: values.batch ? Number(values.batch) : undefined,
    keep: values.keep,
    onAttempt: values.verbose && !values.json
      ? (c, a) => {
        if (a.verdict !== "correct") {
          console.log(
            `  ${a.verdict.toUpperCase()} ${c}: ${a.label}: ${a.outcome} ${a.detail ?? ""}`,
          );
        }
      }
      : undefined,
  });
  const seconds = (performance.now() - t0) / 1000;
  const ok = reports.every(passes);
  if (values.json) {
    console.log(JSON.stringify({ ok, seconds, classes: reports }, null, 2));
  } else {
    for (const r of reports) {
      if (passes(r)) continue;
      console.log(`\n${r.name}: ${r.title}`);
      for (const f of r.failures.slice(0, 12)) {
        console.log(
          `  ${f.verdict.toUpperCase()} ${f.label}: ${f.outcome} (expected ${
            f.expect.join(" or ")
          })${f.detail ? `: ${f.detail}` : ""}`,
        );
      }
      if (r.failures.length > 12) console.log(`  ... and ${r.failures.length - 12} more`);
    }
    console.log("");
    for (const l of table(reports)) console.log(l);
    const total = reports.reduce((n, r) => n + r.tally.attempts, 0);
    const bad = reports.filter((r) => !passes(r)).map((r) => r.name);
    console.log(
      ok
        ? `ok: ${total} attempts in ${reports.length} classes, 0 crash, 0 hang, 0 loss, 0 wrong (${
          seconds.toFixed(1)
        } s)`
        : `FAILED: ${bad.length} of ${reports.length} classes (${bad.join(", ")}) in ${
          seconds.toFixed(1)
        } s`,
    );
  }
  Deno.exit(ok ? 0 : 1);
}
