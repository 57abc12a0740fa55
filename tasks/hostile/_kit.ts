/**
 * Running attempts where their failure can be watched: each batch of
 * attempts runs in a child Deno process of its own session (`setsid`), so a
 * crash or a hang of the host is observed, not suffered. Per attempt there
 * is a deadline and a memory ceiling; on a crash, a hang or a runaway the
 * whole process group is killed, the attempt is recorded, and the rest of
 * the batch goes on in a new child. Each attempt gets a verdict: correct,
 * wrong (another outcome than expected), crash, hang or loss.
 *
 * @module
 */

import type { WireCase } from "./_child.ts";
import { MARK } from "./_wire.ts";

/** One attempt: an operation, its arguments and the outcomes that are right. */
export interface Case {
  /** What is attempted, for the report. */
  label: string;
  /** The operation (see `_ops.ts`). */
  op: string;
  /** Its arguments. */
  args: Record<string, unknown>;
  /** The right outcomes: `ok` and/or `PluginError` codes. */
  expect: readonly string[];
  /** Deadline of the attempt. @default RunOptions.timeoutMs */
  timeoutMs?: number;
  /**
   * Run after a crash or a hang, in a child of its own, to say whose it is
   * (e.g. the same file through a raw `Deno.dlopen`): its outcome is added
   * to the attempt's detail.
   */
  triage?: Case;
}

/** What became of an attempt. */
export type Verdict = "correct" | "wrong" | "crash" | "hang" | "loss";

/** An attempt's record. */
export interface Attempt {
  /** The case's label. */
  label: string;
  /** The operation. */
  op: string;
  /** The verdict. */
  verdict: Verdict;
  /** `ok`, a code, `error:<Name>`, `signal:<NAME>`, `exit:<n>`, `timeout` or `memory`. */
  outcome: string;
  /** The expected outcomes. */
  expect: readonly string[];
  /** What happened. */
  detail?: string;
  /** The class of the error thrown, if one was. */
  errorClass?: string;
  /** Milliseconds the attempt took (as the child measured, or until it died). */
  ms: number;
}

/** Options of {@linkcode runCases}. */
export interface RunOptions {
  /** Attempts per child process (1: each in its own). @default 1 */
  batch?: number;
  /** Children at once. @default 1 */
  jobs?: number;
  /** Default deadline per attempt. @default 15000 */
  timeoutMs?: number;
  /** Kill a child whose resident memory exceeds this. @default 2048 */
  maxRssMiB?: number;
  /** The run's scratch directory (the children's TMPDIR and HOME are under it). */
  dir: string;
  /** After this many crashes or hangs in one batch, the rest of it is not run. @default Infinity */
  maxFailuresPerBatch?: number;
  /** Called after each attempt. */
  onAttempt?: (a: Attempt) => void;
}

const CHILD = new URL("./_child.ts", import.meta.url).pathname;

/**
 * Run attempts in child processes and give each a verdict.
 *
 * @example
 * ```ts ignore
 * const attempts = await runCases(
 *   [{ label: "inspect", op: "inspect", args: { path: "x.so" }, expect: ["NOT_FOUND"] }],
 *   { dir: "/tmp/run" },
 * );
 * ```
 *
 * @param cases the attempts
 * @param options batching, deadlines, where
 * @returns one record per attempt, in the order of `cases`
 */
export async function runCases(cases: readonly Case[], options: RunOptions): Promise<Attempt[]> {
  const batch = Math.max(1, options.batch ?? 1);
  const batches: { start: number; cases: readonly Case[] }[] = [];
  for (let i = 0; i < cases.length; i += batch) {
    batches.push({ start: i, cases: cases.slice(i, i + batch) });
  }
  const out: Attempt[] = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const b = batches[next++];
      const results = await runBatch(b.cases, options);
      results.forEach((r, i) => out[b.start + i] = r);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.jobs ?? 1) }, worker));
  return out;
}

