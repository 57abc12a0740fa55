// Generated from src/isolate/_rpc_lines.ts by tasks/dist.ts (deno task dist): do not edit.
export class LineBuffer {
    max;
    #overlong;
    #parts = [];
    #size = 0;
    constructor(max, overlong = "error") {
        this.max = max;
        this.#overlong = overlong;
    }
    get pending() {
        return this.#size;
    }
    push(chunk, onLine) {
        let start = 0;
        while (start < chunk.length) {
            const nl = chunk.indexOf(10, start);
            const end = nl === -1 ? chunk.length : nl;
            if (this.#size + (end - start) > this.max) {
                if (this.#overlong === "error")
                    return "overflow";
                const take = this.max - this.#size;
                this.#parts.push(chunk.subarray(start, start + take));
                this.#size += take;
                if (onLine(this.#take()) === false)
                    return "stopped";
                start += take;
                continue;
            }
            if (nl === -1) {
                this.#parts.push(chunk.subarray(start));
                this.#size += chunk.length - start;
                return "ok";
            }
            let line;
            if (this.#size === 0) {
                line = chunk.subarray(start, nl);
            }
            else {
                this.#parts.push(chunk.subarray(start, nl));
                this.#size += nl - start;
                line = this.#take();
            }
            start = nl + 1;
            if (line.length > 0 && line[line.length - 1] === 13)
                line = line.subarray(0, line.length - 1);
            if (onLine(line) === false)
                return "stopped";
        }
        return "ok";
    }
    rest() {
        return this.#size === 0 ? undefined : this.#take();
    }
    #take() {
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
export class Fairness {
    #since = performance.now();
    #sliceMs;
    constructor(sliceMs = 10) {
        this.#sliceMs = sliceMs;
    }
    turn() {
        const now = performance.now();
        if (now - this.#since < this.#sliceMs)
            return undefined;
        return new Promise((r) => setTimeout(() => {
            this.#since = performance.now();
            r();
        }, 0));
    }
}
