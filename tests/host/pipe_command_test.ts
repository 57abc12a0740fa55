import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { CallError, PluginError } from "../../src/errors/plugin_error.ts";
import { PluginHost } from "../../src/host/plugin_host.ts";
import { CrashError } from "../../src/errors/crash_error.ts";
import { captureCli } from "../_cli.ts";
import { TextPipeline, TextProcessor } from "../../src/cli/pipe_command.ts";
import { BUILD, ROOT } from "../_paths.ts";
import { populate, tempDir } from "./_host.ts";

const run = captureCli;

const samples = await populate(await tempDir(), {
  "text_base64.so": { plugin: "text_base64" },
  "text_reverse.so": { plugin: "text_reverse" },
  "text_upper.so": { plugin: "text_upper" },
  "calc_add.so": { plugin: "calc_add" },
  "notes.so": { text: "not a library\n" },
});
globalThis.addEventListener("unload", () => Deno.removeSync(samples, { recursive: true }));

Deno.test("plugboard pipe runs text through every processor in file-name order", async (t) => {
  const renamed = await populate(await tempDir(), {
    "1_upper.so": { plugin: "text_upper" },
    "2_reverse.so": { plugin: "text_reverse" },
  });
  const cases = [
    { name: "base64, reverse, upper", args: ["--dir", samples, "hello"], out: ["=8GBSVGA"] },
    { name: "words are joined", args: ["--dir", samples, "hi", "there"], out: ["=UMCLHGDGKGA"] },
    {
      name: "upper, then reverse, by file name",
      args: ["--dir", renamed, "héllo"],
      out: ["OLLéH"],
    },
    {
      name: "--steps shows each stage",
      args: ["--dir", samples, "--steps", "hello"],
      out: ["input    hello", "base64   aGVsbG8=", "reverse  =8GbsVGa", "upper    =8GBSVGA"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      assert.deepEqual(await run(["pipe", ...c.args]), { code: 0, out: c.out, err: [] });
    });
  }
  await Deno.remove(renamed, { recursive: true });
});

Deno.test("plugboard pipe --json --log: the stages, and a record per load and per call", async () => {
  const r = await run(["pipe", "--dir", samples, "--json", "--log", "hi"]);
  assert.equal(r.code, 0);
  assert.deepEqual(JSON.parse(r.out[0]), {
    input: "hi",
    output: "=KGA",
    stages: [
      {
        name: "base64",
        plugin: "text-base64",
        path: `${samples}/text_base64.so`,
        kind: "native",
        output: "aGk=",
      },
      {
        name: "reverse",
        plugin: "text-reverse",
        path: `${samples}/text_reverse.so`,
        kind: "native",
        output: "=kGa",
      },
      {
        name: "upper",
        plugin: "text-upper",
        path: `${samples}/text_upper.so`,
        kind: "native",
        output: "=KGA",
      },
    ],
  });
  const records = r.err.map((l) => JSON.parse(l));
  const of = (event: string) => records.filter((x) => x.event === event);
  assert.deepEqual(of("load").map((x) => x.plugin), ["text-base64", "text-reverse", "text-upper"]);
  assert.deepEqual(of("call").map((x) => `${x.plugin} ${x.function}`), [
    "text-base64 name",
    "text-reverse name",
    "text-upper name",
    "text-base64 process",
    "text-reverse process",
    "text-upper process",
  ]);
  for (const x of [...of("load"), ...of("call")]) {
    assert.equal(typeof x.version, "string");
    assert.equal(typeof x.buildId, "string");
    assert.equal(x.sha256.length, 12);
    assert.equal(typeof x.durationMs, "number");
  }
  assert.deepEqual(of("skip").map((x) => x.code), ["INTERFACE_MISSING", "NOT_ELF"]);
});

Deno.test("plugboard pipe without processors fails with INTERFACE_MISSING", async () => {
  const empty = await tempDir();
  const r = await run(["pipe", "--dir", empty, "hello"]);
  assert.equal(r.code, 1);
  assert.equal(
    r.err[0],
    `error[INTERFACE_MISSING]: No text.processor/1 plugins in ${JSON.stringify(empty)}`,
  );
  await Deno.remove(empty, { recursive: true });
});

// ------------------------------------------------------------ exec plugins

