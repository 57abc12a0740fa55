/**
 * The whole chain on the command line, with real keys and real plugins:
 * keygen, sign, trust --publisher, then call and verify against a lockfile
 * that trusts only the publisher; each way a signed plugin is refused
 * (unsigned, a tampered byte, another key, a retired key); hash pins win
 * where both exist.
 */
import { assertEquals } from "../_assert.ts";
import { inspectPlugin } from "../../mod.ts";
import { fixture, plugin } from "../_paths.ts";
import { cli, copyInto, keygen, tamperedCopy, tempDir } from "./_signing.ts";

Deno.test("a plugin signed by a trusted publisher loads without a hash pin; every other one is refused", async (t) => {
  const dir = tempDir();
  const lock = `${dir}/plugboard.lock`;
  const acme = await keygen(dir, "acme");
  const mallory = await keygen(dir, "mallory");
  const signed = async (src: string, name: string, key = acme) => {
    const path = copyInto(src, dir, name);
    const r = await cli("sign", path, "--key", key.path);
    assertEquals(r.code, 0, r.err.join("\n"));
    return path;
  };
  const greeter = await signed(plugin("greeter"), "greeter.so");
  const sha = inspectPlugin(greeter).sha256;
  assertEquals(
    await cli(
      "trust",
      "--publisher",
      acme.pub,
      "--for",
      "greeter@^0.1",
      "--name",
      "acme",
      "--lock",
      lock,
    ),
    {
      code: 0,
      out: [`added publisher ${acme.id} (acme): greeter@^0.1`, `wrote ${lock}`],
      err: [],
    },
  );
  const wanted = `a signature by key ${acme.id} (acme), which ${lock} trusts for greeter@0.1.0`;

  await t.step("the lockfile pins no plugin, only the key", () => {
    const written = JSON.parse(Deno.readTextFileSync(lock));
    assertEquals(written, {
      version: 2,
      plugins: {},
      publishers: { [acme.id]: { key: acme.key, name: "acme", trusts: ["greeter@^0.1"] } },
    });
  });
  await t.step("verify: ok", async () => {
    assertEquals(await cli("verify", greeter, "--lock", lock, "--no-cache"), {
      code: 0,
      out: [`ok greeter@0.1.0 ${greeter}`, `1 file(s) checked against ${lock}: 1 ok, 0 failed`],
      err: [],
    });
  });
  await t.step("call: the plugin runs", async () => {
    assertEquals(await cli("call", greeter, "greet", "world", "--lock", lock), {
      code: 0,
      out: ["Hello, world"],
      err: [],
    });
  });
  await t.step("unsigned: UNTRUSTED, naming the key expected", async () => {
    const path = copyInto(plugin("greeter"), dir, "unsigned.so");
    assertEquals(await cli("call", path, "greet", "world", "--lock", lock), {
      code: 1,
      out: [],
      err: [
        `error[UNTRUSTED]: Cannot load plugin "${path}": plugin greeter@0.1.0: not signed: expected ${wanted}, found no signature file ${path}.sig`,
        `hint: sign it with the publisher's key (plugboard sign ${path} --key KEY), or trust this file itself: plugboard trust ${path} --lock ${lock}`,
      ],
    });
  });
  await t.step("a tampered byte: BAD_SIGNATURE, naming both hashes", async () => {
    const path = await signed(plugin("greeter"), "tampered.so");
    tamperedCopy(plugin("greeter"), dir, "tampered.so");
    const now = inspectPlugin(path).sha256;
    const expected = [
      `error[BAD_SIGNATURE]: Cannot load plugin "${path}": plugin greeter@0.1.0: its signature does not match it: expected ${wanted}, found a signature by key ${acme.id} (acme), but it signed SHA-256 ${
        sha.slice(0, 12)
      }…, the file is ${now.slice(0, 12)}…: the file changed after it was signed`,
      "hint: restore the file the publisher signed, or have it signed again",
    ];
    assertEquals(await cli("call", path, "greet", "world", "--lock", lock), {
      code: 1,
      out: [],
      err: expected,
    });
    assertEquals(await cli("verify", path, "--lock", lock, "--no-cache"), {
      code: 1,
      out: [...expected, `1 file(s) checked against ${lock}: 0 ok, 1 failed`],
      err: [],
    });
  });
  await t.step(
    "signed by another key: UNTRUSTED, naming the key expected and the key found",
    async () => {
      const path = await signed(plugin("greeter"), "foreign.so", mallory);
      assertEquals(await cli("verify", path, "--lock", lock, "--no-cache"), {
        code: 1,
        out: [
          `error[UNTRUSTED]: Cannot load plugin "${path}": plugin greeter@0.1.0: signed by a key not trusted for it: expected ${wanted}, found a signature by key ${mallory.id}`,
          'hint: trust that key for greeter (plugboard trust --publisher KEY.pub --for "greeter@^0.1.0"), or sign with a trusted key',
          `1 file(s) checked against ${lock}: 0 ok, 1 failed`,
        ],
        err: [],
      });
    },
  );
  await t.step(
    "a version outside the trusted range: not the publisher's to vouch for",
    async () => {
      const path = await signed(fixture("greeter_0_2_0"), "greeter2.so");
      assertEquals(await cli("call", path, "greet", "world", "--lock", lock), {
        code: 1,
        out: [],
        err: [
          `error[UNTRUSTED]: Cannot load plugin "${path}": plugin greeter@0.2.0: not trusted: expected an entry greeter@0.2.0 in ${lock}, found no entry for "greeter"`,
          `hint: review the plugin, then trust it: plugboard trust ${path} --lock ${lock}; or load with policy { mode: "known" } to allow plugins the lockfile does not know`,
        ],
      });
    },
  );
  await t.step("the key retired: refused with the reason", async () => {
    const r = await cli(
      "trust",
      "--retire",
      acme.id.slice(0, 8),
      "--reason",
      "the key leaked",
      "--lock",
      lock,
    );
    const time = JSON.parse(Deno.readTextFileSync(lock)).publishers[acme.id].retired.time;
    assertEquals(r, {
      code: 0,
      out: [`retired publisher ${acme.id} (acme) on ${time}: the key leaked`, `wrote ${lock}`],
      err: [],
    });
    assertEquals(await cli("call", greeter, "greet", "world", "--lock", lock), {
      code: 1,
      out: [],
      err: [
        `error[UNTRUSTED]: Cannot load plugin "${greeter}": plugin greeter@0.1.0: signed only by retired key ${acme.id} (acme): expected a signature by a key ${lock} trusts for greeter@0.1.0, found its signature, by a key retired on ${time}: the key leaked`,
        "hint: sign the plugin with a current key, or trust this file itself",
      ],
    });
  });
  await t.step("a new key takes over once the plugin is signed again", async () => {
    const next = await keygen(dir, "acme-2");
    assertEquals(
      (await cli("trust", "--publisher", next.key, "--for", "greeter@0.1.x", "--lock", lock)).out,
      [`added publisher ${next.id}: greeter@0.1.x`, `wrote ${lock}`],
    );
    assertEquals((await cli("sign", greeter, "--key", next.path)).code, 0);
    assertEquals((await cli("call", greeter, "greet", "again", "--lock", lock)).out, [
      "Hello, again",
    ]);
  });
});

