/**
 * ELF machine codes (`e_machine`) and the names plugboard uses for them.
 * Names follow `Deno.build.arch` where Deno has one ("x86_64", "aarch64").
 *
 * @module
 */

/** `[32-bit name, 64-bit name]` for each known `e_machine` value. */
const MACHINES: ReadonlyMap<number, readonly [string, string]> = new Map([
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

/** The 64-bit machines a host can ask for, by name. */
const MACHINE_CODES_64: ReadonlyMap<string, number> = new Map([
  ["x86_64", 62],
  ["aarch64", 183],
  ["riscv64", 243],
  ["ppc64", 21],
  ["s390x", 22],
  ["mips64", 8],
  ["sparc64", 43],
  ["loongarch64", 258],
]);

/**
 * Name an `e_machine` value.
 *
 * @param code the `e_machine` value
 * @param is64 whether the file is ELFCLASS64 (riscv32 and riscv64 share a code)
 * @returns a name such as "x86_64", or "unknown(N)"
 */
export function machineName(code: number, is64: boolean): string {
  const names = MACHINES.get(code);
  return names ? names[is64 ? 1 : 0] : `unknown(${code})`;
}

/**
 * The `e_machine` value of a 64-bit machine name.
 *
 * @param name a name such as "x86_64"
 * @returns the code, or `undefined` for a name plugboard does not know
 */
export function machineCode(name: string): number | undefined {
  return MACHINE_CODES_64.get(name);
}

/**
 * The machine names {@linkcode machineCode} accepts.
 *
 * @returns the names, in a stable order
 */
export function knownMachines(): string[] {
  return [...MACHINE_CODES_64.keys()];
}
