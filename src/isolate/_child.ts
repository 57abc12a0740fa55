/**
 * The isolation child: a Deno process that loads one plugin (or one
 * ordinary library, with the signatures its host declared) with the
 * in-process loader and serves the host's requests over its stdin and
 * stdout. Started by the host as
 *
 * ```sh
 * deno run --quiet --no-prompt --no-config --allow-ffi --allow-read=... \
 *   --allow-env=PLUGBOARD_MAGIC_COOKIE _child.ts PARENT_PID VERSIONS
 * ```
 *
 * It arranges to die with its parent before anything else (prctl
 * PR_SET_PDEATHSIG, then a check that the parent is still the one that
 * started it), moves the protocol to a private duplicate of stdout and points
 * file descriptor 1 at stderr (so a plugin's printf cannot corrupt a frame),
 * writes the handshake line, then loops: a blocking read(2) on stdin, every
 * complete frame handled in order, the replies written with one write(2).
 * Nothing here waits on Deno's event loop, so a round trip costs two pipe
 * wake-ups and the call itself.
 *
 * @module
 */

import { parseDeclarations } from "../abi/define_interface.ts";
import { checkLibrary, checkPlugin } from "../check/check_plugin.ts";
import { newHandleState } from "../handle/plugin.ts";
import { LibraryBackend } from "../loader/open_library.ts";
import { loadNative } from "../loader/open_native.ts";
import { applySandbox } from "./_sandbox.ts";
import {
  PART_BYTES,
  PartAssembler,
  RING_MAX_FRAME,
  RingKind,
  ShmChannel,
  type Wake,
} from "./_shm.ts";
import { parseSignature, type TypeName } from "../abi/signature.ts";
import { LoadError } from "../errors/plugin_error.ts";
import type { ReadFile } from "../file/read_file.ts";
import {
  type AttachRequest,
  Cursor,
  errorToData,
  EXIT_NO_COOKIE,
  EXIT_NO_VERSION,
  EXIT_ORPHANED,
  EXIT_PROTOCOL,
  FrameWriter,
  HANDSHAKE_PREFIX,
  HEADER_SIZE,
  Kind,
  type LoadRequest,
  MAGIC_COOKIE,
  MAGIC_COOKIE_ENV,
  MAX_FRAME,
  parseJson,
  PROTOCOL_VERSIONS,
  readValue,
  writeValue,
} from "./_protocol.ts";

