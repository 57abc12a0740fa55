// Generated from src/errors/plugin_error.ts by tasks/dist.ts (deno task dist): do not edit.
export var quote = (function quote(s) {
    return JSON.stringify(s);
});
export class PluginError extends Error {
    code;
    summary;
    hint;
    path;
    constructor(code, summary, options = {}) {
        super(options.hint ? `${summary}\nhint: ${options.hint}` : summary, options.cause === undefined ? undefined : { cause: options.cause });
        this.name = new.target.name;
        this.code = code;
        this.summary = summary;
        this.hint = options.hint;
        this.path = options.path;
    }
    toJSON() {
        return {
            code: this.code,
            message: this.summary,
            ...(this.hint ? { hint: this.hint } : {}),
            ...(this.path ? { path: this.path } : {}),
        };
    }
}
export class LoadError extends PluginError {
    expected;
    found;
    constructor(code, details) {
        super(code, `Cannot load plugin ${quote(details.path)}: ${details.what}: expected ${details.expected}, found ${details.found}`, { path: details.path, hint: details.hint, cause: details.cause });
        this.expected = details.expected;
        this.found = details.found;
    }
}
export class CallError extends PluginError {
    function;
    pluginCode;
    constructor(code, path, fn, detail, options = {}) {
        super(code, `Call to ${quote(fn)} in plugin ${quote(path)} failed: ${detail}`, {
            path,
            hint: options.hint,
            cause: options.cause,
        });
        this.function = fn;
        this.pluginCode = options.pluginCode;
    }
}
