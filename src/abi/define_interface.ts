/**
 * The host's side of an interface: which functions it needs, with which
 * signatures, at which version, and the layouts of the structs it shares
 * with the plugin. The call signatures of the functions are derived by
 * TypeScript from the literal signature texts and struct declarations.
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
  structsUsed,
} from "./signature.ts";
import {
  compareLayouts,
  describeLayout,
  isStructType,
  type StructRecord,
  type StructType,
} from "./struct_type.ts";

/**
 * An interface as the host declares it; `F` maps names to signature texts,
 * `S` names to the structs the interface shares.
 */
export interface InterfaceSpec<
  F extends SignatureRecord = SignatureRecord,
  S extends Readonly<Record<string, StructType>> = Readonly<Record<string, StructType>>,
> {
  /** The interface id, e.g. `calc.op`. */
  readonly id: string;
  /** The version the host needs: same major, plugin minor >= this minor. */
  readonly version: AbiVersion;
  /** The declared signature texts, by function name. */
  readonly declarations: F;
  /** The parsed signatures, by function name. */
  readonly signatures: ReadonlyMap<string, Signature>;
  /**
   * The structs whose layouts the plugin must share, by name: those given
   * in `structs`, and the structs nested in them.
   */
  readonly structs: S;
  /** Whether a plugin must record each struct's layout ({@linkcode DefineInterfaceOptions}). */
  readonly layouts: "required" | "when-declared";
}

/** Options of {@linkcode defineInterface}. */
export interface DefineInterfaceOptions<S extends readonly StructType[] = readonly StructType[]> {
  /**
   * The structs the interface passes (behind pointers or by value), made by
   * `struct(...)`; structs nested in them are added. Each is compared with
   * the layout the plugin recorded (`PLUGBOARD_STRUCT`) before anything of
   * the plugin runs (`STRUCT_MISMATCH`). A signature's `struct NAME` must
   * name one of them.
   * @default []
   */
  structs?: S;
  /**
   * `"required"`: a plugin that records no layout for one of the structs is
   * refused (`STRUCT_MISMATCH`, "no layout declared"). `"when-declared"`:
   * such a plugin is accepted, and only the layouts it records are compared
   * (for plugins built before their header declared layouts). Structs passed
   * by value are always required.
   * @default "required"
   */
  layouts?: "required" | "when-declared";
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
 * @example An interface sharing a struct, by pointer and by value
 * ```ts
 * import { defineInterface, struct } from "@plugboard/plugboard";
 *
 * const Point = struct("point", { x: "i32", y: "i32" });
 * const Geo = defineInterface("geo", "1.0", {
 *   norm1: "i32 norm1(pointer p)",
 *   move: "struct point move(struct point p, i32 dx)",
 * }, { structs: [Point] });
 * console.log(Object.keys(Geo.structs)); // ["point"]
 * ```
 *
 * @param id the interface id
 * @param version `"MAJOR.MINOR"`: the plugin needs the same major and at least this minor
 * @param declarations function name to signature text
 * @param options the structs it shares, and whether their layouts are required
 * @returns the interface
 * @throws {PluginError} `USAGE` when a declaration is not a signature, names
 *   another function or passes a struct the interface does not declare
 */
export function defineInterface<
  const F extends SignatureRecord,
  const S extends readonly StructType[] = [],
>(
  id: string,
  version: string,
  declarations: F,
  options: DefineInterfaceOptions<S> = {},
): InterfaceSpec<F, { readonly [T in S[number] as T["name"]]: T }> {
  const v = parseVersionPair(version);
  if (!v) {
    throw new PluginError("USAGE", `Invalid interface version ${JSON.stringify(version)}`, {
      hint: 'write it as "MAJOR.MINOR", e.g. "1.0"',
    });
  }
  const layouts = options.layouts ?? "required";
  if (layouts !== "required" && layouts !== "when-declared") {
    throw new PluginError("USAGE", `Invalid option "layouts": ${JSON.stringify(layouts)}`, {
      hint: 'use "required" or "when-declared"',
    });
  }
  const structs = structRecord(options.structs ?? []);
  return Object.freeze({
    id,
    version: v,
    declarations,
    signatures: parseDeclarations(declarations, structs),
    structs: structs as { readonly [T in S[number] as T["name"]]: T },
    layouts,
  });
}

/**
 * Structs by name, with the structs nested in them.
 *
 * @param list the structs
 * @returns a frozen record by name
 * @throws {PluginError} `USAGE` for something that is not a struct, or two
 *   different structs of one name
 */
export function structRecord(list: readonly StructType[]): StructRecord {
  const out: Record<string, StructType> = {};
  const add = (t: unknown) => {
    if (!isStructType(t)) {
      throw new PluginError("USAGE", 'Invalid option "structs": expected struct types', {
        hint: 'make each with struct(name, fields), e.g. struct("point", { x: "i32", y: "i32" })',
      });
    }
    const seen = out[t.name];
    if (seen === t) return;
    if (seen !== undefined) {
      throw new PluginError(
        "USAGE",
        `Two different declarations of struct ${JSON.stringify(t.name)}`,
        { hint: "declare each struct once and share the declaration" },
      );
    }
    out[t.name] = t;
    for (const f of Object.values(t.declaration)) if (typeof f !== "string") add(f);
  };
  if (!Array.isArray(list)) add(list);
  for (const t of list) add(t);
  return Object.freeze(out);
}

/**
 * Parse a record of declarations, checking that each key names its function;
 * with `structs`, each struct a signature passes by value must be among them
 * and the signature carries their layouts.
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
 * @param structs the structs the signatures may pass by value, by name; without
 *   it, struct types are left unresolved
 * @returns the signatures by name
 * @throws {PluginError} `USAGE`
 */
export function parseDeclarations(
  declarations: SignatureRecord,
  structs?: StructRecord,
): ReadonlyMap<string, Signature> {
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
    const used = structsUsed(sig);
    if (structs && used.length > 0) {
      const layouts = new Map<string, StructType>();
      for (const name of used) {
        const t = Object.hasOwn(structs, name) ? structs[name] : undefined;
        if (!t) {
          throw new PluginError(
            "USAGE",
            `Declaration ${JSON.stringify(key)} passes struct ${name}, which is not declared`,
            {
              hint:
                `declare it and pass it with the declarations: { structs: [struct("${name}", { ... })] }`,
            },
          );
        }
        layouts.set(name, t);
      }
      sig = Object.freeze({ ...sig, structs: layouts });
    }
    out.set(key, sig);
  }
  return out;
}

