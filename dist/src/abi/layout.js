// Generated from src/abi/layout.ts by tasks/dist.ts (deno task dist): do not edit.
export const DESCRIPTOR = Object.freeze({
    size: 0,
    abiMajor: 4,
    abiMinor: 6,
    init: 8,
    shutdown: 16,
    takeError: 24,
    bytes: 32,
});
export const ERROR_RECORD = Object.freeze({
    code: 0,
    length: 4,
    message: 8,
    messageMax: 512,
});
export const WASM32_DESCRIPTOR = Object.freeze({
    size: 0,
    abiMajor: 4,
    abiMinor: 6,
    init: 8,
    shutdown: 12,
    takeError: 16,
    bytes: 20,
});
