// Generated from src/loader/_wasi.ts by tasks/dist.ts (deno task dist): do not edit.
export const WASI_MODULE = "wasi_snapshot_preview1";
export class WasiExit extends Error {
    exitCode;
    constructor(code) {
        super(`the plugin called exit(${code})`);
        this.exitCode = code;
    }
}
const SUCCESS = 0;
const EACCES = 2;
const EBADF = 8;
const EEXIST = 20;
const EFAULT = 21;
const EINVAL = 28;
const EIO = 29;
const EISDIR = 31;
const ENOENT = 44;
const ENOSYS = 52;
const ENOTDIR = 54;
const ESPIPE = 70;
const ENOTCAPABLE = 76;
const RIGHT_FD_WRITE = 1n << 6n;
const RIGHT_FD_ALLOCATE = 1n << 8n;
const RIGHT_FD_FILESTAT_SET_SIZE = 1n << 22n;
const ALL_RIGHTS = (1n << 30n) - 1n;
const FILETYPE_UNKNOWN = 0;
const FILETYPE_CHARACTER_DEVICE = 2;
const FILETYPE_DIRECTORY = 3;
const FILETYPE_REGULAR_FILE = 4;
const FILETYPE_SYMBOLIC_LINK = 7;
const O_CREAT = 1;
const O_DIRECTORY = 2;
const O_EXCL = 4;
const O_TRUNC = 8;
const FDFLAG_APPEND = 1;
const ALL_FUNCTIONS = [
    "args_get",
    "args_sizes_get",
    "clock_res_get",
    "clock_time_get",
    "environ_get",
    "environ_sizes_get",
    "fd_advise",
    "fd_allocate",
    "fd_close",
    "fd_datasync",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_fdstat_set_rights",
    "fd_filestat_get",
    "fd_filestat_set_size",
    "fd_filestat_set_times",
    "fd_pread",
    "fd_prestat_dir_name",
    "fd_prestat_get",
    "fd_pwrite",
    "fd_read",
    "fd_readdir",
    "fd_renumber",
    "fd_seek",
    "fd_sync",
    "fd_tell",
    "fd_write",
    "path_create_directory",
    "path_filestat_get",
    "path_filestat_set_times",
    "path_link",
    "path_open",
    "path_readlink",
    "path_remove_directory",
    "path_rename",
    "path_symlink",
    "path_unlink_file",
    "poll_oneoff",
    "proc_exit",
    "proc_raise",
    "random_get",
    "sched_yield",
    "sock_accept",
    "sock_recv",
    "sock_send",
    "sock_shutdown",
];
const encoder = new TextEncoder();
const decoder = new TextDecoder();
export class Wasi {
    #options;
    #memory;
    #fds = new Map();
    #nextFd = 3;
    #args;
    #env;
    constructor(options, memory) {
        this.#options = options;
        this.#memory = memory;
        this.#args = (options.args ?? []).map((a) => encoder.encode(a + "\0"));
        this.#env = Object.entries(options.env ?? {}).map(([k, v]) => encoder.encode(`${k}=${v}\0`));
        this.#fds.set(0, { kind: "stdio", fd: 0 });
        this.#fds.set(1, { kind: "stdio", fd: 1 });
        this.#fds.set(2, { kind: "stdio", fd: 2 });
        for (const [guest, grant] of Object.entries(options.preopens ?? {})) {
            const g = typeof grant === "string" ? { path: grant } : grant;
            const real = Deno.realPathSync(g.path);
            const root = { real, write: g.write ?? false };
            this.#fds.set(this.#nextFd++, { kind: "dir", host: real, real, root, guest });
        }
    }
    close() {
        for (const e of this.#fds.values()) {
            if (e.kind === "file") {
                try {
                    e.file.close();
                }
                catch {
                }
            }
        }
        this.#fds.clear();
    }
    imports() {
        const out = {};
        for (const name of ALL_FUNCTIONS)
            out[name] = () => ENOSYS;
        const impl = {
            args_get: (argv, buf) => this.#strings(this.#args, argv, buf),
            args_sizes_get: (count, size) => this.#sizes(this.#args, count, size),
            environ_get: (env, buf) => this.#strings(this.#env, env, buf),
            environ_sizes_get: (count, size) => this.#sizes(this.#env, count, size),
            clock_res_get: (id, out) => this.#clockRes(id, out),
            clock_time_get: (id, _precision, out) => this.#clockTime(id, out),
            random_get: (buf, len) => this.#random(buf, len),
            sched_yield: () => SUCCESS,
            fd_write: (fd, iovs, n, out) => this.#write(fd, iovs, n, out),
            fd_read: (fd, iovs, n, out) => this.#read(fd, iovs, n, out),
            fd_seek: (fd, offset, whence, out) => this.#seek(fd, offset, whence, out),
            fd_tell: (fd, out) => this.#seek(fd, 0n, 1, out),
            fd_close: (fd) => this.#closeFd(fd),
            fd_fdstat_get: (fd, out) => this.#fdstat(fd, out),
            fd_filestat_get: (fd, out) => this.#fdFilestat(fd, out),
            fd_prestat_get: (fd, out) => this.#prestat(fd, out),
            fd_prestat_dir_name: (fd, buf, len) => this.#prestatName(fd, buf, len),
            path_open: (dirfd, _dirflags, path, pathLen, oflags, rights, _inheriting, fdflags, out) => this.#open(dirfd, path, pathLen, oflags, rights, fdflags, out),
            path_filestat_get: (dirfd, _flags, path, len, out) => this.#pathFilestat(dirfd, path, len, out),
        };
        for (const [name, f] of Object.entries(impl)) {
            out[name] = (...args) => {
                try {
                    return f(...args);
                }
                catch (e) {
                    if (e instanceof RangeError)
                        return EFAULT;
                    return errnoOf(e);
                }
            };
        }
        out.proc_exit = (code) => {
            throw new WasiExit(code);
        };
        return out;
    }
    #view() {
        return new DataView(this.#memory().buffer);
    }
    #bytes() {
        return new Uint8Array(this.#memory().buffer);
    }
    #strings(list, pointers, buf) {
        const v = this.#view();
        const m = this.#bytes();
        for (const s of list) {
            v.setUint32(pointers, buf, true);
            pointers += 4;
            if (buf + s.length > m.length)
                return EFAULT;
            m.set(s, buf);
            buf += s.length;
        }
        return SUCCESS;
    }
    #sizes(list, count, size) {
        const v = this.#view();
        v.setUint32(count, list.length, true);
        v.setUint32(size, list.reduce((n, s) => n + s.length, 0), true);
        return SUCCESS;
    }
    #clockRes(id, out) {
        if (!this.#options.clock)
            return ENOTCAPABLE;
        if (id < 0 || id > 3)
            return EINVAL;
        this.#view().setBigUint64(out, id === 0 ? 1000000n : 1000n, true);
        return SUCCESS;
    }
    #clockTime(id, out) {
        if (!this.#options.clock)
            return ENOTCAPABLE;
        let ns;
        if (id === 0)
            ns = BigInt(Date.now()) * 1000000n;
        else if (id >= 1 && id <= 3)
            ns = BigInt(Math.round(performance.now() * 1e6));
        else
            return EINVAL;
        this.#view().setBigUint64(out, ns, true);
        return SUCCESS;
    }
    #random(buf, len) {
        const m = this.#bytes();
        if (buf + len > m.length)
            return EFAULT;
        for (let at = 0; at < len; at += 65536) {
            crypto.getRandomValues(m.subarray(buf + at, buf + Math.min(len, at + 65536)));
        }
        return SUCCESS;
    }
    #iovs(iovs, n) {
        const v = this.#view();
        const out = [];
        for (let i = 0; i < n; i++) {
            const at = v.getUint32(iovs + i * 8, true);
            const len = v.getUint32(iovs + i * 8 + 4, true);
            if (at + len > v.byteLength)
                throw new RangeError("iovec out of bounds");
            out.push([at, len]);
        }
        return out;
    }
    #write(fd, iovs, n, out) {
        const e = this.#fds.get(fd);
        if (!e)
            return EBADF;
        if (e.kind === "dir")
            return EISDIR;
        const m = this.#bytes();
        const parts = this.#iovs(iovs, n);
        let total = 0;
        for (const [, len] of parts)
            total += len;
        if (e.kind === "stdio") {
            if (e.fd === 0)
                return EBADF;
            const bytes = new Uint8Array(total);
            let at = 0;
            for (const [from, len] of parts) {
                bytes.set(m.subarray(from, from + len), at);
                at += len;
            }
            const output = this.#options.output ?? "stderr";
            if (typeof output === "function")
                output(e.fd, bytes);
            else if (output === "stderr")
                writeAll(bytes);
        }
        else {
            for (const [from, len] of parts) {
                const chunk = m.subarray(from, from + len);
                let done = 0;
                while (done < len)
                    done += e.file.writeSync(chunk.subarray(done));
            }
        }
        this.#view().setUint32(out, total, true);
        return SUCCESS;
    }
    #read(fd, iovs, n, out) {
        const e = this.#fds.get(fd);
        if (!e)
            return EBADF;
        if (e.kind === "dir")
            return EISDIR;
        let total = 0;
        if (e.kind === "file") {
            const m = this.#bytes();
            for (const [at, len] of this.#iovs(iovs, n)) {
                if (len === 0)
                    continue;
                const got = e.file.readSync(m.subarray(at, at + len));
                if (got === null)
                    break;
                total += got;
                if (got < len)
                    break;
            }
        }
        else if (e.fd !== 0) {
            return EBADF;
        }
        this.#view().setUint32(out, total, true);
        return SUCCESS;
    }
    #seek(fd, offset, whence, out) {
        const e = this.#fds.get(fd);
        if (!e)
            return EBADF;
        if (e.kind !== "file")
            return e.kind === "dir" ? EISDIR : ESPIPE;
        const mode = whence === 0
            ? Deno.SeekMode.Start
            : whence === 1
                ? Deno.SeekMode.Current
                : whence === 2
                    ? Deno.SeekMode.End
                    : undefined;
        if (mode === undefined)
            return EINVAL;
        const at = e.file.seekSync(offset, mode);
        this.#view().setBigUint64(out, BigInt(at), true);
        return SUCCESS;
    }
    #closeFd(fd) {
        const e = this.#fds.get(fd);
        if (!e)
            return EBADF;
        if (e.kind === "file")
            e.file.close();
        this.#fds.delete(fd);
        return SUCCESS;
    }
    #fdstat(fd, out) {
        const e = this.#fds.get(fd);
        if (!e)
            return EBADF;
        const v = this.#view();
        const type = e.kind === "stdio"
            ? FILETYPE_CHARACTER_DEVICE
            : e.kind === "dir"
                ? FILETYPE_DIRECTORY
                : FILETYPE_REGULAR_FILE;
        v.setUint8(out, type);
        v.setUint16(out + 2, 0, true);
        v.setBigUint64(out + 8, ALL_RIGHTS, true);
        v.setBigUint64(out + 16, ALL_RIGHTS, true);
        return SUCCESS;
    }
    #fdFilestat(fd, out) {
        const e = this.#fds.get(fd);
        if (!e)
            return EBADF;
        if (e.kind === "stdio") {
            writeFilestat(this.#view(), out, undefined, FILETYPE_CHARACTER_DEVICE);
            return SUCCESS;
        }
        const info = e.kind === "file" ? e.file.statSync() : Deno.statSync(e.host);
        writeFilestat(this.#view(), out, info, fileType(info));
        return SUCCESS;
    }
    #prestat(fd, out) {
        const e = this.#fds.get(fd);
        if (!e || e.kind !== "dir" || e.guest === undefined)
            return EBADF;
        const v = this.#view();
        v.setUint8(out, 0);
        v.setUint32(out + 4, encoder.encode(e.guest).length, true);
        return SUCCESS;
    }
    #prestatName(fd, buf, len) {
        const e = this.#fds.get(fd);
        if (!e || e.kind !== "dir" || e.guest === undefined)
            return EBADF;
        const name = encoder.encode(e.guest);
        if (len < name.length)
            return EINVAL;
        const m = this.#bytes();
        if (buf + name.length > m.length)
            return EFAULT;
        m.set(name, buf);
        return SUCCESS;
    }
    #resolve(dirfd, path, len) {
        const dir = this.#fds.get(dirfd);
        if (!dir)
            return EBADF;
        if (dir.kind !== "dir")
            return ENOTDIR;
        const m = this.#bytes();
        if (path + len > m.length)
            return EFAULT;
        const text = decoder.decode(m.subarray(path, path + len));
        if (text.startsWith("/") || text.includes("\0"))
            return ENOTCAPABLE;
        const parts = [];
        for (const part of text.split("/")) {
            if (part === "" || part === ".")
                continue;
            if (part === "..") {
                if (parts.length === 0)
                    return ENOTCAPABLE;
                parts.pop();
            }
            else
                parts.push(part);
        }
        const host = parts.length ? `${dir.real}/${parts.join("/")}` : dir.real;
        let real;
        try {
            real = Deno.realPathSync(host);
        }
        catch {
            try {
                const parent = host.slice(0, host.lastIndexOf("/"));
                real = `${Deno.realPathSync(parent)}/${host.slice(host.lastIndexOf("/") + 1)}`;
            }
            catch {
                return ENOENT;
            }
        }
        const root = dir.root.real;
        if (real !== root && !real.startsWith(root.endsWith("/") ? root : root + "/")) {
            return ENOTCAPABLE;
        }
        return { host: real, root: dir.root };
    }
    #open(dirfd, path, len, oflags, rights, fdflags, out) {
        const target = this.#resolve(dirfd, path, len);
        if (typeof target === "number")
            return target;
        const wantsWrite = (rights & (RIGHT_FD_WRITE | RIGHT_FD_ALLOCATE | RIGHT_FD_FILESTAT_SET_SIZE)) !==
            0n || (oflags & (O_CREAT | O_TRUNC)) !== 0 || (fdflags & FDFLAG_APPEND) !== 0;
        let info;
        try {
            info = Deno.statSync(target.host);
        }
        catch {
            info = undefined;
        }
        if (info?.isDirectory || (oflags & O_DIRECTORY) !== 0) {
            if (!info)
                return ENOENT;
            if (!info.isDirectory)
                return ENOTDIR;
            if (oflags & (O_CREAT | O_TRUNC))
                return EISDIR;
            const fd = this.#nextFd++;
            this.#fds.set(fd, { kind: "dir", host: target.host, real: target.host, root: target.root });
            this.#view().setUint32(out, fd, true);
            return SUCCESS;
        }
        if (wantsWrite && !target.root.write)
            return ENOTCAPABLE;
        if (!info && (oflags & O_CREAT) === 0)
            return ENOENT;
        if (info && (oflags & O_EXCL) !== 0 && (oflags & O_CREAT) !== 0)
            return EEXIST;
        const write = (rights & RIGHT_FD_WRITE) !== 0n || (fdflags & FDFLAG_APPEND) !== 0;
        const file = Deno.openSync(target.host, {
            read: true,
            write: write || (oflags & O_TRUNC) !== 0,
            append: (fdflags & FDFLAG_APPEND) !== 0,
            create: (oflags & O_CREAT) !== 0,
            createNew: (oflags & O_CREAT) !== 0 && (oflags & O_EXCL) !== 0,
            truncate: (oflags & O_TRUNC) !== 0,
        });
        const fd = this.#nextFd++;
        this.#fds.set(fd, { kind: "file", file, host: target.host, root: target.root });
        this.#view().setUint32(out, fd, true);
        return SUCCESS;
    }
    #pathFilestat(dirfd, path, len, out) {
        const target = this.#resolve(dirfd, path, len);
        if (typeof target === "number")
            return target;
        const info = Deno.statSync(target.host);
        writeFilestat(this.#view(), out, info, fileType(info));
        return SUCCESS;
    }
}
function fileType(info) {
    return info.isFile
        ? FILETYPE_REGULAR_FILE
        : info.isDirectory
            ? FILETYPE_DIRECTORY
            : info.isSymlink
                ? FILETYPE_SYMBOLIC_LINK
                : FILETYPE_UNKNOWN;
}
function writeFilestat(v, out, info, type) {
    const ns = (d) => BigInt(d ? d.getTime() : 0) * 1000000n;
    v.setBigUint64(out, BigInt(info?.dev ?? 0), true);
    v.setBigUint64(out + 8, BigInt(info?.ino ?? 0), true);
    v.setUint8(out + 16, type);
    v.setBigUint64(out + 24, BigInt(info?.nlink ?? 1), true);
    v.setBigUint64(out + 32, BigInt(info?.size ?? 0), true);
    v.setBigUint64(out + 40, ns(info?.atime), true);
    v.setBigUint64(out + 48, ns(info?.mtime), true);
    v.setBigUint64(out + 56, ns(info?.birthtime ?? info?.mtime), true);
}
function writeAll(bytes) {
    let done = 0;
    while (done < bytes.length)
        done += Deno.stderr.writeSync(bytes.subarray(done));
}
function errnoOf(e) {
    if (e instanceof Deno.errors.NotFound)
        return ENOENT;
    if (e instanceof Deno.errors.AlreadyExists)
        return EEXIST;
    if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
        return EACCES;
    }
    if (e instanceof Deno.errors.IsADirectory)
        return EISDIR;
    if (e instanceof Deno.errors.NotADirectory)
        return ENOTDIR;
    return EIO;
}
