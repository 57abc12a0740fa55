/* wide32: 32 exported functions f00..f31, fNN(x) = x + NN, for measuring
 * what loading and checking costs per function. */
#include "plugboard.h"

PLUGBOARD_PLUGIN("wide32", "0.1.0");
PLUGBOARD_INTERFACE(wide, "wide", 1, 0);

#define WIDE_FN(nn) \
  PLUGBOARD_FN(wide, pb_i32, f##nn, (pb_i32 x)) { return x + (1##nn - 100); }

WIDE_FN(00) WIDE_FN(01) WIDE_FN(02) WIDE_FN(03) WIDE_FN(04) WIDE_FN(05) WIDE_FN(06) WIDE_FN(07)
WIDE_FN(08) WIDE_FN(09) WIDE_FN(10) WIDE_FN(11) WIDE_FN(12) WIDE_FN(13) WIDE_FN(14) WIDE_FN(15)
WIDE_FN(16) WIDE_FN(17) WIDE_FN(18) WIDE_FN(19) WIDE_FN(20) WIDE_FN(21) WIDE_FN(22) WIDE_FN(23)
WIDE_FN(24) WIDE_FN(25) WIDE_FN(26) WIDE_FN(27) WIDE_FN(28) WIDE_FN(29) WIDE_FN(30) WIDE_FN(31)
