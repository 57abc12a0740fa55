/* abort_call: a faulty plugin whose crash() calls abort() (SIGABRT);
 * ok(x) = x + 1. */
#include "plugboard.h"

#include <stdlib.h>

PLUGBOARD_PLUGIN("abort_call", "0.1.0");
PLUGBOARD_INTERFACE(faulty, "faulty", 1, 0);

PLUGBOARD_FN(faulty, pb_i32, ok, (pb_i32 x)) { return x + 1; }

PLUGBOARD_FN(faulty, pb_i32, crash, (pb_i32 x)) {
  (void)x;
  abort();
}
