/*
 * The Extism plugin of tests/bench/wasm_bench.ts: add and greet, as the
 * Extism JS SDK calls them (input and output as bytes through Extism's
 * kernel), to compare with plugboard's calls of plugins/noop.c.
 *
 * Built with Extism's C PDK (extism-pdk.h of the extism/c-pdk repository at
 * 54dbb40, BSD-3-Clause; not in this repository) and Debian's clang 14:
 *   clang --target=wasm32-wasi -O2 -mexec-model=reactor -nodefaultlibs \
 *     -I<c-pdk> -o bench.wasm bench.c -lc
 * The module is committed (bench.wasm, 1.7 KB) so the benchmark runs
 * without the PDK.
 */
#define EXTISM_IMPLEMENTATION
#include "extism-pdk.h"
#include <stdint.h>
#include <string.h>

/* add: input 8 bytes (two little-endian i32), output 4 bytes. */
int32_t EXTISM_EXPORTED_FUNCTION(add) {
  int32_t ab[2];
  if (extism_input_length() != 8) return 1;
  extism_load_input(0, ab, 8);
  int32_t sum = ab[0] + ab[1];
  ExtismHandle out = extism_alloc(4);
  extism_store_to_handle(out, 0, &sum, 4);
  extism_output_set_from_handle(out, 0, 4);
  return 0;
}

/* greet: input a name, output "Hello, " + name. */
int32_t EXTISM_EXPORTED_FUNCTION(greet) {
  static char buf[256];
  uint64_t n = extism_input_length();
  if (n > 240) n = 240;
  memcpy(buf, "Hello, ", 7);
  extism_load_input(0, buf + 7, n);
  ExtismHandle out = extism_alloc(7 + n);
  extism_store_to_handle(out, 0, buf, 7 + n);
  extism_output_set_from_handle(out, 0, 7 + n);
  return 0;
}
