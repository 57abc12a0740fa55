/**
 * The sample plugins and fixtures do what their sources say, checked with
 * plain Deno.dlopen (the loader is not involved). Plugins that crash, hang or
 * print run in a child process.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildAll } from "../../tasks/build.ts";
import { noteFields, plugboardNotes } from "./_readelf.ts";

let built: Promise<string> | undefined;

/** Build everything once into a temporary directory; returns it. */
function outDir(): Promise<string> {
  built ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "plugboard-plugins-test-" });
    globalThis.addEventListener(
      "unload",
      () => Deno.removeSync(dir, { recursive: true }),
    );
    await buildAll({ outDir: dir, quiet: true });
    return dir;
  })();
  return built;
}

async function plugin(name: string): Promise<string> {
  return join(await outDir(), `${name}.so`);
}

/** Deno.dlopen, closed at the end of the enclosing block. */
function open<const S extends Deno.ForeignLibraryInterface>(
  path: string,
  symbols: S,
): Deno.DynamicLibrary<S> & Disposable {
  const lib = Deno.dlopen(path, symbols);
  return Object.assign(lib, { [Symbol.dispose]: () => lib.close() });
}

function cstring(s: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(s + "\0");
}

function readCString(p: Deno.PointerValue): string | null {
  return p === null ? null : Deno.UnsafePointerView.getCString(p);
}

const TAKE_ERROR = {
  plugboard_take_error: { parameters: [], result: "pointer" },
} as const;

/** The pending error, read the way a host reads it. */
function takeError(
  lib: Deno.DynamicLibrary<typeof TAKE_ERROR>,
): { code: number; message: string } | null {
  const p = lib.symbols.plugboard_take_error();
  if (p === null) return null;
  const view = new Deno.UnsafePointerView(p);
  const length = view.getUint32(4);
  const message = view.getCString(8);
  assert.equal(new TextEncoder().encode(message).length, length);
  return { code: view.getInt32(0), message };
}

interface Descriptor {
  size: number;
  abiMajor: number;
  abiMinor: number;
  init: (() => number) | undefined;
  shutdown: (() => void) | undefined;
}

function descriptor(entry: () => Deno.PointerValue): Descriptor {
  const p = entry();
  assert.ok(p !== null);
  const view = new Deno.UnsafePointerView(p);
  const initPtr = view.getPointer(8);
  const shutdownPtr = view.getPointer(16);
  const I32 = { parameters: [], result: "i32" } as const;
  const VOID = { parameters: [], result: "void" } as const;
  const init = initPtr &&
    new Deno.UnsafeFnPointer(initPtr as Deno.PointerObject<typeof I32>, I32);
  const shutdown = shutdownPtr &&
    new Deno.UnsafeFnPointer(shutdownPtr as Deno.PointerObject<typeof VOID>, VOID);
  return {
    size: view.getUint32(0),
    abiMajor: view.getUint16(4),
    abiMinor: view.getUint16(6),
    init: init ? () => init.call() : undefined,
    shutdown: shutdown ? () => shutdown.call() : undefined,
  };
}

/** Run `code` in a child Deno with the plugin path as `PATH_`; cwd is the build directory. */
function child(code: string, path: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "--no-config",
      `const PATH_ = ${JSON.stringify(path)};\n${code}`,
    ],
    cwd: join(path, ".."),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

Deno.test("greeter.so: greet() says hello", async () => {
  using lib = open(await plugin("greeter"), {
    greet: { parameters: ["buffer"], result: "pointer" },
  });
  assert.equal(readCString(lib.symbols.greet(cstring("Ada"))), "Hello, Ada");
  assert.equal(
    readCString(lib.symbols.greet(cstring("wörld"))),
    "Hello, wörld",
  );
});

Deno.test("myfunction.so: MyFunction() returns 42, a length, or fails", async () => {
  using lib = open(await plugin("myfunction"), {
    ...TAKE_ERROR,
    MyFunction: { parameters: ["buffer"], result: "i32" },
  });
  assert.equal(lib.symbols.MyFunction(cstring("hello")), 42);
  assert.equal(takeError(lib), null);
  assert.equal(lib.symbols.MyFunction(cstring("abc")), 3);
  lib.symbols.MyFunction(cstring(""));
  assert.deepEqual(takeError(lib), { code: 1, message: "input is empty" });
  assert.equal(takeError(lib), null, "taking the error clears it");
});

