// Generated from src/handle/arguments.ts by tasks/dist.ts (deno task dist): do not edit.
import { describeType, showValue } from "../abi/values.js";
import { CallError } from "../errors/plugin_error.js";
export var invalidArgument = (function invalidArgument(path, fn, index, type, value) {
    return new CallError("INVALID_ARGUMENT", path, fn, `argument ${index + 1} does not fit ${type}: expected ${describeType(type)}, found ${showValue(value)}`, { hint: "pass a value of the declared type" });
});
export { describeType, fits } from "../abi/values.js";
