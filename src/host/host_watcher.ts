/**
 * `HostWatcher`: watches a host's search directories and, after a quiet
 * period, asks the host to refresh, which loads added plugins, reloads
 * replaced ones and closes removed ones.
 *
 * @module
 */

/** Options of {@linkcode PluginHost.watch}. */
export interface WatchOptions {
  /**
   * How long the directories must be quiet before the host refreshes, in
   * milliseconds. A build that writes its output in several steps causes one
   * refresh, not one per step.
   * @default 100
   */
  debounceMs?: number;
}

/**
 * A running watch. Made by {@linkcode PluginHost.watch}; closing the host
 * closes it too.
 *
 * @example Watching for a while
 * ```ts ignore
 * const watcher = host.watch({ debounceMs: 50 });
 * console.log(watcher.directories);
 * // rebuild plugins into the directories: they are reloaded
 * await watcher.close();
 * ```
 */
export class HostWatcher implements Disposable, AsyncDisposable {
  /** The directories watched. */
  readonly directories: readonly string[];
  #fs: Deno.FsWatcher | undefined;
  #loop: Promise<void> = Promise.resolve();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<unknown> = Promise.resolve();
  #refresh: () => Promise<unknown>;
  #debounceMs: number;
  #closed = false;
  #onClose: (w: HostWatcher) => void;

  /**
   * Watchers are made by {@linkcode PluginHost.watch}.
   *
   * @param directories the directories to watch (they must exist)
   * @param refresh what to run after a quiet period
   * @param options debounce
   * @param onClose called once when closed
   * @internal
   */
  constructor(
    directories: readonly string[],
    refresh: () => Promise<unknown>,
    options: WatchOptions,
    onClose: (w: HostWatcher) => void,
  ) {
    this.directories = Object.freeze([...directories]);
    this.#refresh = refresh;
    this.#debounceMs = Math.max(0, options.debounceMs ?? 100);
    this.#onClose = onClose;
    if (directories.length > 0) {
      this.#fs = Deno.watchFs([...directories], { recursive: false });
      this.#loop = this.#run(this.#fs);
    }
  }

  /** Whether {@linkcode HostWatcher.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Stop watching. A refresh already running finishes first; one waiting
   * for its quiet period is dropped.
   *
   * @returns when stopped
   */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      clearTimeout(this.#timer);
      this.#timer = undefined;
      try {
        this.#fs?.close();
      } catch {
        // Already closed.
      }
      this.#onClose(this);
    }
    await this.#loop;
    await this.#running.catch(() => {});
  }

  /** Same as {@linkcode HostWatcher.close}, without waiting. */
  [Symbol.dispose](): void {
    void this.close();
  }

  /** Same as {@linkcode HostWatcher.close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #run(fs: Deno.FsWatcher): Promise<void> {
    try {
      for await (const event of fs) {
        // Reading a file (as a refresh does) is an access event: not a change.
        if (event.kind === "access" || this.#closed) continue;
        this.#schedule();
      }
    } catch {
      // The watcher was closed under the loop.
    }
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#closed) return;
      this.#running = this.#running.then(() => this.#refresh()).catch(() => {});
    }, this.#debounceMs);
  }
}
