/**
 * The package's entry points as deno.json's `exports` names them (the
 * generated JavaScript under `dist/`, see tasks/dist.ts) and the TypeScript
 * source of each, which `deno doc`, the API listing and the layering rules
 * read.
 *
 * @module
 */

import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url)).replace(/\/$/, "");

/**
 * The TypeScript source of a path of `dist/`: `./dist/src/host/mod.js` →
 * `./src/host/mod.ts`. Other paths are returned as they are.
 *
 * @param path a path relative to the root, with or without `./`
 * @returns the source's path, in the same form
 */
export function sourceOf(path: string): string {
  const m = /^(\.\/)?dist\/(.*)\.js$/.exec(path);
  return m ? `${m[1] ?? ""}${m[2]}.ts` : path;
}

/**
 * Each entry point's TypeScript source, by its `exports` key.
 *
 * @returns `"."` → `"./mod.ts"`, `"./host"` → `"./src/host/mod.ts"`, …
 */
export function entrySources(): Record<string, string> {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`));
  return Object.fromEntries(
    Object.entries(config.exports as Record<string, string>).map(([k, v]) => [k, sourceOf(v)]),
  );
}
