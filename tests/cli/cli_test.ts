import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { captureCli } from "../_cli.ts";
import { fixture, plugin, ROOT } from "../_paths.ts";
import { cliError } from "../../src/cli/_output.ts";
import { COMMANDS } from "../../src/cli/_commands.ts";

/** One CLI run in this process: exit code, stdout and stderr lines. */
interface Run {
  code: number;
  out: string[];
  err: string[];
}

async function cli(...args: string[]): Promise<Run> {
  const r = await captureCli(args);
  return { code: r.code, out: r.out, err: r.err };
}

/** Run the CLI as a process: `deno run FLAGS src/cli/main.ts ARGS`. */
async function cliProcess(
  flags: string[],
  args: string[],
  options: { cwd?: string } = {},
): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, `${ROOT}/src/cli/main.ts`, ...args],
    cwd: options.cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const lines = (b: Uint8Array) => {
    const text = new TextDecoder().decode(b).trimEnd();
    return text === "" ? [] : text.split("\n");
  };
  return { code: out.code, out: lines(out.stdout), err: lines(out.stderr) };
}

const MY = plugin("myfunction");
const NOOP = plugin("noop");
const CALL_HINT = "hint: see plugboard call --help";
const PLUGIN_ERROR_HINT =
  "hint: the plugin reported this error; check the arguments or the plugin's documentation";

const notAnElf = await Deno.makeTempFile({ prefix: "plugboard-cli-", suffix: ".so" });
await Deno.writeTextFile(notAnElf, "not a plugin, just text\n");

function zlibVersion(): string {
  const lib = Deno.dlopen("libz.so.1", { zlibVersion: { parameters: [], result: "pointer" } });
  try {
    return Deno.UnsafePointerView.getCString(lib.symbols.zlibVersion()!);
  } finally {
    lib.close();
  }
}

