// Generated from src/cli/_trust_publishers.ts by tasks/dist.ts (deno task dist): do not edit.
import { Registry } from "../registry/registry.js";
import { publicKeyArg } from "./_keys.js";
import { EXIT_OK, toJson, UsageError } from "./_output.js";
export var trustForm = (function trustForm(a) {
    const given = [];
    if (a.positionals.length > 0)
        given.push("files");
    if (a.options.publisher !== undefined)
        given.push("publisher");
    if (a.options.retire !== undefined)
        given.push("retire");
    if (a.flags["list-publishers"])
        given.push("list");
    const fail = (message) => {
        throw new UsageError(message, "trust");
    };
    if (given.length > 1) {
        const files = given[0] === "files" ? ` (got FILE ${JSON.stringify(a.positionals[0])})` : "";
        fail(`${FORMS[given[0]]}${files} and ${FORMS[given[1]]} are two forms of trust: run them one at a time`);
    }
    const form = given[0];
    for (const [option, owner] of OWNED) {
        const present = option === "for" ? a.lists.for.length > 0 : a.options[option] !== undefined;
        if (!present || owner === form)
            continue;
        fail(form === undefined
            ? `--${option} belongs to ${FORMS[owner]}: add --${owner === "publisher" ? "publisher KEY" : "retire KEY_ID"}`
            : `--${option} belongs to ${FORMS[owner]}, not to ${FORMS[form]}`);
    }
    if (form === undefined) {
        fail("trust needs FILE|DIR... to pin plugins, or --publisher, --retire or --list-publishers for publisher keys");
    }
    if (form === "files") {
        for (const p of a.positionals)
            keyLikeFile(p, fail);
    }
    if (form === "publisher" && a.lists.for.length === 0) {
        fail('trust --publisher needs at least one --for NAME@RANGE: the names and versions the key may sign, e.g. --for "greeter@^0.2"');
    }
    if (form === "retire") {
        if (a.options.reason === undefined) {
            fail("trust --retire needs --reason TEXT: why, kept in the lockfile and shown when a plugin signed by the key is refused");
        }
        if (a.options.reason.trim() === "")
            fail("--reason must say why the key is retired");
    }
    return form;
});
var keyLikeFile = (function keyLikeFile(path, fail) {
    const p = JSON.stringify(path);
    if (path.trim().startsWith("plugboard-ed25519:") || path.endsWith(".pub")) {
        fail(`${p} is a public key, not a plugin: to trust a publisher's key, run trust --publisher ${JSON.stringify(path.length > 60 ? "KEY" : path)} --for NAME@RANGE`);
    }
    if (path.endsWith(".key")) {
        fail(`${p} looks like a private key, not a plugin: keep it to yourself, and trust its public half with trust --publisher ${JSON.stringify(`${path}.pub`)} --for NAME@RANGE`);
    }
    if (path.endsWith(".sig")) {
        fail(`${p} is a signature file, not a plugin: pin the plugin itself (trust ${JSON.stringify(path.slice(0, -4))}), or trust the key that signed it (trust --publisher KEY --for NAME@RANGE)`);
    }
});
var label = (function label(p) {
    return `${p.id}${p.name ? ` (${p.name})` : ""}`;
});
var publisherJson = (function publisherJson(p) {
    return {
        id: p.id,
        key: p.key,
        name: p.name ?? null,
        trusts: p.trusts,
        retired: p.retired ?? null,
    };
});
export var trustPublisherKey = (function trustPublisherKey(lock, what, json, io) {
    const key = publicKeyArg(what.key);
    const existed = exists(lock);
    const { before, after } = Registry.edit(lock, {}, (registry) => {
        const before = registry.publishers().find((p) => p.id === key.id);
        registry.trustPublisher(key.key, what.trusts, { name: what.name });
        const after = registry.publishers().find((p) => p.id === key.id);
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
        ...(renamed ? [`name ${before.name ?? "(none)"} -> ${after.name ?? "(none)"}`] : []),
    ];
    io.out(`${change} publisher ${label(after)}: ${after.trusts.join(", ")}${details.length ? ` (${details.join("; ")})` : ""}`);
    io.out(`${written ? "wrote" : "kept"} ${lock}`);
    return EXIT_OK;
});
export var retirePublisherKey = (function retirePublisherKey(lock, id, reason, json, io) {
    const { publisher, change } = Registry.edit(lock, {}, (registry) => {
        const matches = registry.publishers().filter((p) => id !== "" && p.id.startsWith(id));
        if (matches.length === 1 && matches[0].retired) {
            return { publisher: matches[0], change: "unchanged" };
        }
        const retired = registry.retirePublisher(id, reason);
        return {
            publisher: registry.publishers().find((p) => p.id === retired),
            change: "retired",
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
    const r = publisher.retired;
    io.out(change === "retired"
        ? `retired publisher ${label(publisher)} on ${r.time}: ${r.reason}`
        : `unchanged publisher ${label(publisher)}: already retired on ${r.time}: ${r.reason}`);
    io.out(`${change === "retired" ? "wrote" : "kept"} ${lock}`);
    return EXIT_OK;
});
export var listPublishers = (function listPublishers(lock, json, io) {
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
    io.out(`${publishers.length} publisher(s) in ${lock}: ${publishers.length - retired} active, ${retired} retired`);
    return EXIT_OK;
});
var exists = (function exists(path) {
    try {
        Deno.statSync(path);
        return true;
    }
    catch {
        return false;
    }
});
const FORMS = {
    files: "`trust FILE|DIR...` (pins plugins by hash)",
    publisher: "`trust --publisher KEY --for NAME@RANGE` (trusts a publisher's key)",
    retire: "`trust --retire KEY_ID --reason TEXT` (retires a key)",
    list: "`trust --list-publishers` (lists the trusted keys)",
};
const OWNED = [
    ["for", "publisher"],
    ["name", "publisher"],
    ["reason", "retire"],
];
