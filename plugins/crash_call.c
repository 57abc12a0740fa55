/* crash_call: a faulty plugin whose crash() dies of SIGSEGV; ok(x) = x + 1. */
#include "plugboard.h"

PLUGBOARD_PLUGIN("crash_call", "0.1.0");
PLUGBOARD_INTERFACE(faulty, "faulty", 1, 0);

PLUGBOARD_FN(faulty, pb_i32, ok, (pb_i32 x)) { return x + 1; }

PLUGBOARD_FN(faulty, pb_i32, crash, (pb_i32 x)) {
  /* A real SIGSEGV: the volatile pointer hides the NULL (else GCC may turn
   * the store into a trap instruction, SIGILL), and the volatile target keeps
   * the store (without it GCC -O2 deletes the store and crash() returns). */
  volatile int32_t *volatile target = NULL;
  *target = x;
  return x;
}
