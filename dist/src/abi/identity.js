// Generated from src/abi/identity.ts by tasks/dist.ts (deno task dist): do not edit.
import { formatVersionPair } from "./abi_version.js";
import { canonicalSignature } from "./signature.js";
export var identityOf = (function identityOf(metadata, file) {
    return Object.freeze({
        path: file.path,
        ...(file.realPath === undefined ? {} : { realPath: file.realPath }),
        kind: file.kind,
        sha256: file.sha256,
        name: metadata.name,
        version: metadata.version,
        abi: formatVersionPair(metadata.abi),
        buildId: metadata.buildId,
        compiler: metadata.compiler,
        interfaces: Object.freeze(metadata.interfaces.map((i) => Object.freeze({
            id: i.id,
            version: formatVersionPair(i.version),
            hash: i.hash,
            functions: Object.freeze(i.functions.map(canonicalSignature)),
        }))),
    });
});