Deno.test("calc_*.so: name() and apply()", async (t) => {
  for (
    const [name, symbol, result] of [
      ["calc_add", "+", 9],
      ["calc_sub", "-", 3],
      ["calc_mul", "*", 18],
      ["calc_div", "/", 2],
    ] as const
  ) {
    await t.step(name, async () => {
      using lib = open(await plugin(name), {
        ...TAKE_ERROR,
        name: { parameters: [], result: "pointer" },
        apply: { parameters: ["f64", "f64"], result: "f64" },
      });
      assert.equal(readCString(lib.symbols.name()), symbol);
      assert.equal(lib.symbols.apply(6, 3), result);
      assert.equal(takeError(lib), null);
      lib.symbols.apply(1, 0);
      assert.deepEqual(
        takeError(lib),
        name === "calc_div" ? { code: 1, message: "division by zero" } : null,
      );
    });
  }
});

Deno.test("text_*.so: process() transforms bytes into the output buffer", async (t) => {
  const cases: [string, string, string][] = [
    ["text_upper", "héllo, wörld", "HéLLO, WöRLD"],
    ["text_reverse", "añb😀c", "c😀bña"],
    ["text_reverse", "", ""],
    ["text_base64", "", ""],
    ["text_base64", "f", "Zg=="],
    ["text_base64", "fo", "Zm8="],
    ["text_base64", "foo", "Zm9v"],
    ["text_base64", "foob", "Zm9vYg=="],
    ["text_base64", "foobar", "Zm9vYmFy"],
    ["text_base64", "\xff\xfe", btoa("\xff\xfe")],
  ];
  const symbols = {
    ...TAKE_ERROR,
    name: { parameters: [], result: "pointer" },
    process: {
      parameters: ["buffer", "usize", "buffer", "usize"],
      result: "usize",
    },
  } as const;
  for (const [name, input, expected] of cases) {
    await t.step(`${name} ${JSON.stringify(input)}`, async () => {
      using lib = open(await plugin(name), symbols);
      assert.equal(readCString(lib.symbols.name()), name.slice(5));
      const bytes = name === "text_base64" && input.startsWith("\xff")
        ? new Uint8Array([...input].map((c) => c.charCodeAt(0)))
        : new TextEncoder().encode(input);
      const out = new Uint8Array(64);
      const n = lib.symbols.process(
        bytes,
        BigInt(bytes.length),
        out,
        BigInt(out.length),
      );
      assert.equal(takeError(lib), null);
      assert.equal(
        new TextDecoder().decode(out.subarray(0, Number(n))),
        expected,
      );
    });
  }

  await t.step(
    "text_reverse keeps an invalid byte as a unit of its own",
    async () => {
      using lib = open(await plugin("text_reverse"), symbols);
      const input = new Uint8Array([0x61, 0xc3, 0x62, 0xe2, 0x82, 0xac]); // a, lone C3, b, €
      const out = new Uint8Array(6);
      assert.equal(lib.symbols.process(input, 6n, out, 6n), 6n);
      assert.deepEqual([...out], [0xe2, 0x82, 0xac, 0x62, 0xc3, 0x61]);
    },
  );

  await t.step(
    "a too small output buffer fails and says what is needed",
    async (t) => {
      for (
        const [name, need] of [["text_upper", 6], ["text_reverse", 6], [
          "text_base64",
          8,
        ]]
      ) {
        await t.step(`${name}`, async () => {
          using lib = open(await plugin(name as string), symbols);
          const input = new TextEncoder().encode("abcdef");
          lib.symbols.process(input, 6n, new Uint8Array(5), 5n);
          assert.deepEqual(takeError(lib), {
            code: 1,
            message: `output buffer too small: need ${need} bytes`,
          });
        });
      }
    },
  );
});

Deno.test("noop.so and wide32.so: the benchmark functions", async () => {
  {
    using lib = open(await plugin("noop"), {
      noop: { parameters: [], result: "void" },
      add: { parameters: ["i32", "i32"], result: "i32" },
      upper: { parameters: ["buffer", "usize"], result: "usize" },
      greet: { parameters: ["buffer"], result: "pointer" },
    });
    assert.equal(lib.symbols.noop(), undefined);
    assert.equal(lib.symbols.add(2, 3), 5);
    const data = new TextEncoder().encode("abc-xyz é");
    assert.equal(
      lib.symbols.upper(data, BigInt(data.length)),
      BigInt(data.length),
    );
    assert.equal(new TextDecoder().decode(data), "ABC-XYZ é");
    assert.equal(
      readCString(lib.symbols.greet(cstring("bench"))),
      "Hello, bench",
    );
  }
  const names = Array.from(
    { length: 32 },
    (_, i) => `f${String(i).padStart(2, "0")}`,
  );
  const path = await plugin("wide32");
  const lib = Deno.dlopen(
    path,
    Object.fromEntries(
      names.map((n) => [n, { parameters: ["i32"], result: "i32" } as const]),
    ),
  );
  try {
    names.forEach((n, i) => assert.equal(lib.symbols[n](10), 10 + i, n));
  } finally {
    lib.close();
  }
  const functions = (await plugboardNotes(path)).filter((n) => n.startsWith("interface="));
  assert.equal(functions.length, 32);
});

