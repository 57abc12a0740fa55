import { assert, assertEquals, assertStrictEquals, assertThrows } from "../_assert.ts";
import { inspectPlugin, PluginError } from "../../mod.ts";
import {
  formatLockfile,
  type Lockfile,
  LOCKFILE_VERSION,
  parseLockfile,
  readLockfile,
  Registry,
  writeLockfile,
} from "../../src/registry/mod.ts";
import { fixture, plugin } from "../_paths.ts";
import { tempDir } from "./_helpers.ts";

function lockOf(...paths: string[]): Lockfile {
  const registry = new Registry([], { lockfile: `${tempDir()}/plugboard.lock` });
  for (const p of paths) registry.trust(inspectPlugin(p));
  return registry.toLockfile();
}

Deno.test("formatLockfile() writes entries sorted, keys in a fixed order, and parseLockfile() reads them back", () => {
  const g1 = inspectPlugin(plugin("greeter"));
  const g2 = inspectPlugin(fixture("greeter_0_2_0"));
  // Trusted in reverse order: the text does not depend on it.
  const a = formatLockfile(lockOf(fixture("greeter_0_2_0"), plugin("counter"), plugin("greeter")));
  const b = formatLockfile(lockOf(plugin("greeter"), plugin("counter"), fixture("greeter_0_2_0")));
  assertStrictEquals(a, b);
  const data = JSON.parse(a);
  assertEquals(Object.keys(data), ["version", "plugins"]);
  assertStrictEquals(data.version, LOCKFILE_VERSION);
  assertEquals(Object.keys(data.plugins), ["counter@0.1.0", "greeter@0.1.0", "greeter@0.2.0"]);
  assertEquals(Object.keys(data.plugins["greeter@0.1.0"]), [
    "name",
    "version",
    "kind",
    "abi",
    "interfaces",
    "compiler",
    "buildId",
    "sha256",
    "path",
  ]);
  assertEquals(data.plugins["greeter@0.1.0"].interfaces, {
    greeter: {
      version: "1.0",
      hash: g1.interfaces[0].hash,
      functions: ["cstring greet(cstring)"],
    },
  });
  assertStrictEquals(data.plugins["greeter@0.1.0"].sha256, g1.sha256);
  assertStrictEquals(data.plugins["greeter@0.2.0"].buildId, g2.buildId);
  assertStrictEquals(data.plugins["greeter@0.2.0"].compiler, g2.compiler);
  assertStrictEquals(data.plugins["greeter@0.2.0"].path, g2.path);
  assert(a.endsWith("}\n"));
  // Parse and format again: the same text.
  assertStrictEquals(formatLockfile(parseLockfile(a)), a);
});

Deno.test("formatLockfile() sorts versions by semver, not as text", () => {
  const lock = lockOf(plugin("greeter"));
  const e = lock.plugins["greeter@0.1.0"];
  const plugins = Object.fromEntries(
    ["0.10.0", "0.2.0", "0.9.1"].map((v) => [`greeter@${v}`, { ...e, version: v }]),
  );
  const text = formatLockfile({ version: 1, plugins });
  assertEquals(Object.keys(JSON.parse(text).plugins), [
    "greeter@0.2.0",
    "greeter@0.9.1",
    "greeter@0.10.0",
  ]);
});

