/**
 * Applies the sandbox given in `PLUGBOARD_TEST_SANDBOX` (JSON `{ policy,
 * options }`) when evaluated. `_isolation_child.ts` imports it before
 * `src/isolate/_child.ts`, so the real isolation child runs confined from
 * its first line, as it would once `_child.ts` calls applySandbox itself.
 *
 * @module
 */

import { applySandbox } from "../../src/isolate/_sandbox.ts";

const { policy, options } = JSON.parse(Deno.env.get("PLUGBOARD_TEST_SANDBOX") ?? "null");
applySandbox(policy, options);
