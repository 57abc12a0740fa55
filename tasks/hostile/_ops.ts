/**
 * What one attempt does, inside the child process that runs it: the
 * operations of the hostile-input suite, by name. Each takes JSON
 * arguments, may first craft its input file from a base file (a stretched
 * note, moved notes, a patched symbol, a fuzz mutation), runs plugboard's
 * public API on it, and returns what happened: `ok`, the `PluginError` code,
 * or `error:<Name>` for anything that is not a `PluginError` (always wrong).
 * Nothing here catches a crash or a hang: the parent sees those.
 *
 * @module
 */

import { join } from "node:path";
import {
  checkPlugin,
  defineInterface,
  inspectPlugin,
  openLibrary,
  openPlugin,
  type Plugin,
  PluginError,
} from "../../mod.ts";
import { PluginHost } from "../../src/host/mod.ts";
import { Registry } from "../../src/registry/mod.ts";
import { openQuarantine } from "../../src/isolate/mod.ts";
import { runCli } from "../../src/cli/main.ts";
import {
  appendNotes,
  claimNoteAddress,
  moveNotes,
  type NewNote,
  patchPluginField,
  patchSymbol,
  stretchNote,
  type SymbolPatch,
} from "./_elf_patch.ts";
import { mutate } from "./_mutate.ts";
import { phase } from "./_wire.ts";

/** What an operation reports. */
export interface OpResult {
  /** `ok`, a `PluginError` code, or `error:<Name>`. */
  outcome: string;
  /** What happened, briefly. */
  detail?: string;
  /** Data lost (trust entries missing, a file replaced that should not have been). */
  loss?: number;
  /** The class of the error thrown, if one was. */
  errorClass?: string;
}

/** How an attempt's input file is made from a base file. */
export type CraftSpec =
  | { kind: "stretch"; base: string; end: number; which?: "last-plugboard" | "first" }
  | { kind: "move"; base: string; to: number; grow: boolean; stretchTo?: number }
  | { kind: "claim"; base: string; vaddr: number }
  | { kind: "mutate"; base: string; seed: number }
  | { kind: "symbol"; base: string; name: string; patch: SymbolPatch }
  | { kind: "rename"; base: string; name: string }
  | { kind: "function-notes"; base: string; count: number }
  | { kind: "notes"; base: string; notes: NewNote[] };

/** A value passed to a plugin function, as JSON. */
export type WireValue =
  | { t: "num"; v: number | "NaN" | "Infinity" | "-Infinity" | "-0" }
  | { t: "big"; v: string }
  | { t: "str"; v: string }
  | { t: "bool"; v: boolean }
  | { t: "sym" | "null" | "undef" | "obj" | "arr" | "date" | "detached" }
  | { t: "u8"; n: number };

// deno-lint-ignore no-explicit-any
type Args = Record<string, any>;

let crafted = 0;

/**
 * Make the attempt's input file when it has a craft spec.
 *
 * @param dir where to write it
 * @param spec how to make it
 * @returns the file's path
 */
export function craft(dir: string, spec: CraftSpec): string {
  const base = Deno.readFileSync(spec.base);
  let bytes: Uint8Array;
  switch (spec.kind) {
    case "stretch":
      bytes = stretchNote(base, spec.end, spec.which);
      break;
    case "move":
      bytes = moveNotes(base, spec.to, spec.grow);
      if (spec.stretchTo !== undefined) bytes = stretchNote(bytes, spec.stretchTo);
      break;
    case "claim":
      bytes = claimNoteAddress(base, spec.vaddr);
      break;
    case "mutate":
      bytes = mutate(base, spec.seed).bytes;
      break;
    case "symbol":
      bytes = patchSymbol(base, spec.name, spec.patch);
      break;
    case "rename":
      bytes = patchPluginField(base, "name", spec.name);
      break;
    case "notes":
      bytes = appendNotes(base, spec.notes);
      break;
    case "function-notes":
      bytes = appendNotes(
        base,
        Array.from({ length: spec.count }, (_, i) => ({
          type: 3,
          text: `interface=greeter\nsignature=pb_i32 f${i}(void)\nfallible=0\n`,
        })),
      );
      break;
  }
  const path = join(dir, `crafted-${Deno.pid}-${++crafted}.so`);
  Deno.writeFileSync(path, bytes, { mode: 0o644 });
  return path;
}

/**
 * Decode a wire value.
 *
 * @param w the value as JSON
 * @returns the JavaScript value
 */
