/**
 * Which compiler built a plugin: the one its ELF `.comment` section names
 * (every compiler writes its own line there, e.g. `GCC: (Debian 12.2.0-14)
 * 12.2.0`, `Debian clang version 14.0.6`, `rustc version 1.95.0 (…)`), or
 * the one its plugin note declares.
 *
 * A linked library's `.comment` holds the lines of every object in it: a
 * clang or rustc build also carries gcc's line from the C runtime's start
 * files (crti.o, crtbeginS.o). So the declared compiler is looked for among
 * the lines first; a compiler that writes no line of its own (Go: its cgo
 * glue shows only gcc) keeps its declaration.
 *
 * @module
 */

/** What `.comment` and the declaration say, resolved. */
export interface CompilerIdentity {
  /** The compiler: `FAMILY VERSION`, e.g. `gcc 12.2.0`. */
  readonly compiler: string;
  /** Where it comes from. */
  readonly source: "comment" | "declared";
  /** The compilers `.comment` names, `FAMILY VERSION`, in file order, without repeats. */
  readonly commentCompilers: readonly string[];
}

/** Families whose compilers write `.comment`: for these, `.comment` decides. */
const WRITES_COMMENT = new Set(["gcc", "clang", "rustc"]);

/**
 * A `.comment` line as `FAMILY VERSION`, or undefined for a line that names
 * no compiler (a linker's `Linker: LLD 14.0.6`, anything else).
 *
 * @param line one NUL-terminated string of `.comment`
 * @returns e.g. `gcc 12.2.0`
 */
export function compilerOfComment(line: string): string | undefined {
  let m = /^GCC: (?:\([^)]*\) )?(\d+(?:\.\d+)*)/.exec(line);
  if (m) return `gcc ${m[1]}`;
  m = /^(?:[\w.+-]+ )*clang version (\d+(?:\.\d+)*)/.exec(line);
  if (m && !line.startsWith("Linker:")) return `clang ${m[1]}`;
  m = /^rustc version (\d+(?:\.\d+)*)/.exec(line);
  if (m) return `rustc ${m[1]}`;
  return undefined;
}

/**
 * Resolve a plugin's compiler from its `.comment` lines and its declaration.
 *
 * 1. `.comment` names no compiler: the declaration (`unknown` without one).
 * 2. The declaration's family is one that writes no `.comment` line (Go):
 *    the declaration.
 * 3. `.comment` names the declared compiler (family and version): it.
 * 4. Otherwise `.comment`'s own: its last line of a family other than gcc
 *    (gcc's line may come only from the C runtime's start files), else its
 *    last gcc line.
 *
 * @param comment the `.comment` strings
 * @param declared the plugin note's `compiler`, if any
 * @returns the compiler, where it comes from, and what `.comment` names
 */
export function resolveCompiler(
  comment: readonly string[],
  declared: string | undefined,
): CompilerIdentity {
  const named: string[] = [];
  for (const line of comment) {
    const c = compilerOfComment(line);
    if (c && !named.includes(c)) named.push(c);
  }
  const commentCompilers = Object.freeze(named);
  const wanted = declared?.trim().replace(/\s+/g, " ");
  const family = wanted?.split(" ")[0] ?? "";
  if (named.length === 0 || (wanted && wanted !== "unknown" && !WRITES_COMMENT.has(family))) {
    return { compiler: declared ?? "unknown", source: "declared", commentCompilers };
  }
  if (wanted && named.includes(wanted)) {
    return { compiler: wanted, source: "comment", commentCompilers };
  }
  const others = named.filter((c) => !c.startsWith("gcc "));
  const compiler = others.length > 0 ? others[others.length - 1] : named[named.length - 1];
  return { compiler, source: "comment", commentCompilers };
}
