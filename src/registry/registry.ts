/**
 * The registry: the plugins a host trusts, by `name@version`, read from and
 * saved to a lockfile, or held in memory. It records plugins (`trust`),
 * checks a plugin against what was trusted and a {@linkcode TrustPolicy}
 * (`check`, which the loader calls before anything is loaded), resolves a
 * name and semver range to a trusted entry (`resolve("greeter@^0.2")`) and
 * lists what it holds. Nothing here runs plugin code: it works on metadata
 * read from the files' ELF notes.
 *
 * @module
 */

import { dirname, isAbsolute, relative, resolve as resolvePath } from "../file/paths.ts";
import type { PluginIdentity, PluginKind } from "../abi/identity.ts";
import { LoadError, PluginError, quote } from "../errors/plugin_error.ts";
import { withFileLock } from "../file/write_file.ts";
import {
  differences,
  type Fingerprint,
  interfaceDifferences,
  resolvePolicy,
  shortHashes,
} from "./_check.ts";
import {
  compareEntries,
  compareSemVer,
  parseRange,
  parseSemVer,
  satisfies,
} from "../abi/semver.ts";
import {
  DEFAULT_LOCKFILE,
  type LockedInterface,
  type LockEntry,
  type Lockfile,
  LOCKFILE_VERSION,
  lockKey,
  type Publisher,
  readLockfile,
  writeLockfile,
} from "./lockfile.ts";
import type { TrustPolicy } from "./trust_policy.ts";
import {
  type PluginSignature,
  publicKeyOf,
  SIGNATURE_SUFFIX,
  signatureProblem,
} from "./signature.ts";

export type { PluginIdentity };

/** One field of an entry that {@linkcode Registry.trust} changed. */
export interface FieldChange {
  /** e.g. `sha256`, `build id`, `interface greeter`. */
  readonly field: string;
  /** The old value (hashes shortened). */
  readonly from: string;
  /** The new value (hashes shortened). */
  readonly to: string;
}

/** What {@linkcode Registry.trust} did. */
export interface TrustChange {
  /** Whether the entry is new, changed or the same. */
  readonly kind: "added" | "updated" | "unchanged";
  /** `name@version`. */
  readonly key: string;
  /** The entry now in the registry. */
  readonly entry: LockEntry;
  /** The entry before, for `updated` and `unchanged`. */
  readonly previous?: LockEntry;
  /** The fields that changed (empty unless `updated`). */
  readonly changes: readonly FieldChange[];
}

/** A trusted publisher with its key id. */
export type PublisherEntry = Publisher & { readonly id: string };

/** Options of {@linkcode Registry.differences} and {@linkcode Registry.check}. */
export interface DifferencesOptions {
  /**
   * The plugin's signature file, read when a trusted publisher's entry could
   * accept the plugin (only then): the pipeline reads `FILE.sig` next to the
   * plugin. Returns `undefined` when there is none, throws `BAD_SIGNATURE`
   * for a malformed one.
   */
  signature?: () => PluginSignature | undefined;
}

/** Options of {@linkcode Registry}. */
export interface RegistryOptions {
  /**
   * The lockfile the registry belongs to: {@linkcode Registry.save} writes it,
   * entry paths are kept relative to its directory, and messages name it.
   * @default undefined (an in-memory registry; entry paths are absolute)
   */
  lockfile?: string;
  /**
   * The trusted publishers, by key id.
   * @default {}
   */
  publishers?: Readonly<Record<string, Publisher>>;
}

/** Options of {@linkcode Registry.fromLockfile}. */
export interface FromLockfileOptions {
  /**
   * Start with an empty registry when the lockfile does not exist (it is
   * created by the first {@linkcode Registry.save}).
   * @default false
   */
  create?: boolean;
  /**
   * Read a lockfile others could change (see `readLockfile`).
   * @default false
   */
  allowInsecurePermissions?: boolean;
}