export function decodeValue(w: WireValue): unknown {
  switch (w.t) {
    case "num":
      return w.v === "NaN"
        ? NaN
        : w.v === "Infinity"
        ? Infinity
        : w.v === "-Infinity"
        ? -Infinity
        : w.v === "-0"
        ? -0
        : w.v;
    case "big":
      return BigInt(w.v);
    case "str":
      return w.v;
    case "bool":
      return w.v;
    case "sym":
      return Symbol("hostile");
    case "null":
      return null;
    case "undef":
      return undefined;
    case "obj":
      return { valueOf: () => 1 };
    case "arr":
      return [1];
    case "date":
      return new Date(0);
    case "u8":
      return new Uint8Array(w.n);
    case "detached": {
      const a = new Uint8Array(new ArrayBuffer(16));
      structuredClone(a.buffer, { transfer: [a.buffer] });
      return a;
    }
  }
}

/** The outcome of a thrown value. */
export function outcomeOf(e: unknown): OpResult {
  if (e instanceof PluginError) {
    return { outcome: e.code, detail: e.summary.slice(0, 400), errorClass: e.constructor.name };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return {
    outcome: `error:${err.name}`,
    detail: err.message.slice(0, 400),
    errorClass: err.constructor.name,
  };
}

async function attempt(fn: () => Promise<OpResult> | OpResult): Promise<OpResult> {
  try {
    return await fn();
  } catch (e) {
    return outcomeOf(e);
  }
}

function show(v: unknown): string {
  return typeof v === "bigint" ? `${v}n` : typeof v === "string" ? JSON.stringify(v) : String(v);
}

/** Run a CLI command in this process; the outcome is the first `error[CODE]` it printed, or ok. */
async function cli(args: string[]): Promise<OpResult & { lines: string[] }> {
  const lines: string[] = [];
  const code = await runCli(args, {
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
    color: false,
  });
  const m = lines.join("\n").match(/error\[([A-Z_]+)\]/);
  const outcome = code === 0 ? "ok" : m ? m[1] : `exit:${code}`;
  return { outcome, detail: `exit ${code}: ${lines.join(" | ").slice(0, 800)}`, lines };
}

const opened = new Map<string, Plugin<"sync"> | Plugin<"async">>();

/** Open a plugin once per child (for batches of calls). */
async function cachedOpen(path: string, isolated: boolean) {
  const key = `${isolated}\0${path}`;
  let p = opened.get(key);
  if (!p) {
    p = isolated ? await openPlugin(path, { isolation: "process" }) : await openPlugin(path);
    opened.set(key, p);
  }
  return p;
}

/** A special file made in `dir`: the kind names what it is. */
export type SpecialKind = "fifo" | "device" | "dir" | "sparse" | "loop" | "dangling";

/**
 * Make a special file. `device` is a private character device node like
 * /dev/zero (made with mknod as root, so that a write through it can never
 * replace the real /dev/zero), else a symlink to /dev/zero (harmless without
 * root, who cannot replace it).
 */
function makeSpecial(path: string, kind: SpecialKind, sparseBytes: number): void {
  switch (kind) {
    case "fifo":
      run("mkfifo", ["-m", "600", path]);
      return;
    case "device":
      if (Deno.uid() === 0) run("mknod", ["-m", "666", path, "c", "1", "5"]);
      else Deno.symlinkSync("/dev/zero", path);
      return;
    case "dir":
      Deno.mkdirSync(path);
      return;
    case "sparse": {
      using f = Deno.openSync(path, { write: true, create: true });
      f.truncateSync(sparseBytes);
      return;
    }
    case "loop":
      Deno.symlinkSync(path, path + ".b");
      Deno.symlinkSync(path + ".b", path);
      return;
    case "dangling":
      Deno.symlinkSync(path + ".nowhere", path);
      return;
  }
}

function kindOf(path: string): string {
  try {
    const s = Deno.lstatSync(path);
    if (s.isSymlink) return "symlink";
    if (s.isFile) return `file:${s.size}`;
    if (s.isDirectory) return "dir";
    if (s.isFifo) return "fifo";
    if (s.isCharDevice) return "device";
    return "other";
  } catch {
    return "missing";
  }
}

function run(cmd: string, args: string[]): void {
  const out = new Deno.Command(cmd, { args, stderr: "piped" }).outputSync();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

function mappedNames(): string {
  return Deno.readTextFileSync("/proc/self/maps");
}

function openFds(): number {
  return [...Deno.readDirSync("/proc/self/fd")].length;
}

/** The operations, by name. */
export const OPS: Record<string, (a: Args, dir: string) => Promise<OpResult>> = {
  /** inspectPlugin(path). */
  inspect: (a) =>
    attempt(() => {
      const r = inspectPlugin(a.path);
      return { outcome: "ok", detail: `${r.name}@${r.version}` };
    }),

  /** checkPlugin(path). */
  check: (a) =>
    attempt(() => {
      checkPlugin(a.path);
      return { outcome: "ok" };
    }),

  /** openPlugin(path, options), optionally call a function, then close. */
  open: (a) =>
    attempt(async () => {
      const options = { ...(a.options ?? {}) };
      phase("openPlugin");
      const p = await openPlugin(a.path, options);
      let detail = `${p.metadata.name}@${p.metadata.version}`;
      try {
        if (a.call) {
          phase(`the plugin's ${a.call.fn}()`);
          const r = await (p.function(a.call.fn) as (...x: unknown[]) => unknown)(
            ...(a.call.args ?? []),
          );
          detail += ` ${a.call.fn} -> ${show(r)}`;
        }
      } finally {
        phase("close()");
        const closed = await p.close();
        detail += closed.unloaded ? "" : ` (kept: ${closed.reason})`;
      }
      return { outcome: "ok", detail };
    }),

  /** A PluginHost over a fresh directory holding the file (or the given directory). */
  discover: (a, dir) =>
    attempt(async () => {
      let hostDir = a.dir;
      if (!hostDir) {
        hostDir = Deno.makeTempDirSync({ dir, prefix: "host-" });
        Deno.copyFileSync(a.path, join(hostDir, a.name ?? "plugin.so"));
      }
      await using host = new PluginHost({ paths: [hostDir], env: false, mode: "eager" });
      phase("PluginHost.discover");
      const s = await host.discover();
      phase("PluginHost.close");
      const detail = `found ${s.found}, loaded ${s.loaded}, skipped ${
        s.skipped.map((k) => `${k.path.split("/").pop()}:${k.code}`).join(",")
      }`;
      if (a.expectLoaded !== undefined) {
        return {
          outcome: s.loaded === a.expectLoaded && s.found === a.expectFound ? "ok" : "wrong-count",
          detail,
        };
      }
      return { outcome: s.skipped.length ? s.skipped[0].code : "ok", detail };
    }),

  /**
   * A host over a directory holding a good plugin, which is then replaced
   * (by rename) with the attempt's file and refreshed: the reload must be
   * refused with a code (or succeed), never crash.
   */
  reload: (a, dir) =>
    attempt(async () => {
      const hostDir = Deno.makeTempDirSync({ dir, prefix: "reload-" });
      const target = join(hostDir, "plugin.so");
      Deno.copyFileSync(a.good, target);
      await using host = new PluginHost({ paths: [hostDir], env: false, mode: "eager" });
      phase("PluginHost.discover");
      const found = await host.discover();
      if (found.loaded !== 1) {
        return { outcome: "error:Suite", detail: "the good plugin did not load" };
      }
      Deno.copyFileSync(a.path, target + ".new");
      Deno.renameSync(target + ".new", target);
      phase("PluginHost.refresh");
      const r = await host.refresh();
      const detail = `reloaded ${r.reloaded.length}, refused ${r.refused.map((k) => k.code)}`;
      return {
        outcome: r.refused[0]?.code ?? (r.reloaded.length ? "ok" : "error:NotReloaded"),
        detail,
      };
    }),

  /** plugin.variable(name, type).get() or .set(value). */
  variable: (a) =>
    attempt(async () => {
      phase("openPlugin");
      const p = await openPlugin(a.path);
      try {
        phase(`variable("${a.name}", "${a.type}").${a.op}()`);
        const v = p.variable(a.name, a.type);
        if (a.op === "set") {
          v.set((a.type.endsWith("64") ? BigInt(a.value ?? 1) : a.value ?? 1) as never);
          return { outcome: "ok", detail: `set, now ${show(v.get())}` };
        }
        return { outcome: "ok", detail: `read ${show(v.get())}` };
      } finally {
        await p.close();
      }
    }),

  /** A CLI command, in this process. */
  cli: async (a) => {
    const r = await attempt(() => cli(a.args));
    return { outcome: r.outcome, detail: r.detail };
  },

  /**
   * A special file where plugboard expects a regular one (the plugin, the
   * lockfile, the hash cache, the quarantine list): the action must fail
   * with a code (or, for the hash cache, go on without it), and the special
   * file must still be what it was afterwards (else: loss).
   */
  special: (a, dir) =>
    attempt(async () => {
      const scratch = Deno.makeTempDirSync({ dir, prefix: "special-" });
      const target = join(scratch, a.name ?? "special");
      makeSpecial(target, a.kind, a.sparseBytes ?? 0);
      const before = kindOf(target);
      const plugin = join(scratch, "greeter.so");
      Deno.copyFileSync(a.plugin, plugin);
      const lock = join(scratch, "plugboard.lock");
      let r: OpResult;
      switch (a.role) {
        case "plugin":
          r = a.action === "open"
            ? await OPS.open({ path: target }, dir)
            : a.action === "inspect"
            ? await OPS.inspect({ path: target }, dir)
            : a.action === "discover"
            ? await OPS.discover({ dir: scratch }, dir)
            : await OPS.cli({ args: ["trust", target, "--lock", lock] }, dir);
          break;
        case "lockfile":
          r = a.action === "open"
            ? await attempt(async () => {
              await (await openPlugin(plugin, { registry: target })).close();
              return { outcome: "ok" };
            })
            : a.action === "edit"
            ? await attempt(() => {
              Registry.edit(target, {}, (reg) => reg.size);
              return { outcome: "ok" };
            })
            : await OPS.cli({ args: [a.action, plugin, "--lock", target] }, dir);
          break;
        case "cache": {
          await OPS.cli({ args: ["trust", plugin, "--lock", lock] }, dir);
          r = await OPS.cli({ args: ["verify", plugin, "--lock", lock, "--cache", target] }, dir);
          break;
        }
        case "quarantine":
          r = a.action === "check"
            ? await attempt(() => {
              openQuarantine(target).check(plugin);
              return { outcome: "ok" };
            })
            : await OPS.cli({
              args: a.action === "probe"
                ? ["probe", plugin, "--quarantine", target]
                : ["quarantine", a.action, "--quarantine", target],
            }, dir);
          break;
        default:
          throw new Error(`unknown role ${a.role}`);
      }
      const after = kindOf(target);
      if (after !== before) {
        return {
          ...r,
          loss: 1,
          detail: `${r.detail ?? ""}; the ${a.kind} was replaced: ${before} -> ${after}`,
        };
      }
      const stray = [...Deno.readDirSync(scratch)].map((e) => e.name).filter((n) =>
        n.includes(".tmp-")
      );
      if (stray.length) return { ...r, detail: `${r.detail}; left behind ${stray.join(", ")}` };
      return r;
    }),

  /**
   * Open a plugin over and over while the swapper replaces its path by
   * other files as fast as it can. Every open must succeed or fail with a
   * code, none may hang, and a handle must run the code of the bytes it
   * reports (its SHA-256).
   */
  race: (a, dir) =>
    attempt(async () => {
      const scratch = Deno.makeTempDirSync({ dir, prefix: "race-" });
      const path = join(scratch, "plugin.so");
      Deno.copyFileSync(a.greeter, path);
      const entries = (a.entries as string[]).map((e) => e.replace("$DIR", scratch));
      const swapper = new Deno.Command(a.swapper, {
        args: [path, ...entries],
        stdout: "null",
        stderr: "null",
      }).spawn();
      const greetings = a.greetings as Record<string, string>;
      const codes = new Map<string, number>();
      let mismatched = "";
      try {
        for (let i = 0; i < a.iterations; i++) {
          let outcome = "ok";
          try {
            const p = await openPlugin(path, a.options ?? {});
            const said = String(p.function("greet")("x"));
            const want = greetings[p.sha256];
            if (want === undefined || !said.startsWith(want)) {
              mismatched ||= `SHA-256 ${p.sha256.slice(0, 12)} said "${said}", expected "${want}"`;
              outcome = "integrity";
            }
            await p.close();
          } catch (e) {
            outcome = outcomeOf(e).outcome;
          }
          codes.set(outcome, (codes.get(outcome) ?? 0) + 1);
        }
      } finally {
        swapper.kill("SIGKILL");
        await swapper.status;
      }
      const detail = [...codes].map(([k, n]) => `${k}×${n}`).join(" ") +
        (mismatched ? `; ${mismatched}` : "");
      const allowed = new Set(a.allowed as string[]);
      const bad = [...codes.keys()].find((k) => !allowed.has(k));
      return { outcome: bad ?? "ok", detail };
    }),

  /**
   * Call one function with one value in this process and isolated; both
   * must agree. With `after`, both handles must still answer another call
   * afterwards; with `fresh`, the handles are opened for this attempt only.
   */
  "call-both": (a) =>
    attempt(async () => {
      const value = decodeValue(a.value);
      const inproc = a.fresh ? await openPlugin(a.path) : await cachedOpen(a.path, false);
      const iso = a.fresh
        ? await openPlugin(a.path, { isolation: "process" })
        : await cachedOpen(a.path, true);
      const one = async (p: Plugin<"sync"> | Plugin<"async">, fn: string, v: unknown) => {
        try {
          const r = await (p.function(fn) as (x: unknown) => unknown)(v);
          return { outcome: "ok", detail: show(r) };
        } catch (e) {
          return outcomeOf(e);
        }
      };
      try {
        phase("the call in this process");
        const x = await one(inproc, a.fn, value);
        phase("the isolated call");
        const y = await one(iso, a.fn, value);
        const differ = x.outcome !== y.outcome || (x.outcome === "ok" && x.detail !== y.detail);
        const modes = `in process: ${x.outcome} ${x.detail ?? ""}; isolated: ${y.outcome} ${
          y.detail ?? ""
        }`;
        if (a.after) {
          // The handles must still work after the hostile value.
          const after = decodeValue(a.after.value);
          phase(`${a.after.fn}() in this process, afterwards`);
          const x2 = await one(inproc, a.after.fn, after);
          phase(`the isolated ${a.after.fn}(), afterwards`);
          const y2 = await one(iso, a.after.fn, after);
          if (x2.outcome !== "ok" || y2.outcome !== "ok") {
            return {
              outcome: "error:BrokenAfterwards",
              detail:
                `${a.after.fn}() afterwards: in process ${x2.outcome}, isolated ${y2.outcome}; ${modes}`,
            };
          }
        }
        return differ ? { outcome: "error:ModesDiffer", detail: modes } : x;
      } finally {
        if (a.fresh) {
          phase("close()");
          await inproc.close();
          await iso.close();
        }
      }
    }),

  /** Call one function with one value, in this process or isolated. */
  "call-one": (a) =>
    attempt(async () => {
      const p = await cachedOpen(a.path, Boolean(a.isolated));
      phase(`${a.fn}()`);
      const r = await (p.function(a.fn) as (x: unknown) => unknown)(decodeValue(a.value));
      return { outcome: "ok", detail: show(r) };
    }),

  /** A CLI command whose output must not carry terminal control characters. */
  "cli-clean": async (a) => {
    const r = await attempt(() => cli(a.args));
    const lines = (r as { lines?: string[] }).lines ?? [];
    // deno-lint-ignore no-control-regex
    const raw = lines.find((l) => /[\u0000-\u0008\u000b-\u001f\u007f\u009b]/.test(l));
    if (raw !== undefined) {
      return {
        outcome: "error:ControlCharacters",
        detail: `printed raw: ${JSON.stringify(raw).slice(0, 200)}`,
      };
    }
    return { outcome: r.outcome, detail: r.detail };
  },

  /**
   * `plugboard trust` from N processes at once, each adding one plugin to
   * one lockfile (optionally a symlink to the real one); every entry must be
   * there afterwards, and a symlink must still be a symlink.
   */
  "trust-concurrent": (a, dir) =>
    attempt(async () => {
      const scratch = Deno.makeTempDirSync({ dir, prefix: "trust-" });
      const real = join(scratch, a.symlink ? "real.lock" : "plugboard.lock");
      const lock = join(scratch, "plugboard.lock");
      if (a.symlink) {
        Deno.writeTextFileSync(real, '{ "version": 1, "plugins": {} }\n');
        Deno.symlinkSync("real.lock", lock);
      }
      const files: string[] = [];
      for (let i = 0; i < a.n; i++) {
        const file = join(scratch, `p${i}.so`);
        const base = Deno.readFileSync(a.plugin);
        Deno.writeFileSync(
          file,
          patchPluginField(base, "name", `grt-${String(i).padStart(3, "0")}`),
        );
        files.push(file);
      }
      const main = new URL("../../src/cli/main.ts", import.meta.url).pathname;
      const procs = files.map((f) =>
        new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", "--no-prompt", main, "trust", f, "--lock", lock],
          stdout: "piped",
          stderr: "piped",
          env: { NO_COLOR: "1" },
        }).spawn()
      );
      const outs = await Promise.all(procs.map((p) => p.output()));
      const failed = outs.filter((o) => !o.success);
      const text = Deno.readTextFileSync(real);
      const entries = Object.keys(JSON.parse(text).plugins).length;
      const linkKept = !a.symlink || Deno.lstatSync(lock).isSymlink;
      const loss = a.n - entries;
      const detail = `${a.n} processes, ${failed.length} failed, ${entries} entries in ${
        a.symlink ? "the link's target" : "the lockfile"
      }${linkKept ? "" : "; the symlink was replaced by a file"}${
        failed.length ? `: ${new TextDecoder().decode(failed[0].stderr).slice(0, 200)}` : ""
      }`;
      return {
        outcome: failed.length ? "error:TrustFailed" : "ok",
        detail,
        loss: loss + (linkKept ? 0 : 1),
      };
    }),

  /**
   * Open, use and close a plugin that registers a thread-local destructor,
   * then open another plugin, `cycles` times in one process. Every other
   * plugin must open and work, and close() must not say `unloaded: true`
   * while the library is still mapped.
   */
  tls: (a) =>
    attempt(async () => {
      let lies = 0;
      let kept = "";
      for (let i = 0; i < a.cycles; i++) {
        const p = await openPlugin(a.path, a.options ?? {});
        const name = p.metadata.name;
        const f = p.functions(a.decl) as unknown as Record<string, (x: unknown) => unknown>;
        await f[a.fn](a.arg);
        const closed = await p.close();
        const stillMapped = mappedNames().includes(`plugboard:${name}`) ||
          mappedNames().includes(p.realPath);
        if (closed.unloaded && stillMapped) lies++;
        if (!closed.unloaded) kept = closed.reason ?? "";
        const other = await openPlugin(a.other);
        const said = other.function("greet")("x");
        await other.close();
        if (!String(said).startsWith("Hello")) {
          return { outcome: "error:WrongLibrary", detail: `cycle ${i}: greet said ${said}` };
        }
      }
      if (lies) {
        return {
          outcome: "error:UnloadedButMapped",
          detail: `${lies} of ${a.cycles} close() said unloaded: true while still mapped`,
        };
      }
      return { outcome: "ok", detail: kept ? `kept: ${kept}` : "unloaded every time" };
    }),

  /**
   * A plugin's hook notes and its descriptor must agree on init: loaded,
   * the metadata must declare init exactly when the descriptor has one, and
   * it must have run exactly then (`descriptorInit` says what the plugin's
   * descriptor holds).
   */
  hooks: (a) =>
    attempt(async () => {
      const p = await openPlugin(a.path);
      try {
        const declared = p.metadata.hooks.init;
        const ran = Number(p.function("init_ran")()) > 0;
        const has = Boolean(a.descriptorInit);
        return declared === has && ran === has
          ? { outcome: "ok", detail: `init declared ${declared}, ran ${ran}` }
          : {
            outcome: "error:HooksDisagree",
            detail: `the descriptor ${has ? "has" : "has no"} init, the notes say ${
              declared ? "there is one" : "there is none"
            }, and it ${ran ? "ran" : "did not run"}`,
          };
      } finally {
        await p.close();
      }
    }),

  /** openLibrary(name or path, { missing function }). */
  library: (a) =>
    attempt(() => {
      const lib = openLibrary(a.path, { [a.fn]: "void " + a.fn + "()" } as never);
      (lib as unknown as { close(): void }).close?.();
      return { outcome: "ok" };
    }),

  /** Deno.dlopen of the file itself, and one call: what any program could do with it. */
  "raw-dlopen": (a) =>
    attempt(() => {
      phase("Deno.dlopen");
      const lib = Deno.dlopen(a.path, { greet: { parameters: ["buffer"], result: "pointer" } });
      phase("greet()");
      try {
        const p = lib.symbols.greet(new TextEncoder().encode("raw\0"));
        return { outcome: "ok", detail: p ? Deno.UnsafePointerView.getCString(p) : "null" };
      } finally {
        phase("dlclose");
        lib.close();
      }
    }),

  /**
   * Replace the plugin's path by something else from the `verify` hook,
   * that is after the checks and before the load: the load must use the
   * bytes that were checked, or refuse with a code, never hang nor run
   * other code under the checked file's SHA-256.
   */
  "verify-swap": (a, dir) =>
    attempt(async () => {
      const scratch = Deno.makeTempDirSync({ dir, prefix: "swap-" });
      const path = join(scratch, "plugin.so");
      Deno.copyFileSync(a.plugin, path);
      const swap = () => {
        const tmp = path + ".new";
        if (a.to === "fifo") run("mkfifo", ["-m", "600", tmp]);
        else if (a.to === "zero") Deno.symlinkSync("/dev/zero", tmp);
        else Deno.copyFileSync(a.to, tmp);
        Deno.renameSync(tmp, path);
      };
      const p = await openPlugin(path, { ...(a.options ?? {}), verify: swap });
      try {
        const said = String(p.function("greet")("x"));
        const want = (a.greetings as Record<string, string>)[p.sha256];
        if (want === undefined || !said.startsWith(want)) {
          return {
            outcome: "error:OtherCodeLoaded",
            detail: `the handle says SHA-256 ${
              p.sha256.slice(0, 12)
            } (${want}), the code said "${said}"`,
          };
        }
        return { outcome: "ok", detail: said };
      } finally {
        await p.close();
      }
    }),

  /** A quarantine list with this JSON: `plugboard quarantine list` and `probe`. */
  "quarantine-garbage": (a, dir) =>
    attempt(async () => {
      const scratch = Deno.makeTempDirSync({ dir, prefix: "quarantine-" });
      const list = join(scratch, "quarantine.json");
      Deno.writeTextFileSync(list, a.body);
      const listed = await OPS.cli({ args: ["quarantine", "list", "--quarantine", list] }, dir);
      if (listed.outcome !== "QUARANTINE_INVALID") return listed;
      return await OPS.cli({ args: ["probe", a.plugin, "--quarantine", list] }, dir);
    }),

  /**
   * A lockfile whose entry for greeter lists one more, very long function
   * signature (`length` characters, no parenthesis), then `plugboard trust`
   * of another plugin into it: rewriting it must not take long.
   */
  "lockfile-long-function": (a, dir) =>
    attempt(async () => {
      const scratch = Deno.makeTempDirSync({ dir, prefix: "lockfile-" });
      const lock = join(scratch, "plugboard.lock");
      const first = join(scratch, "greeter.so");
      Deno.copyFileSync(a.plugin, first);
      const r = await OPS.cli({ args: ["trust", first, "--lock", lock] }, dir);
      if (r.outcome !== "ok") return r;
      const data = JSON.parse(Deno.readTextFileSync(lock));
      const entry = Object.values(data.plugins)[0] as {
        interfaces: Record<string, { functions: string[] }>;
      };
      for (const i of Object.values(entry.interfaces)) i.functions.push("x".repeat(a.length));
      Deno.writeTextFileSync(lock, JSON.stringify(data));
      const other = join(scratch, "other.so");
      Deno.writeFileSync(other, patchPluginField(Deno.readFileSync(a.plugin), "name", "grt-xyz"));
      phase("plugboard trust (rewriting the lockfile)");
      return await OPS.cli({ args: ["trust", other, "--lock", lock] }, dir);
    }),

  /** A named sequence of opens, uses and closes. */
  sequence: (a) => attempt(() => SEQUENCES[a.name](a)),
};

