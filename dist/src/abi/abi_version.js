// Generated from src/abi/abi_version.ts by tasks/dist.ts (deno task dist): do not edit.
export var isAbiCompatible = (function isAbiCompatible(host, plugin) {
    return plugin.major === host.major && plugin.minor <= host.minor;
});
export var parseVersionPair = (function parseVersionPair(text) {
    const m = /^(\d{1,5})\.(\d{1,5})$/.exec(text);
    return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
});
export var formatVersionPair = (function formatVersionPair(v) {
    return `${v.major}.${v.minor}`;
});
export const HOST_ABI = Object.freeze({ major: 1, minor: 0 });
