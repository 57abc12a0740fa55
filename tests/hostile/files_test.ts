/**
 * Issue 11, items 3 and 4: a file swapped for a FIFO, a device, a directory
 * or a huge sparse file, as the plugin, the lockfile, the hash cache or the
 * quarantine list, must be refused with a code (or, for the hash cache,
 * ignored), never hang, never be read into memory without a cap, and never
 * be replaced. The swaps between the checks and the load are made
 * deterministic with the `verify` hook, which runs exactly there. Every
 * attempt runs in a child process with a deadline.
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "../_assert.ts";
import type { Case } from "../../tasks/hostile/_kit.ts";
import { describe, inChild, workshop } from "./_helpers.ts";

Deno.test("a plugin path swapped between the checks and the load: the checked bytes load, or a code; no hang", async (t) => {
  const shop = await workshop();
  const greetings = {
    [await sha256(shop.greeter)]: "Hello",
    [await sha256(shop.twins[0])]: "Hello",
  };
  const table: [string, string, string, Record<string, unknown>, readonly string[]][] = [
    ["a FIFO (memfd)", shop.greeter, "fifo", {}, ["ok"]],
    ["/dev/zero (memfd)", shop.greeter, "zero", {}, ["ok"]],
    ["other code with the same notes (memfd)", shop.twins[0], shop.twins[1], {}, ["ok"]],
    ["a FIFO, loading by path", shop.greeter, "fifo", { load: "path" }, [
      "LOAD_FAILED",
      "NOT_A_FILE",
      "METADATA_MISMATCH",
    ]],
    ["/dev/zero, loading by path", shop.greeter, "zero", { load: "path" }, ["LOAD_FAILED"]],
    ["other code with the same notes, loading by path", shop.twins[0], shop.twins[1], {
      load: "path",
    }, ["LOAD_FAILED", "METADATA_MISMATCH"]],
  ];
  const cases: Case[] = table.map(([label, plugin, to, options, expect]) => ({
    label,
    op: "verify-swap",
    args: { plugin, to, options, greetings },
    expect,
    timeoutMs: 5_000,
  }));
  const attempts = await inChild(cases);
  for (const [i, [label, , , , expect]] of table.entries()) {
    await t.step(label, () => {
      const a = attempts[i];
      assert(expect.includes(a.outcome), describe(a));
      if (a.outcome === "ok") assertEquals(a.detail, "Hello, x", describe(a));
    });
  }
});

Deno.test("a plugin path swapped in a rename loop during 100 opens: every open loads the checked bytes or fails with a code", async () => {
  const shop = await workshop();
  const greetings = { [await sha256(shop.greeter)]: "Hello" };
  const [a] = await inChild([{
    label: "100 opens while the path is a FIFO, /dev/zero and a directory in turn",
    op: "race",
    args: {
      swapper: shop.swapper,
      greeter: shop.greeter,
      entries: [
        `link:${shop.greeter}`,
        "fifo:",
        `link:${shop.greeter}`,
        "symlink:/dev/zero",
        "dir:",
      ],
      options: {},
      iterations: 100,
      greetings,
      allowed: ["ok", "NOT_A_FILE", "NOT_FOUND"],
    },
    expect: ["ok"],
    timeoutMs: 30_000,
  }]);
  assertEquals(a.verdict, "correct", describe(a));
});

Deno.test("special files as the lockfile, the hash cache and the quarantine list", async (t) => {
  const shop = await workshop();
  const table: [string, Record<string, unknown>, string, RegExp][] = [
    [
      "verify --lock FIFO",
      { role: "lockfile", kind: "fifo", action: "verify" },
      "NOT_A_FILE",
      /^exit 1: error\[NOT_A_FILE\]: Cannot read lockfile ".*special": not a regular file: expected a regular lockfile file, found a FIFO \(named pipe\)/,
    ],
    [
      "trust --lock FIFO",
      { role: "lockfile", kind: "fifo", action: "trust" },
      "NOT_A_FILE",
      /found a FIFO \(named pipe\)/,
    ],
    [
      "openPlugin({ registry: FIFO })",
      { role: "lockfile", kind: "fifo", action: "open" },
      "NOT_A_FILE",
      /^Cannot read lockfile ".*special": not a regular file/,
    ],
    [
      "verify --lock /dev/zero",
      { role: "lockfile", kind: "device", action: "verify" },
      "NOT_A_FILE",
      /found a character device/,
    ],
    [
      "trust --lock /dev/zero",
      { role: "lockfile", kind: "device", action: "trust" },
      "NOT_A_FILE",
      /found a character device/,
    ],
    [
      "openPlugin({ registry: /dev/zero })",
      { role: "lockfile", kind: "device", action: "open" },
      "NOT_A_FILE",
      /found a character device/,
    ],
    [
      "verify --lock of 100 MiB (sparse)",
      { role: "lockfile", kind: "sparse", action: "verify", sparseBytes: 100 << 20 },
      "NOT_A_FILE",
      /file too large to be a lockfile: expected at most 67108864 bytes, found 104857600 bytes/,
    ],
    [
      "verify --cache FIFO: ignored, and the FIFO stays",
      { role: "cache", kind: "fifo", action: "verify" },
      "ok",
      /warning: ignoring hash cache/,
    ],
    [
      "verify --cache /dev/zero: ignored, and the device stays",
      { role: "cache", kind: "device", action: "verify" },
      "ok",
      /warning: ignoring hash cache/,
    ],
    [
      "probe --quarantine FIFO",
      { role: "quarantine", kind: "fifo", action: "probe" },
      "QUARANTINE_INVALID",
      /found a FIFO \(named pipe\)/,
    ],
    [
      "quarantine list --quarantine /dev/zero",
      { role: "quarantine", kind: "device", action: "list" },
      "QUARANTINE_INVALID",
      /found a character device/,
    ],
    [
      "a plugin that is a FIFO",
      { role: "plugin", kind: "fifo", action: "open" },
      "NOT_A_FILE",
      /^Cannot load plugin ".*special": not a regular file: expected a plugin file .*, found a FIFO \(named pipe\)/,
    ],
    [
      "a plugin of 2 GiB (sparse)",
      { role: "plugin", kind: "sparse", action: "inspect", sparseBytes: 2 ** 31 },
      "NOT_A_FILE",
      /file too large to be a plugin: expected at most 1073741824 bytes, found 2147483648 bytes/,
    ],
  ];
  const attempts = await inChild(
    table.map(([label, args, code]) => ({
      label,
      op: "special",
      args: { plugin: shop.greeter, ...args },
      expect: [code],
      timeoutMs: 10_000,
    })),
  );
  for (const [i, [label, , code, message]] of table.entries()) {
    await t.step(label, () => {
      const a = attempts[i];
      assertEquals([a.verdict, a.outcome], ["correct", code], describe(a));
      assertMatch(a.detail ?? "", message);
    });
  }
});

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
