/*
 * hog: a WebAssembly plugin that keeps memory. grow(mib) allocates `mib`
 * more MiB and keeps them; held() says how many MiB it holds. When malloc
 * fails, grow() aborts (a trap), as C programs that do not check do.
 * try_grow(mib) instead reports the failure as an error.
 */
#include "plugboard.h"

#include <stdlib.h>
#include <string.h>

PLUGBOARD_PLUGIN("hog", "0.1.0");
PLUGBOARD_INTERFACE(hog, "test.hog", 1, 0);

static int32_t held_mib;
/* The blocks, chained through their first bytes: kept, so the compiler
 * cannot drop the allocations. */
static void *blocks;

static int keep(void) {
  char *block = malloc(1 << 20);
  if (block == NULL) return 0;
  memset(block, 1, 1 << 20);
  *(void **)block = blocks;
  blocks = block;
  held_mib++;
  return 1;
}

PLUGBOARD_FN(hog, pb_i32, held, (void)) { return held_mib; }

PLUGBOARD_FN(hog, pb_i32, grow, (pb_i32 mib)) {
  for (int32_t i = 0; i < mib; i++) {
    if (!keep()) abort();
  }
  return held_mib;
}

PLUGBOARD_FALLIBLE_FN(hog, pb_i32, try_grow, (pb_i32 mib)) {
  for (int32_t i = 0; i < mib; i++) {
    if (!keep()) return pb_fail(12, "out of memory after %d MiB", (int)held_mib);
  }
  return held_mib;
}
