// Generated from src/file/node_crypto.ts by tasks/dist.ts (deno task dist): do not edit.
export var nodeCrypto = (function nodeCrypto() {
    loaded ??= globalThis.process.getBuiltinModule("node:crypto");
    return loaded;
});
export var nodeCryptoLoaded = (function nodeCryptoLoaded() {
    return loaded !== undefined;
});
let loaded;
