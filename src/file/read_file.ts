/**
 * Reading a file that may be hostile: open it once (non-blocking, so a FIFO
 * or a device swapped in cannot hang the read), stat the open descriptor,
 * refuse anything but a regular file, check who could have changed it, and
 * read from that same descriptor with a size cap. The bytes returned are the
 * bytes later parsed, hashed and loaded; nothing reads the path again.
 *
 * With FFI granted, the descriptor is opened through libc with `O_NONBLOCK`.
 * Without it, Deno's own `open` is used after a `stat` of the path; then a
 * FIFO swapped in between the stat and the open would block the open (the
 * only case the fallback cannot close: grant `--allow-ffi` to close it).
 *
 * @module
 */

import { resolve } from "./paths.ts";
import { LoadError, PluginError, quote } from "../errors/plugin_error.ts";
import { checkPermissions } from "./permissions.ts";
import { sha256Hex } from "./sha256.ts";
import { errnoName, errnoOf, getFileCalls, O_CLOEXEC, O_NONBLOCK, O_RDONLY } from "./libc.ts";
import { fdStamp, type FileStamp, stampOf } from "./stamp.ts";

/** What a file is read as: the subject of error messages. */
export type FileSubject =
  | "plugin"
  | "library"
  | "lockfile"
  | "hash cache"
  | "quarantine list"
  | "metadata sidecar"
  | "signature";

/** A file as read. */
export interface ReadFile {
  /** The path as the caller gave it. */
  readonly path: string;
  /** The absolute path with every symlink resolved. */
  readonly realPath: string;
  /** Whether `path` went through a symlink. */
  readonly viaSymlink: boolean;
  /** The file's bytes. */
  readonly bytes: Uint8Array;
  /** SHA-256 of `bytes`, hex. */
  readonly sha256: string;
  /** The open descriptor's stat. */
  readonly stat: FileStamp;
}

/** Options of {@linkcode readFile}. */
export interface ReadFileOptions {
  /** What the file is, for messages. @default "plugin" */
  subject?: FileSubject;
  /** Refuse files larger than this. @default 1 GiB */
  maxBytes?: number;
  /**
   * Skip the check that nobody but the user and root could have changed the
   * file (see `checkPermissions`).
   * @default false
   */
  allowInsecurePermissions?: boolean;
  /** Directories already found secure, shared between calls to check each once. */
  secureDirectories?: Set<string>;
  /** Compute the SHA-256 of the bytes. @default true */
  hash?: boolean;
}

/** Files larger than this are refused as plugins: no plugin is 1 GiB. */
export const MAX_PLUGIN_BYTES = 1 << 30;

/**
 * Resolve, open once, check and read a file.
 *
 * @param path the path given by the caller
 * @param options subject, size cap, permission check
 * @returns the file, its stat and its hash
 * @throws {PluginError} `NOT_FOUND`, `NOT_A_FILE`, `PERMISSION_DENIED`,
 *   `INSECURE_PERMISSIONS` (a `LoadError` for plugins and libraries)
 */
export function readFile(path: string, options: ReadFileOptions = {}): ReadFile {
  const subject = options.subject ?? "plugin";
  const max = options.maxBytes ?? MAX_PLUGIN_BYTES;
  const realPath = realPathOf(path, subject);
  const opened = openAndRead(path, realPath, subject, max);
  if (!options.allowInsecurePermissions) {
    try {
      checkPermissions({ path, realPath, stat: opened.stat }, options);
    } catch (e) {
      throw e instanceof LoadError ? fileError(subject, path, e) : e;
    }
  }
  return {
    path,
    realPath,
    viaSymlink: realPath !== resolve(path),
    bytes: opened.bytes,
    sha256: options.hash === false
      ? ""
      : knownSha256(realPath, opened.bytes) ?? rememberSha256(realPath, opened.bytes),
    stat: opened.stat,
  };
}