const script = (name: string) => ({ copy: join(ROOT, "tests", "fixtures", `${name}.sh`) });

/**
 * Native processors, the shell-script sample as `deno task build` copies it,
 * an exec plugin for another interface, a broken script, and files that are
 * not exec plugins: a `#!` file without the execute bit, an executable
 * without `#!`, and an ELF executable.
 */
const mixed = await populate(await tempDir(), {
  "broken.sh": script("iso_exec_garbage"),
  "other.sh": script("iso_exec_other"),
  "text_base64.so": { plugin: "text_base64" },
  "text_reverse.so": { plugin: "text_reverse" },
  "text_shout.sh": { copy: join(BUILD, "text_shout.sh") },
  "text_upper.so": { plugin: "text_upper" },
  "notes.txt": { text: "#!/bin/sh\necho plugboard-exec 1 text.processor/1 notes\n" },
  "data": { copy: join(ROOT, "LICENSE"), mode: 0o755 },
  "tool": { copy: join(BUILD, "greeter.so"), mode: 0o755 },
});
globalThis.addEventListener("unload", () => Deno.removeSync(mixed, { recursive: true }));

const SHOUT_SHA256 = createHash("sha256")
  .update(Deno.readFileSync(join(mixed, "text_shout.sh")))
  .digest("hex");

Deno.test("plugboard pipe runs exec plugins beside native ones, in file-name order", async (t) => {
  const shoutOnly = await populate(await tempDir(), {
    "text_shout.sh": { copy: join(ROOT, "plugins", "text_shout.sh") },
  });
  const cases = [
    { name: "base64, reverse, shout, upper", args: ["--dir", mixed, "hello"], out: ["=8GBSVGA!"] },
    {
      name: "--steps shows the exec stage",
      args: ["--dir", mixed, "--steps", "hello"],
      out: [
        "input    hello",
        "base64   aGVsbG8=",
        "reverse  =8GbsVGa",
        "shout    =8GBSVGA!",
        "upper    =8GBSVGA!",
      ],
    },
    {
      name: "an exec plugin alone, newlines kept",
      args: ["--dir", shoutOnly, "héllo\nworld\n"],
      out: ["HéLLO\nWORLD\n!"],
    },
    {
      name: "two directories: stages merged by file name",
      args: ["--dir", shoutOnly, "--dir", samples, "--steps", "hi"],
      out: ["input    hi", "base64   aGk=", "reverse  =kGa", "shout    =KGA!", "upper    =KGA!"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      assert.deepEqual(await run(["pipe", ...c.args]), { code: 0, out: c.out, err: [] });
    });
  }
  await Deno.remove(shoutOnly, { recursive: true });
});

