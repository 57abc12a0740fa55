/**
 * Issue 11, item 6: 20 `plugboard trust` processes started at once, each
 * adding another plugin to the same lockfile, lose nothing; and a
 * `plugboard.lock` that is a symlink is written through (the link stays, its
 * target gets the entries).
 *
 * @module
 */

import { assertEquals } from "../_assert.ts";
import { ROOT } from "../_paths.ts";
import { patchPluginField } from "../../tasks/hostile/_elf_patch.ts";
import { workshop } from "./_helpers.ts";

const N = 20;

async function trustConcurrently(dir: string, lock: string): Promise<Deno.CommandOutput[]> {
  const base = await Deno.readFile((await workshop()).greeter);
  const files: string[] = [];
  for (let i = 0; i < N; i++) {
    const file = `${dir}/p${i}.so`;
    await Deno.writeFile(file, patchPluginField(base, "name", `grt-${String(i).padStart(3, "0")}`));
    files.push(file);
  }
  return await Promise.all(files.map((f) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-prompt", `${ROOT}/src/cli/main.ts`, "trust", f, "--lock", lock],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output()
  ));
}

function report(outs: Deno.CommandOutput[]): string {
  const d = new TextDecoder();
  return outs.map((o, i) =>
    `#${i} exit ${o.code}: ${d.decode(o.stdout).trim()} ${d.decode(o.stderr).trim()}`
  )
    .join("\n");
}

Deno.test(`${N} concurrent plugboard trust processes into one lockfile lose no entry`, async () => {
  const dir = await Deno.makeTempDir({ dir: (await workshop()).runDir });
  const lock = `${dir}/plugboard.lock`;
  const outs = await trustConcurrently(dir, lock);
  assertEquals(outs.map((o) => o.code), new Array(N).fill(0), report(outs));
  const names = Object.keys(JSON.parse(await Deno.readTextFile(lock)).plugins).sort();
  assertEquals(
    names,
    Array.from({ length: N }, (_, i) => `grt-${String(i).padStart(3, "0")}@0.1.0`),
    report(outs),
  );
});

Deno.test(`${N} concurrent plugboard trust processes write through a symlinked plugboard.lock`, async () => {
  const dir = await Deno.makeTempDir({ dir: (await workshop()).runDir });
  await Deno.mkdir(`${dir}/shared`);
  const target = `${dir}/shared/plugboard.lock`;
  await Deno.writeTextFile(target, '{ "version": 1, "plugins": {} }\n');
  const lock = `${dir}/plugboard.lock`;
  await Deno.symlink("shared/plugboard.lock", lock);
  const outs = await trustConcurrently(dir, lock);
  assertEquals(outs.map((o) => o.code), new Array(N).fill(0), report(outs));
  assertEquals((await Deno.lstat(lock)).isSymlink, true, "the link stays a link");
  assertEquals(await Deno.readLink(lock), "shared/plugboard.lock");
  assertEquals(Object.keys(JSON.parse(await Deno.readTextFile(target)).plugins).length, N);
});
