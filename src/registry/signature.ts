/**
 * Publisher signatures: an Ed25519 signature over a plugin file's SHA-256
 * and its metadata identity (name, version, kind, ABI, interfaces), kept
 * beside the plugin as `FILE.sig`. A lockfile that trusts a publisher's key
 * for a name and a version range (`greeter@^0.2`) accepts every plugin that
 * key signed there without pinning its hash; hash pins still win where both
 * exist. The format is in docs/signatures.md.
 *
 * @module
 */

import { nodeCrypto } from "../file/node_crypto.ts";
import { sha256Hex } from "../file/sha256.ts";
import type { PluginIdentity } from "../abi/identity.ts";
import { PluginError, quote } from "../errors/plugin_error.ts";

/** Where a plugin's signature is kept: the plugin's path with this appended. */
export const SIGNATURE_SUFFIX = ".sig";

/** The prefix of a public key's text form. */
const KEY_PREFIX = "plugboard-ed25519:";

/** A publisher's public key: its text form and its id. */
export interface PublicKey {
  /** `plugboard-ed25519:` followed by the raw 32-byte key in base64url. */
  readonly key: string;
  /** The first 16 hex digits of the SHA-256 of the raw key: how lockfiles and messages name it. */
  readonly id: string;
}

/** A signing key as `plugboard keygen` makes it. */
export interface SigningKey extends PublicKey {
  /** The private key, PKCS#8 PEM: keep it secret (mode 0600). */
  readonly privateKey: string;
}

/** A plugin's signature file, `FILE.sig`. */
export interface PluginSignature {
  /** The format version, 1. */
  readonly version: 1;
  /** The signer's public key (text form). */
  readonly key: string;
  /** Its id. */
  readonly keyId: string;
  /** What was signed: the file's hash and identity. */
  readonly signed: SignedIdentity;
  /** The Ed25519 signature of {@linkcode signedText}, base64. */
  readonly signature: string;
}

/** The part of a plugin's identity a signature covers. */
export interface SignedIdentity {
  /** SHA-256 of the file, hex. */
  readonly sha256: string;
  /** Name. */
  readonly name: string;
  /** Version. */
  readonly version: string;
  /** Kind. */
  readonly kind: string;
  /** ABI. */
  readonly abi: string;
  /** `id/MAJOR.MINOR@shape-hash` of each interface, sorted. */
  readonly interfaces: readonly string[];
}

/**
 * A new Ed25519 signing key.
 *
 * @example
 * ```ts
 * import { generateSigningKey } from "./signature.ts";
 *
 * const key = generateSigningKey();
 * console.log(key.key.startsWith("plugboard-ed25519:"), key.id.length); // true 16
 * ```
 *
 * @returns the private key (PEM) and the public key with its id
 */
export function generateSigningKey(): SigningKey {
  const { publicKey, privateKey } = nodeCrypto().generateKeyPairSync("ed25519");
  const x = (publicKey.export({ format: "jwk" }) as { x: string }).x;
  return Object.freeze({
    privateKey: String(privateKey.export({ format: "pem", type: "pkcs8" })),
    ...publicKeyOf(`${KEY_PREFIX}${x}`),
  });
}

/**
 * A public key from its text form, checked.
 *
 * @param text `plugboard-ed25519:BASE64URL`
 * @returns the key and its id
 * @throws {PluginError} `BAD_SIGNATURE` when the text is not a key
 */
export function publicKeyOf(text: string): PublicKey {
  const x = text.trim().startsWith(KEY_PREFIX) ? text.trim().slice(KEY_PREFIX.length) : "";
  const raw = /^[A-Za-z0-9_-]{43}$/.test(x) ? base64urlDecode(x) : undefined;
  if (!raw || raw.length !== 32) {
    throw new PluginError(
      "BAD_SIGNATURE",
      `Invalid public key ${
        quote(text.slice(0, 80))
      }: expected ${KEY_PREFIX} and 32 bytes in base64url, found another text`,
      { hint: "use the .pub file `plugboard keygen` wrote" },
    );
  }
  return Object.freeze({
    key: `${KEY_PREFIX}${x}`,
    id: sha256Hex(raw).slice(0, 16),
  });
}

/**
 * The exact text a signature covers: one `key=value` line each, interfaces
 * sorted, so a signature over the same file and identity is the same
 * wherever it is made.
 *
 * @param s what is signed
 * @returns the text
 */
export function signedText(s: SignedIdentity): string {
  return [
    "plugboard-signature/1",
    `sha256=${s.sha256}`,
    `name=${s.name}`,
    `version=${s.version}`,
    `kind=${s.kind}`,
    `abi=${s.abi}`,
    ...[...s.interfaces].sort().map((i) => `interface=${i}`),
    "",
  ].join("\n");
}

/**
 * What a signature of this plugin covers.
 *
 * @param identity the plugin's identity
 * @returns the signed part
 */
export function signedIdentity(identity: PluginIdentity): SignedIdentity {
  return Object.freeze({
    sha256: identity.sha256,
    name: identity.name,
    version: identity.version,
    kind: identity.kind ?? "native",
    abi: identity.abi,
    interfaces: Object.freeze(
      identity.interfaces.map((i) => `${i.id}/${i.version}@${i.hash}`).sort(),
    ),
  });
}

