/**
 * The host's side of an interface: which functions it needs, with which
 * signatures, at which version. The call signatures of the functions are
 * derived by TypeScript from the literal signature texts.
 *
 * @module
 */

import { LoadError, PluginError } from "../errors/plugin_error.ts";
import { type AbiVersion, formatVersionPair, parseVersionPair } from "./abi_version.ts";
import type { InterfaceInfo, PluginMetadata } from "./read_metadata.ts";
import {
  canonicalSignature,
  parseSignature,
  type Signature,
  type SignatureRecord,
} from "./signature.ts";

/** An interface as the host declares it; `F` maps names to signature texts. */
export interface InterfaceSpec<F extends SignatureRecord = SignatureRecord> {
  /** The interface id, e.g. `calc.op`. */
  readonly id: string;
  /** The version the host needs: same major, plugin minor >= this minor. */
  readonly version: AbiVersion;
  /** The declared signature texts, by function name. */
  readonly declarations: F;
  /** The parsed signatures, by function name. */
  readonly signatures: ReadonlyMap<string, Signature>;
}

/**
 * Declare an interface the host uses.
 *
 * @example A calculator operation
 * ```ts
 * import { defineInterface } from "@plugboard/plugboard";
 *
 * const CalcOp = defineInterface("calc.op", "1.0", {
 *   name: "cstring name()",
 *   apply: "fallible f64 apply(f64 a, f64 b)",
 * });
 * console.log(CalcOp.id, CalcOp.signatures.get("apply")?.parameters); // calc.op ["f64", "f64"]
 * ```
 *
 * @param id the interface id
 * @param version `"MAJOR.MINOR"`: the plugin needs the same major and at least this minor
 * @param declarations function name to signature text
 * @returns the interface
 * @throws {PluginError} `USAGE` when a declaration is not a signature or names another function
 */
export function defineInterface<const F extends SignatureRecord>(
  id: string,
  version: string,
  declarations: F,
): InterfaceSpec<F> {
  const v = parseVersionPair(version);
  if (!v) {
    throw new PluginError("USAGE", `Invalid interface version ${JSON.stringify(version)}`, {
      hint: 'write it as "MAJOR.MINOR", e.g. "1.0"',
    });
  }
  return Object.freeze({
    id,
    version: v,
    declarations,
    signatures: parseDeclarations(declarations),
  });
}

/**
 * Parse a record of declarations, checking that each key names its function.
 *
 * @example
 * ```ts
 * import { parseDeclarations } from "./define_interface.ts";
 *
 * const sigs = parseDeclarations({ add: "i32 add(i32, i32)" });
 * console.log(sigs.get("add")?.result); // i32
 * ```
 *
 * @param declarations function name to signature text
 * @returns the signatures by name
 * @throws {PluginError} `USAGE`
 */
export function parseDeclarations(declarations: SignatureRecord): ReadonlyMap<string, Signature> {
  const out = new Map<string, Signature>();
  for (const [key, text] of Object.entries(declarations)) {
    let sig: Signature;
    try {
      sig = parseSignature(text);
    } catch (e) {
      throw new PluginError("USAGE", (e as PluginError).summary, {
        hint: (e as PluginError).hint,
        cause: e,
      });
    }
    if (sig.name !== key) {
      throw new PluginError(
        "USAGE",
        `Declaration ${JSON.stringify(key)} names function ${JSON.stringify(sig.name)}`,
        { hint: `use the function's name as the key: { ${sig.name}: ${JSON.stringify(text)} }` },
      );
    }
    if (key === "then") {
      // The functions come back in an object that is awaited (isolated and
      // hosted plugins): with a `then` it would be taken for a Promise, and
      // `await` would call the plugin's function.
      throw new PluginError(
        "USAGE",
        'Cannot bind a function named "then": expected a name JavaScript does not reserve, found "then", which makes the functions object look like a Promise to `await`',
        {
          hint: "export the function under another name as well (e.g. then_), and declare that one",
        },
      );
    }
    out.set(key, sig);
  }
  return out;
}

