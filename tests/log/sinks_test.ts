import assert from "node:assert/strict";
import { formatMs, jsonLinesSink, prettySink } from "../../src/log/sinks.ts";
import type { LogRecord } from "../../src/log/log_record.ts";

const RECORD: LogRecord = {
  time: "2025-01-02T03:04:05.678Z",
  level: "warn",
  event: "skip",
  message: 'Cannot load plugin "d/notes.so": not an ELF file',
  path: "d/notes.so",
  code: "NOT_ELF",
};

Deno.test("jsonLinesSink() writes one JSON object per record", async (t) => {
  const cases: { name: string; record: LogRecord; expected: string }[] = [
    {
      name: "a skip record",
      record: RECORD,
      expected:
        '{"time":"2025-01-02T03:04:05.678Z","level":"warn","event":"skip","message":"Cannot load plugin \\"d/notes.so\\": not an ELF file","path":"d/notes.so","code":"NOT_ELF"}',
    },
    {
      name: "bigints as numbers when safe, else as strings",
      record: { ...RECORD, small: 42n, big: 1n << 70n },
      expected:
        '{"time":"2025-01-02T03:04:05.678Z","level":"warn","event":"skip","message":"Cannot load plugin \\"d/notes.so\\": not an ELF file","path":"d/notes.so","code":"NOT_ELF","small":42,"big":"1180591620717411303424"}',
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const lines: string[] = [];
      jsonLinesSink((l) => lines.push(l))(c.record);
      assert.deepEqual(lines, [c.expected]);
    });
  }
});

function plainLine(): string {
  const lines: string[] = [];
  prettySink((l) => lines.push(l), { time: false })(RECORD);
  return lines[0];
}

Deno.test("prettySink() writes one aligned line per record", async (t) => {
  const load: LogRecord = {
    time: RECORD.time,
    level: "info",
    event: "load",
    message: "loaded calc-add 0.1.0",
    plugin: "calc-add",
    path: "build/calc_add.so",
    sha256: "79ab356e2a8c",
    buildId: "3198308c2d417183",
    durationMs: 0.4123,
  };
  const cases: { name: string; record: LogRecord; expected: string }[] = [
    {
      name: "a skip: the code after the message, the path already in it",
      record: RECORD,
      expected: 'warn  skip    Cannot load plugin "d/notes.so": not an ELF file [NOT_ELF]',
    },
    {
      name: "a load: path, hash, build id and duration as details",
      record: load,
      expected:
        "info  load    loaded calc-add 0.1.0  path=build/calc_add.so sha256=79ab356e2a8c build=3198308c2d417183 0.41 ms",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const lines: string[] = [];
      prettySink((l) => lines.push(l), { time: false })(c.record);
      assert.deepEqual(lines, [c.expected]);
    });
  }
  await t.step("the local time first, by default", () => {
    const lines: string[] = [];
    prettySink((l) => lines.push(l))(RECORD);
    assert.match(lines[0], /^\d\d:\d\d:\d\d\.678 /);
    assert.ok(lines[0].endsWith(plainLine()), lines[0]);
  });
  await t.step("records below minLevel are dropped", () => {
    const lines: string[] = [];
    const sink = prettySink((l) => lines.push(l), { time: false, minLevel: "warn" });
    for (const level of ["debug", "info", "warn", "error"] as const) sink({ ...RECORD, level });
    assert.deepEqual(lines.map((l) => l.slice(0, 5)), ["warn ", "error"]);
  });
  await t.step("colours only when asked", () => {
    const plain: string[] = [];
    const colored: string[] = [];
    prettySink((l) => plain.push(l), { time: false })(RECORD);
    prettySink((l) => colored.push(l), { time: false, color: true })(RECORD);
    assert.equal(plain[0].includes("\x1b["), false);
    assert.equal(colored[0].includes("\x1b["), true);
    assert.equal(colored[0].replace(new RegExp("\x1b\\[[0-9;]*m", "g"), ""), plain[0]);
  });
});

Deno.test("formatMs() keeps two significant decimals for short durations", () => {
  assert.deepEqual([0.4123, 3.14159, 12.345, 999.9, 1250].map(formatMs), [
    "0.41 ms",
    "3.14 ms",
    "12.3 ms",
    "999.9 ms",
    "1.25 s",
  ]);
});
