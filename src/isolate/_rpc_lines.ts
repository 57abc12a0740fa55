/**
 * Splitting a byte stream into lines in linear time with a cap on a line's
 * length: the reader of a subprocess plugin's stdout and stderr.
 *
 * Bytes of an unfinished line are kept as the chunks they came in (no copy)
 * and joined once, when the newline arrives; a scan starts where the last one
 * stopped. So a line that arrives in many chunks costs one copy, not one per
 * chunk, and a stream without newlines is refused as soon as it passes the cap
 * (memory stays below the cap plus one chunk).
 *
 * @module
 */

/** What {@linkcode LineBuffer.push} found. */
export type PushResult = "ok" | "overflow" | "stopped";

/**
 * A line splitter with a length cap. `push` calls `onLine` for each complete
 * line (without its `\n`, and without a `\r` before it).
 *
 * With `overlong: "error"` a line longer than `max` bytes stops the buffer
 * (`push` returns `"overflow"`, for a protocol's stdout); with `"split"` it
 * is delivered in pieces of `max` bytes (for stderr, where a long line is
 * not an error).
 */
export class LineBuffer {
  /** The longest line accepted, in bytes (without the newline). */
  readonly max: number;
  #overlong: "error" | "split";
  #parts: Uint8Array[] = [];
  #size = 0;

  /**
   * Make an empty buffer.
   *
   * @param max the longest line, in bytes
   * @param overlong what to do with a longer line
   */
  constructor(max: number, overlong: "error" | "split" = "error") {
    this.max = max;
    this.#overlong = overlong;
  }

  /** Bytes of the unfinished line held now. */
  get pending(): number {
    return this.#size;
  }

  /**
   * Take a chunk of the stream.
   *
   * @param chunk the bytes (kept by reference until its line is complete)
   * @param onLine called with each complete line; returning `false` stops
   * @returns `"ok"`, `"overflow"` when a line passed the cap (error mode), or
   *   `"stopped"` when `onLine` returned false
   */
  push(chunk: Uint8Array, onLine: (line: Uint8Array) => boolean | void): PushResult {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl;
      if (this.#size + (end - start) > this.max) {
        if (this.#overlong === "error") return "overflow";
        // Deliver the first `max` bytes as a line of their own, and go on.
        const take = this.max - this.#size;
        this.#parts.push(chunk.subarray(start, start + take));
        this.#size += take;
        if (onLine(this.#take()) === false) return "stopped";
        start += take;
        continue;
      }
      if (nl === -1) {
        this.#parts.push(chunk.subarray(start));
        this.#size += chunk.length - start;
        return "ok";
      }
      let line: Uint8Array;
      if (this.#size === 0) {
        line = chunk.subarray(start, nl);
      } else {
        this.#parts.push(chunk.subarray(start, nl));
        this.#size += nl - start;
        line = this.#take();
      }
      start = nl + 1;
      if (line.length > 0 && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
      if (onLine(line) === false) return "stopped";
    }
    return "ok";
  }

  /**
   * The bytes of an unfinished last line (at end of stream), emptying the
   * buffer.
   *
   * @returns the bytes, or `undefined` when there are none
   */
  rest(): Uint8Array | undefined {
    return this.#size === 0 ? undefined : this.#take();
  }

  #take(): Uint8Array {
    const parts = this.#parts;
    const line = parts.length === 1 ? parts[0] : new Uint8Array(this.#size);
    if (parts.length > 1) {
      let at = 0;
      for (const p of parts) {
        line.set(p, at);
        at += p.length;
      }
    }
    this.#parts = [];
    this.#size = 0;
    return line;
  }
}

/**
 * Lets a busy reader give the event loop a turn. When a program writes
 * faster than the host reads, Deno completes each pipe read at once (as a
 * microtask), so a read loop never returns to the event loop: timers (the
 * call deadlines) and other I/O would wait until the program stops writing.
 * A reader awaits {@linkcode Fairness.turn} after each chunk; it yields
 * (a zero-delay timer) when it has run for more than `sliceMs` since it
 * last did.
 */
export class Fairness {
  #since = performance.now();
  #sliceMs: number;

  /**
   * Start a slice now.
   *
   * @param sliceMs how long a reader may run before it yields
   */
  constructor(sliceMs = 10) {
    this.#sliceMs = sliceMs;
  }

  /**
   * Yield if the reader has run for its slice.
   *
   * @returns at once, or after a turn of the event loop
   */
  turn(): Promise<void> | undefined {
    const now = performance.now();
    if (now - this.#since < this.#sliceMs) return undefined;
    return new Promise((r) =>
      setTimeout(() => {
        this.#since = performance.now();
        r();
      }, 0)
    );
  }
}
