/**
 * The line protocol between the suite and its child processes: lines on
 * the child's standard output starting with {@linkcode MARK} carry JSON
 * (`start`, `phase`, `done`); anything else there is the plugins' own
 * output and is ignored.
 *
 * @module
 */

/** The prefix of the protocol's lines. */
export const MARK = "\u001ehostile ";

const encoder = new TextEncoder();

/**
 * Write one protocol line, synchronously (it must be out before a crash).
 *
 * @param message the JSON message
 */
export function emit(message: unknown): void {
  const bytes = encoder.encode(MARK + JSON.stringify(message) + "\n");
  let off = 0;
  while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
}

/**
 * Say what the attempt is doing now (e.g. `call greet`), so that a crash
 * is reported with the step it happened in.
 *
 * @param name the step
 */
export function phase(name: string): void {
  emit({ phase: name });
}
