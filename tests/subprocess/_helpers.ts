/**
 * Helpers shared by the subprocess-plugin tests: paths of the reference
 * plugins and fixtures, the Go build, a log collector, and process checks
 * through /proc.
 *
 * @module
 */

import { defineInterface } from "../../src/abi/define_interface.ts";
import type { LogRecord, LogSink } from "../../src/log/log_record.ts";
import { BUILD, ROOT } from "../_paths.ts";

/**
 * Fail (not skip) when a tool the reference plugins and fixtures run is
 * missing, naming the Debian package that provides it.
 *
 * @param tools program name to Debian package
 */
function requireTools(tools: Record<string, string>): void {
  const path = (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":");
  for (const [tool, pkg] of Object.entries(tools)) {
    const found = path.some((dir) => {
      try {
        return Deno.statSync(`${dir}/${tool}`).isFile;
      } catch {
        return false;
      }
    });
    if (!found) throw new Error(`${tool} is missing: install the Debian package ${pkg}`);
  }
}

requireTools({
  bash: "bash",
  python3: "python3",
  awk: "mawk",
  setsid: "util-linux",
  base64: "coreutils",
  yes: "coreutils",
});

/** The reference plugins' folder. */
export const RPC = `${ROOT}/plugins/rpc`;
/** The fixtures' folder. */
export const FIXTURES = `${ROOT}/tests/subprocess/fixtures`;

/** The calculator interface (as src/cli/calc_command.ts declares it). */
export const CalcOp = defineInterface("calc.op", "1.0", {
  name: "cstring name()",
  apply: "fallible f64 apply(f64 a, f64 b)",
});

/** The text processor interface (as src/cli/pipe_command.ts declares it). */
export const TextProcessor = defineInterface("text.processor", "1.0", {
  name: "cstring name()",
  process: "fallible usize process(buffer input, usize input_len, buffer output, usize output_cap)",
});

/** The interface of tests/subprocess/fixtures/faulty.sh. */
export const Faulty = defineInterface("faulty", "1.0", {
  pid: "i32 pid()",
  spawn_child: "i32 spawn_child()",
  spawn_daemon: "i32 spawn_daemon()",
  crash: "i32 crash(i32 code)",
  segv: "i32 segv()",
  hang: "i32 hang()",
  flood: "i32 flood()",
  blank_flood: "i32 blank_flood()",
  garbage: "i32 garbage()",
  wrong_id: "i32 wrong_id()",
  bad_value: "i32 bad_value()",
  fail: "i32 fail(i32 code)",
  echo: "i32 echo(i32 x)",
  defer: "i32 defer(i32 x)",
  stderr_flood: "i32 stderr_flood()",
});

/** A log sink that keeps every record. */
export function collectLog(): {
  sink: LogSink;
  records: LogRecord[];
  lines: (event: string) => string[];
} {
  const records: LogRecord[] = [];
  return {
    sink: (r) => records.push(r),
    records,
    lines: (event) => records.filter((r) => r.event === event).map((r) => r.message),
  };
}

/**
 * Whether a process runs: it exists and is not a zombie.
 *
 * @param pid the process id
 * @returns true when it runs
 */
export function isAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/**
 * Wait until every process is gone (or a zombie), polling every 10 ms.
 *
 * @param pids the process ids
 * @param ms how long to wait at most
 * @returns how long it took, or `undefined` when one is still there
 */
export async function waitGone(pids: readonly number[], ms = 5000): Promise<number | undefined> {
  const start = performance.now();
  while (performance.now() - start < ms) {
    if (pids.every((p) => !isAlive(p))) return performance.now() - start;
    await new Promise((r) => setTimeout(r, 10));
  }
  return pids.every((p) => !isAlive(p)) ? performance.now() - start : undefined;
}

/**
 * The children of a process, from /proc.
 *
 * @param pid the parent
 * @returns the pids of its living children
 */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(ppid) === pid && state !== "Z") out.push(Number(e.name));
    } catch {
      // gone
    }
  }
  return out;
}

