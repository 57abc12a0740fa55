// Generated from src/cli/keygen_command.ts by tasks/dist.ts (deno task dist): do not edit.
import { dirname } from "../file/paths.js";
import { generateSigningKey } from "../registry/signature.js";
import { parseArgs } from "./_args.js";
import { defaultKeyPath, existsError, PUBLIC_KEY_SUFFIX, writeKeyFile } from "./_keys.js";
import { EXIT_OK, shellWord, toJson, UsageError } from "./_output.js";
export var keygenCommand = (function keygenCommand(args, io) {
    const a = parseArgs(args, { command: "keygen", flags: ["force", "json"], options: ["out"] });
    if (a.flags.help) {
        io.out(KEYGEN_USAGE);
        return EXIT_OK;
    }
    if (a.positionals.length > 0) {
        throw new UsageError(`keygen takes no ${JSON.stringify(a.positionals[0])}: name the key file with --out KEY`, "keygen");
    }
    const out = a.options.out ?? defaultKeyPath();
    if (out === undefined) {
        throw new UsageError("keygen needs --out KEY: the default place needs HOME or XDG_CONFIG_HOME (--allow-env=HOME,XDG_CONFIG_HOME)", "keygen");
    }
    if (out.endsWith(PUBLIC_KEY_SUFFIX)) {
        throw new UsageError(`--out ${JSON.stringify(out)} ends in ${PUBLIC_KEY_SUFFIX}: --out names the private key, and its public half goes beside it as KEY${PUBLIC_KEY_SUFFIX}`, "keygen");
    }
    const pub = out + PUBLIC_KEY_SUFFIX;
    const existing = [out, pub].filter(exists);
    if (existing.length > 0 && !a.flags.force)
        throw existsError(existing[0]);
    if (a.options.out === undefined)
        Deno.mkdirSync(dirname(out), { recursive: true, mode: 0o700 });
    const key = generateSigningKey();
    writeKeyFile(out, key.privateKey, { mode: 0o600, replace: a.flags.force });
    writeKeyFile(pub, key.key + "\n", { mode: 0o644, replace: a.flags.force });
    if (a.flags.json) {
        io.out(toJson({ key: key.key, id: key.id, privateKey: out, publicKey: pub }));
        return EXIT_OK;
    }
    const verb = existing.length > 0 ? "replaced" : "wrote";
    io.out(`public key ${key.key}`);
    io.out(`key id     ${key.id}`);
    io.out(`${verb.padEnd(10)} ${out} (private, mode 0600: keep it secret) and ${pub}`);
    io.out(`sign with  plugboard sign FILE --key ${shellWord(out)}`);
    io.out(`trust with plugboard trust --publisher ${shellWord(pub)} --for "NAME@RANGE"`);
    return EXIT_OK;
});
var exists = (function exists(path) {
    try {
        Deno.lstatSync(path);
        return true;
    }
    catch {
        return false;
    }
});
export const KEYGEN_USAGE = `Usage: plugboard keygen [--out KEY] [--force] [--json]

Make a publisher's signing key (Ed25519): the private key goes to KEY (PKCS#8
PEM, mode 0600: keep it secret), its public half to KEY.pub (one line,
plugboard-ed25519:...). The public key and its id are printed: the form
\`plugboard trust --publisher\` and the lockfile take. Sign plugins with
\`plugboard sign FILE --key KEY\` (docs/signatures.md).

An existing KEY or KEY.pub is never overwritten unless --force is given (a
replaced key cannot sign again: plugins it signed keep verifying only as long
as lockfiles trust its public key).

Options:
  --out KEY  where to write the private key (default:
             $XDG_CONFIG_HOME/plugboard/signing.key, else
             ~/.config/plugboard/signing.key; its directory is made, mode 0700)
  --force    replace KEY and KEY.pub if they exist
  --json     print {"key", "id", "privateKey", "publicKey"} as JSON
  --help     show this help

Permissions: --allow-write on KEY's directory (the files are written through
a temporary file there) and --allow-read of it; without --out also
--allow-env=HOME,XDG_CONFIG_HOME.`;
