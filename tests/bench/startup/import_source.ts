/**
 * Import plugboard's core entry point from its TypeScript sources (mod.ts,
 * as this repository's own tests do) and nothing else
 * (tests/bench/startup_bench.ts): what the generated JavaScript of `dist/`
 * saves.
 *
 * @module
 */

import * as plugboard from "../../../mod.ts";

if (typeof plugboard.openPlugin !== "function") throw new Error("mod.ts exports no openPlugin");
