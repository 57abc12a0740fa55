import { assert, assertEquals, assertStrictEquals } from "../_assert.ts";
import { type CachedPlugin, HashCache, verifyFiles } from "../../src/registry/mod.ts";
import { RACY_WINDOW_MS } from "../../src/registry/hash_cache.ts";
import { fixture, plugin } from "../_paths.ts";
import { stamp } from "../../src/file/stamp.ts";
import { copyInto, sha256Of, tamperedCopy, tempDir, trusting } from "./_helpers.ts";

const PAST = new Date("2024-01-02T03:04:05.678Z");

/** A greeter copy whose mtime is well in the past, so its cache entry is not racy. */
function settledCopy(src = plugin("greeter")): { dir: string; file: string } {
  const dir = tempDir();
  const file = copyInto(src, dir, "greeter.so");
  Deno.utimeSync(file, PAST, PAST);
  return { dir, file };
}

const registry = trusting(plugin("greeter"));

Deno.test("HashCache answers an unchanged file from the cache and hashes a changed one again", async (t) => {
  const { dir, file } = settledCopy();
  const cache = new HashCache();
  const verify = () => verifyFiles([file], { registry, cache }).files[0];

  await t.step("first time: read and hashed", () => {
    const v = verify();
    assertStrictEquals(v.cached, false);
    assertStrictEquals(v.status, "ok");
    assertEquals([cache.hits, cache.misses, cache.size], [0, 1, 1]);
  });
  await t.step("unchanged: from the cache", () => {
    const v = verify();
    assertStrictEquals(v.cached, true);
    assertStrictEquals(v.status, "ok");
    assertStrictEquals(v.identity?.sha256, sha256Of(plugin("greeter")));
    assertEquals([cache.hits, cache.misses], [1, 1]);
  });
  await t.step("one byte changed in place (same size, new mtime): hashed again, and caught", () => {
    const bytes = Deno.readFileSync(tamperedCopy(plugin("greeter"), dir, "t.so"));
    Deno.writeFileSync(file, bytes);
    Deno.utimeSync(file, PAST, new Date(PAST.getTime() + 60_000));
    const v = verify();
    assertStrictEquals(v.cached, false);
    assertEquals(v.errors.map((e) => e.code), ["CHECKSUM_MISMATCH"]);
    assertStrictEquals(v.identity?.sha256, sha256Of(file));
  });
  await t.step("another build renamed over the path (new inode, same mtime): hashed again", () => {
    const next = copyInto(fixture("reg_greeter_rebuilt"), dir, "next.so");
    Deno.utimeSync(next, PAST, new Date(PAST.getTime() + 60_000));
    Deno.renameSync(next, file);
    const v = verify();
    assertStrictEquals(v.cached, false);
    assertEquals(v.errors.map((e) => e.code), ["BUILD_ID_MISMATCH", "CHECKSUM_MISMATCH"]);
  });
  await t.step("the original restored: hashed again, ok", () => {
    copyInto(plugin("greeter"), dir, "greeter.so");
    Deno.utimeSync(file, PAST, PAST);
    const v = verify();
    assertStrictEquals(v.cached, false);
    assertStrictEquals(v.status, "ok");
    assertStrictEquals(verify().cached, true);
  });
});

Deno.test("HashCache.lookup() does not trust an entry hashed right after the file changed (racy)", () => {
  const { file } = settledCopy();
  const stat = Deno.statSync(file);
  const mtime = stat.mtime!.getTime();
  const plugin: CachedPlugin = {
    sha256: "0".repeat(64),
    name: "greeter",
    version: "0.1.0",
    abi: "1.0",
    buildId: "",
    compiler: "gcc",
    interfaces: [],
  };
  const cache = new HashCache();
  cache.store(stat, plugin, { hashedAtMs: mtime + RACY_WINDOW_MS - 1 });
  assertStrictEquals(
    cache.lookup(stat),
    undefined,
    "a change within the timestamp granularity could go unseen",
  );
  cache.store(stat, plugin, { hashedAtMs: mtime + RACY_WINDOW_MS + 1 });
  assertEquals(cache.lookup(stat), plugin);
  const grown = { ...stat, size: stat.size + 1 };
  assertStrictEquals(cache.lookup(grown), undefined);
  const touched = { ...stat, mtime: new Date(mtime + 1) };
  assertStrictEquals(cache.lookup(touched), undefined);
  const moved = { ...stat, ino: (stat.ino ?? 0) + 1 };
  assertStrictEquals(cache.lookup(moved), undefined);
});

