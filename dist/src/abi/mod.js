// @ts-self-types="../../../src/abi/mod.ts"
// Generated from src/abi/mod.ts by tasks/dist.ts (deno task dist): do not edit.
export {};
