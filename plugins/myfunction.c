/*
 * myfunction: a fallible function. "hello" -> 42, "" fails with code 1
 * "input is empty", any other string -> its length in bytes.
 */
#include "plugboard.h"

#include <string.h>

PLUGBOARD_PLUGIN("myfunction", "0.1.0");
PLUGBOARD_INTERFACE(myfunction, "myfunction", 1, 0);

PLUGBOARD_FALLIBLE_FN(myfunction, pb_i32, MyFunction, (pb_cstring input)) {
  if (input == NULL || input[0] == '\0') return pb_fail(1, "input is empty");
  if (strcmp(input, "hello") == 0) return 42;
  return (pb_i32)strlen(input);
}
