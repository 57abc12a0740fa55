/**
 * `plugboard quarantine`: listing quarantined plugins with their reasons,
 * clearing them by file or all at once, and exit codes.
 */
import assert from "node:assert/strict";
import { captureCli } from "../_cli.ts";
import { probeSandbox as sandbox } from "./_helpers.ts";

const cli = captureCli;

Deno.test("plugboard quarantine list and clear show and forgive quarantined plugins", async () => {
  await using s = await sandbox();
  const crash = `${s.dir}/plugins/crash_ctor.so`;
  assert.deepEqual((await cli(["quarantine", "list", "--quarantine", s.q])).out, [
    `nothing is quarantined (list: ${s.q})`,
  ]);
  await cli(["probe", crash, "--quarantine", s.q]);
  const list = await cli(["quarantine", "list", "--quarantine", s.q]);
  assert.equal(list.code, 0);
  assert.match(list.out[0], new RegExp(`^[0-9a-f]{12}  crash_ctor 0\\.1\\.0  ${crash}$`));
  assert.match(
    list.out[1],
    /^ {2}a crash while loading: killed by SIGSEGV \(signal 11\), \d{4}-\d\d-\d\dT[\d:.]+Z$/,
  );
  assert.equal(list.out[2], `1 quarantined (list: ${s.q})`);
  const json = JSON.parse(
    (await cli(["quarantine", "list", "--quarantine", s.q, "--json"])).out[0],
  );
  assert.equal(json.plugins.length, 1);
  assert.equal(json.plugins[0].reason.phase, "load");

  const miss = await cli([
    "quarantine",
    "clear",
    `${s.dir}/plugins/greeter.so`,
    "--quarantine",
    s.q,
  ]);
  assert.equal(miss.code, 1);
  assert.deepEqual(miss.err, [
    `nothing quarantined matches ${JSON.stringify(`${s.dir}/plugins/greeter.so`)}`,
  ]);
  const cleared = await cli(["quarantine", "clear", crash, "--quarantine", s.q]);
  assert.equal(cleared.code, 0);
  assert.deepEqual(cleared.out, [`cleared 1 record(s) from ${s.q}`]);
  // Cleared: the next probe runs it again.
  const probe = await cli(["probe", crash, "--quarantine", s.q]);
  assert.match(probe.out[0], /^crashed /);
  assert.deepEqual((await cli(["quarantine", "clear", "--quarantine", s.q])).out, [
    `cleared 1 record(s) from ${s.q}`,
  ]);
});

Deno.test("plugboard quarantine refuses bad command lines with exit code 2", async (t) => {
  const cases: [string[], string][] = [
    [["quarantine"], "quarantine needs an action: list or clear"],
    [["quarantine", "purge"], 'Unknown action "purge": expected list or clear'],
    [["quarantine", "list", "x.so"], "quarantine list takes no FILE"],
  ];
  for (const [args, message] of cases) {
    await t.step(args.join(" "), async () => {
      const r = await cli(args);
      assert.equal(r.code, 2);
      assert.equal(r.err[0], `error[USAGE]: ${message}`);
    });
  }
});