Deno.test("hash pins win where a pin and a publisher both speak for a plugin", async (t) => {
  const dir = tempDir();
  const acme = await keygen(dir, "acme");
  const mallory = await keygen(dir, "mallory");
  const trustAcme = (lock: string) =>
    cli("trust", "--publisher", acme.pub, "--for", "greeter@^0.1", "--lock", lock);

  await t.step("a pinned file loads whoever signed it", async () => {
    const lock = `${dir}/pinned.lock`;
    const path = copyInto(plugin("greeter"), dir, "pinned.so");
    assertEquals((await cli("sign", path, "--key", mallory.path)).code, 0);
    assertEquals((await trustAcme(lock)).code, 0);
    assertEquals((await cli("trust", path, "--lock", lock)).code, 0);
    assertEquals(await cli("verify", path, "--lock", lock, "--no-cache"), {
      code: 0,
      out: [`ok greeter@0.1.0 ${path}`, `1 file(s) checked against ${lock}: 1 ok, 0 failed`],
      err: [],
    });
    // Trusting files kept the publisher.
    assertEquals(
      (await cli("trust", "--list-publishers", "--lock", lock, "--json")).out.map((l) =>
        JSON.parse(l).publishers.map((p: { id: string }) => p.id)
      ),
      [[acme.id]],
    );
  });
  await t.step(
    "a file signed by the trusted key is refused when its pin says other bytes",
    async () => {
      const lock = `${dir}/other.lock`;
      const old = copyInto(fixture("reg_greeter_rebuilt"), dir, "old.so");
      assertEquals((await cli("trust", old, "--lock", lock)).code, 0);
      assertEquals((await trustAcme(lock)).code, 0);
      const path = copyInto(plugin("greeter"), dir, "new.so");
      assertEquals((await cli("sign", path, "--key", acme.path)).code, 0);
      const [was, is] = [inspectPlugin(old), inspectPlugin(path)];
      const r = await cli("call", path, "greet", "x", "--lock", lock);
      assertEquals(r, {
        code: 1,
        out: [],
        err: [
          `error[BUILD_ID_MISMATCH]: Cannot load plugin "${path}": plugin greeter@0.1.0: build id differs from the trusted build: expected ${was.buildId} (trusted in ${lock}), found ${is.buildId}`,
          `hint: the file was built from other sources, flags or compiler; if the change is intended, trust the file: plugboard trust ${path} --lock ${lock}; otherwise rebuild the trusted sources or restore the trusted file`,
        ],
      });
    },
  );
});
