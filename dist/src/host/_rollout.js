// Generated from src/host/_rollout.ts by tasks/dist.ts (deno task dist): do not edit.
import { compareSemVer, parseRange, satisfies } from "../abi/semver.js";
import { CallError, PluginError, quote } from "../errors/plugin_error.js";
export function checkRule(name, rule) {
    const bad = (expected, found, hint) => new PluginError("USAGE", `Invalid rollout rule for plugin ${quote(name)}: expected ${expected}, found ${found}`, { hint });
    if (name === "") {
        throw bad("a plugin name", "an empty name", "key each rule by the plugin's metadata name");
    }
    if (typeof rule !== "object" || rule === null) {
        throw bad("an object such as { enabled: false } or { weights: { ... } }", String(rule), 'write { enabled: false } to disable it, or { weights: { "^0.1": 90, "^0.2": 10 } }');
    }
    if (rule.enabled !== undefined && typeof rule.enabled !== "boolean") {
        throw bad("enabled to be true or false", quote(String(rule.enabled)), "write enabled: false");
    }
    let weights;
    if (rule.weights !== undefined) {
        weights = [];
        let total = 0;
        for (const [text, weight] of Object.entries(rule.weights)) {
            const range = parseRange(text);
            if (!range || text.trim() === "") {
                throw bad("a semver range as each key of weights", quote(text), 'write ranges such as "^0.2", "0.1.x" or "1.4.2"');
            }
            if (typeof weight !== "number" || !Number.isFinite(weight) || weight < 0) {
                throw bad(`a finite weight of 0 or more for ${quote(text)}`, String(weight), "weights are relative shares, e.g. 90 and 10");
            }
            total += weight;
            weights.push(Object.freeze({ text, range, weight }));
        }
        if (total <= 0) {
            throw bad("weights that sum to more than 0", weights.length === 0 ? "no weights" : "only zero weights", "give the version that should serve a positive weight, or leave weights out");
        }
    }
    const frozen = Object.freeze({
        ...(rule.enabled !== undefined ? { enabled: rule.enabled } : {}),
        ...(rule.weights !== undefined ? { weights: Object.freeze({ ...rule.weights }) } : {}),
    });
    return Object.freeze({
        enabled: rule.enabled ?? true,
        weights: weights && Object.freeze(weights),
        rule: frozen,
    });
}
export function parsePluginSpec(spec) {
    const at = spec.indexOf("@");
    const name = at === -1 ? spec : spec.slice(0, at);
    const rangeText = at === -1 ? "*" : spec.slice(at + 1);
    const range = parseRange(rangeText);
    if (!range || name === "" || rangeText.trim() === "") {
        throw new PluginError("USAGE", `Invalid plugin spec ${quote(spec)}`, {
            hint: 'write NAME@RANGE, e.g. "greeter@^0.2", "greeter@~0.1.0", "greeter@>=0.1 <0.3" or "greeter"',
        });
    }
    return { name, rangeText, range };
}
const admitted = new WeakMap();
export function admits(range, version) {
    let byRange = admitted.get(version);
    if (!byRange)
        admitted.set(version, byRange = new WeakMap());
    let yes = byRange.get(range);
    if (yes === undefined)
        byRange.set(range, yes = satisfies(version, range));
    return yes;
}
export class RoundRobin {
    #scores = new Map();
    next(ranges) {
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
export function keyPoint(name, key) {
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
    return (h >>> 0) / 4294967296;
}
export function pick(name, choices, rule, key, rr) {
    let range;
    const weights = rule?.weights;
    if (weights) {
        const ranges = [];
        let total = 0;
        for (const w of weights) {
            if (w.weight <= 0)
                continue;
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
            if (key === undefined)
                at = rr.next(ranges);
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
    let best;
    for (const c of choices) {
        if (range && !(c.version && admits(range, c.version)))
            continue;
        if (!best || (c.version && (!best.version || compareSemVer(c.version, best.version) > 0))) {
            best = c;
        }
    }
    return best.item;
}
function enableHint(name) {
    return `enable it with host.setRollout(${quote(name)}, { enabled: true }), or drop enabled: false from the host's rollout option; the file stays where it is`;
}
export function disabledError(name, path) {
    return new PluginError("DISABLED", `Cannot use plugin ${quote(name)}${path === undefined ? "" : ` (${quote(path)})`}: it is disabled by configuration: expected enabled: true, found rollout rule { enabled: false }`, { ...(path === undefined ? {} : { path }), hint: enableHint(name) });
}
export function disabledCallError(name, path, fn) {
    return new CallError("DISABLED", path, fn, `plugin ${quote(name)} is disabled by configuration (rollout rule { enabled: false })`, { hint: enableHint(name) });
}
