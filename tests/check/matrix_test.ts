/**
 * The same plugin and options give the same verdict (accepted, or the same
 * error code) through every entry point that opens or checks a plugin: in
 * process, isolated, a host (eager and lazy), inspect, verify, probe, for
 * native libraries and WebAssembly modules alike. Each
 * option that affects the checks is varied: registry, policy,
 * `allowInsecurePermissions`, interfaces and `verify`.
 *
 * @module
 */

import { assertEquals } from "../_assert.ts";
import {
  type CheckOptions,
  defineInterface,
  inspectPlugin,
  LoadError,
  openPlugin,
  struct,
} from "../../mod.ts";
import { PluginHost } from "../../src/host/mod.ts";
import { Registry, verifyFiles } from "../../src/registry/mod.ts";
import { probePlugin } from "../../src/isolate/mod.ts";
import { fixture, plugin } from "../_paths.ts";
import { copyInto, tempDir } from "../registry/_helpers.ts";
import { built } from "../wasm/_build.ts";
import { fn, pluginModule, RUNTIME } from "../wasm/_modules.ts";
import { T } from "../wasm/_builder.ts";

const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" });
const Greeter2 = defineInterface("greeter", "2.0", { greet: "cstring greet(cstring name)" });
const GreeterSig = defineInterface("greeter", "1.0", { greet: "i32 greet(cstring name)" });
const Other = defineInterface("calc.op", "1.0", { name: "cstring name()" });
const Geometry = defineInterface("geometry", "1.0", { manhattan: "i32 manhattan(pointer p)" }, {
  structs: [struct("point", { x: "i32", y: "i32" })],
});

const dir = tempDir();
const greeter = copyInto(plugin("greeter"), dir, "greeter.so");
const open = `${dir}/open`;
Deno.mkdirSync(open, { mode: 0o700 });
const groupWritable = copyInto(plugin("greeter"), open, "greeter.so");
Deno.chmodSync(groupWritable, 0o664);

const trusted = `${dir}/trusted.lock`;
const trustedRegistry = new Registry([], { lockfile: trusted });
trustedRegistry.trust(inspectPlugin(greeter));
trustedRegistry.trust(inspectPlugin(groupWritable, { allowInsecurePermissions: true }));
trustedRegistry.save();
const empty = `${dir}/empty.lock`;
new Registry([], { lockfile: empty }).save();
// A lockfile others could change: refused unless allowInsecurePermissions.
const loose = `${dir}/loose.lock`;
Deno.copyFileSync(trusted, loose);
Deno.chmodSync(loose, 0o666);

// The same cases for a WebAssembly build of the greeter, with a lockfile of
// its own (a lockfile keys plugins by name and version: the native and the
// WebAssembly greeter 0.1.0 would be one entry).
const wasmGreeter = copyInto(await built("greeter"), dir, "greeter.wasm");
const wasmOpen = copyInto(await built("greeter"), open, "greeter.wasm");
Deno.chmodSync(wasmOpen, 0o664);
const wasmTrusted = `${dir}/trusted-wasm.lock`;
const wasmRegistry = new Registry([], { lockfile: wasmTrusted });
wasmRegistry.trust(inspectPlugin(wasmGreeter));
wasmRegistry.save();
const wasmPlain = `${dir}/plain.wasm`;
Deno.writeFileSync(wasmPlain, Deno.readFileSync(await built("calc_add")).subarray(0, 8));
const wasmWrongType = `${dir}/wrong_type.wasm`;
Deno.writeFileSync(wasmWrongType, pluginModule({ add: fn([T.f64, T.f64], [T.f64]) }));
const wasmNoRuntime = `${dir}/no_runtime.wasm`;
Deno.writeFileSync(
  wasmNoRuntime,
  pluginModule({ add: fn([T.i32, T.i32], [T.i32]) }, {
    runtime: Object.fromEntries(Object.entries(RUNTIME).filter(([k]) => k !== "plugboard_alloc")),
  }),
);
const Add = defineInterface("demo.add", "1.0", { add: "i32 add(i32 a, i32 b)" });

