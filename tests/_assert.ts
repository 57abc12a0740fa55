/**
 * Small assertion helpers over node:assert/strict (JSR's @std/assert is not
 * reachable here): the thrown error is returned, typed, so tests can check
 * its class and code.
 *
 * @module
 */

import nodeAssert from "node:assert/strict";

/** Assert that a value is truthy. */
export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message);
}

/** Deep, strict equality. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Identity (Object.is). */
export function assertStrictEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.strictEqual(actual, expected, message);
}

/** A string matches a pattern. */
export function assertMatch(actual: string, pattern: RegExp, message?: string): void {
  nodeAssert.match(actual, pattern, message);
}

/** A value is an instance of a class. */
export function assertInstanceOf<T>(
  value: unknown,
  type: abstract new (...args: never[]) => T,
  message?: string,
): asserts value is T {
  nodeAssert.ok(
    value instanceof type,
    message ?? `expected an instance of ${type.name}, got ${String(value)}`,
  );
}

/**
 * The function throws an instance of `type`; returns the error.
 */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  type: abstract new (...args: never[]) => E,
): E {
  try {
    fn();
  } catch (e) {
    assertInstanceOf(
      e,
      type,
      `expected ${type.name}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
    );
    return e;
  }
  throw new nodeAssert.AssertionError({
    message: `expected ${type.name} to be thrown, nothing was`,
  });
}

/**
 * The promise rejects with an instance of `type`; returns the error.
 */
export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  try {
    await fn();
  } catch (e) {
    assertInstanceOf(
      e,
      type,
      `expected ${type.name}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
    );
    return e;
  }
  throw new nodeAssert.AssertionError({
    message: `expected ${type.name} to be rejected, it resolved`,
  });
}
