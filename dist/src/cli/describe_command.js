// Generated from src/cli/describe_command.ts by tasks/dist.ts (deno task dist): do not edit.
import { formatVersionPair } from "../abi/abi_version.js";
import { examinePlugin, formatOf } from "../check/check_plugin.js";
import { SIDECAR_SUFFIX, toPluginMetadata } from "../check/sidecar.js";
import { LoadError, PluginError, quote } from "../errors/plugin_error.js";
import { writeFileAtomic } from "../file/write_file.js";
import { describeProgram } from "../isolate/describe_program.js";
import { canonicalSignature, declaredSignature } from "../abi/signature.js";
import { parseArgs } from "./_args.js";
import { errorLines, EXIT_OK, EXIT_PLUGIN_ERROR, shellWord, toJson, UsageError, } from "./_output.js";
import { chooseSandbox, sandboxFlag, withSandboxFlags } from "./_sandbox_flags.js";
export var describeCommand = (async function describeCommand(args, io) {
    const a = parseArgs(args, {
        command: "describe",
        flags: ["run", "write", "json", "no-sandbox", "allow-unconfined"],
    });
    if (a.flags.help) {
        io.out(DESCRIBE_USAGE);
        return EXIT_OK;
    }
    if (a.positionals.length !== 1) {
        throw new UsageError(`describe takes one PROGRAM, got ${a.positionals.length}`, "describe");
    }
    const flag = sandboxFlag(a.flags, "describe");
    if (!a.flags.run) {
        const needsRun = a.flags.write
            ? "--write"
            : flag === "off"
                ? "--no-sandbox"
                : flag === "allow-unconfined"
                    ? "--allow-unconfined"
                    : undefined;
        if (needsRun) {
            throw new UsageError(`${needsRun} is for describe --run: without --run the program is not run`, "describe");
        }
    }
    const given = a.positionals[0];
    const program = given.endsWith(SIDECAR_SUFFIX) ? given.slice(0, -SIDECAR_SUFFIX.length) : given;
    const sidecarPath = program + SIDECAR_SUFFIX;
    const checked = examinePlugin(program);
    const candidate = checked.candidate;
    if (candidate && candidate.kind !== "executable") {
        throw new PluginError("USAGE", `${quote(program)} is a ${candidate.kind} plugin: expected an executable with a sidecar, found metadata in the file itself`, { path: program, hint: `plugboard inspect ${shellWord(program)} shows it` });
    }
    if (!candidate && a.flags.run && /\.(?:so(?:\.\d+)*|wasm)$/.test(program)) {
        throw checked.errors[0];
    }
    const sidecar = candidate ? formatOf(candidate).sidecar : undefined;
    const sidecarError = candidate ? undefined : checked.errors[0];
    if (sidecarError && (!a.flags.run || FILE_CODES.has(sidecarError.code)))
        throw sidecarError;
    if (!a.flags.run) {
        if (a.flags.json) {
            io.out(toJson({
                program,
                sha256: candidate.file.sha256,
                sidecar: { path: sidecarPath, sha256: sidecar.sha256 },
                metadata: metadataJson(sidecar.rpc),
                ran: false,
            }));
            return EXIT_OK;
        }
        printMetadata(sidecar.rpc, io, program, [
            ["sidecar", `${sidecarPath} (SHA-256 ${sidecar.sha256.slice(0, 12)}…)`],
            ["SHA-256", candidate.file.sha256],
        ]);
        io.out(`not run: read from the sidecar (plugboard describe ${shellWord(program)} --run asks the program, confined)`);
        return EXIT_OK;
    }
    const sandbox = chooseSandbox(flag, program, io, "running the program", a.flags.json);
    const described = await describeProgram(program, {
        sandbox: sandbox.option,
        log: (r) => {
            if (r.event === "stderr")
                io.err(`stderr: ${r.message}`);
        },
    }).catch((e) => {
        throw e instanceof PluginError ? withSandboxFlags(e) : e;
    });
    const answer = described.metadata;
    const differences = sidecar ? metadataDifferences(sidecar.rpc, answer) : [];
    let written;
    if (a.flags.write) {
        const before = readTextOrUndefined(sidecarPath);
        written = before !== described.sidecar;
        if (written)
            writeFileAtomic(sidecarPath, described.sidecar);
    }
    const how = sandbox.mode === "off"
        ? "unconfined"
        : sandbox.mode === "reduced"
            ? "confined as far as the kernel can"
            : "confined";
    if (a.flags.json) {
        io.out(toJson({
            program,
            sidecar: {
                path: sidecarPath,
                metadata: sidecar ? metadataJson(sidecar.rpc) : null,
                error: sidecarError ? sidecarError.toJSON() : null,
            },
            ran: true,
            sandbox: { mode: sandbox.mode, shortfall: sandbox.shortfall },
            described: metadataJson(answer),
            differences,
            written: written ?? false,
        }));
        return !a.flags.write && (sidecarError || differences.length) ? EXIT_PLUGIN_ERROR : EXIT_OK;
    }
    io.out(`ran ${program} --plugboard-describe (${how})`);
    if (!sidecar) {
        io.out("it says:");
        printMetadata(answer, io, program, []);
    }
    else if (differences.length === 0) {
        io.out(`it describes itself as its sidecar ${sidecarPath} says`);
    }
    else {
        io.out(`it differs from its sidecar ${sidecarPath}:`);
        for (const d of differences)
            io.out(`  ${d.what}: sidecar ${d.sidecar}, program ${d.program}`);
    }
    if (a.flags.write) {
        io.out(written ? `wrote ${sidecarPath}` : `kept ${sidecarPath}: unchanged`);
        return EXIT_OK;
    }
    if (sidecarError) {
        for (const line of errorLines(sidecarError, io.color))
            io.err(line);
        return EXIT_PLUGIN_ERROR;
    }
    if (differences.length) {
        const e = new LoadError("METADATA_MISMATCH", {
            path: program,
            what: `its --plugboard-describe answer differs from its sidecar ${quote(sidecarPath)}`,
            expected: "what the sidecar says",
            found: `${differences.length} difference(s), listed above`,
            hint: `review the program; if the change is intended, rewrite the sidecar (plugboard describe ${shellWord(program)} --run --write) and trust it again`,
        });
        for (const line of errorLines(e, io.color))
            io.err(line);
        return EXIT_PLUGIN_ERROR;
    }
    return EXIT_OK;
});
var printMetadata = (function printMetadata(m, io, program, rows) {
    const hashes = new Map(toPluginMetadata(m).interfaces.map((i) => [i.id, i.hash]));
    const row = (k, v) => io.out(`  ${k.padEnd(13)}${v}`);
    io.out(`${m.name} ${m.version}  (${program})`);
    for (const [k, v] of rows)
        row(k, v);
    row("protocol", `plugboard-rpc/${m.protocol}, mode ${m.mode}`);
    row("ABI", formatVersionPair(m.abi));
    io.out("  interfaces");
    for (const i of m.interfaces) {
        io.out(`    ${i.id}/${formatVersionPair(i.version)}  (shape ${hashes.get(i.id).slice(0, 12)})`);
        for (const f of i.functions)
            io.out(`      ${declaredSignature(f)}`);
    }
});
var metadataJson = (function metadataJson(m) {
    const hashes = new Map(toPluginMetadata(m).interfaces.map((i) => [i.id, i.hash]));
    return {
        "plugboard-rpc": m.protocol,
        name: m.name,
        version: m.version,
        abi: formatVersionPair(m.abi),
        mode: m.mode,
        interfaces: m.interfaces.map((i) => ({
            id: i.id,
            version: formatVersionPair(i.version),
            hash: hashes.get(i.id),
            functions: i.functions.map(declaredSignature),
        })),
    };
});
var metadataDifferences = (function metadataDifferences(sidecar, program) {
    const out = [];
    const field = (what, s, p) => {
        if (s !== p)
            out.push({ what, sidecar: s, program: p });
    };
    field("protocol", `plugboard-rpc/${sidecar.protocol}`, `plugboard-rpc/${program.protocol}`);
    field("name", quote(sidecar.name), quote(program.name));
    field("version", quote(sidecar.version), quote(program.version));
    field("ABI", formatVersionPair(sidecar.abi), formatVersionPair(program.abi));
    field("mode", sidecar.mode, program.mode);
    const ids = [
        ...new Set([...sidecar.interfaces, ...program.interfaces].map((i) => i.id)),
    ].sort();
    for (const id of ids) {
        const s = sidecar.interfaces.find((i) => i.id === id);
        const p = program.interfaces.find((i) => i.id === id);
        if (!s || !p) {
            const label = (i) => i ? `${id}/${formatVersionPair(i.version)}` : "none";
            out.push({ what: `interface ${id}`, sidecar: label(s), program: label(p) });
            continue;
        }
        field(`interface ${id} version`, formatVersionPair(s.version), formatVersionPair(p.version));
        const byName = (fns) => new Map(fns.map((f) => [f.name, f]));
        const sf = byName(s.functions);
        const pf = byName(p.functions);
        for (const name of [...new Set([...sf.keys(), ...pf.keys()])].sort()) {
            const a = sf.get(name);
            const b = pf.get(name);
            if (a && b && canonicalSignature(a) === canonicalSignature(b))
                continue;
            out.push({
                what: `interface ${id}, function ${name}`,
                sidecar: a ? quote(declaredSignature(a)) : "none",
                program: b ? quote(declaredSignature(b)) : "none",
            });
        }
    }
    return out;
});
var readTextOrUndefined = (function readTextOrUndefined(path) {
    try {
        return Deno.readTextFileSync(path);
    }
    catch {
        return undefined;
    }
});
export const DESCRIBE_USAGE = `Usage: plugboard describe PROGRAM [--json]
       plugboard describe PROGRAM --run [--write] [--no-sandbox | --allow-unconfined] [--json]

Show a subprocess plugin's metadata (docs/subprocess.md) as every host reads
it: from its sidecar PROGRAM.plugboard.json, with the program's SHA-256, the
interfaces with their shape hashes and the functions as declared. Without
--run the program is never executed.

--run asks the program itself: it runs \`PROGRAM --plugboard-describe\` once,
confined by the OS sandbox (as \`plugboard probe\` confines a plugin: it may
read and execute itself and its interpreter, nothing else; no writing, no
network, no new processes), and shows how its answer differs from the
sidecar (exit 1 when it does). Review the program before running it.

Options:
  --run               run the program's describe mode, confined
  --write             with --run: write the sidecar from the program's answer
  --allow-unconfined  with --run: where the kernel cannot enforce the whole
                      sandbox, apply what it can (a line on standard error
                      says what is missing) instead of SANDBOX_UNAVAILABLE
  --no-sandbox        with --run: run the program unconfined
  --json              print the result as JSON
  --help              show this help

Permissions: --allow-read (PROGRAM and its sidecar); --run adds --allow-run
for Deno's executable (the program is started through plugboard's launcher)
and --allow-ffi (to ask the kernel what it can enforce); --write adds
--allow-write on the program's directory.`;
const FILE_CODES = new Set([
    "NOT_FOUND",
    "NOT_A_FILE",
    "PERMISSION_DENIED",
    "INSECURE_PERMISSIONS",
]);
