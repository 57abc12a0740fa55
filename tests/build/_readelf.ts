/**
 * Test helpers that look at built files with binutils' readelf, which knows
 * nothing about plugboard: what it reports is what is really in the file.
 *
 * @module
 */

/**
 * Run readelf and return its standard output.
 *
 * @param args readelf arguments, the file last
 * @returns the output text
 */
export async function readelf(...args: string[]): Promise<string> {
  const out = await new Deno.Command("readelf", {
    args,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!out.success) {
    throw new Error(
      `readelf ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}

/**
 * The desc texts of every note with owner "plugboard" (as `readelf -n` lists
 * them, hex-decoded, NUL padding removed), in file order.
 *
 * @param path the shared object
 * @returns one text per note
 */
export async function plugboardNotes(path: string): Promise<string[]> {
  const notes: string[] = [];
  for (const line of (await readelf("-n", "--wide", path)).split("\n")) {
    const m = /^\s*plugboard\s+0x([0-9a-f]+)\s.*description data:((?: [0-9a-f]{2})*)/
      .exec(line);
    if (!m) continue;
    const bytes = m[2].trim().split(" ").map((h) => parseInt(h, 16));
    const size = parseInt(m[1], 16);
    notes.push(
      new TextDecoder().decode(new Uint8Array(bytes.slice(0, size))).replace(
        /\0+$/,
        "",
      ),
    );
  }
  return notes;
}

/**
 * Parse a note's `key=value` lines.
 *
 * @param text the note text
 * @returns the fields
 */
export function noteFields(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) fields[line.slice(0, i)] = line.slice(i + 1);
  }
  return fields;
}
