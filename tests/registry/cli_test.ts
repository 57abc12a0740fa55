/**
 * `plugboard trust` and `plugboard verify`, through runCli and, for the
 * defaults (./plugboard.lock, exit codes), as a real process.
 */
import { assert, assertEquals, assertStrictEquals } from "../_assert.ts";
import { inspectPlugin } from "../../mod.ts";
import { captureCli } from "../_cli.ts";
import { fixture, plugin, ROOT } from "../_paths.ts";
import { copyInto, tamperedCopy, tempDir } from "./_helpers.ts";

const cli = (...args: string[]) => captureCli(args);

const greeter = inspectPlugin(plugin("greeter"));
const rebuilt = inspectPlugin(fixture("reg_greeter_rebuilt"));

Deno.test("plugboard trust then plugboard verify round-trips, and a tampered byte is caught", async (t) => {
  const dir = tempDir();
  Deno.mkdirSync(`${dir}/build`);
  const lock = `${dir}/plugboard.lock`;
  const g = copyInto(plugin("greeter"), `${dir}/build`, "greeter.so");
  const g2 = copyInto(fixture("greeter_0_2_0"), `${dir}/build`, "greeter2.so");
  copyInto(fixture("plain"), `${dir}/build`, "plain.so");

  await t.step("trust a directory: entries added, non-plugins skipped", async () => {
    const r = await cli("trust", `${dir}/build`, "--lock", lock);
    assertStrictEquals(r.code, 0, r.out.join("\n"));
    assertEquals(r.out, [
      `added greeter@0.1.0 ${g} (sha256 ${greeter.sha256.slice(0, 12)}…)`,
      `added greeter@0.2.0 ${g2} (sha256 ${inspectPlugin(g2).sha256.slice(0, 12)}…)`,
      `skipped ${dir}/build/plain.so: not a plugin (no plugboard metadata)`,
      `wrote ${lock}: 2 added, 0 updated, 0 unchanged`,
    ]);
    const again = await cli("trust", `${dir}/build`, "--lock", lock);
    assertEquals(again.out.slice(0, 2), [
      `unchanged greeter@0.1.0 ${g}`,
      `unchanged greeter@0.2.0 ${g2}`,
    ]);
    assertStrictEquals(again.out[3], `kept ${lock}: 0 added, 0 updated, 2 unchanged`);
    const written = JSON.parse(Deno.readTextFileSync(lock));
    assertEquals(Object.keys(written.plugins), ["greeter@0.1.0", "greeter@0.2.0"]);
    assertStrictEquals(written.plugins["greeter@0.1.0"].path, "build/greeter.so");
  });
  await t.step("verify: every file ok, exit 0", async () => {
    const r = await cli("verify", `${dir}/build`, "--lock", lock, "--no-cache");
    assertStrictEquals(r.code, 0);
    assertEquals(r.out, [
      `ok greeter@0.1.0 ${g}`,
      `ok greeter@0.2.0 ${g2}`,
      `skipped ${dir}/build/plain.so: not a plugin (no plugboard metadata)`,
      `3 file(s) checked against ${lock}: 2 ok, 0 failed, 1 skipped`,
    ]);
  });
  await t.step("verify: a tampered byte fails with CHECKSUM_MISMATCH, exit 1", async () => {
    tamperedCopy(plugin("greeter"), `${dir}/build`, "greeter.so");
    const tampered = inspectPlugin(g).sha256;
    const r = await cli("verify", g, "--lock", lock, "--no-cache");
    assertStrictEquals(r.code, 1);
    assertEquals(r.out, [
      `error[CHECKSUM_MISMATCH]: Cannot load plugin "${g}": plugin greeter@0.1.0: SHA-256 differs from the trusted file: expected ${
        greeter.sha256.slice(0, 12)
      }… (trusted in ${lock}), found ${tampered.slice(0, 12)}…`,
      `hint: its build id and metadata are unchanged, so the file was modified after it was built: restore the trusted file, or rebuild it from its sources; if the change is intended, trust the file: plugboard trust ${g} --lock ${lock}`,
      `1 file(s) checked against ${lock}: 0 ok, 1 failed`,
    ]);
  });
  await t.step("trust again: the update shows what changed", async () => {
    copyInto(fixture("reg_greeter_rebuilt"), `${dir}/build`, "greeter.so");
    const r = await cli("trust", g, "--lock", lock);
    assertStrictEquals(r.code, 0);
    assertEquals(r.out, [
      `updated greeter@0.1.0 ${g}: build id ${greeter.buildId} -> ${rebuilt.buildId}, sha256 ${
        greeter.sha256.slice(0, 12)
      }… -> ${rebuilt.sha256.slice(0, 12)}…`,
      `wrote ${lock}: 0 added, 1 updated, 0 unchanged`,
    ]);
    assertStrictEquals((await cli("verify", g, "--lock", lock, "--no-cache")).code, 0);
  });
  await t.step("verify --json reports codes, expected and found", async () => {
    const r = await cli("verify", g, plugin("counter"), "--lock", lock, "--no-cache", "--json");
    assertStrictEquals(r.code, 1);
    const report = JSON.parse(r.out.join("\n"));
    assertEquals(report.summary, { files: 2, ok: 1, failed: 1, skipped: 0 });
    assertEquals(
      report.files.map((f: { plugin: string; status: string }) => [f.plugin, f.status]),
      [
        ["greeter@0.1.0", "ok"],
        ["counter@0.1.0", "failed"],
      ],
    );
    assertEquals(report.files[1].errors[0].code, "UNTRUSTED");
    assertEquals(report.files[1].errors[0].expected, `an entry counter@0.1.0 in ${lock}`);
  });
});

