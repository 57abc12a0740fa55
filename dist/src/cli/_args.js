// Generated from src/cli/_args.ts by tasks/dist.ts (deno task dist): do not edit.
import { UsageError } from "./_output.js";
export var parseArgs = (function parseArgs(args, spec) {
    const flagNames = new Set(["help", ...spec.flags ?? []]);
    const optionNames = new Set(spec.options ?? []);
    const listNames = new Set(spec.lists ?? []);
    const short = { h: "help", ...spec.short };
    const flags = {};
    for (const f of flagNames)
        flags[f] = false;
    const options = {};
    const lists = {};
    for (const l of listNames)
        lists[l] = [];
    const positionals = [];
    const rest = [];
    const fail = (message) => {
        throw new UsageError(message, spec.command);
    };
    for (let i = 0; i < args.length; i++) {
        const word = args[i];
        if (word === "--") {
            const after = args.slice(i + 1);
            if (spec.afterDashDash === "rest")
                rest.push(...after);
            else
                positionals.push(...after);
            break;
        }
        if (!isOption(word)) {
            positionals.push(word);
            continue;
        }
        let name;
        let inline;
        if (word.startsWith("--")) {
            const eq = word.indexOf("=");
            name = eq === -1 ? word.slice(2) : word.slice(2, eq);
            inline = eq === -1 ? undefined : word.slice(eq + 1);
        }
        else {
            const long = short[word.slice(1, 2)];
            if (long === undefined)
                fail(`Unknown option ${JSON.stringify(word)}`);
            name = long;
            inline = word.length > 2 ? word.slice(2) : undefined;
            if (inline !== undefined && flagNames.has(name)) {
                fail(`Unknown option ${JSON.stringify(word)}`);
            }
        }
        if (flagNames.has(name)) {
            if (inline !== undefined)
                fail(`Option "--${name}" takes no value`);
            flags[name] = true;
            continue;
        }
        if (!optionNames.has(name) && !listNames.has(name)) {
            fail(`Unknown option ${JSON.stringify(word.startsWith("--") ? `--${name}` : word)}`);
        }
        let value = inline;
        if (value === undefined) {
            if (i + 1 >= args.length || (isOption(args[i + 1]) && args[i + 1] !== "--")) {
                fail(`Option "--${name}" needs a value`);
            }
            value = args[++i];
        }
        if (listNames.has(name)) {
            lists[name].push(value);
        }
        else {
            if (name in options)
                fail(`Option "--${name}" is given twice`);
            options[name] = value;
        }
    }
    return { flags, options, lists, positionals, rest };
});
export var isOption = (function isOption(word) {
    return /^-[A-Za-z]/.test(word) || (word.startsWith("--") && word.length > 2);
});
export var positiveInteger = (function positiveInteger(command, name, text, what = "a positive integer") {
    if (text === undefined)
        return undefined;
    const n = Number(text);
    if (!/^\d+$/.test(text) || n <= 0 || !Number.isSafeInteger(n)) {
        throw new UsageError(`--${name} ${JSON.stringify(text)} is not ${what}`, command);
    }
    return n;
});
export var oneOf = (function oneOf(command, name, text, choices) {
    if (text === undefined)
        return undefined;
    if (!choices.includes(text)) {
        throw new UsageError(`--${name} ${JSON.stringify(text)} is not one of ${choices.join(", ")}`, command);
    }
    return text;
});
