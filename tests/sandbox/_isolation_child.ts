/**
 * The isolation child, confined: the sandbox first (module evaluation
 * follows import order), then plugboard's own child, unchanged.
 *
 * @module
 */

import "./_sandbox_first.ts";
import { main } from "../../src/isolate/_child.ts";

main();
