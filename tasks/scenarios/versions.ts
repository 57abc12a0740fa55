/**
 * Scenario "versions": greeter 0.1.0 and 0.2.0 loaded side by side in one
 * host, both called, and picked by semver range.
 *
 * @module
 */

import { defineInterface, PluginError } from "../../mod.ts";
import { type LogRecord, PluginHost } from "../../src/host/mod.ts";
import { check, code, expectError, heading, say, shell, tempDir } from "./_kit.ts";
import { defineScenario } from "./_runner.ts";

/**
 * The scenario's definition; `deno task scenarios versions` runs it alone.
 *
 * @example Running it and checking its output
 * ```ts ignore
 * import { runScenario } from "./_runner.ts";
 * import { scenario } from "./versions.ts";
 *
 * const result = await runScenario(scenario);
 * console.log(result.passed, result.failures);
 * ```
 */
export const scenario = defineScenario(import.meta.url, {
  name: "versions",
  title: "Versions side by side: greeter 0.1 and 0.2 in one host, picked by range",
  description: "Puts two builds of the plugin named `greeter` in one directory: `greeter.so` " +
    '(`plugins/greeter.c`, 0.1.0, `greet("Ada")` is "Hello, Ada") and `greeter_0_2_0.so` ' +
    '(`tests/fixtures/greeter_0_2_0.c`, 0.2.0, "Hi, Ada!"). One `PluginHost` loads both; ' +
    '`host.select("greeter@^0.1")` and `host.select("greeter@^0.2")` pick each by semver range, ' +
    "both are called in turn, `/proc/self/maps` shows two separate mappings, a bare name picks " +
    "the highest version, and a range no build is in is refused with `VERSION_MISMATCH`.",
  why: "Two versions of one plugin in one process is where most plugin systems give up. Go's " +
    '`plugin.Open` refuses a second plugin with the same package path ("plugin already loaded"), ' +
    "so two builds of one plugin cannot coexist. With plain `dlopen`, a second open of the same " +
    "path or soname returns the library already loaded, and a library opened with `RTLD_GLOBAL` " +
    "lets its symbols stand in for another's. plugboard keys a host's plugins by file, not by " +
    "name, and maps each build from a sealed in-memory copy under a path of its own " +
    "(`/proc/self/fd/N`), opened `RTLD_LOCAL` by Deno: the two builds are two libraries, with " +
    "their own code, globals and init hooks. Which one a caller gets is a question of versions, " +
    "answered like the registry's `resolve()`: the highest version the range admits (npm's " +
    "ranges: `^0.1` is `>=0.1.0 <0.2.0`, since below 1.0 the minor is the breaking part), and " +
    "`VERSION_MISMATCH` naming the versions there are when none fits.",
  expect: {
    lines: [
      "$ ls $TMP/plugins",
      "greeter.so greeter_0_2_0.so",
      '> const host = new PluginHost({ paths: ["$TMP/plugins"], env: false, interfaces: [Greeter], log })',
      "> await host.discover()",
      "info load: loaded greeter 0.1.0",
      "info load: loaded greeter 0.2.0",
      "info discover: found 2 plugin files in 1 search path: 2 loaded, 0 skipped",
      "greeter 0.1.0 $TMP/plugins/greeter.so",
      "greeter 0.2.0 $TMP/plugins/greeter_0_2_0.so",
      '> const v1 = await host.select("greeter@^0.1").use(Greeter)',
      '> const v2 = await host.select("greeter@^0.2").use(Greeter)',
      'v1.greet("Ada") = "Hello, Ada"',
      'v2.greet("Ada") = "Hi, Ada!"',
      'v1.greet("Bob") = "Hello, Bob"',
      'v2.greet("Bob") = "Hi, Bob!"',
      "ok: each range got its own version, and both answer in turn",
      "memfd mappings of greeter in /proc/self/maps: 2 distinct files",
      "ok: the two builds are two libraries",
      'host.select("greeter").version = "0.2.0"',
      'host.select("greeter@~0.1.0").version = "0.1.0"',
      'host.select("greeter@>=0.1 <0.3").version = "0.2.0"',
      'host.select("greeter@0.1.x || 0.2.x").version = "0.2.0"',
      "ok: each range picked the highest version it admits",
      '> host.select("greeter@^0.3")',
      "throws PluginError VERSION_MISMATCH:",
      'Cannot select plugin "greeter@^0.3": expected a version in ^0.3, found 0.1.0, 0.2.0',
      "hint: ask for a range one of them is in, or add a build of greeter in ^0.3",
      "ok: threw PluginError VERSION_MISMATCH",
      "info close: closed greeter 0.2.0 (host closed, unloaded)",
      "info close: closed greeter 0.1.0 (host closed, unloaded)",
      "info close: host closed: 2 plugins closed",
    ],
  },
});

