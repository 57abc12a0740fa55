import { assertStrictEquals } from "../_assert.ts";
import { knownSha256, readFile, rememberSha256 } from "../../src/file/read_file.ts";
import { sha256Hex } from "../../src/file/sha256.ts";

Deno.test("readFile() compares a reopened file's bytes with those hashed last, and hashes new ones", async (t) => {
  const dir = Deno.makeTempDirSync();
  Deno.chmodSync(dir, 0o755);
  const path = `${dir}/plugin.so`;
  const write = (text: string) => {
    Deno.writeTextFileSync(`${path}.tmp`, text);
    Deno.renameSync(`${path}.tmp`, path);
  };
  try {
    const cases: [string, string][] = [
      ["first read: hashed", "first build"],
      ["the same bytes again", "first build"],
      ["a rebuild of the same length", "other build"],
      ["a longer rebuild", "a longer build, 33 bytes long....."],
      ["back to the first bytes", "first build"],
    ];
    for (const [name, text] of cases) {
      await t.step(name, () => {
        write(text);
        const read = readFile(path);
        assertStrictEquals(read.sha256, sha256Hex(new TextEncoder().encode(text)));
        assertStrictEquals(knownSha256(read.realPath, read.bytes), read.sha256);
      });
    }
    await t.step(
      "what is remembered is a copy: changing the caller's bytes changes nothing",
      () => {
        const bytes = new TextEncoder().encode("kept");
        const sha = rememberSha256("/nowhere/kept.so", bytes);
        bytes[0] = 0x4b;
        assertStrictEquals(knownSha256("/nowhere/kept.so", bytes), undefined);
        assertStrictEquals(knownSha256("/nowhere/kept.so", new TextEncoder().encode("kept")), sha);
      },
    );
    await t.step("unaligned views and odd lengths compare byte by byte", () => {
      const raw = new TextEncoder().encode("xabcdefg");
      const sha = rememberSha256("/nowhere/odd.so", raw.subarray(1));
      assertStrictEquals(knownSha256("/nowhere/odd.so", new TextEncoder().encode("abcdefg")), sha);
      assertStrictEquals(
        knownSha256("/nowhere/odd.so", new TextEncoder().encode("abcdefh")),
        undefined,
      );
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
