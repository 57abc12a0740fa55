import { assert, assertEquals, assertMatch, assertStrictEquals, assertThrows } from "../_assert.ts";
import {
  type BenchEntry,
  type BenchResults,
  CALLS,
  parseBenchJson,
  parseMetrics,
  renderMarkdown,
  renderSvg,
  renderTable,
  summarize,
  type SummaryRow,
} from "../../tasks/bench.ts";
import { ROOT } from "../_paths.ts";

const LOADER = "file:///repo/tests/bench/loader_bench.ts";

/** A benchmark result of `ns` nanoseconds per iteration (avg, p75 and min alike unless given). */
function bench(
  name: string,
  ns: number,
  more: Partial<BenchEntry> & { p75?: number; min?: number } = {},
): BenchEntry {
  return {
    origin: more.origin ?? LOADER,
    group: more.group ?? null,
    name,
    baseline: more.baseline ?? false,
    stats: { n: 100, avg: ns, p75: more.p75 ?? ns, min: more.min ?? ns },
  };
}

/** Per-call benchmarks are reported per iteration of CALLS calls. */
function calls(name: string, nsPerCall: number, group = "call x"): BenchEntry {
  return bench(name, nsPerCall * CALLS, { group });
}

function results(benches: BenchEntry[][], metrics: BenchResults["metrics"] = []): BenchResults {
  return {
    date: "2025-01-01T00:00:00.000Z",
    runs: benches.map((b) => ({ runtime: "Deno/2.9.6", cpu: "test cpu", benches: b })),
    metrics,
  };
}

function row(rows: SummaryRow[], start: string): SummaryRow {
  const r = rows.find((r) => r.operation.startsWith(start));
  assert(r, `no row starting with ${start}`);
  return r;
}

Deno.test("parseBenchJson() reads ok and failed benchmarks and skips stray output", () => {
  const text = [
    "a line a bench file printed",
    "{",
    '  "version": 1, "runtime": "Deno/2.9.6", "cpu": "cpu",',
    '  "benches": [',
    '    { "origin": "file:///a_bench.ts", "group": "g", "name": "fast", "baseline": true,',
    '      "results": [{ "ok": { "n": 5, "min": 1, "max": 9, "avg": 2, "p75": 3, "p99": 9 } }] },',
    '    { "origin": "file:///a_bench.ts", "group": null, "name": "broken", "baseline": false,',
    '      "results": [{ "failed": { "exceptionMessage": "Uncaught Error: boom" } }] }',
    "  ]",
    "}",
  ].join("\n");
  assertEquals(parseBenchJson(text), {
    runtime: "Deno/2.9.6",
    cpu: "cpu",
    benches: [
      {
        origin: "file:///a_bench.ts",
        group: "g",
        name: "fast",
        baseline: true,
        stats: { n: 5, min: 1, avg: 2, p75: 3 },
      },
      {
        origin: "file:///a_bench.ts",
        group: null,
        name: "broken",
        baseline: false,
        error: "Uncaught Error: boom",
      },
    ],
  });
  const err = assertThrows(() => parseBenchJson("error: Type checking failed."), Error);
  assertStrictEquals(err.message, "Cannot read deno bench output: no JSON report found");
});

Deno.test("parseMetrics() picks the plugboard-metric lines", () => {
  const text = [
    "Check file:///x_bench.ts",
    'plugboard-metric {"name":"greet allocation: plugboard","value":32,"unit":"B/call","gc":true}',
    "plugboard-metric {not json",
    '  plugboard-metric {"name":"other","value":1.5,"unit":"B"}',
  ].join("\n");
  assertEquals(parseMetrics(text), [
    { name: "greet allocation: plugboard", value: 32, unit: "B/call" },
    { name: "other", value: 1.5, unit: "B" },
  ]);
});

