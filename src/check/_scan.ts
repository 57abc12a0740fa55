/**
 * One file's identity from the hash cache when the file is unchanged since
 * it was last read: the hot path of `plugboard verify`, one `lstat` per
 * file, the directory resolved once, no file read.
 *
 * @module
 */

import type { PluginIdentity } from "../abi/identity.ts";
import { absolutePath, checkPermissions } from "../file/permissions.ts";
import { type FileStamp, lstamp, stamp } from "../file/stamp.ts";
import type { HashCache } from "../registry/hash_cache.ts";
import type { ListedFile } from "./list_plugin_files.ts";

/**
 * A file's identity from the hash cache, when its stat is unchanged (after
 * the same permission check a read would make).
 *
 * @param listed the file, as listed or named
 * @param cache the hash cache
 * @param options the permission check and the directories already found secure
 * @returns the identity and where the file is, or `undefined` when it must be read
 * @throws {LoadError} `INSECURE_PERMISSIONS`
 */
export function cachedIdentity(
  listed: ListedFile,
  cache: HashCache,
  options: { allowInsecurePermissions?: boolean; secureDirectories?: Set<string> },
): { identity: PluginIdentity; realPath: string; viaSymlink: boolean } | undefined {
  const path = listed.path;
  const probe = probeFile(listed);
  if (!probe) return undefined;
  if (!options.allowInsecurePermissions) {
    checkPermissions({ path, realPath: probe.realPath, stat: probe.stamp }, {
      secureDirectories: options.secureDirectories,
      absolutePath: probe.abs,
    });
  }
  const hit = cache.lookup(probe.stamp);
  if (!hit) return undefined;
  return {
    identity: Object.freeze({ path, realPath: probe.realPath, ...hit }),
    realPath: probe.realPath,
    viaSymlink: probe.realPath !== probe.abs,
  };
}

/** Where a file is and its stamp, from one lstat; `undefined` when that fails (the read will say why). */
function probeFile(
  listed: ListedFile,
): { abs: string; realPath: string; stamp: FileStamp } | undefined {
  try {
    let abs: string;
    let realDir: string;
    let name: string;
    if (listed.dir && listed.name !== undefined) {
      name = listed.name;
      realDir = listed.dir.real;
      abs = under(listed.dir.abs, name);
    } else {
      abs = absolutePath(listed.path);
      const slash = abs.lastIndexOf("/");
      name = abs.slice(slash + 1);
      realDir = Deno.realPathSync(slash === 0 ? "/" : abs.slice(0, slash));
    }
    const link = lstamp(abs);
    if (!link.isSymlink) {
      return link.isFile ? { abs, realPath: under(realDir, name), stamp: link } : undefined;
    }
    const realPath = Deno.realPathSync(abs);
    const target = stamp(realPath);
    return target.isFile ? { abs, realPath, stamp: target } : undefined;
  } catch {
    return undefined;
  }
}

function under(dir: string, name: string): string {
  return dir === "/" ? `/${name}` : `${dir}/${name}`;
}
