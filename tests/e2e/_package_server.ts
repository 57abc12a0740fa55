/**
 * The package as JSR would serve it: only the files `deno.json`'s
 * `publish.include` lists (minus `publish.exclude`), over HTTP on
 * 127.0.0.1, and an import map that maps the package's JSR name and its
 * entry points (`exports`) to them.
 *
 * @module
 */

import { ROOT } from "../_paths.ts";

/** A running package server. */
export interface PackageServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  /** `127.0.0.1:PORT`, for `--allow-import`. */
  readonly host: string;
  /** The import map: the package name and each entry point to its URL. */
  readonly imports: Readonly<Record<string, string>>;
  /** The files served, relative to the repository root. */
  readonly files: ReadonlySet<string>;
  /** How many requests were answered 404. */
  readonly misses: string[];
}

/**
 * The files a publish would include.
 *
 * @returns paths relative to the repository root
 */
export function publishedFiles(): Set<string> {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`));
  const include: string[] = config.publish.include;
  const exclude: string[] = config.publish.exclude ?? [];
  // The only exclude pattern is **/*_test.ts; refuse others rather than guess.
  for (const p of exclude) {
    if (p !== "**/*_test.ts") throw new Error(`unsupported publish.exclude pattern ${p}`);
  }
  const files = new Set<string>();
  const walk = (rel: string) => {
    const st = Deno.statSync(`${ROOT}/${rel}`);
    if (st.isDirectory) {
      for (const e of Deno.readDirSync(`${ROOT}/${rel}`)) walk(`${rel}/${e.name}`);
    } else if (st.isFile && !(exclude.length > 0 && rel.endsWith("_test.ts"))) {
      files.add(rel);
    }
  };
  for (const p of include) walk(p.replace(/\/$/, ""));
  return files;
}

const TYPES: Record<string, string> = {
  ".ts": "application/typescript; charset=utf-8",
  ".js": "application/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
};

/**
 * Serve the package on a random port of 127.0.0.1.
 *
 * @returns the server; dispose of it to stop it
 */
export function servePackage(): PackageServer {
  const files = publishedFiles();
  const misses: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname).replace(/^\//, "");
    if (!files.has(path)) {
      misses.push(path);
      return new Response("not found", { status: 404 });
    }
    const ext = /\.[^.]+$/.exec(path)?.[0] ?? "";
    return new Response(await Deno.readFile(`${ROOT}/${path}`), {
      headers: { "content-type": TYPES[ext] ?? "text/plain; charset=utf-8" },
    });
  });
  const port = (server.addr as Deno.NetAddr).port;
  const origin = `http://127.0.0.1:${port}`;
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`));
  const imports: Record<string, string> = {};
  for (const [sub, file] of Object.entries(config.exports as Record<string, string>)) {
    const name = sub === "." ? config.name : `${config.name}/${sub.slice(2)}`;
    imports[name] = `${origin}/${file.replace(/^\.\//, "")}`;
  }
  return {
    origin,
    host: `127.0.0.1:${port}`,
    imports,
    files,
    misses,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}