/** Files hashed last, by real path: their bytes (a copy) and SHA-256. */
const recent = new Map<string, { bytes: Uint8Array; sha256: string }>();
/** How many files {@linkcode knownSha256} remembers. */
const RECENT_FILES = 8;
/** Larger files are not remembered (their copy would cost more memory than a hash costs time). */
const RECENT_MAX_BYTES = 4 << 20;

/**
 * The SHA-256 of bytes read from `realPath`, when they are the very bytes
 * hashed last for that path: a reopen of the same file (an open per call, a
 * reload of the same build) compares its bytes, ~100x cheaper than hashing
 * them again, and equal bytes have an equal hash. Different bytes (a
 * rebuild) are hashed as new.
 *
 * @example
 * ```ts
 * import { knownSha256, rememberSha256 } from "./read_file.ts";
 *
 * const bytes = new TextEncoder().encode("plugin");
 * const sha = rememberSha256("/plugins/a.so", bytes);
 * console.log(knownSha256("/plugins/a.so", bytes.slice()) === sha); // true
 * console.log(knownSha256("/plugins/a.so", new Uint8Array(6))); // undefined
 * ```
 *
 * @param realPath the file's real path
 * @param bytes the bytes just read from it
 * @returns their SHA-256, hex, or undefined when they were not hashed last
 */
export function knownSha256(realPath: string, bytes: Uint8Array): string | undefined {
  const seen = recent.get(realPath);
  return seen !== undefined && sameBytes(seen.bytes, bytes) ? seen.sha256 : undefined;
}

/**
 * Hash bytes read from `realPath` (or take the hash given) and remember
 * both for {@linkcode knownSha256}.
 *
 * @example
 * ```ts
 * import { rememberSha256 } from "./read_file.ts";
 *
 * console.log(rememberSha256("/plugins/b.so", new Uint8Array(0)).slice(0, 8)); // "e3b0c442"
 * ```
 *
 * @param realPath the file's real path
 * @param bytes its bytes
 * @param sha256 their SHA-256 when already computed (by Web Crypto)
 * @returns their SHA-256, hex
 */
