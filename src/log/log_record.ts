/**
 * Structured log records: what plugboard's host, isolation and CLI report
 * about plugins (load, skip, init, reload, close, calls, child stderr).
 * Records are plain data; a sink decides where they go and how they look.
 *
 * @module
 */

/** Severity of a record. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** One structured record. */
export interface LogRecord {
  /** When, as an ISO 8601 timestamp. */
  time: string;
  /** Severity. */
  level: LogLevel;
  /** What happened: `load`, `skip`, `init`, `reload`, `close`, `call`, `stderr`, ... */
  event: string;
  /** A human-readable line. */
  message: string;
  /** The plugin's name, when known. */
  plugin?: string;
  /** The plugin's version, when known. */
  version?: string;
  /** The plugin file. */
  path?: string;
  /** The plugin's build id. */
  buildId?: string;
  /** The first 12 hex digits of the file's SHA-256. */
  sha256?: string;
  /** A plugboard error code, for skips and failures. */
  code?: string;
  /** Duration in milliseconds, for loads and calls. */
  durationMs?: number;
  /** Anything else worth keeping. */
  [key: string]: unknown;
}

/** Where records go. */
export type LogSink = (record: LogRecord) => void;

/**
 * Make a record with the current time.
 *
 * @example
 * ```ts
 * import { logRecord } from "@plugboard/plugboard/host";
 *
 * const r = logRecord("info", "load", "loaded greeter 0.1.0", { plugin: "greeter" });
 * console.log(r.event, r.plugin); // load greeter
 * ```
 *
 * @param level severity
 * @param event what happened
 * @param message a human-readable line
 * @param fields more fields
 * @returns the record
 */
export function logRecord(
  level: LogLevel,
  event: string,
  message: string,
  fields: Omit<Partial<LogRecord>, "time" | "level" | "event" | "message"> = {},
): LogRecord {
  return { time: new Date().toISOString(), level, event, message, ...fields };
}