/** Kill processes a failed test may have left, ignoring the ones already gone. */
export function killAll(pids: readonly number[]): void {
  for (const p of pids) {
    try {
      Deno.kill(p, "SIGKILL");
    } catch {
      // gone
    }
  }
}

function goBinary(): string {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":").concat("/usr/local/go/bin")) {
    try {
      if (Deno.statSync(`${dir}/go`).isFile) return `${dir}/go`;
    } catch {
      // not there
    }
  }
  throw new Error(
    "the Go toolchain is missing: install the Debian package golang-go (or Go into /usr/local/go)",
  );
}

/**
 * Build the Go reference plugin into `build/rpc/calc_div`, with its sidecar
 * next to it; skipped when the binary is newer than its sources.
 *
 * @returns the binary's path
 */
export async function buildGoPlugin(): Promise<string> {
  const src = `${RPC}/calc_div`;
  const out = `${BUILD}/rpc/calc_div`;
  const newest = Math.max(
    ...["main.go", "go.mod", "calc_div.plugboard.json"].map((f) =>
      Deno.statSync(`${src}/${f}`).mtime!.getTime()
    ),
  );
  let built = 0;
  try {
    built = Deno.statSync(out).mtime!.getTime();
  } catch {
    // not built yet
  }
  if (built < newest) {
    Deno.mkdirSync(`${BUILD}/rpc`, { recursive: true });
    const tmp = `${out}.tmp-${Deno.pid}`;
    const r = await new Deno.Command(goBinary(), {
      args: ["build", "-trimpath", "-o", tmp, "."],
      cwd: src,
      env: { CGO_ENABLED: "0" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!r.success) {
      throw new Error(`go build failed:\n${new TextDecoder().decode(r.stderr)}`);
    }
    Deno.renameSync(tmp, out);
  }
  Deno.copyFileSync(`${src}/calc_div.plugboard.json`, `${out}.plugboard.json`);
  return out;
}

/**
 * A native sample plugin built by `deno task build`; fails with a hint when
 * it is missing.
 *
 * @param name e.g. `calc_add`
 * @returns its path
 */
export function nativePlugin(name: string): string {
  const path = `${BUILD}/${name}.so`;
  try {
    Deno.statSync(path);
  } catch {
    throw new Error(`${path} is missing: run \`deno task build\` first`);
  }
  return path;
}

/**
 * A directory mixing the calculator's operators from four languages: "+"
 * native (C, build/calc_add.so), "-" bash, "*" Python, "/" Go (rpc) and "%"
 * bash (one-shot), each subprocess plugin with its sidecar. For the lead's
 * `plugboard calc --dir DIR`.
 *
 * @returns the directory (removed on dispose) and its files
 */
export async function mixedCalcDir(): Promise<
  { dir: string; files: Record<string, string>; [Symbol.asyncDispose](): Promise<void> }
> {
  const go = await buildGoPlugin();
  const dir = await Deno.makeTempDir({ prefix: "plugboard-mixed-calc-" });
  const files: Record<string, string> = {
    "+": `${dir}/calc_add.so`,
    "-": `${dir}/calc_sub.sh`,
    "*": `${dir}/calc_mul.py`,
    "/": `${dir}/calc_div`,
    "%": `${dir}/calc_mod.sh`,
  };
  Deno.copyFileSync(nativePlugin("calc_add"), files["+"]);
  const copy = (from: string, to: string) => {
    Deno.copyFileSync(from, to);
    Deno.copyFileSync(`${from}.plugboard.json`, `${to}.plugboard.json`);
    Deno.chmodSync(to, 0o755);
  };
  copy(`${RPC}/calc_sub.sh`, files["-"]);
  copy(`${RPC}/calc_mul.py`, files["*"]);
  copy(go, files["/"]);
  copy(`${RPC}/calc_mod.sh`, files["%"]);
  return { dir, files, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}
