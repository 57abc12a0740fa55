// Generated from src/open/open_library.ts by tasks/dist.ts (deno task dist): do not edit.
import { loadLibrary } from "../loader/open_library.js";
export var openLibrary = (function openLibrary(path, declarations, options = {}) {
    if (options.isolation === "process")
        return isolated(path, declarations, options);
    return loadLibrary(path, declarations, options);
});
var isolated = (async function isolated(path, declarations, options) {
    const { isolateLibrary } = await import("../isolate/isolate_library.js");
    return await isolateLibrary(path, declarations, options);
});
