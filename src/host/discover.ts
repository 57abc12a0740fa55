/**
 * Discovery: the search paths of a host and the candidate files in them, in
 * a deterministic order (file name, then full path).
 *
 * @module
 */

import { join, resolve } from "../file/paths.ts";
import { PluginError } from "../errors/plugin_error.ts";

/** The environment variable holding extra search paths, colon-separated. */
export const PATH_VARIABLE = "PLUGBOARD_PATH";

/** A file a host will try to load. */
export interface Candidate {
  /** The search path joined with the file name (or the file search path itself). */
  path: string;
  /** The file name. */
  name: string;
  /** The real path, or `undefined` when it cannot be resolved (a dangling symlink). */
  realPath: string | undefined;
  /** Inode, size and modification time: changes when the file is replaced or rewritten. */
  stamp: string;
  /**
   * `so`: a `*.so` file; `wasm`: a `*.wasm` file; `exec`: a program with a
   * metadata sidecar (a subprocess plugin).
   */
  kind: "so" | "wasm" | "exec";
}

/** What a scan found. */
export interface Scan {
  /** Candidate files, sorted by file name, then path. */
  candidates: Candidate[];
  /** Search paths that do not exist. */
  missing: string[];
}

/**
 * The search paths: those given in code, then those of `PLUGBOARD_PATH`,
 * without empty entries or repeats.
 *
 * @param paths the paths given in code
 * @param env whether to read the environment variable
 * @returns the paths
 * @throws {PluginError} `PERMISSION_DENIED` when the variable cannot be read
 */
export function searchPaths(paths: readonly string[], env: boolean): string[] {
  const all = [...paths];
  if (env) {
    let value: string | undefined;
    try {
      value = Deno.env.get(PATH_VARIABLE);
    } catch (e) {
      throw new PluginError(
        "PERMISSION_DENIED",
        `Cannot read ${PATH_VARIABLE}: ${e instanceof Error ? e.message : String(e)}`,
        {
          hint: `grant --allow-env=${PATH_VARIABLE}, or create the host with { env: false }`,
          cause: e,
        },
      );
    }
    if (value) all.push(...value.split(":"));
  }
  return [...new Set(all.filter((p) => p !== ""))];
}

/** A `.so` file name: `x.so` or `libx.so.1.2`. Temporary build outputs (`x.so.tmp-123`) are not. */
const SO_NAME = /\.so(\.\d+)*$/;
/** A WebAssembly module. */
const WASM_NAME = /\.wasm$/;
/** A subprocess plugin's metadata sidecar, next to its program. */
const SIDECAR = ".plugboard.json";

/**
 * List the candidate files of the search paths. A directory contributes its
 * `*.so` and `*.wasm` files and its executables that have a metadata sidecar
 * (`NAME.plugboard.json`: a subprocess plugin, whose program is never run to
 * learn what it is). Hidden files are ignored; a file search path is a
 * candidate itself.
 *
 * @param paths the search paths
 * @returns the candidates in discovery order, and the missing search paths
 */
export function scan(paths: readonly string[]): Scan {
  const candidates: Candidate[] = [];
  const missing: string[] = [];
  for (const dir of paths) {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(dir);
    } catch {
      missing.push(dir);
      continue;
    }
    if (!info.isDirectory) {
      candidates.push(candidate(dir, baseName(dir), "so", info));
      continue;
    }
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch {
      missing.push(dir);
      continue;
    }
    const names = new Set(entries.map((e) => e.name));
    for (const e of entries) {
      if (e.name.startsWith(".") || e.isDirectory || e.name.endsWith(SIDECAR)) continue;
      const path = join(dir, e.name);
      const isSo = SO_NAME.test(e.name);
      const isWasm = WASM_NAME.test(e.name);
      const described = !isSo && !isWasm && names.has(e.name + SIDECAR);
      if (!isSo && !isWasm && !described) continue;
      let st: Deno.FileInfo | undefined;
      try {
        st = Deno.statSync(path);
      } catch {
        // A dangling symlink: still a candidate, so it is reported.
      }
      if (st && !st.isFile) continue;
      // A described program is a candidate even when not executable: the check says why it fails.
      candidates.push(candidate(path, e.name, isSo ? "so" : isWasm ? "wasm" : "exec", st));
    }
  }
  candidates.sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0
  );
  return { candidates, missing };
}

/**
 * The change stamp of a file: inode, size and modification time.
 *
 * @param path the file
 * @returns the stamp, or `"missing"`
 */
export function stampOf(path: string): string {
  try {
    return stamp(Deno.statSync(path));
  } catch {
    return "missing";
  }
}

function candidate(
  path: string,
  name: string,
  kind: Candidate["kind"],
  st: Deno.FileInfo | undefined,
): Candidate {
  let realPath: string | undefined;
  try {
    realPath = Deno.realPathSync(path);
  } catch {
    realPath = undefined;
  }
  let change = st ? stamp(st) : "missing";
  if (kind === "exec") {
    // A subprocess plugin is its program and its sidecar: a change to either is a new build.
    try {
      change += `+${stamp(Deno.statSync(path + SIDECAR))}`;
    } catch {
      change += "+nosidecar";
    }
  }
  return { path, name, realPath, stamp: change, kind };
}

function stamp(st: Deno.FileInfo): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtime?.getTime() ?? 0}`;
}

function baseName(path: string): string {
  const r = resolve(path);
  return r.slice(r.lastIndexOf("/") + 1);
}

/**
 * The message of a skip record: the error's summary, which names the file.
 *
 * @param err the error
 * @param path the file
 * @returns the message
 */
export function skipMessage(err: PluginError, path: string): string {
  return err.summary.includes(path)
    ? err.summary
    : `Skipped ${JSON.stringify(path)}: ${err.summary}`;
}
