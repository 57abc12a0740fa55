// Generated from src/isolate/read_sidecar.ts by tasks/dist.ts (deno task dist): do not edit.
import { sha256Hex } from "../file/sha256.js";
import { LoadError } from "../errors/plugin_error.js";
import { DEFAULT_MAX_LINE_BYTES, parseRpcMetadata, quoteShort, SIDECAR_SUFFIX, } from "./_rpc_protocol.js";
export function sidecarPath(program) {
    return program + SIDECAR_SUFFIX;
}
export function readSidecar(program, options = {}) {
    const path = sidecarPath(program);
    const programBytes = readFile(program, program, "the program");
    const bytes = readFile(program, path, "its sidecar");
    const bad = (found) => new LoadError("BAD_METADATA", {
        path: program,
        what: `the sidecar ${JSON.stringify(path)} is invalid`,
        expected: "one JSON object in UTF-8",
        found,
        hint: "rewrite the sidecar with `plugboard describe PROGRAM --run --write` (docs/subprocess.md)",
    });
    if (bytes.length > DEFAULT_MAX_LINE_BYTES) {
        throw bad(`${bytes.length} bytes (the limit is ${DEFAULT_MAX_LINE_BYTES})`);
    }
    let text;
    try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    }
    catch {
        throw bad("bytes that are not UTF-8");
    }
    let value;
    try {
        value = JSON.parse(text);
    }
    catch (e) {
        throw bad(`text that is not JSON (${e.message}): ${quoteShort(text.trim())}`);
    }
    const metadata = parseRpcMetadata(value, program, "sidecar", {
        versions: options.versions,
        hostAbi: options.hostAbi,
        file: path,
    });
    return Object.freeze({
        program,
        path,
        metadata,
        sha256: sha256Hex(bytes),
        programSha256: sha256Hex(programBytes),
    });
}
function readFile(program, file, what) {
    try {
        return Deno.readFileSync(file);
    }
    catch (e) {
        if (e instanceof Deno.errors.NotFound) {
            throw new LoadError("NOT_FOUND", {
                path: program,
                what: `no ${what === "the program" ? "such program" : "sidecar"}`,
                expected: what === "the program"
                    ? "an existing executable"
                    : `${JSON.stringify(file)} next to the program`,
                found: "nothing at that path",
                hint: what === "the program"
                    ? "check the path"
                    : "review the program, then write its sidecar with `plugboard describe PROGRAM --run --write`",
                cause: e,
            });
        }
        if (e instanceof Deno.errors.IsADirectory) {
            throw new LoadError("NOT_A_FILE", {
                path: program,
                what: `${what} is not a regular file`,
                expected: "a file",
                found: "a directory",
                hint: "name the plugin's program",
                cause: e,
            });
        }
        throw new LoadError("PERMISSION_DENIED", {
            path: program,
            what: `cannot read ${what}`,
            expected: "a readable file",
            found: e instanceof Error ? e.message : String(e),
            hint: `grant the host read access to ${file}`,
            cause: e,
        });
    }
}
