/**
 * A small, strict semantic-versioning parser and range matcher (semver 2.0.0
 * precedence, npm range syntax), enough for the registry to resolve
 * `greeter@^0.2`.
 *
 * Ranges: exact (`1.2.3`, `=1.2.3`), comparators (`>`, `>=`, `<`, `<=`),
 * caret (`^1.2.3`, `^0.2`), tilde (`~1.2.3`, `~1.2`), x-ranges (`1.x`,
 * `1.2.*`, `1`, `*`), comparators joined by spaces (all must hold) and sets
 * joined by `||` (any may hold). As in npm, a prerelease version matches a
 * range only when a comparator of the same set names a prerelease of the same
 * `MAJOR.MINOR.PATCH`: `^1.2.3` does not match `1.3.0-beta`.
 *
 * @module
 */

/** A parsed version. */
export interface SemVer {
  /** Incompatible changes. */
  readonly major: number;
  /** Compatible additions. */
  readonly minor: number;
  /** Fixes. */
  readonly patch: number;
  /** Prerelease identifiers (`1.0.0-rc.1` has `["rc", 1]`); empty for a release. */
  readonly prerelease: readonly (string | number)[];
  /** Build metadata (ignored for precedence). */
  readonly build: readonly string[];
}

/** One comparator: `op` applied to `version`. */
export interface Comparator {
  /** The operator. */
  readonly op: "<" | "<=" | ">" | ">=" | "=";
  /** The version compared with. */
  readonly version: SemVer;
}

/** A range: any of the sets matches when all of its comparators hold. */
export type Range = readonly (readonly Comparator[])[];

const NUM = "0|[1-9]\\d*";
const PRE_ID = "(?:0|[1-9]\\d*|\\d*[A-Za-z-][0-9A-Za-z-]*)";
const VERSION_RE = new RegExp(
  `^(${NUM})\\.(${NUM})\\.(${NUM})` +
    `(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?` +
    `(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?$`,
);
const PARTIAL_RE = new RegExp(
  `^v?(${NUM}|[xX*])(?:\\.(${NUM}|[xX*])(?:\\.(${NUM}|[xX*])` +
    `(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?` +
    `(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?)?)?$`,
);

/**
 * Parse a full version `MAJOR.MINOR.PATCH[-PRE][+BUILD]` (a leading `v` is
 * accepted).
 *
 * @param text the version
 * @returns the version, or `undefined` when the text is not one
 */
export function parseSemVer(text: string): SemVer | undefined {
  const m = VERSION_RE.exec(text.trim().replace(/^v/, ""));
  if (!m) return undefined;
  const nums = [m[1], m[2], m[3]].map(Number);
  if (nums.some((n) => !Number.isSafeInteger(n))) return undefined;
  return Object.freeze({
    major: nums[0],
    minor: nums[1],
    patch: nums[2],
    prerelease: Object.freeze(m[4] ? m[4].split(".").map(preId) : []),
    build: Object.freeze(m[5] ? m[5].split(".") : []),
  });
}

/**
 * Compare two versions by semver precedence (build metadata ignored).
 *
 * @param a one version
 * @param b the other
 * @returns a negative number, 0 or a positive number
 */
export function compareSemVer(a: SemVer, b: SemVer): number {
  if (a.major !== b.major) return a.major - b.major;
  if (a.minor !== b.minor) return a.minor - b.minor;
  if (a.patch !== b.patch) return a.patch - b.patch;
  const pa = a.prerelease;
  const pb = b.prerelease;
  if (pa.length === 0 || pb.length === 0) return pb.length - pa.length;
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    if (i >= pa.length) return -1;
    if (i >= pb.length) return 1;
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    if (typeof x === "number" && typeof y === "number") return x - y;
    if (typeof x === "number") return -1;
    if (typeof y === "number") return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * Parse a range.
 *
 * @param text the range, e.g. `^0.2`, `>=1.2.0 <2`, `1.x || ~2.1`
 * @returns the range, or `undefined` when the text is not one
 */
export function parseRange(text: string): Range | undefined {
  const sets: Comparator[][] = [];
  for (const part of text.split("||")) {
    // "> 1.2" and ">=1.2" both work: glue operators to their versions.
    const words = part.trim().replace(/(<=|>=|<|>|=|\^|~)\s+/g, "$1")
      .split(/\s+/).filter((w) => w !== "");
    const set: Comparator[] = [];
    for (const word of words.length ? words : ["*"]) {
      const comparators = desugar(word);
      if (!comparators) return undefined;
      set.push(...comparators);
    }
    sets.push(set);
  }
  return Object.freeze(sets.map((s) => Object.freeze(s)));
}

/**
 * Whether a version is in a range.
 *
 * @param version the version
 * @param range the range
 * @returns whether it matches
 */
export function satisfies(version: SemVer, range: Range): boolean {
  return range.some((set) => {
    if (!set.every((c) => test(c, version))) return false;
    if (version.prerelease.length === 0) return true;
    // A prerelease only matches a set that names one of the same version.
    return set.some((c) =>
      c.version.prerelease.length > 0 &&
      !isSentinel(c.version) &&
      c.version.major === version.major &&
      c.version.minor === version.minor &&
      c.version.patch === version.patch
    );
  });
}

/**
 * Format a version as text (without build metadata).
 *
 * @param v the version
 * @returns e.g. `1.2.3-rc.1`
 */
export function formatSemVer(v: SemVer): string {
  const core = `${v.major}.${v.minor}.${v.patch}`;
  return v.prerelease.length ? `${core}-${v.prerelease.join(".")}` : core;
}

/**
 * Order of lock entries: by name, then by semver precedence of the version.
 *
 * @param a one entry
 * @param b the other
 * @returns a negative number, 0 or a positive number
 */
export function compareEntries(
  a: { name: string; version: string },
  b: { name: string; version: string },
): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  const va = parseSemVer(a.version);
  const vb = parseSemVer(b.version);
  if (va && vb) {
    const d = compareSemVer(va, vb);
    if (d !== 0) return d;
  }
  return a.version < b.version ? -1 : a.version > b.version ? 1 : 0;
}