Deno.test("summarize() gives each target row its ratio, status and shortfall", async (t) => {
  const s = summarize(results([[
    calls("add: plugboard", 3.3),
    calls("add: raw Deno FFI", 3),
    calls("noop: plugboard", 4),
    calls("noop: raw Deno FFI", 3),
    calls("upper 64 B: plugboard, number length", 40),
    calls("upper 64 B: raw Deno FFI, bigint length", 38),
    calls("greet: plugboard", 120),
    calls("greet: raw Deno FFI, encodeInto + getCString", 150),
    bench("open noop (4 functions): plugboard", 110_000),
    bench("sha256 of noop.so (inside open)", 10_000),
    bench("open wide32 (32 functions): plugboard", 212_000),
    bench("sha256 of wide32.so (inside open)", 12_000),
    bench("open: raw Deno.dlopen, 1 symbol", 80_000),
    bench("sha256 10 MiB: plugboard (node:crypto)", 10_485_760 / 1.5),
    bench("sha256 10 MiB: crypto.subtle", 10_485_760 / 1),
    calls("pattern: plugboard, look up per call", 8, "patterns"),
    calls("pattern: plugboard, cached function", 4, "patterns"),
    calls("pattern: plugboard, cached handle", 10, "patterns"),
    calls("pattern: raw Deno FFI, cached function", 3, "patterns"),
    bench("pattern: plugboard, open per call", 500_000, { group: "patterns" }),
  ]], [
    { name: "greet allocation: plugboard", value: 32, unit: "B/call" },
    { name: "greet allocation: raw Deno FFI, encodeInto + getCString", value: 80, unit: "B/call" },
    { name: "greet allocation: raw Deno FFI, returned pointer only", value: 32, unit: "B/call" },
  ]));
  const cases: [string, Partial<SummaryRow>][] = [
    ["i32 add", { ratio: 1.1, status: "met", detail: undefined }],
    ["no-op", { ratio: 4 / 3, status: "missed", detail: "16% over the target" }],
    ["upper 64 B, number length", { ratio: 40 / 38, status: "met" }],
    ["greet (string in", { status: "missed", detail: "20% over the target" }],
    ["greet, heap allocated", {
      status: "missed",
      detail:
        "all 32.0 B is Deno's pointer object for the returned char* (a raw call that only returns the pointer allocates 32.0 B); plugboard adds none",
    }],
    ["reopen noop", { ratio: 110 / 80, status: "met" }],
    ["reopen wide32 (32 functions, parse cache warm, same bytes: not hashed again) vs raw", {
      ratio: 212 / 80,
      status: "missed",
      detail: "77% over the target",
    }],
    ["reopen wide32 vs reopen noop", { ratio: 212 / 110, status: "missed" }],
    ["SHA-256 of 10 MiB, MB/s (raw", { ratio: 1 / 1.5, status: "met" }],
    ["call pattern (a): look up per call", {
      status: "met",
      detail: "62,500x faster than open per call (500 µs)",
    }],
    ["call pattern (b): cached function", {
      status: "met",
      detail: "125,000x faster than open per call (500 µs)",
    }],
    ["call pattern (c): cached handle", {
      status: "met",
      detail: "50,000x faster than open per call (500 µs)",
    }],
    ["isolated call", { status: "not measured" }],
  ];
  for (const [start, expected] of cases) {
    await t.step(start, () => {
      const r = row(s.rows, start);
      for (const [k, v] of Object.entries(expected)) {
        const got = r[k as keyof SummaryRow];
        if (typeof v === "number") {
          assert(Math.abs((got as number) - v) < 1e-9, `${k}: expected ${v}, found ${got}`);
        } else assertEquals(got, v, k);
      }
    });
  }
  await t.step("per-call figures are divided by CALLS", () => {
    assertEquals(row(s.rows, "i32 add").plugboard, { value: 3.3, unit: "ns" });
    assertEquals(row(s.rows, "reopen noop").plugboard, { value: 110, unit: "µs" });
  });
});

Deno.test("summarize() compares hashing with OpenSSL run in the same process", async (t) => {
  const ns = (mbps: number) => ((10 * 1024 * 1024) / (mbps * 1e6)) * 1e9;
  const cases: [string, BenchEntry[], Partial<SummaryRow>][] = [
    ["at 90% of OpenSSL", [
      bench("sha256 10 MiB: OpenSSL SHA256() via FFI", ns(2000)),
      bench("sha256 10 MiB: plugboard (node:crypto)", ns(1800)),
    ], { status: "met", target: "≥ 80% of OpenSSL's MB/s", detail: "90% of OpenSSL" }],
    ["at half of OpenSSL", [
      bench("sha256 10 MiB: OpenSSL SHA256() via FFI", ns(2000)),
      bench("sha256 10 MiB: plugboard (node:crypto)", ns(1000)),
    ], { status: "missed", detail: "50% of OpenSSL" }],
    ["without libcrypto, against crypto.subtle", [
      bench("sha256 10 MiB: plugboard (node:crypto)", ns(1500)),
      bench("sha256 10 MiB: crypto.subtle", ns(1000)),
    ], { status: "met", target: "≥ crypto.subtle's MB/s", detail: "150% of crypto.subtle" }],
  ];
  for (const [name, benches, expected] of cases) {
    await t.step(name, () => {
      const r = row(summarize(results([benches])).rows, "SHA-256 of 10 MiB, MB/s (raw");
      for (const [k, v] of Object.entries(expected)) assertEquals(r[k as keyof SummaryRow], v, k);
    });
  }
});