Deno.test("fixtures: descriptors, hooks and interfaces", async (t) => {
  const fixture = async (name: string) => join(await outDir(), "fixtures", `${name}.so`);
  const ENTRY = {
    plugboard_entry: { parameters: [], result: "pointer" },
  } as const;

  await t.step(
    "the ABI version in the descriptor and in the note agree",
    async () => {
      for (
        const [path, major, minor] of [
          [await plugin("greeter"), 1, 0],
          [await fixture("abi2"), 2, 0],
          [await fixture("abi_minor9"), 1, 9],
        ] as const
      ) {
        using lib = open(path, ENTRY);
        const d = descriptor(lib.symbols.plugboard_entry);
        assert.deepEqual(
          [d.size, d.abiMajor, d.abiMinor],
          [32, major, minor],
          path,
        );
        const note = (await plugboardNotes(path)).find((n) => n.startsWith("abi="));
        assert.equal(noteFields(note ?? "").abi, `${major}.${minor}`);
      }
    },
  );

  await t.step("init_fail.so: init returns 7 with a message", async () => {
    using lib = open(await fixture("init_fail"), { ...ENTRY, ...TAKE_ERROR });
    const d = descriptor(lib.symbols.plugboard_entry);
    assert.equal(d.init!(), 7);
    assert.deepEqual(takeError(lib), {
      code: 7,
      message: "database not reachable",
    });
  });

  await t.step(
    "a plugin without hooks has NULL hook pointers, as it has no hook notes",
    async () => {
      using lib = open(await plugin("greeter"), { ...ENTRY, ...TAKE_ERROR });
      const d = descriptor(lib.symbols.plugboard_entry);
      assert.equal(d.init, undefined);
      assert.equal(d.shutdown, undefined);
      assert.equal(takeError(lib), null);
      assert.deepEqual(
        (await plugboardNotes(await plugin("greeter"))).filter((n) => n.startsWith("hook=")),
        [],
      );
    },
  );

  await t.step("interfaces and signatures in the notes", async () => {
    const cases: [string, string, string[]][] = [
      ["greeter_v2", "version=2.0", ["pb_cstring greet(pb_cstring name)"]],
      ["greeter_sigchange", "version=1.0", ["pb_i32 greet(pb_i32 name)"]],
      ["greeter_v1_1", "version=1.1", [
        "pb_cstring greet(pb_cstring name)",
        "pb_cstring greet_formal(pb_cstring name)",
      ]],
      ["no_interface", "id=other", ["pb_i32 ping(pb_i32 x)"]],
    ];
    for (const [name, iface, signatures] of cases) {
      const notes = await plugboardNotes(await fixture(name));
      assert.ok(
        notes.some((n) => n.startsWith("symbol=") && n.includes(`\n${iface}\n`)),
        name,
      );
      assert.deepEqual(
        notes.filter((n) => n.startsWith("interface=")).map((n) => noteFields(n).signature)
          .sort(),
        signatures,
      );
    }
  });

  await t.step("greeter_v1_1.so: greet_formal()", async () => {
    using lib = open(await fixture("greeter_v1_1"), {
      greet_formal: { parameters: ["buffer"], result: "pointer" },
    });
    assert.equal(
      readCString(lib.symbols.greet_formal(cstring("Ada"))),
      "Good day, Ada",
    );
  });

  await t.step("plain.so: no notes and no entry point", async () => {
    const path = await fixture("plain");
    assert.deepEqual(await plugboardNotes(path), []);
    using lib = open(path, {
      add: { parameters: ["i32", "i32"], result: "i32" },
    });
    assert.equal(lib.symbols.add(2, 3), 5);
    assert.throws(
      () => Deno.dlopen(path, ENTRY),
      /undefined symbol: plugboard_entry/,
    );
  });

  await t.step(
    "symbols.so: visible() goes through static_fn and hidden_fn",
    async () => {
      const path = await fixture("symbols");
      using lib = open(path, {
        visible: { parameters: ["i32"], result: "i32" },
      });
      assert.equal(lib.symbols.visible(20), 41);
      for (const hidden of ["hidden_fn", "static_fn", "removed_fn"]) {
        assert.throws(
          () => Deno.dlopen(path, { [hidden]: { parameters: [], result: "void" } }),
          new RegExp(`undefined symbol: ${hidden}`),
        );
      }
    },
  );
});

