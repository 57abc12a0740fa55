/**
 * Rollout rules of a host: whether a plugin name is enabled, and how
 * {@linkcode PluginHost.select} shares selections between its versions by
 * weight: by a hash of a caller's key (the same key always gets the same
 * version), or, without a key, in smooth weighted round robin (exact shares
 * over every cycle of the total weight).
 *
 * @module
 */

import { compareSemVer, parseRange, type Range, satisfies, type SemVer } from "../abi/semver.ts";
import { CallError, PluginError, quote } from "../errors/plugin_error.ts";

/**
 * How a host treats one plugin name (every version, every file of it).
 *
 * @example Ten percent of keys on 0.2, the rest on 0.1
 * ```ts
 * import type { RolloutRule } from "@plugboard/plugboard/host";
 *
 * const rule: RolloutRule = { weights: { "^0.1": 90, "^0.2": 10 } };
 * console.log(rule.enabled ?? true); // true
 * ```
 */
export interface RolloutRule {
  /**
   * `false` disables the plugin by configuration, its file left in place:
   * a host that has not loaded it does not (nothing of it runs),
   * `select()`, `use()` and `load()` throw `DISABLED`, `plugins()` leaves
   * it out, and functions handed out earlier fail with `DISABLED` until it
   * is enabled again (calls already running finish).
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Shares of {@linkcode PluginHost.select} by version: each key a semver
   * range (`"^0.2"`, `"0.1.x"`, `"1.4.2"`), each value a weight (a finite
   * number, 0 or more; shares are weight / total). A selection picks a range
   * by weight among those that admit a hosted version, then the highest
   * version in it. Versions no range admits are not picked while some range
   * matches. With a key, the pick is a hash of the plugin name and the key
   * laid on the ranges in the order written: list the new version last, and
   * raising its share only moves keys onto it.
   * @default undefined (the highest version is picked)
   */
  readonly weights?: Readonly<Record<string, number>>;
}

/**
 * Rollout rules by plugin name (the `name` in the plugin's metadata, as
 * `PLUGBOARD_PLUGIN` declares it). A name without a rule is enabled, and
 * selection picks its highest version.
 *
 * @example Greeter 0.2 for a tenth of users, the counter off
 * ```ts
 * import type { Rollout } from "@plugboard/plugboard/host";
 *
 * const rollout: Rollout = {
 *   greeter: { weights: { "^0.1": 90, "^0.2": 10 } },
 *   counter: { enabled: false },
 * };
 * console.log(Object.keys(rollout)); // ["greeter", "counter"]
 * ```
 */
export type Rollout = Readonly<Record<string, RolloutRule>>;

/** One weighted range of a rule. */
export interface WeightedRange {
  /** The range as written. */
  readonly text: string;
  /** The parsed range. */
  readonly range: Range;
  /** Its weight. */
  readonly weight: number;
}

/** A validated rule. */
export interface CheckedRule {
  /** Whether the name is enabled. */
  readonly enabled: boolean;
  /** The weighted ranges, in the order written; `undefined` without weights. */
  readonly weights: readonly WeightedRange[] | undefined;
  /** The rule as given, frozen. */
  readonly rule: RolloutRule;
}

/**
 * Check a rule and freeze a copy of it.
 *
 * @param name the plugin name
 * @param rule the rule
 * @returns the checked rule
 * @throws {PluginError} `USAGE` for an empty name, a key that is not a semver
 *   range, a weight that is not a finite number >= 0, or weights that sum to 0
 */
