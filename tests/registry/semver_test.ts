import { assertEquals, assertStrictEquals } from "../_assert.ts";
import {
  compareSemVer,
  formatSemVer,
  parseRange,
  parseSemVer,
  satisfies,
} from "../../src/abi/semver.ts";

Deno.test("parseSemVer() reads full versions and refuses everything else", async (t) => {
  const cases: [string, string | undefined][] = [
    ["1.2.3", "1.2.3"],
    ["v1.2.3", "1.2.3"],
    ["0.0.0", "0.0.0"],
    ["1.2.3-rc.1", "1.2.3-rc.1"],
    ["1.2.3-alpha.beta.0+build.5", "1.2.3-alpha.beta.0"],
    ["1.2.3+sha.0abc", "1.2.3"],
    ["10.20.30", "10.20.30"],
    ["1.2", undefined],
    ["1", undefined],
    ["01.2.3", undefined],
    ["1.02.3", undefined],
    ["1.2.3-01", undefined],
    ["1.2.3-", undefined],
    ["1.2.3+", undefined],
    ["1.2.x", undefined],
    ["a.b.c", undefined],
    ["", undefined],
    ["99999999999999999999.0.0", undefined],
  ];
  for (const [text, expected] of cases) {
    await t.step(JSON.stringify(text), () => {
      const v = parseSemVer(text);
      assertEquals(v === undefined ? undefined : formatSemVer(v), expected);
    });
  }
  assertEquals(parseSemVer("1.2.3-rc.1+b.2"), {
    major: 1,
    minor: 2,
    patch: 3,
    prerelease: ["rc", 1],
    build: ["b", "2"],
  });
});

Deno.test("compareSemVer() orders by semver 2.0.0 precedence", () => {
  // The example chain of the semver 2.0.0 specification, section 11.
  const chain = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.1.0",
    "1.10.0",
    "2.0.0",
  ].map((s) => parseSemVer(s)!);
  for (let i = 0; i < chain.length; i++) {
    for (let j = 0; j < chain.length; j++) {
      assertStrictEquals(
        Math.sign(compareSemVer(chain[i], chain[j])),
        Math.sign(i - j),
        `${formatSemVer(chain[i])} vs ${formatSemVer(chain[j])}`,
      );
    }
  }
  assertStrictEquals(compareSemVer(parseSemVer("1.0.0+a")!, parseSemVer("1.0.0+b")!), 0);
});

Deno.test("satisfies() matches ^, ~, comparators, exact, x-ranges and ||", async (t) => {
  // [range, matching versions, non-matching versions]
  const cases: [string, string[], string[]][] = [
    ["^0.2", ["0.2.0", "0.2.9"], ["0.1.9", "0.3.0", "1.0.0", "0.3.0-rc.1"]],
    ["^0.2.3", ["0.2.3", "0.2.10"], ["0.2.2", "0.3.0"]],
    ["^0.0.3", ["0.0.3"], ["0.0.4", "0.0.2", "0.1.0"]],
    ["^0.0", ["0.0.0", "0.0.9"], ["0.1.0"]],
    ["^0.x", ["0.0.1", "0.9.9"], ["1.0.0"]],
    ["^1.2.3", ["1.2.3", "1.9.0"], ["1.2.2", "2.0.0", "2.0.0-alpha", "1.9.0-beta"]],
    ["^1.2.3-beta.2", ["1.2.3-beta.2", "1.2.3-beta.10", "1.2.3", "1.5.0"], [
      "1.2.3-beta.1",
      "1.2.4-beta.3",
      "2.0.0",
    ]],
    ["^1.x", ["1.0.0", "1.99.0"], ["2.0.0", "0.9.0"]],
    ["~1.2.3", ["1.2.3", "1.2.99"], ["1.3.0", "1.2.2"]],
    ["~1.2", ["1.2.0", "1.2.5"], ["1.3.0", "1.1.9"]],
    ["~1", ["1.0.0", "1.9.9"], ["2.0.0"]],
    ["~0.2.1", ["0.2.1", "0.2.7"], ["0.3.0", "0.2.0"]],
    ["~>1.2", ["1.2.4"], ["1.3.0"]],
    [">=1.2.0", ["1.2.0", "5.0.0"], ["1.1.9", "2.0.0-rc.1"]],
    [">1.2.3", ["1.2.4"], ["1.2.3"]],
    [">1.2", ["1.3.0"], ["1.2.9"]],
    [">1", ["2.0.0"], ["1.9.9"]],
    ["<1.2.3", ["1.2.2", "0.0.1"], ["1.2.3", "1.2.3-rc.1"]],
    ["<1.2", ["1.1.9"], ["1.2.0", "1.2.0-rc.1"]],
    ["<=1.2", ["1.2.9"], ["1.3.0"]],
    ["<=1.2.3", ["1.2.3"], ["1.2.4"]],
    [">=0.1.0 <0.3", ["0.1.0", "0.2.9"], ["0.3.0", "0.0.9"]],
    [">= 0.1.0 < 0.3", ["0.2.0"], ["0.3.0"]],
    ["1.2.3", ["1.2.3", "1.2.3+build"], ["1.2.4", "1.2.3-rc.1"]],
    ["=1.2.3", ["1.2.3"], ["1.2.4"]],
    ["v1.2.3", ["1.2.3"], ["1.2.4"]],
    ["1.2.3-rc.1", ["1.2.3-rc.1"], ["1.2.3"]],
    ["1.x", ["1.0.0", "1.5.5"], ["2.0.0", "0.9.9"]],
    ["1.2.*", ["1.2.0", "1.2.9"], ["1.3.0"]],
    ["1", ["1.0.0", "1.9.9"], ["2.0.0"]],
    ["1.2", ["1.2.0", "1.2.9"], ["1.3.0"]],
    ["*", ["0.0.0", "9.9.9"], ["1.0.0-rc.1"]],
    ["", ["0.1.0"], []],
    ["x", ["3.0.0"], []],
    ["^0.1 || ^0.2", ["0.1.0", "0.2.5"], ["0.3.0"]],
    ["<0.1.0 || >=1.0.0", ["0.0.5", "1.0.0"], ["0.5.0"]],
    [">*", [], ["0.0.0", "1.0.0"]],
  ];
  for (const [range, yes, no] of cases) {
    await t.step(JSON.stringify(range), () => {
      const r = parseRange(range);
      assertEquals(r === undefined, false, `range ${range} parses`);
      for (const v of yes) assertEquals(satisfies(parseSemVer(v)!, r!), true, `${v} in ${range}`);
      for (const v of no) {
        assertEquals(satisfies(parseSemVer(v)!, r!), false, `${v} not in ${range}`);
      }
    });
  }
});

Deno.test("parseRange() refuses malformed ranges", async (t) => {
  for (
    const range of [
      "^",
      "~x.1",
      "1.x.2",
      "1.2.x-rc.1",
      "1.2.3.4",
      ">=a",
      "^01.2",
      "1.2.3 -",
      "^1.2.3-",
      "latest",
    ]
  ) {
    await t.step(JSON.stringify(range), () => {
      assertStrictEquals(parseRange(range), undefined);
    });
  }
});
