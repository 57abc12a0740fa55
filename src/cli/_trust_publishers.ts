/**
 * The publisher forms of `plugboard trust`: which form a command line is
 * (files, `--publisher`, `--retire`, `--list-publishers`), so the forms
 * cannot be mixed and a usage error names the form an option belongs to;
 * then trusting a key for names and ranges, retiring one, listing them.
 *
 * @module
 */

import { type PublisherEntry, Registry } from "../registry/registry.ts";
import type { ParsedArgs } from "./_args.ts";
import { publicKeyArg } from "./_keys.ts";
import { EXIT_OK, type Io, toJson, UsageError } from "./_output.ts";

/** The forms of `trust`. */
export type TrustForm = "files" | "publisher" | "retire" | "list";

/** What `trust` accepts (its parser's declaration). */
export interface TrustSpec {
  readonly command: "trust";
  readonly flags: ["json", "list-publishers"];
  readonly options: ["lock", "publisher", "name", "retire", "reason"];
  readonly lists: ["for"];
}

/** Each form as a usage error names it. */
const FORMS: Readonly<Record<TrustForm, string>> = {
  files: "`trust FILE|DIR...` (pins plugins by hash)",
  publisher: "`trust --publisher KEY --for NAME@RANGE` (trusts a publisher's key)",
  retire: "`trust --retire KEY_ID --reason TEXT` (retires a key)",
  list: "`trust --list-publishers` (lists the trusted keys)",
};

/** The options that belong to one form only. */
const OWNED: readonly (readonly [string, TrustForm])[] = [
  ["for", "publisher"],
  ["name", "publisher"],
  ["reason", "retire"],
];

/**
 * Which form a `trust` command line is, refusing a mix of forms, an option
 * of another form and a form without what it needs, each with a message
 * that names the form meant.
 *
 * @param a the parsed arguments
 * @returns the form
 * @throws {UsageError} naming the forms involved
 */
export function trustForm(a: ParsedArgs<TrustSpec>): TrustForm {
  const given: TrustForm[] = [];
  if (a.positionals.length > 0) given.push("files");
  if (a.options.publisher !== undefined) given.push("publisher");
  if (a.options.retire !== undefined) given.push("retire");
  if (a.flags["list-publishers"]) given.push("list");
  const fail = (message: string): never => {
    throw new UsageError(message, "trust");
  };
  if (given.length > 1) {
    const files = given[0] === "files" ? ` (got FILE ${JSON.stringify(a.positionals[0])})` : "";
    fail(
      `${FORMS[given[0]]}${files} and ${
        FORMS[given[1]]
      } are two forms of trust: run them one at a time`,
    );
  }
  const form = given[0];
  for (const [option, owner] of OWNED) {
    const present = option === "for" ? a.lists.for.length > 0 : a.options[
      option as "name" | "reason"
    ] !== undefined;
    if (!present || owner === form) continue;
    fail(
      form === undefined
        ? `--${option} belongs to ${FORMS[owner]}: add --${
          owner === "publisher" ? "publisher KEY" : "retire KEY_ID"
        }`
        : `--${option} belongs to ${FORMS[owner]}, not to ${FORMS[form]}`,
    );
  }
  if (form === undefined) {
    fail(
      "trust needs FILE|DIR... to pin plugins, or --publisher, --retire or --list-publishers for publisher keys",
    );
  }
  if (form === "files") {
    for (const p of a.positionals) keyLikeFile(p, fail);
  }
  if (form === "publisher" && a.lists.for.length === 0) {
    fail(
      'trust --publisher needs at least one --for NAME@RANGE: the names and versions the key may sign, e.g. --for "greeter@^0.2"',
    );
  }
  if (form === "retire") {
    if (a.options.reason === undefined) {
      fail(
        "trust --retire needs --reason TEXT: why, kept in the lockfile and shown when a plugin signed by the key is refused",
      );
    }
    if (a.options.reason!.trim() === "") fail("--reason must say why the key is retired");
  }
  return form!;
}

/** A FILE of `trust FILE...` that is a key or a signature, not a plugin: say which form was meant. */
function keyLikeFile(path: string, fail: (message: string) => never): void {
  const p = JSON.stringify(path);
  if (path.trim().startsWith("plugboard-ed25519:") || path.endsWith(".pub")) {
    fail(
      `${p} is a public key, not a plugin: to trust a publisher's key, run trust --publisher ${
        JSON.stringify(path.length > 60 ? "KEY" : path)
      } --for NAME@RANGE`,
    );
  }
  if (path.endsWith(".key")) {
    fail(
      `${p} looks like a private key, not a plugin: keep it to yourself, and trust its public half with trust --publisher ${
        JSON.stringify(`${path}.pub`)
      } --for NAME@RANGE`,
    );
  }
  if (path.endsWith(".sig")) {
    fail(
      `${p} is a signature file, not a plugin: pin the plugin itself (trust ${
        JSON.stringify(path.slice(0, -4))
      }), or trust the key that signed it (trust --publisher KEY --for NAME@RANGE)`,
    );
  }
}

