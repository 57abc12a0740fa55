// Generated from src/isolate/_rpc_oneshot.ts by tasks/dist.ts (deno task dist): do not edit.
import { CallError, PluginError, quote } from "../errors/plugin_error.js";
import { logRecord } from "../log/log_record.js";
import { CrashError, describeChildExit } from "../errors/crash_error.js";
import { defaultLog } from "./_rpc_connection.js";
import { checkProgram, LAUNCHER_DEFAULT, runOnce, } from "./_rpc_process.js";
import { checkArguments, decodeTextResult, DEFAULT_MAX_LINE_BYTES, ProtocolViolation, valueToText, } from "./_rpc_protocol.js";
import { bindFunction, useInterface } from "./_rpc_target.js";
export function openOneShot(path, metadata, options = {}) {
    if (metadata.mode !== "oneshot") {
        throw new PluginError("USAGE", `Cannot run plugin ${quote(path)} once per call: its metadata declares mode ${quote(metadata.mode)}`, { path, hint: "start rpc plugins with openRpcConnection()" });
    }
    checkProgram(path, options.sha256);
    return new OneShotProgram(path, metadata, options);
}
export class OneShotProgram {
    path;
    metadata;
    #opts;
    #running = new Set();
    #calls = new Set();
    #closed = false;
    constructor(path, metadata, options = {}) {
        this.path = path;
        this.metadata = metadata;
        this.#opts = options;
    }
    get running() {
        return this.#calls.size;
    }
    function(sig) {
        return bindFunction(this, sig);
    }
    use(spec) {
        return useInterface(this, spec);
    }
    call(fn, args, timeoutMs = this.#opts.timeoutMs ?? Infinity) {
        const name = fn.sig.name;
        if (this.#closed) {
            return Promise.reject(new CallError("CLOSED", this.path, name, "the plugin is closed", {
                hint: "open it again; a closed plugin cannot be called",
            }));
        }
        try {
            checkArguments(fn, args, this.path);
        }
        catch (e) {
            return Promise.reject(e);
        }
        const params = fn.sig.parameters;
        const argv = [name, ...params.map((t, i) => valueToText(t, args[i]))];
        const log = this.#opts.log ?? defaultLog;
        let proc;
        const run = runOnce(this.path, {
            args: argv,
            env: this.#opts.env ?? {},
            cwd: this.#opts.cwd,
            mode: "oneshot",
            maxLineBytes: this.#opts.maxOutputBytes ?? DEFAULT_MAX_LINE_BYTES,
            stdin: "null",
            launcher: this.#opts.launcher ?? LAUNCHER_DEFAULT,
            sandbox: this.#opts.sandbox,
            timeoutMs,
            maxOutputBytes: this.#opts.maxOutputBytes ?? DEFAULT_MAX_LINE_BYTES,
            onStderr: (line, pid) => {
                try {
                    log(logRecord("info", "stderr", line, {
                        plugin: this.metadata.name,
                        version: this.metadata.version,
                        path: this.path,
                        pid,
                    }));
                }
                catch {
                }
            },
            onStart: (p) => {
                proc = p;
                this.#running.add(p);
            },
        });
        const call = run.then((r) => this.#result(fn, r, timeoutMs));
        this.#calls.add(call);
        const forget = () => {
            this.#calls.delete(call);
            if (proc)
                this.#running.delete(proc);
        };
        call.then(forget, forget);
        return call;
    }
    async close() {
        this.#closed = true;
        for (const p of this.#running)
            p.stop();
        await Promise.allSettled([...this.#calls]);
    }
    async [Symbol.asyncDispose]() {
        await this.close();
    }
    #result(fn, r, timeoutMs) {
        const name = fn.sig.name;
        const exit = Object.freeze({
            pid: r.pid,
            exitCode: r.status.signal === null ? r.status.code : null,
            signal: r.status.signal,
            signalNumber: r.status.signal === null ? null : r.status.code - 128,
            stderrTail: Object.freeze([...r.stderrTail]),
        });
        const program = describeChildExit(exit).replace("the child", "the program");
        const crash = (found, hint) => new CrashError({
            ...exit,
            path: this.path,
            expected: `a result of ${name}()`,
            function: name,
            found,
            hint,
        });
        if (r.timedOut) {
            throw new CallError("PLUGIN_TIMEOUT", this.path, name, `expected a result within ${timeoutMs} ms, found none: the program (pid ${r.pid}) was killed`, { hint: "the plugin hangs or is slower than timeoutMs allows; fix it or raise timeoutMs" });
        }
        if (this.#closed && (r.status.signal !== null || r.status.code !== 0)) {
            throw new CallError("CLOSED", this.path, name, `the plugin was closed before the call returned: the program (pid ${r.pid}) was killed`, { hint: "wait for calls before closing" });
        }
        if (r.overflow) {
            throw crash(`a standard output longer than the limit of ${this.#opts.maxOutputBytes ?? DEFAULT_MAX_LINE_BYTES} bytes; the program (pid ${r.pid}) was killed`, "a one-shot call prints one result on stdout; raise maxOutputBytes if it is really that large");
        }
        if (r.status.signal !== null) {
            throw crash(program, "the host kept running; fix the plugin (its stderr above may say why)");
        }
        if (r.status.code !== 0) {
            const last = r.stderrTail.filter((l) => l.trim() !== "").at(-1)?.trim();
            throw new CallError("CALL_FAILED", this.path, name, last ?? `the program exited with status ${r.status.code}`, {
                pluginCode: r.status.code,
                hint: `the plugin reported this error (exit status ${r.status.code}); check the arguments or the plugin's documentation`,
            });
        }
        let text;
        try {
            text = new TextDecoder("utf-8", { fatal: true }).decode(r.stdout);
        }
        catch {
            throw crash("a standard output that is not UTF-8", ONE_RESULT);
        }
        text = text.endsWith("\r\n")
            ? text.slice(0, -2)
            : text.endsWith("\n")
                ? text.slice(0, -1)
                : text;
        try {
            return decodeTextResult(fn.sig.result, text);
        }
        catch (e) {
            if (!(e instanceof ProtocolViolation))
                throw e;
            throw crash(e.found, ONE_RESULT);
        }
    }
}
const ONE_RESULT = 'a one-shot call prints its result as text on stdout (docs/subprocess.md, "One-shot mode"), and diagnostics on stderr';
