// Generated from src/cli/sign_command.ts by tasks/dist.ts (deno task dist): do not edit.
import { checkPlugin } from "../check/check_plugin.js";
import { PluginError, quote } from "../errors/plugin_error.js";
import { writeFileAtomic } from "../file/write_file.js";
import { formatSignature, SIGNATURE_SUFFIX, signPlugin, } from "../registry/signature.js";
import { parseArgs } from "./_args.js";
import { readKeyText } from "./_keys.js";
import { EXIT_OK, toJson, UsageError } from "./_output.js";
export var signCommand = (function signCommand(args, io) {
    const a = parseArgs(args, { command: "sign", flags: ["json"], options: ["key", "out"] });
    if (a.flags.help) {
        io.out(SIGN_USAGE);
        return EXIT_OK;
    }
    if (a.positionals.length !== 1) {
        throw new UsageError(`sign takes one FILE, got ${a.positionals.length}`, "sign");
    }
    const keyPath = a.options.key;
    if (keyPath === undefined) {
        throw new UsageError("sign needs --key KEY, the private key `plugboard keygen` wrote", "sign");
    }
    const keyText = readKeyText(keyPath, "signing key");
    if (keyText.trim().startsWith("plugboard-ed25519:")) {
        throw new PluginError("BAD_SIGNATURE", `Invalid signing key ${quote(keyPath)}: expected an Ed25519 private key in PKCS#8 PEM, found a public key`, { path: keyPath, hint: "sign with the private key: KEY, not KEY.pub" });
    }
    const { identity } = checkPlugin(a.positionals[0]);
    let signature;
    try {
        signature = signPlugin(identity, keyText);
    }
    catch (e) {
        if (e instanceof PluginError && e.summary.startsWith("Invalid signing key:")) {
            throw new PluginError(e.code, `Invalid signing key ${quote(keyPath)}:${e.summary.slice("Invalid signing key:".length)}`, { path: keyPath, hint: e.hint, cause: e });
        }
        throw e;
    }
    const mode = Deno.statSync(keyPath).mode;
    if (mode !== null && (mode & 0o077) !== 0) {
        io.err(`warning: signing key ${keyPath} can be read by others (mode 0${(mode & 0o777).toString(8)}): chmod 600 ${keyPath}`);
    }
    const out = a.options.out ?? identity.path + SIGNATURE_SUFFIX;
    writeFileAtomic(out, formatSignature(signature));
    const plugin = `${identity.name}@${identity.version}`;
    if (a.flags.json) {
        io.out(toJson({
            path: identity.path,
            signature: out,
            plugin,
            kind: signature.signed.kind,
            sha256: identity.sha256,
            key: signature.key,
            keyId: signature.keyId,
        }));
        return EXIT_OK;
    }
    io.out(`signed ${plugin} (sha256 ${identity.sha256.slice(0, 12)}…) with key ${signature.keyId}: wrote ${out}`);
    return EXIT_OK;
});
export const SIGN_USAGE = `Usage: plugboard sign FILE --key KEY [--out SIG] [--json]

Sign a plugin with a publisher's private key (from \`plugboard keygen\`): an
Ed25519 signature over the file's SHA-256 and its identity (name, version,
kind, ABI, interfaces with their shape hashes), written to FILE.sig beside it,
where every host looks for it. FILE is read as \`inspect\` reads it (a .so, a
.wasm, or an executable with its PROGRAM.plugboard.json sidecar); nothing in
it is executed. A lockfile that trusts the key for the plugin's name and
version (\`plugboard trust --publisher KEY.pub --for NAME@RANGE\`) then
accepts it without a hash pin (docs/signatures.md).

Options:
  --key KEY  the private key (PKCS#8 PEM), e.g. the file keygen wrote
  --out SIG  write the signature there instead of FILE.sig
  --json     print what was signed as JSON
  --help     show this help

Permissions: --allow-read (FILE, its sidecar, KEY) and --allow-write on the
signature's directory (it is replaced through a temporary file there).`;
