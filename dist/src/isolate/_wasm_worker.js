// Generated from src/isolate/_wasm_worker.ts by tasks/dist.ts (deno task dist): do not edit.
import { newHandleState } from "../handle/plugin.js";
import { WasmRuntime } from "../loader/wasm_runtime.js";
import { errorToData } from "./_protocol.js";
const scope = self;
let runtime;
const state = newHandleState();
const bound = [];
scope.onmessage = (e) => {
    const msg = e.data;
    switch (msg.type) {
        case "start": {
            const { wasi, ...init } = msg.init;
            const output = wasi?.output === "forward"
                ? (fd, bytes) => scope.postMessage({ type: "output", fd, bytes })
                : wasi?.output;
            try {
                runtime = new WasmRuntime({
                    ...init,
                    wasi: wasi && { ...wasi, output },
                    onInstance: (flag) => scope.postMessage({
                        type: "instance",
                        interrupt: flag?.buffer,
                    }),
                });
            }
            catch (err) {
                scope.postMessage({ type: "start-failed", error: errorToData(err) });
                return;
            }
            scope.postMessage({ type: "started" });
            return;
        }
        case "bind":
            for (const { index, sig } of msg.fns)
                bound[index] = runtime.bind(sig, state);
            return;
        case "call": {
            let value;
            try {
                value = bound[msg.index](...msg.args);
            }
            catch (err) {
                scope.postMessage({ type: "error", id: msg.id, error: errorToData(err) });
                return;
            }
            const buffers = msg.buffers.map((i) => msg.args[i]);
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
