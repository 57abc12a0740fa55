/* start_trap: a WebAssembly plugin whose constructor aborts (a trap while
 * loading); ok(x) = x + 1 is never reached. */
#include "plugboard.h"

#include <stdlib.h>

PLUGBOARD_PLUGIN("start_trap", "0.1.0");
PLUGBOARD_INTERFACE(faulty, "faulty", 1, 0);

__attribute__((constructor)) static void start(void) { abort(); }

PLUGBOARD_FN(faulty, pb_i32, ok, (pb_i32 x)) { return x + 1; }
