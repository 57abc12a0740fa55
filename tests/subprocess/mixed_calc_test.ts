/**
 * The calculator's operators from four languages in one directory (the
 * fixture for `plugboard calc --dir`): "+" native C, "-" bash, "*" Python,
 * "/" Go, "%" bash one-shot. Each subprocess operator gives the same answers
 * as its C counterpart, fails the same way, and declares the same interface
 * (the same interface hash as the native plugin's ELF notes).
 */
import assert from "node:assert/strict";
import { readMetadata } from "../../src/abi/read_metadata.ts";
import { readElf } from "../../src/elf/read_elf.ts";
import { CallError } from "../../src/errors/plugin_error.ts";
import { openPluginSync } from "../../src/open/open_plugin.ts";
import { openOneShot } from "../../src/isolate/_rpc_oneshot.ts";
import { openRpcConnection } from "../../src/isolate/_rpc_connection.ts";
import { toPluginMetadata } from "../../src/isolate/_rpc_protocol.ts";
import { readSidecar } from "../../src/isolate/read_sidecar.ts";
import { CalcOp, mixedCalcDir, nativePlugin } from "./_helpers.ts";
import { captureCli } from "../_cli.ts";
import { BUILD } from "../_paths.ts";

const INPUTS: [number, number][] = [
  [10, 4],
  [0.1, 0.2],
  [-3, 0.5],
  [1e300, 1e10],
  [5e-324, 0.5],
  [-0, 3],
  [7, -0],
  [NaN, 1],
  [Infinity, -Infinity],
  [123456789.123, 1e-7],
];

Deno.test("native and subprocess calc operators give the same answers", async (t) => {
  await using mixed = await mixedCalcDir();
  const names = [...Deno.readDirSync(mixed.dir)].map((e) => e.name).sort();
  assert.deepEqual(names, [
    "calc_add.so",
    "calc_div",
    "calc_div.plugboard.json",
    "calc_mod.sh",
    "calc_mod.sh.plugboard.json",
    "calc_mul.py",
    "calc_mul.py.plugboard.json",
    "calc_sub.sh",
    "calc_sub.sh.plugboard.json",
  ]);
  const nativeOf: Record<string, string> = { "-": "calc_sub", "*": "calc_mul", "/": "calc_div" };
  for (const symbol of ["-", "*", "/", "%"]) {
    const path = mixed.files[symbol];
    await t.step(`${symbol} (${path.split("/").pop()})`, async () => {
      const sidecar = readSidecar(path);
      await using op = sidecar.metadata.mode === "oneshot"
        ? openOneShot(path, sidecar.metadata, { launcher: false, log: () => {} })
        : await openRpcConnection(path, { expected: sidecar.metadata, log: () => {} });
      const fns = op.use(CalcOp);
      assert.equal(await fns.name(), symbol);
      const reference = nativeOf[symbol]
        ? openPluginSync(nativePlugin(nativeOf[symbol])).use(CalcOp)
        : { name: () => "%", apply: (a: number, b: number) => a % b };
      assert.equal(reference.name(), symbol);
      for (const [a, b] of INPUTS) {
        let want: number | Error;
        try {
          want = reference.apply(a, b);
        } catch (e) {
          want = e as Error;
        }
        if (symbol === "%" && b === 0) want = new Error("division by zero");
        const got = await fns.apply(a, b).catch((e) => e);
        if (want instanceof Error) {
          assert.ok(got instanceof CallError, `${a} ${symbol} ${b}: expected an error, got ${got}`);
          assert.equal(got.code, "CALL_FAILED");
          assert.equal(got.pluginCode, 1);
          assert.equal(got.summary.split(": ").pop(), "division by zero");
        } else {
          assert.ok(Object.is(got, want), `${a} ${symbol} ${b}: expected ${want}, got ${got}`);
        }
      }
      if (nativeOf[symbol]) {
        const native = nativePlugin(nativeOf[symbol]);
        const elf = readMetadata(readElf(Deno.readFileSync(native), native), native);
        assert.equal(
          toPluginMetadata(sidecar.metadata).interfaces[0].hash,
          elf.interfaces[0].hash,
          "the same calc.op/1.0 as the C plugin",
        );
      }
    });
  }
});

