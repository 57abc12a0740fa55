// Generated from src/registry/trust_policy.ts by tasks/dist.ts (deno task dist): do not edit.
export const EXACT_POLICY = Object
    .freeze({
    mode: "strict",
    pin: "checksum",
    pinVersions: true,
    interfaces: "exact",
    pinToolchain: true,
});
