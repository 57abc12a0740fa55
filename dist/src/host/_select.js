// Generated from src/host/_select.ts by tasks/dist.ts (deno task dist): do not edit.
import { checkInterface } from "../abi/define_interface.js";
import { PluginError } from "../errors/plugin_error.js";
export function interfaceRef(ref) {
    if (typeof ref !== "string") {
        return { id: ref.id, major: ref.version.major, minor: ref.version.minor, spec: ref };
    }
    const m = /^(.+)\/(\d{1,5})(?:\.(\d{1,5}))?$/.exec(ref);
    if (!m) {
        throw new PluginError("USAGE", `Invalid interface reference ${JSON.stringify(ref)}`, {
            hint: 'write it as "ID/MAJOR" or "ID/MAJOR.MINOR", e.g. "calc.op/1"',
        });
    }
    return {
        id: m[1],
        major: Number(m[2]),
        minor: m[3] === undefined ? undefined : Number(m[3]),
        spec: undefined,
    };
}
export function provides(meta, ref) {
    const found = meta.interfaces.find((i) => i.id === ref.id);
    if (!found || found.version.major !== ref.major)
        return false;
    if (ref.minor !== undefined && found.version.minor < ref.minor)
        return false;
    if (!ref.spec)
        return true;
    try {
        checkInterface(meta, ref.spec, "");
        return true;
    }
    catch {
        return false;
    }
}
const DF_1_NODELETE = 0x8;
export function isNodelete(elf) {
    return (elf.flags1 & DF_1_NODELETE) !== 0;
}
