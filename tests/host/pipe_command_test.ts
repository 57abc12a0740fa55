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

/** What a file in the plugin directory that is not a plugin earns: a warning, not silence. */
const NOTES_WARNING = [
  `warning[NOT_ELF]: Cannot load plugin "${samples}/notes.so": not an ELF file: expected an ELF shared library (beginning 7f 45 4c 46), found text beginning "not a li"`,
  "hint: this is not a compiled shared library; build it with `cc -shared -fPIC -o plugin.so plugin.c`",
];

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
      assert.deepEqual(await run(["pipe", ...c.args]), {
        code: 0,
        out: c.out,
        err: c.args.includes(samples) ? NOTES_WARNING : [],
      });
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
        isolation: "none",
        output: "aGk=",
      },
      {
        name: "reverse",
        plugin: "text-reverse",
        path: `${samples}/text_reverse.so`,
        kind: "native",
        isolation: "none",
        output: "=kGa",
      },
      {
        name: "upper",
        plugin: "text-upper",
        path: `${samples}/text_upper.so`,
        kind: "native",
        isolation: "none",
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

// ------------------------------------------------------ subprocess plugins

const RPC = join(ROOT, "plugins", "rpc");
const FIXTURES = join(ROOT, "tests", "fixtures");
/** A program and its metadata sidecar. */
const program = (dir: string, name: string, as = name) => ({
  [as]: { copy: join(dir, name) },
  [`${as}.plugboard.json`]: { copy: join(dir, `${name}.plugboard.json`) },
});

/**
 * Native processors and the bash sample (a subprocess plugin), a program for
 * another interface, a program whose handshake is not what its sidecar
 * says, and files that are not plugins: a script and an executable without
 * a sidecar are not even candidates.
 */
const mixed = await populate(await tempDir(), {
  ...program(RPC, "calc_sub.sh", "other.sh"),
  "broken.sh": { copy: join(FIXTURES, "rpc_garbage.sh") },
  "broken.sh.plugboard.json": { copy: join(RPC, "text_shout.sh.plugboard.json") },
  "text_base64.so": { plugin: "text_base64" },
  "text_reverse.so": { plugin: "text_reverse" },
  ...program(RPC, "text_shout.sh"),
  "text_upper.so": { plugin: "text_upper" },
  "notes.txt": { copy: join(FIXTURES, "rpc_garbage.sh") },
  "tool": { copy: join(BUILD, "greeter.so"), mode: 0o755 },
});
globalThis.addEventListener("unload", () => Deno.removeSync(mixed, { recursive: true }));

const SHOUT_SHA256 = createHash("sha256")
  .update(Deno.readFileSync(join(mixed, "text_shout.sh")))
  .digest("hex");

Deno.test("plugboard pipe runs subprocess plugins beside native ones, in file-name order", async (t) => {
  const shoutOnly = await populate(await tempDir(), program(RPC, "text_shout.sh"));
  const cases = [
    { name: "base64, reverse, shout, upper", args: ["--dir", mixed, "hello"], out: ["=8GBSVGA!"] },
    {
      name: "--steps shows the subprocess stage",
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
      name: "a subprocess plugin alone, newlines kept",
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
      const r = await run(["pipe", ...c.args]);
      assert.deepEqual(r, {
        code: 0,
        out: c.out,
        err: [
          ...(c.args.includes(mixed) ? BROKEN_WARNING : []),
          ...(c.args.includes(samples) ? NOTES_WARNING : []),
        ],
      });
    });
  }
  await Deno.remove(shoutOnly, { recursive: true });
});

const BROKEN_HANDSHAKE = {
  message:
    `Cannot load plugin "${mixed}/broken.sh": the program did not complete the plugboard-rpc handshake: expected a first line {"plugboard-rpc": 1, "name": ..., "interfaces": [...]} on stdout, found a first line that is not JSON: "hello there"`,
  hint:
    "the program must print its handshake line first, and only protocol lines on stdout (docs/subprocess.md)",
};
const BROKEN_WARNING = [
  `warning[HANDSHAKE_FAILED]: ${BROKEN_HANDSHAKE.message}`,
  `hint: ${BROKEN_HANDSHAKE.hint}`,
];