export function checkRule(name: string, rule: RolloutRule): CheckedRule {
  const bad = (expected: string, found: string, hint: string) =>
    new PluginError(
      "USAGE",
      `Invalid rollout rule for plugin ${quote(name)}: expected ${expected}, found ${found}`,
      { hint },
    );
  if (name === "") {
    throw bad("a plugin name", "an empty name", "key each rule by the plugin's metadata name");
  }
  if (typeof rule !== "object" || rule === null) {
    throw bad(
      "an object such as { enabled: false } or { weights: { ... } }",
      String(rule),
      'write { enabled: false } to disable it, or { weights: { "^0.1": 90, "^0.2": 10 } }',
    );
  }
  if (rule.enabled !== undefined && typeof rule.enabled !== "boolean") {
    throw bad("enabled to be true or false", quote(String(rule.enabled)), "write enabled: false");
  }
  let weights: WeightedRange[] | undefined;
  if (rule.weights !== undefined) {
    weights = [];
    let total = 0;
    for (const [text, weight] of Object.entries(rule.weights)) {
      const range = parseRange(text);
      if (!range || text.trim() === "") {
        throw bad(
          "a semver range as each key of weights",
          quote(text),
          'write ranges such as "^0.2", "0.1.x" or "1.4.2"',
        );
      }
      if (typeof weight !== "number" || !Number.isFinite(weight) || weight < 0) {
        throw bad(
          `a finite weight of 0 or more for ${quote(text)}`,
          String(weight),
          "weights are relative shares, e.g. 90 and 10",
        );
      }
      total += weight;
      weights.push(Object.freeze({ text, range, weight }));
    }
    if (total <= 0) {
      throw bad(
        "weights that sum to more than 0",
        weights.length === 0 ? "no weights" : "only zero weights",
        "give the version that should serve a positive weight, or leave weights out",
      );
    }
  }
  const frozen: RolloutRule = Object.freeze({
    ...(rule.enabled !== undefined ? { enabled: rule.enabled } : {}),
    ...(rule.weights !== undefined ? { weights: Object.freeze({ ...rule.weights }) } : {}),
  });
  return Object.freeze({
    enabled: rule.enabled ?? true,
    weights: weights && Object.freeze(weights),
    rule: frozen,
  });
}

/** `NAME@RANGE` or `NAME`, parsed. */
export interface PluginSpec {
  /** The plugin name. */
  readonly name: string;
  /** The range as written (`*` for a bare name). */
  readonly rangeText: string;
  /** The parsed range. */
  readonly range: Range;
}

/**
 * Parse `NAME@RANGE` or `NAME` (which means `NAME@*`), as the registry's
 * `resolve()` does.
 *
 * @param spec the text
 * @returns the parsed spec
 * @throws {PluginError} `USAGE` when the name is empty or the range malformed
 */
export function parsePluginSpec(spec: string): PluginSpec {
  const at = spec.indexOf("@");
  const name = at === -1 ? spec : spec.slice(0, at);
  const rangeText = at === -1 ? "*" : spec.slice(at + 1);
  const range = parseRange(rangeText);
  if (!range || name === "" || rangeText.trim() === "") {
    throw new PluginError("USAGE", `Invalid plugin spec ${quote(spec)}`, {
      hint:
        'write NAME@RANGE, e.g. "greeter@^0.2", "greeter@~0.1.0", "greeter@>=0.1 <0.3" or "greeter"',
    });
  }
  return { name, rangeText, range };
}

const admitted = new WeakMap<SemVer, WeakMap<Range, boolean>>();

/**
 * Whether a range admits a version, remembered per (version, range) pair:
 * both are immutable and reused (a build's version is parsed once, a spec's
 * and a rule's ranges once), and selection asks the same question on every
 * request.
 *
 * @param range the range
 * @param version the version
 * @returns whether it is in the range
 */
export function admits(range: Range, version: SemVer): boolean {
  let byRange = admitted.get(version);
  if (!byRange) admitted.set(version, byRange = new WeakMap());
  let yes = byRange.get(range);
  if (yes === undefined) byRange.set(range, yes = satisfies(version, range));
  return yes;
}

/** A hosted version that a selection may pick. */
export interface Choice<T> {
  /** The plugin. */
  readonly item: T;
  /** Its version, parsed; `undefined` when it is not semver (never picked by range). */
  readonly version: SemVer | undefined;
}

/**
 * The smooth weighted round robin of one name's unkeyed selections (the
 * algorithm of nginx's upstream module): each pick adds every weight to its
 * range's running score, takes the highest score and subtracts the total
 * from it. Over each cycle of total-weight picks (integer weights), every
 * range is picked exactly its weight times, spread out.
 */
export class RoundRobin {
  #scores = new Map<string, number>();

