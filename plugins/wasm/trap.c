/*
 * trap: a WebAssembly plugin with one function per kind of trap, for
 * showing that each becomes PLUGIN_TRAPPED and that the host goes on.
 * count() returns how many times it was called on this instance, so a test
 * can see that a trap replaces the instance (the count starts again).
 */
#include "plugboard.h"

#include <stdlib.h>

PLUGBOARD_PLUGIN("trap", "0.1.0");
PLUGBOARD_INTERFACE(trap, "test.trap", 1, 0);

static int32_t calls;

PLUGBOARD_FN(trap, pb_i32, count, (void)) { return ++calls; }

/* `unreachable`, as abort() and __builtin_trap() compile. */
PLUGBOARD_FN(trap, pb_i32, unreachable, (pb_i32 x)) {
  if (x >= 0) abort();
  return x;
}

/* A load far past the end of linear memory. */
PLUGBOARD_FN(trap, pb_i32, out_of_bounds, (pb_u32 address)) {
  return *(volatile int32_t *)(uintptr_t)address;
}

/* Integer division: b == 0 traps (INT32_MIN / -1 too). */
PLUGBOARD_FN(trap, pb_i32, divide, (pb_i32 a, pb_i32 b)) { return a / b; }

/* Recursion without end: the stack runs out (the stack sits first in
 * memory, -Wl,--stack-first, so overflowing it traps). */
static volatile int32_t sink;
static int32_t deeper(int32_t n) {
  volatile char frame[256];
  if (n < 0) return 0; /* never: n only grows, and the stack ends first */
  frame[n & 255] = (char)n;
  sink = frame[(n * 7) & 255];
  return deeper(n + 1) + frame[0];
}
PLUGBOARD_FN(trap, pb_i32, overflow, (pb_i32 n)) { return deeper(n); }

/* Recursion that keeps nothing in linear memory: the engine's own stack
 * runs out (a RangeError in V8), through a pointer the compiler cannot
 * turn into a loop. */
static int32_t (*volatile again)(int32_t);
static int32_t exhaust_from(int32_t n) { return again(n + 1) * 3 + 1; }
PLUGBOARD_FN(trap, pb_i32, exhaust, (pb_i32 n)) {
  again = exhaust_from;
  return exhaust_from(n);
}

/* A call through a function pointer of the wrong type. */
typedef int32_t (*unary)(int32_t);
static int32_t nullary(void) { return 1; }
PLUGBOARD_FN(trap, pb_i32, bad_indirect, (pb_i32 x)) {
  volatile unary f = (unary)(void *)nullary;
  return f(x);
}

/* exit(): the WASI proc_exit, a trap for the host. */
PLUGBOARD_FN(trap, pb_i32, quit, (pb_i32 code)) { exit(code); }

/* A string that never ends: the last bytes of memory, no NUL. */
PLUGBOARD_FN(trap, pb_cstring, endless, (void)) {
  size_t end = __builtin_wasm_memory_size(0) * 65536;
  char *p = (char *)(uintptr_t)(end - 16);
  for (int i = 0; i < 16; i++) p[i] = 'x';
  return p;
}

/* A NULL write: no trap in wasm32, whose address 0 is memory. */
PLUGBOARD_FN(trap, pb_i32, null_write, (pb_i32 x)) {
  volatile int32_t *volatile target = NULL;
  *target = x;
  return *target;
}
