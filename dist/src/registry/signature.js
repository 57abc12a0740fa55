// Generated from src/registry/signature.ts by tasks/dist.ts (deno task dist): do not edit.
import { nodeCrypto } from "../file/node_crypto.js";
import { sha256Hex } from "../file/sha256.js";
import { PluginError, quote } from "../errors/plugin_error.js";
export const SIGNATURE_SUFFIX = ".sig";
const KEY_PREFIX = "plugboard-ed25519:";
export function generateSigningKey() {
    const { publicKey, privateKey } = nodeCrypto().generateKeyPairSync("ed25519");
    const x = publicKey.export({ format: "jwk" }).x;
    return Object.freeze({
        privateKey: String(privateKey.export({ format: "pem", type: "pkcs8" })),
        ...publicKeyOf(`${KEY_PREFIX}${x}`),
    });
}
export function publicKeyOf(text) {
    const x = text.trim().startsWith(KEY_PREFIX) ? text.trim().slice(KEY_PREFIX.length) : "";
    const raw = /^[A-Za-z0-9_-]{43}$/.test(x) ? base64urlDecode(x) : undefined;
    if (!raw || raw.length !== 32) {
        throw new PluginError("BAD_SIGNATURE", `Invalid public key ${quote(text.slice(0, 80))}: expected ${KEY_PREFIX} and 32 bytes in base64url, found another text`, { hint: "use the .pub file `plugboard keygen` wrote" });
    }
    return Object.freeze({
        key: `${KEY_PREFIX}${x}`,
        id: sha256Hex(raw).slice(0, 16),
    });
}
export function signedText(s) {
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
export function signedIdentity(identity) {
    return Object.freeze({
        sha256: identity.sha256,
        name: identity.name,
        version: identity.version,
        kind: identity.kind ?? "native",
        abi: identity.abi,
        interfaces: Object.freeze(identity.interfaces.map((i) => `${i.id}/${i.version}@${i.hash}`).sort()),
    });
}
export function signPlugin(identity, privateKeyPem) {
    let privateKey;
    try {
        privateKey = nodeCrypto().createPrivateKey(privateKeyPem);
    }
    catch (e) {
        throw new PluginError("BAD_SIGNATURE", "Invalid signing key: expected an Ed25519 private key in PKCS#8 PEM, found another text", { hint: "use the private key file `plugboard keygen` wrote", cause: e });
    }
    if (privateKey.asymmetricKeyType !== "ed25519") {
        throw new PluginError("BAD_SIGNATURE", `Invalid signing key: expected an Ed25519 key, found a ${privateKey.asymmetricKeyType} key`, { hint: "make one with `plugboard keygen`" });
    }
    const x = nodeCrypto().createPublicKey(privateKey).export({ format: "jwk" }).x;
    const pub = publicKeyOf(`${KEY_PREFIX}${x}`);
    const signed = signedIdentity(identity);
    const signature = nodeCrypto().sign(null, new TextEncoder().encode(signedText(signed)), privateKey);
    return Object.freeze({
        version: 1,
        key: pub.key,
        keyId: pub.id,
        signed,
        signature: signature.toString("base64"),
    });
}
export function formatSignature(s) {
    return JSON.stringify({
        "plugboard-signature": s.version,
        key: s.key,
        keyId: s.keyId,
        signed: s.signed,
        signature: s.signature,
    }, null, 2) + "\n";
}
export function parseSignatureFile(text, path) {
    const bad = (found) => new PluginError("BAD_SIGNATURE", `Invalid signature file ${quote(path)}: expected a plugboard-signature/1 JSON object, found ${found}`, { path, hint: "sign the plugin again with `plugboard sign FILE --key KEY`" });
    let d;
    try {
        d = JSON.parse(text);
    }
    catch {
        throw bad("text that is not JSON");
    }
    if (typeof d !== "object" || d === null || d["plugboard-signature"] !== 1) {
        throw bad("another shape");
    }
    const signed = d.signed;
    const str = (v) => typeof v === "string";
    if (!str(d.key) || !str(d.keyId) || !str(d.signature) || typeof signed !== "object" ||
        signed === null || !["sha256", "name", "version", "kind", "abi"].every((k) => str(signed[k])) ||
        !Array.isArray(signed.interfaces) || !signed.interfaces.every(str)) {
        throw bad("missing or mistyped fields");
    }
    const pub = publicKeyOf(d.key);
    if (pub.id !== d.keyId)
        throw bad(`keyId ${d.keyId} for a key whose id is ${pub.id}`);
    return Object.freeze({
        version: 1,
        key: pub.key,
        keyId: pub.id,
        signed: Object.freeze({
            sha256: signed.sha256,
            name: signed.name,
            version: signed.version,
            kind: signed.kind,
            abi: signed.abi,
            interfaces: Object.freeze([...signed.interfaces]),
        }),
        signature: d.signature,
    });
}
export function signatureProblem(s, identity) {
    const now = signedIdentity(identity);
    const text = signedText(s.signed);
    let valid = false;
    try {
        const x = s.key.slice(KEY_PREFIX.length);
        const key = nodeCrypto().createPublicKey({
            key: { kty: "OKP", crv: "Ed25519", x },
            format: "jwk",
        });
        valid = nodeCrypto().verify(null, new TextEncoder().encode(text), key, base64Decode(s.signature));
    }
    catch {
        valid = false;
    }
    if (!valid)
        return "the signature does not verify with its key: the signature file was altered";
    if (s.signed.sha256 !== now.sha256) {
        return `it signed SHA-256 ${s.signed.sha256.slice(0, 12)}…, the file is ${now.sha256.slice(0, 12)}…: the file changed after it was signed`;
    }
    if (signedText(s.signed) !== signedText(now)) {
        return "it signed another identity (name, version, kind, ABI or interfaces)";
    }
    return undefined;
}
function base64urlDecode(s) {
    try {
        return base64Decode(s.replaceAll("-", "+").replaceAll("_", "/") + "=");
    }
    catch {
        return undefined;
    }
}
function base64Decode(s) {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++)
        out[i] = bin.charCodeAt(i);
    return out;
}