Deno.test("summarize() takes each benchmark's median over the runs", () => {
  const run = (pb: number) => [calls("add: plugboard", pb), calls("add: raw Deno FFI", 3)];
  const s = summarize(results([run(3), run(9), run(3.3)]));
  assertEquals(row(s.rows, "i32 add").plugboard, { value: 3.3, unit: "ns" });
  assertStrictEquals(s.runs, 3);
  const p75 = summarize(
    results([[
      bench("add: plugboard", 5 * CALLS, { group: "call add", p75: 6 * CALLS }),
      calls("add: raw Deno FFI", 3),
    ]]),
    { stat: "p75" },
  );
  assertEquals(row(p75.rows, "i32 add").plugboard, { value: 6, unit: "ns" });
});

Deno.test("summarize() marks what was not run as not measured", () => {
  const s = summarize(results([]));
  assertEquals(s.rows.filter((r) => r.status !== "not measured"), []);
  assertEquals(s.details, []);
  assertEquals(s.more, []);
  assertEquals(s.failures, []);
});

Deno.test("summarize() reads the isolated round trip and lists other files' benchmarks", async (t) => {
  const iso = "file:///repo/tests/bench/isolate_bench.ts";
  const reg = "file:///repo/tests/bench/registry_bench.ts";
  const s = summarize(results([[
    bench("isolated call: small, round trip", 15_000, { origin: iso, p75: 18_000 }),
    bench("cold: every file read", 2_000_000, { origin: reg, group: "scan", baseline: true }),
    bench("warm: hash cache", 500_000, { origin: reg, group: "scan" }),
    { origin: reg, group: null, name: "broken", baseline: false, error: "Uncaught Error: boom" },
  ]]));
  await t.step("without its own median, the round trip row uses p75 as a bound", () => {
    const r = row(s.rows, "isolated call");
    assertEquals(r.plugboard, { value: 18, unit: "µs" });
    assertStrictEquals(r.status, "missed");
    assert(
      r.detail!.startsWith("figure is deno bench's p75; 80% over the target; shared memory: "),
      r.detail,
    );
  });
  await t.step("other files are listed with their group's ratio", () => {
    assertEquals(s.more.map((b) => [b.file, b.name, b.ratio]), [
      ["isolate_bench.ts", "isolated call: small, round trip", undefined],
      ["registry_bench.ts", "cold: every file read", 1],
      ["registry_bench.ts", "warm: hash cache", 0.25],
    ]);
  });
  await t.step("failures are listed with their message", () => {
    assertEquals(s.failures, [{
      file: "registry_bench.ts",
      group: "",
      name: "broken",
      error: "Uncaught Error: boom",
    }]);
  });
});

Deno.test("summarize() reads the isolated medians of each transport, side by side", () => {
  const iso = "file:///repo/tests/bench/isolate_bench.ts";
  const m = (name: string, value: number) => ({ name, value, unit: "µs" });
  const s = summarize(results([[
    bench("isolated round trip: add (i32)", 15_000, { origin: iso }),
  ]], [
    m("raw Deno pipe echo, median", 90),
    m("isolated round trip, median: add (i32)", 4),
    m("isolated round trip over pipes, median: add (i32)", 85),
    m("isolated sync call, median: add (i32)", 3),
    m("isolated round trip, median: upper (1 KiB)", 5),
    m("isolated round trip over pipes, median: upper (1 KiB)", 88),
    m("isolated sync call, median: upper (1 KiB)", 4.5),
  ]));
  const got = s.rows.filter((r) => r.operation.startsWith("isolated")).map((r) => [
    r.operation,
    r.plugboard?.value,
    r.raw?.value,
    r.status,
  ]);
  assertEquals(got, [
    [
      "isolated call, median round trip, add (i32), shared memory (raw: Deno pipe echo to a child)",
      4,
      90,
      "met",
    ],
    [
      "isolated call over pipes (transport: pipe), median round trip, add (i32) (raw: Deno pipe echo)",
      85,
      90,
      "info",
    ],
    ['isolated sync call (calls: "sync"), median, add (i32) (raw: the async call)', 3, 4, "info"],
    [
      "isolated call, median round trip, upper on 1 KiB, shared memory (raw: over pipes)",
      5,
      88,
      "info",
    ],
  ]);
  assertEquals(row(s.rows, "isolated call, median round trip, upper").detail, "sync: 4.50 µs");
});