Deno.test("plugboard call: every case of the seed loader, exactly", async (t) => {
  // The seed: MyFunction(string) (int, error) in plugins/myfunction.c:
  // "hello" is 42, "" fails with the plugin's code 1, anything else is its length.
  const cases: (Run & { name: string; args: string[] })[] = [
    {
      name: "the function's result",
      args: ["call", MY, "MyFunction", "hello"],
      code: 0,
      out: ["42"],
      err: [],
    },
    {
      name: "a nonexistent file",
      args: ["call", "/nonexistent/myfunction.so", "MyFunction", "hello"],
      code: 1,
      out: [],
      err: [
        'error[NOT_FOUND]: Cannot load plugin "/nonexistent/myfunction.so": no such file: expected an existing file, found nothing at /nonexistent/myfunction.so',
        "hint: check the path, or build the plugin first",
      ],
    },
    {
      name: "an invalid file (text)",
      args: ["call", notAnElf, "MyFunction", "hello"],
      code: 1,
      out: [],
      err: [
        `error[NOT_ELF]: Cannot load plugin "${notAnElf}": not an ELF file: expected an ELF shared library (beginning 7f 45 4c 46), found text beginning "not a pl"`,
        "hint: this is not a compiled shared library; build it with `cc -shared -fPIC -o plugin.so plugin.c`",
      ],
    },
    {
      name: "an ordinary library, not a plugin",
      args: ["call", fixture("plain"), "add", "1"],
      code: 1,
      out: [],
      err: [
        `error[NOT_A_PLUGIN]: Cannot load plugin "${
          fixture("plain")
        }": no plugboard metadata: expected a ".note.plugboard" note written by PLUGBOARD_PLUGIN(...), found an ordinary shared library (1 exported symbol, no plugboard note)`,
        `hint: to call an ordinary library, give the function's signature: plugboard call ${
          fixture("plain")
        } add --sig "TYPE add(TYPE, ...)"`,
      ],
    },
    {
      name: "a missing function",
      args: ["call", MY, "MyFunc", "hello"],
      code: 1,
      out: [],
      err: [
        `error[SYMBOL_MISSING]: Cannot load plugin "${MY}": symbol "MyFunc" is not an exported function: expected an exported function "MyFunc" (default visibility), found no symbol of that name, not even a local one`,
        "hint: if MyFunc is in the source, the linker removed it or it was never compiled: export it with PLUGBOARD_FN(...) (exported functions are kept) or mark it __attribute__((used)); check -ffunction-sections -Wl,--gc-sections and the build's file list",
      ],
    },
    {
      name: "the expected signature",
      args: ["call", MY, "MyFunction", "hello", "--expect", "fallible i32 MyFunction(cstring)"],
      code: 0,
      out: ["42"],
      err: [],
    },
    {
      name: "another signature than expected",
      args: [
        "call",
        MY,
        "MyFunction",
        "hello",
        "--expect",
        "fallible i32 MyFunction(cstring, i32)",
      ],
      code: 1,
      out: [],
      err: [
        `error[SIGNATURE_MISMATCH]: Cannot load plugin "${MY}": function "MyFunction" has another signature: expected fallible i32 MyFunction(cstring, i32), found fallible i32 MyFunction(cstring)`,
        "hint: declare the function on the host exactly as the plugin does",
      ],
    },
    {
      name: "a crash with --isolate",
      args: ["call", plugin("crash_call"), "crash", "1", "--isolate"],
      code: 1,
      out: [],
      err: [
        `error[PLUGIN_CRASHED]: Plugin "${
          plugin("crash_call")
        }" crashed: expected a reply to crash(), found the child (pid N) killed by SIGSEGV (signal 11)`,
        "hint: the host kept running; fix the plugin (the child's stderr above may say why), or open it with { restart: {...} } to start a fresh child after a crash",
      ],
    },
    {
      name: "the child's stderr before a crash with --isolate",
      args: ["call", plugin("stderr_crash"), "crash", "2", "--isolate"],
      code: 1,
      out: [],
      err: [
        "about to crash: step 1",
        "about to crash: step 2",
        `error[PLUGIN_CRASHED]: Plugin "${
          plugin("stderr_crash")
        }" crashed: expected a reply to crash(), found the child (pid N) killed by SIGSEGV (signal 11)`,
        "hint: the host kept running; fix the plugin (the child's stderr above may say why), or open it with { restart: {...} } to start a fresh child after a crash",
      ],
    },
    {
      name: "the plugin's own error, with its code",
      args: ["call", MY, "MyFunction", ""],
      code: 1,
      out: [],
      err: [
        `error[CALL_FAILED] (plugin code 1): Call to "MyFunction" in plugin "${MY}" failed: input is empty`,
        PLUGIN_ERROR_HINT,
      ],
    },
    {
      name: "the plugin's own error as JSON",
      args: ["call", MY, "MyFunction", "", "--json"],
      code: 1,
      out: [JSON.stringify({
        error: {
          code: "CALL_FAILED",
          message: `Call to "MyFunction" in plugin "${MY}" failed: input is empty`,
          hint: PLUGIN_ERROR_HINT.slice(6),
          pluginCode: 1,
        },
      })],
      err: [],
    },
    {
      name: "bad args: too few",
      args: ["call", MY, "MyFunction"],
      code: 2,
      out: [],
      err: ["error[USAGE]: MyFunction takes 1 argument(s) (cstring), got 0", CALL_HINT],
    },
    {
      name: "bad args: not an integer",
      args: ["call", NOOP, "add", "5n", "1"],
      code: 2,
      out: [],
      err: ['error[USAGE]: Argument 1 ("5n") is not an integer (i32)', CALL_HINT],
    },
    {
      name: "bad args: out of range",
      args: ["call", NOOP, "add", "3000000000", "1"],
      code: 1,
      out: [],
      err: [
        `error[INVALID_ARGUMENT]: Call to "add" in plugin "${NOOP}" failed: argument 1 does not fit i32: expected an integer from -2147483648 to 2147483647, found number 3000000000`,
        "hint: pass a value of the declared type",
      ],
    },
    {
      name: "-0 is the integer 0",
      args: ["call", NOOP, "add", "-0", "5"],
      code: 0,
      out: ["5"],
      err: [],
    },
    {
      name: "a negative number is an argument, not an option",
      args: ["call", plugin("calc_sub"), "apply", "-5", "2.5"],
      code: 0,
      out: ["-7.5"],
      err: [],
    },
    {
      name: "an executable (a subprocess plugin) runs as its own process",
      args: ["call", `${ROOT}/plugins/rpc/calc_mul.py`, "apply", "3", "-4"],
      code: 0,
      out: ["-12"],
      err: [],
    },
    {
      name: "an ordinary library with --sig",
      args: ["call", "libz.so.1", "zlibVersion", "--sig", "cstring zlibVersion()"],
      code: 0,
      out: [zlibVersion()],
      err: [],
    },
    {
      name: "--sig naming another function",
      args: ["call", "libz.so.1", "zlibVersion", "--sig", "cstring other()"],
      code: 2,
      out: [],
      err: [
        'error[USAGE]: --sig "cstring other()": Declaration "zlibVersion" names function "other"',
        CALL_HINT,
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const r = await cli(...c.args);
      r.err = r.err.map((l) => l.replace(/\(pid \d+\)/, "(pid N)"));
      assertEquals(r, { code: c.code, out: c.out, err: c.err });
    });
  }
  await t.step(
    "already loaded: a second call in the same process gets the same answer",
    async () => {
      const args = ["call", MY, "MyFunction", "hello"];
      assertEquals([await cli(...args), await cli(...args)], [
        { code: 0, out: ["42"], err: [] },
        { code: 0, out: ["42"], err: [] },
      ]);
    },
  );
  await Deno.remove(notAnElf);
});

