/**
 * The parse cache is keyed by content, but a subprocess plugin's parsed
 * format names its sidecar: two copies of the same program and sidecar in
 * two directories must each keep their own sidecar path (the launcher is
 * given it, and messages name it).
 *
 * @module
 */

import { assertEquals } from "../_assert.ts";
import { checkPlugin, formatOf } from "../../src/check/check_plugin.ts";
import { ROOT } from "../_paths.ts";
import { tempDir } from "../registry/_helpers.ts";

const PROGRAM = `${ROOT}/plugins/rpc/calc_mod.sh`;

Deno.test("two copies of one program and sidecar each keep their own sidecar path", () => {
  const copies = [tempDir(), tempDir()].map((dir) => {
    Deno.copyFileSync(PROGRAM, `${dir}/mod.sh`);
    Deno.copyFileSync(`${PROGRAM}.plugboard.json`, `${dir}/mod.sh.plugboard.json`);
    Deno.chmodSync(`${dir}/mod.sh`, 0o755);
    return `${dir}/mod.sh`;
  });
  const first = formatOf(checkPlugin(copies[0]));
  const second = formatOf(checkPlugin(copies[1]));
  assertEquals(first.sidecar?.path, `${copies[0]}.plugboard.json`);
  assertEquals(second.sidecar?.path, `${copies[1]}.plugboard.json`);
  assertEquals(second.sidecar?.sha256, first.sidecar?.sha256);
  // The first copy again: still its own.
  assertEquals(formatOf(checkPlugin(copies[0])).sidecar?.path, `${copies[0]}.plugboard.json`);
});
