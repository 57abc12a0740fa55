// Generated from src/host/_route.ts by tasks/dist.ts (deno task dist): do not edit.
import { CallError } from "../errors/plugin_error.js";
export function routeFunction(sig, slot, hooks, options = {}) {
    const args = sig.parameters.map((_, i) => `a${i}`).join(", ");
    let src;
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
    }
    else if (sig.nonblocking) {
        src = `return function routed(${args}) { return h.track(s.fn(${args})); };`;
    }
    else if (options.async) {
        src = `return function routed(${args}) {
  const r = s.fn(${args});
  return r instanceof Promise ? h.track(r) : r;
};`;
    }
    else {
        src = `return function routed(${args}) { return s.fn(${args}); };`;
    }
    const log = hooks.logCall?.bind(hooks);
    const f = new Function("s", "h", "log", "N", `"use strict";\n${src}`)(slot, hooks, log, sig.name);
    Object.defineProperty(f, "name", { value: sig.name });
    return f;
}
export function closedFunction(sig, path, why) {
    return failingFunction(sig, () => new CallError("CLOSED", path, sig.name, why, {
        hint: "ask the host for the plugin again; functions of a closed or removed plugin cannot be called",
    }));
}
export function failingFunction(sig, error, options = {}) {
    return sig.nonblocking || options.async ? () => Promise.reject(error()) : () => {
        throw error();
    };
}