/**
 * The trusted plugins.
 *
 * @example Trust a plugin, then load it only if it still matches
 * ```ts ignore
 * import { inspectPlugin, openPlugin } from "@plugboard/plugboard";
 * import { Registry } from "@plugboard/plugboard/registry";
 *
 * const registry = Registry.fromLockfile("plugboard.lock", { create: true });
 * console.log(registry.trust(inspectPlugin("build/greeter.so")).kind); // "added"
 * registry.save();
 * await using plugin = await openPlugin("build/greeter.so", { registry });
 * ```
 *
 * @example Side by side versions
 * ```ts ignore
 * import { openPlugin } from "@plugboard/plugboard";
 * import { Registry } from "@plugboard/plugboard/registry";
 *
 * const registry = Registry.fromLockfile("plugboard.lock");
 * const entry = registry.resolve("greeter@^0.2");
 * if (entry) {
 *   await using plugin = await openPlugin(registry.pathOf(entry), { registry });
 *   console.log(plugin.metadata.version); // "0.2.0"
 * }
 * ```
 */
export class Registry {
  /** The lockfile this registry belongs to, if any. */
  readonly lockfile: string | undefined;
  #entries = new Map<string, LockEntry>();
  #publishers = new Map<string, Publisher>();

  /**
   * A registry holding these entries (an in-memory one unless `lockfile` is given).
   *
   * @param entries the trusted plugins
   * @param options the lockfile it belongs to, the trusted publishers
   */
  constructor(entries: Iterable<LockEntry> = [], options: RegistryOptions = {}) {
    this.lockfile = options.lockfile;
    for (const e of entries) this.#entries.set(lockKey(e), e);
    for (const [id, p] of Object.entries(options.publishers ?? {})) this.#publishers.set(id, p);
  }

  /**
   * Read a registry from a lockfile.
   *
   * @example
   * ```ts ignore
   * import { Registry } from "@plugboard/plugboard/registry";
   *
   * const registry = Registry.fromLockfile("plugboard.lock");
   * console.log(registry.list().map((e) => `${e.name}@${e.version}`));
   * ```
   *
   * @param path the lockfile
   * @param options whether a missing file means an empty registry
   * @returns the registry
   * @throws {PluginError} `NOT_FOUND` (unless `create`), `INSECURE_PERMISSIONS`,
   *   `LOCKFILE_INVALID`
   */
  static fromLockfile(path: string, options: FromLockfileOptions = {}): Registry {
    let lock: Lockfile;
    try {
      lock = readLockfile(path, { allowInsecurePermissions: options.allowInsecurePermissions });
    } catch (e) {
      if (options.create && e instanceof PluginError && e.code === "NOT_FOUND") {
        return new Registry([], { lockfile: path });
      }
      throw e;
    }
    return new Registry(Object.values(lock.plugins), {
      lockfile: path,
      publishers: lock.publishers,
    });
  }

  /**
   * Change a lockfile safely against concurrent writers: take an exclusive
   * advisory lock (a sidecar `.NAME.lock` beside it), read it (an empty
   * registry when it does not exist yet), run `fn`, save it when `fn` changed
   * it or it did not exist, release the lock. Twenty processes trusting plugins into one
   * lockfile at once lose nothing.
   *
   * @example Trusting a plugin from a script
   * ```ts ignore
   * import { inspectPlugin, Registry } from "@plugboard/plugboard/registry";
   *
   * Registry.edit("plugboard.lock", {}, (registry) => registry.trust(inspectPlugin("build/greeter.so")));
   * ```
   *
   * @param path the lockfile
   * @param options the permission check of the lockfile
   * @param fn the change
   * @returns what `fn` returns
   * @throws {PluginError} as {@linkcode Registry.fromLockfile}, and the errors of writing it
   */
  static edit<T>(
    path: string,
    options: Omit<FromLockfileOptions, "create">,
    fn: (registry: Registry) => T,
  ): T {
    return withFileLock(path, () => {
      let registry: Registry;
      let before: string | undefined;
      try {
        registry = Registry.fromLockfile(path, options);
        before = JSON.stringify(registry.toLockfile());
      } catch (e) {
        if (!(e instanceof PluginError && e.code === "NOT_FOUND")) throw e;
        registry = new Registry([], { lockfile: path });
      }
      const result = fn(registry);
      if (JSON.stringify(registry.toLockfile()) !== before) registry.save();
      return result;
    });
  }