Deno.test("plugboard pipe --json --log: the exec stage's load, calls and close, and the skips", async () => {
  const r = await run(["pipe", "--dir", mixed, "--json", "--log", "hi"]);
  assert.equal(r.code, 0, r.err.join("\n"));
  assert.deepEqual(JSON.parse(r.out[0]).stages.map((s: Record<string, string>) => s), [
    {
      name: "base64",
      plugin: "text-base64",
      path: `${mixed}/text_base64.so`,
      kind: "native",
      output: "aGk=",
    },
    {
      name: "reverse",
      plugin: "text-reverse",
      path: `${mixed}/text_reverse.so`,
      kind: "native",
      output: "=kGa",
    },
    {
      name: "shout",
      plugin: "shout",
      path: `${mixed}/text_shout.sh`,
      kind: "exec",
      output: "=KGA!",
    },
    {
      name: "upper",
      plugin: "text-upper",
      path: `${mixed}/text_upper.so`,
      kind: "native",
      output: "=KGA!",
    },
  ]);
  const records = r.err.map((l) => JSON.parse(l));
  const shout = `${mixed}/text_shout.sh`;
  const of = (event: string) => records.filter((x) => x.event === event);
  const omit = (x: Record<string, unknown>, ...keys: string[]) =>
    Object.fromEntries(Object.entries(x).filter(([k]) => !keys.includes(k)));

  // Skips in file-name order, in the host's style: another interface is expected (debug).
  assert.deepEqual(of("skip").map((x) => omit(x, "time")), [
    {
      level: "warn",
      event: "skip",
      message: `Cannot load plugin "${mixed}/broken.sh": the program did not complete the ` +
        'plugboard-exec handshake: expected a first line "plugboard-exec VERSION ' +
        'text.processor/1 NAME" with version 1, found "hello there"',
      path: `${mixed}/broken.sh`,
      code: "HANDSHAKE_FAILED",
      hint:
        "make the program print its handshake line first (see docs/isolation.md), and nothing else on stdout",
    },
    {
      level: "debug",
      event: "skip",
      message: `Cannot load plugin "${mixed}/other.sh": the program implements another ` +
        "interface: expected text.processor/1, found text.other/1",
      path: `${mixed}/other.sh`,
      code: "INTERFACE_MISMATCH",
      hint: "use a plugin for text.processor/1",
    },
  ]);

  const loads = of("load").filter((x) => x.path === shout);
  assert.equal(loads.length, 1);
  assert.equal(typeof loads[0].durationMs, "number");
  assert.equal(typeof loads[0].pid, "number");
  assert.deepEqual(omit(loads[0], "time", "durationMs", "pid"), {
    level: "info",
    event: "load",
    message: "loaded exec plugin shout",
    plugin: "shout",
    path: shout,
    sha256: SHOUT_SHA256.slice(0, 12),
    kind: "exec",
    interfaces: ["text.processor/1"],
    protocol: 1,
  });
  assert.deepEqual(of("load").map((x) => x.plugin), [
    "text-base64",
    "text-reverse",
    "text-upper",
    "shout",
  ]);

  // Calls in pipeline order: the exec stage between reverse and upper.
  assert.deepEqual(of("call").filter((x) => x.function === "process").map((x) => x.plugin), [
    "text-base64",
    "text-reverse",
    "shout",
    "text-upper",
  ]);
  const call = of("call").find((x) => x.path === shout)!;
  assert.equal(typeof call.durationMs, "number");
  assert.deepEqual(omit(call, "time", "durationMs"), {
    level: "info",
    event: "call",
    message: "process() of exec plugin shout",
    plugin: "shout",
    path: shout,
    sha256: SHOUT_SHA256.slice(0, 12),
    function: "process",
  });
  const close = of("close").find((x) => x.path === shout)!;
  assert.deepEqual(omit(close, "time"), {
    level: "info",
    event: "close",
    message: "closed exec plugin shout",
    plugin: "shout",
    path: shout,
    exitCode: 0,
    signal: null,
  });
});

Deno.test("plugboard pipe --log prints the exec stage's records for people", async () => {
  const r = await run(["pipe", "--dir", mixed, "--log", "hi"]);
  assert.equal(r.code, 0);
  assert.deepEqual(r.out, ["=KGA!"]);
  const exec = r.err.filter((l) => l.includes("text_shout.sh") || l.includes('.sh"'));
  assert.match(
    exec[0],
    new RegExp(
      `^warn {2}skip {4}Cannot load plugin "${mixed}/broken\\.sh": .* found "hello there"`,
    ),
  );
  assert.match(
    exec[1],
    new RegExp(
      `^info {2}load {4}loaded exec plugin shout {2}path=${mixed}/text_shout\\.sh ` +
        `sha256=${SHOUT_SHA256.slice(0, 12)} [\\d.]+ ms$`,
    ),
  );
  assert.match(exec[2], /^info {2}call {4}process\(\) of exec plugin shout {2}path=.* [\d.]+ ms$/);
  assert.match(exec[3], /^info {2}close {3}closed exec plugin shout {2}path=/);
  assert.equal(exec.length, 4, exec.join("\n"));
  // The skip of other.sh is a debug record: not shown.
  assert.equal(r.err.some((l) => l.includes("other.sh")), false);
});