/** One case: a file, options, and the verdict every entry point must give. */
interface Case {
  name: string;
  file: string;
  options: CheckOptions;
  verdict: string;
  /** Entry points that deliberately give another verdict, with it. */
  except?: Record<string, string>;
}

const refuse = () => {
  throw new LoadError("UNTRUSTED", {
    path: "x",
    what: "refused by the verify hook",
    expected: "another plugin",
    found: "this one",
    hint: "none",
  });
};

const CASES: Case[] = [
  { name: "a plain plugin", file: greeter, options: {}, verdict: "ok" },
  { name: "its interface", file: greeter, options: { interfaces: [Greeter] }, verdict: "ok" },
  {
    name: "another major",
    file: greeter,
    options: { interfaces: [Greeter2] },
    verdict: "INTERFACE_MISMATCH",
  },
  {
    name: "another signature",
    file: greeter,
    options: { interfaces: [GreeterSig] },
    verdict: "SIGNATURE_MISMATCH",
  },
  {
    name: "an interface it lacks",
    file: greeter,
    options: { interfaces: [Other] },
    verdict: "INTERFACE_MISSING",
  },
  { name: "trusted", file: greeter, options: { registry: trusted }, verdict: "ok" },
  { name: "untrusted", file: greeter, options: { registry: empty }, verdict: "UNTRUSTED" },
  {
    name: "unknown allowed",
    file: greeter,
    options: { registry: empty, policy: { mode: "known" } },
    verdict: "ok",
  },
  {
    name: "a policy without a registry",
    file: greeter,
    options: { policy: {} },
    verdict: "UNTRUSTED",
  },
  {
    name: "a group-writable file",
    file: groupWritable,
    options: {},
    verdict: "INSECURE_PERMISSIONS",
  },
  {
    name: "a group-writable file, allowed",
    file: groupWritable,
    options: { allowInsecurePermissions: true },
    verdict: "ok",
  },
  {
    name: "a lockfile others can write",
    file: greeter,
    options: { registry: loose },
    verdict: "INSECURE_PERMISSIONS",
  },
  {
    name: "a lockfile others can write, allowed",
    file: greeter,
    options: { registry: loose, allowInsecurePermissions: true },
    verdict: "ok",
  },
  {
    name: "the verify hook refuses",
    file: greeter,
    options: { verify: refuse },
    verdict: "UNTRUSTED",
  },
  {
    name: "the verify hook after the registry",
    file: greeter,
    options: { registry: empty, verify: refuse },
    verdict: "UNTRUSTED",
  },
  {
    name: "a struct with one more field",
    file: fixture("struct_point_extra"),
    options: { interfaces: [Geometry] },
    verdict: "STRUCT_MISMATCH",
  },
  {
    name: "its struct layouts",
    file: plugin("geometry"),
    options: { interfaces: [Geometry] },
    verdict: "ok",
  },
  {
    name: "not a plugin",
    file: fixture("plain"),
    options: {},
    verdict: "NOT_A_PLUGIN",
    // A probe runs an ordinary library too, as a plain library (issue 14).
    except: { probePlugin: "ok" },
  },
  {
    name: "not a plugin, with interfaces",
    file: fixture("plain"),
    options: { interfaces: [Greeter] },
    verdict: "NOT_A_PLUGIN",
  },
  { name: "another ABI", file: fixture("abi2"), options: {}, verdict: "ABI_MISMATCH" },
  { name: "no runtime", file: fixture("no_runtime"), options: {}, verdict: "BAD_METADATA" },
  { name: "no file", file: `${dir}/missing.so`, options: {}, verdict: "NOT_FOUND" },
  { name: "wasm: a plain plugin", file: wasmGreeter, options: {}, verdict: "ok" },
  {
    name: "wasm: its interface",
    file: wasmGreeter,
    options: { interfaces: [Greeter] },
    verdict: "ok",
  },
  {
    name: "wasm: another major",
    file: wasmGreeter,
    options: { interfaces: [Greeter2] },
    verdict: "INTERFACE_MISMATCH",
  },
  {
    name: "wasm: another signature",
    file: wasmGreeter,
    options: { interfaces: [GreeterSig] },
    verdict: "SIGNATURE_MISMATCH",
  },
  {
    name: "wasm: an interface it lacks",
    file: wasmGreeter,
    options: { interfaces: [Other] },
    verdict: "INTERFACE_MISSING",
  },
  { name: "wasm: trusted", file: wasmGreeter, options: { registry: wasmTrusted }, verdict: "ok" },
  {
    name: "wasm: untrusted",
    file: wasmGreeter,
    options: { registry: empty },
    verdict: "UNTRUSTED",
  },
  {
    name: "wasm: a group-writable file",
    file: wasmOpen,
    options: {},
    verdict: "INSECURE_PERMISSIONS",
  },
  {
    name: "wasm: the verify hook refuses",
    file: wasmGreeter,
    options: { verify: refuse },
    verdict: "UNTRUSTED",
  },
  { name: "wasm: not a plugin", file: wasmPlain, options: {}, verdict: "NOT_A_PLUGIN" },
  {
    name: "wasm: an export of another type than declared",
    file: wasmWrongType,
    options: { interfaces: [Add] },
    verdict: "SIGNATURE_MISMATCH",
  },
  { name: "wasm: no runtime", file: wasmNoRuntime, options: {}, verdict: "BAD_METADATA" },
];

