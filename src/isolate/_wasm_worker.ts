/**
 * The Worker of a WebAssembly plugin opened with `isolation: "worker"`: it
 * instantiates the module its host compiled (and posted), and serves calls
 * one at a time with the same runtime as in process (`WasmRuntime`). After a
 * trap, or an interrupt at a deadline, the runtime replaces the instance.
 * Each instance's interrupt flag goes to the host as soon as the instance
 * exists (before its constructors run), so the host can stop any code.
 *
 * Messages, host to worker: `start`, `bind`, `call`, `close`; worker to
 * host: `instance`, `started`, `start-failed`, `result`, `error`, `output`,
 * `closed`.
 *
 * @module
 */

import type { Signature } from "../abi/signature.ts";
import { newHandleState } from "../handle/plugin.ts";
import type { WasiOptions } from "../loader/open_wasm.ts";
import { WasmRuntime, type WasmRuntimeInit } from "../loader/wasm_runtime.ts";
import { errorToData } from "./_protocol.ts";

/** What the host sends. */
export type ToWorker =
  | {
    type: "start";
    init: Omit<WasmRuntimeInit, "wasi" | "onInstance"> & {
      wasi:
        | (Omit<WasiOptions, "output"> & { output?: "stderr" | "ignore" | "forward" })
        | undefined;
    };
  }
  | { type: "bind"; fns: { index: number; sig: Signature }[] }
  | { type: "call"; id: number; index: number; args: unknown[]; buffers: readonly number[] }
  | { type: "close" };

/** What the worker sends. */
export type FromWorker =
  | { type: "instance"; interrupt: SharedArrayBuffer | undefined }
  | { type: "started" }
  | { type: "start-failed"; error: ReturnType<typeof errorToData> }
  | {
    type: "result";
    id: number;
    value: unknown;
    buffers: Uint8Array[];
  }
  | {
    type: "error";
    id: number;
    error: ReturnType<typeof errorToData>;
  }
  | { type: "output"; fd: 1 | 2; bytes: Uint8Array }
  | { type: "closed"; problem: string | undefined };

const scope = self as unknown as {
  postMessage(m: FromWorker): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  close(): void;
};

let runtime: WasmRuntime | undefined;
const state = newHandleState();
// deno-lint-ignore ban-types
const bound: Function[] = [];

scope.onmessage = (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  switch (msg.type) {
    case "start": {
      const { wasi, ...init } = msg.init;
      const output = wasi?.output === "forward"
        ? (fd: 1 | 2, bytes: Uint8Array) => scope.postMessage({ type: "output", fd, bytes })
        : wasi?.output;
      try {
        runtime = new WasmRuntime({
          ...init,
          wasi: wasi && { ...wasi, output },
          onInstance: (flag) =>
            scope.postMessage({
              type: "instance",
              interrupt: flag?.buffer as SharedArrayBuffer | undefined,
            }),
        });
      } catch (err) {
        scope.postMessage({ type: "start-failed", error: errorToData(err) });
        return;
      }
      scope.postMessage({ type: "started" });
      return;
    }
    case "bind":
      for (const { index, sig } of msg.fns) bound[index] = runtime!.bind(sig, state);
      return;
    case "call": {
      let value: unknown;
      try {
        value = bound[msg.index](...msg.args);
      } catch (err) {
        scope.postMessage({ type: "error", id: msg.id, error: errorToData(err) });
        return;
      }
      const buffers = msg.buffers.map((i) => msg.args[i] as Uint8Array);
      scope.postMessage({ type: "result", id: msg.id, value, buffers });
      return;
    }
    case "close": {
      state.closed = true;
      const problem = runtime?.close();
      scope.postMessage({ type: "closed", problem });
      scope.close();
      return;
    }
  }
};
