/*
 * counter: shared state, hooks and threads. `counter_value` is an exported
 * variable (read it as a static); inc/get/reset work on it atomically, and
 * inc_slow sleeps first so a host can call it nonblocking from other threads.
 * The constructor and both hooks print a line to stdout, so tests can see
 * exactly when each runs.
 */
#include "plugboard.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

PLUGBOARD_PLUGIN("counter", "0.1.0");
PLUGBOARD_INTERFACE(counter, "counter", 1, 0);

PLUGBOARD_EXPORT int32_t counter_value = 0;

__attribute__((constructor)) static void counter_constructor(void) {
  fputs("plugin constructor: counter\n", stdout);
  fflush(stdout);
}

static int32_t counter_init(void) {
  fputs("plugin init: counter\n", stdout);
  fflush(stdout);
  return 0;
}
PLUGBOARD_INIT(counter_init);

static void counter_shutdown(void) {
  fputs("plugin shutdown: counter\n", stdout);
  fflush(stdout);
}
PLUGBOARD_SHUTDOWN(counter_shutdown);

PLUGBOARD_FN(counter, pb_i32, inc, (void)) {
  return __atomic_add_fetch(&counter_value, 1, __ATOMIC_SEQ_CST);
}

PLUGBOARD_FN(counter, pb_i32, get, (void)) {
  return __atomic_load_n(&counter_value, __ATOMIC_SEQ_CST);
}

PLUGBOARD_FN(counter, void, reset, (void)) {
  __atomic_store_n(&counter_value, 0, __ATOMIC_SEQ_CST);
}

PLUGBOARD_FN(counter, pb_i32, inc_slow, (pb_i32 ms)) {
  if (ms > 0) {
    struct timespec left = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
  }
  return __atomic_add_fetch(&counter_value, 1, __ATOMIC_SEQ_CST);
}
