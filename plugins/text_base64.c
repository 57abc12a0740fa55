/* text-base64: a text.processor that encodes its input as base64 (RFC 4648
 * standard alphabet, with '=' padding). */
#include "plugboard.h"

PLUGBOARD_PLUGIN("text-base64", "0.1.0");
PLUGBOARD_INTERFACE(text_processor, "text.processor", 1, 0);

PLUGBOARD_FN(text_processor, pb_cstring, name, (void)) { return "base64"; }

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

PLUGBOARD_FALLIBLE_FN(text_processor, pb_usize, process,
                      (pb_buffer input, pb_usize input_len, pb_buffer output, pb_usize output_cap)) {
  size_t need = (input_len / 3 + (input_len % 3 != 0)) * 4;
  if (output_cap < need) {
    return pb_fail(1, "output buffer too small: need %zu bytes", need);
  }
  size_t o = 0;
  size_t i = 0;
  for (; i + 3 <= input_len; i += 3) {
    uint32_t v = (uint32_t)input[i] << 16 | (uint32_t)input[i + 1] << 8 | input[i + 2];
    output[o++] = (uint8_t)alphabet[v >> 18 & 63];
    output[o++] = (uint8_t)alphabet[v >> 12 & 63];
    output[o++] = (uint8_t)alphabet[v >> 6 & 63];
    output[o++] = (uint8_t)alphabet[v & 63];
  }
  size_t rest = input_len - i;
  if (rest > 0) {
    uint32_t v = (uint32_t)input[i] << 16 | (rest == 2 ? (uint32_t)input[i + 1] << 8 : 0);
    output[o++] = (uint8_t)alphabet[v >> 18 & 63];
    output[o++] = (uint8_t)alphabet[v >> 12 & 63];
    output[o++] = rest == 2 ? (uint8_t)alphabet[v >> 6 & 63] : '=';
    output[o++] = '=';
  }
  return o;
}
