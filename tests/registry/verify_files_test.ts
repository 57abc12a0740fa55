import { assertEquals, assertStrictEquals } from "../_assert.ts";
import { EXACT_POLICY, verifyFiles } from "../../src/registry/mod.ts";
import { fixture, plugin } from "../_paths.ts";
import { copyInto, tamperedCopy, tempDir, trusting } from "./_helpers.ts";

Deno.test("verifyFiles() reports every difference of every file, directories sorted by name", () => {
  const registry = trusting(plugin("greeter"), fixture("greeter_0_2_0"));
  const dir = tempDir();
  copyInto(plugin("greeter"), dir, "a-greeter.so");
  copyInto(fixture("reg_greeter_sigchange"), dir, "b-sigchange.so");
  copyInto(fixture("plain"), dir, "c-plain.so");
  copyInto(fixture("abi2"), dir, "d-abi2.so");
  tamperedCopy(plugin("greeter"), dir, "e-tampered.so");
  copyInto(plugin("counter"), dir, "f-counter.so");
  Deno.writeTextFileSync(`${dir}/notes.txt`, "not listed: not a .so");
  const report = verifyFiles([fixture("greeter_0_2_0"), dir, `${dir}/missing.so`], { registry });
  assertEquals(
    report.files.map((f) => [f.path.replace(dir, "DIR"), f.status, f.errors.map((e) => e.code)]),
    [
      [fixture("greeter_0_2_0"), "ok", []],
      ["DIR/a-greeter.so", "ok", []],
      ["DIR/b-sigchange.so", "failed", [
        "INTERFACE_MISMATCH",
        "BUILD_ID_MISMATCH",
        "CHECKSUM_MISMATCH",
      ]],
      ["DIR/c-plain.so", "skipped", ["NOT_A_PLUGIN"]],
      ["DIR/d-abi2.so", "failed", ["ABI_MISMATCH"]],
      ["DIR/e-tampered.so", "failed", ["CHECKSUM_MISMATCH"]],
      ["DIR/f-counter.so", "failed", ["UNTRUSTED"]],
      ["DIR/missing.so", "failed", ["NOT_FOUND"]],
    ],
  );
  assertEquals([report.ok, report.failed, report.skipped], [2, 5, 1]);
});

Deno.test("verifyFiles() refuses a non-plugin named explicitly, and skips it in a directory", () => {
  const registry = trusting(plugin("greeter"));
  const explicit = verifyFiles([fixture("plain")], { registry });
  assertEquals(explicit.files.map((f) => [f.status, f.errors[0]?.code]), [[
    "failed",
    "NOT_A_PLUGIN",
  ]]);
});

Deno.test("verifyFiles() reports symlinks resolved and checks the target", () => {
  const dir = tempDir();
  const target = copyInto(plugin("greeter"), dir, "greeter-0.1.0.so");
  Deno.symlinkSync(target, `${dir}/greeter.so`);
  const report = verifyFiles([`${dir}/greeter.so`], {
    registry: trusting(plugin("greeter")),
    policy: EXACT_POLICY,
  });
  const f = report.files[0];
  assertEquals([f.status, f.viaSymlink, f.realPath], ["ok", true, target]);
  Deno.removeSync(`${dir}/greeter.so`);
  Deno.symlinkSync(fixture("reg_greeter_rebuilt"), `${dir}/greeter.so`);
  const moved =
    verifyFiles([`${dir}/greeter.so`], { registry: trusting(plugin("greeter")) }).files[0];
  assertEquals([moved.realPath, moved.errors.map((e) => e.code)], [
    fixture("reg_greeter_rebuilt"),
    ["BUILD_ID_MISMATCH", "CHECKSUM_MISMATCH"],
  ]);
  assertStrictEquals(moved.errors[0].path, `${dir}/greeter.so`);
});

Deno.test("verifyFiles() takes a lockfile path", () => {
  const dir = tempDir();
  const registry = trusting(plugin("greeter"));
  registry.save(`${dir}/plugboard.lock`);
  const report = verifyFiles([plugin("greeter"), plugin("counter")], {
    registry: `${dir}/plugboard.lock`,
  });
  assertEquals(report.files.map((f) => f.errors.map((e) => e.code)), [[], ["UNTRUSTED"]]);
  assertStrictEquals(
    report.files[1].errors[0].summary,
    `Cannot load plugin "${
      plugin("counter")
    }": plugin counter@0.1.0: not trusted: expected an entry counter@0.1.0 in ${dir}/plugboard.lock, found no entry for "counter"`,
  );
});

Deno.test("verifyFiles() reports a trusted plugin whose file is gone from a verified directory", () => {
  const dir = tempDir();
  const kept = copyInto(plugin("greeter"), dir, "greeter.so");
  const gone = copyInto(plugin("counter"), dir, "counter.so");
  const elsewhere = tempDir();
  const other = copyInto(plugin("myfunction"), elsewhere, "myfunction.so");
  const registry = trusting(kept, gone, other);
  Deno.removeSync(gone);
  Deno.removeSync(other);
  const report = verifyFiles([dir], { registry });
  assertEquals(
    report.files.map((f) => [f.path, f.status, f.errors.map((e) => e.summary)]),
    [
      [kept, "ok", []],
      [gone, "failed", [
        `Cannot load plugin "${gone}": trusted plugin "counter@0.1.0" is missing: expected the file recorded in the lockfile (SHA-256 ${
          registry.get("counter", "0.1.0")!.sha256.slice(0, 12)
        }…), found no file`,
      ]],
    ],
  );
  assertEquals(
    [report.ok, report.failed],
    [1, 1],
    "a file gone from another directory is not this verify's business",
  );
});
