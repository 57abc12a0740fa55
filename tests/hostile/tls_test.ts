/**
 * Issue 11, item 7: a plugin that registers a thread-local destructor (a C++
 * `thread_local std::string`, or in C `__cxa_thread_atexit_impl` as Rust's
 * `thread_local!` does) stays mapped after dlclose until its thread exits.
 * Opening, using and closing it, then opening another plugin, ten times in
 * one process: every other plugin must open and work, `close()` must not say
 * `unloaded: true` while the library is still mapped, and must say why it
 * stayed. Runs in a child process (today the process is ruined: every later
 * open fails with METADATA_MISMATCH).
 *
 * @module
 */

import { assertEquals, assertMatch } from "../_assert.ts";
import { describe, inChild, workshop } from "./_helpers.ts";

Deno.test("plugins with thread-local destructors: close, reopen and open others, ten times in one process", async (t) => {
  const shop = await workshop();
  const table: [string, string, Record<string, unknown>][] = [
    ["C++ thread_local std::string", shop.tlsCpp, {
      fn: "remember",
      decl: { remember: "cstring remember(cstring s)" },
      arg: "x",
    }],
    ["C __cxa_thread_atexit_impl", shop.tlsC, {
      fn: "keep",
      decl: { keep: "i32 keep(i32 n)" },
      arg: 10,
    }],
    ["C __cxa_thread_atexit_impl from a nonblocking call (a pool thread)", shop.tlsC, {
      fn: "keep",
      decl: { keep: "nonblocking i32 keep(i32 n)" },
      arg: 10,
    }],
  ];
  const attempts = await inChild(
    table.map(([label, path, call]) => ({
      label,
      op: "tls",
      args: { path, other: shop.greeter, cycles: 10, ...call },
      expect: ["ok"],
    })),
    { batch: 1 },
  );
  for (const [i, [label]] of table.entries()) {
    await t.step(label, () => {
      const a = attempts[i];
      assertEquals(a.outcome, "ok", describe(a));
      // close() said why the library stayed: a thread-local destructor.
      assertMatch(a.detail ?? "", /^kept: .*thread/);
    });
  }
});
