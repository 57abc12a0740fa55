/**
 * openLibrary(path, symbols, { isolation: "process" }): an ordinary shared
 * library (no plugboard metadata) runs in the isolation child with the
 * caller's signatures. Calls give the in-process results; a crash or a hang
 * in the library (its constructor included) rejects with PLUGIN_CRASHED or
 * PLUGIN_TIMEOUT and leaves the host running; declarations that cannot
 * cross a process boundary are refused before any child starts; the child
 * maps exactly the bytes the host checked; the sandbox confines it.
 */
import assert from "node:assert/strict";
import type { AsyncFunctionOf } from "../../src/abi/signature.ts";
import { CrashError } from "../../src/errors/crash_error.ts";
import { CallError, LoadError, PluginError } from "../../src/errors/plugin_error.ts";
import type { Library } from "../../src/loader/open_library.ts";
import { openLibrary } from "../../src/open/open_library.ts";
import { fixture } from "../_paths.ts";
import { collectLog, waitGone } from "./_helpers.ts";

const LIB = fixture("plain_iso");
const CTOR = fixture("plain_crash_ctor");
const SIGS = {
  add: "i32 add(i32 a, i32 b)",
  upper: "usize upper(buffer data, usize len)",
  read_file: "i32 read_file(cstring path)",
  next: "i32 next()",
  crash: "i32 crash(i32 x)",
  hang: "i32 hang()",
} as const;
const quiet = { log: () => {} };
const EACCES = -13;

