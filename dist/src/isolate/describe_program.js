// Generated from src/isolate/describe_program.ts by tasks/dist.ts (deno task dist): do not edit.
import { LoadError } from "../errors/plugin_error.js";
import { logRecord } from "../log/log_record.js";
import { CrashError, describeChildExit } from "../errors/crash_error.js";
import { readFile } from "../file/read_file.js";
import { defaultLog } from "./_rpc_connection.js";
import { programSandbox } from "./isolate_executable.js";
import { checkProgram, ensureLauncherCached, LAUNCHER_DEFAULT, runOnce } from "./_rpc_process.js";
import { DEFAULT_MAX_LINE_BYTES, DESCRIBE_ARG, parseRpcMetadata, quoteShort, RPC_PROTOCOL, } from "./_rpc_protocol.js";
export async function describeProgram(path, options = {}) {
    checkProgram(path);
    const sandbox = options.sandbox
        ? programSandbox(readFile(path), options.sandbox, path)
        : undefined;
    await ensureLauncherCached();
    const timeoutMs = options.timeoutMs ?? 10000;
    const log = options.log ?? defaultLog;
    const r = await runOnce(path, {
        args: [DESCRIBE_ARG],
        env: options.env ?? {},
        mode: "describe",
        maxLineBytes: DEFAULT_MAX_LINE_BYTES,
        stdin: "null",
        launcher: options.launcher ?? LAUNCHER_DEFAULT,
        sandbox,
        timeoutMs,
        maxOutputBytes: DEFAULT_MAX_LINE_BYTES,
        onStderr: (line, pid) => {
            try {
                log(logRecord("info", "stderr", line, { path, pid }));
            }
            catch {
            }
        },
    });
    const exit = {
        pid: r.pid,
        exitCode: r.status.signal === null ? r.status.code : null,
        signal: r.status.signal,
        signalNumber: r.status.signal === null ? null : r.status.code - 128,
        stderrTail: r.stderrTail,
    };
    const bad = (found) => new LoadError("BAD_METADATA", {
        path,
        what: `the program does not describe itself (${DESCRIBE_ARG})`,
        expected: "exit status 0 and one metadata JSON object on stdout",
        found,
        hint: `make \`PROGRAM ${DESCRIBE_ARG}\` print its handshake object and exit 0 (docs/subprocess.md), or write the sidecar by hand`,
    });
    if (r.timedOut) {
        throw new LoadError("PLUGIN_TIMEOUT", {
            path,
            what: `the program did not answer ${DESCRIBE_ARG} in time`,
            expected: `its metadata within ${timeoutMs} ms`,
            found: `nothing; the program (pid ${r.pid}) was killed`,
            hint: `a plugin prints its metadata at once for ${DESCRIBE_ARG}; it may be waiting for input`,
        });
    }
    if (r.status.signal !== null) {
        throw new CrashError({
            ...exit,
            path,
            expected: `its metadata (${DESCRIBE_ARG})`,
            hint: "fix the plugin (its stderr above may say why)",
        });
    }
    if (r.overflow)
        throw bad(`more than ${DEFAULT_MAX_LINE_BYTES} bytes on stdout`);
    if (r.status.code !== 0) {
        const last = r.stderrTail.filter((l) => l.trim() !== "").at(-1);
        throw bad(`${describeChildExit(exit).replace("the child", "the program")}${last ? `; its stderr ended with ${quoteShort(last.trim(), 200)}` : ""}`);
    }
    const text = new TextDecoder().decode(r.stdout).trim();
    let value;
    try {
        value = JSON.parse(text);
    }
    catch {
        throw bad(text === "" ? "nothing on stdout" : `stdout that is not JSON: ${quoteShort(text)}`);
    }
    const metadata = parseRpcMetadata(value, path, "describe");
    return Object.freeze({ metadata, sidecar: formatSidecar(value) });
}
export function formatSidecar(value) {
    const { interfaces, ...rest } = value;
    const ordered = {
        [RPC_PROTOCOL]: value[RPC_PROTOCOL],
        name: value.name,
        version: value.version,
        abi: value.abi,
        mode: value.mode ?? "rpc",
        ...rest,
        interfaces,
    };
    return JSON.stringify(ordered, null, 2) + "\n";
}
