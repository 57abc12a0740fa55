/**
 * The byte layouts the host reads from a loaded native plugin, written once:
 * the descriptor `plugboard_entry()` returns and the error record
 * `plugboard_take_error()` returns (LP64). A test compiles
 * `native/plugboard.h` and checks every offset and size here against the C
 * compiler's `offsetof` and `sizeof`.
 *
 * @module
 */

/** `plugboard_descriptor` (ABI 1.0, LP64): offsets in bytes. */
export const DESCRIPTOR = Object.freeze({
  /** `uint32_t size`: the descriptor's size as the plugin was built. */
  size: 0,
  /** `uint16_t abi_major`. */
  abiMajor: 4,
  /** `uint16_t abi_minor`. */
  abiMinor: 6,
  /** `int32_t (*init)(void)`. */
  init: 8,
  /** `void (*shutdown)(void)`. */
  shutdown: 16,
  /** `const plugboard_error *(*take_error)(void)`. */
  takeError: 24,
  /** The least size a host of ABI 1.0 reads. */
  bytes: 32,
});

/** `plugboard_error`: offsets in bytes. */
export const ERROR_RECORD = Object.freeze({
  /** `int32_t code`. */
  code: 0,
  /** `uint32_t length`. */
  length: 4,
  /** `char message[PLUGBOARD_ERROR_MESSAGE_MAX]`. */
  message: 8,
  /** `PLUGBOARD_ERROR_MESSAGE_MAX`. */
  messageMax: 512,
});

/**
 * `plugboard_descriptor` on wasm32 (ABI 1.0): offsets in bytes in the
 * module's linear memory. The function pointers are indexes into the
 * module's function table (`__indirect_function_table`).
 */
export const WASM32_DESCRIPTOR = Object.freeze({
  /** `uint32_t size`. */
  size: 0,
  /** `uint16_t abi_major`. */
  abiMajor: 4,
  /** `uint16_t abi_minor`. */
  abiMinor: 6,
  /** `int32_t (*init)(void)`: a table index. */
  init: 8,
  /** `void (*shutdown)(void)`: a table index. */
  shutdown: 12,
  /** `const plugboard_error *(*take_error)(void)`: a table index. */
  takeError: 16,
  /** The least size a host of ABI 1.0 reads. */
  bytes: 20,
});
