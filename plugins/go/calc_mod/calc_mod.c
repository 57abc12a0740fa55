/* calc-mod's metadata: Go cannot write ELF notes, so they are declared here,
 * next to the //export'ed Go functions of main.go. */
#include "plugboard_go.h"
#include "_cgo_export.h"

PLUGBOARD_PLUGIN("calc-mod", "0.1.0");
PLUGBOARD_INTERFACE(calc_op, "calc.op", 1, 0);

PLUGBOARD_GO_FN(calc_op, pb_cstring, name, (void));
PLUGBOARD_GO_FALLIBLE_FN(calc_op, pb_f64, apply, (pb_f64 a, pb_f64 b));