/**
 * Check that a plugin provides an interface the host needs: the interface
 * exists, its major matches and its minor is new enough, then function by
 * function, each signature is the same, then struct by struct, each layout
 * the plugin records is the host's ({@linkcode checkStructs}).
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
 * @throws {LoadError} `INTERFACE_MISSING`, `INTERFACE_MISMATCH`,
 *   `SIGNATURE_MISMATCH` or `STRUCT_MISMATCH`
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
  checkStructs(meta, spec.structs, path, {
    interfaceId: spec.id,
    required: spec.layouts === "required",
    byValue: new Set([...spec.signatures.values()].flatMap(structsUsed)),
  });
  return found;
}

/** Options of {@linkcode checkStructs}. */
export interface CheckStructsOptions {
  /** The interface the structs belong to, for messages. */
  interfaceId?: string;
  /**
   * Whether a struct the plugin records no layout of is refused.
   * @default true
   */
  required?: boolean;
  /** Structs passed by value: always required. @default none */
  byValue?: ReadonlySet<string>;
}

/**
 * Check that the plugin records, for each struct the host declares, the
 * same layout: fields in order (name, type, offset, size), then size and
 * alignment.
 *
 * @example
 * ```ts ignore
 * import { checkStructs } from "./define_interface.ts";
 * import { struct } from "./struct_type.ts";
 *
 * const Point = struct("point", { x: "i32", y: "i32" });
 * checkStructs(plugin.metadata, { point: Point }, plugin.path);
 * ```
 *
 * @param meta the plugin's metadata
 * @param structs the host's structs, by name
 * @param path the plugin file, for messages
 * @param options whether layouts are required, and the interface's id
 * @throws {LoadError} `STRUCT_MISMATCH` naming the struct and the field
 */
export function checkStructs(
  meta: PluginMetadata,
  structs: StructRecord,
  path: string,
  options: CheckStructsOptions = {},
): void {
  const of = options.interfaceId ? ` of interface "${options.interfaceId}"` : "";
  for (const expected of Object.values(structs)) {
    const found = meta.structs.get(expected.name);
    if (!found) {
      if (options.required === false && !options.byValue?.has(expected.name)) continue;
      throw new LoadError("STRUCT_MISMATCH", {
        path,
        what: `struct "${expected.name}"${of} has no layout in plugin "${meta.name}"`,
        expected: describeLayout(expected),
        found: "no layout declared",
        hint: `record it in the plugin with PLUGBOARD_STRUCT(${expected.name}, ${
          expected.fields.map((f) => f.name).join(", ")
        }) after the struct's definition, and rebuild it${
          options.byValue?.has(expected.name)
            ? ""
            : '; to accept plugins without layouts, declare the interface with layouts: "when-declared"'
        }`,
      });
    }
    const d = compareLayouts(expected, found);
    if (!d) continue;
    throw new LoadError("STRUCT_MISMATCH", {
      path,
      what: d.field === undefined
        ? `struct "${expected.name}"${of} has another size or alignment`
        : `struct "${expected.name}"${of} differs at field "${d.field}"`,
      expected: d.expected,
      found: d.found,
      hint:
        `host and plugin were built from different definitions of struct ${expected.name}; rebuild the plugin against the interface's current header, or update the host's struct("${expected.name}", ...)`,
    });
  }
}
