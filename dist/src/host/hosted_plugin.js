// Generated from src/host/hosted_plugin.ts by tasks/dist.ts (deno task dist): do not edit.
import { interfaceRef } from "./_select.js";
export class HostedPlugin {
    #entry;
    constructor(entry) {
        this.#entry = entry;
    }
    get path() {
        return this.#entry.path;
    }
    get name() {
        return this.#entry.metadata.name;
    }
    get version() {
        return this.#entry.metadata.version;
    }
    get buildId() {
        return this.#entry.metadata.buildId;
    }
    get sha256() {
        return this.#entry.sha256;
    }
    get metadata() {
        return this.#entry.metadata;
    }
    get state() {
        return this.#entry.state;
    }
    get error() {
        return this.#entry.error;
    }
    get enabled() {
        return this.#entry.enabled;
    }
    get generation() {
        return this.#entry.generation;
    }
    get kind() {
        return this.#entry.kind;
    }
    get isolation() {
        return this.#entry.isolation;
    }
    get nodelete() {
        return this.#entry.nodelete;
    }
    provides(ref) {
        return this.#entry.provides(interfaceRef(ref));
    }
    use(spec) {
        return this.#entry.use(spec);
    }
    useLoaded(spec) {
        return this.#entry.useLoaded(spec);
    }
    async load() {
        await this.#entry.ensureLoaded();
    }
}