/** True when A and B are the same type (checked by `deno check`). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;

Deno.test("openLibrary() with isolation: process types every function as Promise-returning", async () => {
  const lib = await openLibrary(LIB, SIGS, { isolation: "process", ...quiet });
  try {
    const checks: [
      Same<typeof lib, Library<typeof SIGS, "async">>,
      Same<typeof lib.symbols.add, AsyncFunctionOf<"i32 add(i32 a, i32 b)">>,
      Same<typeof lib.symbols.add, (a: number, b: number) => Promise<number>>,
      Same<typeof lib.symbols.upper, (data: Uint8Array, len: number | bigint) => Promise<bigint>>,
    ] = [true, true, true, true];
    const sync = openLibrary(fixture("plain"), { add: "i32 add(i32 a, i32 b)" });
    const inProcess: Same<typeof sync.symbols.add, (a: number, b: number) => number> = true;
    assert.deepEqual([...checks, inProcess], [true, true, true, true, true]);
    assert.equal(sync.isolation, "none");
    assert.equal(sync.processes, undefined);
    await sync.close();
    assert.equal(lib.isolation, "process");
    assert.equal(lib.calls, "async");
  } finally {
    await lib.close();
  }
});

Deno.test("openLibrary() with isolation: process gives the in-process results", async (t) => {
  await using lib = await openLibrary(LIB, SIGS, { isolation: "process", ...quiet });
  const f = lib.symbols;
  await t.step("numbers", async () => {
    assert.equal(await f.add(2, 3), 5);
    assert.equal(await f.add(-2147483648, -1), 2147483647);
  });
  await t.step("a buffer is copied back into the caller's array", async () => {
    const data = new TextEncoder().encode("hello, World");
    assert.equal(await f.upper(data, 5n), 5n);
    assert.equal(new TextDecoder().decode(data), "HELLO, World");
  });
  await t.step("a string argument", async () => {
    assert.equal(await f.read_file(LIB), 0);
    assert.equal(await f.read_file("/nonexistent/plugboard"), -2);
  });
  await t.step("the library's state lives in the child", async () => {
    assert.deepEqual([await f.next(), await f.next(), await f.next()], [1, 2, 3]);
  });
  await t.step("arguments are checked on the host, with the in-process message", async () => {
    const e = await f.add(1.5, 2).catch((e) => e);
    assert.ok(e instanceof CallError);
    assert.equal(e.code, "INVALID_ARGUMENT");
    assert.equal(
      e.summary,
      `Call to "add" in plugin "${LIB}" failed: argument 1 does not fit i32: expected an integer from -2147483648 to 2147483647, found number 1.5`,
    );
    using local = openLibrary(LIB, { add: SIGS.add });
    const here = (() => {
      try {
        local.symbols.add(1.5, 2);
      } catch (e) {
        return e;
      }
    })();
    assert.ok(here instanceof CallError);
    assert.equal(here.summary, e.summary);
  });
  await t.step("the child maps the checked bytes from a sealed memfd", () => {
    const [pid] = lib.processes!.pids;
    const maps = Deno.readTextFileSync(`/proc/${pid}/maps`).split("\n");
    assert.ok(maps.some((l) => l.endsWith("/memfd:plugboard:plain_iso.so (deleted)")));
    assert.ok(!maps.some((l) => l.endsWith(LIB)), "not mapped by its path");
  });
});

Deno.test("openLibrary() with isolation: process turns a segfault in a call into PLUGIN_CRASHED", async (t) => {
  await t.step("without restarts, the library stays crashed", async () => {
    const log = collectLog();
    await using lib = await openLibrary(LIB, SIGS, { isolation: "process", log: log.sink });
    const [pid] = lib.processes!.pids;
    const e = await lib.symbols.crash(7).catch((e) => e);
    assert.ok(e instanceof CrashError);
    assert.equal(e.code, "PLUGIN_CRASHED");
    assert.equal(e.signal, "SIGSEGV");
    assert.equal(e.signalNumber, 11);
    assert.equal(e.function, "crash");
    assert.equal(
      e.summary,
      `Plugin "${LIB}" crashed: expected a reply to crash(), found the child (pid ${pid}) killed by SIGSEGV (signal 11)`,
    );
    assert.deepEqual(e.stderrTail, ["plain_iso: crashing with 7"]);
    assert.equal(lib.processes!.status, "crashed");
    const after = await lib.symbols.add(1, 2).catch((e) => e);
    assert.ok(after instanceof CrashError);
    assert.equal(after.code, "PLUGIN_CRASHED");
    assert.equal(
      after.summary,
      `Plugin "${LIB}" crashed: expected a running child to call add(), found none: the child (pid ${pid}) killed by SIGSEGV (signal 11) earlier during crash(), and restarts are off`,
    );
    assert.deepEqual(log.lines("crash"), [
      `plain_iso.so crashed during crash(): the child (pid ${pid}) killed by SIGSEGV (signal 11)`,
    ]);
  });
  await t.step("with restart, a fresh child serves the next call", async () => {
    await using lib = await openLibrary(LIB, SIGS, {
      isolation: "process",
      restart: { backoffMs: 10 },
      ...quiet,
    });
    assert.equal(await lib.symbols.next(), 1);
    assert.equal((await lib.symbols.crash(1).catch((e) => e)).code, "PLUGIN_CRASHED");
    assert.equal(await lib.symbols.add(40, 2), 42);
    assert.equal(await lib.symbols.next(), 1, "a new child has fresh globals");
    assert.equal(lib.processes!.restarts, 1);
    assert.equal(lib.processes!.lastCrash?.exit.signal, "SIGSEGV");
  });
});

Deno.test("openLibrary() with isolation: process kills a call that hangs with PLUGIN_TIMEOUT", async () => {
  await using lib = await openLibrary(LIB, SIGS, {
    isolation: "process",
    timeoutMs: 300,
    ...quiet,
  });
  const [pid] = lib.processes!.pids;
  const e = await lib.symbols.hang().catch((e) => e);
  assert.ok(e instanceof CallError);
  assert.equal(e.code, "PLUGIN_TIMEOUT");
  assert.equal(e.function, "hang");
  assert.equal(
    e.summary,
    `Call to "hang" in plugin "${LIB}" failed: expected a reply within 300 ms, found none: the child (pid ${pid}) was killed`,
  );
  assert.ok(await waitGone(pid));
  assert.equal(lib.processes!.lastCrash?.reason, "timeout");
});

Deno.test("openLibrary() with isolation: process survives a library whose constructor segfaults", async () => {
  const e = await openLibrary(CTOR, { add: "i32 add(i32 a, i32 b)" }, {
    isolation: "process",
    ...quiet,
  }).catch((e) => e);
  assert.ok(e instanceof CrashError);
  assert.equal(e.code, "PLUGIN_CRASHED");
  assert.equal(e.signal, "SIGSEGV");
  assert.match(
    e.summary,
    new RegExp(
      `^Plugin "${CTOR}" crashed: expected the plugin to load, found the child \\(pid \\d+\\) killed by SIGSEGV \\(signal 11\\)$`,
    ),
  );
  assert.deepEqual(e.stderrTail, ["plain_crash_ctor: constructor running"]);
});

Deno.test("openLibrary() with isolation: process refuses what cannot be isolated before any child starts", async (t) => {
  const cases: [string, string, Record<string, string>, Record<string, unknown>, string, string][] =
    [
      [
        "a pointer result",
        LIB,
        { self: "pointer self()" },
        {},
        "USAGE",
        `Cannot call "self" of library "${LIB}" in a child process: expected values that can be copied, found a pointer (its result of "pointer self()"), which cannot cross a process boundary`,
      ],
      [
        "a pointer parameter",
        LIB,
        { add: "i32 add(i32 a, pointer b)" },
        {},
        "USAGE",
        `Cannot call "add" of library "${LIB}" in a child process: expected values that can be copied, found a pointer (parameter 2 of "i32 add(i32, pointer)"), which cannot cross a process boundary`,
      ],
      [
        "a fallible declaration",
        LIB,
        { add: "fallible i32 add(i32 a, i32 b)" },
        {},
        "USAGE",
        `Cannot declare "add" of library "${LIB}" fallible: expected a plain signature, found "fallible", which needs plugboard's error channel (plugboard_take_error) that only plugins export`,
      ],
      [
        "a soname",
        "libz.so.1",
        { zlibVersion: "cstring zlibVersion()" },
        {},
        "USAGE",
        `Cannot isolate library "libz.so.1": expected a file path, found a soname that only the dynamic linker can resolve`,
      ],
      [
        "an option out of range",
        LIB,
        { add: "i32 add(i32 a, i32 b)" },
        { timeoutMs: -1 },
        "USAGE",
        "Invalid option timeoutMs: expected a positive number, found -1",
      ],
      [
        "a function the library does not export",
        LIB,
        { sub: "i32 sub(i32 a, i32 b)" },
        {},
        "SYMBOL_MISSING",
        `Cannot load plugin "${LIB}": symbol "sub" is not an exported function: expected an exported function "sub" (default visibility), found no symbol of that name, not even a local one`,
      ],
    ];
  for (const [name, path, decls, options, code, summary] of cases) {
    await t.step(name, async () => {
      const log = collectLog();
      const e = await openLibrary(path, decls, {
        isolation: "process",
        log: log.sink,
        ...options,
      }).catch((e) => e);
      assert.ok(e instanceof PluginError, String(e));
      assert.equal(e.constructor, code === "USAGE" ? PluginError : LoadError);
      assert.equal(e.code, code);
      assert.equal(e.summary, summary);
      assert.deepEqual(log.records, [], "no child was started");
    });
  }
});

Deno.test("openLibrary() with isolation: process pins the bytes the host checked", async () => {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-iso-lib-test-" });
  try {
    const path = `${dir}/lib.so`;
    await Deno.copyFile(LIB, path);
    await using lib = await openLibrary(path, SIGS, {
      isolation: "process",
      restart: { backoffMs: 10, maxRestarts: 1 },
      ...quiet,
    });
    // Rebuilt in place (new bytes, same symbols): the crashed child's
    // replacement reads the file again and refuses the new bytes.
    const bytes = await Deno.readFile(LIB);
    await Deno.writeFile(`${path}.tmp`, new Uint8Array([...bytes, 0]));
    await Deno.rename(`${path}.tmp`, path);
    assert.equal((await lib.symbols.crash(0).catch((e) => e)).code, "PLUGIN_CRASHED");
    const e = await lib.symbols.add(1, 2).catch((e) => e);
    assert.ok(e instanceof CrashError, String(e));
    const last = lib.processes!.lastCrash!;
    assert.ok(last.error instanceof LoadError);
    assert.equal(last.error.code, "CHECKSUM_MISMATCH");
    assert.match(
      last.error.summary,
      /: the file changed between the host's checks and the child's load: expected SHA-256 [0-9a-f]{64}, found SHA-256 [0-9a-f]{64}$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openLibrary() with isolation: process closes its children; calls then reject with CLOSED", async () => {
  const lib = await openLibrary(LIB, SIGS, { isolation: "process", pool: 2, ...quiet });
  const pids = lib.processes!.pids;
  assert.equal(pids.length, 2);
  assert.equal(await lib.symbols.add(1, 1), 2);
  assert.deepEqual(await lib.close(), { unloaded: true });
  assert.equal(lib.closed, true);
  for (const pid of pids) assert.ok(await waitGone(pid), `child ${pid} is gone`);
  const e = await lib.symbols.add(1, 1).catch((e) => e);
  assert.ok(e instanceof CallError);
  assert.equal(e.code, "CLOSED");
  assert.equal(e.summary, `Call to "add" in plugin "${LIB}" failed: the plugin handle is closed`);
});

Deno.test("openLibrary() with isolation: process and a sandbox confines the library", async () => {
  const run = async (sandbox: boolean) => {
    await using lib = await openLibrary(LIB, SIGS, { isolation: "process", sandbox, ...quiet });
    return [
      await lib.symbols.add(2, 3),
      await lib.symbols.read_file(LIB),
      await lib.symbols.read_file("/etc/passwd"),
    ];
  };
  assert.deepEqual(await run(false), [5, 0, 0]);
  assert.deepEqual(await run(true), [5, 0, EACCES]);
});
