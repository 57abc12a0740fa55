/**
 * The loader's permission preflight: a plugin file, or a directory on its
 * path, that someone else could change is refused with INSECURE_PERMISSIONS.
 */
import { assertEquals, assertRejects, assertStrictEquals, assertThrows } from "../_assert.ts";
import { defineInterface, LoadError, openPlugin, PluginError } from "../../mod.ts";
import { Registry, verifyFiles } from "../../src/registry/mod.ts";
import { plugin } from "../_paths.ts";
import { copyInto, tempDir, trusting } from "./_helpers.ts";

const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" });

/** A greeter copy in a new directory; the file and directory get these modes. */
function placed(fileMode: number, dirMode = 0o755): { dir: string; file: string } {
  const dir = `${tempDir()}/plugins`;
  Deno.mkdirSync(dir);
  const file = copyInto(plugin("greeter"), dir, "greeter.so");
  Deno.chmodSync(file, fileMode);
  Deno.chmodSync(dir, dirMode);
  return { dir, file };
}

Deno.test("openPlugin() refuses files and directories others can write to, naming the path and mode", async (t) => {
  const cases: [string, number, number, "file" | "dir", string, string][] = [
    [
      "a file writable by group and others (0666)",
      0o666,
      0o755,
      "file",
      "writable by group and others",
      "mode 0666",
    ],
    ["a file writable by others (0646)", 0o646, 0o755, "file", "writable by others", "mode 0646"],
    ["a file writable by group (0664)", 0o664, 0o755, "file", "writable by group", "mode 0664"],
    [
      "a directory writable by everyone, not sticky (0777)",
      0o644,
      0o777,
      "dir",
      "writable by group and others",
      "mode 0777",
    ],
    ["a directory writable by group (0775)", 0o644, 0o775, "dir", "writable by group", "mode 0775"],
  ];
  for (const [name, fileMode, dirMode, subject, what, found] of cases) {
    await t.step(name, async () => {
      const { dir, file } = placed(fileMode, dirMode);
      const e = await assertRejects(() => openPlugin(file), LoadError);
      assertStrictEquals(e.code, "INSECURE_PERMISSIONS");
      const where = subject === "file" ? `file ${file}` : `directory ${dir}`;
      assertStrictEquals(
        e.summary,
        `Cannot load plugin "${file}": ${where} is ${what}: expected ${
          subject === "file"
            ? "a file not writable by group or others (e.g. mode 0644 or 0755)"
            : "a directory not writable by group or others (or with the sticky bit, like /tmp)"
        }, found ${found}`,
      );
      assertStrictEquals(
        e.hint,
        `chmod go-w ${
          subject === "file" ? file : dir
        }, or pass { allowInsecurePermissions: true } if you trust everyone who can write there`,
      );
      await using p = await openPlugin(file, {
        allowInsecurePermissions: true,
        interfaces: [Greeter],
      });
      assertStrictEquals(p.use(Greeter).greet("opt-out"), "Hello, opt-out");
    });
  }
});

Deno.test("openPlugin() accepts a sticky world-writable directory owned by the user, like /tmp", async () => {
  const { file } = placed(0o644, 0o1777);
  await using p = await openPlugin(file, { interfaces: [Greeter] });
  assertStrictEquals(p.use(Greeter).greet("sticky"), "Hello, sticky");
});

Deno.test({
  name: "openPlugin() refuses a file owned by another user",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const { file } = placed(0o644);
    Deno.chownSync(file, 12345, 12345);
    const e = await assertRejects(() => openPlugin(file), LoadError);
    assertStrictEquals(e.code, "INSECURE_PERMISSIONS");
    assertStrictEquals(
      e.summary,
      `Cannot load plugin "${file}": file ${file} is owned by another user: expected owner root or uid 0 (you), found owner uid 12345, mode 0644`,
    );
  },
});

Deno.test("openPlugin() reports symlinks resolved and checks both the target and the link's directory", async (t) => {
  const { file } = placed(0o644);
  await t.step("a link in a private directory: loads the target", async () => {
    const linkDir = tempDir();
    Deno.symlinkSync(file, `${linkDir}/current.so`);
    await using p = await openPlugin(`${linkDir}/current.so`, { interfaces: [Greeter] });
    assertStrictEquals(p.realPath, file);
    assertStrictEquals(p.path, `${linkDir}/current.so`);
  });
  await t.step("a link in a directory others can write (they could redirect it)", async () => {
    const linkDir = tempDir();
    Deno.symlinkSync(file, `${linkDir}/current.so`);
    Deno.chmodSync(linkDir, 0o777);
    const e = await assertRejects(() => openPlugin(`${linkDir}/current.so`), LoadError);
    assertStrictEquals(e.code, "INSECURE_PERMISSIONS");
    assertStrictEquals(e.expected.startsWith("a directory not writable"), true);
    assertStrictEquals(
      e.summary.includes(`directory ${linkDir} is writable by group and others`),
      true,
    );
  });
  await t.step("a secure link to an insecure target", async () => {
    const insecure = placed(0o666);
    const linkDir = tempDir();
    Deno.symlinkSync(insecure.file, `${linkDir}/current.so`);
    const e = await assertRejects(() => openPlugin(`${linkDir}/current.so`), LoadError);
    assertStrictEquals(e.code, "INSECURE_PERMISSIONS");
    assertStrictEquals(e.summary.includes(`file ${insecure.file} is writable`), true);
  });
});

Deno.test("verifyFiles() applies the same permission check, with the same opt-out", () => {
  const { file } = placed(0o666);
  const registry = trusting(plugin("greeter"));
  const refused = verifyFiles([file], { registry });
  assertEquals(refused.files.map((f) => f.errors.map((e) => e.code)), [["INSECURE_PERMISSIONS"]]);
  const allowed = verifyFiles([file], { registry, allowInsecurePermissions: true });
  assertEquals(allowed.files.map((f) => f.status), ["ok"]);
  const thrown = assertThrows(() => {
    throw refused.files[0].errors[0];
  }, LoadError);
  assertStrictEquals(thrown.path, file);
});

Deno.test("Registry.fromLockfile() refuses a lockfile others could change, unless told otherwise", async () => {
  const dir = tempDir();
  const lock = `${dir}/plugboard.lock`;
  trusting(plugin("greeter")).save(lock);
  Deno.chmodSync(lock, 0o666);
  const e = assertThrows(() => Registry.fromLockfile(lock), PluginError);
  assertStrictEquals(e.code, "INSECURE_PERMISSIONS");
  assertStrictEquals(
    e.summary,
    `Cannot read lockfile "${lock}": file ${lock} is writable by group and others: expected a file not writable by group or others (e.g. mode 0644 or 0755), found mode 0666`,
  );
  const viaLoader = await assertRejects(
    () => openPlugin(plugin("greeter"), { registry: lock }),
    PluginError,
  );
  assertStrictEquals(viaLoader.code, "INSECURE_PERMISSIONS");
  assertStrictEquals(Registry.fromLockfile(lock, { allowInsecurePermissions: true }).size, 1);
  await using p = await openPlugin(plugin("greeter"), {
    registry: lock,
    allowInsecurePermissions: true,
  });
  assertStrictEquals(p.metadata.name, "greeter");
});
