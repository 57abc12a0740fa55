/* The Go SDK's C helpers. pb_fail itself is defined by PLUGBOARD_PLUGIN in
 * the plugin's own C file and linked into the same shared object. */
#include "plugboard_go.h"

int32_t pb_fail_message(int32_t code, const char *message, size_t length) {
  if (length == 0 || message == NULL) return pb_fail(code, "%s", "");
  if (length > PLUGBOARD_ERROR_MESSAGE_MAX) length = PLUGBOARD_ERROR_MESSAGE_MAX;
  return pb_fail(code, "%.*s", (int)length, message);
}
