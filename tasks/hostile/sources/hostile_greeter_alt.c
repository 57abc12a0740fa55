/* hostile_greeter_alt: another build of "greeter" 0.1.0 that answers
 * "Howdy, NAME": swapped in for the real one during a load, it shows
 * whether the code that runs is the code that was checked. */
#include "plugboard.h"

#include <stdio.h>

PLUGBOARD_PLUGIN("greeter", "0.1.0");
PLUGBOARD_INTERFACE(greeter, "greeter", 1, 0);

PLUGBOARD_FN(greeter, pb_cstring, greet, (pb_cstring name)) {
  static _Thread_local char out[256];
  snprintf(out, sizeof out, "Howdy, %s", name);
  return out;
}
