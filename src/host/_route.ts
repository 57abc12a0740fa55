/**
 * The routing indirection of a hosted plugin. Each function the host hands
 * out calls through a slot that holds the current build's function; a
 * reload swaps the slot, so new calls go to the new build while calls
 * already running on the old one finish there. A plain route is one
 * property load and one call more than the loader's own function.
 *
 * @module
 */

import type { Signature } from "../abi/signature.ts";
import { CallError } from "../errors/plugin_error.ts";

/** Any function of a plugin. */
export type AnyFunction = (...args: never[]) => unknown;

/** Where a routed function finds the current build's function. */
export interface Slot {
  /** The function calls go to now. */
  fn: AnyFunction;
}

/** What a routed function reports to its hosted plugin. */
export interface RouteHooks {
  /** Count a promise-returning call until it settles. */
  track(promise: Promise<unknown>): Promise<unknown>;
  /** Report a finished call, when calls are logged. */
  logCall?(fn: string, durationMs: number, error: unknown): void;
}

/**
 * Make the routed function of one signature.
 *
 * @param sig the signature
 * @param slot where the current function is
 * @param hooks in-flight tracking and call logging
 * @param options `async`: the functions may return promises whatever their
 *   signature says (a plugin in another process), so every promise is tracked
 * @returns the routed function, named after the plugin function
 */
export function routeFunction(
  sig: Signature,
  slot: Slot,
  hooks: RouteHooks,
  options: { async?: boolean } = {},
): AnyFunction {
  const args = sig.parameters.map((_, i) => `a${i}`).join(", ");
  let src: string;
  if (hooks.logCall) {
    src = `return function routed(${args}) {
  const t0 = performance.now();
  let r;
  try { r = s.fn(${args}); } catch (e) { log(N, performance.now() - t0, e); throw e; }
  if (r instanceof Promise) {
    return h.track(r.then((v) => { log(N, performance.now() - t0, undefined); return v; },
      (e) => { log(N, performance.now() - t0, e); throw e; }));
  }
  log(N, performance.now() - t0, undefined);
  return r;
};`;
  } else if (sig.nonblocking) {
    src = `return function routed(${args}) { return h.track(s.fn(${args})); };`;
  } else if (options.async) {
    src = `return function routed(${args}) {
  const r = s.fn(${args});
  return r instanceof Promise ? h.track(r) : r;
};`;
  } else {
    src = `return function routed(${args}) { return s.fn(${args}); };`;
  }
  const log = hooks.logCall?.bind(hooks);
  const f = new Function("s", "h", "log", "N", `"use strict";\n${src}`)(
    slot,
    hooks,
    log,
    sig.name,
  ) as AnyFunction;
  Object.defineProperty(f, "name", { value: sig.name });
  return f;
}

/**
 * A function that throws `CLOSED`: what a slot holds once its plugin is
 * removed or its host closed.
 *
 * @param sig the function's signature
 * @param path the plugin file
 * @param why why it is closed
 * @returns the function
 */
export function closedFunction(sig: Signature, path: string, why: string): AnyFunction {
  return failingFunction(sig, () =>
    new CallError("CLOSED", path, sig.name, why, {
      hint:
        "ask the host for the plugin again; functions of a closed or removed plugin cannot be called",
    }));
}

/**
 * A function that fails every call with a fresh error: by rejecting the
 * Promise it returns when the function returns Promises (a `nonblocking`
 * signature, or `async` for a plugin in another process), else by throwing.
 *
 * @param sig the function's signature
 * @param error makes the error of one call
 * @param options `async`: the function returns Promises whatever its signature says
 * @returns the function
 */
export function failingFunction(
  sig: Signature,
  error: () => Error,
  options: { async?: boolean } = {},
): AnyFunction {
  // A function that returns a promise reports by rejecting it, never by throwing.
  return sig.nonblocking || options.async ? () => Promise.reject(error()) : () => {
    throw error();
  };
}
