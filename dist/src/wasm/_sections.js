// Generated from src/wasm/_sections.ts by tasks/dist.ts (deno task dist): do not edit.
import { byte, count, hex, malformed, name, pastEnd, uleb, } from "./_reader.js";
import { checkIndex, constExpr, functionType, globalType, memoryType, refType, tableType, } from "./_types.js";
export function emptyModule() {
    return {
        types: [],
        imports: [],
        functionTypes: [],
        importedFunctions: 0,
        declaredFunctions: undefined,
        tables: [],
        memories: [],
        globals: [],
        tags: 0,
        exports: [],
        start: undefined,
        elementSegments: 0,
        dataCount: undefined,
        bodies: undefined,
        codeBytes: 0,
        dataSegments: [],
    };
}
export const SECTIONS = new Map([
    [1, { name: "type", order: 1, read: readTypes }],
    [2, { name: "import", order: 2, read: readImports }],
    [3, { name: "function", order: 3, read: readFunctions }],
    [4, { name: "table", order: 4, read: readTables }],
    [5, { name: "memory", order: 5, read: readMemories }],
    [13, { name: "tag", order: 6, read: readTags }],
    [6, { name: "global", order: 7, read: readGlobals }],
    [7, { name: "export", order: 8, read: readExports }],
    [8, { name: "start", order: 9, read: readStart }],
    [9, { name: "element", order: 10, read: readElements }],
    [12, { name: "data count", order: 11, read: readDataCount }],
    [10, { name: "code", order: 12, read: readCode }],
    [11, { name: "data", order: 13, read: readData }],
]);
function readTypes(r, c, m) {
    const n = count(r, c, "types", 3);
    for (let i = 0; i < n; i++)
        m.types.push(functionType(r, c, i));
}
function typeIndex(r, c, m, what) {
    const at = c.pos;
    const index = uleb(r, c, `type index of ${what}`);
    checkIndex(r, at, what, "type", index, m.types.length);
    return index;
}
function readImports(r, c, m) {
    const n = count(r, c, "imports", 4);
    for (let i = 0; i < n; i++) {
        const module = name(r, c, `module name of import ${i}`);
        const field = name(r, c, `name of import ${i}`);
        const what = `import ${i} ("${module}" "${field}")`;
        const at = c.pos;
        const kind = byte(r, c, `the kind of ${what}`);
        if (kind === 0) {
            const typeIdx = typeIndex(r, c, m, what);
            m.functionTypes.push(typeIdx);
            m.importedFunctions++;
            m.imports.push({
                module,
                name: field,
                kind: "function",
                typeIndex: typeIdx,
                type: m.types[typeIdx],
            });
        }
        else if (kind === 1) {
            const table = tableType(r, c, what);
            m.tables.push({ ...table, index: m.tables.length, imported: true, exportedAs: [] });
            m.imports.push({ module, name: field, kind: "table", table });
        }
        else if (kind === 2) {
            const memory = memoryType(r, c, what);
            m.memories.push({ ...memory, index: m.memories.length, imported: true, exportedAs: [] });
            m.imports.push({ module, name: field, kind: "memory", memory });
        }
        else if (kind === 3) {
            const global = globalType(r, c, what);
            m.globals.push({ ...global, index: m.globals.length, imported: true, exportedAs: [] });
            m.imports.push({ module, name: field, kind: "global", global });
        }
        else if (kind === 4) {
            const typeIdx = tag(r, c, m, what);
            m.imports.push({ module, name: field, kind: "tag", typeIndex: typeIdx });
        }
        else {
            malformed(r, `${what} at offset ${hex(at)}`, "an import kind from 0 to 4 (function, table, memory, global, tag)", `kind ${hex(kind)}`);
        }
    }
}
function readFunctions(r, c, m) {
    const n = count(r, c, "functions", 1);
    m.declaredFunctions = n;
    for (let i = 0; i < n; i++) {
        m.functionTypes.push(typeIndex(r, c, m, `function ${m.functionTypes.length}`));
    }
}
function readTables(r, c, m) {
    const n = count(r, c, "tables", 3);
    for (let i = 0; i < n; i++) {
        const index = m.tables.length;
        m.tables.push({ ...tableType(r, c, `table ${index}`), index, imported: false, exportedAs: [] });
    }
}
function readMemories(r, c, m) {
    const n = count(r, c, "memories", 2);
    for (let i = 0; i < n; i++) {
        const index = m.memories.length;
        m.memories.push({
            ...memoryType(r, c, `memory ${index}`),
            index,
            imported: false,
            exportedAs: [],
        });
    }
}
function tag(r, c, m, what) {
    const at = c.pos;
    const attribute = byte(r, c, `the attribute of ${what}`);
    if (attribute !== 0) {
        malformed(r, `${what} at offset ${hex(at)}`, "tag attribute 0 (exception)", `${attribute}`);
    }
    const index = typeIndex(r, c, m, what);
    if (m.types[index].results.length !== 0) {
        malformed(r, `${what} at offset ${hex(at)}`, "a tag type with no results", `type ${index} with ${m.types[index].results.length} results`);
    }
    m.tags++;
    return index;
}
function readTags(r, c, m) {
    const n = count(r, c, "tags", 2);
    for (let i = 0; i < n; i++)
        tag(r, c, m, `tag ${m.tags}`);
}
function readGlobals(r, c, m) {
    const n = count(r, c, "globals", 3);
    for (let i = 0; i < n; i++) {
        const index = m.globals.length;
        const what = `global ${index}`;
        const type = globalType(r, c, what);
        constExpr(r, c, `initializer of ${what}`, {
            globals: index,
            functions: m.functionTypes.length,
        });
        m.globals.push({ ...type, index, imported: false, exportedAs: [] });
    }
}
const EXPORT_KINDS = ["function", "table", "memory", "global", "tag"];
function readExports(r, c, m) {
    const n = count(r, c, "exports", 3);
    const seen = new Set();
    for (let i = 0; i < n; i++) {
        const at = c.pos;
        const field = name(r, c, `name of export ${i}`);
        const what = `export "${field}"`;
        if (seen.has(field)) {
            malformed(r, `${what} at offset ${hex(at)}`, "unique export names", "a second export so named");
        }
        seen.add(field);
        const kindAt = c.pos;
        const kindByte = byte(r, c, `the kind of ${what}`);
        const kind = EXPORT_KINDS[kindByte];
        if (kind === undefined) {
            malformed(r, `${what} at offset ${hex(kindAt)}`, "an export kind from 0 to 4 (function, table, memory, global, tag)", `kind ${hex(kindByte)}`);
        }
        const indexAt = c.pos;
        const index = uleb(r, c, `index of ${what}`);
        const size = kind === "function"
            ? m.functionTypes.length
            : kind === "table"
                ? m.tables.length
                : kind === "memory"
                    ? m.memories.length
                    : kind === "global"
                        ? m.globals.length
                        : m.tags;
        checkIndex(r, indexAt, what, kind, index, size);
        if (kind === "function") {
            m.exports.push({ name: field, kind, index, type: m.types[m.functionTypes[index]] });
        }
        else {
            m.exports.push({ name: field, kind, index });
            if (kind === "table")
                m.tables[index].exportedAs.push(field);
            else if (kind === "memory")
                m.memories[index].exportedAs.push(field);
            else if (kind === "global")
                m.globals[index].exportedAs.push(field);
        }
    }
}
function readStart(r, c, m) {
    const at = c.pos;
    const index = uleb(r, c, "start function index");
    checkIndex(r, at, "start function", "function", index, m.functionTypes.length);
    const type = m.types[m.functionTypes[index]];
    if (type.params.length !== 0 || type.results.length !== 0) {
        malformed(r, c.where, "a start function with no parameters and no results", `function ${index} taking ${type.params.length} and returning ${type.results.length} values`);
    }
    m.start = index;
}
function readElements(r, c, m) {
    const n = count(r, c, "element segments", 3);
    const scope = { globals: m.globals.length, functions: m.functionTypes.length };
    for (let i = 0; i < n; i++) {
        const what = `element segment ${i}`;
        const at = c.pos;
        const flags = uleb(r, c, `flags of ${what}`);
        if (flags > 7) {
            malformed(r, `${what} at offset ${hex(at)}`, "element segment flags from 0 to 7", `${flags}`);
        }
        const passiveOrDeclared = (flags & 1) !== 0;
        const explicitTable = (flags & 2) !== 0;
        const usesExprs = (flags & 4) !== 0;
        if (!passiveOrDeclared) {
            const tableAt = c.pos;
            const table = explicitTable ? uleb(r, c, `table index of ${what}`) : 0;
            checkIndex(r, tableAt, what, "table", table, m.tables.length);
            constExpr(r, c, `offset of ${what}`, scope);
        }
        if (flags !== 0 && flags !== 4) {
            if (usesExprs) {
                refType(r, c, what);
            }
            else {
                const kindAt = c.pos;
                const kind = byte(r, c, `the element kind of ${what}`);
                if (kind !== 0) {
                    malformed(r, `${what} at offset ${hex(kindAt)}`, "element kind 0 (funcref)", `${kind}`);
                }
            }
        }
        const items = count(r, c, `elements of ${what}`, 1);
        for (let j = 0; j < items; j++) {
            if (usesExprs) {
                constExpr(r, c, `element ${j} of ${what}`, scope);
            }
            else {
                const fnAt = c.pos;
                const index = uleb(r, c, `function index in ${what}`);
                checkIndex(r, fnAt, what, "function", index, m.functionTypes.length);
            }
        }
        m.elementSegments++;
    }
}
function readDataCount(r, c, m) {
    m.dataCount = uleb(r, c, "data count");
}
function readCode(r, c, m) {
    const n = count(r, c, "function bodies", 1);
    for (let i = 0; i < n; i++) {
        const at = c.pos;
        const size = uleb(r, c, `size of function body ${i}`);
        if (size > c.end - c.pos)
            pastEnd(r, c, `the ${size}-byte function body ${i}`);
        if (size === 0) {
            malformed(r, `function body ${i} at offset ${hex(at)}`, "at least 1 byte", "0 bytes");
        }
        c.pos += size;
        m.codeBytes += size;
    }
    m.bodies = n;
}
function readData(r, c, m) {
    const n = count(r, c, "data segments", 2);
    const scope = { globals: m.globals.length, functions: m.functionTypes.length };
    for (let i = 0; i < n; i++) {
        const what = `data segment ${i}`;
        const at = c.pos;
        const flags = uleb(r, c, `flags of ${what}`);
        if (flags > 2) {
            malformed(r, `${what} at offset ${hex(at)}`, "data segment flags 0, 1 or 2", `${flags}`);
        }
        let memory = -1;
        let offset;
        if (flags !== 1) {
            const memoryAt = c.pos;
            memory = flags === 2 ? uleb(r, c, `memory index of ${what}`) : 0;
            checkIndex(r, memoryAt, what, "memory", memory, m.memories.length);
            offset = constExpr(r, c, `offset of ${what}`, scope);
        }
        const size = uleb(r, c, `size of ${what}`);
        if (size > c.end - c.pos)
            pastEnd(r, c, `the ${size} bytes of ${what}`);
        m.dataSegments.push({
            index: i,
            mode: flags === 1 ? "passive" : "active",
            memory,
            offset,
            size,
            fileOffset: c.pos,
            name: undefined,
        });
        c.pos += size;
    }
}
export function checkModule(r, m) {
    const declared = m.declaredFunctions ?? 0;
    const bodies = m.bodies ?? 0;
    if (declared !== bodies) {
        malformed(r, "code section", `${declared} function bod${declared === 1 ? "y" : "ies"}, one per function the function ` +
            "section declares", `${bodies}`);
    }
    if (m.dataCount !== undefined && m.dataCount !== m.dataSegments.length) {
        malformed(r, "data section", `${m.dataCount} data segment${m.dataCount === 1 ? "" : "s"}, as the data count section says`, `${m.dataSegments.length}`);
    }
}
