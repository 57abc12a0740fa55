// Generated from src/check/_scan.ts by tasks/dist.ts (deno task dist): do not edit.
import { absolutePath, checkPermissions } from "../file/permissions.js";
import { lstamp, stamp } from "../file/stamp.js";
export var cachedIdentity = (function cachedIdentity(listed, cache, options) {
    const path = listed.path;
    const probe = probeFile(listed);
    if (!probe)
        return undefined;
    if (!options.allowInsecurePermissions) {
        checkPermissions({ path, realPath: probe.realPath, stat: probe.stamp }, {
            secureDirectories: options.secureDirectories,
            absolutePath: probe.abs,
        });
    }
    const hit = cache.lookup(probe.stamp);
    if (!hit)
        return undefined;
    return {
        identity: Object.freeze({ path, realPath: probe.realPath, ...hit }),
        realPath: probe.realPath,
        viaSymlink: probe.realPath !== probe.abs,
    };
});
var probeFile = (function probeFile(listed) {
    try {
        let abs;
        let realDir;
        let name;
        if (listed.dir && listed.name !== undefined) {
            name = listed.name;
            realDir = listed.dir.real;
            abs = under(listed.dir.abs, name);
        }
        else {
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
    }
    catch {
        return undefined;
    }
});
var under = (function under(dir, name) {
    return dir === "/" ? `/${name}` : `${dir}/${name}`;
});