Deno.test("plugboard calc --dir mixes native and subprocess operators with the native answers", async () => {
  await using mixed = await mixedCalcDir();
  const native = await Deno.makeTempDir({ prefix: "plugboard-native-calc-" });
  for (const name of ["calc_add", "calc_sub", "calc_mul", "calc_div"]) {
    Deno.copyFileSync(nativePlugin(name), `${native}/${name}.so`);
  }
  const expressions = "10 - 4; 6 * 7; 9 / 3; 2 + 3 * 4 - 1; (1 - 0.1) * 3 / 7; 1 / 0";
  const mixedRun = await captureCli(["calc", "--dir", mixed.dir, expressions]);
  const nativeRun = await captureCli(["calc", "--dir", native, expressions]);
  const path = (r: { err: string[] }) =>
    r.err.map((l) => l.replace(/in plugin "[^"]*"/, "in plugin P"));
  assert.deepEqual(mixedRun.out, [
    "10 - 4 = 6",
    "6 * 7 = 42",
    "9 / 3 = 3",
    "2 + 3 * 4 - 1 = 13",
    `(1 - 0.1) * 3 / 7 = ${(1 - 0.1) * 3 / 7}`,
  ]);
  assert.deepEqual(
    { code: mixedRun.code, out: mixedRun.out, err: path(mixedRun) },
    { code: nativeRun.code, out: nativeRun.out, err: path(nativeRun) },
  );
  assert.deepEqual(path(mixedRun), [
    'error[CALL_FAILED] (plugin code 1): Call to "apply" in plugin P failed: division by zero',
    "hint: the plugin reported this error; check the arguments or the plugin's documentation",
  ]);
  // The one-shot "%" operator only the mixed directory has.
  assert.deepEqual(await captureCli(["calc", "--dir", mixed.dir, "10 % 4"]), {
    code: 0,
    out: ["10 % 4 = 2"],
    err: [],
  });
  await Deno.remove(native, { recursive: true });
});

Deno.test("plugboard calc --dir mixes the three kinds (native, WebAssembly, subprocess in three languages) with the native answers", async () => {
  await using mixed = await mixedCalcDir();
  // "-" becomes WebAssembly (the same C as calc_sub.so); bash stays for "%".
  await Deno.remove(mixed.files["-"]);
  await Deno.remove(`${mixed.files["-"]}.plugboard.json`);
  Deno.copyFileSync(`${BUILD}/wasm/calc_sub.wasm`, `${mixed.dir}/calc_sub.wasm`);
  const native = await Deno.makeTempDir({ prefix: "plugboard-native-calc-" });
  for (const name of ["calc_add", "calc_sub", "calc_mul", "calc_div"]) {
    Deno.copyFileSync(nativePlugin(name), `${native}/${name}.so`);
  }
  const expressions = "7 - 10; 6 * 7; 9 / 4; 2 + 3 * 4 - 1; (1 - 0.1) * 3 / 7; -2 - -2; 1 / 0";
  const run = await captureCli(["calc", "--dir", mixed.dir, expressions]);
  const reference = await captureCli(["calc", "--dir", native, expressions]);
  const path = (r: { err: string[] }) =>
    r.err.map((l) => l.replace(/in plugin "[^"]*"/, "in plugin P"));
  assert.deepEqual(
    { code: run.code, out: run.out, err: path(run) },
    { code: reference.code, out: reference.out, err: path(reference) },
  );
  assert.deepEqual(run.out.slice(0, 3), ["7 - 10 = -3", "6 * 7 = 42", "9 / 4 = 2.25"]);
  await Deno.remove(native, { recursive: true });
});
