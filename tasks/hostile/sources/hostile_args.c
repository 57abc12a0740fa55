/* hostile_args: parameters the iso_types fixture lacks: a pointer and a
 * buffer read by the plugin, and an interface with a function named `then`
 * (which makes an object of its functions a thenable). */
#include "plugboard.h"

PLUGBOARD_PLUGIN("hostile-args", "0.1.0");
PLUGBOARD_INTERFACE(args, "hostile.args", 1, 0);
PLUGBOARD_INTERFACE(thenable, "hostile.thenable", 1, 0);

/* 1 for NULL, else 0. */
PLUGBOARD_FN(args, pb_i32, is_null, (pb_pointer p)) { return p == 0; }

/* The buffer's first byte, or -1 for NULL. */
PLUGBOARD_FN(args, pb_i32, first_byte, (pb_buffer b)) { return b ? b[0] : -1; }

/* x + 1. */
PLUGBOARD_FN(args, pb_i32, next, (pb_i32 x)) { return x + 1; }

PLUGBOARD_FN(thenable, pb_i32, then, (void)) { return 1; }
