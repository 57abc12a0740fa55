/**
 * Import plugboard's core entry point and nothing else
 * (tests/bench/startup_bench.ts): `dist/mod.js`, the module deno.json's
 * `exports["."]` names, so what `import "jsr:@plugboard/plugboard"` loads.
 *
 * @module
 */

import * as plugboard from "../../../dist/mod.js";

if (typeof plugboard.openPlugin !== "function") throw new Error("mod.ts exports no openPlugin");
