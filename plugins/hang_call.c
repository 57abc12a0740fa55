/* hang_call: a faulty plugin whose crash() never returns (it waits for a
 * signal forever); sleep_ms(ms) sleeps, then returns ms; ok(x) = x + 1. */
#include "plugboard.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

PLUGBOARD_PLUGIN("hang_call", "0.1.0");
PLUGBOARD_INTERFACE(faulty, "faulty", 1, 0);

PLUGBOARD_FN(faulty, pb_i32, ok, (pb_i32 x)) { return x + 1; }

PLUGBOARD_FN(faulty, pb_i32, crash, (pb_i32 x)) {
  (void)x;
  for (;;) pause();
}

PLUGBOARD_FN(faulty, pb_i32, sleep_ms, (pb_i32 ms)) {
  if (ms > 0) {
    struct timespec left = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
  }
  return ms;
}
