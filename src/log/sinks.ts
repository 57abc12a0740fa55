/**
 * Log sinks: where {@linkcode LogRecord}s go and how they look. A sink is a
 * function; these two cover the usual needs, JSON lines for machines and an
 * aligned, optionally coloured line for people. Both take a `write`
 * function, so the caller chooses the destination (stderr, a file, an
 * array in a test).
 *
 * @module
 */

import type { LogLevel, LogSink } from "./log_record.ts";

/**
 * A sink that writes each record as one line of JSON. Bigints are written
 * as numbers when they are safe integers, else as strings.
 *
 * @example Collecting records as JSON lines
 * ```ts
 * import { jsonLinesSink, logRecord } from "@plugboard/plugboard/host";
 *
 * const lines: string[] = [];
 * const sink = jsonLinesSink((line) => lines.push(line));
 * sink(logRecord("info", "load", "loaded greeter 0.1.0", { plugin: "greeter" }));
 * console.log(JSON.parse(lines[0]).event); // "load"
 * ```
 *
 * @param write called with each line, without a trailing newline
 * @returns the sink
 */
export function jsonLinesSink(write: (line: string) => void): LogSink {
  return (record) => write(JSON.stringify(record, jsonValue));
}

/** Options of {@linkcode prettySink}. */
export interface PrettySinkOptions {
  /**
   * Colour the level, event and error code with ANSI escapes.
   * @default false
   */
  color?: boolean;
  /**
   * Print the time of each record (`HH:MM:SS.mmm`, local time).
   * @default true
   */
  time?: boolean;
  /**
   * Drop records below this level.
   * @default "debug" (nothing is dropped)
   */
  minLevel?: LogLevel;
}

/**
 * A sink that writes one aligned, human-readable line per record:
 * time, level, event, the message, then the error code and details
 * (path, SHA-256 prefix, build id, duration) when the record has them.
 *
 * @example Printing records for people
 * ```ts
 * import { logRecord, prettySink } from "@plugboard/plugboard/host";
 *
 * const sink = prettySink((line) => console.log(line), { color: false, time: false });
 * sink(logRecord("warn", "skip", 'skipped "notes.so"', { code: "NOT_ELF", path: "notes.so" }));
 * // warn  skip    skipped "notes.so" [NOT_ELF]  path=notes.so
 * ```
 *
 * @param write called with each line, without a trailing newline
 * @param options colours, time and the lowest level shown
 * @returns the sink
 */
export function prettySink(
  write: (line: string) => void,
  options: PrettySinkOptions = {},
): LogSink {
  const color = options.color ?? false;
  const showTime = options.time ?? true;
  const min = LEVELS.indexOf(options.minLevel ?? "debug");
  // The caller decides about colour (it knows where `write` goes).
  const paint = (style: Style | readonly Style[], text: string) => color ? ansi(style, text) : text;
  return (record) => {
    if (LEVELS.indexOf(record.level) < min) return;
    const parts: string[] = [];
    if (showTime) parts.push(paint("dim", clock(record.time)));
    parts.push(paint(LEVEL_STYLE[record.level] ?? "white", record.level.padEnd(5)));
    parts.push(paint("bold", String(record.event).padEnd(7)));
    let line = `${parts.join(" ")} ${record.message}`;
    if (record.code) line += ` ${paint(["bold", "red"], `[${record.code}]`)}`;
    const details: string[] = [];
    if (record.path && !record.message.includes(record.path)) details.push(`path=${record.path}`);
    if (record.sha256) details.push(`sha256=${record.sha256}`);
    if (record.buildId) details.push(`build=${record.buildId}`);
    if (typeof record.durationMs === "number") details.push(formatMs(record.durationMs));
    if (details.length > 0) line += `  ${paint("dim", details.join(" "))}`;
    write(line);
  };
}

/**
 * Format a duration in milliseconds for people: `0.41 ms`, `12.3 ms`, `1.25 s`.
 *
 * @example Durations for people
 * ```ts
 * import { formatMs } from "./sinks.ts";
 *
 * console.log(formatMs(0.4123)); // "0.41 ms"
 * console.log(formatMs(1250)); // "1.25 s"
 * ```
 *
 * @param ms the duration
 * @returns the text
 */
export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

const LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** The ANSI styles the pretty sink uses, as SGR codes to set and reset (node:util's styleText's). */
const STYLES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  white: [37, 39],
  gray: [90, 39],
} as const;

type Style = keyof typeof STYLES;

function ansi(style: Style | readonly Style[], text: string): string {
  let out = text;
  for (const s of (typeof style === "string" ? [style] : style).toReversed()) {
    const [on, off] = STYLES[s];
    out = `\x1b[${on}m${out}\x1b[${off}m`;
  }
  return out;
}

const LEVEL_STYLE: Record<LogLevel, Style> = {
  debug: "gray",
  info: "green",
  warn: "yellow",
  error: "red",
};

function clock(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${
    pad(d.getMilliseconds(), 3)
  }`;
}

function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value !== "bigint") return value;
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}
