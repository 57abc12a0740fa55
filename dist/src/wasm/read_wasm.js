// Generated from src/wasm/read_wasm.ts by tasks/dist.ts (deno task dist): do not edit.
import { LoadError, PluginError } from "../errors/plugin_error.js";
import { readNames, readNotes } from "./_custom.js";
import { describeNonWasm } from "./_describe.js";
import { createReader, expectEnd, fail, hex, malformed, MALFORMED_HINT, name, TRUNCATED_HINT, uleb, } from "./_reader.js";
import { checkModule, emptyModule, SECTIONS } from "./_sections.js";
export function readWasm(bytes, path) {
    const r = createReader(bytes, path);
    try {
        checkHeader(r);
        return parse(r);
    }
    catch (err) {
        if (err instanceof PluginError)
            throw err;
        throw new LoadError("MALFORMED", {
            path,
            what: "malformed WebAssembly module",
            expected: "a consistent WebAssembly module",
            found: `an inconsistency the checks missed (${String(err)})`,
            hint: MALFORMED_HINT,
            cause: err,
        });
    }
}
const MAGIC = [0x00, 0x61, 0x73, 0x6d];
const HEADER_SIZE = 8;
const COMPONENT_HINT = "plugboard loads WebAssembly core modules: build the plugin as a " +
    "module (`clang --target=wasm32`, or Rust's wasm32-unknown-unknown / wasm32-wasip1 targets), " +
    "not as a component (wasm32-wasip2, `wasm-tools component new`)";
function checkHeader(r) {
    const b = r.bytes;
    const prefix = Math.min(r.size, 4);
    let magic = prefix > 0;
    for (let i = 0; i < prefix; i++)
        magic &&= b[i] === MAGIC[i];
    if (!magic) {
        const { found, hint } = describeNonWasm(b);
        fail(r, "NOT_WASM", "not a WebAssembly module", "a WebAssembly module (beginning 00 61 73 6d)", found, hint);
    }
    if (r.size < HEADER_SIZE) {
        fail(r, "TRUNCATED", "truncated WebAssembly module (header)", `${HEADER_SIZE} bytes`, `${r.size} byte${r.size === 1 ? "" : "s"}`, TRUNCATED_HINT);
    }
    const version = r.view.getUint16(4, true);
    const layer = r.view.getUint16(6, true);
    if (layer === 1) {
        fail(r, "MALFORMED", "not a WebAssembly core module", "a core module (version 1, layer 0)", `a WebAssembly component (version ${hex(version)}, layer 1)`, COMPONENT_HINT);
    }
    if (version !== 1 || layer !== 0) {
        fail(r, "MALFORMED", "unsupported WebAssembly version", "version 1", `version ${r.view.getUint32(4, true)} (bytes ${Array.from(b.subarray(4, 8), (x) => x.toString(16).padStart(2, "0")).join(" ")})`, "rebuild the plugin with a toolchain that writes WebAssembly 1.0 binaries " +
            "(every current one does)");
    }
}
const SECTION_ORDER = [...SECTIONS.values()].sort((a, b) => a.order - b.order)
    .map((s) => s.name).join(", ");
function parse(r) {
    const m = emptyModule();
    const customSections = [];
    const notes = [];
    let names;
    let last;
    const seen = new Set();
    const header = { pos: HEADER_SIZE, end: r.size, where: "", isFile: true };
    while (header.pos < r.size) {
        const start = header.pos;
        const id = r.bytes[header.pos++];
        const kind = SECTIONS.get(id);
        const label = id === 0 ? "custom section" : kind ? `${kind.name} section` : `section ${id}`;
        header.where = `${label} at offset ${hex(start)}`;
        const size = uleb(r, header, "section size");
        const left = r.size - header.pos;
        if (size > left) {
            fail(r, "TRUNCATED", `truncated WebAssembly module (${header.where})`, `${size} bytes of content`, `${left} byte${left === 1 ? "" : "s"} left in the file`, TRUNCATED_HINT);
        }
        const c = {
            pos: header.pos,
            end: header.pos + size,
            where: header.where,
            isFile: false,
        };
        header.pos = c.end;
        if (id === 0) {
            const sectionName = name(r, c, "custom section name");
            const section = { name: sectionName, offset: c.pos, size: c.end - c.pos };
            customSections.push(section);
            if (sectionName === "plugboard")
                readNotes(r, c.pos, c.end, notes);
            else if (sectionName === "name" && names === undefined) {
                names = readNames(r.bytes, c.pos, c.end);
            }
            continue;
        }
        if (kind === undefined) {
            malformed(r, `section at offset ${hex(start)}`, "a section id from 0 to 13", `id ${id}`);
        }
        if (seen.has(id)) {
            malformed(r, header.where, `at most one ${kind.name} section`, "a second one");
        }
        if (last !== undefined && kind.order < last.order) {
            malformed(r, header.where, `sections in the order ${SECTION_ORDER}`, `the ${kind.name} section after the ${last.name} section`);
        }
        seen.add(id);
        last = kind;
        kind.read(r, c, m);
        expectEnd(r, c);
    }
    checkModule(r, m);
    if (names) {
        for (const segment of m.dataSegments)
            segment.name = names.dataSegments.get(segment.index);
    }
    return {
        version: 1,
        name: names?.module,
        types: m.types,
        imports: m.imports,
        exports: m.exports,
        memories: m.memories,
        tables: m.tables,
        globals: m.globals,
        tags: m.tags,
        start: m.start,
        dataSegments: m.dataSegments,
        customSections,
        notes,
        summary: {
            size: r.size,
            functions: m.functionTypes.length,
            importedFunctions: m.importedFunctions,
            codeBytes: m.codeBytes,
            dataSegments: m.dataSegments.length,
            dataBytes: m.dataSegments.reduce((n, d) => n + d.size, 0),
            elementSegments: m.elementSegments,
            customBytes: customSections.reduce((n, s) => n + s.size, 0),
        },
    };
}