  /** How many plugins are trusted. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The entry of one version of a plugin.
   *
   * @example
   * ```ts
   * import { Registry } from "@plugboard/plugboard/registry";
   *
   * console.log(new Registry().get("greeter", "0.1.0")); // undefined
   * ```
   *
   * @param name the plugin's name
   * @param version its exact version
   * @param kind which build of that version: a shared library, a WebAssembly module, an executable
   * @returns the entry, or `undefined`
   */
  get(name: string, version: string, kind: PluginKind = "native"): LockEntry | undefined {
    return this.#entries.get(lockKey({ name, version, kind }));
  }

  /**
   * Every entry, sorted by name, then version.
   *
   * @example
   * ```ts
   * import { Registry } from "@plugboard/plugboard/registry";
   *
   * console.log(new Registry().list().length); // 0
   * ```
   *
   * @returns the entries
   */
  list(): LockEntry[] {
    return [...this.#entries.values()].sort(compareEntries);
  }

  /**
   * The highest trusted version of a plugin within a semver range:
   * `greeter@^0.2`, `greeter@>=0.1.0 <0.3`, `greeter@0.1.x`, or a bare
   * `greeter` for its highest release.
   *
   * @example
   * ```ts ignore
   * import { Registry } from "@plugboard/plugboard/registry";
   *
   * const entry = Registry.fromLockfile("plugboard.lock").resolve("greeter@^0.2");
   * console.log(entry?.version); // "0.2.0"
   * ```
   *
   * @param spec `NAME@RANGE` or `NAME`
   * @returns the entry, or `undefined` when no trusted version matches
   * @throws {PluginError} `USAGE` when the range is malformed
   */
  resolve(spec: string): LockEntry | undefined {
    const at = spec.indexOf("@");
    const name = at === -1 ? spec : spec.slice(0, at);
    const rangeText = at === -1 ? "*" : spec.slice(at + 1);
    const range = parseRange(rangeText);
    if (!range || name === "") {
      throw new PluginError("USAGE", `Invalid plugin spec ${quote(spec)}`, {
        hint:
          'write NAME@RANGE, e.g. "greeter@^0.2", "greeter@~0.1.0", "greeter@>=0.1 <0.3" or "greeter"',
      });
    }
    let best: { entry: LockEntry; v: NonNullable<ReturnType<typeof parseSemVer>> } | undefined;
    for (const entry of this.#entries.values()) {
      if (entry.name !== name) continue;
      const v = parseSemVer(entry.version);
      if (!v || !satisfies(v, range)) continue;
      if (!best || compareSemVer(v, best.v) > 0) best = { entry, v };
    }
    return best?.entry;
  }

  /**
   * Where an entry's file was seen, as an absolute path.
   *
   * @example
   * ```ts ignore
   * import { Registry } from "@plugboard/plugboard/registry";
   *
   * const registry = Registry.fromLockfile("plugboard.lock");
   * console.log(registry.pathOf(registry.resolve("greeter")!)); // /…/build/greeter.so
   * ```
   *
   * @param entry an entry
   * @returns the absolute path
   */
  pathOf(entry: LockEntry): string {
    if (isAbsolute(entry.path)) return entry.path;
    return this.lockfile
      ? resolvePath(dirname(resolvePath(this.lockfile)), entry.path)
      : resolvePath(entry.path);
  }

  /**
   * Record a plugin as trusted, adding its `name@version` or replacing it.
   *
   * @example
   * ```ts ignore
   * import { inspectPlugin } from "@plugboard/plugboard";
   * import { Registry } from "@plugboard/plugboard/registry";
   *
   * const registry = new Registry();
   * const change = registry.trust(inspectPlugin("build/greeter.so"));
   * console.log(change.kind, change.key); // added greeter@0.1.0
   * ```
   *
   * @param subject the plugin, as inspected or as the loader saw it
   * @returns what changed
   */
  trust(subject: PluginIdentity): TrustChange {
    const { path, fingerprint: fp } = normalize(subject);
    const key = lockKey({ ...fp, kind: subject.kind ?? "native" });
    const entry: LockEntry = Object.freeze({
      ...fp,
      kind: subject.kind ?? "native",
      path: this.#entryPath(path),
    });
    const previous = this.#entries.get(key);
    this.#entries.set(key, entry);
    if (!previous) return Object.freeze({ kind: "added", key, entry, changes: [] });
    const changes = diffEntries(previous, entry);
    return Object.freeze({
      kind: changes.length ? "updated" : "unchanged",
      key,
      entry,
      previous,
      changes,
    });
  }

  /**
   * Check a plugin against its entry and a policy; throws the first
   * difference. The loader calls this before anything of the plugin is
   * loaded (pass `registry` and `policy` to `openPlugin`).
   *
   * @example
   * ```ts ignore
   * import { inspectPlugin } from "@plugboard/plugboard";
   * import { Registry } from "@plugboard/plugboard/registry";
   *
   * const registry = Registry.fromLockfile("plugboard.lock");
   * registry.check(inspectPlugin("build/greeter.so"), { pinToolchain: true });
   * ```
   *
   * @param subject the plugin
   * @param policy what the host requires
   * @param options how to read the plugin's signature
   * @throws {LoadError} `ABI_MISMATCH`, `VERSION_MISMATCH`, `UNTRUSTED`, `BAD_SIGNATURE`,
   *   `INTERFACE_MISMATCH`, `TOOLCHAIN_MISMATCH`, `BUILD_ID_MISMATCH` or
   *   `CHECKSUM_MISMATCH`, checked in that order
   */
  check(subject: PluginIdentity, policy: TrustPolicy = {}, options: DifferencesOptions = {}): void {
    const errors = this.differences(subject, policy, options);
    if (errors.length) throw errors[0];
  }

  /**
   * Every difference between a plugin and what the registry and a policy
   * accept, in check order (see {@linkcode Registry.check}).
   *
   * @example
   * ```ts ignore
   * import { inspectPlugin } from "@plugboard/plugboard";
   * import { Registry } from "@plugboard/plugboard/registry";
   *
   * const registry = Registry.fromLockfile("plugboard.lock");
   * for (const e of registry.differences(inspectPlugin("build/greeter.so"))) console.log(e.code);
   * ```
   *
   * @param subject the plugin
   * @param policy what the host requires
   * @param options how to read the plugin's signature
   * @returns the errors, empty when the plugin is accepted
   */
  differences(
    subject: PluginIdentity,
    policy: TrustPolicy = {},
    options: DifferencesOptions = {},
  ): PluginError[] {
    const { path, fingerprint: fp } = normalize(subject);
    const entry = this.get(fp.name, fp.version, subject.kind ?? "native");
    const otherVersions = entry ? [] : this.list()
      .filter((e) => e.name === fp.name && e.version !== fp.version)
      .map((e) => e.version);
    // Hash pins win: a publisher's signature counts only for a plugin
    // without an entry of its own.
    const signers = entry ? [] : this.#publishersFor(fp.name, fp.version);
    const signed = signers.length > 0
      ? this.#signatureErrors(subject, signers, options)
      : undefined;
    const errors: PluginError[] = signed ?? [];
    return [
      ...errors,
      ...differences(path, fp, {
        entry,
        otherVersions,
        source: this.lockfile ?? "the registry",
        trustCommand: () => this.#trustCommand(path),
        // A publisher's entry speaks for this name and version (accepted or refused above).
        trustedByPublisher: signed !== undefined,
      }, resolvePolicy(policy)),
    ];
  }

  /**
   * Trust a publisher's key for plugins: a name (or a pattern with `*`) and
   * a semver range. A plugin without an entry of its own that the key signed
   * (`FILE.sig`, `plugboard sign`) then loads without its hash pinned.
   * Trusting the same key again adds to what it is trusted for.
   *
   * @example
   * ```ts
   * import { Registry } from "@plugboard/plugboard/registry";
   * import { generateSigningKey } from "./signature.ts";
   *
   * const registry = new Registry();
   * const id = registry.trustPublisher(generateSigningKey().key, ["greeter@^0.2"], { name: "acme" });
   * console.log(registry.publishers()[0].id === id); // true
   * ```
   *
   * @param key the public key, `plugboard-ed25519:...`
   * @param trusts what for: `NAME@RANGE` (`greeter@^0.2`, `calc-*@>=1`, `greeter`)
   * @param options a name for people
   * @returns the key's id
   * @throws {PluginError} `USAGE` for a malformed spec or a retired key (a
   *   retired key stays retired), `BAD_SIGNATURE` for a malformed key
   */
  trustPublisher(
    key: string,
    trusts: readonly string[],
    options: { name?: string } = {},
  ): string {
    const pub = publicKeyOf(key);
    for (const spec of trusts) parseTrustSpec(spec);
    const previous = this.#publishers.get(pub.id);
    if (previous?.retired) {
      // Trusting it again would silently revive a key retired for a reason (a leak).
      throw new PluginError(
        "USAGE",
        `Cannot trust key ${pub.id}${
          previous.name ? ` (${previous.name})` : ""
        }: expected a key that is not retired, found one retired on ${previous.retired.time}: ${previous.retired.reason}`,
        {
          hint:
            "make a new key (plugboard keygen), trust it and sign the plugins again; a key retired by mistake is removed from the lockfile by hand",
        },
      );
    }
    const all = [...new Set([...(previous?.trusts ?? []), ...trusts])].sort();
    const name = options.name ?? previous?.name;
    this.#publishers.set(
      pub.id,
      Object.freeze({
        key: pub.key,
        ...(name !== undefined ? { name } : {}),
        trusts: Object.freeze(all),
      }),
    );
    return pub.id;
  }

