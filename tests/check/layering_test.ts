/**
 * The folders of `src/` are layers, each importing only from the layers
 * below it: errors, log, file, the format readers (elf, wasm), abi,
 * registry, check, handle, loader, isolate, open, host, cli. No cycle
 * between folders, and no import of another folder's private (`_`) file.
 *
 * @module
 */

import { assertEquals } from "../_assert.ts";
import { ROOT } from "../_paths.ts";
import { entrySources } from "../../tasks/_entry_points.ts";

/** Each folder's layer; folders on the same layer may not import each other. */
const LAYERS: Record<string, number> = {
  errors: 0,
  log: 1,
  file: 2,
  elf: 3,
  wasm: 3,
  abi: 4,
  registry: 5,
  check: 6,
  handle: 7,
  loader: 8,
  isolate: 9,
  open: 10,
  host: 11,
  cli: 12,
};

interface Import {
  from: string;
  to: string;
  line: number;
}

function importsOf(): Import[] {
  const out: Import[] = [];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(dir)) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) walk(path);
      else if (e.name.endsWith(".ts")) {
        const lines = Deno.readTextFileSync(path).split("\n");
        lines.forEach((text, i) => {
          // Static imports and re-exports, not the examples in JSDoc comments.
          const m = /^\s*(?:import|export)\b[^"']*?from\s+["'](\.[^"']+)["']/.exec(text) ??
            /^\s*\}\s*from\s+["'](\.[^"']+)["']/.exec(text);
          if (!m) return;
          const target = new URL(m[1], `file://${path}`).pathname;
          out.push({
            from: path.slice(ROOT.length + 1),
            to: target.slice(ROOT.length + 1),
            line: i + 1,
          });
        });
      }
    }
  };
  walk(`${ROOT}/src`);
  return out;
}

function folderOf(path: string): string | undefined {
  const m = /^src\/([^/]+)\//.exec(path);
  return m?.[1];
}

const IMPORTS = importsOf();

Deno.test("every folder of src/ has a layer", () => {
  const folders = [...Deno.readDirSync(`${ROOT}/src`)].filter((e) => e.isDirectory).map((e) =>
    e.name
  ).sort();
  assertEquals(folders.filter((f) => !(f in LAYERS)), []);
});

/** The package's entry points (deno.json exports) re-export from any layer. */
const ENTRY_POINTS = new Set(Object.values(entrySources()).map((f) => f.slice(2)));

Deno.test("src/ imports only from lower layers (no cycles between folders)", () => {
  const wrong: string[] = [];
  for (const i of IMPORTS) {
    if (ENTRY_POINTS.has(i.from)) continue;
    const a = folderOf(i.from);
    const b = folderOf(i.to);
    if (!a || !b || a === b) continue;
    if (!(LAYERS[b] < LAYERS[a])) {
      wrong.push(
        `${i.from}:${i.line} (${a}, layer ${LAYERS[a]}) imports ${i.to} (${b}, layer ${LAYERS[b]})`,
      );
    }
  }
  assertEquals(wrong, []);
});

Deno.test("no file in src/ imports another folder's private file", () => {
  const wrong = IMPORTS.filter((i) => {
    const name = i.to.slice(i.to.lastIndexOf("/") + 1);
    return name.startsWith("_") && folderOf(i.from) !== folderOf(i.to);
  }).map((i) => `${i.from}:${i.line} imports ${i.to}`);
  assertEquals(wrong, []);
});

Deno.test("mod.ts and the entry points only re-export", () => {
  const wrong: string[] = [];
  for (const file of Object.values(entrySources())) {
    if (file.endsWith("cli/main.ts")) continue; // the CLI's entry point runs the CLI
    const code = Deno.readTextFileSync(`${ROOT}/${file.slice(2)}`)
      .replace(/\/\*\*[\s\S]*?\*\//g, "")
      .replace(/^export (type )?\{[\s\S]*?\} from "[^"]+";$/gm, "");
    if (code.trim() !== "") wrong.push(file);
  }
  assertEquals(wrong, []);
});