Deno.test("plugboard call --lock, and a plugboard.lock in the current directory", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-cli-" });
  const lock = `${dir}/plugboard.lock`;
  const read = ["--allow-read", "--allow-ffi", "--allow-write=" + dir];
  await t.step("--lock: a plugin the lockfile does not list is UNTRUSTED", async () => {
    assertEquals((await cli("trust", plugin("greeter"), "--lock", lock)).code, 0);
    const r = await cli("call", MY, "MyFunction", "hello", "--lock", lock);
    assertEquals(r.code, 1);
    assertMatch(r.err[0], /^error\[UNTRUSTED\]: Cannot load plugin ".*myfunction\.so": /);
  });
  await t.step("./plugboard.lock is honoured, and said so", async () => {
    const r = await cliProcess(read, ["call", MY, "MyFunction", "hello"], { cwd: dir });
    assertEquals(r.code, 1);
    assertEquals(r.err[0], "using lockfile ./plugboard.lock (--no-lock to ignore it)");
    assertMatch(r.err[1], /^error\[UNTRUSTED\]/);
  });
  await t.step("--no-lock ignores it", async () => {
    const r = await cliProcess(read, ["call", MY, "MyFunction", "hello", "--no-lock"], {
      cwd: dir,
    });
    assertEquals(r, { code: 0, out: ["42"], err: [] });
  });
  await t.step("a trusted plugin is called", async () => {
    assertEquals((await cli("trust", MY, "--lock", lock)).code, 0);
    const r = await cliProcess(read, ["call", MY, "MyFunction", "hello"], { cwd: dir });
    assertEquals(r, {
      code: 0,
      out: ["42"],
      err: ["using lockfile ./plugboard.lock (--no-lock to ignore it)"],
    });
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a usage error is one line and a pointer to the command's help, exit 2", async (t) => {
  for (const name of Object.keys(COMMANDS)) {
    await t.step(name, async () => {
      assertEquals(await cli(name, "--frobnicate"), {
        code: 2,
        out: [],
        err: ['error[USAGE]: Unknown option "--frobnicate"', `hint: see plugboard ${name} --help`],
      });
    });
  }
  await t.step("an unknown command", async () => {
    assertEquals(await cli("frobnicate"), {
      code: 2,
      out: [],
      err: ['error[USAGE]: Unknown command "frobnicate"', "hint: see plugboard --help"],
    });
  });
  await t.step("an option before the command", async () => {
    assertEquals((await cli("--frob", "inspect")).err, [
      'error[USAGE]: Unknown option "--frob": expected a COMMAND first',
      "hint: see plugboard --help",
    ]);
  });
  await t.step("a missing value", async () => {
    assertEquals((await cli("trust", "x.so", "--lock")).err, [
      'error[USAGE]: Option "--lock" needs a value',
      "hint: see plugboard trust --help",
    ]);
  });
  await t.step("as JSON", async () => {
    assertEquals((await cli("call", "--json")).out, [
      '{"error":{"code":"USAGE","message":"call needs FILE and FUNCTION","hint":"see plugboard call --help"}}',
    ]);
  });
});

Deno.test("plugboard help, --help and --version", async (t) => {
  await t.step("help COMMAND is COMMAND --help, for every command", async () => {
    for (const name of Object.keys(COMMANDS)) {
      const help = await cli("help", name);
      assertEquals(help, await cli(name, "--help"));
      assertEquals(help.code, 0);
      assertMatch(help.out[0], new RegExp(`^Usage: plugboard ${name}\\b`));
    }
  });
  await t.step("every command's help states its permissions", async () => {
    for (const name of Object.keys(COMMANDS)) {
      assertMatch((await cli(name, "--help")).out.join("\n"), /^Permissions: --allow-/m, name);
    }
  });
  await t.step("plugboard --help and help", async () => {
    assertMatch((await cli("--help")).out[0], /^plugboard: load native plugins into Deno safely\n/);
    assertEquals(await cli("help"), await cli("--help"));
    const none = await cli();
    assertEquals([none.code, none.out, none.err], [2, [], (await cli("--help")).out]);
  });
  await t.step("--version and -V print deno.json's version", async () => {
    const version = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)).version;
    assertEquals(await cli("--version"), { code: 0, out: [`plugboard ${version}`], err: [] });
    assertEquals(await cli("-V"), await cli("--version"));
  });
  await t.step("help of an unknown command", async () => {
    assertEquals((await cli("help", "frob")).code, 2);
  });
});