/** The distinct memfd files of a plugin name mapped in this process. */
function mappedBuilds(name: string): number {
  const inodes = new Set<string>();
  for (const line of Deno.readTextFileSync("/proc/self/maps").split("\n")) {
    if (line.includes(`/memfd:plugboard:${name} `) || line.endsWith(`/memfd:plugboard:${name}`)) {
      inodes.add(line.split(/\s+/)[4]);
    }
  }
  return inodes.size;
}

async function main(): Promise<void> {
  const tmp = await tempDir();
  const dir = `${tmp}/plugins`;
  await Deno.mkdir(dir);
  await Deno.copyFile("build/greeter.so", `${dir}/greeter.so`);
  await Deno.copyFile("build/fixtures/greeter_0_2_0.so", `${dir}/greeter_0_2_0.so`);
  shell(`ls ${dir}`);
  say([...Deno.readDirSync(dir)].map((e) => e.name).sort().join(" "));

  heading("one host, both versions");
  const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" });
  code(
    'const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" })',
  );
  code("const log = (r: LogRecord) => console.log(`${r.level} ${r.event}: ${r.message}`)");
  const log = (r: LogRecord) => console.log(`${r.level} ${r.event}: ${r.message}`);
  code(
    `const host = new PluginHost({ paths: ["${dir}"], env: false, interfaces: [Greeter], log })`,
  );
  const host = new PluginHost({ paths: [dir], env: false, interfaces: [Greeter], log });
  code("await host.discover()");
  await host.discover();
  for (const p of host.plugins(Greeter)) say(`${p.name} ${p.version} ${p.path}`);

  heading("picked by range, called in turn");
  code('const v1 = await host.select("greeter@^0.1").use(Greeter)');
  const v1 = await host.select("greeter@^0.1").use(Greeter);
  code('const v2 = await host.select("greeter@^0.2").use(Greeter)');
  const v2 = await host.select("greeter@^0.2").use(Greeter);
  const answers: string[] = [];
  for (const name of ["Ada", "Bob"]) {
    for (const [label, fns] of [["v1", v1], ["v2", v2]] as const) {
      const answer = fns.greet(name);
      answers.push(answer ?? "null");
      say(`${label}.greet(${JSON.stringify(name)}) = ${JSON.stringify(answer)}`);
    }
  }
  check(
    "each range got its own version, and both answer in turn",
    answers.join("|") === "Hello, Ada|Hi, Ada!|Hello, Bob|Hi, Bob!",
    answers.join("|"),
  );
  const mapped = mappedBuilds("greeter");
  say(`memfd mappings of greeter in /proc/self/maps: ${mapped} distinct files`);
  check("the two builds are two libraries", mapped === 2, String(mapped));

  heading("a bare name and other ranges");
  const picks: [string, string][] = [
    ["greeter", "0.2.0"],
    ["greeter@~0.1.0", "0.1.0"],
    ["greeter@>=0.1 <0.3", "0.2.0"],
    ["greeter@0.1.x || 0.2.x", "0.2.0"],
  ];
  let right = 0;
  for (const [spec, want] of picks) {
    const version = host.select(spec).version;
    if (version === want) right++;
    say(`host.select(${JSON.stringify(spec)}).version = ${JSON.stringify(version)}`);
  }
  check("each range picked the highest version it admits", right === picks.length);

  heading("a range no build is in");
  code('host.select("greeter@^0.3")');
  await expectError(() => host.select("greeter@^0.3"), PluginError, "VERSION_MISMATCH");

  heading("close");
  code("await host.close()");
  await host.close();
}

if (import.meta.main) await main();
