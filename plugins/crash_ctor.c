/* crash_ctor: a faulty plugin whose ELF constructor dies of SIGSEGV, so merely
 * loading it kills the process. Its metadata is valid: a host that reads the
 * notes without running the file sees an ordinary plugin. */
#include "plugboard.h"

PLUGBOARD_PLUGIN("crash_ctor", "0.1.0");
PLUGBOARD_INTERFACE(faulty, "faulty", 1, 0);

__attribute__((constructor)) static void crash_on_load(void) {
  /* Both volatile, or GCC trades the store for a trap or deletes it. */
  volatile int32_t *volatile target = NULL;
  *target = 1;
}

PLUGBOARD_FN(faulty, pb_i32, ok, (pb_i32 x)) { return x + 1; }