/** Open/close/use orderings: each returns the outcome of its last, decisive step. */
const SEQUENCES: Record<string, (a: Args) => Promise<OpResult>> = {
  "call after close": async (a) => {
    const p = await openPlugin(a.greeter);
    const greet = p.function("greet");
    await p.close();
    greet("x");
    return { outcome: "ok" };
  },
  "use() after close": async (a) => {
    const p = await openPlugin(a.greeter);
    await p.close();
    p.functions({ greet: "cstring greet(cstring name)" });
    return { outcome: "ok" };
  },
  "variable after close": async (a) => {
    const p = await openPlugin(a.counter);
    const v = p.variable("counter_value", "i32");
    await p.close();
    v.get();
    return { outcome: "ok" };
  },
  "close twice": async (a) => {
    const p = await openPlugin(a.greeter);
    const [x, y] = await Promise.all([p.close(), p.close()]);
    return { outcome: "ok", detail: `${x.unloaded} ${y.unloaded}` };
  },
  "two handles, close one, call the other": async (a) => {
    const p = await openPlugin(a.greeter);
    const q = await openPlugin(a.greeter);
    await p.close();
    const said = q.function("greet")("x");
    await q.close();
    return { outcome: "ok", detail: String(said) };
  },
  "close during a nonblocking call": async (a) => {
    const p = await openPlugin(a.hangCall);
    const { sleep_ms } = p.functions({ sleep_ms: "nonblocking i32 sleep_ms(i32 ms)" });
    const pending = sleep_ms(200);
    const closing = p.close();
    const r = await pending;
    const c = await closing;
    return { outcome: "ok", detail: `call -> ${r}, close -> ${c.unloaded}` };
  },
  "call after close while a nonblocking call is pending": async (a) => {
    const p = await openPlugin(a.hangCall);
    const f = p.functions({
      sleep_ms: "nonblocking i32 sleep_ms(i32 ms)",
      ok: "i32 ok(i32 x)",
    });
    const pending = f.sleep_ms(100);
    const closing = p.close();
    try {
      f.ok(1);
      return { outcome: "ok" };
    } finally {
      await pending;
      await closing;
    }
  },
  "memfd and path modes at once": async (a) => {
    const p = await openPlugin(a.greeter);
    try {
      await openPlugin(a.greeter, { load: "path" });
      return { outcome: "ok" };
    } finally {
      await p.close();
    }
  },
  "open and close 2000 times": async (a) => {
    const fds = openFds();
    for (let i = 0; i < 2000; i++) {
      const p = await openPlugin(a.greeter);
      p.function("greet")("x");
      await p.close();
    }
    const grown = openFds() - fds;
    return grown > 4
      ? { outcome: "error:Leak", detail: `${grown} descriptors more after 2000 cycles` }
      : { outcome: "ok", detail: `descriptors ${fds} -> ${fds + grown}` };
  },
  "host closed, then a hosted plugin used": async (a) => {
    const dir = Deno.makeTempDirSync();
    Deno.copyFileSync(a.greeter, join(dir, "greeter.so"));
    const host = new PluginHost({ paths: [dir], env: false, mode: "eager" });
    await host.discover();
    const [hp] = host.plugins();
    await host.close();
    await hp.use(defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" }));
    return { outcome: "ok" };
  },
  "isolated: call after close": async (a) => {
    const p = await openPlugin(a.greeter, { isolation: "process" });
    const greet = p.function("greet");
    await p.close();
    await greet("x");
    return { outcome: "ok" };
  },
  "isolated: close during a call": async (a) => {
    const p = await openPlugin(a.hangCall, { isolation: "process" });
    const pending = p.function("sleep_ms")(300);
    await p.close();
    await pending;
    return { outcome: "ok" };
  },
  "fallible function declared nonblocking": async (a) => {
    const p = await openPlugin(a.isoTypes);
    try {
      p.functions({
        reverse: "nonblocking fallible usize reverse(buffer in, usize len, buffer out, usize cap)",
      });
      return { outcome: "ok" };
    } finally {
      await p.close();
    }
  },
  "isolated: a grandchild forked by the plugin is gone after close": async (a) => {
    const p = await openPlugin(a.forker, { isolation: "process" });
    const pid = Number(await p.function("spawn")(30));
    await p.close();
    // Give the system a moment to deliver the kill, if there is one.
    for (let i = 0; i < 20 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    if (alive(pid)) {
      Deno.kill(pid, "SIGKILL");
      return { outcome: "error:Survivor", detail: `grandchild ${pid} still runs after close()` };
    }
    return { outcome: "ok" };
  },
  "await use() of an interface with a function named then": async (a) => {
    const dir = Deno.makeTempDirSync();
    Deno.copyFileSync(a.args, join(dir, "args.so"));
    const Thenable = defineInterface("hostile.thenable", "1.0", { then: "i32 then()" });
    await using host = new PluginHost({ paths: [dir], env: false, interfaces: [Thenable] });
    await host.discover();
    const [hp] = host.plugins(Thenable);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const never = new Promise<"hang">((r) => timer = setTimeout(() => r("hang"), 3000));
    const got = await Promise.race([hp.use(Thenable), never]);
    clearTimeout(timer);
    return got === "hang"
      ? { outcome: "error:NeverResolves", detail: "await hosted.use(spec) did not resolve in 3 s" }
      : { outcome: "ok" };
  },
  "dispose, then call": async (a) => {
    let greet: (...x: unknown[]) => unknown;
    {
      await using p = await openPlugin(a.greeter);
      greet = p.function("greet");
    }
    greet("x");
    return { outcome: "ok" };
  },
};

/** The names of the orderings, for the suite. */
export const SEQUENCE_NAMES: readonly string[] = Object.keys(SEQUENCES);
