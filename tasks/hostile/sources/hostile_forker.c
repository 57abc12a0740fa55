/* hostile_forker: spawn() forks a grandchild that sleeps (holding whatever
 * descriptors it inherited) and returns its pid. */
#define _DEFAULT_SOURCE
#include "plugboard.h"

#include <unistd.h>

PLUGBOARD_PLUGIN("hostile-forker", "0.1.0");
PLUGBOARD_INTERFACE(forker, "hostile.forker", 1, 0);

PLUGBOARD_FN(forker, pb_i32, spawn, (pb_i32 seconds)) {
  pid_t pid = fork();
  if (pid == 0) {
    sleep((unsigned)seconds);
    _exit(0);
  }
  return (pb_i32)pid;
}