Deno.test("Deno's errors become plugboard codes, never CALL_FAILED", async (t) => {
  await t.step("trust --lock in a missing directory: NOT_FOUND naming it", async () => {
    assertEquals(await cli("trust", plugin("greeter"), "--lock", "/nonexistent/dir/x.lock"), {
      code: 1,
      out: [],
      err: [
        'error[NOT_FOUND]: Cannot write lockfile "/nonexistent/dir/x.lock": no such directory: expected an existing directory, found nothing at /nonexistent/dir',
        "hint: create the directory (mkdir -p /nonexistent/dir), or name another --lock",
      ],
    });
  });
  await t.step("trust without write permission: PERMISSION_DENIED naming the flag", async () => {
    const dir = await Deno.makeTempDir({ prefix: "plugboard-cli-" });
    const r = await cliProcess(["--allow-read"], ["trust", plugin("greeter")], { cwd: dir });
    assertEquals(r, {
      code: 1,
      out: [],
      err: [
        `error[PERMISSION_DENIED]: Cannot write lockfile "plugboard.lock": Deno's permissions do not allow writing in ${dir}: expected --allow-write=${dir}, found none`,
        `hint: run again with --allow-write=${dir}`,
      ],
    });
    await Deno.remove(dir, { recursive: true });
  });
  await t.step("the mapping of each kind", () => {
    const cases: [unknown, string, string][] = [
      [new Deno.errors.NotFound("x"), "NOT_FOUND", "No such file or directory: x"],
      [
        new Deno.errors.NotCapable(
          'Requires write access to "/a/b.lock", run again with the --allow-write flag',
        ),
        "PERMISSION_DENIED",
        'Deno\'s permissions do not allow write access to "/a/b.lock": expected --allow-write=/a/b.lock, found none',
      ],
      [
        new Deno.errors.PermissionDenied("EACCES"),
        "PERMISSION_DENIED",
        "The operating system refused: EACCES",
      ],
      [new Deno.errors.IsADirectory("d"), "NOT_A_FILE", "Expected a file, found a directory: d"],
      [new Deno.errors.AlreadyExists("f"), "IO_FAILED", "AlreadyExists: f"],
      [new TypeError("oops"), "INTERNAL", "TypeError: oops"],
    ];
    for (const [e, code, summary] of cases) {
      const err = cliError(e);
      assertEquals([err.code, err.summary], [code, summary]);
    }
    assertEquals(
      cliError(new Deno.errors.NotCapable('Requires run access to "cc", run again')).hint,
      "run again with --allow-run=cc",
    );
  });
});