  /**
   * Pick one of the ranges.
   *
   * @param ranges the ranges that can be picked now, weight > 0
   * @returns the index of the one picked
   */
  next(ranges: readonly WeightedRange[]): number {
    let total = 0;
    let best = 0;
    let bestScore = -Infinity;
    for (let i = 0; i < ranges.length; i++) {
      const r = ranges[i];
      const score = (this.#scores.get(r.text) ?? 0) + r.weight;
      this.#scores.set(r.text, score);
      total += r.weight;
      if (score > bestScore) {
        best = i;
        bestScore = score;
      }
    }
    this.#scores.set(ranges[best].text, bestScore - total);
    return best;
  }
}

/**
 * A key's point in [0, 1): FNV-1a over the UTF-16 code units of `name`, a
 * NUL and `key` (no encoding, so nothing is allocated), then murmur3's
 * finalizer so that keys differing in one character land far apart.
 * Salting with the name keeps the rollouts of two plugins independent for
 * the same key.
 *
 * @param name the plugin name
 * @param key the caller's key
 * @returns the point
 */
export function keyPoint(name: string, key: string): number {
  let h = 0x811c9dc5;
  const text = `${name}\0${key}`;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    h ^= unit & 0xff;
    h = Math.imul(h, 0x01000193);
    h ^= unit >>> 8;
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000;
}

/**
 * Pick among the versions of one name that a request's range admits:
 * with weights, a weighted range first (by key, or in round robin), then
 * the highest version in it; without, the highest version. Ties go to the
 * first in the given order (discovery order).
 *
 * @param name the plugin name
 * @param choices the hosted versions in the request's range, in discovery order
 * @param rule the name's rule, if any
 * @param key the caller's key, if any
 * @param rr the name's round robin
 * @returns the pick
 */
export function pick<T>(
  name: string,
  choices: readonly Choice<T>[],
  rule: CheckedRule | undefined,
  key: string | undefined,
  rr: RoundRobin,
): T {
  let range: Range | undefined;
  const weights = rule?.weights;
  if (weights) {
    // Plain loops: this runs on every request.
    const ranges: WeightedRange[] = [];
    let total = 0;
    for (const w of weights) {
      if (w.weight <= 0) continue;
      for (const c of choices) {
        if (c.version && admits(w.range, c.version)) {
          ranges.push(w);
          total += w.weight;
          break;
        }
      }
    }
    if (ranges.length > 0) {
      let at = ranges.length - 1;
      if (key === undefined) at = rr.next(ranges);
      else {
        const point = keyPoint(name, key) * total;
        let edge = 0;
        for (let i = 0; i < ranges.length; i++) {
          edge += ranges[i].weight;
          if (point < edge) {
            at = i;
            break;
          }
        }
      }
      range = ranges[at].range;
    }
  }
  let best: Choice<T> | undefined;
  for (const c of choices) {
    if (range && !(c.version && admits(range, c.version))) continue;
    if (!best || (c.version && (!best.version || compareSemVer(c.version, best.version) > 0))) {
      best = c;
    }
  }
  return best!.item;
}

/** How to enable a disabled plugin, for hints. */
function enableHint(name: string): string {
  return `enable it with host.setRollout(${
    quote(name)
  }, { enabled: true }), or drop enabled: false from the host's rollout option; the file stays where it is`;
}

/**
 * The error of a selection, `use()` or `load()` of a disabled plugin.
 *
 * @param name the plugin name
 * @param path the file, when one is concerned
 * @returns the error
 */
export function disabledError(name: string, path?: string): PluginError {
  return new PluginError(
    "DISABLED",
    `Cannot use plugin ${quote(name)}${
      path === undefined ? "" : ` (${quote(path)})`
    }: it is disabled by configuration: expected enabled: true, found rollout rule { enabled: false }`,
    { ...(path === undefined ? {} : { path }), hint: enableHint(name) },
  );
}

/**
 * The error of a call through a function of a disabled plugin.
 *
 * @param name the plugin name
 * @param path the file
 * @param fn the function called
 * @returns the error
 */
export function disabledCallError(name: string, path: string, fn: string): CallError {
  return new CallError(
    "DISABLED",
    path,
    fn,
    `plugin ${quote(name)} is disabled by configuration (rollout rule { enabled: false })`,
    { hint: enableHint(name) },
  );
}
