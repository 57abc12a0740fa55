// Generated from src/log/sinks.ts by tasks/dist.ts (deno task dist): do not edit.
export var jsonLinesSink = (function jsonLinesSink(write) {
    return (record) => write(JSON.stringify(record, jsonValue));
});
export var prettySink = (function prettySink(write, options = {}) {
    const color = options.color ?? false;
    const showTime = options.time ?? true;
    const min = LEVELS.indexOf(options.minLevel ?? "debug");
    const paint = (style, text) => color ? ansi(style, text) : text;
    return (record) => {
        if (LEVELS.indexOf(record.level) < min)
            return;
        const parts = [];
        if (showTime)
            parts.push(paint("dim", clock(record.time)));
        parts.push(paint(LEVEL_STYLE[record.level] ?? "white", record.level.padEnd(5)));
        parts.push(paint("bold", String(record.event).padEnd(7)));
        let line = `${parts.join(" ")} ${record.message}`;
        if (record.code)
            line += ` ${paint(["bold", "red"], `[${record.code}]`)}`;
        const details = [];
        if (record.path && !record.message.includes(record.path))
            details.push(`path=${record.path}`);
        if (record.sha256)
            details.push(`sha256=${record.sha256}`);
        if (record.buildId)
            details.push(`build=${record.buildId}`);
        if (typeof record.durationMs === "number")
            details.push(formatMs(record.durationMs));
        if (details.length > 0)
            line += `  ${paint("dim", details.join(" "))}`;
        write(line);
    };
});
export var formatMs = (function formatMs(ms) {
    if (ms >= 1000)
        return `${(ms / 1000).toFixed(2)} s`;
    if (ms >= 10)
        return `${ms.toFixed(1)} ms`;
    return `${ms.toFixed(2)} ms`;
});
var ansi = (function ansi(style, text) {
    let out = text;
    for (const s of (typeof style === "string" ? [style] : style).toReversed()) {
        const [on, off] = STYLES[s];
        out = `\x1b[${on}m${out}\x1b[${off}m`;
    }
    return out;
});
var clock = (function clock(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime()))
        return iso;
    const pad = (n, w = 2) => String(n).padStart(w, "0");
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
});
var jsonValue = (function jsonValue(_key, value) {
    if (typeof value !== "bigint")
        return value;
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
        ? Number(value)
        : value.toString();
});
const LEVELS = ["debug", "info", "warn", "error"];
const STYLES = {
    bold: [1, 22],
    dim: [2, 22],
    red: [31, 39],
    green: [32, 39],
    yellow: [33, 39],
    white: [37, 39],
    gray: [90, 39],
};
const LEVEL_STYLE = {
    debug: "gray",
    info: "green",
    warn: "yellow",
    error: "red",
};
