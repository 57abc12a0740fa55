/* noop: the smallest functions of each kind, for measuring call overhead. */
#include "plugboard.h"

#include <stdio.h>

PLUGBOARD_PLUGIN("noop", "0.1.0");
PLUGBOARD_INTERFACE(bench, "bench", 1, 0);

PLUGBOARD_FN(bench, void, noop, (void)) {}

PLUGBOARD_FN(bench, pb_i32, add, (pb_i32 a, pb_i32 b)) { return a + b; }

/* Uppercase ASCII letters in place; returns len. */
PLUGBOARD_FN(bench, pb_usize, upper, (pb_buffer data, pb_usize len)) {
  for (size_t i = 0; i < len; i++) {
    if (data[i] >= 'a' && data[i] <= 'z') data[i] = (uint8_t)(data[i] - 'a' + 'A');
  }
  return len;
}

PLUGBOARD_FN(bench, pb_cstring, greet, (pb_cstring name)) {
  static _Thread_local char out[256];
  snprintf(out, sizeof out, "Hello, %s", name);
  return out;
}
