/* loop: a WebAssembly plugin whose spin() never returns; ok(x) = x + 1. */
#include "plugboard.h"

PLUGBOARD_PLUGIN("loop", "0.1.0");
PLUGBOARD_INTERFACE(faulty, "faulty", 1, 0);

PLUGBOARD_FN(faulty, pb_i32, ok, (pb_i32 x)) { return x + 1; }

PLUGBOARD_FN(faulty, pb_i32, crash, (pb_i32 x)) {
  volatile int32_t n = x;
  for (;;) n++;
  return n;
}

/* Work for `n` million loop iterations; returns a checksum. */
PLUGBOARD_FN(faulty, pb_i32, busy, (pb_i32 n)) {
  volatile int32_t sum = 0;
  for (int32_t i = 0; i < n; i++) {
    for (int32_t j = 0; j < 1000000; j++) sum += j;
  }
  return sum;
}