Deno.test("HashCache.save() persists atomically, privately, and load() reads it back", () => {
  const { file } = settledCopy();
  const dir = tempDir();
  const path = `${dir}/cache/plugboard/hashes.json`;
  const cache = HashCache.load(path);
  assertEquals([cache.size, cache.ignored], [0, undefined]);
  verifyFiles([file], { registry, cache });
  assertStrictEquals(cache.save(), true);
  assertStrictEquals(cache.save(), false, "nothing changed: not written again");
  assertStrictEquals(Deno.statSync(path).mode! & 0o777, 0o600);
  assertStrictEquals(Deno.statSync(`${dir}/cache/plugboard`).mode! & 0o777, 0o700);
  assertEquals([...Deno.readDirSync(`${dir}/cache/plugboard`)].map((e) => e.name), ["hashes.json"]);

  const again = HashCache.load(path);
  assertStrictEquals(again.size, 1);
  const v = verifyFiles([file], { registry, cache: again }).files[0];
  assertStrictEquals(v.cached, true);
  assertStrictEquals(v.status, "ok");
  assertStrictEquals(again.dirty, false);
});

Deno.test("HashCache.load() ignores a cache file it cannot trust, saying why", async (t) => {
  const dir = tempDir();
  const cases: [string, string, number, string][] = [
    ["malformed", "{", 0o600, "not JSON: "],
    ["another format", '{"version": 9, "files": {}}', 0o600, "not a version 1 cache file"],
    [
      "writable by others",
      '{"version": 1, "files": {}}',
      0o666,
      'Cannot read hash cache "$PATH": file $PATH is writable by group and others: expected a file not writable by group or others (e.g. mode 0644 or 0755), found mode 0666',
    ],
  ];
  for (const [name, text, mode, reason] of cases) {
    await t.step(name, () => {
      const path = `${dir}/${name.replaceAll(" ", "-")}.json`;
      Deno.writeTextFileSync(path, text);
      Deno.chmodSync(path, mode);
      const cache = HashCache.load(path);
      assertStrictEquals(cache.size, 0);
      assert(cache.ignored?.startsWith(reason.replaceAll("$PATH", path)), cache.ignored);
    });
  }
});

Deno.test("HashCache keeps a directory's listing while the directory is unchanged", async (t) => {
  const { dir } = settledCopy();
  Deno.utimeSync(dir, PAST, PAST);
  const cache = new HashCache();
  const names = () =>
    verifyFiles([dir], { registry, cache }).files.map((f) => f.path.slice(dir.length + 1));
  await t.step("listed once, then from the cache", () => {
    assertEquals(names(), ["greeter.so"]);
    assertEquals(cache.lookupListing(stamp(dir)), ["greeter.so"]);
    assertEquals(names(), ["greeter.so"]);
  });
  await t.step("a file added: the directory changed, listed again", () => {
    copyInto(plugin("greeter"), dir, "another.so");
    assertStrictEquals(cache.lookupListing(stamp(dir)), undefined);
    assertEquals(names(), ["another.so", "greeter.so"]);
  });
  await t.step("a file removed: listed again", () => {
    Deno.removeSync(`${dir}/greeter.so`);
    assertEquals(names(), ["another.so"]);
  });
  await t.step("a listing taken right after a change is not trusted (racy)", () => {
    const s = stamp(dir);
    cache.storeListing(s, ["stale.so"], { listedAtMs: s.mtimeMs + RACY_WINDOW_MS - 1 });
    assertStrictEquals(cache.lookupListing(s), undefined);
    cache.storeListing(s, ["x.so"], { listedAtMs: s.mtimeMs + RACY_WINDOW_MS + 1 });
    assertEquals(cache.lookupListing(s), ["x.so"]);
  });
});
