/* crash_call: a faulty plugin whose crash() dies of SIGSEGV; ok(x) = x + 1. */
#include "plugboard.h"

PLUGBOARD_PLUGIN("crash_call", "0.1.0");
PLUGBOARD_INTERFACE(faulty, "faulty", 1, 0);

PLUGBOARD_FN(faulty, pb_i32, ok, (pb_i32 x)) { return x + 1; }

PLUGBOARD_FN(faulty, pb_i32, crash, (pb_i32 x)) {
  /* Through a volatile pointer, so the compiler cannot see the NULL and turn
   * the store into a trap instruction (SIGILL): this must be a real SIGSEGV. */
  int32_t *volatile target = NULL;
  *target = x;
  return x;
}
