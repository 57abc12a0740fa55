/**
 * The isolation child, confined: the sandbox first (module evaluation
 * follows import order), then plugboard's own child script, unchanged.
 *
 * @module
 */

import "./_sandbox_first.ts";
import "../../src/isolate/_child.ts";