/** The environment of a child: a home, caches and a quarantine list of its own. */
export function childEnv(dir: string): Record<string, string> {
  const home = `${dir}/home`;
  Deno.mkdirSync(home, { recursive: true, mode: 0o700 });
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: home,
    XDG_CACHE_HOME: `${home}/.cache`,
    XDG_STATE_HOME: `${home}/.local/state`,
    PLUGBOARD_QUARANTINE: `${home}/quarantine.json`,
    TMPDIR: dir,
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
  };
}

async function runBatch(cases: readonly Case[], options: RunOptions): Promise<Attempt[]> {
  const results: (Attempt | undefined)[] = new Array(cases.length);
  let failures = 0;
  let from = 0;
  while (from < cases.length) {
    if (failures >= (options.maxFailuresPerBatch ?? Infinity)) {
      for (let i = from; i < cases.length; i++) {
        results[i] = {
          label: cases[i].label,
          op: cases[i].op,
          verdict: "wrong",
          outcome: "not-run",
          expect: cases[i].expect,
          detail: `not run: ${failures} crashes or hangs before it in its batch`,
          ms: 0,
        };
      }
      break;
    }
    const run = await runChild(cases, from, options);
    for (const [i, r] of run.done) results[i] = r;
    if (run.died !== undefined) {
      results[run.died.index] = run.died.attempt;
      failures++;
      from = run.died.index + 1;
    } else {
      // Every case after `from` that has no result: the child stopped between attempts.
      const missing = cases.findIndex((_, i) => i >= from && results[i] === undefined);
      if (missing === -1) break;
      results[missing] = {
        label: cases[missing].label,
        op: cases[missing].op,
        verdict: "crash",
        outcome: run.exit,
        expect: cases[missing].expect,
        detail: `the child ended before this attempt started: ${run.stderr}`,
        ms: 0,
      };
      failures++;
      from = missing + 1;
    }
  }
  return results as Attempt[];
}

interface ChildRun {
  done: Map<number, Attempt>;
  died?: { index: number; attempt: Attempt };
  exit: string;
  stderr: string;
}

