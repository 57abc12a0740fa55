/* hostile_escape: metadata carrying terminal control sequences (set the
 * window title, clear the screen, colour) in the compiler, the build id and
 * an interface id: a tool printing them raw lets a plugin file drive the
 * terminal of whoever inspects it. */
#define PLUGBOARD_COMPILER "gcc \x1b]0;pwned\x07\x1b[2J\x1b[31m"
#undef PLUGBOARD_BUILD_ID
#define PLUGBOARD_BUILD_ID "\x1b[1Aid"
#include "plugboard.h"

PLUGBOARD_PLUGIN("hostile-escape", "0.1.0");
PLUGBOARD_INTERFACE(esc, "esc\x1b[0m\x1b]8;;http://example.invalid\x07", 1, 0);

PLUGBOARD_FN(esc, pb_i32, one, (void)) { return 1; }