Deno.test("plugboard pipe --json --log: the subprocess stage's load and calls, and the skips", async () => {
  const r = await run(["pipe", "--dir", mixed, "--json", "--log", "hi"]);
  assert.equal(r.code, 0, r.err.join("\n"));
  assert.deepEqual(JSON.parse(r.out[0]).stages, [
    {
      name: "base64",
      plugin: "text-base64",
      path: `${mixed}/text_base64.so`,
      kind: "native",
      isolation: "none",
      output: "aGk=",
    },
    {
      name: "reverse",
      plugin: "text-reverse",
      path: `${mixed}/text_reverse.so`,
      kind: "native",
      isolation: "none",
      output: "=kGa",
    },
    {
      name: "shout",
      plugin: "shout",
      path: `${mixed}/text_shout.sh`,
      kind: "executable",
      isolation: "process",
      output: "=KGA!",
    },
    {
      name: "upper",
      plugin: "text-upper",
      path: `${mixed}/text_upper.so`,
      kind: "native",
      isolation: "none",
      output: "=KGA!",
    },
  ]);
  const records = r.err.map((l) => JSON.parse(l));
  const shout = `${mixed}/text_shout.sh`;
  const of = (event: string) => records.filter((x) => x.event === event);
  const omit = (x: Record<string, unknown>, ...keys: string[]) =>
    Object.fromEntries(Object.entries(x).filter(([k]) => !keys.includes(k)));

  // Skips in file-name order; another interface is expected (debug).
  assert.deepEqual(of("skip").map((x) => omit(x, "time")), [
    {
      level: "warn",
      event: "skip",
      ...BROKEN_HANDSHAKE,
      path: `${mixed}/broken.sh`,
      code: "HANDSHAKE_FAILED",
    },
    {
      level: "debug",
      event: "skip",
      message:
        `Cannot load plugin "${mixed}/other.sh": plugin "calc-sub-bash" provides none of the host's interfaces: expected text.processor/1.0, found calc.op/1.0`,
      path: `${mixed}/other.sh`,
      code: "INTERFACE_MISSING",
      hint: "implement text.processor/1.0 in the plugin, or remove the file from the search path",
    },
  ]);
  const loads = of("load").filter((x) => x.path === shout);
  assert.equal(loads.length, 1);
  assert.equal(loads[0].sha256, SHOUT_SHA256.slice(0, 12));
  assert.deepEqual(of("load").map((x) => x.plugin), [
    "text-base64",
    "text-reverse",
    "shout",
    "text-upper",
  ]);
  // Calls in pipeline order: the subprocess stage between reverse and upper.
  assert.deepEqual(of("call").filter((x) => x.function === "process").map((x) => x.plugin), [
    "text-base64",
    "text-reverse",
    "shout",
    "text-upper",
  ]);
});

