/**
 * Key files of publisher signatures, as the CLI reads and writes them: the
 * private key (PKCS#8 PEM, mode 0600) and its public half (`KEY.pub`, the
 * key's text form on one line), the default place of a new key, and a
 * public key given on the command line as text or as a file.
 *
 * @module
 */

import { basename, dirname, join, resolve } from "../file/paths.ts";
import { PluginError, quote } from "../errors/plugin_error.ts";
import { writeError } from "../file/write_file.ts";
import { type PublicKey, publicKeyOf } from "../registry/signature.ts";

/** The suffix of a public key file: `KEY.pub` beside the private `KEY`. */
export const PUBLIC_KEY_SUFFIX = ".pub";

/** The start of a public key's text form. */
const KEY_TEXT = "plugboard-ed25519:";

/** The largest key file read. */
const MAX_KEY_BYTES = 64 << 10;

/**
 * Where `keygen` writes a key without `--out`:
 * `$XDG_CONFIG_HOME/plugboard/signing.key`, else
 * `~/.config/plugboard/signing.key`; undefined when Deno may not read
 * either variable or neither is set.
 *
 * @returns the path, or undefined
 */
export function defaultKeyPath(): string | undefined {
  const env = (variable: string) =>
    Deno.permissions.querySync({ name: "env", variable }).state === "granted"
      ? Deno.env.get(variable)
      : undefined;
  const xdg = env("XDG_CONFIG_HOME");
  if (xdg) return join(xdg, "plugboard", "signing.key");
  const home = env("HOME");
  if (home) return join(home, ".config", "plugboard", "signing.key");
  return undefined;
}

/** Options of {@linkcode writeKeyFile}. */
export interface WriteKeyFileOptions {
  /** The file's permission bits, exactly (the umask does not apply). */
  mode: number;
  /** Replace a file already there; otherwise an existing file is refused. */
  replace: boolean;
}

/**
 * Write a key file atomically, with exactly `mode`: a temporary file made
 * with that mode in the same directory, flushed, then linked to its name
 * (which fails when something is there: no key is ever overwritten by a
 * race) or, with `replace`, renamed over it. The key is never readable by
 * others, not even for a moment.
 *
 * @param path the file
 * @param text its content
 * @param options mode and whether to replace
 * @throws {PluginError} `USAGE` when a file is there and `replace` is false;
 *   `NOT_FOUND`, `PERMISSION_DENIED` as for any write
 */
export function writeKeyFile(path: string, text: string, options: WriteKeyFileOptions): void {
  const target = resolve(path);
  const tmp = join(
    dirname(target),
    `.${basename(target)}.tmp-${Deno.pid}-${Math.random().toString(36).slice(2, 10)}`,
  );
  try {
    const file = Deno.openSync(tmp, { write: true, createNew: true, mode: options.mode });
    try {
      Deno.chmodSync(tmp, options.mode);
      const bytes = new TextEncoder().encode(text);
      let off = 0;
      while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
      file.syncSync();
    } finally {
      file.close();
    }
    if (options.replace) {
      Deno.renameSync(tmp, target);
    } else {
      try {
        Deno.linkSync(tmp, target);
      } finally {
        removeQuietly(tmp);
      }
    }
  } catch (e) {
    removeQuietly(tmp);
    if (e instanceof Deno.errors.AlreadyExists) throw existsError(path);
    throw writeError(e, path);
  }
}

/**
 * The refusal to overwrite a key file.
 *
 * @param path the file that exists
 * @returns the error
 */
export function existsError(path: string): PluginError {
  return new PluginError(
    "USAGE",
    `Cannot write key file ${quote(path)}: expected no file there, found one`,
    {
      path,
      hint:
        "a key that is replaced cannot sign again: name another --out, or pass --force to replace it",
    },
  );
}

/**
 * A public key given on the command line: its text form
 * (`plugboard-ed25519:...`), or a file holding it (the `.pub` file `keygen`
 * wrote).
 *
 * @param arg the text or the path
 * @returns the key and its id
 * @throws {PluginError} `NOT_FOUND` for a missing file, `USAGE` for a private
 *   key, `BAD_SIGNATURE` for a file that holds no public key
 */
export function publicKeyArg(arg: string): PublicKey {
  if (arg.trim().startsWith(KEY_TEXT)) return publicKeyOf(arg);
  const text = readKeyText(arg, "public key");
  if (text.includes("PRIVATE KEY")) {
    throw new PluginError(
      "USAGE",
      `Expected a public key in ${quote(arg)}, found a private key`,
      {
        path: arg,
        hint:
          `pass its public half, ${arg}${PUBLIC_KEY_SUFFIX} (plugboard keygen writes both); a private key stays with whoever signs`,
      },
    );
  }
  try {
    return publicKeyOf(text);
  } catch {
    throw new PluginError(
      "BAD_SIGNATURE",
      `Invalid public key file ${
        quote(arg)
      }: expected ${KEY_TEXT} and 32 bytes in base64url on one line, found another text`,
      { path: arg, hint: "use the .pub file `plugboard keygen` wrote" },
    );
  }
}

/**
 * Read a key file (at most 64 KiB).
 *
 * @param path the file
 * @param what `public key` or `signing key`, for messages
 * @returns its text
 * @throws {PluginError} `NOT_FOUND`, `NOT_A_FILE`, `BAD_SIGNATURE` (too large)
 */
export function readKeyText(path: string, what: "public key" | "signing key"): string {
  let stat: Deno.FileInfo;
  try {
    stat = Deno.statSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new PluginError(
        "NOT_FOUND",
        `Cannot read ${what} ${quote(path)}: no such file: expected ${
          what === "public key" ? `a key text ${KEY_TEXT}... or a .pub file` : "a private key file"
        }, found nothing at ${path}`,
        {
          path,
          hint: what === "public key"
            ? "name the .pub file `plugboard keygen` wrote, or give the key text it printed"
            : `make one with \`plugboard keygen --out ${path}\``,
          cause: e,
        },
      );
    }
    throw e;
  }
  if (!stat.isFile) {
    throw new PluginError(
      "NOT_A_FILE",
      `Cannot read ${what} ${quote(path)}: expected a file, found a directory or a device`,
      { path, hint: "name the key file" },
    );
  }
  if (stat.size > MAX_KEY_BYTES) {
    throw new PluginError(
      "BAD_SIGNATURE",
      `Invalid ${what} file ${
        quote(path)
      }: expected at most ${MAX_KEY_BYTES} bytes, found ${stat.size}`,
      { path, hint: "name the key file `plugboard keygen` wrote" },
    );
  }
  return Deno.readTextFileSync(path);
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // already gone
  }
}