Deno.test("parseLockfile() refuses an invalid lockfile with LOCKFILE_INVALID naming the field", async (t) => {
  const good = JSON.parse(formatLockfile(lockOf(plugin("greeter"))));
  const entry = good.plugins["greeter@0.1.0"];
  const withEntry = (patch: Record<string, unknown>) =>
    JSON.stringify({ version: 1, plugins: { "greeter@0.1.0": { ...entry, ...patch } } });
  const cases: [string, string, string][] = [
    ["not JSON", "{", "the file: expected JSON, found "],
    ["an array", "[]", "the file: expected a JSON object, found an array"],
    [
      "a newer format",
      '{"version": 3, "plugins": {}}',
      "unsupported format version: expected 1 or 2, found 3",
    ],
    ["no version", '{"plugins": {}}', "unsupported format version: expected 1 or 2, found nothing"],
    [
      "an unknown top-level field",
      '{"version": 1, "plugins": {}, "extra": 1}',
      "the file.extra: expected one of version, plugins, publishers, found an unknown field",
    ],
    [
      "a short sha256",
      withEntry({ sha256: "abc" }),
      'plugins["greeter@0.1.0"].sha256: expected 64 hex digits, found "abc"',
    ],
    [
      "a bad ABI",
      withEntry({ abi: "one" }),
      'plugins["greeter@0.1.0"].abi: expected MAJOR.MINOR, found "one"',
    ],
    [
      "a missing compiler",
      withEntry({ compiler: undefined }),
      'plugins["greeter@0.1.0"].compiler: expected a string, found nothing',
    ],
    [
      "a misspelt field",
      withEntry({ sha265: "x" }),
      'plugins["greeter@0.1.0"].sha265: expected one of name, version, kind, abi, interfaces, compiler, buildId, sha256, path, found an unknown field',
    ],
    [
      "a key that is not name@version",
      JSON.stringify({ version: 1, plugins: { "greeter@9.9.9": entry } }),
      'plugins["greeter@9.9.9"]: expected the key "greeter@0.1.0", found "greeter@9.9.9"',
    ],
    [
      "an interface hash that is not hex",
      withEntry({ interfaces: { greeter: { ...entry.interfaces.greeter, hash: "zz" } } }),
      'plugins["greeter@0.1.0"].interfaces["greeter"].hash: expected 64 hex digits, found "zz"',
    ],
  ];
  for (const [name, text, detail] of cases) {
    await t.step(name, () => {
      const e = assertThrows(() => parseLockfile(text, { path: "x/plugboard.lock" }), PluginError);
      assertStrictEquals(e.code, "LOCKFILE_INVALID");
      assertStrictEquals(e.path, "x/plugboard.lock");
      assert(
        e.summary.startsWith(`Cannot read lockfile "x/plugboard.lock": ${detail}`),
        e.summary,
      );
    });
  }
});

Deno.test("readLockfile() reports a missing lockfile as NOT_FOUND with how to create it", () => {
  const path = `${tempDir()}/plugboard.lock`;
  const e = assertThrows(() => readLockfile(path), PluginError);
  assertStrictEquals(e.code, "NOT_FOUND");
  assertStrictEquals(
    e.summary,
    `Cannot read lockfile "${path}": no such file: expected an existing file, found nothing at ${path}`,
  );
  assertStrictEquals(
    e.hint,
    `create it by trusting plugins: plugboard trust FILE|DIR... --lock ${path}`,
  );
});

Deno.test("writeLockfile() replaces the file atomically and leaves no temporary file", () => {
  const dir = tempDir();
  const path = `${dir}/plugboard.lock`;
  const one = lockOf(plugin("greeter"));
  writeLockfile(path, one);
  const before = Deno.statSync(path);
  assertEquals(readLockfile(path), one);
  const two = lockOf(plugin("greeter"), fixture("greeter_0_2_0"));
  writeLockfile(path, two);
  const after = Deno.statSync(path);
  assert(before.ino !== after.ino, "a new file was renamed over the old one");
  assertEquals(readLockfile(path), two);
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["plugboard.lock"]);
  // A write that cannot complete (the target is a directory) leaves no debris.
  Deno.mkdirSync(`${dir}/dir.lock`);
  assertThrows(() => writeLockfile(`${dir}/dir.lock`, one), Error);
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
    "dir.lock",
    "plugboard.lock",
  ]);
});

Deno.test("writeLockfile() never lets a concurrent reader see half a file", async () => {
  const dir = tempDir();
  const path = `${dir}/plugboard.lock`;
  const small = lockOf(plugin("greeter"));
  // A large lockfile: 2,000 entries.
  const e = small.plugins["greeter@0.1.0"];
  const plugins = Object.fromEntries(
    Array.from({ length: 2000 }, (_, i) => [`p${i}@0.1.0`, { ...e, name: `p${i}` }]),
  );
  const large: Lockfile = { version: 1, plugins };
  writeLockfile(path, small);
  const reader = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `let n = 0; const end = Date.now() + 1500;
       while (Date.now() < end) { JSON.parse(Deno.readTextFileSync(${JSON.stringify(path)})); n++; }
       console.log(n);`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const until = Date.now() + 1200;
  let writes = 0;
  while (Date.now() < until) {
    writeLockfile(path, writes % 2 ? small : large);
    writes++;
    await new Promise((r) => setTimeout(r, 0));
  }
  const out = await reader.output();
  assert(out.success, `the reader saw a partial file: ${new TextDecoder().decode(out.stderr)}`);
  assert(Number(new TextDecoder().decode(out.stdout)) > 0);
  assert(writes > 2);
});