Deno.test("plugboard pipe reports a subprocess stage's failure, and its stderr", async (t) => {
  const dir = await populate(await tempDir(), {
    ...program(FIXTURES, "rpc_text_faulty.py", "a_faulty.py"),
    "text_upper.so": { plugin: "text_upper" },
  });
  const path = `${dir}/a_faulty.py`;
  const cases = [
    {
      text: "fail",
      err: [
        `error[CALL_FAILED] (plugin code 1): Call to "process" in plugin "${path}" failed: something went wrong`,
        "hint: the plugin reported this error; check the arguments or the plugin's documentation",
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
      // Without --log, a subprocess plugin's stderr passes through, as a native plugin's does.
      assert.match(r.err[0], /^\[faulty \d+\] faulty: started$/);
      assert.deepEqual(r.err.slice(1).map((l) => l.replace(/\(pid \d+\)/, "(pid <pid>)")), c.err);
      assert.deepEqual(r.out, c.out ?? []);
      assert.equal(r.code, c.out ? 0 : 1);
    });
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("plugboard pipe without --allow-run skips subprocess plugins with a warning", async () => {
  const dir = await populate(await tempDir(), {
    ...program(RPC, "text_shout.sh"),
    "text_upper.so": { plugin: "text_upper" },
  });
  const cli = join(ROOT, "src", "cli", "main.ts");
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--allow-read=${ROOT},${dir}`,
      "--allow-ffi",
      "--allow-env=PLUGBOARD_PATH",
      cli,
      "pipe",
      "--dir",
      dir,
      "hi",
    ],
    env: { NO_COLOR: "1" },
  }).output();
  const dec = (b: Uint8Array) => new TextDecoder().decode(b);
  const deno = Deno.execPath();
  assert.deepEqual([out.code, dec(out.stdout), dec(out.stderr)], [
    0,
    "HI\n",
    `warning[PERMISSION_DENIED]: Cannot load plugin "${dir}/text_shout.sh": cannot start the program: expected a program the host may run, found Requires run access to "${deno}", run again with the --allow-run flag\n` +
    `hint: grant it: --allow-run=${deno}\n`,
  ]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("TextPipeline runs in-process stages synchronously and subprocess stages awaited", async (t) => {
  await using host = new PluginHost({
    paths: [mixed],
    env: false,
    interfaces: [TextProcessor],
    loadOptions: { isolation: "auto" },
    log: () => {},
  });
  await host.discover();

  await t.step("with a subprocess stage: run() only", async () => {
    const pipeline = await TextPipeline.open(host);
    assert.deepEqual(pipeline.stages.map((s) => `${s.kind} ${s.isolation} ${s.name}`), [
      "native none base64",
      "native none reverse",
      "executable process shout",
      "native none upper",
    ]);
    assert.equal(pipeline.sync, false);
    assert.deepEqual(await pipeline.run("hello"), { output: "=8GBSVGA!", steps: [] });
    // Overlapping runs do not share buffers across the subprocess stage's await.
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
        e.summary ===
          "Cannot run the pipeline synchronously: expected stages in this process only, " +
            `found 1 in processes, the first stage 3 ("${mixed}/text_shout.sh")`,
    );
  });

  await t.step("in-process stages only: runSync()", async () => {
    await using native = new PluginHost({
      paths: [samples],
      env: false,
      interfaces: [TextProcessor],
    });
    await native.discover();
    const pipeline = await TextPipeline.open(native);
    assert.deepEqual(pipeline.stages.map((s) => s.name), ["base64", "reverse", "upper"]);
    assert.equal(pipeline.sync, true);
    assert.deepEqual(pipeline.runSync("hello"), { output: "=8GBSVGA", steps: [] });
    assert.deepEqual(await pipeline.run("hello"), { output: "=8GBSVGA", steps: [] });
  });

  await t.step(
    "a crashing subprocess stage rejects with PLUGIN_CRASHED; the host closes it",
    async () => {
      const dir = await populate(await tempDir(), program(FIXTURES, "rpc_text_faulty.py"));
      const other = new PluginHost({
        paths: [dir],
        env: false,
        interfaces: [TextProcessor],
        loadOptions: { isolation: "auto" },
        log: () => {},
      });
      await other.discover();
      const pipeline = await TextPipeline.open(other);
      assert.deepEqual(await pipeline.run("ok"), { output: "ok", steps: [] });
      await assert.rejects(
        pipeline.run("crash"),
        (e) => e instanceof CrashError && e.code === "PLUGIN_CRASHED",
      );
      await other.close();
      await assert.rejects(
        pipeline.run("ok"),
        (e) => e instanceof CallError && e.code === "CLOSED",
      );
      await Deno.remove(dir, { recursive: true });
    },
  );
});
