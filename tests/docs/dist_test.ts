/**
 * `dist/` is the JavaScript the published package runs (deno.json
 * `exports`, tasks/dist.ts): it must be what the sources generate now, every
 * relative import in it must name a `.js` file that exists, and every entry
 * point must point type checking at its TypeScript source.
 *
 * @module
 */

import { assertEquals } from "../_assert.ts";
import { ROOT } from "../_paths.ts";
import { DIST, distFiles, inCycles, specifiersOf } from "../../tasks/dist.ts";
import { entrySources } from "../../tasks/_entry_points.ts";

function committed(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const e of Deno.readDirSync(`${ROOT}/${rel}`)) {
      if (e.isDirectory) walk(`${rel}/${e.name}`);
      else out.set(`${rel}/${e.name}`, Deno.readTextFileSync(`${ROOT}/${rel}/${e.name}`));
    }
  };
  walk(DIST);
  return out;
}

const fresh = distFiles();
const onDisk = committed();

Deno.test("dist/ is what the sources generate (run `deno task dist` after changing src/)", () => {
  assertEquals([...onDisk.keys()].sort(), [...fresh.keys()].sort());
  const stale = [...fresh].filter(([path, text]) => onDisk.get(path) !== text).map(([p]) => p);
  assertEquals(stale, []);
});

Deno.test("every relative specifier in dist/ names a .js file that exists", () => {
  const wrong: string[] = [];
  let count = 0;
  for (const [path, text] of fresh) {
    for (const spec of specifiersOf(path, text)) {
      if (!/^\.\.?\//.test(spec)) continue;
      count++;
      const target = new URL(spec, `file:///${path}`).pathname.slice(1);
      if (!target.endsWith(".js") || !fresh.has(target)) wrong.push(`${path}: ${spec}`);
    }
  }
  assertEquals(count > 300, true, `only ${count} relative specifiers found`);
  assertEquals(wrong, []);
});

Deno.test("each entry point runs dist/ and is typed by its TypeScript source", () => {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`));
  for (const [key, file] of Object.entries(config.exports as Record<string, string>)) {
    const source = entrySources()[key];
    const text = fresh.get(file.slice(2));
    const selfTypes = /^\/\/ @ts-self-types="([^"]+)"/.exec(text ?? "")?.[1];
    assertEquals(
      selfTypes && new URL(selfTypes, `file:///${file.slice(2)}`).pathname,
      `/${source.slice(2)}`,
      key,
    );
  }
});

Deno.test("a native open's top-level functions are compiled with their module, hoisting kept", async () => {
  const text = fresh.get(`${DIST}/src/elf/read_elf.js`)!;
  assertEquals(/^export var readElf = \(function readElf\(/m.test(text), true);
  assertEquals(/^export function /m.test(text), false);
  // What an in-process native open does not run stays lazy.
  const wasm = fresh.get(`${DIST}/src/wasm/read_wasm.js`)!;
  assertEquals(/^export function readWasm\(/m.test(wasm), true);
  // A function of the generated core is called and behaves like its source.
  const dist = await import(`${ROOT}/${DIST}/mod.js`);
  const src = await import(`${ROOT}/mod.ts`);
  assertEquals(Object.keys(dist).sort(), Object.keys(src).sort());
  assertEquals(
    dist.defineInterface("g", "1.0", { greet: "cstring greet(cstring name)" }).hash,
    src.defineInterface("g", "1.0", { greet: "cstring greet(cstring name)" }).hash,
  );
});

Deno.test("modules in an import cycle are found (their functions stay declarations)", () => {
  const graph = new Map([
    ["a", ["b"]],
    ["b", ["a", "c"]],
    ["c", []],
    ["d", ["d"]],
    ["e", ["a", "outside"]],
  ]);
  assertEquals([...inCycles(graph)].sort(), ["a", "b", "d"]);
});
