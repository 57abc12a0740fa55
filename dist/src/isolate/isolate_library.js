// Generated from src/isolate/isolate_library.ts by tasks/dist.ts (deno task dist): do not edit.
import { parseDeclarations } from "../abi/define_interface.js";
import { checkLibrary } from "../check/check_plugin.js";
import { PluginError } from "../errors/plugin_error.js";
import { assertPlainSignatures, Library } from "../loader/open_library.js";
import { assertIsolatable } from "./_protocol.js";
import { PooledBackend, startPool } from "./isolate_native.js";
export async function isolateLibrary(path, declarations, options = {}) {
    const signatures = parseDeclarations(declarations);
    assertPlainSignatures(signatures.values(), path);
    for (const sig of signatures.values())
        assertIsolatable(sig, path, "library");
    if (!path.includes("/")) {
        throw new PluginError("USAGE", `Cannot isolate library ${JSON.stringify(path)}: expected a file path, found a soname that only the dynamic linker can resolve`, {
            path,
            hint: "pass the library's path (e.g. \"/usr/lib/x86_64-linux-gnu/" + path +
                '"), so its bytes can be checked and pinned',
        });
    }
    const checked = checkLibrary(path, signatures.keys(), options);
    const pool = await startPool({
        path,
        file: checked.file,
        name: path.slice(path.lastIndexOf("/") + 1),
        version: "",
        load: {
            kind: "library",
            functions: [...signatures.keys()],
            load: "memfd",
            init: false,
            allowInsecurePermissions: options.allowInsecurePermissions ?? false,
        },
        options,
    });
    const backend = new PooledBackend(pool, path, "library");
    try {
        return new Library({
            path,
            signatures,
            backend,
            calls: "async",
            isolation: "process",
        });
    }
    catch (e) {
        await backend.close();
        throw e;
    }
}