/**
 * Sign a plugin's identity with a private key.
 *
 * @example
 * ```ts ignore
 * import { inspectPlugin } from "@plugboard/plugboard";
 * import { signPlugin, generateSigningKey } from "./signature.ts";
 *
 * const key = generateSigningKey();
 * const sig = signPlugin(inspectPlugin("build/greeter.so"), key.privateKey);
 * ```
 *
 * @param identity the plugin's identity (its file already hashed)
 * @param privateKeyPem the signing key, PKCS#8 PEM
 * @returns the signature file's content
 * @throws {PluginError} `BAD_SIGNATURE` when the key is not an Ed25519 private key
 */
export function signPlugin(identity: PluginIdentity, privateKeyPem: string): PluginSignature {
  let privateKey;
  try {
    privateKey = nodeCrypto().createPrivateKey(privateKeyPem);
  } catch (e) {
    throw new PluginError(
      "BAD_SIGNATURE",
      "Invalid signing key: expected an Ed25519 private key in PKCS#8 PEM, found another text",
      { hint: "use the private key file `plugboard keygen` wrote", cause: e },
    );
  }
  if (privateKey.asymmetricKeyType !== "ed25519") {
    throw new PluginError(
      "BAD_SIGNATURE",
      `Invalid signing key: expected an Ed25519 key, found a ${privateKey.asymmetricKeyType} key`,
      { hint: "make one with `plugboard keygen`" },
    );
  }
  const x = (nodeCrypto().createPublicKey(privateKey).export({ format: "jwk" }) as { x: string }).x;
  const pub = publicKeyOf(`${KEY_PREFIX}${x}`);
  const signed = signedIdentity(identity);
  const signature = nodeCrypto().sign(
    null,
    new TextEncoder().encode(signedText(signed)),
    privateKey,
  );
  return Object.freeze({
    version: 1,
    key: pub.key,
    keyId: pub.id,
    signed,
    signature: signature.toString("base64"),
  });
}

/**
 * The JSON text of a signature file.
 *
 * @param s the signature
 * @returns the text
 */
export function formatSignature(s: PluginSignature): string {
  return JSON.stringify(
    {
      "plugboard-signature": s.version,
      key: s.key,
      keyId: s.keyId,
      signed: s.signed,
      signature: s.signature,
    },
    null,
    2,
  ) + "\n";
}

/**
 * Parse a signature file.
 *
 * @param text its JSON text
 * @param path the file, for messages
 * @returns the signature
 * @throws {PluginError} `BAD_SIGNATURE` naming what is wrong
 */
export function parseSignatureFile(text: string, path: string): PluginSignature {
  const bad = (found: string) =>
    new PluginError(
      "BAD_SIGNATURE",
      `Invalid signature file ${
        quote(path)
      }: expected a plugboard-signature/1 JSON object, found ${found}`,
      { path, hint: "sign the plugin again with `plugboard sign FILE --key KEY`" },
    );
  let d: Record<string, unknown>;
  try {
    d = JSON.parse(text);
  } catch {
    throw bad("text that is not JSON");
  }
  if (typeof d !== "object" || d === null || d["plugboard-signature"] !== 1) {
    throw bad("another shape");
  }
  const signed = d.signed as Record<string, unknown> | undefined;
  const str = (v: unknown) => typeof v === "string";
  if (
    !str(d.key) || !str(d.keyId) || !str(d.signature) || typeof signed !== "object" ||
    signed === null || !["sha256", "name", "version", "kind", "abi"].every((k) => str(signed[k])) ||
    !Array.isArray(signed.interfaces) || !signed.interfaces.every(str)
  ) {
    throw bad("missing or mistyped fields");
  }
  const pub = publicKeyOf(d.key as string);
  if (pub.id !== d.keyId) throw bad(`keyId ${d.keyId} for a key whose id is ${pub.id}`);
  return Object.freeze({
    version: 1,
    key: pub.key,
    keyId: pub.id,
    signed: Object.freeze({
      sha256: signed.sha256 as string,
      name: signed.name as string,
      version: signed.version as string,
      kind: signed.kind as string,
      abi: signed.abi as string,
      interfaces: Object.freeze([...signed.interfaces as string[]]),
    }),
    signature: d.signature as string,
  });
}

/**
 * Check a signature against a plugin: the signature is valid for its key,
 * and what it signed is this file and identity.
 *
 * @param s the signature
 * @param identity the plugin as read now
 * @returns `undefined` when it holds, else what differs
 */
export function signatureProblem(s: PluginSignature, identity: PluginIdentity): string | undefined {
  const now = signedIdentity(identity);
  const text = signedText(s.signed);
  let valid = false;
  try {
    const x = s.key.slice(KEY_PREFIX.length);
    const key = nodeCrypto().createPublicKey({
      key: { kty: "OKP", crv: "Ed25519", x },
      format: "jwk",
    });
    valid = nodeCrypto().verify(
      null,
      new TextEncoder().encode(text),
      key,
      base64Decode(s.signature),
    );
  } catch {
    valid = false;
  }
  if (!valid) return "the signature does not verify with its key: the signature file was altered";
  if (s.signed.sha256 !== now.sha256) {
    return `it signed SHA-256 ${s.signed.sha256.slice(0, 12)}…, the file is ${
      now.sha256.slice(0, 12)
    }…: the file changed after it was signed`;
  }
  if (signedText(s.signed) !== signedText(now)) {
    return "it signed another identity (name, version, kind, ABI or interfaces)";
  }
  return undefined;
}

function base64urlDecode(s: string): Uint8Array | undefined {
  try {
    return base64Decode(s.replaceAll("-", "+").replaceAll("_", "/") + "=");
  } catch {
    return undefined;
  }
}

function base64Decode(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
