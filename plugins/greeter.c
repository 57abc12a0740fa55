/* greeter: the smallest useful plugin. greet("Ada") -> "Hello, Ada". */
#include "plugboard.h"

#include <stdio.h>

PLUGBOARD_PLUGIN("greeter", "0.1.0");
PLUGBOARD_INTERFACE(greeter, "greeter", 1, 0);

PLUGBOARD_FN(greeter, pb_cstring, greet, (pb_cstring name)) {
  static _Thread_local char out[256];
  snprintf(out, sizeof out, "Hello, %s", name);
  return out;
}