// ---------------------------------------------------------------------------

function preId(s: string): string | number {
  return /^\d+$/.test(s) ? Number(s) : s;
}

function test(c: Comparator, v: SemVer): boolean {
  const d = compareSemVer(v, c.version);
  switch (c.op) {
    case "<":
      return d < 0;
    case "<=":
      return d <= 0;
    case ">":
      return d > 0;
    case ">=":
      return d >= 0;
    case "=":
      return d === 0;
  }
}

/** The `-0` lower bound of upper limits (`<2.0.0-0`): below every 2.0.0 prerelease. */
const SENTINEL = Object.freeze([0]) as readonly (string | number)[];

function isSentinel(v: SemVer): boolean {
  return v.prerelease === SENTINEL;
}

function ver(
  major: number,
  minor: number,
  patch: number,
  prerelease: readonly (string | number)[] = [],
): SemVer {
  return Object.freeze({ major, minor, patch, prerelease, build: [] });
}

/** An exclusive upper bound that also excludes the bound's prereleases. */
function below(major: number, minor: number, patch: number): Comparator {
  return { op: "<", version: ver(major, minor, patch, SENTINEL) };
}

function atLeast(v: SemVer): Comparator {
  return { op: ">=", version: v };
}

const ANY: Comparator[] = [atLeast(ver(0, 0, 0))];

/** One word of a range into comparators; `undefined` when malformed. */
function desugar(word: string): Comparator[] | undefined {
  const m = /^(<=|>=|<|>|=|\^|~>?)?(.*)$/.exec(word)!;
  const op = m[1] ?? "";
  const p = PARTIAL_RE.exec(m[2]);
  if (!p) return undefined;
  const isX = (s: string | undefined) => s === undefined || /^[xX*]$/.test(s);
  const xMajor = isX(p[1]);
  const xMinor = xMajor || isX(p[2]);
  const xPatch = xMinor || isX(p[3]);
  // A number after a wildcard ("x.1", "1.x.2") or a prerelease of one means nothing.
  if ((xMajor && !isX(p[2])) || (xMinor && !isX(p[3])) || (xPatch && p[4])) {
    return undefined;
  }
  const major = xMajor ? 0 : Number(p[1]);
  const minor = xMinor ? 0 : Number(p[2]);
  const patch = xPatch ? 0 : Number(p[3]);
  if (![major, minor, patch].every(Number.isSafeInteger)) return undefined;
  const pre = !xPatch && p[4] ? Object.freeze(p[4].split(".").map(preId)) : [];
  const full = ver(major, minor, patch, pre);

  switch (op) {
    case "^":
      if (xMajor) return ANY;
      if (major > 0 || xMinor) return [atLeast(full), below(major + 1, 0, 0)];
      if (minor > 0 || xPatch) return [atLeast(full), below(0, minor + 1, 0)];
      return [atLeast(full), below(0, 0, patch + 1)];
    case "~":
    case "~>":
      if (xMajor) return ANY;
      if (xMinor) return [atLeast(full), below(major + 1, 0, 0)];
      return [atLeast(full), below(major, minor + 1, 0)];
    case ">":
      if (xMajor) return [{ op: "<", version: ver(0, 0, 0, SENTINEL) }]; // nothing
      if (xMinor) return [atLeast(ver(major + 1, 0, 0))];
      if (xPatch) return [atLeast(ver(major, minor + 1, 0))];
      return [{ op: ">", version: full }];
    case ">=":
      return xMajor ? ANY : [atLeast(full)];
    case "<":
      if (xMajor) return [{ op: "<", version: ver(0, 0, 0, SENTINEL) }];
      if (xPatch) return [below(major, xMinor ? 0 : minor, 0)];
      return [{ op: "<", version: full }];
    case "<=":
      if (xMajor) return ANY;
      if (xMinor) return [below(major + 1, 0, 0)];
      if (xPatch) return [below(major, minor + 1, 0)];
      return [{ op: "<=", version: full }];
    default: // "" or "="
      if (xMajor) return ANY;
      if (xMinor) return [atLeast(full), below(major + 1, 0, 0)];
      if (xPatch) return [atLeast(full), below(major, minor + 1, 0)];
      return [{ op: "=", version: full }];
  }
}
