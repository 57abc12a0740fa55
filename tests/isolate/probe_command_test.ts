/**
 * `plugboard probe`: probing files and directories, the verdict lines, JSON
 * and exit codes.
 */
import assert from "node:assert/strict";
import { captureCli } from "../_cli.ts";
import { fixture } from "../_paths.ts";
import { probeSandbox as sandbox } from "./_helpers.ts";

const cli = captureCli;

Deno.test("plugboard probe DIR quarantines the plugins that crash, and says why", async () => {
  await using s = await sandbox();
  const first = await cli(["probe", `${s.dir}/plugins`, "--quarantine", s.q]);
  assert.equal(first.code, 1);
  assert.equal(first.out.length, 4);
  assert.match(
    first.out[0],
    new RegExp(
      `^crashed  ${s.dir}/plugins/crash_ctor\\.so \\(crash_ctor 0\\.1\\.0\\): a crash while loading: killed by SIGSEGV \\(signal 11\\); quarantined$`,
    ),
  );
  assert.match(
    first.out[1],
    new RegExp(`^ok       ${s.dir}/plugins/greeter\\.so \\(greeter 0\\.1\\.0\\) in \\d+ ms$`),
  );
  assert.match(
    first.out[2],
    new RegExp(
      `^ok       ${s.dir}/plugins/plain\\.so \\(plain library, 1 exported function\\) in \\d+ ms$`,
    ),
  );
  assert.equal(
    first.out[3],
    `3 probed: 2 ok, 1 crashed, 0 hung, 0 refused, 0 quarantined (list: ${s.q})`,
  );

  const again = await cli([
    "probe",
    `${s.dir}/plugins/crash_ctor.so`,
    "--quarantine",
    s.q,
    "--json",
  ]);
  assert.equal(again.code, 1);
  const json = JSON.parse(again.out[0]);
  assert.equal(json.quarantine, s.q);
  assert.equal(json.results.length, 1);
  assert.equal(json.results[0].status, "quarantined");
  assert.equal(json.results[0].error.code, "QUARANTINED");
  assert.equal(json.results[0].record.reason.signal, "SIGSEGV");
});

Deno.test("plugboard probe quarantines a plain library whose constructor segfaults", async () => {
  await using s = await sandbox();
  const lib = `${s.dir}/plugins/libvendor.so`;
  await Deno.copyFile(fixture("plain_crash_ctor"), lib);
  const r = await cli(["probe", lib, "--quarantine", s.q]);
  assert.equal(r.code, 1);
  assert.deepEqual(r.out, [
    `crashed  ${lib} (plain library, 1 exported function): a crash while loading: killed by SIGSEGV (signal 11); quarantined`,
    "         stderr: plain_crash_ctor: constructor running",
    `1 probed: 0 ok, 1 crashed, 0 hung, 0 refused, 0 quarantined (list: ${s.q})`,
  ]);
  const json = JSON.parse((await cli(["probe", lib, "--quarantine", s.q, "--json"])).out[0]);
  assert.equal(json.results[0].status, "quarantined");
  assert.deepEqual(json.results[0].library, { functions: 1 });
  assert.equal(json.results[0].plugin, null);
  assert.equal(json.results[0].record.reason.signal, "SIGSEGV");
});

Deno.test("plugboard probe refuses bad command lines with exit code 2", async (t) => {
  const cases: [string[], string][] = [
    [["probe"], "probe needs at least one FILE or DIR"],
    [
      ["probe", "x.so", "--timeout", "soon"],
      '--timeout "soon" is not a positive number of milliseconds',
    ],
    [["probe", "x.so", "--bogus"], 'Unknown option "--bogus"'],
  ];
  for (const [args, message] of cases) {
    await t.step(args.join(" "), async () => {
      const r = await cli(args);
      assert.equal(r.code, 2);
      assert.equal(r.err[0], `error[USAGE]: ${message}`);
    });
  }
});