Deno.test("plugboard verify --cache keeps hashes between runs", async () => {
  const dir = tempDir();
  const lock = `${dir}/plugboard.lock`;
  const cache = `${dir}/cache/verify.json`;
  const g = copyInto(plugin("greeter"), dir, "greeter.so");
  Deno.utimeSync(g, new Date(2024, 0, 1), new Date(2024, 0, 1));
  assertStrictEquals((await cli("trust", g, "--lock", lock)).code, 0);
  assertStrictEquals((await cli("verify", g, "--lock", lock, "--cache", cache)).code, 0);
  const saved = JSON.parse(Deno.readTextFileSync(cache));
  assertEquals(Object.values(saved.files).map((f) => (f as { sha256: string }).sha256), [
    greeter.sha256,
  ]);
  const second = await cli("verify", g, "--lock", lock, "--cache", cache, "--json");
  assertStrictEquals(JSON.parse(second.out[0]).files[0].cached, true);
});

Deno.test("plugboard trust writes nothing when a file fails", async (t) => {
  const dir = tempDir();
  const lock = `${dir}/plugboard.lock`;
  await t.step("a plugin this host cannot load", async () => {
    const r = await cli("trust", plugin("greeter"), fixture("abi2"), "--lock", lock);
    assertStrictEquals(r.code, 1);
    assertStrictEquals(
      r.out[0],
      `added greeter@0.1.0 ${plugin("greeter")} (sha256 ${greeter.sha256.slice(0, 12)}…)`,
    );
    assertStrictEquals(r.out[1].startsWith("error[ABI_MISMATCH]: "), true);
    assertEquals(r.err, [`${lock} not written: 1 file(s) failed`]);
    assertStrictEquals(exists(lock), false);
  });
  await t.step("two different files claiming one name@version", async () => {
    const r = await cli(
      "trust",
      plugin("greeter"),
      fixture("reg_greeter_rebuilt"),
      "--lock",
      lock,
      "--json",
    );
    assertStrictEquals(r.code, 1);
    const out = JSON.parse(r.out[0]);
    assertStrictEquals(out.written, false);
    assertEquals(out.errors.map((e: { code: string }) => e.code), ["VERSION_MISMATCH"]);
    assertStrictEquals(
      out.errors[0].message,
      `Cannot load plugin "${fixture("reg_greeter_rebuilt")}": greeter@0.1.0 is also "${
        plugin("greeter")
      }" in this run, with other bytes: expected one build per name@version, found SHA-256 ${
        greeter.sha256.slice(0, 12)
      }… and ${rebuilt.sha256.slice(0, 12)}…`,
    );
    assertStrictEquals(exists(lock), false);
  });
});

