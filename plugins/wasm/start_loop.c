/* start_loop: a WebAssembly plugin whose init hook never returns (only a
 * Worker with a start timeout can stop it); ok(x) = x + 1. */
#include "plugboard.h"

PLUGBOARD_PLUGIN("start_loop", "0.1.0");
PLUGBOARD_INTERFACE(faulty, "faulty", 1, 0);

static volatile int32_t spins;
static int32_t start(void) {
  for (;;) spins++;
  return 0;
}
PLUGBOARD_INIT(start);

PLUGBOARD_FN(faulty, pb_i32, ok, (pb_i32 x)) { return x + 1; }
