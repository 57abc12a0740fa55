/**
 * Issue 11, item 2: `plugin.variable()` takes its address from the file's
 * symbol table. Only a defined data object, inside a segment with the access
 * needed and with room for the type, may be read or written; absolute
 * symbols (`.set evil, 0x100000000000`; `evil2 = 0x8`, in the ELF header),
 * untyped, size-0, code, IFUNC and thread-local symbols, writes to read-only
 * data and a symbol moved across the last page must be refused with a code.
 * The attempts run in a child process: today several are a SIGSEGV.
 *
 * @module
 */

import { assert, assertEquals } from "../_assert.ts";
import { VARIABLE_REFUSALS } from "../../tasks/hostile/_classes.ts";
import type { Case } from "../../tasks/hostile/_kit.ts";
import { describe, inChild, workshop } from "./_helpers.ts";

Deno.test("plugin.variable() reads and writes only data objects inside their segments", async (t) => {
  const shop = await workshop();
  const v = shop.vars;
  const table: [string, Record<string, unknown>, string | null][] = [
    // Accepted: the value read (or written, then read).
    ["counter (.data) reads 7", { name: "counter", type: "i32", op: "get" }, "read 7"],
    ["counter (.data) takes 9", {
      name: "counter",
      type: "i32",
      op: "set",
      value: 9,
    }, "set, now 9"],
    ["zeroed (.bss) takes 5n", { name: "zeroed", type: "i64", op: "set", value: 5 }, "set, now 5n"],
    ["ro_value (.rodata) reads 42", { name: "ro_value", type: "i32", op: "get" }, "read 42"],
    // Refused.
    ["ro_value (.rodata) cannot be written", { name: "ro_value", type: "i32", op: "set" }, null],
    ["relro_ptr (RELRO) cannot be written", { name: "relro_ptr", type: "u64", op: "set" }, null],
    ["evil = 0x100000000000 (absolute)", { name: "evil", type: "i64", op: "get" }, null],
    ["evil2 = 0x8 (absolute: the ELF header)", { name: "evil2", type: "i32", op: "get" }, null],
    ["evil2 = 0x8 cannot be written", { name: "evil2", type: "i32", op: "set" }, null],
    ["evil_notype (absolute, untyped)", { name: "evil_notype", type: "i32", op: "get" }, null],
    ["zero_size (size 0)", { name: "zero_size", type: "i32", op: "get" }, null],
    ["touch (a function)", { name: "touch", type: "i32", op: "get" }, null],
    ["picked (an IFUNC)", { name: "picked", type: "i64", op: "get" }, null],
    ["tls_value (thread-local: its value is no address)", {
      name: "tls_value",
      type: "i32",
      op: "get",
    }, null],
    ["counter read as i64 (4 bytes)", { name: "counter", type: "i64", op: "get" }, null],
    ["tail moved across the end of the last page", {
      name: "tail",
      type: "i64",
      op: "get",
      craft: { kind: "symbol", base: v, name: "tail", patch: { value: 0x4ffc, size: 8 } },
    }, null],
    ["tail moved into .text, written", {
      name: "tail",
      type: "i64",
      op: "set",
      craft: { kind: "symbol", base: v, name: "tail", patch: { value: 0x1300, size: 8 } },
    }, null],
  ];
  const cases: Case[] = table.map(([label, args, read]) => ({
    label,
    op: "variable",
    args: { path: v, ...args },
    expect: read === null ? VARIABLE_REFUSALS : ["ok"],
  }));
  const attempts = await inChild(cases);
  for (const [i, [label, , read]] of table.entries()) {
    await t.step(label, () => {
      const a = attempts[i];
      if (read !== null) {
        assertEquals([a.outcome, a.detail], ["ok", read], describe(a));
        return;
      }
      assert(VARIABLE_REFUSALS.includes(a.outcome), describe(a));
      assert(a.errorClass === "LoadError" || a.errorClass === "PluginError", describe(a));
      assert(
        /^(Cannot load plugin|Cannot read variable) "/.test(a.detail ?? ""),
        `message: ${a.detail}`,
      );
    });
  }
});