/**
 * Check that a plugin provides an interface the host needs: the interface
 * exists, its major matches and its minor is new enough, then function by
 * function, each signature is the same.
 *
 * @example
 * ```ts ignore
 * import { checkInterface } from "./define_interface.ts";
 * import { defineInterface } from "@plugboard/plugboard";
 * import { readElf } from "../elf/read_elf.ts";
 * import { readMetadata } from "./read_metadata.ts";
 *
 * const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" });
 * const meta = readMetadata(readElf(Deno.readFileSync("build/greeter.so"), "greeter.so"), "greeter.so");
 * checkInterface(meta, Greeter, "build/greeter.so");
 * ```
 *
 * @param meta the plugin's metadata
 * @param spec the interface the host needs
 * @param path the plugin file, for messages
 * @returns the plugin's interface
 * @throws {LoadError} `INTERFACE_MISSING`, `INTERFACE_MISMATCH` or `SIGNATURE_MISMATCH`
 */
export function checkInterface(
  meta: PluginMetadata,
  spec: InterfaceSpec,
  path: string,
): InterfaceInfo {
  const wanted = `${spec.id}/${formatVersionPair(spec.version)}`;
  const found = meta.interfaces.find((i) => i.id === spec.id);
  if (!found) {
    const has = meta.interfaces.map((i) => `${i.id}/${formatVersionPair(i.version)}`);
    throw new LoadError("INTERFACE_MISSING", {
      path,
      what: `plugin "${meta.name}" does not provide interface "${spec.id}"`,
      expected: wanted,
      found: has.length ? has.join(", ") : "no interfaces",
      hint:
        `implement ${spec.id} in the plugin (PLUGBOARD_INTERFACE(..., "${spec.id}", ${spec.version.major}, ${spec.version.minor})) or load a plugin that does`,
    });
  }
  const got = `${found.id}/${formatVersionPair(found.version)}`;
  if (found.version.major !== spec.version.major) {
    throw new LoadError("INTERFACE_MISMATCH", {
      path,
      what: `interface "${spec.id}" major version mismatch`,
      expected: wanted,
      found: got,
      hint: found.version.major > spec.version.major
        ? `update the host to ${spec.id}/${found.version.major}.x, or use a plugin built for ${wanted}`
        : `rebuild the plugin against ${spec.id} ${spec.version.major}.x`,
    });
  }
  const byName = new Map(found.functions.map((f) => [f.name, f]));
  const missing = [...spec.signatures.keys()].filter((n) => !byName.has(n));
  if (found.version.minor < spec.version.minor || missing.length > 0) {
    throw new LoadError("INTERFACE_MISMATCH", {
      path,
      what: `interface "${spec.id}" is older than the host needs`,
      expected: `${wanted} with ${[...spec.signatures.keys()].join(", ")}`,
      found: `${got}${missing.length ? ` without ${missing.join(", ")}` : ""}`,
      hint: `rebuild the plugin against ${wanted} or newer`,
    });
  }
  for (const [name, sig] of spec.signatures) {
    const theirs = byName.get(name)!;
    const a = canonicalSignature(sig);
    const b = canonicalSignature(theirs);
    if (a !== b) {
      throw new LoadError("SIGNATURE_MISMATCH", {
        path,
        what: `function "${name}" of interface "${spec.id}" has another signature`,
        expected: a,
        found: b,
        hint: sig.fallible !== theirs.fallible
          ? `declare it ${
            theirs.fallible ? "with" : "without"
          } "fallible" on the host, matching PLUGBOARD_${
            theirs.fallible ? "FALLIBLE_" : ""
          }FN in the plugin`
          : `host and plugin disagree on ${spec.id}/${spec.version.major}; a changed signature needs a new interface major: rebuild the plugin from the same interface definition as the host, or update the host's declaration`,
      });
    }
  }
  return found;
}