  /**
   * Retire a publisher's key: plugins signed only by it are refused from now
   * on, with this reason (hash-pinned entries are unaffected).
   *
   * @param id the key's id (or a prefix of it)
   * @param reason why, for the refusal's message
   * @param time when
   * @returns the key's id
   * @throws {PluginError} `USAGE` when no trusted key has that id
   */
  retirePublisher(id: string, reason: string, time: string = new Date().toISOString()): string {
    const matches = [...this.#publishers.keys()].filter((k) => k.startsWith(id));
    if (matches.length !== 1 || id === "") {
      throw new PluginError(
        "USAGE",
        `Cannot retire key ${quote(id)}: expected the id of one trusted publisher, found ${
          matches.length === 0 ? "none" : `${matches.length} (${matches.join(", ")})`
        }`,
        { hint: "list the trusted keys with `plugboard trust --list-publishers`" },
      );
    }
    const p = this.#publishers.get(matches[0])!;
    this.#publishers.set(
      matches[0],
      Object.freeze({ ...p, retired: Object.freeze({ time, reason }) }),
    );
    return matches[0];
  }

  /**
   * The trusted publishers, by key id.
   *
   * @returns the publishers
   */
  publishers(): PublisherEntry[] {
    return [...this.#publishers].sort(([a], [b]) => a < b ? -1 : 1).map(([id, p]) => ({
      ...p,
      id,
    }));
  }

  /** Publishers (retired ones included) trusted for this name and version. */
  #publishersFor(name: string, version: string): PublisherEntry[] {
    const v = parseSemVer(version);
    return this.publishers().filter((p) =>
      p.trusts.some((spec) => {
        const t = parseTrustSpec(spec);
        return t.name.test(name) && v !== undefined && satisfies(v, t.range);
      })
    );
  }

  /** The publisher path: a signature by a trusted, active key over this very plugin. */
  #signatureErrors(
    subject: PluginIdentity,
    signers: readonly PublisherEntry[],
    options: DifferencesOptions,
  ): PluginError[] {
    const id = `${subject.name}@${subject.version}`;
    const path = subject.path;
    const label = (p: PublisherEntry) => `key ${p.id}${p.name ? ` (${p.name})` : ""}`;
    const active = signers.filter((p) => !p.retired);
    const wanted = active.length
      ? `a signature by ${active.map(label).join(" or ")}, which ${
        this.lockfile ?? "the registry"
      } trusts for ${id}`
      : `a signature by a key ${this.lockfile ?? "the registry"} trusts for ${id}`;
    const err = (code: "UNTRUSTED" | "BAD_SIGNATURE", what: string, found: string, hint: string) =>
      new LoadError(code, { path, what: `plugin ${id}: ${what}`, expected: wanted, found, hint });
    let sig: PluginSignature | undefined;
    try {
      sig = options.signature?.();
    } catch (e) {
      if (e instanceof PluginError) {
        return [err("BAD_SIGNATURE", "its signature file is invalid", e.summary, e.hint ?? "")];
      }
      throw e;
    }
    if (!sig) {
      return [
        err(
          "UNTRUSTED",
          "not signed",
          `no signature file ${path}${SIGNATURE_SUFFIX}`,
          `sign it with the publisher's key (plugboard sign ${path} --key KEY), or trust this file itself: ${
            this.#trustCommand(path)
          }`,
        ),
      ];
    }
    const signer = signers.find((p) => p.id === sig!.keyId);
    if (!signer) {
      // A valid signature by a key nobody vouched for: the plugin is not
      // trusted (as with a retired key), not damaged.
      return [
        err(
          "UNTRUSTED",
          "signed by a key not trusted for it",
          `a signature by key ${sig.keyId}`,
          `trust that key for ${subject.name} (plugboard trust --publisher KEY.pub --for "${subject.name}@^${subject.version}"), or sign with a trusted key`,
        ),
      ];
    }
    if (signer.retired) {
      return [
        err(
          "UNTRUSTED",
          `signed only by retired ${label(signer)}`,
          `its signature, by a key retired on ${signer.retired.time}: ${signer.retired.reason}`,
          "sign the plugin with a current key, or trust this file itself",
        ),
      ];
    }
    const problem = signatureProblem(sig, subject);
    if (problem) {
      return [
        err(
          "BAD_SIGNATURE",
          "its signature does not match it",
          `a signature by ${label(signer)}, but ${problem}`,
          "restore the file the publisher signed, or have it signed again",
        ),
      ];
    }
    return [];
  }

  /**
   * The registry as a lockfile.
   *
   * @example
   * ```ts
   * import { Registry } from "@plugboard/plugboard/registry";
   *
   * console.log(new Registry().toLockfile()); // { version: 2, plugins: {} }
   * ```
   *
   * @returns the lockfile
   */
  toLockfile(): Lockfile {
    const plugins: Record<string, LockEntry> = {};
    for (const e of this.list()) plugins[lockKey(e)] = e;
    if (this.#publishers.size === 0) return { version: LOCKFILE_VERSION, plugins };
    return { version: LOCKFILE_VERSION, plugins, publishers: Object.fromEntries(this.#publishers) };
  }

  /**
   * Write the registry to its lockfile (or `path`), atomically.
   *
   * @example
   * ```ts ignore
   * import { Registry } from "@plugboard/plugboard/registry";
   *
   * Registry.fromLockfile("plugboard.lock", { create: true }).save();
   * ```
   *
   * @param path where to write; entry paths stay relative to the registry's lockfile
   * @throws {PluginError} `USAGE` when the registry has no lockfile and no path is given
   */
  save(path: string | undefined = this.lockfile): void {
    if (path === undefined) {
      throw new PluginError("USAGE", "Cannot save an in-memory registry without a path", {
        hint: 'pass the lockfile path: registry.save("plugboard.lock")',
      });
    }
    writeLockfile(path, this.toLockfile());
  }

  #entryPath(path: string): string {
    const abs = resolvePath(path);
    if (!this.lockfile) return abs;
    const rel = relative(dirname(resolvePath(this.lockfile)), abs);
    return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? abs : rel;
  }

  #trustCommand(path: string): string {
    const lock = this.lockfile;
    const lockArg = lock === undefined || resolvePath(lock) === resolvePath(DEFAULT_LOCKFILE)
      ? ""
      : ` --lock ${shellWord(lock)}`;
    return `plugboard trust ${shellWord(path)}${lockArg}`;
  }
}