Deno.test("plugboard pipe reports an exec stage's failure, and its stderr", async (t) => {
  const dir = await populate(await tempDir(), {
    "a_faulty.sh": script("iso_exec_faulty"),
    "text_upper.so": { plugin: "text_upper" },
  });
  const path = `${dir}/a_faulty.sh`;
  const cases = [
    {
      text: "fail",
      err: [
        `error[CALL_FAILED]: Call to "process" in plugin "${path}" failed: something went wrong`,
        "hint: the plugin reported this error; check the input or the plugin's documentation",
      ],
    },
    {
      text: "crash",
      err: [
        `error[PLUGIN_CRASHED]: Plugin "${path}" crashed: expected a reply to process(), found ` +
        "the program (pid <pid>) killed by SIGSEGV (signal 11)",
        "hint: the host kept running; fix the plugin (its stderr above may say why) and open it again",
      ],
    },
    { text: "fine", out: ["FINE"], err: [] },
  ];
  for (const c of cases) {
    await t.step(c.text, async () => {
      const r = await run(["pipe", "--dir", dir, c.text]);
      // Without --log, an exec plugin's stderr passes through, as a native plugin's does.
      assert.match(r.err[0], new RegExp(`^\\[${path} \\d+\\] faulty: started$`));
      assert.deepEqual(r.err.slice(1).map((l) => l.replace(/\(pid \d+\)/, "(pid <pid>)")), c.err);
      assert.deepEqual(r.out, c.out ?? []);
      assert.equal(r.code, c.out ? 0 : 1);
    });
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("TextPipeline runs native stages synchronously and exec stages awaited", async (t) => {
  await using host = new PluginHost({ paths: [mixed], env: false, interfaces: [TextProcessor] });
  await host.discover();

  await t.step("with exec plugins: run() only", async () => {
    await using pipeline = await TextPipeline.open(host);
    assert.deepEqual(pipeline.stages.map((s) => `${s.kind} ${s.name}`), [
      "native base64",
      "native reverse",
      "exec shout",
      "native upper",
    ]);
    assert.deepEqual(pipeline.skipped.map((s) => [s.path, s.code, s.forOtherInterfaces]), [
      [`${mixed}/broken.sh`, "HANDSHAKE_FAILED", undefined],
      [`${mixed}/other.sh`, "INTERFACE_MISMATCH", true],
    ]);
    assert.equal(pipeline.sync, false);
    assert.deepEqual(await pipeline.run("hello"), { output: "=8GBSVGA!", steps: [] });
    // Overlapping runs do not share buffers across the exec stage's await.
    const texts = ["a", "bb", "c".repeat(2000), "héllo wörld"];
    const expected = texts.map((x) =>
      [...btoa(String.fromCharCode(...new TextEncoder().encode(x)))].reverse().join("")
        .toUpperCase() + "!"
    );
    assert.deepEqual(
      (await Promise.all(texts.map((x) => pipeline.run(x)))).map((r) => r.output),
      expected,
    );
    assert.throws(
      () => pipeline.runSync("hello"),
      (e) =>
        e instanceof PluginError && e.code === "USAGE" &&
        e.summary === `Cannot run the pipeline synchronously: stage 3 ("${mixed}/text_shout.sh") ` +
            "is an exec plugin: expected native stages only, found 1 exec stage(s)",
    );
    await pipeline.close();
    await assert.rejects(
      pipeline.run("hello"),
      (e) => e instanceof CallError && e.code === "CLOSED",
    );
  });

  await t.step("exec: false: native stages, runSync()", async () => {
    await using pipeline = await TextPipeline.open(host, { exec: false });
    assert.deepEqual(pipeline.stages.map((s) => s.name), ["base64", "reverse", "upper"]);
    assert.deepEqual(pipeline.skipped, []);
    assert.equal(pipeline.sync, true);
    assert.deepEqual(pipeline.runSync("hello"), { output: "=8GBSVGA", steps: [] });
    assert.deepEqual(await pipeline.run("hello"), { output: "=8GBSVGA", steps: [] });
  });

  await t.step("a crashing exec stage rejects with PLUGIN_CRASHED", async () => {
    const dir = await populate(await tempDir(), { "faulty.sh": script("iso_exec_faulty") });
    await using other = new PluginHost({ paths: [dir], env: false, interfaces: [TextProcessor] });
    await other.discover();
    await using pipeline = await TextPipeline.open(other, { log: () => {} });
    assert.deepEqual(await pipeline.run("ok"), { output: "ok", steps: [] });
    await assert.rejects(
      pipeline.run("crash"),
      (e) => e instanceof CrashError && e.code === "PLUGIN_CRASHED",
    );
    await Deno.remove(dir, { recursive: true });
  });
});
