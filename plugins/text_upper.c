/* text-upper: a text.processor that uppercases ASCII letters; other bytes,
 * including every byte of a multi-byte UTF-8 sequence, are copied as is. */
#include "plugboard.h"

PLUGBOARD_PLUGIN("text-upper", "0.1.0");
PLUGBOARD_INTERFACE(text_processor, "text.processor", 1, 0);

PLUGBOARD_FN(text_processor, pb_cstring, name, (void)) { return "upper"; }

PLUGBOARD_FALLIBLE_FN(text_processor, pb_usize, process,
                      (pb_buffer input, pb_usize input_len, pb_buffer output, pb_usize output_cap)) {
  if (output_cap < input_len) {
    return pb_fail(1, "output buffer too small: need %zu bytes", input_len);
  }
  for (size_t i = 0; i < input_len; i++) {
    uint8_t c = input[i];
    output[i] = (c >= 'a' && c <= 'z') ? (uint8_t)(c - 'a' + 'A') : c;
  }
  return input_len;
}
