/**
 * Where the first open of a plugin in a fresh process goes, stage by stage,
 * in the order `openPlugin()` runs them (tests/bench/startup_bench.ts): each
 * stage is cold here, as it is in a script that opens one plugin. Reported
 * on stderr as `startup-timing {json}` (milliseconds). It runs the modules
 * of `dist/`, as the published package does.
 *
 * @module
 */

import { defineInterface } from "../../../dist/mod.js";
import { checkPlugin } from "../../../dist/src/check/check_plugin.js";
import type { PipelineOptions } from "../../../src/check/check_plugin.ts";
import { parseChecked } from "../../../dist/src/check/_parse_cache.js";
import { readElf } from "../../../dist/src/elf/read_elf.js";
import { getFileCalls } from "../../../dist/src/file/libc.js";
import { readFile } from "../../../dist/src/file/read_file.js";
import { sha256HexAsync } from "../../../dist/src/file/sha256.js";
import { openCandidate } from "../../../dist/src/open/open_plugin.js";
import type { Plugin } from "../../../src/handle/plugin.ts";

const path = Deno.args[0];
const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" });
const stages: Record<string, number> = { loaded: performance.now() };
let t = performance.now();
function lap(stage: string): void {
  const now = performance.now();
  stages[stage] = now - t;
  t = now;
}

getFileCalls();
lap("libc");
const read = readFile(path, { hash: false });
lap("read");
const file = { ...read, sha256: await sha256HexAsync(read.bytes) };
lap("hash");
readElf(file.bytes, path);
lap("elf");
parseChecked(file, undefined);
lap("metadata");
const candidate = checkPlugin(path, { interfaces: [Greeter], file } as PipelineOptions);
lap("check");
// The JavaScript of dist/ runs; its types are the sources'.
const plugin = await openCandidate(candidate, {}) as unknown as Plugin<"sync">;
lap("load");
const greet = plugin.use(Greeter).greet;
lap("bind");
const text = greet("World");
lap("call");
await plugin.close();
lap("close");
if (text !== "Hello, World") throw new Error(`greet returned ${text}`);
console.error(`startup-timing ${JSON.stringify(stages)}`);
