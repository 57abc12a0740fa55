// Generated from src/cli/_keys.ts by tasks/dist.ts (deno task dist): do not edit.
import { basename, dirname, join, resolve } from "../file/paths.js";
import { PluginError, quote } from "../errors/plugin_error.js";
import { writeError } from "../file/write_file.js";
import { publicKeyOf } from "../registry/signature.js";
export var defaultKeyPath = (function defaultKeyPath() {
    const env = (variable) => Deno.permissions.querySync({ name: "env", variable }).state === "granted"
        ? Deno.env.get(variable)
        : undefined;
    const xdg = env("XDG_CONFIG_HOME");
    if (xdg)
        return join(xdg, "plugboard", "signing.key");
    const home = env("HOME");
    if (home)
        return join(home, ".config", "plugboard", "signing.key");
    return undefined;
});
export var writeKeyFile = (function writeKeyFile(path, text, options) {
    const target = resolve(path);
    const tmp = join(dirname(target), `.${basename(target)}.tmp-${Deno.pid}-${Math.random().toString(36).slice(2, 10)}`);
    try {
        const file = Deno.openSync(tmp, { write: true, createNew: true, mode: options.mode });
        try {
            Deno.chmodSync(tmp, options.mode);
            const bytes = new TextEncoder().encode(text);
            let off = 0;
            while (off < bytes.length)
                off += file.writeSync(bytes.subarray(off));
            file.syncSync();
        }
        finally {
            file.close();
        }
        if (options.replace) {
            Deno.renameSync(tmp, target);
        }
        else {
            try {
                Deno.linkSync(tmp, target);
            }
            finally {
                removeQuietly(tmp);
            }
        }
    }
    catch (e) {
        removeQuietly(tmp);
        if (e instanceof Deno.errors.AlreadyExists)
            throw existsError(path);
        throw writeError(e, path);
    }
});
export var existsError = (function existsError(path) {
    return new PluginError("USAGE", `Cannot write key file ${quote(path)}: expected no file there, found one`, {
        path,
        hint: "a key that is replaced cannot sign again: name another --out, or pass --force to replace it",
    });
});
export var publicKeyArg = (function publicKeyArg(arg) {
    if (arg.trim().startsWith(KEY_TEXT))
        return publicKeyOf(arg);
    const text = readKeyText(arg, "public key");
    if (text.includes("PRIVATE KEY")) {
        throw new PluginError("USAGE", `Expected a public key in ${quote(arg)}, found a private key`, {
            path: arg,
            hint: `pass its public half, ${arg}${PUBLIC_KEY_SUFFIX} (plugboard keygen writes both); a private key stays with whoever signs`,
        });
    }
    try {
        return publicKeyOf(text);
    }
    catch {
        throw new PluginError("BAD_SIGNATURE", `Invalid public key file ${quote(arg)}: expected ${KEY_TEXT} and 32 bytes in base64url on one line, found another text`, { path: arg, hint: "use the .pub file `plugboard keygen` wrote" });
    }
});
export var readKeyText = (function readKeyText(path, what) {
    let stat;
    try {
        stat = Deno.statSync(path);
    }
    catch (e) {
        if (e instanceof Deno.errors.NotFound) {
            throw new PluginError("NOT_FOUND", `Cannot read ${what} ${quote(path)}: no such file: expected ${what === "public key" ? `a key text ${KEY_TEXT}... or a .pub file` : "a private key file"}, found nothing at ${path}`, {
                path,
                hint: what === "public key"
                    ? "name the .pub file `plugboard keygen` wrote, or give the key text it printed"
                    : `make one with \`plugboard keygen --out ${path}\``,
                cause: e,
            });
        }
        throw e;
    }
    if (!stat.isFile) {
        throw new PluginError("NOT_A_FILE", `Cannot read ${what} ${quote(path)}: expected a file, found a directory or a device`, { path, hint: "name the key file" });
    }
    if (stat.size > MAX_KEY_BYTES) {
        throw new PluginError("BAD_SIGNATURE", `Invalid ${what} file ${quote(path)}: expected at most ${MAX_KEY_BYTES} bytes, found ${stat.size}`, { path, hint: "name the key file `plugboard keygen` wrote" });
    }
    return Deno.readTextFileSync(path);
});
var removeQuietly = (function removeQuietly(path) {
    try {
        Deno.removeSync(path);
    }
    catch {
    }
});
export const PUBLIC_KEY_SUFFIX = ".pub";
const KEY_TEXT = "plugboard-ed25519:";
const MAX_KEY_BYTES = 64 << 10;
