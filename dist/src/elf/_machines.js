// Generated from src/elf/_machines.ts by tasks/dist.ts (deno task dist): do not edit.
export var machineName = (function machineName(code, is64) {
    const names = MACHINES.get(code);
    return names ? names[is64 ? 1 : 0] : `unknown(${code})`;
});
export var machineCode = (function machineCode(name) {
    return MACHINE_CODES_64.get(name);
});
export var knownMachines = (function knownMachines() {
    return [...MACHINE_CODES_64.keys()];
});
const MACHINES = new Map([
    [2, ["sparc", "sparc"]],
    [3, ["i386", "i386"]],
    [8, ["mips", "mips64"]],
    [20, ["ppc", "ppc"]],
    [21, ["ppc64", "ppc64"]],
    [22, ["s390", "s390x"]],
    [40, ["arm", "arm"]],
    [43, ["sparc64", "sparc64"]],
    [62, ["x86_64", "x86_64"]],
    [183, ["aarch64", "aarch64"]],
    [243, ["riscv32", "riscv64"]],
    [258, ["loongarch32", "loongarch64"]],
]);
const MACHINE_CODES_64 = new Map([
    ["x86_64", 62],
    ["aarch64", 183],
    ["riscv64", 243],
    ["ppc64", 21],
    ["s390x", 22],
    ["mips64", 8],
    ["sparc64", 43],
    ["loongarch64", 258],
]);