Deno.test("plugboard trust and verify refuse bad command lines with exit 2", async (t) => {
  const cases: [string, string[], string][] = [
    [
      "trust without files",
      ["trust"],
      "error[USAGE]: trust needs FILE|DIR... to pin plugins, or --publisher, --retire or --list-publishers for publisher keys",
    ],
    ["verify without files", ["verify"], "error[USAGE]: verify needs at least one FILE or DIR"],
    [
      "an unknown option",
      ["verify", "x.so", "--frobnicate"],
      `error[USAGE]: Unknown option "--frobnicate"`,
    ],
    [
      "--lock without a value",
      ["trust", "x.so", "--lock"],
      `error[USAGE]: Option "--lock" needs a value`,
    ],
    [
      "--cache with --no-cache",
      ["verify", "x.so", "--cache", "c", "--no-cache"],
      "error[USAGE]: --cache and --no-cache exclude each other",
    ],
  ];
  for (const [name, args, line] of cases) {
    await t.step(name, async () => {
      const r = await cli(...args);
      assertStrictEquals(r.code, 2);
      assertStrictEquals(r.err[0], line);
    });
  }
  await t.step("verify without a lockfile: NOT_FOUND, exit 1", async () => {
    const lock = `${tempDir()}/plugboard.lock`;
    const r = await cli("verify", plugin("greeter"), "--lock", lock);
    assertStrictEquals(r.code, 1);
    assertEquals(r.err, [
      `error[NOT_FOUND]: Cannot read lockfile "${lock}": no such file: expected an existing file, found nothing at ${lock}`,
      `hint: create it by trusting plugins: plugboard trust FILE|DIR... --lock ${lock}`,
    ]);
  });
});

Deno.test("plugboard trust and verify use ./plugboard.lock by default, as a process", async () => {
  const dir = tempDir();
  const g = copyInto(plugin("greeter"), dir, "greeter.so");
  const run = async (...args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}/src/cli/main.ts`, ...args],
      cwd: dir,
      env: { NO_COLOR: "1", XDG_CACHE_HOME: `${dir}/xdg` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: out.code, out: new TextDecoder().decode(out.stdout).trimEnd().split("\n") };
  };
  const trust = await run("trust", "greeter.so");
  assertStrictEquals(trust.code, 0);
  assertEquals(trust.out, [
    `added greeter@0.1.0 greeter.so (sha256 ${greeter.sha256.slice(0, 12)}…)`,
    "wrote plugboard.lock: 1 added, 0 updated, 0 unchanged",
  ]);
  const verify = await run("verify", ".");
  assertStrictEquals(verify.code, 0);
  assertEquals(verify.out, [
    "ok greeter@0.1.0 greeter.so",
    "1 file(s) checked against plugboard.lock: 1 ok, 0 failed",
  ]);
  assert(
    exists(`${dir}/xdg/plugboard/verify-cache.json`),
    "the default cache lives under XDG_CACHE_HOME",
  );
  tamperedCopy(plugin("greeter"), dir, "greeter.so");
  const caught = await run("verify", "greeter.so");
  assertStrictEquals(caught.code, 1);
  assertStrictEquals(
    caught.out[0].startsWith('error[CHECKSUM_MISMATCH]: Cannot load plugin "greeter.so"'),
    true,
  );
  assertEquals(g, `${dir}/greeter.so`);
});

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
