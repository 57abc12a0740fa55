// Generated from src/isolate/_child.ts by tasks/dist.ts (deno task dist): do not edit.
import { parseDeclarations } from "../abi/define_interface.js";
import { checkLibrary, checkPlugin } from "../check/check_plugin.js";
import { newHandleState } from "../handle/plugin.js";
import { LibraryBackend } from "../loader/open_library.js";
import { loadNative } from "../loader/open_native.js";
import { applySandbox } from "./_sandbox.js";
import { PART_BYTES, PartAssembler, RING_MAX_FRAME, RingKind, ShmChannel, } from "./_shm.js";
import { parseSignature } from "../abi/signature.js";
import { LoadError } from "../errors/plugin_error.js";
import { Cursor, errorToData, EXIT_NO_COOKIE, EXIT_NO_VERSION, EXIT_ORPHANED, EXIT_PROTOCOL, FrameWriter, HANDSHAKE_PREFIX, HEADER_SIZE, Kind, MAGIC_COOKIE, MAGIC_COOKIE_ENV, MAX_FRAME, parseJson, PROTOCOL_VERSIONS, readValue, writeValue, } from "./_protocol.js";
const LIBC = {
    read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
    write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
    dup: { parameters: ["i32"], result: "i32" },
    dup2: { parameters: ["i32", "i32"], result: "i32" },
    prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
    getppid: { parameters: [], result: "i32" },
    __errno_location: { parameters: [], result: "pointer" },
};
let libc;
const PR_SET_PDEATHSIG = 1;
const SIGKILL = 9n;
const EINTR = 4;
let served;
let outFd = -1;
const out = new FrameWriter();
const bound = [];
let ring;
function errno() {
    const p = libc.__errno_location();
    return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32();
}
function fail(code, message) {
    console.error(`plugboard isolation child: ${message}`);
    Deno.exit(code);
}
function writeAll(bytes, length) {
    let off = 0;
    while (off < length) {
        const n = Number(libc.write(outFd, bytes.subarray(off, length), BigInt(length - off)));
        if (n < 0) {
            if (errno() === EINTR)
                continue;
            closePlugin();
            Deno.exit(0);
        }
        off += n;
    }
}
function flush() {
    if (out.length === 0)
        return;
    if (ring)
        flushToRing(ring);
    else
        writeAll(out.bytes, out.length);
    out.length = 0;
}
function flushToRing(r) {
    const bytes = out.bytes;
    for (let pos = 0; pos < out.length;) {
        const size = HEADER_SIZE + out.view.getUint32(pos, true);
        if (size <= RING_MAX_FRAME) {
            const at = r.childWaitRoom(size);
            r.bytes.set(bytes.subarray(pos, pos + size), at);
            r.commit(size);
        }
        else {
            const id = out.view.getUint32(pos + 4, true);
            for (let sent = 0; sent < size;) {
                const n = Math.min(PART_BYTES, size - sent);
                r.childWaitRoom(HEADER_SIZE + n);
                r.putPart(id, bytes, pos + sent, n);
                sent += n;
                bell(r.publish());
            }
        }
        pos += size;
    }
    bell(r.publish());
}
function bell(wake) {
    if (wake !== "pipe-bell")
        return;
    const frame = new Uint8Array(HEADER_SIZE);
    frame[8] = RingKind.BELL;
    writeAll(frame, HEADER_SIZE);
}
function handleAttach(id, payload) {
    const req = parseJson(payload);
    try {
        const r = ShmChannel.attach(req.path);
        const start = out.begin(id, Kind.OK);
        out.end(start);
        flush();
        ring = r;
    }
    catch (e) {
        out.json(id, Kind.ERROR, errorToData(e));
    }
}
function closePlugin() {
    const p = served;
    served = undefined;
    p?.close();
}
function assertPinned(file, req) {
    if (file.sha256 !== req.sha256) {
        throw new LoadError("CHECKSUM_MISMATCH", {
            path: req.path,
            what: "the file changed between the host's checks and the child's load",
            expected: `SHA-256 ${req.sha256}`,
            found: `SHA-256 ${file.sha256}`,
            hint: `something rewrote the ${req.kind ?? "plugin"} while it was being opened; open it again`,
        });
    }
}
function load(req) {
    const options = { allowInsecurePermissions: req.allowInsecurePermissions };
    if (req.kind === "library") {
        const checked = checkLibrary(req.path, req.functions ?? [], options);
        assertPinned(checked.file, req);
        const lib = LibraryBackend.load(req.path, checked, req.load);
        const state = newHandleState();
        return {
            functions: (decls) => {
                const sigs = [...parseDeclarations(decls).values()];
                lib.checkBindable(sigs, req.path);
                return lib.bind(sigs, state);
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
        functions: (decls) => p.functions(decls),
        close: () => void p.close(),
    };
}
function handleLoad(id, payload) {
    const req = parseJson(payload);
    if (req.sandbox) {
        try {
            applySandbox(req.sandbox.policy, {
                bestEffort: req.sandbox.bestEffort,
                allowUnconfined: req.sandbox.allowUnconfined,
                path: req.path,
                keepFds: [outFd],
            });
        }
        catch (e) {
            out.json(id, Kind.ERROR, errorToData(e));
            flush();
            Deno.exit(0);
        }
    }
    try {
        served = load(req);
        const start = out.begin(id, Kind.OK);
        out.end(start);
    }
    catch (e) {
        out.json(id, Kind.ERROR, errorToData(e));
    }
}
function handleBind(id, c) {
    const count = c.u16();
    const entries = [];
    for (let i = 0; i < count; i++)
        entries.push({ index: c.u16(), text: c.string() });
    try {
        if (!served)
            throw new Error("nothing is loaded");
        const decls = {};
        for (const e of entries)
            decls[parseSignature(e.text).name] = e.text;
        const fns = served.functions(decls);
        for (const e of entries) {
            const sig = parseSignature(e.text);
            const buffers = [];
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
    }
    catch (e) {
        for (const entry of entries)
            bound[entry.index] = e;
        out.json(id, Kind.ERROR, errorToData(e));
    }
}
function handleCall(id, c) {
    const b = bound[c.u16()];
    if (b === undefined || b instanceof Error) {
        out.json(id, Kind.ERROR, errorToData(b ?? new Error("function index not bound")));
        return;
    }
    const args = b.args;
    for (let i = 0; i < b.params.length; i++)
        args[i] = readValue(c, b.params[i]);
    let result;
    try {
        result = b.fn(...args);
    }
    catch (e) {
        out.json(id, Kind.ERROR, errorToData(e));
        return;
    }
    const start = out.begin(id, Kind.OK);
    writeValue(out, b.result, result);
    for (const i of b.buffers)
        out.raw(args[i]);
    out.end(start);
}
function handleFrame(id, kind, bytes, view, at, len) {
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
            }
            catch (e) {
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
let inBuf = new Uint8Array(64 * 1024);
let inView = new DataView(inBuf.buffer);
let inPos = 0;
let inFilled = 0;
function pipeFrameReady() {
    if (inFilled - inPos < HEADER_SIZE)
        return false;
    const len = inView.getUint32(inPos, true);
    if (len > MAX_FRAME)
        fail(EXIT_PROTOCOL, `frame of ${len} bytes exceeds the limit`);
    return inFilled - inPos >= HEADER_SIZE + len;
}
function readMore() {
    if (inPos > 0) {
        inBuf.copyWithin(0, inPos, inFilled);
        inFilled -= inPos;
        inPos = 0;
    }
    let need = inBuf.length;
    if (inFilled >= HEADER_SIZE)
        need = Math.max(need, HEADER_SIZE + inView.getUint32(0, true));
    if (inFilled === inBuf.length || need > inBuf.length) {
        let size = inBuf.length * 2;
        while (size < need)
            size *= 2;
        const bigger = new Uint8Array(size);
        bigger.set(inBuf.subarray(0, inFilled));
        inBuf = bigger;
        inView = new DataView(inBuf.buffer);
    }
    for (;;) {
        const n = Number(libc.read(0, inBuf.subarray(inFilled), BigInt(inBuf.length - inFilled)));
        if (n < 0 && errno() === EINTR)
            continue;
        if (n <= 0) {
            closePlugin();
            Deno.exit(0);
        }
        inFilled += n;
        return;
    }
}
function handlePipeFrame() {
    const len = inView.getUint32(inPos, true);
    const at = inPos;
    inPos += HEADER_SIZE + len;
    handleFrame(inView.getUint32(at + 4, true), inBuf[at + 8], inBuf, inView, at + HEADER_SIZE, len);
}
function serve() {
    for (;;) {
        readMore();
        while (pipeFrameReady()) {
            handlePipeFrame();
            if (ring)
                return serveRing(ring);
        }
        flush();
    }
}
function serveRing(r) {
    const parts = new PartAssembler();
    for (;;) {
        let f;
        let whole;
        try {
            f = r.peek();
            if (f?.kind === RingKind.PART) {
                whole = parts.add(f.id, r.bytes, f.at, f.len, MAX_FRAME);
                r.advance();
                bell(r.consumed());
            }
        }
        catch (e) {
            fail(EXIT_PROTOCOL, e.message);
        }
        if (f === undefined) {
            r.childWaitInput();
        }
        else if (f.kind !== RingKind.PART) {
            r.beat();
            handleFrame(f.id, f.kind, r.bytes, r.view, f.at, f.len);
            flush();
            r.advance();
            bell(r.consumed());
        }
        else if (whole) {
            const view = new DataView(whole.buffer, whole.byteOffset, whole.byteLength);
            handleFrame(f.id, whole[8], whole, view, HEADER_SIZE, whole.length - HEADER_SIZE);
            flush();
        }
    }
}
export function main() {
    libc = Deno.dlopen("libc.so.6", LIBC).symbols;
    const [parentText, versionsText = ""] = Deno.args;
    libc.prctl(PR_SET_PDEATHSIG, SIGKILL, 0n, 0n, 0n);
    if (String(libc.getppid()) !== parentText) {
        fail(EXIT_ORPHANED, `the parent process ${parentText} is gone`);
    }
    if (Deno.env.get(MAGIC_COOKIE_ENV) !== MAGIC_COOKIE) {
        fail(EXIT_NO_COOKIE, "this program is started by plugboard to isolate a plugin; it is not meant to be run by hand");
    }
    Deno.env.delete(MAGIC_COOKIE_ENV);
    const offered = versionsText.split(",").map(Number);
    const version = Math.max(-1, ...PROTOCOL_VERSIONS.filter((v) => offered.includes(v)));
    if (version < 0) {
        fail(EXIT_NO_VERSION, `the host offers protocol versions ${versionsText || "(none)"}, this child speaks ${PROTOCOL_VERSIONS.join(", ")}`);
    }
    outFd = libc.dup(1);
    if (outFd < 0 || libc.dup2(2, 1) < 0) {
        fail(EXIT_PROTOCOL, `cannot set up stdout (errno ${errno()})`);
    }
    const line = new TextEncoder().encode(`${HANDSHAKE_PREFIX}${version}|${Deno.pid}\n`);
    writeAll(line, line.length);
    serve();
}
if (import.meta.main)
    main();
