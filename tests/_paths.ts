/**
 * Paths the tests share: the repository root and the build outputs made by
 * `deno task build` (which `deno task test` runs first).
 *
 * @module
 */

import { fileURLToPath } from "node:url";

/** The repository root, absolute. */
export const ROOT: string = fileURLToPath(new URL("../", import.meta.url)).replace(/\/$/, "");
/** The build directory, absolute. */
export const BUILD: string = `${ROOT}/build`;

/**
 * The path of a built sample plugin.
 *
 * @param name the plugin's file name without `.so`, e.g. `greeter`
 * @returns its absolute path
 */
export function plugin(name: string): string {
  return `${BUILD}/${name}.so`;
}

/**
 * The path of a built test fixture.
 *
 * @param name the fixture's file name without `.so`, e.g. `abi2`
 * @returns its absolute path
 */
export function fixture(name: string): string {
  return `${BUILD}/fixtures/${name}.so`;
}