const LIBC = {
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  dup: { parameters: ["i32"], result: "i32" },
  dup2: { parameters: ["i32", "i32"], result: "i32" },
  prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
  getppid: { parameters: [], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

/** libc, bound by main(): importing this module (as a host does, to have it cached) binds nothing. */
let libc: Deno.DynamicLibrary<typeof LIBC>["symbols"];

const PR_SET_PDEATHSIG = 1;
const SIGKILL = 9n;
const EINTR = 4;

interface Bound {
  fn: (...args: unknown[]) => unknown;
  params: readonly TypeName[];
  result: TypeName;
  buffers: number[];
  args: unknown[];
}

/** What the child serves: a plugin, or an ordinary library. */
interface Served {
  /** Bind functions by canonical signature text, keyed by name. */
  functions(decls: Record<string, string>): Record<string, (...args: unknown[]) => unknown>;
  /** Unload (a plugin's shutdown hook runs; a library's destructors run). */
  close(): void;
}

let served: Served | undefined;
let outFd = -1;
const out = new FrameWriter();
const bound: (Bound | Error)[] = [];
/** The shared-memory channel, once the host's ATTACH succeeded: requests and replies go through it. */
let ring: ShmChannel | undefined;

function errno(): number {
  const p = libc.__errno_location();
  return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32();
}

function fail(code: number, message: string): never {
  console.error(`plugboard isolation child: ${message}`);
  Deno.exit(code);
}

function writeAll(bytes: Uint8Array, length: number): void {
  let off = 0;
  while (off < length) {
    const n = Number(libc.write(outFd, bytes.subarray(off, length), BigInt(length - off)));
    if (n < 0) {
      if (errno() === EINTR) continue;
      // The host is gone: nobody to serve.
      closePlugin();
      Deno.exit(0);
    }
    off += n;
  }
}

function flush(): void {
  if (out.length === 0) return;
  if (ring) flushToRing(ring);
  else writeAll(out.bytes, out.length);
  out.length = 0;
}

/**
 * The replies in `out`, into the reply ring, waiting for room while the host
 * is behind; a frame larger than a ring slot goes in pieces.
 */
function flushToRing(r: ShmChannel): void {
  const bytes = out.bytes;
  for (let pos = 0; pos < out.length;) {
    const size = HEADER_SIZE + out.view.getUint32(pos, true);
    if (size <= RING_MAX_FRAME) {
      const at = r.childWaitRoom(size);
      r.bytes.set(bytes.subarray(pos, pos + size), at);
      r.commit(size);
    } else {
      const id = out.view.getUint32(pos + 4, true);
      for (let sent = 0; sent < size;) {
        const n = Math.min(PART_BYTES, size - sent);
        r.childWaitRoom(HEADER_SIZE + n);
        r.putPart(id, bytes, pos + sent, n);
        sent += n;
        // Visible at once: the host makes room while the rest is written.
        bell(r.publish());
      }
    }
    pos += size;
  }
  bell(r.publish());
}

/** Ring the host's pipe bell when it sleeps waiting for one. */
function bell(wake: Wake): void {
  if (wake !== "pipe-bell") return;
  const frame = new Uint8Array(HEADER_SIZE);
  frame[8] = RingKind.BELL;
  writeAll(frame, HEADER_SIZE);
}

function handleAttach(id: number, payload: Uint8Array): void {
  const req = parseJson(payload) as AttachRequest;
  try {
    const r = ShmChannel.attach(req.path);
    // The reply to ATTACH is the last one on the pipe: everything after it
    // travels in the rings.
    const start = out.begin(id, Kind.OK);
    out.end(start);
    flush();
    ring = r;
  } catch (e) {
    out.json(id, Kind.ERROR, errorToData(e));
  }
}

function closePlugin(): void {
  const p = served;
  served = undefined;
  // With no nonblocking call in flight, close() runs the shutdown hook and
  // unloads synchronously; the promise is already settled.
  p?.close();
}

/** Refuse bytes other than those the host checked. */
function assertPinned(file: ReadFile, req: LoadRequest): void {
  if (file.sha256 !== req.sha256) {
    throw new LoadError("CHECKSUM_MISMATCH", {
      path: req.path,
      what: "the file changed between the host's checks and the child's load",
      expected: `SHA-256 ${req.sha256}`,
      found: `SHA-256 ${file.sha256}`,
      hint: `something rewrote the ${
        req.kind ?? "plugin"
      } while it was being opened; open it again`,
    });
  }
}

/** Check and load what the request names: the same checks as the host's, on the bytes it checked. */
function load(req: LoadRequest): Served {
  const options = { allowInsecurePermissions: req.allowInsecurePermissions };
  if (req.kind === "library") {
    // Read once: the bytes hashed here are the bytes copied to the sealed memfd.
    const checked = checkLibrary(req.path, req.functions ?? [], options);
    assertPinned(checked.file, req);
    const lib = LibraryBackend.load(req.path, checked, req.load);
    const state = newHandleState();
    return {
      functions: (decls) => {
        const sigs = [...parseDeclarations(decls).values()];
        lib.checkBindable(sigs, req.path);
        return lib.bind(sigs, state) as Record<string, (...args: unknown[]) => unknown>;
      },
      close: () => void lib.close(),
    };
  }
  const candidate = checkPlugin(req.path, {
    ...options,
    verify: ({ file }) => assertPinned(file, req),
  });
  const p = loadNative(candidate, { load: req.load, init: req.init }, req.path);
  return {
    functions: (decls) =>
      p.functions(decls) as unknown as Record<string, (...args: unknown[]) => unknown>,
    close: () => void p.close(),
  };
}

function handleLoad(id: number, payload: Uint8Array): void {
  const req = parseJson(payload) as LoadRequest;
  if (req.sandbox) {
    // Confined before anything of the plugin is read or runs (its ELF
    // constructors included). A failure may leave the child half confined:
    // answer, then end.
    try {
      applySandbox(req.sandbox.policy, {
        bestEffort: req.sandbox.bestEffort,
        allowUnconfined: req.sandbox.allowUnconfined,
        path: req.path,
        keepFds: [outFd],
      });
    } catch (e) {
      out.json(id, Kind.ERROR, errorToData(e));
      flush();
      Deno.exit(0);
    }
  }
  try {
    served = load(req);
    const start = out.begin(id, Kind.OK);
    out.end(start);
  } catch (e) {
    out.json(id, Kind.ERROR, errorToData(e));
  }
}

function handleBind(id: number, c: Cursor): void {
  const count = c.u16();
  const entries: { index: number; text: string }[] = [];
  for (let i = 0; i < count; i++) entries.push({ index: c.u16(), text: c.string() });
  try {
    if (!served) throw new Error("nothing is loaded");
    const decls: Record<string, string> = {};
    for (const e of entries) decls[parseSignature(e.text).name] = e.text;
    const fns = served.functions(decls);
    for (const e of entries) {
      const sig = parseSignature(e.text);
      const buffers: number[] = [];
      sig.parameters.forEach((t, i) => t === "buffer" && buffers.push(i));
      bound[e.index] = {
        fn: fns[sig.name],
        params: sig.parameters,
        result: sig.result,
        buffers,
        args: new Array(sig.parameters.length),
      };
    }
    const start = out.begin(id, Kind.OK);
    out.end(start);
  } catch (e) {
    for (const entry of entries) bound[entry.index] = e as Error;
    out.json(id, Kind.ERROR, errorToData(e));
  }
}

function handleCall(id: number, c: Cursor): void {
  const b = bound[c.u16()];
  if (b === undefined || b instanceof Error) {
    out.json(id, Kind.ERROR, errorToData(b ?? new Error("function index not bound")));
    return;
  }
  const args = b.args;
  for (let i = 0; i < b.params.length; i++) args[i] = readValue(c, b.params[i]);
  let result: unknown;
  try {
    result = b.fn(...args);
  } catch (e) {
    out.json(id, Kind.ERROR, errorToData(e));
    return;
  }
  const start = out.begin(id, Kind.OK);
  writeValue(out, b.result, result);
  for (const i of b.buffers) out.raw(args[i] as Uint8Array);
  out.end(start);
}

function handleFrame(
  id: number,
  kind: number,
  bytes: Uint8Array,
  view: DataView,
  at: number,
  len: number,
): void {
  // Replies ready so far leave before any plugin code runs again: if that
  // code crashes, the calls it did not belong to are still answered.
  flush();
  switch (kind) {
    case Kind.CALL:
      return handleCall(id, new Cursor(bytes, view, at));
    case Kind.BIND:
      return handleBind(id, new Cursor(bytes, view, at));
    case Kind.LOAD:
      return handleLoad(id, bytes.subarray(at, at + len));
    case Kind.ATTACH:
      return handleAttach(id, bytes.subarray(at, at + len));
    case Kind.SHUTDOWN: {
      try {
        closePlugin();
        const start = out.begin(id, Kind.OK);
        out.end(start);
      } catch (e) {
        out.json(id, Kind.ERROR, errorToData(e));
      }
      flush();
      Deno.exit(0);
      break;
    }
    default:
      fail(EXIT_PROTOCOL, `unknown frame kind ${kind}`);
  }
}

// Bytes read from stdin: `inFilled` of them, frames start at `inPos`.
let inBuf = new Uint8Array(64 * 1024);
let inView = new DataView(inBuf.buffer);
let inPos = 0;
let inFilled = 0;

/** Whether a whole frame is buffered at `inPos` (checking its length). */
function pipeFrameReady(): boolean {
  if (inFilled - inPos < HEADER_SIZE) return false;
  const len = inView.getUint32(inPos, true);
  if (len > MAX_FRAME) fail(EXIT_PROTOCOL, `frame of ${len} bytes exceeds the limit`);
  return inFilled - inPos >= HEADER_SIZE + len;
}

/** Read more of stdin (blocking), making room first; on end of file, shut down. */
function readMore(): void {
  if (inPos > 0) {
    inBuf.copyWithin(0, inPos, inFilled);
    inFilled -= inPos;
    inPos = 0;
  }
  let need = inBuf.length;
  if (inFilled >= HEADER_SIZE) need = Math.max(need, HEADER_SIZE + inView.getUint32(0, true));
  if (inFilled === inBuf.length || need > inBuf.length) {
    let size = inBuf.length * 2;
    while (size < need) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(inBuf.subarray(0, inFilled));
    inBuf = bigger;
    inView = new DataView(inBuf.buffer);
  }
  for (;;) {
    const n = Number(libc.read(0, inBuf.subarray(inFilled), BigInt(inBuf.length - inFilled)));
    if (n < 0 && errno() === EINTR) continue;
    if (n <= 0) {
      // The host closed our stdin (or died): shut down like SHUTDOWN would.
      closePlugin();
      Deno.exit(0);
    }
    inFilled += n;
    return;
  }
}

/** Handle the frame at `inPos` and step over it. */
function handlePipeFrame(): void {
  const len = inView.getUint32(inPos, true);
  const at = inPos;
  inPos += HEADER_SIZE + len;
  handleFrame(inView.getUint32(at + 4, true), inBuf[at + 8], inBuf, inView, at + HEADER_SIZE, len);
}

function serve(): void {
  for (;;) {
    readMore();
    while (pipeFrameReady()) {
      handlePipeFrame();
      if (ring) return serveRing(ring);
    }
    // Everything complete is handled: answer before blocking again.
    flush();
  }
}

/**
 * Serve from the request ring: each frame is handled where it lies (a buffer
 * argument is a view into the ring, which the host does not reuse before the
 * request is consumed); a large one is put together from its pieces first.
 * Each reply is published as soon as it is ready.
 */
function serveRing(r: ShmChannel): never {
  const parts = new PartAssembler();
  for (;;) {
    let f;
    let whole: Uint8Array | undefined;
    try {
      f = r.peek();
      if (f?.kind === RingKind.PART) {
        whole = parts.add(f.id, r.bytes, f.at, f.len, MAX_FRAME);
        // Each piece is given back at once: the host writes the next one there.
        r.advance();
        bell(r.consumed());
      }
    } catch (e) {
      fail(EXIT_PROTOCOL, (e as Error).message);
    }
    if (f === undefined) {
      r.childWaitInput();
    } else if (f.kind !== RingKind.PART) {
      r.beat();
      handleFrame(f.id, f.kind, r.bytes, r.view, f.at, f.len);
      flush();
      r.advance();
      bell(r.consumed());
    } else if (whole) {
      const view = new DataView(whole.buffer, whole.byteOffset, whole.byteLength);
      handleFrame(f.id, whole[8], whole, view, HEADER_SIZE, whole.length - HEADER_SIZE);
      flush();
    }
  }
}

/** Serve as an isolation child: what running this module does. */
export function main(): void {
  libc = Deno.dlopen("libc.so.6", LIBC).symbols;
  const [parentText, versionsText = ""] = Deno.args;
  // Die with the parent, even when it is killed with SIGKILL; then make sure
  // it did not die before the line above took effect.
  libc.prctl(PR_SET_PDEATHSIG, SIGKILL, 0n, 0n, 0n);
  if (String(libc.getppid()) !== parentText) {
    fail(EXIT_ORPHANED, `the parent process ${parentText} is gone`);
  }
  if (Deno.env.get(MAGIC_COOKIE_ENV) !== MAGIC_COOKIE) {
    fail(
      EXIT_NO_COOKIE,
      "this program is started by plugboard to isolate a plugin; it is not meant to be run by hand",
    );
  }
  // Not inherited by whatever the plugin starts: a process that has the
  // cookie and is not this script must not start isolation children.
  Deno.env.delete(MAGIC_COOKIE_ENV);
  const offered = versionsText.split(",").map(Number);
  const version = Math.max(-1, ...PROTOCOL_VERSIONS.filter((v) => offered.includes(v)));
  if (version < 0) {
    fail(
      EXIT_NO_VERSION,
      `the host offers protocol versions ${versionsText || "(none)"}, this child speaks ${
        PROTOCOL_VERSIONS.join(", ")
      }`,
    );
  }
  // The protocol gets a private copy of stdout; fd 1 becomes stderr, so
  // whatever the plugin prints lands in the host's log, not in a frame.
  outFd = libc.dup(1);
  if (outFd < 0 || libc.dup2(2, 1) < 0) {
    fail(EXIT_PROTOCOL, `cannot set up stdout (errno ${errno()})`);
  }
  const line = new TextEncoder().encode(`${HANDSHAKE_PREFIX}${version}|${Deno.pid}\n`);
  writeAll(line, line.length);
  serve();
}

if (import.meta.main) main();