Deno.test("every benchmark the summary reads exists in loader_bench.ts", async () => {
  const task = await Deno.readTextFile(`${ROOT}/tasks/bench.ts`);
  const benches = await Deno.readTextFile(`${ROOT}/tests/bench/loader_bench.ts`);
  const declared = new Set([...benches.matchAll(/name: "([^"]+)"/g)].map((m) => m[1]));
  const read = [
    ...[...task.matchAll(/(?:perCall|time|perCallStat)\(\s*"([^"]+)"/g)].map((m) => m[1]),
    ...[...task.matchAll(/stage\("([^"]+)"\)/g)].map((m) => `stage: ${m[1]}`),
  ];
  assert(read.length > 30, `found only ${read.length} names`);
  assertEquals(read.filter((n) => !declared.has(n)), []);
  assertMatch(
    benches,
    new RegExp(`export const CALLS = ${CALLS.toLocaleString("en-US").replaceAll(",", "_")};`),
  );
});

Deno.test("the renderers show every row and escape what they print", () => {
  const s = summarize(results([[
    calls("add: plugboard", 3.3),
    calls("add: raw Deno FFI", 3),
    bench("a <b> & c | d", 1000, { origin: "file:///x/host_bench.ts" }),
  ]]));
  const md = renderMarkdown(s);
  assertMatch(md, /^# Performance\n/);
  assertMatch(md, /\| i32 add, per call \| 3\.30 ns \| 3\.00 ns \| 1\.10x \| ≤ 1\.15x \| met \|/);
  assert(md.includes("| host_bench.ts |  | a <b> & c \\| d | 1.00 µs | - |"), "host_bench row");
  for (const r of s.rows) assert(md.includes(r.operation.replaceAll("|", "\\|")), r.operation);
  const svg = renderSvg(s);
  assertMatch(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assertMatch(svg, /i32 add, per call/);
  assertMatch(svg, /<\/svg>\n$/);
  assert(!svg.includes("<b>"));
  const table = renderTable(s);
  assertStrictEquals(table.split("\n").length, s.rows.length + 2);
});

Deno.test("summarize() makes the start-up rows from the whole-process metrics", async (t) => {
  const m = (name: string, value: number, unit = "ms") => ({ name, value, unit });
  const s = summarize(results([[
    bench("pattern: plugboard, open per call", 150_000, { group: "open per call" }),
    bench("pattern: openLibrary, open per call", 110_000, { group: "open per call" }),
    bench("pattern: raw Deno FFI, dlopen per call", 100_000, { group: "open per call" }),
  ]], [
    m("startup whole process: empty script", 15),
    m("startup whole process: import mod.ts", 24),
    m("startup whole process: import mod.ts, TypeScript sources", 35),
    m("startup whole process: raw Deno.dlopen script", 20),
    m("startup whole process: plugboard script", 40),
    m("startup whole process: raw Deno.dlopen script, CLI flags", 20),
    m("startup whole process: plugboard call", 29),
    m("startup first open and call, in process: plugboard script", 6),
    m("startup first open and call, in process: raw Deno.dlopen script", 1),
    m("startup peak RSS: empty script", 28, "MiB"),
    m("startup peak RSS: import mod.ts", 36, "MiB"),
  ]));
  const cases: [string, Partial<SummaryRow>][] = [
    ["deno run script", {
      ratio: 2,
      status: "missed",
      detail: "54% over the target",
      target: "≤ 1.3x",
    }],
    ["importing the core entry point (dist/mod.js", {
      plugboard: { value: 9, unit: "ms" },
      raw: { value: 15, unit: "ms" },
      status: "met",
      target: "≤ +10 ms",
    }],
    ["importing mod.ts from the TypeScript sources", {
      plugboard: { value: 20, unit: "ms" },
      raw: { value: 9, unit: "ms" },
      status: "info",
    }],
    ["importing the core entry point: peak RSS", {
      plugboard: { value: 8, unit: "MiB" },
      status: "missed",
      detail: "60% over the target",
    }],
    ["plugboard call", { ratio: 1.45, status: "met", target: "≤ 1.5x" }],
    ["first open + first call", { ratio: 6, status: "missed", target: "≤ 2x" }],
    ["call pattern (d)", { ratio: 1.5, status: "met", target: "≤ 1.5x" }],
    ["open, call, close per call, warm: openLibrary", { ratio: 1.1, status: "met" }],
  ];
  for (const [start, expected] of cases) {
    await t.step(start, () => {
      const r = row(s.rows, start);
      for (const [k, v] of Object.entries(expected)) {
        const got = r[k as keyof SummaryRow];
        if (typeof v === "number") {
          assert(Math.abs((got as number) - v) < 1e-9, `${k}: expected ${v}, found ${got}`);
        } else assertEquals(got, v, k);
      }
    });
  }
  await t.step("without /usr/bin/time the RSS row says why", () => {
    const missing = summarize(results([], [
      { name: "startup peak RSS: empty script", value: 0, unit: "missing", note: "no time" },
    ]));
    const rss = row(missing.rows, "importing the core entry point: peak RSS");
    assertEquals(rss.detail, "no time");
    assertStrictEquals(rss.status, "not measured");
  });
});

Deno.test("summarize() sets plugboard's strings against Bun, and lists every peer", async (t) => {
  const ns = (name: string, value: number) => ({ name, value, unit: "ns" });
  const peers = [
    ns("peer plugboard: add", 3),
    ns("peer plugboard: greet", 90),
    ns("peer plugboard: greet64", 110),
    ns("peer bun: add", 2),
    ns("peer bun: greet", 120),
    ns("peer bun: greet64", 100),
    { name: "peer koffi: add", value: 0, unit: "missing", note: "npm:koffi did not run: boom" },
    { name: "peer koffi: greet", value: 0, unit: "missing", note: "npm:koffi did not run: boom" },
    { name: "peer koffi: greet64", value: 0, unit: "missing", note: "npm:koffi did not run: boom" },
    { name: "greet 64 names allocation: plugboard", value: 32, unit: "B/call" },
    { name: "greet 64 names allocation: the result strings alone", value: 32, unit: "B/call" },
  ];
  const s = summarize(results([], peers));
  await t.step("a different result every call, against Bun", () => {
    const r = row(s.rows, "greet, a different result every call, same loop, separate");
    assertEquals(r.plugboard, { value: 110, unit: "ns" });
    assertEquals(r.raw, { value: 100, unit: "ns" });
    assertStrictEquals(r.status, "missed");
    assertStrictEquals(r.detail, "10% over Bun");
  });
  await t.step("no allocation besides the string", () => {
    const r = row(s.rows, "greet, a different result every call, heap allocated");
    assertStrictEquals(r.status, "met");
    assertStrictEquals(r.detail, "the returned string is all");
  });
  await t.step("a missing peer is a row with its reason", () => {
    const r = row(s.rows, "i32 add, per call, same loop: plugboard vs koffi");
    assertStrictEquals(r.status, "not measured");
    assertStrictEquals(r.detail, "missing: npm:koffi did not run: boom");
    assertStrictEquals(
      row(s.rows, "greet, a different result every call, same loop: plugboard vs koffi").status,
      "not measured",
    );
  });
  await t.step("a peer that ran is a context row", () => {
    const r = row(s.rows, "i32 add, per call, same loop: plugboard vs Bun");
    assertEquals([r.plugboard?.value, r.raw?.value, r.ratio, r.status], [3, 2, 1.5, "info"]);
  });
  await t.step("without Bun, the target is issue 15's 127 ns", () => {
    const noBun = summarize(results([], [
      ns("peer plugboard: greet64", 110),
      { name: "peer bun: greet64", value: 0, unit: "missing", note: "npm install bun failed" },
    ]));
    const r = row(noBun.rows, "greet, a different result every call, same loop (raw: Bun's 127");
    assertStrictEquals(r.status, "met");
    assertStrictEquals(r.detail, "Bun not measured: npm install bun failed");
  });
});

Deno.test("parseMetrics() keeps a metric's note", () => {
  assertEquals(
    parseMetrics('plugboard-metric {"name":"peer bun: add","value":0,"unit":"missing","note":"x"}'),
    [{ name: "peer bun: add", value: 0, unit: "missing", note: "x" }],
  );
});

Deno.test("progressEstimate() says how long the rest of deno task bench takes", async () => {
  const { progressEstimate } = await import("../../tasks/bench.ts");
  const minutesAgo = (m: number) => performance.now() - m * 60_000;
  const cases: [number, number, number, string][] = [
    [0, 0, 10, ""],
    [2, 2, 4, ", about 2 min left"],
    [1, 3, 5, ", less than a minute left"],
    [10, 1, 5, ", about 40 min left"],
  ];
  for (const [ago, done, total, text] of cases) {
    const got = progressEstimate(minutesAgo(ago), done, total);
    if (got !== text) {
      throw new Error(`${ago} min, ${done}/${total}: expected "${text}", found "${got}"`);
    }
  }
});
