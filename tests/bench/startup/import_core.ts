/**
 * Import plugboard's core entry point and nothing else (tests/bench/startup_bench.ts).
 *
 * @module
 */

import * as plugboard from "../../../mod.ts";

if (typeof plugboard.openPlugin !== "function") throw new Error("mod.ts exports no openPlugin");