Deno.test("plugboard verify says where its hash cache is, and --no-cache skips it", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-cli-" });
  const lock = `${dir}/plugboard.lock`;
  const cache = `${dir}/cache.json`;
  assertEquals((await cli("trust", MY, "--lock", lock)).code, 0);
  const ok = [`ok myfunction@0.1.0 ${MY}`, `1 file(s) checked against ${lock}: 1 ok, 0 failed`];
  await t.step("--cache F: one line on stderr, and the file is written", async () => {
    assertEquals(await cli("verify", MY, "--lock", lock, "--cache", cache), {
      code: 0,
      out: ok,
      err: [`hash cache: ${cache} (--no-cache to skip it)`],
    });
    assertEquals(Deno.statSync(cache).isFile, true);
  });
  await t.step("--no-cache: no line, nothing written", async () => {
    await Deno.remove(cache);
    assertEquals(await cli("verify", MY, "--lock", lock, "--no-cache"), {
      code: 0,
      out: ok,
      err: [],
    });
    assertEquals([...Deno.readDirSync(dir)].some((e) => e.name === "cache.json"), false);
  });
  await t.step("without --allow-env there is no cache, and it says so", async () => {
    const r = await cliProcess(["--allow-read"], ["verify", MY, "--lock", lock]);
    assertEquals(r, {
      code: 0,
      out: ok,
      err: [
        "no hash cache: HOME and XDG_CACHE_HOME are unknown (--allow-env=HOME,XDG_CACHE_HOME, or --cache F)",
      ],
    });
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("plugboard inspect shows metadata without running the plugin", async (t) => {
  await t.step("human-readable, with parameter names", async () => {
    const r = await cli("inspect", plugin("counter"));
    assertEquals(r.code, 0);
    assertEquals(r.out[0], `counter 0.1.0  (${plugin("counter")})`);
    const text = r.out.join("\n");
    assert(!text.includes("plugin constructor"), "the constructor did not run");
    assertMatch(text, /^ {2}ABI {10}1\.0 \(this host: 1\.0\)$/m);
    assertMatch(text, /^ {2}hooks {8}init, shutdown$/m);
    assertMatch(text, /^ {6}i32 inc_slow\(i32 ms\)$/m);
    assertMatch(text, /^ {2}compiler {5}gcc \d+/m);
    assertMatch(text, /^ {2}exports {6}.*counter_value.*plugboard_entry/m);
  });
  await t.step("--json", async () => {
    const j = JSON.parse((await cli("inspect", MY, "--json")).out[0]);
    assertEquals(j.name, "myfunction");
    assertEquals(j.abi, "1.0");
    assertEquals(j.interfaces[0].functions, ["fallible i32 MyFunction(cstring)"]);
    assertEquals(j.interfaces[0].declared, ["fallible i32 MyFunction(cstring input)"]);
    assertMatch(j.sha256, /^[0-9a-f]{64}$/);
    assertMatch(j.buildId, /^[0-9a-f]{16}$/);
  });
  await t.step("a non-plugin", async () => {
    const r = await cli("inspect", fixture("plain"));
    assertEquals(r.code, 1);
    assertMatch(r.err[0], /^error\[NOT_A_PLUGIN\]/);
  });
  await t.step("an ABI mismatch as JSON, with expected and found", async () => {
    const r = await cli("inspect", fixture("abi2"), "--json");
    assertEquals(JSON.parse(r.out[0]), {
      error: {
        code: "ABI_MISMATCH",
        message: `Cannot load plugin "${
          fixture("abi2")
        }": ABI major version mismatch: expected ABI 1.x, found ABI 2.0`,
        hint: "rebuild the plugin against plugboard.h 1.x (PLUGBOARD_ABI_MAJOR 1)",
        expected: "ABI 1.x",
        found: "ABI 2.0",
      },
    });
  });
});

Deno.test("the CLI runs as a process with the documented exit codes", async () => {
  const ok = await cliProcess(["-A"], ["call", MY, "MyFunction", "hello"]);
  assertEquals(ok, { code: 0, out: ["42"], err: [] });
  assertEquals((await cliProcess(["-A"], ["call"])).code, 2);
  assertEquals((await cliProcess(["-A"], ["call", fixture("abi2"), "greet", "x"])).code, 1);
});