async function runChild(
  cases: readonly Case[],
  from: number,
  options: RunOptions,
): Promise<ChildRun> {
  const wire: WireCase[] = [];
  for (let i = from; i < cases.length; i++) {
    wire.push({ id: i, op: cases[i].op, args: cases[i].args as WireCase["args"] });
  }
  const child = new Deno.Command("setsid", {
    args: [Deno.execPath(), "run", "-A", "--no-prompt", "--quiet", CHILD],
    cwd: options.dir,
    env: childEnv(options.dir),
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const pgid = child.pid;
  const writer = child.stdin.getWriter();
  writer.write(new TextEncoder().encode(JSON.stringify({ dir: options.dir, cases: wire })))
    .then(() => writer.close()).catch(() => {});

  const done = new Map<number, Attempt>();
  let current: number | undefined;
  let currentPhase = "";
  let startedAt = performance.now();
  let killedFor: "timeout" | "memory" | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const kill = (why: "timeout" | "memory") => {
    killedFor ??= why;
    try {
      Deno.kill(-pgid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  const arm = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => kill("timeout"), ms);
  };
  // Until the first attempt starts: start-up and crafting.
  arm(30_000);
  const maxRss = (options.maxRssMiB ?? 2048) * 1024;
  const watch = setInterval(() => {
    if (rssKiB(child.pid) > maxRss) kill("memory");
  }, 200);

  const stderrTail = collectTail(child.stderr);
  // When the child ends, whatever it left running (isolation children, a
  // swapper) is counted and killed, so that its pipes close.
  let strays = 0;
  const ended = child.status.then((status) => {
    strays = groupMembers(pgid);
    try {
      Deno.kill(-pgid, "SIGKILL");
    } catch {
      // nothing left
    }
    return status;
  });
  let buffer = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf("\n")) !== -1) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const at = line.indexOf(MARK);
      if (at === -1) continue;
      const msg = JSON.parse(line.slice(at + MARK.length));
      if ("phase" in msg) {
        currentPhase = msg.phase;
      } else if ("start" in msg) {
        current = msg.start;
        currentPhase = "";
        startedAt = performance.now();
        arm(cases[msg.start].timeoutMs ?? options.timeoutMs ?? 15_000);
      } else if ("done" in msg) {
        const c = cases[msg.done];
        const attempt: Attempt = {
          label: c.label,
          op: c.op,
          verdict: verdictOf(c, msg.outcome, msg.loss),
          outcome: msg.outcome,
          expect: c.expect,
          detail: msg.detail,
          errorClass: msg.errorClass,
          ms: msg.ms,
        };
        done.set(msg.done, attempt);
        options.onAttempt?.(attempt);
        current = undefined;
        arm(30_000);
      }
    }
  }
  const status = await ended;
  clearTimeout(timer);
  clearInterval(watch);
  const stderr = (await stderrTail).trim().split("\n").slice(-3).join(" | ").slice(0, 400) +
    (strays ? ` (${strays} processes of its group were still running)` : "");
  const exit = status.signal ? `signal:${status.signal}` : `exit:${status.code}`;
  if (current === undefined) return { done, exit, stderr };
  const c = cases[current];
  const ms = performance.now() - startedAt;
  const during = currentPhase ? ` during ${currentPhase}` : "";
  const attempt: Attempt = killedFor
    ? {
      label: c.label,
      op: c.op,
      verdict: "hang",
      outcome: killedFor,
      expect: c.expect,
      detail: killedFor === "timeout"
        ? `no answer after ${Math.round(ms)} ms${during}; killed`
        : `resident memory over ${options.maxRssMiB ?? 2048} MiB${during}; killed`,
      ms,
    }
    : {
      label: c.label,
      op: c.op,
      verdict: "crash",
      outcome: exit,
      expect: c.expect,
      detail: `the host process died (${exit})${during}${stderr ? `: ${stderr}` : ""}`,
      ms,
    };
  if (c.triage) {
    const [t] = await runBatch([c.triage], { ...options, onAttempt: undefined });
    attempt.detail += `; triage, ${c.triage.label}: ${
      t.verdict === "correct" ? "" : `${t.verdict} `
    }${t.outcome}${t.detail ? ` (${t.detail.slice(0, 120)})` : ""}`;
  }
  options.onAttempt?.(attempt);
  return { done, died: { index: current, attempt }, exit, stderr };
}

function verdictOf(c: Case, outcome: string, loss: number | undefined): Verdict {
  if (loss) return "loss";
  return c.expect.includes(outcome) ? "correct" : "wrong";
}

/** How many processes are in a process group. */
function groupMembers(pgid: number): number {
  let n = 0;
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && fields[0] !== "Z") n++;
    } catch {
      // gone
    }
  }
  return n;
}

function rssKiB(pid: number): number {
  try {
    const m = Deno.readTextFileSync(`/proc/${pid}/status`).match(/VmRSS:\s+(\d+)/);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

async function collectTail(stream: ReadableStream<Uint8Array>): Promise<string> {
  let tail = "";
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4000);
  }
  return tail;
}

/** Counts of one class of attacks. */
export interface Tally {
  /** Attempts made. */
  attempts: number;
  /** With the expected outcome. */
  correct: number;
  /** With another outcome. */
  wrong: number;
  /** The host process died. */
  crash: number;
  /** The host process hung or ran away with memory. */
  hang: number;
  /** Data was lost. */
  loss: number;
}

/**
 * Count verdicts.
 *
 * @param attempts the records
 * @returns the counts
 */
export function tally(attempts: readonly Attempt[]): Tally {
  const t: Tally = { attempts: attempts.length, correct: 0, wrong: 0, crash: 0, hang: 0, loss: 0 };
  for (const a of attempts) t[a.verdict]++;
  return t;
}