Deno.test("counter.so: constructor, hooks, atomic state and nonblocking calls", async () => {
  const proc = child(
    `
const lib = Deno.dlopen(PATH_, {
  plugboard_entry: { parameters: [], result: "pointer" },
  inc: { parameters: [], result: "i32" },
  get: { parameters: [], result: "i32" },
  reset: { parameters: [], result: "void" },
  inc_slow: { parameters: ["i32"], result: "i32", nonblocking: true },
  counter_value: { type: "pointer" },
});
const d = new Deno.UnsafePointerView(lib.symbols.plugboard_entry());
const init = new Deno.UnsafeFnPointer(d.getPointer(8), { parameters: [], result: "i32" });
const shutdown = new Deno.UnsafeFnPointer(d.getPointer(16), { parameters: [], result: "void" });
const r = { init: init.call() };
r.incs = [lib.symbols.inc(), lib.symbols.inc(), lib.symbols.inc()];
r.get = lib.symbols.get();
r.value = new Deno.UnsafePointerView(lib.symbols.counter_value).getInt32();
lib.symbols.reset();
r.afterReset = lib.symbols.get();
r.slow = (await Promise.all([1, 2, 3, 4].map(() => lib.symbols.inc_slow(50)))).sort();
r.afterSlow = lib.symbols.get();
console.log(JSON.stringify(r));
shutdown.call();
lib.close();
`,
    await plugin("counter"),
  );
  const out = await proc.output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const lines = stdout.trimEnd().split("\n");
  assert.deepEqual(lines.filter((l) => l.startsWith("plugin ")), [
    "plugin constructor: counter",
    "plugin init: counter",
    "plugin shutdown: counter",
  ]);
  assert.deepEqual(JSON.parse(lines[2]), {
    init: 0,
    incs: [1, 2, 3],
    get: 3,
    value: 3,
    afterReset: 0,
    slow: [1, 2, 3, 4],
    afterSlow: 4,
  });
});

Deno.test("faulty plugins: ok() works, crash() ends the process as declared", async (t) => {
  const call = `
const lib = Deno.dlopen(PATH_, {
  ok: { parameters: ["i32"], result: "i32" },
  crash: { parameters: ["i32"], result: "i32" },
});
console.log("ok", lib.symbols.ok(1));
lib.symbols.crash(1);
console.log("survived");
`;
  const cases = [
    ["crash_call", "SIGSEGV", null],
    ["abort_call", "SIGABRT", null],
    ["exit_call", null, 3],
    ["stderr_crash", "SIGSEGV", null],
  ] as const;
  for (const [name, signal, code] of cases) {
    await t.step(name, async () => {
      const out = await child(call, await plugin(name)).output();
      assert.equal(out.signal, signal);
      if (code !== null) assert.equal(out.code, code);
      assert.equal(new TextDecoder().decode(out.stdout), "ok 2\n");
      if (name === "stderr_crash") {
        assert.match(
          new TextDecoder().decode(out.stderr),
          /about to crash: step 1\nabout to crash: step 2\n/,
        );
      }
    });
  }

  await t.step("crash_ctor: loading alone kills the process", async () => {
    const path = await plugin("crash_ctor");
    const out = await child(
      `console.log("before"); Deno.dlopen(PATH_, {}); console.log("after");`,
      path,
    )
      .output();
    assert.equal(out.signal, "SIGSEGV");
    assert.equal(new TextDecoder().decode(out.stdout), "before\n");
    // Its metadata is intact: only running it is fatal.
    assert.ok(
      (await plugboardNotes(path)).some((n) => n.includes("signature=pb_i32 ok(")),
    );
  });

  await t.step(
    "hang_call: sleep_ms() returns, crash() never does",
    async () => {
      const proc = child(
        `
const lib = Deno.dlopen(PATH_, {
  sleep_ms: { parameters: ["i32"], result: "i32" },
  crash: { parameters: ["i32"], result: "i32" },
});
console.log("slept", lib.symbols.sleep_ms(20));
lib.symbols.crash(1);
console.log("returned");
`,
        await plugin("hang_call"),
      );
      const status = await Promise.race([
        proc.status,
        new Promise<"running">((resolve) => setTimeout(() => resolve("running"), 500)),
      ]);
      assert.equal(status, "running");
      proc.kill("SIGKILL");
      const out = await proc.output();
      assert.equal(out.signal, "SIGKILL");
      assert.equal(new TextDecoder().decode(out.stdout), "slept 20\n");
    },
  );
});
