/**
 * Plugin modules assembled by hand, for the checks that need what no
 * compiler writes: an export whose type is not its signature's, a runtime
 * function missing.
 *
 * @module
 */

import { custom, funcType, module, note, S, section, str, T, uleb, vec } from "./_builder.ts";

/**
 * A function: its type and a body returning a zero of each result type.
 *
 * @param params parameter types
 * @param results result types
 * @returns the type and the body
 */
export function fn(params: number[], results: number[]) {
  const consts = results.map((t) =>
    t === T.i64
      ? [0x42, 0]
      : t === T.f32
      ? [0x43, 0, 0, 0, 0]
      : t === T.f64
      ? [0x44, 0, 0, 0, 0, 0, 0, 0, 0]
      : [0x41, 0]
  ).flat();
  const body = [0x00, ...consts, 0x0b];
  return { type: funcType(params, results), body: [...uleb(body.length), ...body] };
}

/** A descriptor at address 16: size 20, ABI 1.0, no hooks. */
const DESCRIPTOR = [20, 0, 0, 0, 1, 0, 0, 0, ...new Array(12).fill(0)];

/** The runtime functions plugboard.h defines, with their wasm32 types. */
export const RUNTIME: Record<string, ReturnType<typeof fn>> = {
  plugboard_entry: {
    type: funcType([], [T.i32]),
    body: [4, 0x00, 0x41, 16, 0x0b], // i32.const 16
  },
  plugboard_take_error: fn([], [T.i32]),
  plugboard_alloc: fn([T.i32], [T.i32]),
  plugboard_free: fn([T.i32, T.i32], []),
};

/**
 * A plugin module by hand: plugboard notes declaring `i32 add(i32 a, i32 b)`
 * of interface `demo.add` 1.0, the runtime's exports (`plugboard_entry`
 * returns a valid descriptor), a memory and a table, and the given functions.
 *
 * @param functions the plugin's functions by name
 * @param options other runtime functions, or no table
 * @returns the module
 */
export function pluginModule(
  functions: Record<string, ReturnType<typeof fn>>,
  options: { runtime?: Record<string, ReturnType<typeof fn>>; table?: boolean } = {},
): Uint8Array<ArrayBuffer> {
  const all = Object.entries({ ...(options.runtime ?? RUNTIME), ...functions });
  return module(
    custom("plugboard", [
      ...note(1, "abi=1.0\nname=demo\nversion=1.0.0\nbuild_id=\ncompiler=hand\n"),
      ...note(2, "symbol=demo\nid=demo.add\nversion=1.0\n"),
      ...note(3, "interface=demo\nsignature=pb_i32 add(pb_i32 a, pb_i32 b)\nfallible=0\n"),
    ]),
    section(S.type, vec(all.map(([, f]) => f.type))),
    section(S.function, vec(all.map((_, i) => uleb(i)))),
    section(S.table, vec([[T.funcref, 0x00, 1]])),
    section(S.memory, vec([[0x00, 1]])),
    section(
      S.export,
      vec([
        [...str("memory"), 0x02, 0x00],
        ...(options.table === false ? [] : [[...str("__indirect_function_table"), 0x01, 0x00]]),
        ...all.map(([name], i) => [...str(name), 0x00, ...uleb(i)]),
      ]),
    ),
    section(S.code, vec(all.map(([, f]) => f.body))),
    section(S.data, vec([[0x00, 0x41, 16, 0x0b, ...uleb(DESCRIPTOR.length), ...DESCRIPTOR]])),
  );
}
