/**
 * Scenario "rollout": a plugin disabled by configuration, then a tenth of
 * users moved to its new version, then a quarter, then switched off and on
 * at run time.
 *
 * @module
 */

import { CallError, defineInterface, PluginError } from "../../mod.ts";
import { type LogRecord, PluginHost } from "../../src/host/mod.ts";
import { check, code, expectError, heading, say, shell, tempDir } from "./_kit.ts";
import { defineScenario } from "./_runner.ts";

/**
 * The scenario's definition; `deno task scenarios rollout` runs it alone.
 *
 * @example Running it and checking its output
 * ```ts ignore
 * import { runScenario } from "./_runner.ts";
 * import { scenario } from "./rollout.ts";
 *
 * const result = await runScenario(scenario);
 * console.log(result.passed, result.failures);
 * ```
 */
export const scenario = defineScenario(import.meta.url, {
  name: "rollout",
  title: "Feature flags and A/B rollout: off by configuration, then 10% on the new version",
  description: "Serves greeter 0.1.0 and 0.2.0 from one directory. A host created with " +
    "`rollout: { greeter: { enabled: false } }` checks both files but loads neither, and " +
    "`select()` throws `DISABLED` saying how to enable it. `setRollout()` then enables it with " +
    'weights `{ "^0.1": 90, "^0.2": 10 }`: 1000 users (`user-0` ... `user-999`, each the `key` ' +
    "of its selection) are greeted, each always by the same version, 103 by 0.2.0; 100 unkeyed " +
    "selections give exactly 90 and 10. Raising 0.2's share to 25% moves 143 more users onto it " +
    "and none off it. Finally greeter is disabled at run time while a function of it is in hand: " +
    "the call throws `DISABLED`, and enabling it again makes the same function answer, the file " +
    "untouched throughout.",
  why: "Shipping a new plugin version to everyone at once makes every user the test. Plugin " +
    "systems usually offer two blunt tools: delete (or rename) the file and restart, or load " +
    "everything found. Feature-flag services (LaunchDarkly, Unleash) showed the better way: a " +
    "flag per feature that can be turned off without a deploy, and a gradual rollout that hashes " +
    "a stable key (the user id) to a bucket, so each user stays on one variant while the share " +
    "grows. plugboard's host takes those rules per plugin name. A disabled plugin is checked like " +
    "a lazy one and never loaded, so none of its code runs, and asking for it fails with a typed " +
    "error naming the rule and the call that lifts it, instead of a plugin that silently is not " +
    "there. Weights are by semver range, so a rule names versions, not files; the key is hashed " +
    "with the plugin name (two plugins' rollouts are independent for the same user) onto the " +
    "ranges in the order written, so raising the last range's share only moves users onto it. " +
    "Without a key, smooth weighted round robin gives exact shares over every cycle. Disabling " +
    "at run time swaps every function the plugin handed out for one that fails with `DISABLED` " +
    "(calls already running finish), and keeps the plugin loaded, so turning it back on is " +
    "instant.",
  expect: {
    lines: [
      "$ ls $TMP/plugins",
      "greeter.so greeter_0_2_0.so",
      '> const host = new PluginHost({ paths: ["$TMP/plugins"], env: false, log, rollout: { greeter: { enabled: false } } })',
      "> await host.discover()",
      "info rollout: greeter 0.1.0 is disabled by configuration: checked, not loaded",
      "info rollout: greeter 0.2.0 is disabled by configuration: checked, not loaded",
      "info discover: found 2 plugin files in 1 search path: 0 loaded, 2 disabled by configuration, 0 skipped",
      "loaded 0, disabled 2; host.plugins() lists 0",
      '> host.select("greeter")',
      "throws PluginError DISABLED:",
      'Cannot use plugin "greeter": it is disabled by configuration: expected enabled: true, found rollout rule { enabled: false }',
      'hint: enable it with host.setRollout("greeter", { enabled: true }), or drop enabled: false from the host\'s rollout option; the file stays where it is',
      "ok: threw PluginError DISABLED",
      "ok: neither greeter was loaded: no load record",
      '> host.setRollout("greeter", { weights: { "^0.1": 90, "^0.2": 10 } })',
      "info rollout: greeter: enabled, weights ^0.1 90, ^0.2 10",
      '> for each of user-0 ... user-999: (await host.select("greeter", { key: user }).use(Greeter)).greet(user)',
      "info load: loaded greeter 0.1.0",
      "info load: loaded greeter 0.2.0",
      'greeted by 0.1.0 ("Hello, user-0"): 897 users',
      'greeted by 0.2.0 ("Hi, user-5!"): 103 users',
      "ok: 10% of the weight gave 103 of 1000 users (10.3%) to 0.2.0",
      "user-5 five times: 0.2.0 0.2.0 0.2.0 0.2.0 0.2.0",
      "ok: each user stays on one version",
      '> 100 times: host.select("greeter").version',
      "0.1.0: 90, 0.2.0: 10",
      "ok: unkeyed selections follow the weights exactly",
      '> host.setRollout("greeter", { weights: { "^0.1": 75, "^0.2": 25 } })',
      "info rollout: greeter: enabled, weights ^0.1 75, ^0.2 25",
      "on 0.2.0 now: 246 users (143 moved onto it, 0 moved off it)",
      "ok: raising the share only moved users onto 0.2.0",
      '> const { greet } = await host.select("greeter@^0.2").use(Greeter)',
      '> host.setRollout("greeter", { enabled: false })',
      "info rollout: greeter: disabled by configuration",
      '> greet("Ada")',
      "throws CallError DISABLED:",
      'Call to "greet" in plugin "$TMP/plugins/greeter_0_2_0.so" failed: plugin "greeter" is disabled by configuration (rollout rule { enabled: false })',
      'hint: enable it with host.setRollout("greeter", { enabled: true }), or drop enabled: false from the host\'s rollout option; the file stays where it is',
      "ok: threw CallError DISABLED",
      '> host.setRollout("greeter", undefined)',
      "info rollout: greeter: enabled",
      'greet("Ada") = "Hi, Ada!"',
      "ok: the same function answers again; both files are as they were, and both builds stayed loaded",
    ],
  },
});

