// Generated from src/cli/_sandbox_flags.ts by tasks/dist.ts (deno task dist): do not edit.
import { LoadError, PluginError } from "../errors/plugin_error.js";
import { resolveSandbox } from "../isolate/sandbox.js";
import { UsageError } from "./_output.js";
export var sandboxFlag = (function sandboxFlag(flags, command) {
    if (flags["no-sandbox"] && flags["allow-unconfined"]) {
        throw new UsageError("--no-sandbox and --allow-unconfined exclude each other: --no-sandbox never confines, --allow-unconfined confines as far as the kernel can", command);
    }
    return flags["no-sandbox"] ? "off" : flags["allow-unconfined"] ? "allow-unconfined" : "default";
});
export var chooseSandbox = (function chooseSandbox(flag, path, io, what, quiet = false) {
    if (flag === "off") {
        if (!quiet) {
            io.err(`warning: ${what} unconfined (--no-sandbox): the plugin's code runs with every right of this user`);
        }
        return { option: false, mode: "off", shortfall: null };
    }
    if (flag === "default" || path === undefined) {
        return { option: true, mode: "confined", shortfall: null };
    }
    const option = { allowUnconfined: true };
    try {
        resolveSandbox(true, { path, realPath: path });
        return { option, mode: "confined", shortfall: null };
    }
    catch (e) {
        if (!(e instanceof LoadError) || e.code !== "SANDBOX_UNAVAILABLE")
            throw e;
        const shortfall = `expected ${e.expected}, found ${e.found}`;
        if (!quiet) {
            io.err(`warning: the kernel cannot enforce the sandbox: ${shortfall}; ${what} with what it can enforce (--allow-unconfined)`);
        }
        return { option, mode: "reduced", shortfall };
    }
});
export var withSandboxFlags = (function withSandboxFlags(e) {
    if (e.code !== "SANDBOX_UNAVAILABLE")
        return e;
    return new PluginError(e.code, e.summary, {
        path: e.path,
        hint: `${e.hint ?? ""}\non the command line: --allow-unconfined runs it with what this kernel can enforce, --no-sandbox without a sandbox`,
        cause: e,
    });
});