/** `0123456789abcdef (acme)`. */
function label(p: { id: string; name?: string }): string {
  return `${p.id}${p.name ? ` (${p.name})` : ""}`;
}

function publisherJson(p: PublisherEntry): Record<string, unknown> {
  return {
    id: p.id,
    key: p.key,
    name: p.name ?? null,
    trusts: p.trusts,
    retired: p.retired ?? null,
  };
}

/**
 * `trust --publisher KEY --for SPEC...`: trust a key for names and ranges.
 *
 * @param lock the lockfile
 * @param what the key (text or file), what for, a name
 * @param json whether to print JSON
 * @param io where to write
 * @returns the exit code
 */
export function trustPublisherKey(
  lock: string,
  what: { key: string; trusts: readonly string[]; name: string | undefined },
  json: boolean,
  io: Io,
): number {
  const key = publicKeyArg(what.key);
  const existed = exists(lock);
  const { before, after } = Registry.edit(lock, {}, (registry) => {
    const before = registry.publishers().find((p) => p.id === key.id);
    registry.trustPublisher(key.key, what.trusts, { name: what.name });
    const after = registry.publishers().find((p) => p.id === key.id)!;
    return { before, after };
  });
  const added = after.trusts.filter((t) => !before?.trusts.includes(t));
  const renamed = before !== undefined && before.name !== after.name;
  const change = before === undefined
    ? "added"
    : added.length > 0 || renamed
    ? "updated"
    : "unchanged";
  const written = change !== "unchanged" || !existed;
  if (json) {
    io.out(toJson({ lockfile: lock, written, change, publisher: publisherJson(after) }));
    return EXIT_OK;
  }
  const details = [
    ...(change === "updated" && added.length > 0 ? [`added ${added.join(", ")}`] : []),
    ...(renamed ? [`name ${before!.name ?? "(none)"} -> ${after.name ?? "(none)"}`] : []),
  ];
  io.out(
    `${change} publisher ${label(after)}: ${after.trusts.join(", ")}${
      details.length ? ` (${details.join("; ")})` : ""
    }`,
  );
  io.out(`${written ? "wrote" : "kept"} ${lock}`);
  return EXIT_OK;
}

/**
 * `trust --retire KEY_ID --reason TEXT`: retire a key (once: a retired key
 * keeps the time and reason it was retired with).
 *
 * @param lock the lockfile
 * @param id the key's id or a prefix of it
 * @param reason why
 * @param json whether to print JSON
 * @param io where to write
 * @returns the exit code
 */
export function retirePublisherKey(
  lock: string,
  id: string,
  reason: string,
  json: boolean,
  io: Io,
): number {
  const { publisher, change } = Registry.edit(lock, {}, (registry) => {
    const matches = registry.publishers().filter((p) => id !== "" && p.id.startsWith(id));
    if (matches.length === 1 && matches[0].retired) {
      return { publisher: matches[0], change: "unchanged" as const };
    }
    // retirePublisher refuses an unknown or ambiguous id, naming the candidates.
    const retired = registry.retirePublisher(id, reason);
    return {
      publisher: registry.publishers().find((p) => p.id === retired)!,
      change: "retired" as const,
    };
  });
  if (json) {
    io.out(toJson({
      lockfile: lock,
      written: change === "retired",
      change,
      publisher: publisherJson(publisher),
    }));
    return EXIT_OK;
  }
  const r = publisher.retired!;
  io.out(
    change === "retired"
      ? `retired publisher ${label(publisher)} on ${r.time}: ${r.reason}`
      : `unchanged publisher ${label(publisher)}: already retired on ${r.time}: ${r.reason}`,
  );
  io.out(`${change === "retired" ? "wrote" : "kept"} ${lock}`);
  return EXIT_OK;
}

/**
 * `trust --list-publishers`: the trusted keys as a table, or JSON.
 *
 * @param lock the lockfile
 * @param json whether to print JSON
 * @param io where to write
 * @returns the exit code
 */
export function listPublishers(lock: string, json: boolean, io: Io): number {
  const publishers = Registry.fromLockfile(lock).publishers();
  if (json) {
    io.out(toJson({ lockfile: lock, publishers: publishers.map(publisherJson) }));
    return EXIT_OK;
  }
  if (publishers.length === 0) {
    io.out(`no publishers in ${lock}: trust one with trust --publisher KEY --for NAME@RANGE`);
    return EXIT_OK;
  }
  const rows = [
    ["KEY ID", "NAME", "TRUSTED FOR", "STATUS"],
    ...publishers.map((p) => [
      p.id,
      p.name ?? "-",
      p.trusts.join(", "),
      p.retired ? `retired ${p.retired.time}: ${p.retired.reason}` : "active",
    ]),
  ];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) {
    io.out(`${r.slice(0, 3).map((cell, c) => cell.padEnd(widths[c])).join("  ")}  ${r[3]}`);
  }
  const retired = publishers.filter((p) => p.retired).length;
  io.out(
    `${publishers.length} publisher(s) in ${lock}: ${
      publishers.length - retired
    } active, ${retired} retired`,
  );
  return EXIT_OK;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
