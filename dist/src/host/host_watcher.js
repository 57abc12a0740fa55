// Generated from src/host/host_watcher.ts by tasks/dist.ts (deno task dist): do not edit.
export class HostWatcher {
    directories;
    #fs;
    #loop = Promise.resolve();
    #timer;
    #running = Promise.resolve();
    #refresh;
    #debounceMs;
    #closed = false;
    #onClose;
    constructor(directories, refresh, options, onClose) {
        this.directories = Object.freeze([...directories]);
        this.#refresh = refresh;
        this.#debounceMs = Math.max(0, options.debounceMs ?? 100);
        this.#onClose = onClose;
        if (directories.length > 0) {
            this.#fs = Deno.watchFs([...directories], { recursive: false });
            this.#loop = this.#run(this.#fs);
        }
    }
    get closed() {
        return this.#closed;
    }
    async close() {
        if (!this.#closed) {
            this.#closed = true;
            clearTimeout(this.#timer);
            this.#timer = undefined;
            try {
                this.#fs?.close();
            }
            catch {
            }
            this.#onClose(this);
        }
        await this.#loop;
        await this.#running.catch(() => { });
    }
    [Symbol.dispose]() {
        void this.close();
    }
    async [Symbol.asyncDispose]() {
        await this.close();
    }
    async #run(fs) {
        try {
            for await (const event of fs) {
                if (event.kind === "access" || this.#closed)
                    continue;
                this.#schedule();
            }
        }
        catch {
        }
    }
    #schedule() {
        clearTimeout(this.#timer);
        this.#timer = setTimeout(() => {
            this.#timer = undefined;
            if (this.#closed)
                return;
            this.#running = this.#running.then(() => this.#refresh()).catch(() => { });
        }, this.#debounceMs);
    }
}
