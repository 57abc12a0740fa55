import { assertEquals, assertMatch } from "../_assert.ts";
import { readElf } from "../../src/elf/read_elf.ts";
import { fixtures, indexOf, section } from "./_fixtures.ts";

const { lib } = await fixtures();

/** A copy of the library with its `.comment` section header's offset and size changed. */
function withComment(bytes: Uint8Array, offset: number, size: number): Uint8Array {
  const copy = bytes.slice();
  const h = section(copy, ".comment").headerOffset;
  const v = new DataView(copy.buffer);
  v.setBigUint64(h + 24, BigInt(offset), true);
  v.setBigUint64(h + 32, BigInt(size), true);
  return copy;
}

Deno.test("readElf() reads the .comment section's strings", async (t) => {
  await t.step("what the compiler wrote", () => {
    const comment = readElf(lib, "lib.so").comment;
    assertEquals(comment.length >= 1, true);
    assertMatch(comment[0], /^GCC: \(.*\) \d+\.\d+/);
  });
  await t.step("no .comment section: none", () => {
    const copy = lib.slice();
    const names = section(copy, ".shstrtab");
    const at = indexOf(
      copy.subarray(names.offset, names.offset + names.size),
      new TextEncoder().encode(".comment\0"),
    );
    copy[names.offset + at + 1] = "k".charCodeAt(0); // ".komment"
    assertEquals(readElf(copy, "lib.so").comment, []);
  });
  await t.step("an empty .comment section: none", () => {
    assertEquals(
      readElf(withComment(lib, section(lib, ".comment").offset, 0), "lib.so").comment,
      [],
    );
  });
  await t.step("a last string without its NUL, at the end of the file", () => {
    const copy = new Uint8Array(lib.length + 3);
    copy.set(lib);
    copy.set(new TextEncoder().encode("abc"), lib.length);
    assertEquals(readElf(withComment(copy, lib.length, 3), "lib.so").comment, ["abc"]);
  });
  await t.step("at most 64 strings", () => {
    const many = new TextEncoder().encode("a\0".repeat(100));
    const copy = new Uint8Array(lib.length + many.length);
    copy.set(lib);
    copy.set(many, lib.length);
    assertEquals(
      readElf(withComment(copy, lib.length, many.length), "lib.so").comment,
      Array(64).fill("a"),
    );
  });
  await t.step("at most 4096 bytes a string, from the first 64 KiB", () => {
    const long = new Uint8Array(100_000).fill("x".charCodeAt(0));
    const copy = new Uint8Array(lib.length + long.length);
    copy.set(lib);
    copy.set(long, lib.length);
    assertEquals(
      readElf(withComment(copy, lib.length, long.length), "lib.so").comment,
      ["x".repeat(4096)],
    );
  });
});
