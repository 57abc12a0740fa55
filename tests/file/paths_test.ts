/**
 * `src/file/paths.ts` gives what `node:path` (POSIX) gives, for a table of
 * awkward inputs: the module replaces it on plugboard's start-up path.
 */
import assert from "node:assert/strict";
import * as node from "node:path";
import * as paths from "../../src/file/paths.ts";

const INPUTS = [
  "",
  ".",
  "..",
  "/",
  "//",
  "///a",
  "a",
  "a/",
  "a//b",
  "/a/b/c",
  "/a/b/c/",
  "./a/./b",
  "a/../..",
  "../../x",
  "/../a",
  "/a/../../b",
  "a/b/../../..",
  "build/fixtures/../greeter.so",
  "/tmp/x.so.plugboard.json",
  ".hidden",
  "/p/.hidden",
  "a.b.c",
  "a.",
  "/a,b/c d/é.so",
];

Deno.test("paths.ts agrees with node:path on POSIX paths", async (t) => {
  for (const name of ["normalize", "dirname", "basename", "extname", "isAbsolute"] as const) {
    await t.step(name, () => {
      for (const p of INPUTS) {
        // node's normalize keeps a trailing "/" and gives "." for ""; ours drops the "/".
        const want = name === "normalize"
          ? node.normalize(p === "" ? "." : p).replace(/(.)\/$/, "$1")
          : node[name](p);
        assert.equal(paths[name](p), want, `${name}(${JSON.stringify(p)})`);
      }
    });
  }
  await t.step("join", () => {
    for (const a of INPUTS) {
      for (const b of ["", "x", "../y", "/z", "./w/"]) {
        assert.equal(
          paths.join(a, b),
          node.join(a, b).replace(/(.)\/$/, "$1"),
          `join(${JSON.stringify(a)}, ${JSON.stringify(b)})`,
        );
      }
    }
  });
  await t.step("resolve", () => {
    for (const a of INPUTS) {
      for (const b of ["", "x", "../y", "/z"]) {
        assert.equal(paths.resolve(a, b), node.resolve(a, b), `resolve(${a}, ${b})`);
      }
    }
    assert.equal(paths.resolve(), node.resolve());
  });
  await t.step("relative", () => {
    for (const a of INPUTS) {
      for (const b of ["/", "/a/b", "/a/c/d", "x", "../y"]) {
        assert.equal(paths.relative(a, b), node.relative(a, b), `relative(${a}, ${b})`);
      }
    }
  });
});
