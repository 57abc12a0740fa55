// Generated from src/isolate/sandbox.ts by tasks/dist.ts (deno task dist): do not edit.
import { resolve } from "../file/paths.js";
import { planSandbox, sandboxSupport } from "./_sandbox.js";
export function resolveSandbox(option, plugin) {
    if (option === undefined || option === false)
        return undefined;
    const o = option === true ? {} : option;
    const abs = (paths) => (paths ?? []).map((p) => resolve(p));
    const policy = {
        read: [plugin.realPath, "/proc/self/maps", ...abs(o.read)],
        write: abs(o.write),
        execute: [...abs(plugin.execute), ...abs(o.execute)],
        network: o.network ?? false,
        processes: o.processes ?? false,
        unixSockets: o.unixSockets ?? false,
    };
    const resolved = {
        policy,
        bestEffort: o.bestEffort ?? false,
        allowUnconfined: o.allowUnconfined ?? false,
    };
    planSandbox(policy, sandboxSupport(), { ...resolved, path: plugin.path });
    return resolved;
}
export const SANDBOX_MODULE = new URL("./_sandbox.js", import.meta.url).href;