async function main(): Promise<void> {
  const tmp = await tempDir();
  const dir = `${tmp}/plugins`;
  await Deno.mkdir(dir);
  await Deno.copyFile("build/greeter.so", `${dir}/greeter.so`);
  await Deno.copyFile("build/fixtures/greeter_0_2_0.so", `${dir}/greeter_0_2_0.so`);
  shell(`ls ${dir}`);
  say([...Deno.readDirSync(dir)].map((e) => e.name).sort().join(" "));
  const stamps = () =>
    ["greeter.so", "greeter_0_2_0.so"].map((n) => {
      const st = Deno.statSync(`${dir}/${n}`);
      return `${st.ino}:${st.size}:${st.mtime?.getTime()}`;
    }).join(",");
  const before = stamps();

  heading("disabled by configuration");
  const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" });
  code(
    'const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" })',
  );
  code("const log = (r: LogRecord) => console.log(`${r.level} ${r.event}: ${r.message}`)");
  let loads = 0;
  const log = (r: LogRecord) => {
    if (r.event === "load") loads++;
    if (r.level !== "debug") say(`${r.level} ${r.event}: ${r.message}`);
  };
  code(
    `const host = new PluginHost({ paths: ["${dir}"], env: false, log, rollout: { greeter: { enabled: false } } })`,
  );
  await using host = new PluginHost({
    paths: [dir],
    env: false,
    log,
    rollout: { greeter: { enabled: false } },
  });
  code("await host.discover()");
  const summary = await host.discover();
  say(
    `loaded ${summary.loaded}, disabled ${summary.disabled}; host.plugins() lists ${host.plugins().length}`,
  );
  code('host.select("greeter")');
  await expectError(() => host.select("greeter"), PluginError, "DISABLED");
  check("neither greeter was loaded: no load record", loads === 0, String(loads));

  heading("10% of users on 0.2");
  code('host.setRollout("greeter", { weights: { "^0.1": 90, "^0.2": 10 } })');
  host.setRollout("greeter", { weights: { "^0.1": 90, "^0.2": 10 } });
  const users = Array.from({ length: 1000 }, (_, i) => `user-${i}`);
  code(
    'for each of user-0 ... user-999: (await host.select("greeter", { key: user }).use(Greeter)).greet(user)',
  );
  const byVersion = new Map<string, string[]>();
  const firstAnswer = new Map<string, string>();
  for (const user of users) {
    const plugin = host.select("greeter", { key: user });
    const answer = (await plugin.use(Greeter)).greet(user) ?? "null";
    byVersion.set(plugin.version, [...(byVersion.get(plugin.version) ?? []), user]);
    if (!firstAnswer.has(plugin.version)) firstAnswer.set(plugin.version, answer);
  }
  for (const version of [...byVersion.keys()].sort()) {
    say(
      `greeted by ${version} (${JSON.stringify(firstAnswer.get(version))}): ${
        byVersion.get(version)!.length
      } users`,
    );
  }
  const onNew = new Set(byVersion.get("0.2.0") ?? []);
  check(
    `10% of the weight gave ${onNew.size} of 1000 users (${onNew.size / 10}%) to 0.2.0`,
    onNew.size === 103,
  );
  const again = Array.from({ length: 5 }, () => host.select("greeter", { key: "user-5" }).version);
  say(`user-5 five times: ${again.join(" ")}`);
  const sticky = users.every((user) =>
    host.select("greeter", { key: user }).version === (onNew.has(user) ? "0.2.0" : "0.1.0")
  );
  check("each user stays on one version", sticky && again.every((v) => v === "0.2.0"));

  code('100 times: host.select("greeter").version');
  const unkeyed = new Map<string, number>();
  for (let i = 0; i < 100; i++) {
    const v = host.select("greeter").version;
    unkeyed.set(v, (unkeyed.get(v) ?? 0) + 1);
  }
  say(`0.1.0: ${unkeyed.get("0.1.0")}, 0.2.0: ${unkeyed.get("0.2.0")}`);
  check(
    "unkeyed selections follow the weights exactly",
    unkeyed.get("0.1.0") === 90 && unkeyed.get("0.2.0") === 10,
  );

  heading("a quarter of users on 0.2");
  code('host.setRollout("greeter", { weights: { "^0.1": 75, "^0.2": 25 } })');
  host.setRollout("greeter", { weights: { "^0.1": 75, "^0.2": 25 } });
  const quarter = new Set(
    users.filter((user) => host.select("greeter", { key: user }).version === "0.2.0"),
  );
  const movedOn = [...quarter].filter((u) => !onNew.has(u)).length;
  const movedOff = [...onNew].filter((u) => !quarter.has(u)).length;
  say(
    `on 0.2.0 now: ${quarter.size} users (${movedOn} moved onto it, ${movedOff} moved off it)`,
  );
  check("raising the share only moved users onto 0.2.0", movedOff === 0 && quarter.size === 246);

  heading("off and on at run time");
  code('const { greet } = await host.select("greeter@^0.2").use(Greeter)');
  const { greet } = await host.select("greeter@^0.2").use(Greeter);
  code('host.setRollout("greeter", { enabled: false })');
  host.setRollout("greeter", { enabled: false });
  code('greet("Ada")');
  await expectError(() => greet("Ada"), CallError, "DISABLED");
  code('host.setRollout("greeter", undefined)');
  host.setRollout("greeter", undefined);
  const answer = greet("Ada");
  say(`greet("Ada") = ${JSON.stringify(answer)}`);
  check(
    "the same function answers again; both files are as they were, and both builds stayed loaded",
    answer === "Hi, Ada!" && stamps() === before && loads === 2 &&
      host.plugins().every((p) => p.state === "loaded"),
    `${answer} ${loads}`,
  );
}

if (import.meta.main) await main();
