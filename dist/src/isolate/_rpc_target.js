// Generated from src/isolate/_rpc_target.ts by tasks/dist.ts (deno task dist): do not edit.
import { checkInterface } from "../abi/define_interface.js";
import { parseSignature, } from "../abi/signature.js";
import { bindRpcFunction, toPluginMetadata, } from "./_rpc_protocol.js";
export function bindFunction(target, sig) {
    return bindRpcFunction(target.metadata, typeof sig === "string" ? parseSignature(sig) : sig, target.path);
}
export function useInterface(target, spec) {
    checkInterface(toPluginMetadata(target.metadata), spec, target.path);
    const out = {};
    for (const [name, sig] of spec.signatures) {
        const fn = bindFunction(target, sig);
        out[name] = (...args) => target.call(fn, args);
    }
    return Object.freeze(out);
}
