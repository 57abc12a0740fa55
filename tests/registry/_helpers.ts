/**
 * Helpers shared by the registry tests: private temporary directories,
 * copies of built plugins, and a tampered greeter.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { inspectPlugin } from "../../mod.ts";
import { Registry } from "../../src/registry/mod.ts";

/**
 * A new private directory (mode 0700), removed when the process exits.
 *
 * @returns its real path
 */
export function tempDir(): string {
  const dir = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "plugboard-registry-test-" }));
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // already gone
    }
  });
  return dir;
}

/**
 * Copy a file (mode 0644) into a directory.
 *
 * @param src the file
 * @param dir the directory
 * @param name the copy's name
 * @returns the copy's path
 */
export function copyInto(src: string, dir: string, name: string): string {
  const out = `${dir}/${name}`;
  Deno.writeFileSync(out, Deno.readFileSync(src), { mode: 0o644 });
  Deno.chmodSync(out, 0o644);
  return out;
}

/**
 * A copy of a plugin with one byte of its greeting changed
 * ("Hello, %s" -> "Jello, %s"): same metadata, other code.
 *
 * @param src the greeter plugin
 * @param dir where to write it
 * @param name the copy's name
 * @returns the copy's path
 */
export function tamperedCopy(src: string, dir: string, name = "tampered.so"): string {
  const bytes = Deno.readFileSync(src);
  const needle = new TextEncoder().encode("Hello, %s");
  const at = indexOf(bytes, needle);
  if (at < 0) throw new Error(`"Hello, %s" not found in ${src}`);
  bytes[at] = "J".charCodeAt(0);
  const out = `${dir}/${name}`;
  Deno.writeFileSync(out, bytes, { mode: 0o644 });
  return out;
}

/**
 * SHA-256 of a file, hex.
 *
 * @param path the file
 * @returns the digest
 */
export function sha256Of(path: string): string {
  return createHash("sha256").update(Deno.readFileSync(path)).digest("hex");
}

/**
 * An in-memory registry trusting these files.
 *
 * @param paths plugin files
 * @returns the registry
 */
export function trusting(...paths: string[]): Registry {
  const registry = new Registry();
  for (const p of paths) registry.trust(inspectPlugin(p));
  return registry;
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
