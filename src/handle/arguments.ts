/**
 * The argument contract of every kind of plugin: which values fit which
 * parameter type, and the `INVALID_ARGUMENT` error for one that does not.
 * The in-process wrappers (generated code with the same rules), the
 * isolated and subprocess handles and the WebAssembly marshalling all follow
 * it, so a value is accepted or refused the same way in every mode. An
 * integer `-0` is the integer 0.
 *
 * @module
 */

import type { TypeName } from "../abi/signature.ts";
import { describeType, showValue } from "../abi/values.ts";
import { CallError } from "../errors/plugin_error.ts";

export { describeType, fits } from "../abi/values.ts";

/**
 * The `INVALID_ARGUMENT` error for a value that does not fit its type.
 *
 * @param path the plugin file
 * @param fn the function
 * @param index the argument's index
 * @param type its declared type
 * @param value what was passed
 * @returns the error
 */
export function invalidArgument(
  path: string,
  fn: string,
  index: number,
  type: TypeName,
  value: unknown,
): CallError {
  return new CallError(
    "INVALID_ARGUMENT",
    path,
    fn,
    `argument ${index + 1} does not fit ${type}: expected ${describeType(type)}, found ${
      showValue(value)
    }`,
    { hint: "pass a value of the declared type" },
  );
}