export function rememberSha256(
  realPath: string,
  bytes: Uint8Array,
  sha256: string = sha256Hex(bytes),
): string {
  if (bytes.length <= RECENT_MAX_BYTES) {
    recent.delete(realPath);
    // A copy: the caller's bytes could be changed after they were hashed.
    recent.set(realPath, { bytes: bytes.slice(), sha256 });
    if (recent.size > RECENT_FILES) recent.delete(recent.keys().next().value!);
  }
  return sha256;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  let i = 0;
  if ((a.byteOffset & 3) === 0 && (b.byteOffset & 3) === 0) {
    const words = n >> 2;
    const wa = new Int32Array(a.buffer, a.byteOffset, words);
    const wb = new Int32Array(b.buffer, b.byteOffset, words);
    for (let k = 0; k < words; k++) if (wa[k] !== wb[k]) return false;
    i = words << 2;
  }
  for (; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The absolute path with symlinks resolved.
 *
 * @param path the path
 * @param subject what the file is, for messages
 * @returns the real path
 * @throws {PluginError} `NOT_FOUND` or `PERMISSION_DENIED`
 */
export function realPathOf(path: string, subject: FileSubject = "plugin"): string {
  try {
    return Deno.realPathSync(path);
  } catch (e) {
    throw osError(e, path, subject);
  }
}

function openAndRead(
  path: string,
  realPath: string,
  subject: FileSubject,
  max: number,
): { bytes: Uint8Array; stat: FileStamp } {
  const calls = getFileCalls();
  // A direct open(2) would bypass Deno's read permission: only where it is granted.
  if (calls && Deno.permissions.querySync({ name: "read", path: realPath }).state === "granted") {
    const name = new TextEncoder().encode(realPath + "\0");
    const fd = calls.open(name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      const errno = errnoOf(calls);
      throw errno === 2 ? notFound(path, subject) : cannotRead(path, subject, errnoName(errno));
    }
    try {
      const stat = fdStamp(calls, fd);
      if (!stat) throw cannotRead(path, subject, `statx: ${errnoName(errnoOf(calls))}`);
      checkRegular(path, subject, stat, max);
      return {
        bytes: readAll(path, subject, max, stat.size, (buf) => {
          for (;;) {
            const n = Number(calls.read(fd, buf, BigInt(buf.length)));
            if (n >= 0) return n;
            const errno = errnoOf(calls);
            if (errno !== 4) throw cannotRead(path, subject, errnoName(errno));
          }
        }),
        stat,
      };
    } finally {
      calls.close(fd);
    }
  }
  let before: Deno.FileInfo;
  try {
    before = Deno.statSync(realPath);
  } catch (e) {
    throw osError(e, path, subject);
  }
  checkRegular(path, subject, stampOf(before), max);
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(realPath, { read: true });
  } catch (e) {
    throw osError(e, path, subject);
  }
  try {
    const stat = stampOf(file.statSync());
    checkRegular(path, subject, stat, max);
    if (stat.ino !== (before.ino ?? -1) || stat.dev !== before.dev) {
      throw cannotRead(path, subject, "the file was replaced while it was being opened");
    }
    return {
      bytes: readAll(path, subject, max, stat.size, (buf) => file.readSync(buf) ?? 0),
      stat,
    };
  } finally {
    file.close();
  }
}

/** Read until end of file, never more than `max` bytes. */
function readAll(
  path: string,
  subject: FileSubject,
  max: number,
  size: number,
  read: (buf: Uint8Array) => number,
): Uint8Array {
  // One byte more than the stat says, to notice a file that grew.
  let buf = new Uint8Array(Math.min(size, max) + 1);
  let filled = 0;
  for (;;) {
    if (filled === buf.length) {
      if (buf.length > max) throw tooLarge(path, subject, max, `more than ${max} bytes`);
      const bigger = new Uint8Array(Math.min(buf.length * 2, max + 1));
      bigger.set(buf);
      buf = bigger;
    }
    const n = read(buf.subarray(filled));
    if (n === 0) break;
    filled += n;
  }
  return filled === buf.length ? buf : buf.subarray(0, filled);
}

function checkRegular(path: string, subject: FileSubject, st: FileStamp, max: number): void {
  if (st.isDirectory) {
    throw make(subject, "NOT_A_FILE", {
      path,
      what: "not a regular file",
      expected: `a ${expectedKind(subject)}`,
      found: "a directory",
      hint: subject === "plugin"
        ? `name a plugin file inside it, e.g. ${
          path.replace(/\/$/, "")
        }/NAME.so, or let a PluginHost scan the directory`
        : `name a file, not a directory`,
    });
  }
  if (!st.isFile) {
    throw make(subject, "NOT_A_FILE", {
      path,
      what: "not a regular file",
      expected: `a ${expectedKind(subject)}`,
      found: describeSpecial(st.mode),
      hint: `name a regular file; plugboard never reads ${subject}s from pipes or devices`,
    });
  }
  if (st.size > max) throw tooLarge(path, subject, max, `${st.size} bytes`);
}

/**
 * What a file that is not regular is, for messages.
 *
 * @param mode the `st_mode` bits
 * @returns e.g. `"a FIFO (named pipe)"`, `"a character device"`
 */
export function describeSpecial(mode: number): string {
  switch (mode & 0o170000) {
    case 0o010000:
      return "a FIFO (named pipe)";
    case 0o020000:
      return "a character device";
    case 0o060000:
      return "a block device";
    case 0o140000:
      return "a socket";
    default:
      return "a special file";
  }
}

function expectedKind(subject: FileSubject): string {
  return subject === "plugin"
    ? "plugin file (.so, .wasm, or an executable with its metadata sidecar)"
    : subject === "library"
    ? "shared library file"
    : `regular ${subject} file`;
}

function tooLarge(path: string, subject: FileSubject, max: number, found: string): PluginError {
  return make(subject, "NOT_A_FILE", {
    path,
    what: `file too large to be a ${subject}`,
    expected: `at most ${max} bytes`,
    found,
    hint: `check that the path names a ${subject}`,
  });
}

function notFound(path: string, subject: FileSubject, cause?: unknown): PluginError {
  return make(subject, "NOT_FOUND", {
    path,
    what: "no such file",
    expected: "an existing file",
    found: `nothing at ${resolve(path)}`,
    hint: subject === "plugin" || subject === "library"
      ? "check the path, or build the plugin first"
      : subject === "lockfile"
      ? `create it by trusting plugins: plugboard trust FILE|DIR... --lock ${path}`
      : "check the path",
    cause,
  });
}

function cannotRead(
  path: string,
  subject: FileSubject,
  found: string,
  cause?: unknown,
): PluginError {
  return make(subject, "NOT_A_FILE", {
    path,
    what: "cannot read the file",
    expected: `a readable ${expectedKind(subject)}`,
    found,
    hint: "check the path and the file",
    cause,
  });
}

/**
 * Translate an error of a Deno file API into plugboard's: `NOT_FOUND`,
 * `PERMISSION_DENIED` (naming Deno's missing `--allow-read` flag when that is
 * the cause), `NOT_A_FILE` otherwise.
 *
 * @param e what Deno threw
 * @param path the path
 * @param subject what the file is
 * @returns the error
 */
export function osError(e: unknown, path: string, subject: FileSubject = "plugin"): PluginError {
  if (e instanceof PluginError) return e;
  if (e instanceof Deno.errors.NotFound) return notFound(path, subject, e);
  if (e instanceof Deno.errors.NotCapable) {
    return make(subject, "PERMISSION_DENIED", {
      path,
      what: "Deno's permissions do not allow reading it",
      expected: "read permission for the file",
      found: "no --allow-read for it",
      hint: `run Deno with --allow-read=${resolve(path)} (or a directory above it)`,
      cause: e,
    });
  }
  if (e instanceof Deno.errors.PermissionDenied) {
    return make(subject, "PERMISSION_DENIED", {
      path,
      what: "the operating system refused to open it",
      expected: "a file you may read",
      found: e.message,
      hint: "check the file's permissions (chmod, chown)",
      cause: e,
    });
  }
  if (e instanceof Deno.errors.IsADirectory) {
    return make(subject, "NOT_A_FILE", {
      path,
      what: "not a regular file",
      expected: `a ${expectedKind(subject)}`,
      found: "a directory",
      hint: "name a file, not a directory",
      cause: e,
    });
  }
  return cannotRead(path, subject, e instanceof Error ? e.message : String(e), e);
}

interface Details {
  path: string;
  what: string;
  expected: string;
  found: string;
  hint: string;
  cause?: unknown;
}

/** Plugins and libraries fail with a LoadError; other files with a PluginError of the same form. */
function make(
  subject: FileSubject,
  code: "NOT_FOUND" | "NOT_A_FILE" | "PERMISSION_DENIED" | "INSECURE_PERMISSIONS",
  d: Details,
): PluginError {
  if (subject === "plugin" || subject === "library") return new LoadError(code, d);
  return new PluginError(
    code,
    `Cannot read ${subject} ${quote(d.path)}: ${d.what}: expected ${d.expected}, found ${d.found}`,
    { path: d.path, hint: d.hint, cause: d.cause },
  );
}

/** Reword a permission check's LoadError for the file's subject. */
function fileError(subject: FileSubject, path: string, e: LoadError): PluginError {
  if (subject === "plugin" || subject === "library") return e;
  const prefix = `Cannot load plugin ${quote(e.path ?? path)}: `;
  const what = e.summary.startsWith(prefix) ? e.summary.slice(prefix.length) : e.summary;
  return new PluginError(e.code, `Cannot read ${subject} ${quote(path)}: ${what}`, {
    path,
    hint: e.hint,
    cause: e,
  });
}