function code(e: unknown): string {
  return (e as { code?: string }).code ?? String(e);
}

/** Every entry point, as a function from (file, options) to a verdict. */
const ENTRY_POINTS: Record<string, (file: string, o: CheckOptions) => Promise<string>> = {
  "openPlugin": async (file, o) => {
    try {
      await (await openPlugin(file, o)).close();
      return "ok";
    } catch (e) {
      return code(e);
    }
  },
  // Isolated: native libraries in a child process, WebAssembly modules in a worker.
  "openPlugin isolated": async (file, o) => {
    try {
      const p = file.endsWith(".wasm")
        ? await openPlugin(file, { ...o, isolation: "worker" })
        : await openPlugin(file, { ...o, isolation: "process" });
      await p.close();
      return "ok";
    } catch (e) {
      return code(e);
    }
  },
  "PluginHost eager": (file, o) => hosted(file, o, "eager"),
  "PluginHost lazy": (file, o) => hosted(file, o, "lazy"),
  "inspectPlugin": (file, o) => {
    try {
      const report = inspectPlugin(file, o);
      return Promise.resolve(report.problems[0]?.code ?? "ok");
    } catch (e) {
      return Promise.resolve(code(e));
    }
  },
  "verifyFiles": (file, o) => {
    try {
      const report = verifyFiles([file], o);
      return Promise.resolve(report.files[0].errors[0]?.code ?? "ok");
    } catch (e) {
      return Promise.resolve(code(e));
    }
  },
  "probePlugin": async (file, o) => {
    const probe = await probePlugin(file, { ...o, quarantine: false });
    return probe.status === "ok" ? "ok" : probe.error?.code ?? probe.status;
  },
};

async function hosted(file: string, o: CheckOptions, mode: "eager" | "lazy"): Promise<string> {
  const { interfaces, ...loadOptions } = o;
  await using host = new PluginHost({
    paths: [file],
    env: false,
    mode,
    interfaces,
    loadOptions,
  });
  const summary = await host.discover();
  if (summary.missing.length) return "NOT_FOUND";
  return summary.skipped[0]?.code ?? "ok";
}

Deno.test("every entry point gives the same verdict for the same plugin and options", async (t) => {
  for (const c of CASES) {
    await t.step(`${c.name}: ${c.verdict}`, async () => {
      const verdicts: Record<string, string> = {};
      for (const [name, run] of Object.entries(ENTRY_POINTS)) {
        verdicts[name] = await run(c.file, c.options);
      }
      const expected = Object.fromEntries(
        Object.keys(ENTRY_POINTS).map((n) => [n, c.except?.[n] ?? c.verdict]),
      );
      assertEquals(verdicts, expected);
    });
  }
});
