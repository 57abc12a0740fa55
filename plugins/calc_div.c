/* calc-div: one operator of the calc.op interface: apply(a, b) = a / b. */
#include "plugboard.h"

PLUGBOARD_PLUGIN("calc-div", "0.1.0");
PLUGBOARD_INTERFACE(calc_op, "calc.op", 1, 0);

PLUGBOARD_FN(calc_op, pb_cstring, name, (void)) { return "/"; }

PLUGBOARD_FALLIBLE_FN(calc_op, pb_f64, apply, (pb_f64 a, pb_f64 b)) {
  if (b == 0.0) return pb_fail(1, "division by zero");
  return a / b;
}
