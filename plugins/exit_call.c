/* exit_call: a faulty plugin whose crash() ends the whole process with
 * _exit(3); ok(x) = x + 1. */
#include "plugboard.h"

#include <unistd.h>

PLUGBOARD_PLUGIN("exit_call", "0.1.0");
PLUGBOARD_INTERFACE(faulty, "faulty", 1, 0);

PLUGBOARD_FN(faulty, pb_i32, ok, (pb_i32 x)) { return x + 1; }

PLUGBOARD_FN(faulty, pb_i32, crash, (pb_i32 x)) {
  (void)x;
  _exit(3);
}