const byId = new WeakMap<object, Readonly<Record<string, LockedInterface>>>();

/**
 * The fingerprint of a plugin's identity: its interfaces keyed by id.
 *
 * @param subject the plugin
 * @returns its path and fingerprint
 */
function normalize(subject: PluginIdentity): { path: string; fingerprint: Fingerprint } {
  let interfaces = byId.get(subject.interfaces);
  if (!interfaces) {
    const record: Record<string, LockedInterface> = {};
    for (const i of [...subject.interfaces].sort((a, b) => a.id < b.id ? -1 : 1)) {
      record[i.id] = Object.freeze({
        version: i.version,
        hash: i.hash,
        functions: Object.freeze([...i.functions]),
      });
    }
    interfaces = Object.freeze(record);
    // Frozen lists (identities, the hash cache) are shared by every use of them.
    if (Object.isFrozen(subject.interfaces)) byId.set(subject.interfaces, interfaces);
  }
  return {
    path: subject.path,
    fingerprint: {
      name: subject.name,
      version: subject.version,
      abi: subject.abi,
      interfaces,
      compiler: subject.compiler,
      buildId: subject.buildId,
      sha256: subject.sha256,
    },
  };
}

function diffEntries(a: LockEntry, b: LockEntry): FieldChange[] {
  const out: FieldChange[] = [];
  const add = (field: string, from: string, to: string) => {
    if (from !== to) out.push(Object.freeze({ field, from, to }));
  };
  add("kind", a.kind, b.kind);
  add("abi", a.abi, b.abi);
  for (const d of interfaceDifferences(a.interfaces, b.interfaces, "exact")) {
    out.push(Object.freeze({ field: `interface ${d.id}`, from: d.expected, to: d.found }));
  }
  add("compiler", a.compiler, b.compiler);
  add("build id", a.buildId || "(none)", b.buildId || "(none)");
  if (a.sha256 !== b.sha256) {
    const [from, to] = shortHashes(a.sha256, b.sha256);
    out.push(Object.freeze({ field: "sha256", from, to }));
  }
  add("path", a.path, b.path);
  return out;
}

function shellWord(s: string): string {
  return /^[A-Za-z0-9_./@%+=:,-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * A trust spec: `NAME@RANGE` with `*` in NAME matching any run of
 * characters; a bare NAME trusts every version.
 */
function parseTrustSpec(
  spec: string,
): { name: RegExp; range: NonNullable<ReturnType<typeof parseRange>> } {
  const at = spec.indexOf("@");
  const name = at === -1 ? spec : spec.slice(0, at);
  const range = parseRange(at === -1 ? "*" : spec.slice(at + 1));
  if (!/^[a-z0-9._*-]+$/.test(name) || !range) {
    throw new PluginError("USAGE", `Invalid trust spec ${quote(spec)}`, {
      hint: 'write NAME@RANGE, e.g. "greeter@^0.2", "calc-*@>=1.0" or "greeter"',
    });
  }
  const pattern = name.replace(/[.]/g, "\\.").replaceAll("*", "[a-z0-9._-]*");
  return { name: new RegExp(`^${pattern}$`), range };
}
