/* text-reverse: a text.processor that reverses UTF-8 text by code point, so
 * "añb" becomes "bña" and multi-byte characters stay intact. A byte that does
 * not start a complete, well-formed sequence counts as one unit of its own. */
#include "plugboard.h"

PLUGBOARD_PLUGIN("text-reverse", "0.1.0");
PLUGBOARD_INTERFACE(text_processor, "text.processor", 1, 0);

PLUGBOARD_FN(text_processor, pb_cstring, name, (void)) { return "reverse"; }

/* Bytes in the UTF-8 sequence starting at s[0] (1 for an invalid byte). */
static size_t unit_length(const uint8_t *s, size_t left) {
  size_t n;
  if (s[0] < 0x80) return 1;
  else if ((s[0] & 0xE0) == 0xC0) n = 2;
  else if ((s[0] & 0xF0) == 0xE0) n = 3;
  else if ((s[0] & 0xF8) == 0xF0) n = 4;
  else return 1;
  if (n > left) return 1;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) return 1;
  }
  return n;
}

PLUGBOARD_FALLIBLE_FN(text_processor, pb_usize, process,
                      (pb_buffer input, pb_usize input_len, pb_buffer output, pb_usize output_cap)) {
  if (output_cap < input_len) {
    return pb_fail(1, "output buffer too small: need %zu bytes", input_len);
  }
  size_t i = 0;
  while (i < input_len) {
    size_t n = unit_length(input + i, input_len - i);
    for (size_t k = 0; k < n; k++) output[input_len - i - n + k] = input[i + k];
    i += n;
  }
  return input_len;
}
