/**
 * `deno task api:docs`: write `docs/api.md`, the public API of every entry
 * point of the package (deno.json `exports`), from `deno doc --json`. A test
 * regenerates it and fails when the file is stale, so a symbol cannot become
 * public (and so fall under semver) without showing up in a diff.
 *
 * As a module, {@linkcode apiMarkdown} returns the text.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { entrySources } from "./_entry_points.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url)).replace(/\/$/, "");

interface DocSymbol {
  name: string;
  declarations: { kind: string; jsDoc?: { doc?: string } }[];
}

/**
 * The Markdown of docs/api.md.
 *
 * @returns the text
 */
export async function apiMarkdown(): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  const exports = entrySources();
  const out = [
    "# Public API",
    "",
    "Every symbol a user can import, by entry point. Generated from `deno doc --json` by",
    "`deno task api:docs`; a test fails when this file is stale. Each symbol here is a promise kept",
    "under semver once the package is published.",
    "",
  ];
  let total = 0;
  for (const [sub, file] of Object.entries(exports)) {
    const specifier = sub === "." ? config.name : `${config.name}/${sub.slice(2)}`;
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["doc", "--json", file],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!r.success) throw new Error(new TextDecoder().decode(r.stderr));
    const json = JSON.parse(new TextDecoder().decode(r.stdout));
    const node = Object.values(json.nodes as Record<string, { symbols: DocSymbol[] }>)[0];
    const symbols = [...node.symbols].sort((a, b) => a.name.localeCompare(b.name, "en"));
    total += symbols.length;
    out.push(`## \`${specifier}\` (${file.slice(2)}): ${symbols.length} symbols`, "");
    out.push("| symbol | kind | what it is |", "| --- | --- | --- |");
    for (const s of symbols) {
      const kinds = [...new Set(s.declarations.map((d) => kindName(d.kind)))].join(", ");
      const doc = s.declarations.find((d) => d.jsDoc?.doc)?.jsDoc?.doc ?? "";
      out.push(`| \`${s.name}\` | ${kinds} | ${firstSentence(doc)} |`);
    }
    out.push("");
  }
  out.splice(6, 0, `${total} symbols in ${Object.keys(exports).length} entry points.`, "");
  return out.join("\n");
}

function kindName(kind: string): string {
  return kind === "typeAlias" ? "type" : kind === "variable" ? "const" : kind;
}

function firstSentence(doc: string): string {
  const text = doc.replace(/\{@linkcode ([^}]+)\}/g, "`$1`").replace(/\s+/g, " ").trim();
  const m = /^(.*?[.:;])(\s|$)/.exec(text);
  return (m ? m[1] : text).replace(/[.:;]$/, "").replaceAll("|", "\\|");
}

if (import.meta.main) {
  await Deno.writeTextFile(`${ROOT}/docs/api.md`, await apiMarkdown());
  console.log("wrote docs/api.md");
}
